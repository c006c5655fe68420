//! Serial receivers (a micro:bit on USB): found by their USB ids, opened at the
//! protocol's speed, and reopened when they come back.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::app::App;

/// USB ids of a BBC micro:bit (its interface chip's serial port).
pub const MICROBIT_USB: (u16, u16) = (0x0D28, 0x0204);
pub const SERIAL_BAUD: u32 = 115_200;

/// Finds a micro:bit's serial port by its USB ids, through serialport's enumeration (on
/// Linux it reads sysfs itself, without libudev; on Windows and macOS it asks the
/// system). With several, the first by name.
pub fn find_microbit() -> Option<PathBuf> {
    // serialport's Linux scan panics without sysfs (some containers).
    #[cfg(target_os = "linux")]
    if !std::path::Path::new("/sys/class/tty").is_dir() {
        return None;
    }
    let mut found: Vec<String> = tokio_serial::available_ports()
        .ok()?
        .into_iter()
        .filter(|port| {
            matches!(&port.port_type, tokio_serial::SerialPortType::UsbPort(usb)
                if (usb.vid, usb.pid) == MICROBIT_USB)
        })
        .map(|port| port.port_name)
        .collect();
    found.sort();
    found.into_iter().next().map(PathBuf::from)
}

pub(super) async fn serial_loop(app: Arc<App>, path: Option<PathBuf>) {
    let mut shutdown = app.shutdown_signal();
    let mut warned = false;
    loop {
        let port = path.clone().or_else(find_microbit);
        match port {
            None if !warned => {
                tracing::warn!(
                    "no micro:bit receiver found (USB {:04x}:{:04x}); waiting for one",
                    MICROBIT_USB.0,
                    MICROBIT_USB.1
                );
                warned = true;
            }
            None => {}
            Some(port) => {
                use tokio_serial::SerialPortBuilderExt;
                match tokio_serial::new(port.to_string_lossy(), SERIAL_BAUD).open_native_async() {
                    Ok(stream) => {
                        tracing::info!("clicker receiver on {}", port.display());
                        warned = false;
                        let (reader, writer) = tokio::io::split(stream);
                        super::run(
                            app.clone(),
                            format!("serial {}", port.display()),
                            reader,
                            writer,
                        )
                        .await;
                        tracing::warn!("clicker receiver on {} is gone", port.display());
                    }
                    Err(error) if !warned => {
                        tracing::warn!("cannot open {}: {error}", port.display());
                        warned = true;
                    }
                    Err(_) => {}
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

//! A small run of the load benchmark (`pejling-load`): 200 phones join, answer and change
//! their answers while 50 simulated clickers vote through the bridge port; nothing
//! acknowledged may be lost or counted twice. Timings are
//! printed by the benchmark but never asserted here (see docs/performance.md).

use std::collections::HashMap;
use std::process::Command;

#[test]
fn two_hundred_phones_and_fifty_clickers_lose_nothing_and_count_nothing_twice() {
    let output = Command::new(env!("CARGO_BIN_EXE_pejling-load"))
        .args(["--participants", "200", "--clickers", "50"])
        .output()
        .expect("run pejling-load");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "pejling-load failed:\n{stdout}\n{stderr}"
    );
    let last = stdout.lines().last().expect("a summary line");
    let figures: HashMap<&str, &str> = last
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .collect();
    for key in [
        "participants",
        "joined_s",
        "open_to_all_answered_s",
        "ack_p50_ms",
        "ack_p99_ms",
        "server_rss_mb",
        "server_cpu_s",
        "lost",
        "duplicated",
    ] {
        assert!(figures.contains_key(key), "{key} missing from: {last}");
    }
    assert_eq!(figures["participants"], "200", "{stdout}");
    assert_eq!(figures["lost"], "0", "{stdout}");
    assert_eq!(figures["duplicated"], "0", "{stdout}");
    assert!(
        stdout.contains("clickers: 50 simulated devices"),
        "{stdout}"
    );
    // 200 phones, one answer to the first question and three to the second.
    assert!(
        stdout.contains("acknowledgements: 800 "),
        "every answer acknowledged:\n{stdout}"
    );
}

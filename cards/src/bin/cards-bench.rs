//! Measures the card reader on rendered classroom frames (see docs/cards.md):
//! read rate by distance and resolution, wrong readings, time per frame.
//!
//! cargo run -p pejling-cards --release --bin cards-bench -- [FRAMES_PER_CELL]
//! cargo run -p pejling-cards --release --features c-apriltag --bin cards-bench -- FRAMES c
//!   (the same figures with the AprilTag C library as the detector)
//! cargo run -p pejling-cards --release --bin cards-bench -- dump 720|1080 DISTANCE SEED FILE.pgm [still]

use std::time::Instant;

use pejling_cards::render::{Camera, Conditions, Scene, classroom_row, clutter_only, render};
use pejling_cards::{Answer, Card, Reader};

/// The detector being measured: the crate's `Reader` (kornia-apriltag) or the AprilTag C
/// library with the same rules (ids 1–48, at most two corrected bits, a card seen twice
/// left out).
enum Detector {
    Kornia(Reader),
    #[cfg(feature = "c-apriltag")]
    C(apriltag::Detector, usize, usize),
}

impl Detector {
    fn new(c: bool, cam: Camera) -> Detector {
        #[cfg(feature = "c-apriltag")]
        if c {
            let mut d = apriltag::DetectorBuilder::new()
                .add_family_bits(apriltag::Family::tag_36h11(), 2)
                .build()
                .expect("detector");
            d.set_thread_number(1);
            return Detector::C(d, cam.width, cam.height);
        }
        assert!(
            !c,
            "build with --features c-apriltag to measure the C library"
        );
        Detector::Kornia(Reader::new(cam.width, cam.height))
    }

    fn read(&mut self, pixels: &[u8]) -> Vec<(Card, Answer)> {
        match self {
            Detector::Kornia(r) => r.read(pixels).iter().map(|r| (r.card, r.answer)).collect(),
            #[cfg(feature = "c-apriltag")]
            Detector::C(d, w, h) => {
                let mut image = apriltag::Image::zeros_with_stride(*w, *h, *w).expect("image");
                image.as_slice_mut().copy_from_slice(pixels);
                let mut out: Vec<(Card, Answer)> = Vec::new();
                let mut twice = Vec::new();
                for det in d.detect(&image) {
                    if det.hamming() > 2 {
                        continue;
                    }
                    let Some(card) = Card::from_tag_id(det.id() as u16) else {
                        continue;
                    };
                    let m = det.homography().data().to_vec();
                    let project = |x: f64, y: f64| {
                        let z = m[6] * x + m[7] * y + m[8];
                        (
                            (m[0] * x + m[1] * y + m[2]) / z,
                            (m[3] * x + m[4] * y + m[5]) / z,
                        )
                    };
                    let (c, t) = (project(0.0, 0.0), project(0.0, -1.0));
                    let edge = pejling_cards::detect::edge_on_top((
                        (t.0 - c.0) as f32,
                        (t.1 - c.1) as f32,
                    ));
                    if out.iter().any(|r| r.0 == card) {
                        twice.push(card);
                    }
                    out.push((card, pejling_cards::answer_for(card, edge)));
                }
                out.retain(|r| !twice.contains(&r.0));
                out
            }
        }
    }
}

const PER_ROW: usize = 8;

#[derive(Default, Clone, Copy)]
struct Tally {
    views: usize,
    read: usize,
    wrong: usize,
    side_sum: f32,
}

impl Tally {
    fn rate(&self) -> String {
        if self.views == 0 {
            return "–".into();
        }
        format!("{:.1} %", 100.0 * self.read as f32 / self.views as f32)
    }
}

fn camera(name: &str) -> Camera {
    if name == "1080" {
        Camera::HD1080
    } else {
        Camera::HD720
    }
}

fn cards_for(seed: u64) -> Vec<Card> {
    let all: Vec<Card> = Card::all().collect();
    let start = (seed as usize * PER_ROW) % all.len();
    (0..PER_ROW).map(|i| all[(start + i) % all.len()]).collect()
}

/// Reads one scene; adds its in-frame cards to `by_cell` and `by_size`, returns the
/// wrong readings and the time the reader took.
fn measure(reader: &mut Detector, scene: &Scene, cell: &mut Tally, by_size: &mut [Tally]) -> f64 {
    let (frame, truths) = render(scene);
    let start = Instant::now();
    let readings = reader.read(&frame.pixels);
    let took = start.elapsed().as_secs_f64() * 1000.0;
    for r in &readings {
        match truths.iter().find(|t| t.card == r.0) {
            Some(t) if t.answer == r.1 => {}
            _ => cell.wrong += 1,
        }
    }
    for t in truths.iter().filter(|t| t.in_frame) {
        let ok = readings.iter().any(|r| r.0 == t.card && r.1 == t.answer);
        for tally in [&mut *cell, &mut by_size[size_bin(t.side_px)]] {
            tally.views += 1;
            tally.read += ok as usize;
            tally.side_sum += t.side_px;
        }
    }
    took
}

const SIZE_BINS: [(f32, &str); 6] = [
    (20.0, "< 20 px"),
    (26.0, "20–26 px"),
    (40.0, "26–40 px"),
    (60.0, "40–60 px"),
    (100.0, "60–100 px"),
    (f32::MAX, "≥ 100 px"),
];

fn size_bin(side: f32) -> usize {
    SIZE_BINS.iter().position(|(hi, _)| side < *hi).unwrap()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("dump") {
        let cam = camera(&args[1]);
        let distance: f32 = args[2].parse().expect("distance");
        let seed: u64 = args[3].parse().expect("seed");
        // Shadow and glare unless a sixth argument says `still`.
        let shadow_glare = args.get(5).map(String::as_str) != Some("still");
        let conditions = Conditions {
            shadow_glare,
            ..Conditions::default()
        };
        let scene = classroom_row(cam, distance, PER_ROW, &cards_for(seed), conditions, seed);
        let (frame, truths) = render(&scene);
        std::fs::write(&args[4], frame.to_pgm()).expect("write");
        let mut reader = Reader::new(cam.width, cam.height);
        for t in &truths {
            println!(
                "truth {} {:?} side {:.0} px in frame {}",
                t.card.number(),
                t.answer,
                t.side_px,
                t.in_frame
            );
        }
        for r in reader.read(&frame.pixels) {
            println!("read  {} {:?}", r.card.number(), r.answer);
        }
        return;
    }
    if args.first().map(String::as_str) == Some("clutter") {
        // Which clutter frames gave a reading: cards-bench clutter 720|1080 FROM TO
        let cam = camera(&args[1]);
        let (from, to): (u64, u64) = (args[2].parse().expect("from"), args[3].parse().expect("to"));
        let mut reader = Reader::new(cam.width, cam.height);
        for seed in from..to {
            let (frame, _) = render(&clutter_only(cam, seed));
            for r in reader.read(&frame.pixels) {
                println!(
                    "clutter seed {seed}: read card {} {:?} at {:?}",
                    r.card.number(),
                    r.answer,
                    r.corners
                );
                std::fs::write(format!("clutter-{seed}.pgm"), frame.to_pgm()).expect("write");
            }
        }
        return;
    }
    let frames: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(20);
    let c = args.get(1).map(String::as_str) == Some("c");
    println!(
        "detector: {}",
        if c {
            "AprilTag C library"
        } else {
            "kornia-apriltag"
        }
    );
    let kinds: [(&str, Conditions); 4] = [
        ("still, no shadow or glare", Conditions::default()),
        (
            "still, shadow and glare",
            Conditions {
                shadow_glare: true,
                ..Default::default()
            },
        ),
        (
            "hand blur 2–6 px",
            Conditions {
                blur: Some((2.0, 6.0)),
                ..Default::default()
            },
        ),
        (
            "occluded 10–30 %",
            Conditions {
                occlusion: true,
                ..Default::default()
            },
        ),
    ];
    let mut total_wrong = 0;
    let mut total_views = 0;
    let mut times: Vec<(String, Vec<f64>)> = Vec::new();
    for (kind, conditions) in kinds {
        println!("\n### {kind}\n");
        println!("| distance | 720p read | 720p marker | 1080p read | 1080p marker |");
        println!("|---|---|---|---|---|");
        let mut sizes = [[Tally::default(); 6]; 2];
        let mut rows = Vec::new();
        for d in 2..=8 {
            let mut cells = [Tally::default(); 2];
            for (ci, cam_name) in ["720", "1080"].into_iter().enumerate() {
                let cam = camera(cam_name);
                let mut reader = Detector::new(c, cam);
                let mut t = Vec::new();
                for f in 0..frames {
                    let seed = (d as u64) << 32 | (ci as u64) << 24 | f;
                    let scene =
                        classroom_row(cam, d as f32, PER_ROW, &cards_for(seed), conditions, seed);
                    t.push(measure(&mut reader, &scene, &mut cells[ci], &mut sizes[ci]));
                }
                let key = format!("{cam_name}p");
                match times.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, v)) => v.extend(t),
                    None => times.push((key, t)),
                }
            }
            let side = |t: &Tally| t.side_sum / t.views.max(1) as f32;
            println!(
                "| {d} m | {} | {:.0} px | {} | {:.0} px |",
                cells[0].rate(),
                side(&cells[0]),
                cells[1].rate(),
                side(&cells[1])
            );
            rows.push(cells);
        }
        println!("\n| marker side | 720p read | views | 1080p read | views |");
        println!("|---|---|---|---|---|");
        for (i, (_, label)) in SIZE_BINS.iter().enumerate() {
            println!(
                "| {label} | {} | {} | {} | {} |",
                sizes[0][i].rate(),
                sizes[0][i].views,
                sizes[1][i].rate(),
                sizes[1][i].views
            );
        }
        let wrong: usize = rows.iter().flatten().map(|c| c.wrong).sum();
        let views: usize = rows.iter().flatten().map(|c| c.views).sum();
        let ge26: Tally =
            sizes
                .iter()
                .flat_map(|s| s[2..].iter())
                .fold(Tally::default(), |a, b| Tally {
                    views: a.views + b.views,
                    read: a.read + b.read,
                    ..a
                });
        let ge40: Tally =
            sizes
                .iter()
                .flat_map(|s| s[3..].iter())
                .fold(Tally::default(), |a, b| Tally {
                    views: a.views + b.views,
                    read: a.read + b.read,
                    ..a
                });
        println!(
            "\ncard views {views}, wrong readings {wrong}; marker ≥ 26 px: {}, ≥ 40 px: {}",
            ge26.rate(),
            ge40.rate()
        );
        total_wrong += wrong;
        total_views += views;
    }
    println!("\n### clutter only\n");
    let mut clutter_readings = 0;
    let mut clutter_frames = 0;
    for cam in [Camera::HD720, Camera::HD1080] {
        let mut reader = Detector::new(c, cam);
        for seed in 0..frames * 10 {
            let (frame, _) = render(&clutter_only(cam, 1_000_000 + seed));
            clutter_readings += reader.read(&frame.pixels).len();
            clutter_frames += 1;
        }
    }
    println!("clutter frames {clutter_frames}, readings {clutter_readings}");
    println!("\n### totals\n");
    println!(
        "card views {total_views} plus {clutter_frames} clutter frames; wrong readings {}",
        total_wrong + clutter_readings
    );
    for (k, mut v) in times {
        println!(
            "reader time per {k} frame: median {:.1} ms over {} frames",
            median(&mut v),
            v.len()
        );
    }
}

//! Reading cards in a camera frame with `kornia-apriltag` (pure Rust; it builds for the
//! server, not yet for wasm32: see docs/cards.md), and the rule that turns single-frame
//! readings into steady ones.

use std::collections::HashMap;

use kornia_apriltag::family::TagFamilyKind;
use kornia_apriltag::{AprilTagDecoder, DecodeTagsConfig};
use kornia_image::{Image, ImageSize};

use crate::{Answer, Card, Edge, answer_for};

/// One card seen in one frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    pub card: Card,
    pub edge: Edge,
    pub answer: Answer,
    /// The marker's corners in the image, to outline the card on the console's picture.
    pub corners: [(f32, f32); 4],
}

/// The most bits a reading may have corrected. Tag36h11 codes are at least 11 bits
/// apart, so two corrected bits leave 9 bits between any misread and another card.
pub const MAX_CORRECTED_BITS: u8 = 2;

pub struct Reader {
    decoder: AprilTagDecoder,
    size: ImageSize,
}

impl Reader {
    /// A reader for grey frames of `width` × `height` pixels.
    pub fn new(width: usize, height: usize) -> Reader {
        let size = ImageSize { width, height };
        let config =
            DecodeTagsConfig::new(vec![TagFamilyKind::Tag36H11]).expect("tag36h11 is built in");
        let decoder = AprilTagDecoder::new(config, size).expect("a valid frame size");
        Reader { decoder, size }
    }

    /// The cards in a grey frame (row by row, one byte a pixel). A card seen twice in
    /// one frame is left out: only a copied card or a misread can do that.
    pub fn read(&mut self, gray: &[u8]) -> Vec<Reading> {
        let image = Image::<u8, 1>::from_size_slice(self.size, gray).expect("frame size");
        let detections = self.decoder.decode(&image).unwrap_or_default();
        self.decoder.clear();
        let mut out: Vec<Reading> = Vec::new();
        let mut twice = Vec::new();
        for d in detections {
            if d.hamming > MAX_CORRECTED_BITS {
                continue;
            }
            let Some(card) = Card::from_tag_id(d.id) else {
                continue;
            };
            let corners = d.quad.corners.map(|c| (c.x, c.y));
            if !card_shaped(&corners) {
                continue;
            }
            // The corners are sorted in the image; the homography carries the decoded
            // orientation, so the printed top is found through it.
            let centre = d.quad.homography_project(0.0, 0.0);
            let top = d.quad.homography_project(0.0, -1.0);
            let edge = edge_on_top((top.x - centre.x, top.y - centre.y));
            if out.iter().any(|r| r.card == card) {
                twice.push(card);
            }
            out.push(Reading {
                card,
                edge,
                answer: answer_for(card, edge),
                corners,
            });
        }
        out.retain(|r| !twice.contains(&r.card));
        out
    }
}

/// A card tilted up to 35° (and seen in perspective) still shows its marker with no
/// side under half the longest. A thin sliver (the edge of a poster) that happens to
/// decode is not a card: the one wrong reading in 6,800 rendered clutter frames was one,
/// with sides of 9 and 26 px.
fn card_shaped(c: &[(f32, f32); 4]) -> bool {
    let sides: Vec<f32> = (0..4)
        .map(|i| {
            let (a, b) = (c[i], c[(i + 1) % 4]);
            ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
        })
        .collect();
    let longest = sides.iter().copied().fold(0.0, f32::max);
    sides.iter().all(|s| *s >= 0.5 * longest)
}

/// Which printed edge is on top, from the image direction from the marker's centre to
/// its printed top edge, in quarter turns clockwise from straight up.
pub fn edge_on_top(top: (f32, f32)) -> Edge {
    // 0 when the printed top points up the image (y grows downwards), growing clockwise.
    let angle = top.0.atan2(-top.1).to_degrees();
    let turns = ((angle / 90.0).round() as i32).rem_euclid(4) as u8;
    Edge::from_quarter_turns(turns)
}

/// Turns single-frame readings into steady answers: a card's answer counts once it has
/// been read the same way in `needed` frames in a row in which the card was seen. A
/// different answer starts the count again; the latest steady answer is kept.
pub struct Steady {
    needed: u32,
    streak: HashMap<Card, (Answer, u32)>,
    steady: HashMap<Card, Answer>,
}

impl Steady {
    pub fn new(needed: u32) -> Steady {
        Steady {
            needed: needed.max(1),
            streak: HashMap::new(),
            steady: HashMap::new(),
        }
    }

    /// Takes one frame's readings; returns the cards whose steady answer this frame set
    /// or changed.
    pub fn observe(&mut self, readings: &[Reading]) -> Vec<(Card, Answer)> {
        let mut changed = Vec::new();
        for r in readings {
            let entry = self.streak.entry(r.card).or_insert((r.answer, 0));
            if entry.0 == r.answer {
                entry.1 += 1;
            } else {
                *entry = (r.answer, 1);
            }
            if entry.1 >= self.needed && self.steady.get(&r.card) != Some(&r.answer) {
                self.steady.insert(r.card, r.answer);
                changed.push((r.card, r.answer));
            }
        }
        changed
    }

    /// Each card's steady answer so far.
    pub fn answers(&self) -> &HashMap<Card, Answer> {
        &self.steady
    }
}

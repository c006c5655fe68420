//! Paper answer cards (issue 26, step 1): the card model, a renderer of classroom camera
//! frames to measure detectors on, and the reader built on the chosen detector.
//!
//! A card is an A4 page with one AprilTag 36h11 marker. The marker says which card it is;
//! which of its edges is on top says the answer. The mapping from edge to answer differs
//! between cards, so a neighbour who knows the pattern still cannot read an answer from it.
//! See `docs/cards.md` for the model, the measurements and why this family and detector.

pub mod detect;
pub mod render;
pub mod rng;

pub use detect::{Reader, Reading, Steady};

/// How many cards a printed set has. Tag36h11 has 587 codes; using few of them makes a
/// misread code land on an unused id (which is dropped) rather than on another card.
pub const CARD_COUNT: u16 = 48;

/// Side of the marker's black square on the printed A4 page, in millimetres.
pub const MARKER_MM: f32 = 174.0;
/// The A4 page, in millimetres (portrait, as printed).
pub const PAGE_MM: (f32, f32) = (210.0, 297.0);
/// Modules across the marker including its white quiet ring (tag36h11: 6×6 data bits,
/// a black ring, a white ring). The black square is 8 modules.
pub const MARKER_MODULES: usize = 10;

/// A card of the printed set: 1..=[`CARD_COUNT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Card(u16);

impl Card {
    pub fn new(number: u16) -> Option<Card> {
        (1..=CARD_COUNT).contains(&number).then_some(Card(number))
    }
    pub fn number(self) -> u16 {
        self.0
    }
    /// Every card of the set, in order.
    pub fn all() -> impl Iterator<Item = Card> {
        (1..=CARD_COUNT).map(Card)
    }
    /// The tag36h11 id printed on this card. Id 0 is left out: it is the one every
    /// sample image and calibration board shows.
    pub fn tag_id(self) -> u16 {
        self.0
    }
    pub fn from_tag_id(id: u16) -> Option<Card> {
        Card::new(id)
    }
}

/// An answer given by holding a card with one of its edges on top.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Answer {
    A,
    B,
    C,
    D,
}

impl Answer {
    pub const ALL: [Answer; 4] = [Answer::A, Answer::B, Answer::C, Answer::D];
    pub fn letter(self) -> char {
        ['A', 'B', 'C', 'D'][self as usize]
    }
}

/// An edge of the card as printed (the card's number reads upright with `Top` on top).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Edge {
    Top,
    Right,
    Bottom,
    Left,
}

impl Edge {
    pub const ALL: [Edge; 4] = [Edge::Top, Edge::Right, Edge::Bottom, Edge::Left];
    /// Clockwise quarter turns of the card (as the camera sees it) that bring this edge
    /// to the top: the left edge comes up with one clockwise turn.
    pub fn quarter_turns(self) -> u8 {
        match self {
            Edge::Top => 0,
            Edge::Left => 1,
            Edge::Bottom => 2,
            Edge::Right => 3,
        }
    }
    pub fn from_quarter_turns(turns: u8) -> Edge {
        match turns % 4 {
            0 => Edge::Top,
            1 => Edge::Left,
            2 => Edge::Bottom,
            _ => Edge::Right,
        }
    }
}

/// The 24 ways to put the letters A–D on the four edges; a card uses one of them.
fn permutation(index: usize) -> [Answer; 4] {
    // Lehmer code: index -> permutation of the four answers, listed Top, Right, Bottom, Left.
    let mut pool: Vec<Answer> = Answer::ALL.to_vec();
    let mut rest = index % 24;
    let mut out = [Answer::A; 4];
    for (slot, radix) in out.iter_mut().zip([6usize, 2, 1, 1]) {
        *slot = pool.remove(rest / radix);
        rest %= radix;
    }
    out
}

/// The letters a card carries at its edges, listed for Top, Right, Bottom, Left.
/// Consecutive card numbers step 7 apart through the 24 arrangements (7 is coprime to
/// 24), so cards handed out side by side never share one, and each edge means A on a
/// quarter of the cards.
pub fn letters(card: Card) -> [Answer; 4] {
    permutation((card.number() as usize * 7 + 5) % 24)
}

/// The answer a card gives when `edge` is on top.
pub fn answer_for(card: Card, edge: Edge) -> Answer {
    letters(card)[edge as usize]
}

/// The edge to hold on top to give `answer` with `card`.
pub fn edge_for(card: Card, answer: Answer) -> Edge {
    let l = letters(card);
    Edge::ALL
        .into_iter()
        .find(|e| l[*e as usize] == answer)
        .expect("a permutation holds every answer")
}

/// The marker's modules, row by row from the printed top, `true` for black; includes
/// the white quiet ring. Built from the detector crate's own code table, so the renderer
/// and the print cannot disagree with what the reader decodes.
pub fn marker_modules(card: Card) -> [[bool; MARKER_MODULES]; MARKER_MODULES] {
    let family = kornia_apriltag::family::TagFamily::tag36_h11().expect("built-in family");
    let code = family.code_data[card.tag_id() as usize];
    let mut m = [[false; MARKER_MODULES]; MARKER_MODULES];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (1..=8).contains(&i) && (1..=8).contains(&j);
        }
    }
    for i in 0..family.nbits {
        // Bit i is the code's (nbits-1-i)th bit; a 1 is white. Coordinates count from
        // the black ring's outer corner, so +1 for the quiet ring.
        let white = (code >> (family.nbits - 1 - i)) & 1 == 1;
        let x = family.bit_x[i] as usize + 1;
        let y = family.bit_y[i] as usize + 1;
        m[y][x] = !white;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_card_has_each_answer_once_and_neighbours_differ() {
        let mut a_on = [0; 4];
        for card in Card::all() {
            let l = letters(card);
            for a in Answer::ALL {
                assert_eq!(l.iter().filter(|x| **x == a).count(), 1);
                assert_eq!(answer_for(card, edge_for(card, a)), a);
            }
            a_on[edge_for(card, Answer::A) as usize] += 1;
            if let Some(next) = Card::new(card.number() + 1) {
                assert_ne!(letters(card), letters(next));
            }
        }
        assert_eq!(a_on, [12, 12, 12, 12]);
    }

    #[test]
    fn cards_are_one_to_forty_eight() {
        assert!(Card::new(0).is_none());
        assert!(Card::new(CARD_COUNT + 1).is_none());
        assert_eq!(Card::all().count(), 48);
    }
}

//! A renderer of classroom camera frames with cards in them, to measure detectors on
//! (the model is described in `docs/cards.md`). Deterministic from a seed; pure Rust.
//!
//! The camera is a pinhole at the origin looking along +z (x right, y down, metres). Every
//! object is a flat rectangle in the room; a pixel is shaded by casting 2×2 rays through
//! it and intersecting them with the rectangles, so edges are antialiased and perspective
//! is exact. Light, shadow, glare, motion blur and sensor noise are then applied in the
//! image, in that order.

use crate::rng::Rng;
use crate::{Answer, Card, MARKER_MM, MARKER_MODULES, PAGE_MM, edge_for, marker_modules};

type V3 = [f32; 3];

/// A grey camera frame, row by row.
pub struct Frame {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl Frame {
    /// The frame as a binary PGM (to look at a render while tuning the model).
    pub fn to_pgm(&self) -> Vec<u8> {
        let mut out = format!("P5\n{} {}\n255\n", self.width, self.height).into_bytes();
        out.extend_from_slice(&self.pixels);
        out
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Camera {
    pub width: usize,
    pub height: usize,
    pub hfov_deg: f32,
}

impl Camera {
    pub const HD720: Camera = Camera {
        width: 1280,
        height: 720,
        hfov_deg: 70.0,
    };
    pub const HD1080: Camera = Camera {
        width: 1920,
        height: 1080,
        hfov_deg: 70.0,
    };
    pub fn focal(&self) -> f32 {
        self.width as f32 / 2.0 / (self.hfov_deg.to_radians() / 2.0).tan()
    }
    fn centre(&self) -> (f32, f32) {
        (self.width as f32 / 2.0, self.height as f32 / 2.0)
    }
    pub fn project(&self, p: V3) -> (f32, f32) {
        let f = self.focal();
        let (cx, cy) = self.centre();
        (cx + f * p[0] / p[2], cy + f * p[1] / p[2])
    }
    /// Half the width of the view at distance `z`, in metres.
    pub fn half_width_at(&self, z: f32) -> f32 {
        z * (self.hfov_deg.to_radians() / 2.0).tan()
    }
    pub fn half_height_at(&self, z: f32) -> f32 {
        self.half_width_at(z) * self.height as f32 / self.width as f32
    }
}

/// A card held up in the room. The answer decides which edge is on top; `roll_deg` is
/// how crooked it is held on top of that, `tilt_deg` how far it is turned away from
/// facing the camera (about an axis in the card's plane at `tilt_dir_deg`).
#[derive(Clone, Copy, Debug)]
pub struct CardPose {
    pub card: Card,
    pub answer: Answer,
    pub centre: V3,
    pub tilt_deg: f32,
    pub tilt_dir_deg: f32,
    pub roll_deg: f32,
}

/// Things in a classroom that are not cards but have edges, corners and contrast.
#[derive(Clone, Debug)]
pub enum Clutter {
    /// A face: a skin-toned oval with hair, eyes and a mouth, facing the camera.
    Face { centre: V3, height: f32 },
    /// A chequered shirt: squares of `square` metres, turned by `roll_deg`.
    Shirt {
        centre: V3,
        size: (f32, f32),
        square: f32,
        roll_deg: f32,
    },
    /// A poster with a grid of dark squares (a calendar, a periodic table).
    GridPoster {
        centre: V3,
        size: (f32, f32),
        cells: usize,
        roll_deg: f32,
    },
    /// A poster of random black and white blocks (QR-like art): the hardest clutter,
    /// since each block pattern inside a dark frame is a candidate marker.
    BlockPoster {
        centre: V3,
        size: (f32, f32),
        cells: usize,
        seed: u64,
    },
}

/// A hand or a head in front of a card, drawn as a skin-toned oval in the image.
#[derive(Clone, Copy, Debug)]
pub struct Occluder {
    pub x: f32,
    pub y: f32,
    pub rx: f32,
    pub ry: f32,
}

#[derive(Clone, Copy, Debug)]
pub struct Shadow {
    /// Unit normal of the shadow's edge in the image, and its offset along it, pixels.
    pub normal: (f32, f32),
    pub offset: f32,
    /// How much light the shadow takes away (0..1) and how soft its edge is (pixels).
    pub depth: f32,
    pub softness: f32,
}

#[derive(Clone, Copy, Debug)]
pub struct Glare {
    pub x: f32,
    pub y: f32,
    pub radius: f32,
    /// Added light at the centre, as a share of white paper's brightness.
    pub strength: f32,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Effects {
    /// Exposure: white paper in full light comes out as `0.8 * gain * 255`.
    pub gain: f32,
    pub shadow: Option<Shadow>,
    pub glare: Option<Glare>,
    /// Linear motion blur: length in pixels and direction in degrees.
    pub blur: Option<(f32, f32)>,
    /// Sensor noise, standard deviation in grey levels.
    pub noise: f32,
}

pub struct Scene {
    pub camera: Camera,
    pub cards: Vec<CardPose>,
    pub clutter: Vec<Clutter>,
    pub occluders: Vec<Occluder>,
    pub effects: Effects,
    pub seed: u64,
}

/// Where a card landed in the frame.
#[derive(Clone, Copy, Debug)]
pub struct Truth {
    pub card: Card,
    pub answer: Answer,
    /// The black square's corners in the image (printed top-left, top-right,
    /// bottom-right, bottom-left).
    pub corners: [(f32, f32); 4],
    /// Mean side of the black square in pixels.
    pub side_px: f32,
    /// Whole card inside the frame.
    pub in_frame: bool,
}

const PAPER: f32 = 0.8;
const INK: f32 = 0.07;
const SKIN: f32 = 0.55;

fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
fn scale(a: V3, s: f32) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}
fn dot(a: V3, b: V3) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
/// Rodrigues' rotation of `v` about the unit `axis`.
fn rotate(v: V3, axis: V3, angle: f32) -> V3 {
    let (s, c) = angle.sin_cos();
    add(
        add(scale(v, c), scale(cross(axis, v), s)),
        scale(axis, dot(axis, v) * (1.0 - c)),
    )
}

enum Texture {
    Card {
        modules: Box<[[bool; MARKER_MODULES]; MARKER_MODULES]>,
        number: u16,
    },
    Face,
    Checker {
        square: f32,
    },
    Grid {
        cells: usize,
    },
    Blocks {
        cells: usize,
        bits: Vec<bool>,
    },
}

/// A rectangle in the room: centre, unit axes along its printed right and down, half
/// extents in metres.
struct Surface {
    centre: V3,
    u: V3,
    v: V3,
    half: (f32, f32),
    texture: Texture,
}

/// Seven-segment digits: the card's number is drawn as bars (a stand-in for the printed
/// numerals, with the same kind of dark strokes under the marker).
const SEGMENTS: [u8; 10] = [
    0b0111111, 0b0000110, 0b1011011, 0b1001111, 0b1100110, 0b1101101, 0b1111101, 0b0000111,
    0b1111111, 0b1101111,
];

fn digit_ink(d: u16, x: f32, y: f32) -> bool {
    // x in 0..1, y in 0..2 (a digit cell), bars 0.18 thick.
    let t = 0.18;
    let s = SEGMENTS[d as usize];
    let horiz = |yc: f32| x > t && x < 1.0 - t && (y - yc).abs() < t / 2.0;
    let vert = |xc: f32, y0: f32| (x - xc).abs() < t / 2.0 && y > y0 && y < y0 + 1.0;
    (s & 1 != 0 && horiz(0.0 + t / 2.0))
        || (s & 2 != 0 && vert(1.0 - t / 2.0, 0.0))
        || (s & 4 != 0 && vert(1.0 - t / 2.0, 1.0))
        || (s & 8 != 0 && horiz(2.0 - t / 2.0))
        || (s & 16 != 0 && vert(t / 2.0, 1.0))
        || (s & 32 != 0 && vert(t / 2.0, 0.0))
        || (s & 64 != 0 && horiz(1.0))
}

impl Surface {
    /// Albedo at local (x right, y down) metres from the centre; `None` where the
    /// rectangle is not there (outside a face's oval).
    fn albedo(&self, x: f32, y: f32) -> Option<f32> {
        let (hw, hh) = self.half;
        match &self.texture {
            Texture::Card { modules, number } => {
                // Millimetres from the page's top-left corner.
                let (px, py) = ((x + hw) * 1000.0, (y + hh) * 1000.0);
                let module = MARKER_MM / 8.0;
                let left = (PAGE_MM.0 - MARKER_MM) / 2.0 - module;
                let top = (PAGE_MM.0 - MARKER_MM) / 2.0 - module;
                let (mx, my) = ((px - left) / module, (py - top) / module);
                if (0.0..MARKER_MODULES as f32).contains(&mx)
                    && (0.0..MARKER_MODULES as f32).contains(&my)
                {
                    let black = modules[my as usize][mx as usize];
                    return Some(if black { INK } else { PAPER });
                }
                // The number, two digits 22 mm wide, under the marker.
                let (nx, ny) = (
                    px - (PAGE_MM.0 / 2.0 - 25.0),
                    py - (top + 10.0 * module + 15.0),
                );
                if (0.0..50.0).contains(&nx) && (0.0..44.0).contains(&ny) {
                    let d = if nx < 25.0 { number / 10 } else { number % 10 };
                    let cx = (nx % 25.0) / 22.0;
                    if cx < 1.0 && digit_ink(d, cx, ny / 22.0) {
                        return Some(INK);
                    }
                }
                Some(PAPER)
            }
            Texture::Face => {
                let (nx, ny) = (x / hw, y / hh);
                let r2 = nx * nx + ny * ny;
                if r2 > 1.0 {
                    return None;
                }
                let eye = |ex: f32| (nx - ex).powi(2) + (ny + 0.15).powi(2) < 0.018;
                if ny < -0.55 || eye(-0.35) || eye(0.35) {
                    Some(0.12) // hair, eyes
                } else if ny > 0.4 && ny < 0.5 && nx.abs() < 0.3 {
                    Some(0.25) // mouth
                } else {
                    Some(SKIN)
                }
            }
            Texture::Checker { square } => {
                let i = ((x + hw) / square) as i32 + ((y + hh) / square) as i32;
                Some(if i % 2 == 0 { 0.12 } else { 0.7 })
            }
            Texture::Grid { cells } => {
                let c = (2.0 * hw) / *cells as f32;
                let (fx, fy) = (((x + hw) / c).fract(), ((y + hh) / c).fract());
                let inner = fx > 0.15 && fx < 0.85 && fy > 0.15 && fy < 0.85;
                Some(if inner { INK } else { PAPER })
            }
            Texture::Blocks { cells, bits } => {
                let c = (2.0 * hw) / *cells as f32;
                let (i, j) = (((y + hh) / c) as usize, ((x + hw) / c) as usize);
                let b = bits[(i.min(cells - 1)) * cells + j.min(cells - 1)];
                Some(if b { INK } else { PAPER })
            }
        }
    }
}

fn upright(centre: V3, size: (f32, f32), roll_deg: f32, texture: Texture) -> Surface {
    let r = roll_deg.to_radians();
    Surface {
        centre,
        u: [r.cos(), r.sin(), 0.0],
        v: [-r.sin(), r.cos(), 0.0],
        half: (size.0 / 2.0, size.1 / 2.0),
        texture,
    }
}

fn card_surface(pose: &CardPose) -> Surface {
    let turns = edge_for(pose.card, pose.answer).quarter_turns() as f32;
    // Clockwise on the screen is from +x towards +y (y points down).
    let roll = (turns * 90.0 + pose.roll_deg).to_radians();
    let (mut u, mut v) = (
        [roll.cos(), roll.sin(), 0.0],
        [-roll.sin(), roll.cos(), 0.0],
    );
    let d = pose.tilt_dir_deg.to_radians();
    let axis = [d.cos(), d.sin(), 0.0];
    u = rotate(u, axis, pose.tilt_deg.to_radians());
    v = rotate(v, axis, pose.tilt_deg.to_radians());
    Surface {
        centre: pose.centre,
        u,
        v,
        half: (PAGE_MM.0 / 2000.0, PAGE_MM.1 / 2000.0),
        texture: Texture::Card {
            modules: Box::new(marker_modules(pose.card)),
            number: pose.card.number(),
        },
    }
}

fn clutter_surface(c: &Clutter) -> Surface {
    match c {
        Clutter::Face { centre, height } => {
            upright(*centre, (height * 0.75, *height), 0.0, Texture::Face)
        }
        Clutter::Shirt {
            centre,
            size,
            square,
            roll_deg,
        } => upright(
            *centre,
            *size,
            *roll_deg,
            Texture::Checker { square: *square },
        ),
        Clutter::GridPoster {
            centre,
            size,
            cells,
            roll_deg,
        } => upright(*centre, *size, *roll_deg, Texture::Grid { cells: *cells }),
        Clutter::BlockPoster {
            centre,
            size,
            cells,
            seed,
        } => {
            let mut rng = Rng::new(*seed);
            let bits = (0..cells * cells).map(|_| rng.chance(0.5)).collect();
            upright(
                *centre,
                *size,
                0.0,
                Texture::Blocks {
                    cells: *cells,
                    bits,
                },
            )
        }
    }
}

impl Surface {
    fn corner(&self, sx: f32, sy: f32) -> V3 {
        add(
            self.centre,
            add(
                scale(self.u, sx * self.half.0),
                scale(self.v, sy * self.half.1),
            ),
        )
    }

    /// Draws the rectangle over `img` (linear light, painter's order).
    fn draw(&self, cam: &Camera, img: &mut [f32]) {
        let corners = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
            .map(|(sx, sy)| cam.project(self.corner(sx, sy)));
        let x0 = corners
            .iter()
            .map(|c| c.0)
            .fold(f32::MAX, f32::min)
            .floor()
            .max(0.0) as usize;
        let y0 = corners
            .iter()
            .map(|c| c.1)
            .fold(f32::MAX, f32::min)
            .floor()
            .max(0.0) as usize;
        let x1 =
            (corners.iter().map(|c| c.0).fold(f32::MIN, f32::max).ceil() as usize).min(cam.width);
        let y1 =
            (corners.iter().map(|c| c.1).fold(f32::MIN, f32::max).ceil() as usize).min(cam.height);
        let normal = cross(self.u, self.v);
        let pn = dot(self.centre, normal);
        let f = cam.focal();
        let (cx, cy) = cam.centre();
        for y in y0..y1 {
            for x in x0..x1 {
                let (mut covered, mut sum) = (0u32, 0.0f32);
                for (ox, oy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                    let ray = [(x as f32 + ox - cx) / f, (y as f32 + oy - cy) / f, 1.0];
                    let t = pn / dot(ray, normal);
                    if t.is_nan() || t <= 0.0 {
                        continue;
                    }
                    let rel = add(scale(ray, t), scale(self.centre, -1.0));
                    let (lx, ly) = (dot(rel, self.u), dot(rel, self.v));
                    if lx.abs() > self.half.0 || ly.abs() > self.half.1 {
                        continue;
                    }
                    if let Some(a) = self.albedo(lx, ly) {
                        covered += 1;
                        sum += a;
                    }
                }
                if covered > 0 {
                    let p = &mut img[y * cam.width + x];
                    let c = covered as f32 / 4.0;
                    *p = *p * (1.0 - c) + sum / 4.0;
                }
            }
        }
    }
}

/// Renders the scene: the frame and where each card landed.
pub fn render(scene: &Scene) -> (Frame, Vec<Truth>) {
    let cam = scene.camera;
    let (w, h) = (cam.width, cam.height);
    let mut rng = Rng::new(scene.seed);
    // The back wall: a gradient with a few darker and lighter panels (desks, a window
    // frame, a cupboard).
    let mut img = vec![0.0f32; w * h];
    let top = rng.range(0.35, 0.6);
    let bottom = rng.range(0.25, 0.5);
    for y in 0..h {
        let v = top + (bottom - top) * y as f32 / h as f32;
        img[y * w..(y + 1) * w].fill(v);
    }
    for _ in 0..6 {
        let (px, py) = (rng.below(w), rng.below(h));
        let (pw, ph) = (rng.below(w / 3) + 10, rng.below(h / 3) + 10);
        let tone = rng.range(0.1, 0.85);
        for y in py..(py + ph).min(h) {
            img[y * w + px..y * w + (px + pw).min(w)].fill(tone);
        }
    }
    // Far to near, so nearer things cover farther ones.
    let mut surfaces: Vec<Surface> = scene
        .clutter
        .iter()
        .map(clutter_surface)
        .chain(scene.cards.iter().map(card_surface))
        .collect();
    surfaces.sort_by(|a, b| b.centre[2].total_cmp(&a.centre[2]));
    for s in &surfaces {
        s.draw(&cam, &mut img);
    }
    for o in &scene.occluders {
        let (x0, x1) = (
            (o.x - o.rx).max(0.0) as usize,
            ((o.x + o.rx) as usize).min(w),
        );
        let (y0, y1) = (
            (o.y - o.ry).max(0.0) as usize,
            ((o.y + o.ry) as usize).min(h),
        );
        for y in y0..y1 {
            for x in x0..x1 {
                let (dx, dy) = ((x as f32 + 0.5 - o.x) / o.rx, (y as f32 + 0.5 - o.y) / o.ry);
                if dx * dx + dy * dy <= 1.0 {
                    img[y * w + x] = SKIN;
                }
            }
        }
    }
    let e = &scene.effects;
    let gain = if e.gain > 0.0 { e.gain } else { 1.0 };
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            let mut light = gain;
            if let Some(s) = e.shadow {
                let d = (fx * s.normal.0 + fy * s.normal.1 - s.offset) / s.softness.max(0.5);
                light *= 1.0 - s.depth * (0.5 + 0.5 * d.clamp(-1.0, 1.0));
            }
            let p = &mut img[y * w + x];
            *p *= light;
            if let Some(g) = e.glare {
                let r2 = ((fx - g.x).powi(2) + (fy - g.y).powi(2)) / (g.radius * g.radius);
                *p += g.strength * PAPER * (-r2).exp();
            }
        }
    }
    if let Some((len, angle)) = e.blur.filter(|b| b.0 >= 1.0) {
        let n = len.round() as i32 + 1;
        let (dx, dy) = (angle.to_radians().cos(), angle.to_radians().sin());
        let taps: Vec<(i32, i32)> = (0..n)
            .map(|i| {
                let t = i as f32 - (n - 1) as f32 / 2.0;
                ((t * dx).round() as i32, (t * dy).round() as i32)
            })
            .collect();
        let src = img.clone();
        for y in 0..h as i32 {
            for x in 0..w as i32 {
                let mut s = 0.0;
                for (ox, oy) in &taps {
                    let sx = (x + ox).clamp(0, w as i32 - 1) as usize;
                    let sy = (y + oy).clamp(0, h as i32 - 1) as usize;
                    s += src[sy * w + sx];
                }
                img[y as usize * w + x as usize] = s / n as f32;
            }
        }
    }
    let pixels = img
        .iter()
        .map(|v| {
            (v * 255.0 + e.noise * rng.normal())
                .round()
                .clamp(0.0, 255.0) as u8
        })
        .collect();
    let truths = scene
        .cards
        .iter()
        .map(|pose| {
            let s = card_surface(pose);
            let hh = s.half.1;
            // The black square's corners in the page's local metres.
            let m = MARKER_MM / 2000.0;
            let top = ((PAGE_MM.0 - MARKER_MM) / 2.0) / 1000.0 - hh;
            let local = [(-m, top), (m, top), (m, top + 2.0 * m), (-m, top + 2.0 * m)];
            let corners =
                local.map(|(x, y)| cam.project(add(s.centre, add(scale(s.u, x), scale(s.v, y)))));
            let side_px = (0..4)
                .map(|i| {
                    let (a, b) = (corners[i], corners[(i + 1) % 4]);
                    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
                })
                .sum::<f32>()
                / 4.0;
            let in_frame = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
                .map(|(sx, sy)| cam.project(s.corner(sx, sy)))
                .iter()
                .all(|&(x, y)| x >= 0.0 && y >= 0.0 && x < w as f32 && y < h as f32);
            Truth {
                card: pose.card,
                answer: pose.answer,
                corners,
                side_px,
                in_frame,
            }
        })
        .collect();
    (
        Frame {
            width: w,
            height: h,
            pixels,
        },
        truths,
    )
}

/// What a generated classroom frame may contain besides still, well-lit cards.
#[derive(Clone, Copy, Debug, Default)]
pub struct Conditions {
    /// A shadow edge across each frame and window glare on one of the cards.
    pub shadow_glare: bool,
    /// Hand blur: length range in pixels.
    pub blur: Option<(f32, f32)>,
    /// A hand or head covering part of each card's marker.
    pub occlusion: bool,
}

/// `n` pupils holding cards up at `distance` metres (±0.3 m), with faces under
/// the cards, a chequered shirt or two and posters on the wall behind; cards tilted up
/// to 35°, turned up to 20° in the picture, each answering at random.
pub fn classroom_row(
    camera: Camera,
    distance: f32,
    n: usize,
    cards: &[Card],
    conditions: Conditions,
    seed: u64,
) -> Scene {
    let mut rng = Rng::new(seed);
    let mut poses = Vec::new();
    let mut clutter = Vec::new();
    let hw = camera.half_width_at(distance);
    let hh = camera.half_height_at(distance);
    // Pupils sit at least 0.42 m apart; those that do not fit in one row sit in the
    // rows above and below in the picture (the room's rows, seen from the front).
    let cols = ((1.6 * hw / 0.42) as usize).clamp(1, n.max(1));
    let rows = n.div_ceil(cols);
    let spacing = 1.6 * hw / cols as f32;
    let row_gap = (1.4 * hh / rows as f32).min(0.45);
    for (i, card) in cards.iter().take(n).enumerate() {
        let (col, row) = (i % cols, i / cols);
        let z = distance + rng.range(-0.3, 0.3);
        let x = -0.8 * hw + spacing * (col as f32 + 0.5) + rng.range(-0.05, 0.05) * spacing;
        let y = (row as f32 - (rows - 1) as f32 / 2.0) * row_gap - 0.2 * hh.min(1.0)
            + rng.range(-0.05, 0.05);
        let answer = Answer::ALL[rng.below(4)];
        poses.push(CardPose {
            card: *card,
            answer,
            centre: [x, y, z],
            tilt_deg: rng.range(0.0, 35.0),
            tilt_dir_deg: rng.range(0.0, 360.0),
            roll_deg: rng.range(-20.0, 20.0),
        });
        if rng.chance(0.6) {
            clutter.push(Clutter::Face {
                centre: [x, y + 0.33, distance + 0.35],
                height: 0.23,
            });
        }
        if rng.chance(0.3) {
            clutter.push(Clutter::Shirt {
                centre: [x, y + 0.75, distance + 0.4],
                size: (0.4, 0.5),
                square: rng.range(0.015, 0.05),
                roll_deg: rng.range(-10.0, 10.0),
            });
        }
    }
    let wall = distance + 1.5;
    clutter.extend(wall_clutter(camera, wall, &mut rng));
    let effects = effects_for(camera, conditions, &poses, &mut rng);
    let occluders = if conditions.occlusion {
        poses
            .iter()
            .map(|p| {
                let (cx, cy) = camera.project(p.centre);
                let side = camera.focal() * MARKER_MM / 1000.0 / p.centre[2];
                let a = rng.range(0.0, std::f32::consts::TAU);
                // A hand-sized oval reaching in from outside, over 10–30 % of the marker.
                Occluder {
                    x: cx + a.cos() * side * rng.range(0.55, 0.75),
                    y: cy + a.sin() * side * rng.range(0.55, 0.75),
                    rx: side * 0.35,
                    ry: side * 0.25,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    Scene {
        camera,
        cards: poses,
        clutter,
        occluders,
        effects,
        seed: rng.next_u64(),
    }
}

fn wall_clutter(camera: Camera, wall: f32, rng: &mut Rng) -> Vec<Clutter> {
    let (hw, hh) = (camera.half_width_at(wall), camera.half_height_at(wall));
    let mut out = Vec::new();
    for _ in 0..3 {
        let centre = [rng.range(-hw, hw), rng.range(-hh, hh), wall];
        out.push(match rng.below(3) {
            0 => Clutter::GridPoster {
                centre,
                size: (rng.range(0.5, 1.0), rng.range(0.5, 1.0)),
                cells: 4 + rng.below(9),
                roll_deg: rng.range(-3.0, 3.0),
            },
            1 => Clutter::BlockPoster {
                centre,
                size: (0.6, 0.6),
                cells: 8 + rng.below(8),
                seed: rng.next_u64(),
            },
            _ => Clutter::Shirt {
                centre,
                size: (0.5, 0.6),
                square: rng.range(0.02, 0.06),
                roll_deg: rng.range(-15.0, 15.0),
            },
        });
    }
    out
}

fn effects_for(camera: Camera, c: Conditions, poses: &[CardPose], rng: &mut Rng) -> Effects {
    let mut e = Effects {
        gain: rng.range(0.75, 1.1),
        noise: rng.range(1.0, 4.0),
        ..Effects::default()
    };
    if c.shadow_glare && !poses.is_empty() {
        let p = poses[rng.below(poses.len())];
        let (x, y) = camera.project(p.centre);
        let a = rng.range(0.0, std::f32::consts::TAU);
        let normal = (a.cos(), a.sin());
        let side = camera.focal() * MARKER_MM / 1000.0 / p.centre[2];
        e.shadow = Some(Shadow {
            normal,
            offset: x * normal.0 + y * normal.1 + rng.range(-0.3, 0.3) * side,
            depth: rng.range(0.3, 0.6),
            softness: rng.range(2.0, 0.3 * side + 3.0),
        });
        let q = poses[rng.below(poses.len())];
        let (gx, gy) = camera.project(q.centre);
        e.glare = Some(Glare {
            x: gx + rng.range(-0.4, 0.4) * side,
            y: gy + rng.range(-0.4, 0.4) * side,
            radius: side * rng.range(0.15, 0.4),
            strength: rng.range(0.2, 0.6),
        });
    }
    if let Some((lo, hi)) = c.blur {
        e.blur = Some((rng.range(lo, hi), rng.range(0.0, 180.0)));
    }
    e
}

/// A frame with no card: faces, shirts and posters at 1.5–9 m.
pub fn clutter_only(camera: Camera, seed: u64) -> Scene {
    let mut rng = Rng::new(seed);
    let mut clutter = Vec::new();
    for _ in 0..8 {
        let z = rng.range(1.5, 8.0);
        let (hw, hh) = (camera.half_width_at(z), camera.half_height_at(z));
        let centre = [rng.range(-hw, hw), rng.range(-hh, hh), z];
        clutter.push(match rng.below(4) {
            0 => Clutter::Face {
                centre,
                height: 0.23,
            },
            1 => Clutter::Shirt {
                centre,
                size: (0.4, 0.5),
                square: rng.range(0.015, 0.06),
                roll_deg: rng.range(-20.0, 20.0),
            },
            2 => Clutter::GridPoster {
                centre,
                size: (rng.range(0.4, 1.0), rng.range(0.4, 1.0)),
                cells: 3 + rng.below(10),
                roll_deg: rng.range(-20.0, 20.0),
            },
            _ => Clutter::BlockPoster {
                centre,
                size: (0.6, 0.6),
                cells: 6 + rng.below(10),
                seed: rng.next_u64(),
            },
        });
    }
    clutter.extend(wall_clutter(camera, 9.0, &mut rng));
    let conditions = Conditions {
        shadow_glare: false,
        blur: rng.chance(0.3).then_some((1.0, 5.0)),
        occlusion: false,
    };
    let effects = effects_for(camera, conditions, &[], &mut rng);
    Scene {
        camera,
        cards: Vec::new(),
        clutter,
        occluders: Vec::new(),
        effects,
        seed: rng.next_u64(),
    }
}

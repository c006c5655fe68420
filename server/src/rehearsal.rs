//! Rehearsals: *Øv med 25 elever*. A rehearsal session gets simulated pupils, so a
//! consultant can click through a whole lesson alone the day before. Each pupil is a
//! participant of the session like a phone — a connection of its own that joins, gets
//! the participant state and submits answers through the same engine events — with a
//! token derived from the session and its number (so a restart brings the same pupils
//! back). When a question opens, each pupil answers once after a short, random pause,
//! with plausible spreads: choices and scale points by weights drawn per question (the
//! first option, usually the behaviour asked about, less often), and guesses of a share
//! that mostly overestimate it, as classes do.
//!
//! The session itself is marked (`SessionMeta::rehearsal`): the pages say so, and it is
//! never exported, linked to a parents' session or counted later (`report::exportable`,
//! `hub.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use pejling_core::engine::Event;
use pejling_wire::{Answer, Phase, QuestionKindView, QuestionView, ServerMessage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::app::App;
use crate::hub::{OUTBOX_CAPACITY, Outbox, SessionHandle};

/// Simulated pupils in a rehearsal.
pub const PUPILS: usize = 25;

/// The longest pause before a simulated pupil answers an opened question.
const MAX_PAUSE: Duration = Duration::from_millis(4000);

/// Starts the simulated pupils of a rehearsal session; they leave when it ends or the
/// server stops.
pub fn start(app: Arc<App>, session: SessionHandle) {
    tokio::spawn(run(app, session));
}

/// A number from the session id and `salt`, so every choice of a rehearsal can be made
/// again the same way.
fn seed(session_id: &str, salt: &str) -> u64 {
    let digest = Sha256::digest(format!("{session_id}\u{0}{salt}").as_bytes());
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// A plausible answer of pupil `pupil` to `question`.
fn answer(session_id: &str, pupil: usize, question: &QuestionView) -> Answer {
    // What the class as a whole is like: one draw per question.
    let mut class = StdRng::seed_from_u64(seed(session_id, &question.id));
    let mut rng = StdRng::seed_from_u64(seed(session_id, &format!("{}/{pupil}", question.id)));
    if !question.abstain.is_empty() && rng.random_bool(0.04) {
        return Answer::Abstain { option: 0 };
    }
    let weighted = |n: usize, class: &mut StdRng, rng: &mut StdRng| -> u32 {
        // The first option is usually the behaviour asked about ("Ja"), which most
        // classes' majority does not do: it weighs less, so a rehearsal tends to show
        // the usual finding, guesses above the class's real share.
        let weights: Vec<f64> = (0..n)
            .map(|index| {
                if index == 0 {
                    class.random_range(0.05..0.45)
                } else {
                    class.random_range(0.4..1.0)
                }
            })
            .collect();
        let mut point = rng.random_range(0.0..weights.iter().sum::<f64>());
        for (index, weight) in weights.iter().enumerate() {
            if point < *weight {
                return index as u32;
            }
            point -= weight;
        }
        n.saturating_sub(1) as u32
    };
    match &question.kind {
        QuestionKindView::Choice { options } => Answer::Choice {
            option: weighted(options.len(), &mut class, &mut rng),
        },
        QuestionKindView::Scale { points } => Answer::Scale {
            point: weighted(points.len(), &mut class, &mut rng),
        },
        QuestionKindView::Percent => {
            // Guesses of a share scatter widely around a centre that is often too high.
            let centre: f64 = class.random_range(20.0..65.0);
            let guess = centre + rng.random_range(-25.0..25.0);
            Answer::Percent {
                value: guess.clamp(0.0, 100.0).round() as u32,
            }
        }
        QuestionKindView::Number { min, max, .. } => {
            let (min, max) = (*min as f64, *max as f64);
            let centre = min + (max - min) * class.random_range(0.3..0.7);
            let spread = (max - min) / 6.0;
            let value = centre + rng.random_range(-spread..=spread);
            Answer::Number {
                value: value.clamp(min, max).round() as i64,
            }
        }
    }
}

async fn run(app: Arc<App>, session: SessionHandle) {
    let mut shutdown = app.shutdown_signal();
    let (inbound, mut messages) = mpsc::channel::<(usize, ServerMessage)>(OUTBOX_CAPACITY);
    let mut conns = Vec::with_capacity(PUPILS);
    for pupil in 0..PUPILS {
        let conn = app.next_conn_id();
        session.connect(conn, Outbox::forwarding(inbound.clone(), pupil), None);
        let token = app
            .hub
            .secrets
            .clicker_token(&session.id, &format!("rehearsal:{pupil}"));
        session.event(Event::Join {
            conn,
            token: Some(token.clone()),
            fresh_token: token,
            clicker: false,
            may_create: true,
        });
        conns.push(conn);
    }
    drop(inbound);
    // The question each pupil has answered or will answer, so a repeated state (after a
    // reveal, say) does not make it answer twice.
    let mut answering: HashMap<usize, String> = HashMap::new();
    loop {
        let (pupil, message) = tokio::select! {
            message = messages.recv() => match message {
                Some(message) => message,
                None => break,
            },
            _ = shutdown.changed() => break,
        };
        let ServerMessage::State(state) = message else {
            continue;
        };
        if state.phase == Phase::Ended {
            break;
        }
        let Some(question) = state.question.filter(|_| state.phase == Phase::Open) else {
            continue;
        };
        if state.answered || answering.get(&pupil) == Some(&question.id) {
            continue;
        }
        answering.insert(pupil, question.id.clone());
        let given = answer(&session.id, pupil, &question);
        let pause = MAX_PAUSE.mul_f64(
            StdRng::seed_from_u64(seed(&session.id, &format!("pause/{}/{pupil}", question.id)))
                .random_range(0.1..1.0),
        );
        let (session, conn) = (session.clone(), conns[pupil]);
        tokio::spawn(async move {
            tokio::time::sleep(pause).await;
            session.event(Event::Submit {
                conn,
                question_id: question.id,
                answer: given,
            });
        });
    }
    for conn in conns {
        session.event(Event::Leave { conn });
    }
}

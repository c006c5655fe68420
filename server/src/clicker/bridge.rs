//! Bridge protocol v1: short, versioned UTF-8 lines between the server and a clicker
//! bridge (a micro:bit receiver on a serial port, a program on a loopback TCP socket, or
//! a child process). Parsing and formatting only; `clicker.rs` runs bridges. The grammar
//! is in `docs/protocol.md`, "Bridge protocol".
//!
//! Nothing a bridge sends is fatal: every line that does not parse becomes an `ERR` reply
//! and a count, and the bridge carries on.

use std::fmt;

use pejling_wire::{Answer, QuestionKindView, QuestionView};

/// Every line starts with this version tag.
pub const VERSION_TAG: &str = "PJ1";
/// Longest line accepted, in bytes (without the newline).
pub const MAX_LINE: usize = 128;
/// Longest device id; ids are namespaced by family (`mb:…`).
pub const MAX_DEVICE: usize = 32;
/// Percent questions answered from a clicker go in steps of this size.
pub const PERCENT_STEP: i64 = 10;

/// A line from a bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromBridge {
    /// `PJ1 HELLO <family> [<name>] [<code>]`
    Hello {
        family: String,
        name: Option<String>,
        code: Option<String>,
    },
    /// `PJ1 VOTE <device> <seq> <question> <answer>`
    Vote(Vote),
    /// `PJ1 PONG <n>`
    Pong(u64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    pub device: String,
    pub seq: u32,
    /// The 1-based question number from the `OPEN` the device saw.
    pub question: u32,
    pub answer: AnswerToken,
}

/// What a clicker sends: an index or value, or an abstain label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerToken {
    /// An option or scale point (0-based), or a percent or number value.
    Value(i64),
    /// `X<i>`: the i-th abstain label ("Vil ikke svare", "Ved ikke").
    Abstain(u32),
}

/// Why a line was not understood; sent back as `PJ1 ERR <code> <text>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub code: &'static str,
    pub text: String,
}

impl LineError {
    fn new(code: &'static str, text: impl Into<String>) -> Self {
        LineError {
            code,
            text: text.into(),
        }
    }
}

/// Acknowledgement of one vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckStatus {
    /// Stored (committed) and counted.
    Ok,
    /// This sequence number (or a later one) was already handled; nothing changed.
    Duplicate,
    /// The question is not open (or the vote names another question).
    Closed,
    /// The answer does not fit the open question.
    Invalid,
}

impl AckStatus {
    pub fn word(self) -> &'static str {
        match self {
            AckStatus::Ok => "OK",
            AckStatus::Duplicate => "DUP",
            AckStatus::Closed => "CLOSED",
            AckStatus::Invalid => "INVALID",
        }
    }
}

/// A line to a bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToBridge {
    Welcome {
        code: Option<String>,
    },
    Open(OpenQuestion),
    Closed,
    Ack {
        device: String,
        seq: u32,
        status: AckStatus,
    },
    Ping(u64),
    Err(LineError),
}

/// What an open question accepts from a clicker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenQuestion {
    /// 1-based question number.
    pub number: u32,
    pub kind: OpenKind,
    /// Number of abstain labels (`X0`, `X1`, …).
    pub abstain: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenKind {
    Choice { options: u32 },
    Scale { points: u32 },
    Percent { min: i64, max: i64, step: i64 },
    Number { min: i64, max: i64, step: i64 },
}

impl OpenQuestion {
    pub fn of(view: &QuestionView) -> OpenQuestion {
        let kind = match &view.kind {
            QuestionKindView::Choice { options } => OpenKind::Choice {
                options: options.len() as u32,
            },
            QuestionKindView::Scale { points } => OpenKind::Scale {
                points: points.len() as u32,
            },
            QuestionKindView::Percent => OpenKind::Percent {
                min: 0,
                max: 100,
                step: PERCENT_STEP,
            },
            QuestionKindView::Number { min, max, .. } => OpenKind::Number {
                min: *min,
                max: *max,
                step: 1,
            },
        };
        OpenQuestion {
            number: view.index + 1,
            kind,
            abstain: view.abstain.len() as u32,
        }
    }

    /// The answer a token stands for on this question, or `None` if it does not fit.
    pub fn answer(&self, token: AnswerToken) -> Option<Answer> {
        match token {
            AnswerToken::Abstain(i) if i < self.abstain => Some(Answer::Abstain { option: i }),
            AnswerToken::Abstain(_) => None,
            AnswerToken::Value(v) => match self.kind {
                OpenKind::Choice { options } => (0..i64::from(options))
                    .contains(&v)
                    .then_some(Answer::Choice { option: v as u32 }),
                OpenKind::Scale { points } => (0..i64::from(points))
                    .contains(&v)
                    .then_some(Answer::Scale { point: v as u32 }),
                OpenKind::Percent { min, max, .. } => (min..=max)
                    .contains(&v)
                    .then_some(Answer::Percent { value: v as u32 }),
                OpenKind::Number { min, max, .. } => (min..=max)
                    .contains(&v)
                    .then_some(Answer::Number { value: v }),
            },
        }
    }
}

impl fmt::Display for ToBridge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{VERSION_TAG} ")?;
        match self {
            ToBridge::Welcome { code } => write!(f, "WELCOME {}", code.as_deref().unwrap_or("-")),
            ToBridge::Open(open) => {
                write!(f, "OPEN {} ", open.number)?;
                match open.kind {
                    OpenKind::Choice { options } => write!(f, "CHOICE {options}")?,
                    OpenKind::Scale { points } => write!(f, "SCALE {points}")?,
                    OpenKind::Percent { min, max, step } => {
                        write!(f, "PERCENT {min} {max} {step}")?
                    }
                    OpenKind::Number { min, max, step } => write!(f, "NUMBER {min} {max} {step}")?,
                }
                write!(f, " {}", open.abstain)
            }
            ToBridge::Closed => write!(f, "CLOSED"),
            ToBridge::Ack {
                device,
                seq,
                status,
            } => write!(f, "ACK {device} {seq} {}", status.word()),
            ToBridge::Ping(n) => write!(f, "PING {n}"),
            ToBridge::Err(error) => write!(f, "ERR {} {}", error.code, error.text),
        }
    }
}

fn is_word(text: &str, max: usize) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// A number in decimal digits (a `-` before them only where `T` can be negative). Rust's
/// own parser also takes `+7`, which the protocol does not promise.
fn number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, LineError> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let parsed = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    };
    parsed.ok_or_else(|| {
        LineError::new(
            "SYNTAX",
            format!("{what} must be a whole number, got \"{}\"", clip(text)),
        )
    })
}

/// At most 20 characters of client text in a reply.
fn clip(text: &str) -> String {
    text.chars().take(20).filter(|c| !c.is_control()).collect()
}

/// Parses one line (without its newline; a trailing `\r` is ignored).
pub fn parse(line: &str) -> Result<FromBridge, LineError> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.len() > MAX_LINE {
        return Err(LineError::new(
            "TOOLONG",
            format!("lines are at most {MAX_LINE} bytes"),
        ));
    }
    if line.chars().any(|c| c.is_control()) {
        return Err(LineError::new(
            "BINARY",
            "control characters are not allowed",
        ));
    }
    let mut words = line.split(' ').filter(|w| !w.is_empty());
    match words.next() {
        Some(VERSION_TAG) => {}
        Some(tag) if tag.starts_with("PJ") => {
            return Err(LineError::new(
                "VERSION",
                format!("this server speaks {VERSION_TAG}, not {}", clip(tag)),
            ));
        }
        _ => {
            return Err(LineError::new(
                "SYNTAX",
                format!("lines start with {VERSION_TAG}, e.g. \"{VERSION_TAG} VOTE mb123 1 1 0\""),
            ));
        }
    }
    let command = words.next().unwrap_or_default();
    let args: Vec<&str> = words.collect();
    match command {
        "HELLO" => {
            let (family, name, code) = match args.as_slice() {
                [family] => (*family, None, None),
                [family, name] => (*family, Some(*name), None),
                [family, name, code] => (*family, Some(*name), Some(*code)),
                _ => {
                    return Err(LineError::new(
                        "SYNTAX",
                        "HELLO <family> [<name>] [<join code>]",
                    ));
                }
            };
            if !(1..=8).contains(&family.len())
                || !family
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                return Err(LineError::new(
                    "SYNTAX",
                    "the family is 1-8 characters a-z and 0-9, e.g. mb",
                ));
            }
            if let Some(name) = name
                && !is_word(name, 32)
            {
                return Err(LineError::new(
                    "SYNTAX",
                    "the name is 1-32 characters of A-Z, a-z, 0-9, . - _",
                ));
            }
            Ok(FromBridge::Hello {
                family: family.to_string(),
                name: name.map(str::to_string),
                code: code.map(str::to_string),
            })
        }
        "VOTE" => {
            let [device, seq, question, answer] = args.as_slice() else {
                return Err(LineError::new(
                    "SYNTAX",
                    "VOTE <device> <seq> <question> <answer>",
                ));
            };
            if !is_word(device, MAX_DEVICE) {
                return Err(LineError::new(
                    "SYNTAX",
                    format!("the device id is 1-{MAX_DEVICE} characters of A-Z, a-z, 0-9, . - _"),
                ));
            }
            let answer = match answer.strip_prefix('X') {
                Some(i) => AnswerToken::Abstain(number(i, "the abstain index")?),
                None => AnswerToken::Value(number(answer, "the answer")?),
            };
            Ok(FromBridge::Vote(Vote {
                device: device.to_string(),
                seq: number(seq, "the sequence number")?,
                question: number(question, "the question number")?,
                answer,
            }))
        }
        "PONG" => match args.as_slice() {
            [n] => Ok(FromBridge::Pong(number(n, "the ping number")?)),
            _ => Err(LineError::new("SYNTAX", "PONG <n>")),
        },
        other => Err(LineError::new(
            "UNKNOWN",
            format!(
                "unknown command \"{}\"; bridges send HELLO, VOTE and PONG",
                clip(other)
            ),
        )),
    }
}

#[cfg(test)]
mod tests;

/// Whether `line` is an HTTP request line (`POST /x HTTP/1.1`): a browser reaching the
/// bridge port, whose body could otherwise carry bridge lines.
pub fn looks_like_http(line: &str) -> bool {
    let mut words = line.split(' ');
    let (Some(method), Some(_), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return false;
    };
    method.len() <= 8
        && method.bytes().all(|b| b.is_ascii_uppercase())
        && version.trim_end_matches('\r').starts_with("HTTP/")
}

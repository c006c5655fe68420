//! Table tests of the bridge line protocol: every line kind, and the malformed and
//! hostile lines with the reply each gets.

use pejling_wire::Answer;

use super::*;

#[test]
fn good_lines_parse() {
    let table: [(&str, FromBridge); 6] = [
        (
            "PJ1 HELLO mb",
            FromBridge::Hello {
                family: "mb".into(),
                name: None,
                code: None,
            },
        ),
        (
            "PJ1 HELLO mb receiver-1 K7MXPA\r",
            FromBridge::Hello {
                family: "mb".into(),
                name: Some("receiver-1".into()),
                code: Some("K7MXPA".into()),
            },
        ),
        (
            "PJ1 VOTE 3e1f0a2b 17 2 1",
            FromBridge::Vote(Vote {
                device: "3e1f0a2b".into(),
                seq: 17,
                question: 2,
                answer: AnswerToken::Value(1),
            }),
        ),
        (
            "PJ1  VOTE  d  1 1  X0",
            FromBridge::Vote(Vote {
                device: "d".into(),
                seq: 1,
                question: 1,
                answer: AnswerToken::Abstain(0),
            }),
        ),
        (
            "PJ1 VOTE d 4294967295 3 -5",
            FromBridge::Vote(Vote {
                device: "d".into(),
                seq: u32::MAX,
                question: 3,
                answer: AnswerToken::Value(-5),
            }),
        ),
        ("PJ1 PONG 42", FromBridge::Pong(42)),
    ];
    for (line, expected) in table {
        assert_eq!(parse(line), Ok(expected), "{line:?}");
    }
}

#[test]
fn bad_lines_get_a_specific_error() {
    let long = format!("PJ1 VOTE {} 1 1 0", "a".repeat(200));
    // (line, error code, part of the text)
    let table: [(&str, &str, &str); 17] = [
        ("", "SYNTAX", "lines start with PJ1"),
        ("hello", "SYNTAX", "lines start with PJ1"),
        ("PJ2 VOTE d 1 1 0", "VERSION", "speaks PJ1, not PJ2"),
        ("PJ1", "UNKNOWN", "unknown command \"\""),
        (
            "PJ1 DELETE everything",
            "UNKNOWN",
            "unknown command \"DELETE\"",
        ),
        (
            "PJ1 VOTE d 1 1",
            "SYNTAX",
            "VOTE <device> <seq> <question> <answer>",
        ),
        (
            "PJ1 VOTE d x 1 0",
            "SYNTAX",
            "the sequence number must be a whole number",
        ),
        // Decimal digits only, within 0..=u32::MAX: `+7` is no sequence number, though
        // Rust's parser would take it.
        (
            "PJ1 VOTE d +7 1 0",
            "SYNTAX",
            "the sequence number must be a whole number",
        ),
        (
            "PJ1 VOTE d 4294967296 1 0",
            "SYNTAX",
            "the sequence number must be a whole number",
        ),
        (
            "PJ1 VOTE d 1 +1 0",
            "SYNTAX",
            "the question number must be a whole number",
        ),
        (
            "PJ1 VOTE d 1 1 zero",
            "SYNTAX",
            "the answer must be a whole number",
        ),
        (
            "PJ1 VOTE d 1 1 Xq",
            "SYNTAX",
            "the abstain index must be a whole number",
        ),
        ("PJ1 VOTE d;rm 1 1 0", "SYNTAX", "the device id is"),
        ("PJ1 HELLO MB", "SYNTAX", "the family is"),
        ("PJ1 HELLO mb a/b", "SYNTAX", "the name is"),
        ("PJ1 VOTE d\u{0}\u{1} 1 1 0", "BINARY", "control characters"),
        (&long, "TOOLONG", "at most 128 bytes"),
    ];
    for (line, code, text) in table {
        let error = parse(line).expect_err(line);
        assert_eq!(error.code, code, "{line:?}: {error:?}");
        assert!(error.text.contains(text), "{line:?}: {error:?}");
        // Replies are one line and echo at most a clipped, control-free piece.
        let reply = ToBridge::Err(error).to_string();
        assert!(!reply.contains('\n') && !reply.contains('\0'), "{reply:?}");
        assert!(reply.len() < 200, "{reply:?}");
    }
}

#[test]
fn server_lines_are_formatted_exactly() {
    let table: [(ToBridge, &str); 8] = [
        (
            ToBridge::Welcome {
                code: Some("K7MXPA".into()),
            },
            "PJ1 WELCOME K7MXPA",
        ),
        (ToBridge::Welcome { code: None }, "PJ1 WELCOME -"),
        (
            ToBridge::Open(OpenQuestion {
                number: 1,
                kind: OpenKind::Choice { options: 2 },
                abstain: 1,
            }),
            "PJ1 OPEN 1 CHOICE 2 1",
        ),
        (
            ToBridge::Open(OpenQuestion {
                number: 2,
                kind: OpenKind::Percent {
                    min: 0,
                    max: 100,
                    step: 10,
                },
                abstain: 1,
            }),
            "PJ1 OPEN 2 PERCENT 0 100 10 1",
        ),
        (
            ToBridge::Open(OpenQuestion {
                number: 7,
                kind: OpenKind::Number {
                    min: 10,
                    max: 25,
                    step: 1,
                },
                abstain: 0,
            }),
            "PJ1 OPEN 7 NUMBER 10 25 1 0",
        ),
        (ToBridge::Closed, "PJ1 CLOSED"),
        (
            ToBridge::Ack {
                device: "mb:3e1f".into(),
                seq: 9,
                status: AckStatus::Duplicate,
            },
            "PJ1 ACK mb:3e1f 9 DUP",
        ),
        (ToBridge::Ping(3), "PJ1 PING 3"),
    ];
    for (line, text) in table {
        assert_eq!(line.to_string(), text);
    }
}

#[test]
fn tokens_become_answers_only_when_they_fit() {
    let choice = OpenQuestion {
        number: 1,
        kind: OpenKind::Choice { options: 3 },
        abstain: 1,
    };
    let percent = OpenQuestion {
        number: 2,
        kind: OpenKind::Percent {
            min: 0,
            max: 100,
            step: 10,
        },
        abstain: 0,
    };
    let number = OpenQuestion {
        number: 3,
        kind: OpenKind::Number {
            min: 10,
            max: 25,
            step: 1,
        },
        abstain: 2,
    };
    let table = [
        (
            &choice,
            AnswerToken::Value(2),
            Some(Answer::Choice { option: 2 }),
        ),
        (&choice, AnswerToken::Value(3), None),
        (&choice, AnswerToken::Value(-1), None),
        (
            &choice,
            AnswerToken::Abstain(0),
            Some(Answer::Abstain { option: 0 }),
        ),
        (&choice, AnswerToken::Abstain(1), None),
        (
            &percent,
            AnswerToken::Value(70),
            Some(Answer::Percent { value: 70 }),
        ),
        (&percent, AnswerToken::Value(101), None),
        (&percent, AnswerToken::Abstain(0), None),
        (
            &number,
            AnswerToken::Value(10),
            Some(Answer::Number { value: 10 }),
        ),
        (&number, AnswerToken::Value(26), None),
        (
            &number,
            AnswerToken::Abstain(1),
            Some(Answer::Abstain { option: 1 }),
        ),
    ];
    for (open, token, answer) in table {
        assert_eq!(open.answer(token), answer, "{open:?} {token:?}");
    }
}

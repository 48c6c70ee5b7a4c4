//! The Rust version answers what the Go version answers (the golden file
//! recorded from functions/go/whatlang: the study's input, edge cases and
//! every held-out corpus sentence), and its accuracy on the held-out
//! sentences is measured here as in functions/internal/trigram.

use std::fs;
use std::path::Path;

const GOLDEN: &str = include_str!("../../../testdata/whatlang/golden.txt");

#[test]
fn answers_as_go() {
    assert_eq!(common::golden::check(GOLDEN, whatlang::handle), 263);
}

#[test]
fn body_when_no_text() {
    let mut req = common::params::get_request("text=");
    req.body = "Der Zug an die Küste hatte heute Morgen wieder Verspätung".into();
    let r = whatlang::handle(&req);
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("\"code\": \"deu\""));
    req.body.clear();
    let r = whatlang::handle(&req);
    assert_eq!((r.status, String::from_utf8_lossy(&r.body).as_ref()), (400, "bad query parameter: text is empty\n"));
}

/// Held-out sentences of the corpus, with their language codes.
fn held_out() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/whatlang/corpus");
    let mut files: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let code = f.file_stem().unwrap().to_string_lossy().to_string();
        let text = fs::read_to_string(&f).unwrap();
        let mut held = false;
        for line in text.lines() {
            if line == "--- held-out ---" {
                held = true;
            } else if held && !line.is_empty() && !line.starts_with('#') {
                out.push((line.to_string(), code.clone()));
            }
        }
    }
    out
}

#[test]
fn held_out_accuracy() {
    let cases = held_out();
    assert_eq!(cases.len(), 252);
    for (name, words, min) in [("sentences", usize::MAX, 0.93), ("first five words", 5, 0.75)] {
        let (mut ok, mut reliable, mut reliable_ok) = (0, 0, 0);
        for (s, code) in &cases {
            let text = s.split_whitespace().take(words).collect::<Vec<_>>().join(" ");
            let d = whatlang::trigram::detect(&text);
            ok += (d.code == code) as usize;
            if d.confidence > whatlang::trigram::RELIABLE {
                reliable += 1;
                reliable_ok += (d.code == code) as usize;
            }
        }
        let acc = ok as f64 / cases.len() as f64;
        println!("{}: accuracy {}/{} = {:.3}; reliable {}, of which correct {}", name, ok, cases.len(), acc, reliable, reliable_ok);
        assert!(acc >= min, "{}: accuracy {:.3} below {}", name, acc, min);
    }
}

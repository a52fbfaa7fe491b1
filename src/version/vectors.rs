//! Each scheme held to its own project's ordering tests.
//!
//! `tests/fixtures/version-vectors/*.tsv` are ordering facts extracted from the test suites of
//! dpkg and apt, rpm, apk-tools, Maven (`ComparableVersionTest`), pypa/packaging,
//! node-semver, golang.org/x/mod, the semver crate, pub_semver, RubyGems, NuGet.Client and
//! composer/semver (plus osv-scalibr and univers), one row per pair with its source line
//! (`owner/repo@commit:path:line`; provenance in that directory's `README.md`).
//!
//! The rule each row is held to: kevgate's answer must agree with the row, or kevgate must
//! refuse to order the pair (a [`VersionError`], which matching turns into a fail-closed
//! "unverified" note). A silently wrong order fails the test. Rows whose authorities disagree
//! (`contested:` — Maven 3.9 vs 4, apk-tools 3 vs 2, PHP `version_compare` vs
//! composer/semver) accept either answer, except `contested:stale` rows, where every reference
//! implementation contradicts the row: there kevgate must give the implementations' answer.

use super::{VersionError, VersionScheme, compare};
use std::cmp::Ordering;

/// One file of vectors and the scheme it tests.
struct Suite {
    file: &'static str,
    text: &'static str,
    scheme: VersionScheme,
    /// Rows kevgate must order (not refuse) at least: guards against a scheme that "passes"
    /// by refusing everything.
    min_ordered: usize,
}

macro_rules! suite {
    ($file:literal, $scheme:expr, $min:expr) => {
        Suite {
            file: $file,
            text: include_str!(concat!("../../tests/fixtures/version-vectors/", $file)),
            scheme: $scheme,
            min_ordered: $min,
        }
    };
}

fn suites() -> Vec<Suite> {
    use VersionScheme::*;
    vec![
        suite!("apk.tsv", Apk, 700),
        suite!("cargo.tsv", Semver, 18),
        suite!("composer.tsv", Composer, 78),
        suite!("dpkg.tsv", Dpkg, 220),
        suite!("go.tsv", Go, 270),
        suite!("maven.tsv", Maven, 1020),
        suite!("npm.tsv", Semver, 100),
        suite!("nuget.tsv", NuGet, 70),
        suite!("pep440.tsv", Pep440, 4300),
        suite!("pub.tsv", Pub, 190),
        suite!("rpm.tsv", Rpm, 2100),
        suite!("rubygems.tsv", RubyGems, 70),
    ]
}

/// A row's claim about `a` and `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Less,
    LessOrEqual,
    Equal,
    NotEqual,
    Invalid,
}

impl Op {
    fn parse(op: &str) -> Op {
        match op {
            "<" => Op::Less,
            "<=" => Op::LessOrEqual,
            "=" => Op::Equal,
            "!=" => Op::NotEqual,
            "invalid" => Op::Invalid,
            other => panic!("unknown op `{other}`"),
        }
    }

    fn holds(self, o: Ordering) -> bool {
        match self {
            Op::Less => o == Ordering::Less,
            Op::LessOrEqual => o != Ordering::Greater,
            Op::Equal => o == Ordering::Equal,
            Op::NotEqual => o != Ordering::Equal,
            Op::Invalid => true,
        }
    }
}

/// What the test made of one file.
#[derive(Debug, Default)]
struct Score {
    /// Rows ordered as the source says.
    agreed: usize,
    /// Rows kevgate refused to order (fail-closed).
    refused: usize,
    /// Contested rows (either answer accepted).
    contested: usize,
    /// `invalid` rows, which claim no order.
    invalid: usize,
    /// Silently wrong orders: `file:line: a op b (source): got ...`.
    wrong: Vec<String>,
}

fn score(suite: &Suite) -> Score {
    let mut score = Score::default();
    for (n, line) in suite.text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let (a, op, b, source) = (cols[0], Op::parse(cols[1]), cols[2], cols[3]);
        let note = cols.get(4).copied().unwrap_or_default();
        if op == Op::Invalid {
            // No order is claimed; parsing (or not) must merely not panic.
            let _ = compare(suite.scheme, a, a);
            score.invalid += 1;
            continue;
        }
        let got = compare(suite.scheme, a, b);
        // Whatever the answer, it must be antisymmetric.
        let back = compare(suite.scheme, b, a);
        if let (Ok(x), Ok(y)) = (&got, &back) {
            assert_eq!(*x, y.reverse(), "{}:{}: {a} vs {b}", suite.file, n + 1);
        }
        let want = if note.starts_with("contested:stale") {
            // Every reference implementation says the opposite of the row.
            Some(match op {
                Op::Less => Expected::Greater,
                Op::Equal => Expected::Unequal,
                _ => Expected::Any,
            })
        } else if note.starts_with("contested:") {
            Some(Expected::Any)
        } else {
            None
        };
        match (got, want) {
            (Err(VersionError::Invalid { .. }), _) => score.refused += 1,
            (Ok(_), Some(Expected::Any)) => score.contested += 1,
            (Ok(o), Some(e)) if e.holds(o) => score.agreed += 1,
            (Ok(o), None) if op.holds(o) => score.agreed += 1,
            (Ok(o), _) => score.wrong.push(format!(
                "{}:{}: `{a}` {} `{b}` ({source}{}): kevgate says {o:?}",
                suite.file,
                n + 1,
                cols[1],
                if note.is_empty() {
                    String::new()
                } else {
                    format!("; {note}")
                }
            )),
        }
    }
    score
}

/// The implementations' answer on a `contested:stale` row.
#[derive(Debug, Clone, Copy)]
enum Expected {
    Greater,
    Unequal,
    Any,
}

impl Expected {
    fn holds(self, o: Ordering) -> bool {
        match self {
            Expected::Greater => o == Ordering::Greater,
            Expected::Unequal => o != Ordering::Equal,
            Expected::Any => true,
        }
    }
}

/// Every scheme against its own project's suite: no silently wrong order, and enough rows
/// actually ordered that refusing is not how it passes.
#[test]
fn every_scheme_agrees_with_its_own_suite() {
    let mut wrong = Vec::new();
    let mut summary = Vec::new();
    for suite in suites() {
        let s = score(&suite);
        summary.push(format!(
            "{}: {} agreed, {} refused, {} contested, {} invalid, {} wrong",
            suite.file,
            s.agreed,
            s.refused,
            s.contested,
            s.invalid,
            s.wrong.len()
        ));
        if s.agreed < suite.min_ordered {
            wrong.push(format!(
                "{}: only {} rows ordered (at least {} expected)",
                suite.file, s.agreed, suite.min_ordered
            ));
        }
        wrong.extend(s.wrong);
    }
    assert!(
        wrong.is_empty(),
        "{} problems:\n{}\n\n{}",
        wrong.len(),
        wrong.join("\n"),
        summary.join("\n")
    );
}

/// `>`, `<`, `=` as an [`Ordering`].
fn ordering(op: &str) -> Option<Ordering> {
    match op {
        "<" => Some(Ordering::Less),
        "=" => Some(Ordering::Equal),
        ">" => Some(Ordering::Greater),
        _ => None,
    }
}

/// The rows whose authorities disagree (`annotations.tsv`, including rows of the generated
/// suites not vendored here): kevgate gives one of the reference implementations' answers —
/// Maven 3.9's or 4's, composer/semver's or PHP `version_compare`'s, and the implementations'
/// answer where the row is stale.
#[test]
fn contested_rows_get_an_implementations_answer() {
    let text = include_str!("../../tests/fixtures/version-vectors/annotations.tsv");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, a, op, b, note] = cols[..] else {
            panic!("annotation row `{line}`");
        };
        let scheme = if file.ends_with("maven.tsv") {
            VersionScheme::Maven
        } else {
            VersionScheme::Composer
        };
        // The answers the note names: "says >", "both say A > B", "says =".
        let mut allowed: Vec<Ordering> = Vec::new();
        if let Some(rest) = note.split_once("both say ").map(|(_, r)| r) {
            let op = rest
                .strip_prefix(a)
                .and_then(|r| r.trim().split(' ').next())
                .expect("`both say A op B`");
            allowed.push(ordering(op).expect("an order"));
        } else {
            // The row's own claim (one authority) and every "says X" (the others).
            allowed.extend(ordering(op));
            for part in note.split("says ").skip(1) {
                allowed.extend(ordering(part.get(..1).unwrap_or_default()));
            }
        }
        match compare(scheme, a, b) {
            Ok(o) if allowed.contains(&o) => checked += 1,
            Ok(o) => wrong.push(format!(
                "{file}: `{a}` vs `{b}`: kevgate says {o:?} ({note})"
            )),
            Err(_) => checked += 1,
        }
    }
    assert!(checked >= 40, "only {checked} annotations checked");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

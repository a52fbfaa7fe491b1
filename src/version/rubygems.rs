//! RubyGems' `Gem::Version`.
//!
//! Segments are runs of digits or of letters (`1.0.0.rc1` → `1 0 0 rc 1`); `-` means
//! `.pre.` (`1.0-1` → `1.0.pre.1`); a version with any letter is a pre-release and sorts
//! before its release because a string segment sorts before any number. Trailing zeros of the
//! numeric prefix and of the rest are dropped before comparing (`canonical_segments`).
//! Letters compare byte-wise, as Ruby's `String#<=>` does.

use super::num::{is_digits, is_zero, take_run};
use super::parts::{Numbers, Part, is_labels};
use std::cmp::Ordering;

/// A parsed gem version: its canonical segments (numbers and words).
#[derive(Debug, Clone)]
pub(super) struct Gem(Vec<Part>);

/// Parses per `Gem::Version::ANCHORED_VERSION_PATTERN`; blank means `0`.
pub(super) fn parse(text: &str) -> Option<Gem> {
    let s = text.trim();
    let s = if s.is_empty() { "0" } else { s };
    // `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`
    let (main, pre) = match s.split_once('-') {
        Some((m, p)) => (m, Some(p)),
        None => (s, None),
    };
    let mut parts = main.split('.');
    let first = parts.next()?;
    if !is_digits(first) {
        return None;
    }
    if !parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return None;
    }
    if let Some(pre) = pre
        && !is_labels(pre)
    {
        return None;
    }
    // `@version.scan(/[0-9]+|[a-z]+/i)` after `-` → `.pre.`.
    let normalized = s.replace('-', ".pre.");
    let mut segments = Vec::new();
    let bytes = normalized.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            segments.push(Part::Num(
                take_run(bytes, &mut i, u8::is_ascii_digit).to_owned(),
            ));
        } else if bytes[i].is_ascii_alphabetic() {
            let word = take_run(bytes, &mut i, u8::is_ascii_alphabetic);
            segments.push(Part::Word(word.to_owned()));
        } else {
            i += 1;
        }
    }
    // canonical_segments: split at the first string, drop trailing zeros of each half.
    let split = segments
        .iter()
        .position(|s| matches!(s, Part::Word(_)))
        .unwrap_or(segments.len());
    let mut rest = segments.split_off(split);
    let trim = |v: &mut Vec<Part>| {
        while matches!(v.last(), Some(Part::Num(d)) if is_zero(d)) {
            v.pop();
        }
    };
    trim(&mut segments);
    trim(&mut rest);
    segments.extend(rest);
    Some(Gem(segments))
}

impl Gem {
    pub(super) fn cmp(&self, other: &Gem) -> Ordering {
        // The shorter is padded with zeros; a word sorts before any number.
        let zero = Part::Num("0".to_owned());
        let n = self.0.len().max(other.0.len());
        for i in 0..n {
            let a = self.0.get(i).unwrap_or(&zero);
            let b = other.0.get(i).unwrap_or(&zero);
            let o = a.cmp(b, Numbers::AfterWords);
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::testing::{assert_orders, parsed};
    use Ordering::{Equal, Greater, Less};

    fn cmp(a: &str, b: &str) -> Ordering {
        parsed(parse, a).cmp(&parsed(parse, b))
    }

    /// Gem::Version's own test cases and versions from RubyGems GHSA records
    /// (rubygems-osvdev-ghsa: `7.0.0.alpha1`, `3.5.0.pre0`, `1.0.0.rc6.0`, `4.25.14p12`).
    #[test]
    fn orders_rubygems() {
        let cases = [
            ("1.0", "1", Equal),
            ("1.0.0", "1", Equal),
            ("1.0.a", "1.0", Less),
            ("1.0.a", "1.0.b", Less),
            ("1.0.0.rc1", "1.0.0", Less),
            ("1.0.0.rc1", "1.0.0.rc2", Less),
            ("1.0.0.rc10", "1.0.0.rc9", Greater),
            ("1.0.0.rc6.0", "1.0.0.rc6", Equal),
            ("7.0.0.alpha1", "7.0.0.beta1", Less),
            ("3.5.0.pre0", "3.5.0", Less),
            ("3.5.0.pre0", "3.4.9", Greater),
            ("1.4.0-beta.1", "1.4.0.pre.beta.1", Equal),
            ("1.4.0-beta.1", "1.4.0", Less),
            ("2.1.0pre1", "2.1.0.pre1", Equal),
            ("4.25.14p12", "4.25.14", Less),
            ("1.2.3", "1.2.3.1", Less),
            ("1.a", "1.0.a", Equal),
            ("5.0.0.beta1.1", "5.0.0.beta1", Greater),
            ("", "0", Equal),
            ("1.0.0.RC1", "1.0.0.rc1", Less),
        ];
        assert_orders(cmp, &cases);
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "a", "1..2", "1.2.", "1.2-", "1.2 3", "junk", "1.0-a..b", ".1",
        ] {
            assert!(parse(bad).is_none(), "`{bad}` should not parse");
        }
    }
}

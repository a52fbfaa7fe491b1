//! Dot-separated parts shared by several schemes: numeric cores (`1.2.3`), pre-release and
//! local labels that are a number or a word, and their orders.

use super::num::{cmp_digits, is_digits};
use std::cmp::Ordering;

/// A label that is a number (digits, compared by value) or a word (compared byte-wise).
#[derive(Debug, Clone)]
pub(super) enum Part {
    Num(String),
    Word(String),
}

/// Where a number sorts against a word: SemVer and NuGet put numeric identifiers first;
/// PEP 440 local versions and RubyGems put numbers after words.
#[derive(Debug, Clone, Copy)]
pub(super) enum Numbers {
    BeforeWords,
    AfterWords,
}

impl Part {
    /// A number when `text` is all digits, else a word.
    pub(super) fn of(text: &str) -> Part {
        if is_digits(text) {
            Part::Num(text.to_owned())
        } else {
            Part::Word(text.to_owned())
        }
    }

    pub(super) fn cmp(&self, other: &Part, numbers: Numbers) -> Ordering {
        let number_vs_word = match numbers {
            Numbers::BeforeWords => Ordering::Less,
            Numbers::AfterWords => Ordering::Greater,
        };
        match (self, other) {
            (Part::Num(a), Part::Num(b)) => cmp_digits(a, b),
            (Part::Num(_), Part::Word(_)) => number_vs_word,
            (Part::Word(_), Part::Num(_)) => number_vs_word.reverse(),
            (Part::Word(a), Part::Word(b)) => a.cmp(b),
        }
    }
}

/// Element by element with `cmp`; when one is a prefix of the other, the shorter is less.
pub(super) fn cmp_seq<T>(a: &[T], b: &[T], cmp: impl Fn(&T, &T) -> Ordering) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| cmp(x, y))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or_else(|| a.len().cmp(&b.len()))
}

/// Numeric parts by value, element by element, then the longer is greater.
pub(super) fn cmp_numbers(a: &[String], b: &[String]) -> Ordering {
    cmp_seq(a, b, |x, y| cmp_digits(x, y))
}

/// Pre-release labels as SemVer 2.0 §11 orders them: no pre-release sorts after any; else
/// label by label (numbers before words), and more labels are greater.
pub(super) fn cmp_pre_release(a: &[Part], b: &[Part]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        // A pre-release sorts before its release.
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => cmp_seq(a, b, |x, y| x.cmp(y, Numbers::BeforeWords)),
    }
}

/// Whether `s` is dot-separated non-empty labels of `[0-9A-Za-z-]` (SemVer identifiers).
pub(super) fn is_labels(s: &str) -> bool {
    s.split('.')
        .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// Splits `core[-pre][+build]` (SemVer's shape): the build metadata is validated and
/// dropped, the pre-release validated and returned.
pub(super) fn split_pre_build(s: &str) -> Option<(&str, Option<&str>)> {
    split_pre_and_build(s).map(|(core, pre, _)| (core, pre))
}

/// Splits `core[-pre][+build]` (SemVer's shape) into its three parts, validating the labels
/// of the pre-release and the build metadata.
pub(super) fn split_pre_and_build(s: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
    let (s, build) = match s.split_once('+') {
        Some((rest, build)) => {
            if !is_labels(build) {
                return None;
            }
            (rest, Some(build))
        }
        None => (s, None),
    };
    match s.split_once('-') {
        Some((_, pre)) if !is_labels(pre) => None,
        Some((core, pre)) => Some((core, Some(pre), build)),
        None => Some((s, None, build)),
    }
}

/// `1` to `N` dot-separated digit runs, the missing ones `0` (`1.2` → `[1, 2, 0]` for 3).
pub(super) fn numeric_core<const N: usize>(text: &str) -> Option<[String; N]> {
    let mut parts: [String; N] = std::array::from_fn(|_| "0".to_owned());
    for (n, p) in text.split('.').enumerate() {
        if n == N || !is_digits(p) {
            return None;
        }
        parts[n] = p.to_owned();
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_parts_and_sequences() {
        let (one, two, rc) = (Part::of("1"), Part::of("02"), Part::of("rc"));
        assert_eq!(one.cmp(&two, Numbers::BeforeWords), Ordering::Less);
        assert_eq!(one.cmp(&rc, Numbers::BeforeWords), Ordering::Less);
        assert_eq!(one.cmp(&rc, Numbers::AfterWords), Ordering::Greater);
        assert_eq!(rc.cmp(&one, Numbers::AfterWords), Ordering::Less);
        let v = |s: &str| s.split('.').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(cmp_numbers(&v("1.02"), &v("1.2")), Ordering::Equal);
        assert_eq!(cmp_numbers(&v("1.2"), &v("1.2.0")), Ordering::Less);
        assert_eq!(
            cmp_pre_release(&[], std::slice::from_ref(&rc)),
            Ordering::Greater
        );
        assert_eq!(
            numeric_core::<3>("1.2"),
            Some(["1", "2", "0"].map(String::from))
        );
        assert_eq!(numeric_core::<3>("1.2.3.4"), None);
        assert_eq!(numeric_core::<3>(""), None);
        assert!(is_labels("rc.1-x") && !is_labels("rc..1") && !is_labels(""));
        assert_eq!(split_pre_build("1.2-rc.1+b.5"), Some(("1.2", Some("rc.1"))));
        assert_eq!(split_pre_build("1.2+b"), Some(("1.2", None)));
        assert_eq!(split_pre_build("1.2-"), None);
        assert_eq!(split_pre_build("1.2+"), None);
    }
}

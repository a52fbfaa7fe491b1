//! PEP 440 (PyPI) versions: parsing with the spec's normalisations and its total order.
//!
//! Implemented here rather than with `pep440_rs`: the ordering is small and fully specified
//! (<https://packaging.python.org/en/latest/specifications/version-specifiers/>), and the
//! crate's numbers are `u64` while we must survive absurd inputs. Legacy (non-PEP 440)
//! versions such as `1.9.0ubuntu1.2`, seen in PYSEC records, are rejected, never guessed.

use super::num::{cmp_digits, is_zero};
use super::parts::{Numbers, Part, cmp_numbers, cmp_seq};
use std::cmp::Ordering;

/// A parsed PEP 440 version.
#[derive(Debug, Clone)]
pub(super) struct Pep440 {
    epoch: String,
    /// Release numbers with trailing zeros removed (`1.0` == `1`).
    release: Vec<String>,
    /// `(kind, number)`: kind 0 = a, 1 = b, 2 = rc.
    pre: Option<(u8, String)>,
    post: Option<String>,
    dev: Option<String>,
    local: Vec<Part>,
}

/// A tiny cursor over the lower-cased text.
struct Cursor<'a> {
    s: &'a str,
}

impl<'a> Cursor<'a> {
    fn digits(&mut self) -> Option<&'a str> {
        let end = self
            .s
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(self.s.len());
        if end == 0 {
            return None;
        }
        let (d, rest) = self.s.split_at(end);
        self.s = rest;
        Some(d)
    }
    fn eat(&mut self, word: &str) -> bool {
        match self.s.strip_prefix(word) {
            Some(rest) => {
                self.s = rest;
                true
            }
            None => false,
        }
    }
    fn eat_sep(&mut self) -> bool {
        self.eat(".") || self.eat("-") || self.eat("_")
    }
    /// Tries `[-_.]? word [-_.]? digits?` for the first matching word; rolls back otherwise.
    fn labelled(&mut self, words: &[(&str, u8)]) -> Option<(u8, String)> {
        let start = self.s;
        self.eat_sep();
        for (word, kind) in words {
            if self.eat(word) {
                let before_sep = self.s;
                self.eat_sep();
                let n = match self.digits() {
                    Some(d) => d.to_owned(),
                    None => {
                        self.s = before_sep;
                        "0".to_owned()
                    }
                };
                return Some((*kind, n));
            }
        }
        self.s = start;
        None
    }
}

/// Parses `text` per the PEP 440 grammar (case-insensitive, surrounding whitespace allowed).
pub(super) fn parse(text: &str) -> Option<Pep440> {
    let lower = text.trim().to_ascii_lowercase();
    let mut c = Cursor { s: &lower };
    c.eat("v");
    let first = c.digits()?;
    let epoch = if c.eat("!") {
        first.to_owned()
    } else {
        c.s = &lower[lower.len() - c.s.len() - first.len()..];
        "0".to_owned()
    };
    let mut release = vec![c.digits()?.to_owned()];
    loop {
        let save = c.s;
        if c.eat(".")
            && let Some(d) = c.digits()
        {
            release.push(d.to_owned());
            continue;
        }
        c.s = save;
        break;
    }
    while release.last().is_some_and(|d| is_zero(d)) && release.len() > 1 {
        release.pop();
    }
    if release.len() == 1 && is_zero(&release[0]) {
        release.clear();
    }
    // Longer spellings first so `alpha` is not read as `a` + garbage.
    let pre = c.labelled(&[
        ("alpha", 0),
        ("a", 0),
        ("beta", 1),
        ("b", 1),
        ("preview", 2),
        ("pre", 2),
        ("rc", 2),
        ("c", 2),
    ]);
    let post = {
        let save = c.s;
        if c.eat("-") && c.s.starts_with(|ch: char| ch.is_ascii_digit()) {
            c.digits().map(str::to_owned)
        } else {
            c.s = save;
            c.labelled(&[("post", 0), ("rev", 0), ("r", 0)])
                .map(|(_, n)| n)
        }
    };
    let dev = c.labelled(&[("dev", 0)]).map(|(_, n)| n);
    let mut local = Vec::new();
    if c.eat("+") {
        for part in c.s.split(['.', '-', '_']) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            local.push(Part::of(part));
        }
        c.s = "";
    }
    if !c.s.is_empty() {
        return None;
    }
    Some(Pep440 {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

/// `packaging`'s sort key uses ±infinity sentinels; this mirrors them.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Bound<T> {
    NegInf,
    Value(T),
    PosInf,
}

struct Digits<'a>(&'a str);
impl PartialEq for Digits<'_> {
    fn eq(&self, o: &Self) -> bool {
        cmp_digits(self.0, o.0) == Ordering::Equal
    }
}
impl Eq for Digits<'_> {}
impl PartialOrd for Digits<'_> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Digits<'_> {
    fn cmp(&self, o: &Self) -> Ordering {
        cmp_digits(self.0, o.0)
    }
}

impl Pep440 {
    fn pre_key(&self) -> Bound<(u8, Digits<'_>)> {
        match (&self.pre, &self.post, &self.dev) {
            // `1.0.dev0` sorts before `1.0a0`.
            (None, None, Some(_)) => Bound::NegInf,
            (None, _, _) => Bound::PosInf,
            (Some((k, n)), _, _) => Bound::Value((*k, Digits(n))),
        }
    }
    fn post_key(&self) -> Bound<Digits<'_>> {
        self.post
            .as_deref()
            .map_or(Bound::NegInf, |n| Bound::Value(Digits(n)))
    }
    fn dev_key(&self) -> Bound<Digits<'_>> {
        self.dev
            .as_deref()
            .map_or(Bound::PosInf, |n| Bound::Value(Digits(n)))
    }

    pub(super) fn cmp(&self, other: &Pep440) -> Ordering {
        cmp_digits(&self.epoch, &other.epoch)
            // Trailing zeros were stripped, so lexicographic order is PEP 440 padding order.
            .then_with(|| cmp_numbers(&self.release, &other.release))
            .then_with(|| self.pre_key().cmp(&other.pre_key()))
            .then_with(|| self.post_key().cmp(&other.post_key()))
            .then_with(|| self.dev_key().cmp(&other.dev_key()))
            // No local version sorts first; numeric parts sort after alphanumeric ones.
            .then_with(|| {
                cmp_seq(&self.local, &other.local, |a, b| {
                    a.cmp(b, Numbers::AfterWords)
                })
            })
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

    /// The spec's normalisations and its example order, plus versions from PYSEC/GHSA records.
    #[test]
    fn orders_pep440() {
        let cases = [
            ("1.0RC1", "1.0rc1", Equal),
            ("1.0c1", "1.0rc1", Equal),
            ("1.0-1", "1.0.post1", Equal),
            ("1.0.post", "1.0.post0", Equal),
            ("1.0-r1", "1.0.post1", Equal),
            ("1.0alpha1", "1.0a1", Equal),
            ("1.0-preview.2", "1.0rc2", Equal),
            ("v1.0", "1", Equal),
            ("1.0.0.0", "1", Equal),
            ("1.0.dev456", "1.0a1", Less),
            ("1.0a1", "1.0a2.dev456", Less),
            ("1.0a2.dev456", "1.0a12.dev456", Less),
            ("1.0a12", "1.0b1.dev456", Less),
            ("1.0b2.post345.dev456", "1.0b2.post345", Less),
            ("1.0b2-346", "1.0c1.dev456", Less),
            ("1.0rc1", "1.0", Less),
            ("1.0", "1.0+abc.5", Less),
            ("1.0+abc.5", "1.0+abc.7", Less),
            ("1.0+abc.7", "1.0+5", Less),
            ("1.0+5", "1.0.post456.dev34", Less),
            ("1.0.post456.dev34", "1.0.post456", Less),
            ("1.0.post456", "1.1.dev1", Less),
            ("1!0.1", "2.0", Greater),
            // pypi-pysec-osv-all: `0.5.0b3.dev31` and `2018.03.09-1` (a post release).
            ("0.5.0b3.dev31", "0.5.0b3", Less),
            ("2018.03.09-1", "2018.3.9", Greater),
            ("13.0.0.0b1", "13.0.0", Less),
            ("1.10a0", "1.9", Greater),
        ];
        assert_orders(cmp, &cases);
    }

    /// Legacy versions seen in PYSEC records are not PEP 440 and must not be guessed.
    #[test]
    fn rejects_legacy_versions() {
        for bad in [
            "1.9.0ubuntu1.2",
            "0.2.0-n653",
            "7.2.0-12.1",
            "",
            "1.0+",
            "1.0+a..b",
            "1.",
            "dev",
            "1.0rc1rc2",
        ] {
            assert!(parse(bad).is_none(), "`{bad}` should not parse");
        }
    }
}

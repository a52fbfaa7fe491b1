//! Composer (Packagist) versions: Composer's normalisation, then PHP's `version_compare`.
//!
//! Composer normalises `v1.2` to `1.2.0.0` and a stability suffix to `-alpha2`, `-RC1`,
//! `-patch3`; PHP then orders the special forms `dev < alpha = a < beta = b < RC = rc <
//! (number) < pl = p`. Branches such as `dev-master` have no order and are rejected.
//! References: composer/semver `VersionParser::normalize`, php-src `ext/standard/versioning.c`.

use super::num::{cmp_digits, is_digits};
use std::cmp::Ordering;

/// One `version_compare` token.
#[derive(Debug, Clone)]
enum Token {
    Num(String),
    /// Rank of a special form: dev 0, alpha 1, beta 2, rc 3, patch 5 (a number ranks 4).
    Special(u8),
}

const NUMBER_RANK: u8 = 4;

/// A parsed, normalised Composer version.
#[derive(Debug, Clone)]
pub(super) struct Composer(Vec<Token>);

/// Parses `v?N(.N)*` + optional `[._-]?(stable|beta|b|RC|alpha|a|patch|pl|p)([.-]?N)*`
/// + optional `[.-]?dev` + optional `+build` (ignored).
pub(super) fn parse(text: &str) -> Option<Composer> {
    let lower = text.trim().to_ascii_lowercase();
    let s = lower.split_once('+').map_or(lower.as_str(), |(v, _)| v);
    let s = s.strip_prefix('v').unwrap_or(s);
    let dated = normalize_date(s);
    let s = dated.as_str();
    let num_end = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (numeric, mut rest) = s.split_at(num_end);
    // A trailing `.` belongs to the suffix separator (`1.0.beta`).
    let numeric = match numeric.strip_suffix('.') {
        Some(n) if !rest.is_empty() => {
            rest = &s[num_end - 1..];
            n
        }
        _ => numeric,
    };
    let mut tokens = Vec::new();
    for part in numeric.split('.') {
        if !is_digits(part) {
            return None;
        }
        tokens.push(Token::Num(part.to_owned()));
    }
    while tokens.len() < 4 {
        tokens.push(Token::Num("0".to_owned()));
    }
    rest = rest.strip_prefix(['.', '_', '-']).unwrap_or(rest);
    const STABILITIES: [(&str, Option<u8>); 9] = [
        ("stable", None),
        ("alpha", Some(1)),
        ("beta", Some(2)),
        ("patch", Some(5)),
        ("rc", Some(3)),
        ("pl", Some(5)),
        ("a", Some(1)),
        ("b", Some(2)),
        ("p", Some(5)),
    ];
    if let Some((word, rank)) = STABILITIES.iter().find(|(w, _)| rest.starts_with(w)) {
        rest = &rest[word.len()..];
        if let Some(rank) = rank {
            tokens.push(Token::Special(*rank));
        }
        // `((?:[.-]?\d+)*+)`
        loop {
            let r = rest.strip_prefix(['.', '-']).unwrap_or(rest);
            let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            if end == 0 {
                break;
            }
            tokens.push(Token::Num(r[..end].to_owned()));
            rest = &r[end..];
        }
    }
    let r = rest.strip_prefix(['.', '-']).unwrap_or(rest);
    if r == "dev" {
        tokens.push(Token::Special(0));
        rest = "";
    }
    if !rest.is_empty() {
        return None;
    }
    Some(Composer(tokens))
}

/// Composer's date versions (`2017-08-18`, `2020:09:14`) become `2017.08.18`: a four-digit
/// year followed by `-` or `:` and digits; the separators of that numeric prefix become `.`.
fn normalize_date(s: &str) -> String {
    let b = s.as_bytes();
    let is_date = b.len() > 5
        && b[..4].iter().all(u8::is_ascii_digit)
        && matches!(b[4], b'-' | b':')
        && b[5].is_ascii_digit();
    if !is_date {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        let next_is_digit = s[i + c.len_utf8()..].starts_with(|n: char| n.is_ascii_digit());
        match c {
            '-' | ':' if next_is_digit => out.push('.'),
            '0'..='9' | '.' => out.push(c),
            _ => {
                out.push_str(&s[i..]);
                break;
            }
        }
    }
    out
}

fn rank(t: &Token) -> u8 {
    match t {
        Token::Num(_) => NUMBER_RANK,
        Token::Special(r) => *r,
    }
}

impl Composer {
    pub(super) fn cmp(&self, other: &Composer) -> Ordering {
        for (a, b) in self.0.iter().zip(&other.0) {
            let o = match (a, b) {
                (Token::Num(x), Token::Num(y)) => cmp_digits(x, y),
                _ => rank(a).cmp(&rank(b)),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        // PHP looks at the first leftover token only: a number makes its side greater, a
        // special form is compared with a number.
        match (self.0.get(other.0.len()), other.0.get(self.0.len())) {
            (Some(t), _) => rank(t).cmp(&NUMBER_RANK).then(Ordering::Greater),
            (_, Some(t)) => NUMBER_RANK.cmp(&rank(t)).then(Ordering::Less),
            (None, None) => Ordering::Equal,
        }
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

    /// Composer normalisation and stability order, with versions from Packagist GHSA records
    /// (composer-osvdev-all: `2.4.5-p8`, `3.1.7-PL1`, `4.3beta2`, `9.0.0RC1`, `6.6.0.0-rc1`).
    #[test]
    fn orders_composer() {
        let cases = [
            ("v1.2", "1.2.0.0", Equal),
            ("1.0.0", "1.0.0.0", Equal),
            ("1.0.0-dev", "1.0.0-alpha", Less),
            ("1.0.0-alpha", "1.0.0-beta", Less),
            ("1.0.0-beta", "1.0.0-RC", Less),
            ("1.0.0-rc1", "1.0.0", Less),
            ("1.0.0", "1.0.0-patch1", Less),
            ("2.4.5-p8", "2.4.5", Greater),
            ("2.4.5-p8", "2.4.5-p10", Less),
            ("2.4.5-p10", "2.4.6", Less),
            ("3.1.7-PL1", "3.1.7-p1", Equal),
            ("4.3beta2", "4.3.0-beta2", Equal),
            ("9.0.0RC1", "9.0.0-rc1", Equal),
            ("6.6.0.0-rc1", "6.6.0", Less),
            ("2.0.0-alpha.4", "2.0.0-alpha4", Equal),
            ("2.0.0-alpha.4", "2.0.0-alpha.12", Less),
            ("1.1.5-Beta", "1.1.5-beta", Equal),
            ("1.0.0-stable", "1.0.0", Equal),
            ("1.0.0-b1", "1.0.0-beta1", Equal),
            ("1.0.0+build", "1.0.0", Equal),
            ("1.0.0-beta", "1.0.0-beta1", Less),
            // composer-osvdev-all: date versions.
            ("2017-08-18", "2017.08.18", Equal),
            ("2017-08-18", "2020-09-14", Less),
        ];
        assert_orders(cmp, &cases);
    }

    #[test]
    fn rejects_branches_and_junk() {
        for bad in [
            "dev-master",
            "",
            "1.0.x-dev",
            "1..0",
            "1.0-foo",
            "1.0.0-beta-x",
        ] {
            assert!(parse(bad).is_none(), "`{bad}` should not parse");
        }
    }
}

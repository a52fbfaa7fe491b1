//! Alpine apk versions, compared with apk-tools 2's tokenizer (src/version.c):
//! `digits(.digits)*[letter](_suffix[digits])*[-rN]`. Pre-release suffixes `_alpha _beta
//! _pre _rc` sort before the release, post-release ones `_cvs _svn _git _hg _p` after it;
//! a part with leading zeros after a `.` compares as a fraction (`1.01 < 1.1`).
//! Checked against apk-tools' `test/version.data` (not vendored: GPL-2.0).

use super::num::{cmp_digits, take_digits};
use std::cmp::Ordering;

/// A validated apk version (compared by re-tokenizing, as apk does).
#[derive(Debug, Clone)]
pub(super) struct Apk(Vec<(Kind, Value)>);

/// Token types, in apk's order (which matters when two versions diverge in shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

/// A token's value: apk uses a signed integer; negatives are pre-release suffixes and
/// leading-zero runs (`-count`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Neg(usize),
    Pos(String),
}

impl Value {
    fn small(n: u8) -> Value {
        Value::Pos(n.to_string())
    }
    fn cmp(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::Neg(a), Value::Neg(b)) => b.cmp(a),
            (Value::Neg(_), Value::Pos(_)) => Ordering::Less,
            (Value::Pos(_), Value::Neg(_)) => Ordering::Greater,
            (Value::Pos(a), Value::Pos(b)) => cmp_digits(a, b),
        }
    }
}

const PRE_SUFFIXES: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

/// Tokenizes; `None` when apk would reach `TOKEN_INVALID`.
pub(super) fn parse(text: &str) -> Option<Apk> {
    let s = text.trim().as_bytes();
    let mut pos = 0;
    let mut kind = Kind::Digit;
    let mut tokens = Vec::new();
    if s.is_empty() {
        return None;
    }
    loop {
        if pos >= s.len() {
            break;
        }
        // get_token
        let start = pos;
        let mut next_kind = None;
        let value = match kind {
            Kind::DigitOrZero if s[pos] == b'0' => {
                while s.get(pos) == Some(&b'0') {
                    pos += 1;
                }
                next_kind = Some(Kind::Digit);
                Value::Neg(pos - start)
            }
            Kind::DigitOrZero | Kind::Digit | Kind::SuffixNo | Kind::RevisionNo => {
                let digits = take_digits(s, &mut pos);
                if digits.is_empty() {
                    return None;
                }
                Value::Pos(digits.to_owned())
            }
            Kind::Letter => {
                pos += 1;
                Value::small(s[start])
            }
            Kind::Suffix => {
                let rest = &s[pos..];
                if let Some(i) = PRE_SUFFIXES
                    .iter()
                    .position(|w| rest.starts_with(w.as_bytes()))
                {
                    pos += PRE_SUFFIXES[i].len();
                    Value::Neg(PRE_SUFFIXES.len() - i)
                } else if let Some(i) = POST_SUFFIXES
                    .iter()
                    .position(|w| rest.starts_with(w.as_bytes()))
                {
                    pos += POST_SUFFIXES[i].len();
                    Value::small(u8::try_from(i).expect("five suffixes fit in u8"))
                } else {
                    return None;
                }
            }
            Kind::End => return None,
        };
        tokens.push((kind, value));
        if pos >= s.len() {
            kind = Kind::End;
            break;
        }
        if let Some(k) = next_kind {
            kind = k;
            if s[pos].is_ascii_digit() {
                continue;
            }
            // No digit follows the zeros: apk reads an empty digit token (value 0), so the
            // zero part keeps a digit after its leading-zero run, and `1.0.1 < 1.06`
            // (apk-tools 2.x `version.data`). Before a `_` suffix apk 2's empty token would
            // make `1.0_rc1` sort after `1.0`; there we follow the documented order instead
            // (the suffix is a pre-release), as apk 3's rewritten comparison does.
            if s[pos] != b'_' {
                tokens.push((Kind::Digit, Value::small(0)));
            }
        }
        // next_token
        let c = s[pos];
        let n = if matches!(kind, Kind::Digit | Kind::DigitOrZero) && c.is_ascii_lowercase() {
            Kind::Letter
        } else if kind == Kind::Letter && c.is_ascii_digit() {
            Kind::Digit
        } else if kind == Kind::Suffix && c.is_ascii_digit() {
            Kind::SuffixNo
        } else {
            let n = match c {
                b'.' => Kind::DigitOrZero,
                b'_' => Kind::Suffix,
                b'-' if s.get(pos + 1) == Some(&b'r') => {
                    pos += 1;
                    Kind::RevisionNo
                }
                _ => return None,
            };
            pos += 1;
            n
        };
        let allowed = n >= kind
            || (n == Kind::DigitOrZero && kind == Kind::Digit)
            || (n == Kind::Suffix && kind == Kind::SuffixNo)
            || (n == Kind::Digit && kind == Kind::Letter);
        if !allowed {
            return None;
        }
        kind = n;
    }
    if kind != Kind::End {
        // The string ended right after a separator (`1.`, `1_`, `1-r`).
        return None;
    }
    Some(Apk(tokens))
}

impl Apk {
    /// apk's `apk_version_compare_blob`, over the pre-computed tokens.
    ///
    /// apk reads one token from each side while the types of the tokens read so far agree;
    /// a differing value decides, otherwise the types of the next tokens do.
    pub(super) fn cmp(&self, other: &Apk) -> Ordering {
        let (a, b) = (&self.0, &other.0);
        let kind_at = |t: &[(Kind, Value)], i: usize| t.get(i).map_or(Kind::End, |(k, _)| *k);
        let mut i = 0;
        let (na, nb) = loop {
            // Invariant: token `i` exists on both sides with the same type (both start with
            // a digit token, and we only advance while the next types agree).
            let (Some((_, va)), Some((_, vb))) = (a.get(i), b.get(i)) else {
                return Ordering::Equal;
            };
            let o = va.cmp(vb);
            if o != Ordering::Equal {
                return o;
            }
            let (na, nb) = (kind_at(a, i + 1), kind_at(b, i + 1));
            if na != nb || na == Kind::End {
                break (na, nb);
            }
            i += 1;
        };
        if na == nb {
            return Ordering::Equal;
        }
        // The longer version is greater unless it continues with a pre-release suffix...
        let pre_release =
            |t: &[(Kind, Value)]| matches!(t.get(i + 1), Some((Kind::Suffix, Value::Neg(_))));
        if pre_release(a) {
            return Ordering::Less;
        }
        if pre_release(b) {
            return Ordering::Greater;
        }
        // ...otherwise the side whose next token type ranks higher is the lesser one.
        nb.cmp(&na)
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

    /// apk-tools behaviour and versions from Alpine OSV/secdb records
    /// (alpine-osvdev-all: `1.8.25_p1-r3`, `1.9.5p2-r0`, `1.1.1d-r1`, `8.2.3437-r0`).
    #[test]
    fn orders_apk() {
        let cases = [
            ("1.2.3_rc1-r0", "1.2.3-r0", Less),
            ("0.1.0_alpha", "0.1.0_alpha", Equal),
            ("1.2.3_alpha", "1.2.3_beta", Less),
            ("1.2.3_beta", "1.2.3_pre", Less),
            ("1.2.3_pre", "1.2.3_rc", Less),
            ("1.2.3", "1.2.3_p1", Less),
            ("1.2.3_cvs", "1.2.3_svn", Less),
            ("1.2.3_git", "1.2.3_hg", Less),
            ("1.2.3_hg", "1.2.3_p", Less),
            ("1.2.3_p1", "1.2.4", Less),
            ("1.2a", "1.2", Greater),
            ("1.2a", "1.2b", Less),
            ("1.2a", "1.2.1", Less),
            ("1.1.1d-r1", "1.1.1d-r0", Greater),
            ("1.1.1d-r1", "1.1.1e-r0", Less),
            ("1.8.25_p1-r3", "1.8.25-r10", Greater),
            ("1.9.5p2-r0", "1.9.5p1-r9", Greater),
            ("8.2.3437-r0", "8.2.3436-r5", Greater),
            ("1.0-r1", "1.0-r0", Greater),
            ("1.0", "1.0-r0", Less),
            ("1.0_rc1", "1.0", Less),
            ("1.01", "1.1", Less),
            // apk-tools 2.x test/unit/version.data: a zero part keeps a digit after its
            // leading-zero run.
            ("1.0.1", "1.06-r1", Less),
            ("1.0-r1", "1.0", Greater),
            ("1.0.0", "1.0.1", Less),
            ("1.0", "1", Greater),
            ("2.40-r10", "2.40-r9", Greater),
            ("1.2.3_rc1_p1", "1.2.3_rc1", Greater),
            ("99999999999999999999999", "18446744073709551616", Greater),
        ];
        assert_orders(cmp, &cases);
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "", "1.", "1_", "1-r", "1-x", "_rc1", "1.2_foo", "1.2A", "a1", "1..2",
        ] {
            assert!(parse(bad).is_none(), "`{bad}` should not parse");
        }
    }
}

//! Debian/Ubuntu dpkg versions: `[epoch:]upstream[-revision]`, compared with dpkg's
//! `verrevcmp` (lib/dpkg/version.c): letters before non-letters, `~` before everything,
//! even the end of the string, digit runs numerically.

use super::evr::Evr;
use super::num::{cmp_digits, take_digits};
use std::cmp::Ordering;

/// A parsed dpkg version: epoch, upstream version and Debian revision.
#[derive(Debug, Clone)]
pub(super) struct Dpkg(Evr);

/// Parses like dpkg's `parseversion`, rejecting what it rejects (and an upstream version
/// that does not start with a digit, which dpkg only warns about: we never guess).
pub(super) fn parse(text: &str) -> Option<Dpkg> {
    let evr = Evr::split(text)?;
    if !evr.version.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let upstream_ok = evr
        .version
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".+-~:".contains(&b));
    let revision_ok = evr
        .release
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".+~".contains(&b));
    if !upstream_ok || !revision_ok {
        return None;
    }
    Some(Dpkg(evr))
}

/// dpkg's `order()`: digits and the end 0, letters their code, `~` -1, others code + 256.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`, with digit runs compared as strings so they cannot overflow.
pub(super) fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while a.get(i).is_some_and(|c| !c.is_ascii_digit())
            || b.get(j).is_some_and(|c| !c.is_ascii_digit())
        {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        let o = cmp_digits(take_digits(a, &mut i), take_digits(b, &mut j));
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

impl Dpkg {
    pub(super) fn cmp(&self, other: &Dpkg) -> Ordering {
        self.0.cmp_with(&other.0, verrevcmp)
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

    /// dpkg's own test cases and versions from Debian OSV records (debian-osvdev-sbom-subset:
    /// `1:2.36-9+deb12u4`, `18.19.0+dfsg-6~deb12u1`, `8:6.9.7.4+dfsg-11+deb9u3`).
    #[test]
    fn orders_dpkg() {
        let cases = [
            ("1.0~rc1", "1.0", Less),
            ("1.0~~", "1.0~", Less),
            ("1.0~", "1.0", Less),
            ("1.0", "1.0+b1", Less),
            ("1.0", "1.0a", Less),
            ("1.0a", "1.0.", Less),
            ("2.36-9+deb12u10", "2.36-9+deb12u9", Greater),
            ("1:2.36-9+deb12u4", "2.36-9+deb12u10", Greater),
            ("0:2.36-9", "2.36-9", Equal),
            ("1.0", "1.0-0", Equal),
            ("1.001", "1.1", Equal),
            ("18.19.0+dfsg-6~deb12u1", "18.19.0+dfsg-6", Less),
            ("18.19.0+dfsg-6~deb12u1", "18.19.0+dfsg-5", Greater),
            (
                "8:6.9.7.4+dfsg-11+deb9u3",
                "8:6.9.7.4+dfsg-11+deb9u10",
                Less,
            ),
            ("1.6.dfsg.4~beta1-1", "1.6.dfsg.4-1", Less),
            ("2.7-18lenny7", "2.7-18", Greater),
            ("1.0.1t-1+deb8u5", "1.0.1s-1", Greater),
            ("1.2-3-4", "1.2-3-3", Greater),
            ("10", "9", Greater),
            ("99999999999999999999999", "18446744073709551616", Greater),
        ];
        assert_orders(cmp, &cases);
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "", "a1.0", "1.0-", "x:1.0", "1.0 1", "1.0_1", "1.0-a_b", ":1.0",
        ] {
            assert!(parse(bad).is_none(), "`{bad}` should not parse");
        }
    }
}

//! RPM versions: `[epoch:]version[-release]`, each part compared with `rpmvercmp`
//! (rpmio/rpmvercmp.c, with `~` sorting before everything and `^` after the base version
//! but before anything else). A missing epoch is 0, as Red Hat's `0:` prefix spells out.

use super::evr::Evr;
use super::num::{cmp_digits, take_run};
use std::cmp::Ordering;

/// A parsed RPM EVR.
#[derive(Debug, Clone)]
pub(super) struct Rpm(Evr);

fn valid_part(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._+~^".contains(&b))
}

/// Parses an EVR; the release is everything after the last `-`.
pub(super) fn parse(text: &str) -> Option<Rpm> {
    let evr = Evr::split(text)?;
    if evr.version.is_empty()
        || !valid_part(&evr.version)
        || !valid_part(&evr.release)
        || !evr.version.bytes().any(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    Some(Rpm(evr))
}

/// `rpmvercmp`, with digit runs compared as strings.
pub(super) fn rpmvercmp(a: &str, b: &str) -> Ordering {
    use Ordering::{Equal, Greater, Less};
    if a == b {
        return Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let sep = |c: &u8| !c.is_ascii_alphanumeric() && *c != b'~' && *c != b'^';
    loop {
        while a.get(i).is_some_and(sep) {
            i += 1;
        }
        while b.get(j).is_some_and(sep) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca.is_none() && cb.is_none() {
            return Equal;
        }
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Greater;
            }
            if cb != Some(b'~') {
                return Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Less;
            }
            if cb.is_none() {
                return Greater;
            }
            if ca != Some(b'^') {
                return Greater;
            }
            if cb != Some(b'^') {
                return Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else {
            // One side ran out: the longer one is newer.
            return if ca.is_none() { Less } else { Greater };
        };
        let is_num = ca.is_ascii_digit();
        let class = |c: &u8| {
            if is_num {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let sa = take_run(a, &mut i, class);
        let sb = take_run(b, &mut j, class);
        if sb.is_empty() {
            // Different segment types: numeric is newer than alpha.
            return if is_num { Greater } else { Less };
        }
        let o = if is_num {
            cmp_digits(sa, sb)
        } else {
            sa.cmp(sb)
        };
        if o != Equal {
            return o;
        }
    }
}

impl Rpm {
    pub(super) fn cmp(&self, other: &Rpm) -> Ordering {
        self.0.cmp_with(&other.0, rpmvercmp)
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

    /// rpm's rpmvercmp test suite (tests/rpmvercmp.at) subset.
    #[test]
    fn rpmvercmp_cases() {
        let cases = [
            ("1.0", "1.0", Equal),
            ("1.0", "2.0", Less),
            ("2.0.1", "2.0", Greater),
            ("2.0.1a", "2.0.1", Greater),
            ("5.5p1", "5.5p2", Less),
            ("5.5p10", "5.5p1", Greater),
            ("10xyz", "10.1xyz", Less),
            ("xyz10", "xyz10.1", Less),
            ("1.0aa", "1.0a", Greater),
            ("10.0001", "10.1", Equal),
            ("10.0001", "10.0039", Less),
            ("4.999.9", "5.0", Less),
            ("20101121", "20101122", Less),
            ("2_0", "2_0", Equal),
            ("2.0", "2_0", Equal),
            ("a", "a", Equal),
            ("a+", "a_", Equal),
            ("+", "_", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1", "1.0~rc2", Less),
            ("1.0~rc1~git123", "1.0~rc1", Less),
            ("1.0^", "1.0", Greater),
            ("1.0^git1", "1.0", Greater),
            ("1.0^git1", "1.01", Less),
            ("1.0^git1", "1.0^git2", Less),
            ("1.0^git1", "1.0.1", Less),
            ("1.0^20160101", "1.0.1", Less),
            ("1.0~rc1^git1", "1.0~rc1", Greater),
            ("1.0^git1~pre", "1.0^git1", Less),
        ];
        assert_orders(rpmvercmp, &cases);
    }

    /// EVRs from Red Hat, AlmaLinux and Rocky OSV records (redhat-osv-sbom-subset,
    /// alma-osv-all, rocky-osv-all).
    #[test]
    fn orders_evr() {
        let cases = [
            ("0:8.5.0-22.el8_10", "8.5.0-22.el8_10", Equal),
            ("0:8.5.0-22.el8_10", "8.5.0-21.el8", Greater),
            (
                "1:0.1.15-2.git2d0b8a3.module_el8.5.0+119+9a9ec082",
                "0:9.9-1",
                Greater,
            ),
            ("1:1.8.0.432.b06-2.el9", "1:1.8.0.402.b06-2.el8", Greater),
            (
                "0:4.18.0-553.5.1.rt7.346.el8_10",
                "0:4.18.0-553.el8_10",
                Greater,
            ),
            ("0:3.6.8-51.el8_8.1.rocky.0", "0:3.6.8-51.el8_8.1", Greater),
            ("0:2.28-225.el8_8.6", "2.28-225.el8_8.11", Less),
            ("8.83.5.1_1-122.el8_10.1", "8.83.5.1_1-122.el8_10", Greater),
            ("91.6.0-1.el8_5.alma.plus", "91.6.0-1.el8_5", Greater),
        ];
        assert_orders(cmp, &cases);
    }

    #[test]
    fn rejects_invalid() {
        for bad in ["", "x:1", "1.0-", "1.0 1", "-1", "1.0-1-2é", "..."] {
            assert!(parse(bad).is_none(), "`{bad}` should not parse");
        }
    }
}

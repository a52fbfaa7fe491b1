//! NuGet versions (`NuGetVersion`): up to four numeric parts, a pre-release compared
//! label by label case-insensitively, metadata ignored. `1.0` == `1.0.0.0`.
//! Reference: <https://learn.microsoft.com/en-us/nuget/concepts/package-versioning>.

use super::num::{cmp_digits, is_digits};
use std::cmp::Ordering;

/// A parsed NuGet version.
#[derive(Debug, Clone)]
pub(super) struct NuGet {
    parts: [String; 4],
    /// Lower-cased labels.
    pre: Vec<String>,
}

/// Parses `major[.minor[.patch[.revision]]][-pre][+metadata]`, a `v` prefix tolerated.
pub(super) fn parse(text: &str) -> Option<NuGet> {
    let s = text.trim();
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    let s = match s.split_once('+') {
        Some((rest, meta)) => {
            if !valid_labels(meta) {
                return None;
            }
            rest
        }
        None => s,
    };
    let (core, pre) = match s.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (s, None),
    };
    let mut parts: [String; 4] = Default::default();
    let mut n = 0;
    for p in core.split('.') {
        if n == 4 || !is_digits(p) {
            return None;
        }
        parts[n] = p.to_owned();
        n += 1;
    }
    for slot in parts.iter_mut().skip(n) {
        *slot = "0".to_owned();
    }
    let pre = match pre {
        Some(p) => {
            if !valid_labels(p) {
                return None;
            }
            p.split('.').map(str::to_ascii_lowercase).collect()
        }
        None => Vec::new(),
    };
    Some(NuGet { parts, pre })
}

fn valid_labels(s: &str) -> bool {
    s.split('.')
        .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

impl NuGet {
    pub(super) fn cmp(&self, other: &NuGet) -> Ordering {
        for (a, b) in self.parts.iter().zip(&other.parts) {
            let o = cmp_digits(a, b);
            if o != Ordering::Equal {
                return o;
            }
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            (false, false) => {}
        }
        for (a, b) in self.pre.iter().zip(&other.pre) {
            let o = match (is_digits(a), is_digits(b)) {
                (true, true) => cmp_digits(a, b),
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => a.cmp(b),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        self.pre.len().cmp(&other.pre.len())
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

    /// NuGet docs examples and versions from NuGet GHSA records (nuget-osvdev-all:
    /// `8.0.0-rc.2.23480.2`, `4.8.0-beta00017`, `6.0.0-preview.1.21102.12`).
    #[test]
    fn orders_nuget() {
        let cases = [
            ("1.0", "1.0.0.0", Equal),
            ("1.0.0.1", "1.0.0", Greater),
            ("1.0.0-BETA", "1.0.0-beta", Equal),
            ("1.0.0-beta+git.abc", "1.0.0-beta", Equal),
            ("1.0.0-alpha", "1.0.0", Less),
            ("1.0.0-alpha.2", "1.0.0-alpha.10", Less),
            ("1.0.0-alpha.10", "1.0.0-alpha.beta", Less),
            ("8.0.0-rc.2.23480.2", "8.0.0", Less),
            ("8.0.0-preview.1.23110.8", "8.0.0-rc.2.23480.2", Less),
            ("4.8.0-beta00005", "4.8.0-beta00017", Less),
            ("10.0-alpha1", "10.0.0-alpha1", Equal),
        ];
        assert_orders(cmp, &cases);
    }

    #[test]
    fn rejects_invalid() {
        for bad in ["", "1.0.0.0.0", "1.0-", "1..0", "1.0.0-a..b", "1.0+", "x"] {
            assert!(parse(bad).is_none(), "`{bad}` should not parse");
        }
    }
}

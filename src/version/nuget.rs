//! NuGet versions (`NuGetVersion`): up to four numeric parts, a pre-release compared
//! label by label case-insensitively, metadata ignored. `1.0` == `1.0.0.0`.
//! Reference: <https://learn.microsoft.com/en-us/nuget/concepts/package-versioning>.

use super::parts::{Part, cmp_numbers, cmp_pre_release, numeric_core, split_pre_build};
use std::cmp::Ordering;

/// A parsed NuGet version.
#[derive(Debug, Clone)]
pub(super) struct NuGet {
    parts: [String; 4],
    /// Lower-cased labels.
    pre: Vec<Part>,
}

/// Parses `major[.minor[.patch[.revision]]][-pre][+metadata]`, a `v` prefix tolerated.
pub(super) fn parse(text: &str) -> Option<NuGet> {
    let s = text.trim();
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    let (core, pre) = split_pre_build(s)?;
    let parts = numeric_core::<4>(core)?;
    let pre = pre.map_or_else(Vec::new, |p| {
        p.split('.')
            .map(|l| Part::of(&l.to_ascii_lowercase()))
            .collect()
    });
    Some(NuGet { parts, pre })
}

impl NuGet {
    pub(super) fn cmp(&self, other: &NuGet) -> Ordering {
        cmp_numbers(&self.parts, &other.parts).then_with(|| cmp_pre_release(&self.pre, &other.pre))
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

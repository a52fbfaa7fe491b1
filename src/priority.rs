//! Triage priority per finding, SSVC-style: [`Priority`] `act`, `attend`, `track*`,
//! `track`, from three decision points computed from the finding's own facts.
//!
//! A simplification of CISA's SSVC deployer tree (<https://www.cisa.gov/ssvc>): kevgate
//! knows nothing of the mission or the deployment, so the tree keeps the three points it can
//! see. The table is documented in `docs/priority.md`; the gate's verdict does not depend on
//! it (it orders work, it does not pass or fail builds).
//!
//! - exploitation: `active` when the CVE is in CISA KEV; `poc` when NVD lists an
//!   Exploit-tagged reference or EPSS is at least [`EPSS_POC`]; else `none`.
//! - automatable: the CVSS vector (v3 or v4) says `AV:N`, `PR:N` and `UI:N`.
//! - technical impact: `total` when the vector says confidentiality and integrity are both
//!   high (`C:H/I:H`, v4 `VC:H/VI:H`); else `partial` (also without a vector).
//!
//! A known-malicious package version ([`Finding::malicious`]) is `act` before the tree: it
//! is a compromise in place, not a weakness that may be exploited.

use crate::enrich::Finding;

/// EPSS score (probability, 0-1) from which exploitation counts as `poc`.
pub const EPSS_POC: f64 = 0.1;

crate::names::keyword_enum! {
/// What to do about a finding, most urgent first in `Ord`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// Act now: actively exploited, automatable, total impact.
    Act = "act",
    /// Attend soon: actively exploited, or a public exploit for an automatable total impact.
    Attend = "attend",
    /// Track closely: a public exploit or an automatable total impact, not both.
    TrackStar = "track*",
    /// Track: fix in the normal update cycle.
    Track = "track",
}
}

/// SSVC exploitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exploitation {
    /// In CISA KEV.
    Active,
    /// Exploit-tagged reference, or EPSS >= [`EPSS_POC`].
    Poc,
    /// Neither.
    None,
}

/// The priority of `finding` (see the module docs for the table). A known-malicious package
/// version is `act` whatever its score: the code is hostile by design, not merely
/// exploitable.
pub fn of(finding: &Finding) -> Priority {
    if finding.malicious {
        return Priority::Act;
    }
    let vector = finding.cvss.as_ref().map(|c| c.vector.as_str());
    decide(
        exploitation(finding),
        vector.is_some_and(automatable),
        vector.is_some_and(total_impact),
    )
}

/// The decision table.
pub fn decide(exploitation: Exploitation, automatable: bool, total: bool) -> Priority {
    match (exploitation, automatable, total) {
        (Exploitation::Active, true, true) => Priority::Act,
        (Exploitation::Active, _, _) => Priority::Attend,
        (Exploitation::Poc, true, true) => Priority::Attend,
        (Exploitation::Poc, _, _) => Priority::TrackStar,
        (Exploitation::None, true, true) => Priority::TrackStar,
        (Exploitation::None, _, _) => Priority::Track,
    }
}

/// SSVC exploitation of `finding`.
pub fn exploitation(finding: &Finding) -> Exploitation {
    if finding.kev.is_some() {
        Exploitation::Active
    } else if !finding.exploit_refs.is_empty() || finding.epss.is_some_and(|e| e.score >= EPSS_POC)
    {
        Exploitation::Poc
    } else {
        Exploitation::None
    }
}

/// The value of metric `key` in a CVSS vector (`AV` in `CVSS:3.1/AV:N/...`).
fn metric<'a>(vector: &'a str, key: &str) -> Option<&'a str> {
    vector
        .split('/')
        .filter_map(|part| part.split_once(':'))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// `AV:N`, `PR:N` and `UI:N` (v3; v4 has the same keys).
fn automatable(vector: &str) -> bool {
    metric(vector, "AV") == Some("N")
        && metric(vector, "PR") == Some("N")
        && metric(vector, "UI") == Some("N")
}

/// Confidentiality and integrity both high (v3 `C`/`I`, v4 `VC`/`VI`).
fn total_impact(vector: &str) -> bool {
    let high = |a: &str, b: &str| metric(vector, a).or(metric(vector, b)) == Some("H");
    high("C", "VC") && high("I", "VI")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row of the documented decision table.
    #[test]
    fn decision_table() {
        use Exploitation::*;
        use Priority::*;
        let rows = [
            (Active, true, true, Act),
            (Active, true, false, Attend),
            (Active, false, true, Attend),
            (Active, false, false, Attend),
            (Poc, true, true, Attend),
            (Poc, true, false, TrackStar),
            (Poc, false, true, TrackStar),
            (Poc, false, false, TrackStar),
            (None, true, true, TrackStar),
            (None, true, false, Track),
            (None, false, true, Track),
            (None, false, false, Track),
        ];
        for (e, a, t, want) in rows {
            assert_eq!(decide(e, a, t), want, "{e:?} {a} {t}");
        }
    }

    /// Vectors: v3.1, v3.0, v4.0, v2 (no UI metric: not automatable), junk.
    #[test]
    fn vectors() {
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", true, true),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:L/I:L/A:N", false, false),
            ("CVSS:3.0/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", false, true),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                true,
                true,
            ),
            ("AV:N/AC:L/Au:N/C:P/I:P/A:P", false, false),
            ("", false, false),
            ("::://", false, false),
        ];
        for (v, a, t) in cases {
            assert_eq!((automatable(v), total_impact(v)), (a, t), "{v}");
        }
    }

    /// Serialized names are the documented ones.
    #[test]
    fn names() {
        for p in [
            Priority::Act,
            Priority::Attend,
            Priority::TrackStar,
            Priority::Track,
        ] {
            assert_eq!(
                serde_json::to_value(p).expect("serializes"),
                serde_json::Value::String(p.as_str().to_owned())
            );
        }
    }
}

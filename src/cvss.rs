//! CVSS base scores from vector strings (v4.0, v3.1, v3.0 and v2), and which of several
//! scores of one source to show.
//!
//! OSV records carry only vectors (`severity[].score` is `CVSS:3.1/AV:N/...`), so a score
//! for an advisory without an NVD record has to be computed. v4.0 is scored by rustsec's
//! `cvss` crate, a port of FIRST's reference calculator (macrovector lookup table,
//! severity distances, rounding); the tests hold it to FIRST's own validation set, one vector
//! per macrovector. v3.x and v2 are closed formulas, computed here.
//!
//! A vector that scores 0.0 (CVSS "None": no impact at all) rates nothing: GitHub writes
//! `C:N/I:N/A:N` v3.1 vectors beside a real v4.0 one (CVE-2024-52301, `VI:H`, 8.7), and
//! the v3.1 vector must not hide it. [`preference`] puts such scores last.
//!
//! Formulas: <https://www.first.org/cvss/v4.0/specification-document> (section 8, and the
//! calculator FIRST links from it),
//! <https://www.first.org/cvss/v3.1/specification-document#7-4-Metric-Values>
//! (v3.0 differs only in rounding) and
//! <https://www.first.org/cvss/v2/guide#3-2-1-Base-Equation>.

use std::str::FromStr;

/// The score of a CVSS vector and its version (`4.0`, `3.1`, `3.0`, `2.0`), `None` when it
/// does not parse. A v4.0 vector's threat and environmental metrics count when present
/// (CVSS-BT / CVSS-BTE, as FIRST's calculator scores them).
pub fn base_score(vector: &str) -> Option<(f32, &'static str)> {
    if vector.starts_with("CVSS:4.0/") {
        v4(vector).map(|s| (s, "4.0"))
    } else if let Some(rest) = vector.strip_prefix("CVSS:3.1/") {
        v3(rest, true).map(|s| (s, "3.1"))
    } else if let Some(rest) = vector.strip_prefix("CVSS:3.0/") {
        v3(rest, false).map(|s| (s, "3.0"))
    } else if vector.starts_with("CVSS:") {
        None
    } else {
        let rest = vector.strip_prefix("(").unwrap_or(vector);
        let rest = rest.strip_suffix(")").unwrap_or(rest);
        v2(rest).map(|s| (s, "2.0"))
    }
}

/// Which of one source's scores to show: lower sorts first. A score that rates something
/// (above 0.0) before one that does not; then v3.1, v3.0, v4.0, v2 (v3.1 is what NVD and
/// most advisories lead with, so findings stay comparable across sources).
pub fn preference(score: f32, version: &str) -> (bool, u8) {
    let rank = match version {
        "3.1" => 0,
        "3.0" => 1,
        "4.0" => 2,
        "2.0" => 3,
        _ => 4,
    };
    (score <= 0.0, rank)
}

/// v4.0 with FIRST's algorithm (the `cvss` crate); its rounding is FIRST's
/// (`round half up` to one decimal, after an epsilon).
fn v4(vector: &str) -> Option<f32> {
    let parsed = cvss::v4::Vector::from_str(vector).ok()?;
    Some(parsed.score().value() as f32)
}

fn metrics(vector: &str) -> Option<Vec<(&str, &str)>> {
    vector
        .split('/')
        .map(|part| part.split_once(':'))
        .collect::<Option<Vec<_>>>()
}

fn get<'a>(m: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    m.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

fn v3(vector: &str, v31: bool) -> Option<f32> {
    let m = metrics(vector)?;
    let changed = match get(&m, "S")? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av = match get(&m, "AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match get(&m, "AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (get(&m, "PR")?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match get(&m, "UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |key: &str| -> Option<f64> {
        match get(&m, key)? {
            "H" => Some(0.56),
            "L" => Some(0.22),
            "N" => Some(0.0),
            _ => None,
        }
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02f64).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Some(0.0);
    }
    let raw = if changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    let rounded = if v31 {
        roundup31(raw)
    } else {
        (raw * 10.0).ceil() / 10.0
    };
    Some(rounded as f32)
}

/// CVSS v3.1 `Roundup`: the smallest number with one decimal that is >= the input, robust
/// to floating-point noise (specification Appendix A).
fn roundup31(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

fn v2(vector: &str) -> Option<f32> {
    let m = metrics(vector)?;
    let av = match get(&m, "AV")? {
        "L" => 0.395,
        "A" => 0.646,
        "N" => 1.0,
        _ => return None,
    };
    let ac = match get(&m, "AC")? {
        "H" => 0.35,
        "M" => 0.61,
        "L" => 0.71,
        _ => return None,
    };
    let au = match get(&m, "Au")? {
        "M" => 0.45,
        "S" => 0.56,
        "N" => 0.704,
        _ => return None,
    };
    let cia = |key: &str| -> Option<f64> {
        match get(&m, key)? {
            "N" => Some(0.0),
            "P" => Some(0.275),
            "C" => Some(0.660),
            _ => None,
        }
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let impact = 10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a));
    let exploitability = 20.0 * av * ac * au;
    let f = if impact == 0.0 { 0.0 } else { 1.176 };
    let score = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f;
    Some(((score * 10.0).round() / 10.0) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores as NVD publishes them for real vectors.
    #[test]
    fn scores_match_nvd() {
        let cases = [
            // CVE-2021-44228 (Log4Shell), NVD 10.0.
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Some(10.0)),
            // CVE-2023-4911 (glibc), NVD 7.8.
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", Some(7.8)),
            // CVE-2019-11358 (jQuery), NVD 6.1.
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", Some(6.1)),
            // CVE-2020-11023 (jQuery), NVD 6.9 (v3.1, AC:H).
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:L/A:N", Some(6.9)),
            // redhat rating of CVE-2019-11358 in trivy's golden SBOM, 5.6.
            ("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L", Some(5.6)),
            // CVE-2002-0391 (Debian OSV record's vector), 9.8.
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Some(9.8)),
            // v2 of CVE-2019-11358, NVD 4.3.
            ("AV:N/AC:M/Au:N/C:N/I:P/A:N", Some(4.3)),
            // v2 10.0.
            ("AV:N/AC:L/Au:N/C:C/I:C/A:C", Some(10.0)),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", Some(0.0)),
            // FIRST's calculator default vector, 9.3.
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                Some(9.3),
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:X/SC:N/SI:N/SA:N",
                None,
            ),
            ("CVSS:4.0/AV:N/AC:L", None),
            ("CVSS:3.1/AV:X/AC:L", None),
            ("garbage", None),
            ("", None),
        ];
        for (vector, want) in cases {
            assert_eq!(base_score(vector).map(|(s, _)| s), want, "{vector}");
        }
    }

    /// FIRST's calculator validation set: one vector per v4.0 macrovector (all 270 entries of
    /// the lookup table, with threat and environmental metrics), each scored as FIRST's
    /// official calculator scores it.
    #[test]
    fn v4_matches_first_reference_set() {
        let set = include_str!("../tests/fixtures/cvss/first-v4-macro-scores");
        let mut checked = 0;
        for line in set.lines() {
            let field = |name: &str| {
                let start = line.find(&format!("'{name}': ")).expect(name) + name.len() + 4;
                let rest = &line[start..];
                let end = rest.find([',', '}']).expect("field end");
                rest[..end].trim_matches('\'').to_owned()
            };
            let (vector, want) = (field("vector"), field("score"));
            let want: f32 = want.parse().expect("score");
            assert_eq!(base_score(&vector), Some((want, "4.0")), "{vector}");
            checked += 1;
        }
        assert_eq!(checked, 270);
    }

    /// Real v4.0 vectors with the score their publisher gives.
    #[test]
    fn v4_matches_published_scores() {
        let cases = [
            // NVD API 2.0, CVE-2025-6965 (Google, Secondary), with supplemental metrics.
            (
                "CVSS:4.0/AV:N/AC:H/AT:P/PR:L/UI:N/VC:L/VI:H/VA:L/SC:L/SI:H/SA:L/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:N/AU:N/R:U/V:D/RE:L/U:Green",
                7.2,
            ),
            // NVD API 2.0, CVE-2025-8058 (Secondary), 5.9.
            (
                "CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:P/VC:L/VI:L/VA:H/SC:L/SI:L/SA:H/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:X/AU:X/R:X/V:X/RE:X/U:X",
                5.9,
            ),
            // NVD API 2.0 page from osv.dev's tests (Google, Secondary), 8.2.
            (
                "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:X/AU:X/R:X/V:X/RE:X/U:X",
                8.2,
            ),
            // GHSA-gv7v-rgg6-548h (CVE-2024-52301), GitHub shows 8.7 HIGH.
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:H/VA:N/SC:N/SI:N/SA:N",
                8.7,
            ),
        ];
        for (vector, want) in cases {
            assert_eq!(base_score(vector), Some((want, "4.0")), "{vector}");
        }
    }

    /// A score that rates something sorts before one that does not, whatever the version;
    /// then v3.1, v3.0, v4.0, v2.
    #[test]
    fn preference_orders_scores() {
        let mut scores = [
            (0.0, "3.1"),
            (4.3, "2.0"),
            (8.7, "4.0"),
            (5.6, "3.0"),
            (6.1, "3.1"),
        ];
        scores.sort_by_key(|(s, v)| preference(*s, v));
        assert_eq!(
            scores,
            [
                (6.1, "3.1"),
                (5.6, "3.0"),
                (8.7, "4.0"),
                (4.3, "2.0"),
                (0.0, "3.1")
            ]
        );
    }

    /// Hostile vectors (from an SBOM or a forged feed) give `None`, never a panic or a score:
    /// truncated, repeated, unknown, out-of-order-junk and oversized input.
    #[test]
    fn hostile_v4_vectors_do_not_score() {
        let long = format!("CVSS:4.0/{}", "AV:N/".repeat(10_000));
        let cases = [
            "CVSS:4.0/",
            "CVSS:4.0",
            "CVSS:4.0//",
            "CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
            "CVSS:4.0/AV:Z/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/XX:Y",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:\u{202e}N",
            "CVSS:4.0/AV:Ｎ/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            long.as_str(),
        ];
        for vector in cases {
            let shown: String = vector.chars().take(80).collect();
            assert_eq!(base_score(vector), None, "{shown}");
        }
    }
}

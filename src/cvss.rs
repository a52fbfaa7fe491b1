//! CVSS base scores from vector strings (v3.0, v3.1 and v2).
//!
//! OSV records carry only vectors (`severity[].score` is `CVSS:3.1/AV:N/...`), so a score
//! for an advisory without an NVD record has to be computed. v4.0 scoring needs the
//! specification's 270-entry macro-vector table; it is left out on purpose: a v4.0-only
//! advisory falls back to the advisory database's own severity word, and says so.
//!
//! Formulas: <https://www.first.org/cvss/v3.1/specification-document#7-4-Metric-Values>
//! (v3.0 differs only in rounding) and
//! <https://www.first.org/cvss/v2/guide#3-2-1-Base-Equation>.

/// The base score of a CVSS v3.x or v2 vector, `None` when it does not parse or is v4.
pub fn base_score(vector: &str) -> Option<(f32, &'static str)> {
    if let Some(rest) = vector.strip_prefix("CVSS:3.1/") {
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
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                None,
            ),
            ("CVSS:3.1/AV:X/AC:L", None),
            ("garbage", None),
            ("", None),
        ];
        for (vector, want) in cases {
            assert_eq!(base_score(vector).map(|(s, _)| s), want, "{vector}");
        }
    }
}

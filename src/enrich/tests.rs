use super::*;

/// A match of `ids` with one advisory, `advisory` (its id and first reference).
fn matched(ids: &[&str], advisory: (&str, Option<&str>)) -> Match {
    let advisory: crate::db::Advisory = serde_json::from_value(serde_json::json!({
        "id": advisory.0,
        "affected": [],
        "url": advisory.1,
    }))
    .expect("advisory");
    Match {
        component: 0,
        ids: ids.iter().map(|s| (*s).to_owned()).collect(),
        advisories: vec![std::sync::Arc::new(advisory)],
        fixed_versions: Vec::new(),
        sbom_vulnerabilities: Vec::new(),
        affected: Vec::new(),
        fix_channel: None,
    }
}

/// The link is the canonical page of the finding's own id, whatever the advisory's first
/// reference says (GHSA-x7p5-p2c9-phvg's is GHSA-3p32-j457-pg5x); an id that is no plain
/// token falls back to the references.
#[test]
fn link_is_the_own_id_page() {
    let other =
        Some("https://github.com/laravel/framework/security/advisories/GHSA-3p32-j457-pg5x");
    let cases = [
        (
            "GHSA-x7p5-p2c9-phvg",
            ("GHSA-x7p5-p2c9-phvg", other),
            Some("https://github.com/advisories/GHSA-x7p5-p2c9-phvg"),
        ),
        (
            "CVE-2018-15133",
            (
                "GHSA-qvqm-h22r-4cp9",
                Some("https://nvd.nist.gov/vuln/detail/CVE-2017-0001"),
            ),
            Some("https://nvd.nist.gov/vuln/detail/CVE-2018-15133"),
        ),
        (
            "GO-2023-2102",
            ("GO-2023-2102", Some("https://go.dev/issue/63417")),
            Some("https://osv.dev/vulnerability/GO-2023-2102"),
        ),
        (
            "RHSA-2025:1301",
            ("RHSA-2025:1301", None),
            Some("https://osv.dev/vulnerability/RHSA-2025:1301"),
        ),
        // Not a plain id: never spliced into a URL.
        (
            "x](javascript:alert(1))",
            ("x](javascript:alert(1))", other),
            other,
        ),
    ];
    for (id, advisory, want) in cases {
        let m = matched(&[id], advisory);
        assert_eq!(link(id, &m, &[]).as_deref(), want, "{id}");
    }
}

/// NVD's score: its own before the CNA's, v3.1 before v4.0, and a 0.0 score last.
/// CVE-2025-6965 (NVD API 2.0): primary v3.1 9.8, Google's v4.0 7.2. CVE-2024-52301 as
/// GitHub scores it: v3.1 `C:N/I:N/A:N` 0.0 and v4.0 8.7.
#[test]
fn nvd_score_choice() {
    let metric = |version: &str, score: f32, primary: bool| CvssMetric {
        version: version.into(),
        score,
        vector: format!("CVSS:{version}/…"),
        source: if primary { "nvd@nist.gov" } else { "cna" }.into(),
        primary,
    };
    let cases = [
        (
            vec![metric("4.0", 7.2, false), metric("3.1", 9.8, true)],
            Some((9.8, "3.1", "nvd")),
        ),
        (
            vec![metric("3.1", 0.0, false), metric("4.0", 8.7, false)],
            Some((8.7, "4.0", "nvd-secondary")),
        ),
        (
            vec![metric("3.1", 0.0, true), metric("4.0", 8.7, false)],
            Some((8.7, "4.0", "nvd-secondary")),
        ),
        (vec![metric("3.1", 0.0, true)], Some((0.0, "3.1", "nvd"))),
        (Vec::new(), None),
    ];
    for (metrics, want) in cases {
        let refs: Vec<&CvssMetric> = metrics.iter().collect();
        let got = nvd_cvss(&refs);
        let got = got
            .as_ref()
            .map(|c| (c.score, c.version.as_str(), c.source.as_str()));
        assert_eq!(got, want, "{metrics:?}");
    }
}

/// Fixed versions take the installed version's `v` (Go), and only then.
#[test]
fn fixed_spelled_like_installed() {
    let cases = [
        ("0.17.0", Some("v0.8.0"), "v0.17.0"),
        ("v0.17.0", Some("v0.8.0"), "v0.17.0"),
        ("0.17.0", Some("0.8.0"), "0.17.0"),
        ("6.20.45", Some("5.5.40"), "6.20.45"),
        ("1:2.3-1", Some("1:2.2-1"), "1:2.3-1"),
        ("0.17.0", Some("vendor"), "0.17.0"),
        ("0.17.0", None, "0.17.0"),
    ];
    for (fixed, installed, want) in cases {
        assert_eq!(
            spelled_like(fixed, installed),
            want,
            "{fixed} {installed:?}"
        );
    }
}

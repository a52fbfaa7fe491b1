//! `kevgate summarize`: one Markdown table over many kevgate JSON reports, for the last job of
//! a matrix that scanned an organisation's repositories (`docs/organisation.md`).
//!
//! It reads what the reports say (`verdict`, `counts`; a watch document's `outcome` and its
//! releases' reports) and decides nothing anew: a repository failed when its report says so.
//! Reports are untrusted input (any job of the matrix, any repository, wrote them): they are
//! parsed leniently, every value shown is escaped for Markdown, and one that is not a kevgate
//! report is a row saying so, never a silent pass.

use crate::text;
use serde_json::Value;
use std::fmt::Write as _;

/// One report, summarised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// The report's name (its file name without `.json`).
    pub name: String,
    /// `pass` or `fail` (a watch: `pass`, `fail`, `error`).
    pub verdict: String,
    /// Whether the report's verdict is `fail`.
    pub failed: bool,
    /// Findings, all.
    pub total: u64,
    /// Findings that fail the gate.
    pub fail: u64,
    /// KEV findings.
    pub kev: u64,
    /// Critical findings.
    pub critical: u64,
    /// For a watch document: findings that became KEV after their release.
    pub kev_after_release: u64,
    /// Why the report could not be read.
    pub error: Option<String>,
}

/// Counts of a scan report's `counts` object, added to `row`.
fn add_counts(row: &mut Row, report: &Value) {
    let n = |k: &str| report["counts"][k].as_u64().unwrap_or(0);
    row.total += n("total");
    row.fail += n("fail");
    row.kev += n("kev");
    row.critical += n("critical");
}

impl Row {
    /// Summarises the JSON report `bytes` named `name`.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Row, String> {
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
        let mut row = Row {
            name: name.to_owned(),
            ..Row::default()
        };
        if doc["kind"] == "kevgate-watch" {
            let outcome = doc["outcome"].as_str().unwrap_or_default();
            if !matches!(outcome, "pass" | "fail" | "error") {
                return Err("a watch document without a valid `outcome`".to_owned());
            }
            row.verdict = outcome.to_owned();
            row.failed = outcome != "pass";
            for release in doc["releases"].as_array().into_iter().flatten() {
                add_counts(&mut row, &release["report"]);
                row.kev_after_release += release["became_kev_after_release"]
                    .as_array()
                    .map_or(0, |a| a.len() as u64);
            }
            return Ok(row);
        }
        let verdict = doc["verdict"].as_str().unwrap_or_default();
        if doc["schema_version"].as_str().is_none()
            || !matches!(verdict, "pass" | "fail")
            || !doc["counts"].is_object()
        {
            return Err(
                "not a kevgate JSON report (no `schema_version`, `verdict` and `counts`)"
                    .to_owned(),
            );
        }
        row.verdict = verdict.to_owned();
        row.failed = verdict == "fail";
        add_counts(&mut row, &doc);
        Ok(row)
    }

    /// A row for a report that could not be read.
    pub fn unreadable(name: &str, why: &str) -> Row {
        Row {
            name: name.to_owned(),
            verdict: "error".to_owned(),
            error: Some(why.to_owned()),
            ..Row::default()
        }
    }
}

/// The Markdown summary: totals, then one row per report, failing and unreadable ones first
/// (then by name), every value escaped.
pub fn markdown(rows: &[Row]) -> String {
    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by_key(|r| (r.error.is_none(), !r.failed, r.name.clone()));
    let failed = rows.iter().filter(|r| r.failed).count();
    let errors = rows.iter().filter(|r| r.error.is_some()).count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## kevgate: {} report{}, {failed} failing, {errors} unreadable\n",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        out,
        "| Report | Verdict | Failing | KEV | KEV after release | Critical | Findings |\n\
         |---|---|---|---|---|---|---|"
    );
    for r in sorted {
        let m = |s: &str| text::markdown(&text::one_line(s, 200));
        let verdict = match &r.error {
            Some(e) => format!("error: {}", m(e)),
            None => m(&r.verdict),
        };
        let _ = writeln!(
            out,
            "| {} | {verdict} | {} | {} | {} | {} | {} |",
            m(&r.name),
            r.fail,
            r.kev,
            r.kev_after_release,
            r.critical,
            r.total
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scan report, a watch document, and things that are no kevgate report.
    #[test]
    fn rows() {
        let scan = br#"{"schema_version":"1","verdict":"fail","counts":{"total":3,"fail":1,"kev":1,"critical":2}}"#;
        let row = Row::parse("a", scan).expect("a report");
        assert_eq!(
            (row.failed, row.total, row.fail, row.kev, row.critical),
            (true, 3, 1, 1, 2)
        );
        let watch = br#"{"kind":"kevgate-watch","outcome":"pass","releases":[
            {"report":{"counts":{"total":2,"kev":1}},"became_kev_after_release":[{}]},
            {"report":null,"became_kev_after_release":[]}]}"#;
        let row = Row::parse("w", watch).expect("a watch");
        assert_eq!(
            (row.failed, row.total, row.kev, row.kev_after_release),
            (false, 2, 1, 1)
        );
        for bad in [&b"[]"[..], b"{}", b"{\"verdict\":\"pass\"}", b"not json"] {
            assert!(Row::parse("x", bad).is_err());
        }
    }

    /// Hostile report names cannot break the table or inject Markdown.
    #[test]
    fn escapes_names() {
        let rows = [
            Row::unreadable("x|y](http://evil)", "bad <b>"),
            Row {
                name: "ok".into(),
                verdict: "pass".into(),
                ..Row::default()
            },
        ];
        let md = markdown(&rows);
        assert!(!md.contains("x|y"), "{md}");
        assert!(!md.contains("<b>"), "{md}");
        assert!(!md.contains("](http"), "{md}");
        assert_eq!(md.lines().filter(|l| l.starts_with("| ")).count(), 3);
    }
}

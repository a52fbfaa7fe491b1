//! EPSS scores: FIRST's daily CSV (`#model_version:...,score_date:...` comment line, then
//! `cve,epss,percentile`), and the jgamblin KEV_EPSS CSV (`CVE,CVSS3,EPSS,EPSS
//! Percentile,...`, no date; its scores are fractions 0-1 like FIRST's, checked on the
//! real file). Columns are found by header name, so column order does not matter.

use super::{Doc, DocKind, Outcome};
use crate::db::model::EpssScore;

/// Scores of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// `score_date` of the comment line, as written.
    pub score_date: Option<String>,
    /// (CVE, score), in file order.
    pub scores: Vec<(String, EpssScore)>,
}

/// Parses an EPSS CSV document.
pub fn parse(doc: &Doc) -> Result<(Outcome, Option<Scores>), crate::db::DbError> {
    if doc.kind != DocKind::Csv {
        return Ok((
            Outcome::Skipped("not an EPSS file type (`.csv`, `.csv.gz`)".into()),
            None,
        ));
    }
    let text = std::str::from_utf8(&doc.bytes).map_err(|e| doc.error(format!("not UTF-8: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut score_date = None;
    let mut records = csv_records(text);
    let mut header = None;
    for (line, fields) in records.by_ref() {
        let first = fields.first().map(|f| f.trim()).unwrap_or_default();
        if first.starts_with('#') {
            for f in &fields {
                if let Some(d) = f.trim().trim_start_matches('#').strip_prefix("score_date:") {
                    score_date = Some(d.trim().to_string());
                }
            }
            continue;
        }
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        header = Some((line, fields));
        break;
    }
    let Some((line, header)) = header else {
        return Err(doc.error("empty EPSS file"));
    };
    let col = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let (Some(cve), Some(epss), Some(pct)) = (
        col(&["cve"]),
        col(&["epss"]),
        col(&["percentile", "epss percentile"]),
    ) else {
        return Err(doc.line_error(
            line,
            "not an EPSS CSV: the header has no `cve`, `epss` and `percentile` columns",
        ));
    };
    let mut scores = Vec::new();
    for (line, fields) in records {
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |i: usize| fields.get(i).map(|s| s.trim()).unwrap_or_default();
        let id = get(cve).to_ascii_uppercase();
        if crate::vuln_id::IdKind::of(&id) != crate::vuln_id::IdKind::Cve {
            return Err(doc.line_error(line, format!("`{id}` is not a CVE id")));
        }
        let num = |i: usize, what: &str| -> Result<f64, crate::db::DbError> {
            let raw = get(i);
            let v: f64 = raw
                .parse()
                .map_err(|_| doc.line_error(line, format!("{what} `{raw}` is not a number")))?;
            if !(0.0..=1.0).contains(&v) {
                return Err(doc.line_error(line, format!("{what} `{raw}` is outside 0-1")));
            }
            Ok(v)
        };
        let score = EpssScore {
            score: num(epss, "epss")?,
            percentile: num(pct, "percentile")?,
        };
        scores.push((id, score));
    }
    Ok((
        Outcome::Read(scores.len()),
        Some(Scores { score_date, scores }),
    ))
}

/// CSV records (RFC 4180: quoted fields may hold commas, newlines and `""`), each with the
/// 1-based line it starts on.
fn csv_records(text: &str) -> impl Iterator<Item = (usize, Vec<String>)> + '_ {
    let mut chars = text.chars().peekable();
    let mut line = 1;
    std::iter::from_fn(move || {
        chars.peek()?;
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        quoted = false;
                    }
                }
                '"' if field.is_empty() => quoted = true,
                ',' if !quoted => fields.push(std::mem::take(&mut field)),
                '\n' if !quoted => {
                    line += 1;
                    break;
                }
                '\r' if !quoted => {}
                c => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
        }
        fields.push(field);
        Some((start, fields))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(name: &str) -> Doc {
        let path = format!(
            "{}/tests/fixtures/db/epss/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        Doc {
            name: name.into(),
            kind: DocKind::Csv,
            bytes: fs_err::read(&path).expect("fixture exists"),
        }
    }

    /// FIRST's format: score date from the comment line, scores by column name.
    #[test]
    fn first_csv() {
        let (_, s) = parse(&doc("epss_scores-head-vunnel.csv")).expect("parses");
        let s = s.expect("scores");
        assert_eq!(s.score_date.as_deref(), Some("2025-02-20T00:00:00+0000"));
        assert_eq!(s.scores[0].0, "CVE-1999-0001");
        assert_eq!(s.scores[0].1.score, 0.00383);
        assert_eq!(s.scores[0].1.percentile, 0.73075);
    }

    /// The jgamblin CSV: quoted descriptions with commas, no date.
    #[test]
    fn jgamblin_csv() {
        let (_, s) = parse(&doc("kev_epss_cvss3_jgamblin-head.csv")).expect("parses");
        let s = s.expect("scores");
        assert_eq!(s.score_date, None);
        assert!(s.scores.len() > 5);
        assert!(s.scores.iter().all(|(id, _)| id.starts_with("CVE-")));
    }

    /// Bad rows name their line.
    #[test]
    fn rejects() {
        let run = |s: &str| {
            parse(&Doc {
                name: "e.csv".into(),
                kind: DocKind::Csv,
                bytes: s.as_bytes().to_vec(),
            })
        };
        assert_eq!(
            run("cve,epss,percentile\nCVE-1-2,x,0.5\n")
                .expect_err("bad number")
                .to_string(),
            "cannot read `e.csv:2`: epss `x` is not a number"
        );
        assert!(run("a,b\n1,2\n").is_err());
        assert!(run("").is_err());
        let (_, ok) =
            run("\"cve\",epss,percentile\r\n\"CVE-1-2\",0.1,0.2\r\n").expect("crlf, quotes");
        assert_eq!(ok.expect("scores").scores.len(), 1);
    }

    #[test]
    fn csv_quotes() {
        let recs: Vec<_> = csv_records("a,\"b,\"\"c\"\"\nd\",e\nf").collect();
        assert_eq!(
            recs,
            vec![
                (1, vec!["a".to_string(), "b,\"c\"\nd".into(), "e".into()]),
                (3, vec!["f".to_string()])
            ]
        );
    }
}

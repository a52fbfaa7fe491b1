//! OSV records (schema 1.0–1.7): one record per `.json` file (or a JSON array of records),
//! or one per line in `.jsonl`, as osv.dev, GHSA, golang/vulndb, pypa (JSON twin), RustSec
//! (OSV export) and the distro feeds publish them.
//!
//! Kept: what matching and reports use (see [`Advisory`]). Dropped: `GIT` ranges (commit
//! hashes never match a package version), `affected` entries without a package (osv.dev's
//! merged `CVE-*` records carry `"package": {}` entries with only GIT ranges), and most
//! enumerated `versions` lists (see [`convert_affected`]).

use super::{Doc, DocKind, Outcome, Part, trim_text};
use crate::db::model::{Advisory, Affected, Malware, OsvSeverity, is_malware_id};
use crate::version::{Event, Range, RangeKind};
use serde::Deserialize;
use serde::de::IgnoredAny;

#[derive(Deserialize)]
struct OsvDto {
    id: Option<String>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    related: Option<Vec<String>>,
    summary: Option<String>,
    details: Option<String>,
    published: Option<String>,
    modified: Option<String>,
    withdrawn: Option<String>,
    #[serde(default)]
    severity: Option<Vec<SeverityDto>>,
    database_specific: Option<serde_json::Value>,
    #[serde(default)]
    affected: Option<Vec<AffectedDto>>,
    #[serde(default)]
    references: Option<Vec<ReferenceDto>>,
    // Probes for files that are not OSV, recognised to skip them with a warning.
    distroversion: Option<IgnoredAny>,
    candidate: Option<IgnoredAny>,
    #[serde(rename = "$schema")]
    schema: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct SeverityDto {
    #[serde(rename = "type")]
    kind: Option<String>,
    score: Option<String>,
}

#[derive(Deserialize)]
struct AffectedDto {
    package: Option<PackageDto>,
    /// Read for [`malware`] (OpenSSF's `source` path says `osv/withdrawn/`).
    database_specific: Option<serde_json::Value>,
    #[serde(default)]
    ranges: Option<Vec<RangeDto>>,
    #[serde(default)]
    versions: Option<Vec<Option<String>>>,
}

#[derive(Deserialize)]
struct PackageDto {
    ecosystem: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct RangeDto {
    #[serde(rename = "type")]
    kind: Option<RangeKindDto>,
    #[serde(default)]
    events: Option<Vec<EventDto>>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum RangeKindDto {
    Semver,
    Ecosystem,
    Git,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct EventDto {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

#[derive(Deserialize)]
struct ReferenceDto {
    #[serde(rename = "type")]
    kind: Option<String>,
    url: Option<String>,
}

/// Parses an OSV document, handing each record to `out`.
pub fn parse(doc: &Doc, out: &mut dyn FnMut(Advisory)) -> Result<Outcome, crate::db::DbError> {
    match doc.kind {
        DocKind::Json => {
            let first = doc.bytes.iter().find(|b| !b.is_ascii_whitespace());
            let records: Vec<OsvDto> = if first == Some(&b'[') {
                serde_json::from_slice(&doc.bytes).map_err(|e| doc.error(e))?
            } else {
                match serde_json::from_slice(&doc.bytes) {
                    Ok(dto) => vec![dto],
                    Err(e) => match probe(&doc.bytes) {
                        Some(skip) => return Ok(Outcome::Skipped(skip)),
                        None => return Err(doc.error(e)),
                    },
                }
            };
            let mut n = 0;
            for dto in records {
                if let Some(skip) = not_osv(&dto) {
                    return Ok(Outcome::Skipped(skip));
                }
                out(convert(dto).map_err(|e| doc.error(e))?);
                n += 1;
            }
            Ok(Outcome::Read(n))
        }
        DocKind::Jsonl => parse_lines(doc, Part::WHOLE, out),
        DocKind::Csv | DocKind::Other => Ok(Outcome::Skipped(
            "not an OSV file type (`.json`, `.jsonl`, `.gz`, `.zip`)".into(),
        )),
    }
}

/// Parses a JSON-lines OSV document, or one part of it ([`Part`]), handing each record to
/// `out`. Only the document's first record may show that the document is another format
/// (skipped); past it, a line that is not OSV is an error.
pub fn parse_lines(
    doc: &Doc,
    part: Part,
    out: &mut dyn FnMut(Advisory),
) -> Result<Outcome, crate::db::DbError> {
    let mut n = 0;
    for (line, bytes) in doc.lines() {
        let line = line + part.lines_before;
        let first = n == 0 && part.first;
        let dto: OsvDto = match serde_json::from_slice(bytes) {
            Ok(dto) => dto,
            // Another format whose fields clash with OSV's types (the Ubuntu tracker's
            // `references` are strings): recognise it before calling it broken.
            Err(e) => match probe(bytes) {
                Some(skip) if first => return Ok(Outcome::Skipped(skip)),
                _ => return Err(doc.line_error(line, e)),
            },
        };
        if let Some(skip) = not_osv(&dto) {
            if first {
                return Ok(Outcome::Skipped(skip));
            }
            return Err(doc.line_error(line, skip));
        }
        out(convert(dto).map_err(|e| doc.line_error(line, e))?);
        n += 1;
    }
    Ok(Outcome::Read(n))
}

/// The fields that tell other formats from OSV, read leniently.
#[derive(serde::Deserialize)]
struct Probe {
    id: Option<IgnoredAny>,
    distroversion: Option<IgnoredAny>,
    candidate: Option<IgnoredAny>,
    #[serde(rename = "$schema")]
    schema: Option<IgnoredAny>,
}

/// Why a document that does not parse as OSV is recognisably another format, if it is.
fn probe(bytes: &[u8]) -> Option<String> {
    let p: Probe = serde_json::from_slice(bytes).ok()?;
    if p.id.is_some() {
        return None;
    }
    if p.distroversion.is_some() {
        Some("an Alpine secdb file, not OSV".into())
    } else if p.candidate.is_some() {
        Some("an Ubuntu CVE tracker record, not OSV".into())
    } else if p.schema.is_some() {
        Some("a JSON schema, not OSV".into())
    } else {
        None
    }
}

/// Why a record is recognisably another format, if it is.
fn not_osv(dto: &OsvDto) -> Option<String> {
    if dto.id.is_some() {
        return None;
    }
    if dto.distroversion.is_some() {
        Some("an Alpine secdb file, not OSV".into())
    } else if dto.candidate.is_some() {
        Some("an Ubuntu CVE tracker record, not OSV".into())
    } else if dto.schema.is_some() {
        Some("a JSON schema, not OSV".into())
    } else {
        None
    }
}

fn convert(dto: OsvDto) -> Result<Advisory, String> {
    let id = dto
        .id
        .clone()
        .filter(|s| !s.trim().is_empty())
        .ok_or("not an OSV record: no `id`")?;
    let malware = malware(&dto, &id);
    // Withdrawn in its text only (GitHub's way): recorded as withdrawn when last modified.
    let withdrawn = dto.withdrawn.clone().or_else(|| {
        super::withdrawn::in_text(&id, dto.summary.as_deref(), dto.details.as_deref()).then(|| {
            dto.modified
                .clone()
                .or(dto.published.clone())
                .unwrap_or_default()
        })
    });
    let summary = dto
        .summary
        .as_deref()
        .and_then(|s| trim_text(s, 200))
        .or_else(|| {
            let details = dto.details.as_deref()?;
            let first = details.lines().find(|l| !l.trim().is_empty())?;
            trim_text(first, 200)
        });
    let severity = dto
        .severity
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| {
            Some(OsvSeverity {
                kind: s.kind?,
                score: s.score?,
            })
        })
        .collect();
    let database_severity = dto
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str())
        .map(str::to_owned);
    let refs = dto.references.unwrap_or_default();
    let url = ["ADVISORY", "WEB"]
        .iter()
        .find_map(|kind| {
            refs.iter()
                .find(|r| r.kind.as_deref() == Some(kind))
                .and_then(|r| r.url.clone())
        })
        .or_else(|| refs.iter().find_map(|r| r.url.clone()));
    Ok(Advisory {
        id,
        aliases: dto.aliases.unwrap_or_default(),
        related: dto.related.unwrap_or_default(),
        summary,
        published: dto.published,
        modified: dto.modified,
        withdrawn,
        severity,
        database_severity,
        affected: dto
            .affected
            .unwrap_or_default()
            .into_iter()
            .filter_map(convert_affected)
            .collect(),
        url,
        malware,
    })
}

/// Whether the record reports a malicious package, and whether it calls itself a false
/// positive. Malicious: a `MAL-` id or alias; OpenSSF `database_specific
/// .malicious-packages-origins`; a GitHub malware advisory, which GitHub marks with CWE-506
/// (`database_specific.cwe_ids`) and titles "Malicious Package in …" / "… is malware". A
/// false positive: OpenSSF keeps withdrawn reports under `osv/withdrawn/` (the affected
/// entry's `database_specific.source`) and, like MAL-2024-2929, says "false positive" in the
/// record's own text (`details` before OpenSSF's per-source section, or `summary`).
fn malware(dto: &OsvDto, id: &str) -> Malware {
    let specific = dto.database_specific.as_ref();
    let origins = specific
        .and_then(|d| d.get("malicious-packages-origins"))
        .is_some_and(|o| !o.is_null());
    let cwe_506 = specific
        .and_then(|d| d.get("cwe_ids"))
        .and_then(|c| c.as_array())
        .is_some_and(|c| c.iter().any(|x| x.as_str() == Some("CWE-506")));
    let summary = dto
        .summary
        .as_deref()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let titled = summary.starts_with("malicious package")
        || summary.starts_with("malicious code in")
        || summary.ends_with(" is malware")
        || summary.contains(" is a malicious crate")
        || summary.contains(" is a malicious package");
    let mal_id = is_malware_id(id) || dto.aliases.iter().flatten().any(|a| is_malware_id(a));
    if !(mal_id || origins || cwe_506 || titled) {
        return Malware::No;
    }
    let withdrawn_source = dto.affected.iter().flatten().any(|a| {
        a.database_specific
            .as_ref()
            .and_then(|d| d.get("source"))
            .and_then(|s| s.as_str())
            .is_some_and(|s| s.contains("/osv/withdrawn/"))
    });
    // OpenSSF's own text comes before its "---" line; below it are the sources' reports.
    let own_text = dto
        .details
        .as_deref()
        .unwrap_or("")
        .split("\n---")
        .next()
        .unwrap_or("");
    let says_false_positive = [own_text, summary.as_str()]
        .iter()
        .any(|t| t.to_ascii_lowercase().contains("false positive"));
    if withdrawn_source || says_false_positive {
        Malware::FalsePositive
    } else {
        Malware::Malicious
    }
}

/// One `affected[]` entry, or `None` when it names no package.
///
/// `versions` rule: OSV says a version is affected if it is in `ranges` OR in `versions`, so
/// the list can only be dropped when the ranges already cover it. osv.dev enumerates
/// `versions` *from* the SEMVER/ECOSYSTEM ranges (tens of thousands of strings for Alpine
/// and Debian records, most of the file size), so an entry with at least one such range
/// keeps only its ranges; entries with no SEMVER/ECOSYSTEM range (GIT-only or versions-only,
/// e.g. PyPI `versions` lists, MAL records) keep their `versions`.
fn convert_affected(a: AffectedDto) -> Option<Affected> {
    let package = a.package?;
    let ecosystem = package.ecosystem.filter(|s| !s.is_empty())?;
    let name = package.name.filter(|s| !s.is_empty())?;
    let ranges: Vec<Range> = a
        .ranges
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| {
            let kind = match r.kind? {
                RangeKindDto::Semver => RangeKind::Semver,
                RangeKindDto::Ecosystem => RangeKind::Ecosystem,
                RangeKindDto::Git => return None,
                RangeKindDto::Other => RangeKind::Other,
            };
            let events = r
                .events
                .unwrap_or_default()
                .into_iter()
                .filter_map(|e| {
                    // One key per event object; the first set one wins on malformed input.
                    e.introduced
                        .map(Event::Introduced)
                        .or(e.fixed.map(Event::Fixed))
                        .or(e.last_affected.map(Event::LastAffected))
                        .or(e.limit.map(Event::Limit))
                })
                .collect();
            Some(Range { kind, events })
        })
        .collect();
    let covered = ranges
        .iter()
        .any(|r| matches!(r.kind, RangeKind::Semver | RangeKind::Ecosystem));
    let versions = if covered {
        Vec::new()
    } else {
        a.versions
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .collect()
    };
    Some(Affected {
        ecosystem,
        name,
        ranges,
        versions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Doc {
        let path = format!(
            "{}/tests/fixtures/db/osv/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = fs_err::read(&path).expect("fixture exists");
        let kind = if name.ends_with(".jsonl") {
            DocKind::Jsonl
        } else {
            DocKind::Json
        };
        Doc {
            name: name.into(),
            kind,
            bytes,
        }
    }

    /// Every record of `tests/fixtures/malware/osv.jsonl` (real OSV records) gets the malware
    /// flag its origin says: `MAL-` id or alias, OpenSSF origins, GitHub's CWE-506; the
    /// OpenSSF reports that call themselves false positives are [`Malware::FalsePositive`];
    /// a vulnerability titled "Opening a malicious website…" is not malware. Plus synthetic
    /// edge cases of the same rules.
    #[test]
    fn malware_flag_of_real_records() {
        let path = format!(
            "{}/tests/fixtures/malware/osv.jsonl",
            env!("CARGO_MANIFEST_DIR")
        );
        let doc = Doc {
            name: "osv.jsonl".into(),
            kind: DocKind::Jsonl,
            bytes: fs_err::read(&path).expect("fixture exists"),
        };
        let got: Vec<(String, Malware)> = parse_all(&doc)
            .into_iter()
            .map(|a| (a.id, a.malware))
            .collect();
        let want = [
            ("GHSA-7pwq-f4pq-78gm", Malware::Malicious),
            ("MAL-2022-1", Malware::Malicious),
            ("RUSTSEC-2022-0042", Malware::Malicious),
            ("MAL-2023-462", Malware::Malicious),
            ("MAL-2024-2929", Malware::FalsePositive),
            ("MAL-2024-2936", Malware::FalsePositive),
            ("GHSA-226w-6hhj-69hp", Malware::Malicious),
            ("GHSA-2452-6xj8-jh47", Malware::No),
        ];
        let want: Vec<(String, Malware)> = want.iter().map(|(i, m)| (i.to_string(), *m)).collect();
        assert_eq!(got, want);

        let flag = |json: serde_json::Value| {
            let doc = Doc {
                name: "x.json".into(),
                kind: DocKind::Json,
                bytes: serde_json::to_vec(&json).expect("json"),
            };
            parse_all(&doc)[0].malware
        };
        let cases = [
            (
                serde_json::json!({"id": "GHSA-x", "summary": "Malicious package in foo"}),
                Malware::Malicious,
            ),
            (
                serde_json::json!({"id": "GHSA-x", "summary": "foo is malware"}),
                Malware::Malicious,
            ),
            (
                serde_json::json!({"id": "GHSA-x", "summary": "A malicious payload can crash foo"}),
                Malware::No,
            ),
            (
                serde_json::json!({"id": "GHSA-x", "database_specific": {"cwe_ids": ["CWE-79"]}}),
                Malware::No,
            ),
            (serde_json::json!({"id": "mal-2024-1"}), Malware::Malicious),
            (
                serde_json::json!({"id": "MAL-2024-1", "details": "x\n---\nsource: a false positive elsewhere"}),
                Malware::Malicious,
            ),
            (
                serde_json::json!({"id": "MAL-2024-1", "summary": "False positive"}),
                Malware::FalsePositive,
            ),
            (
                serde_json::json!({"id": "OSV-1", "database_specific": {"malicious-packages-origins": []}}),
                Malware::Malicious,
            ),
        ];
        for (json, want) in cases {
            assert_eq!(flag(json.clone()), want, "{json}");
        }
    }

    fn parse_all(doc: &Doc) -> Vec<Advisory> {
        let mut out = Vec::new();
        let outcome = parse(doc, &mut |a| out.push(a)).expect("parses");
        assert_eq!(outcome, Outcome::Read(out.len()));
        out
    }

    /// GHSA jQuery (CVE-2020-11023): aliases, severity, ADVISORY url, ECOSYSTEM range.
    #[test]
    fn ghsa_npm_jquery() {
        let a = &parse_all(&fixture("GHSA-jpcq-cgw6-v4j6.json"))[0];
        assert_eq!(a.id, "GHSA-jpcq-cgw6-v4j6");
        assert!(a.aliases.contains(&"CVE-2020-11023".to_string()));
        assert_eq!(a.database_severity.as_deref(), Some("MODERATE"));
        let jq = a
            .affected
            .iter()
            .find(|x| x.name == "jquery")
            .expect("jquery entry");
        assert_eq!(jq.ecosystem, "npm");
        assert_eq!(jq.ranges[0].kind, RangeKind::Ecosystem);
        assert_eq!(
            jq.ranges[0].events,
            vec![
                Event::Introduced("1.0.3".into()),
                Event::Fixed("3.5.0".into())
            ]
        );
        assert!(a.url.as_deref().is_some_and(|u| u.starts_with("https://")));
    }

    /// Records of every family in one JSON-lines fixture parse, with the family's quirks.
    #[test]
    fn families() {
        let all = parse_all(&fixture("families.jsonl"));
        // DSA: CVEs in `related`.
        let dsa = all
            .iter()
            .find(|a| a.id.starts_with("DSA-"))
            .expect("a DSA");
        assert!(!dsa.related.is_empty());
        assert!(
            dsa.affected
                .iter()
                .all(|x| x.ecosystem.starts_with("Debian"))
        );
        // Debian merged CVE record: the `"package": {}` GIT-only entries are gone, and the
        // enumerated versions dropped where ECOSYSTEM ranges exist.
        let cve = all
            .iter()
            .find(|a| a.id.starts_with("CVE-"))
            .expect("a Debian CVE record");
        assert!(!cve.affected.is_empty());
        for x in &cve.affected {
            assert!(!x.name.is_empty());
            assert!(x.ranges.iter().all(|r| r.kind != RangeKind::Git));
            if x.ranges.iter().any(|r| r.kind == RangeKind::Ecosystem) {
                assert!(x.versions.is_empty());
            }
        }
        for prefix in ["RHSA-", "ALSA-", "RLSA-", "GO-", "PYSEC-", "RUSTSEC-"] {
            let a = all
                .iter()
                .find(|a| a.id.starts_with(prefix))
                .unwrap_or_else(|| panic!("{prefix} record in fixture"));
            assert!(!a.affected.is_empty(), "{prefix}");
            assert!(
                a.summary.is_some() || prefix == "ALSA-" || prefix == "RLSA-",
                "{prefix}"
            );
        }
    }

    /// Non-OSV JSON that kevgate recognises is skipped; unknown JSON is an error naming the
    /// file; a broken JSON line names its line.
    #[test]
    fn rejects_and_skips() {
        let skip = |bytes: &str| {
            let doc = Doc {
                name: "x.json".into(),
                kind: DocKind::Json,
                bytes: bytes.as_bytes().to_vec(),
            };
            parse(&doc, &mut |_| {})
        };
        assert!(matches!(
            skip(r#"{"distroversion":"v3.9","packages":[]}"#),
            Ok(Outcome::Skipped(_))
        ));
        // The real Ubuntu tracker's first record (`references` are strings, which OSV's are not).
        assert!(matches!(
            skip(
                r#"{"candidate":"CVE-2000-1254","description":"","priority":"low","references":["https://www.cve.org/CVERecord?id=CVE-2000-1254"],"packages":{}}"#
            ),
            Ok(Outcome::Skipped(_))
        ));
        let err = skip(r#"{"hello":1}"#).expect_err("not OSV");
        assert_eq!(
            err.to_string(),
            "cannot read `x.json`: not an OSV record: no `id`"
        );
        let err = skip("{not json").expect_err("not JSON");
        assert!(
            err.to_string()
                .starts_with("cannot read `x.json`: key must be a string")
        );
        let doc = Doc {
            name: "x.jsonl".into(),
            kind: DocKind::Jsonl,
            bytes: b"{\"id\":\"A-1\"}\n\n{\"id\":\"A-2\",".to_vec(),
        };
        let err = parse(&doc, &mut |_| {}).expect_err("truncated line");
        assert!(
            err.to_string().starts_with("cannot read `x.jsonl:3`"),
            "{err}"
        );
    }

    /// `versions` is kept when there is no SEMVER/ECOSYSTEM range, dropped otherwise.
    #[test]
    fn versions_rule() {
        let json = r#"{"id":"X-1","affected":[
          {"package":{"ecosystem":"PyPI","name":"a"},"versions":["1.0","1.1"]},
          {"package":{"ecosystem":"PyPI","name":"b"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2"}]}],"versions":["1.0"]},
          {"package":{"ecosystem":"PyPI","name":"c"},"ranges":[{"type":"GIT","repo":"r","events":[{"introduced":"abc"}]}],"versions":["0.9"]},
          {"package":{},"ranges":[{"type":"GIT","events":[{"fixed":"abc"}]}]},
          {"package":{"ecosystem":"npm","name":"d"},"ranges":[{"type":"FUTURE","events":[{"introduced":"0"}]}]}
        ]}"#;
        let doc = Doc {
            name: "x.json".into(),
            kind: DocKind::Json,
            bytes: json.as_bytes().to_vec(),
        };
        let a = &parse_all(&doc)[0];
        let got: Vec<(&str, usize, usize)> = a
            .affected
            .iter()
            .map(|x| (x.name.as_str(), x.ranges.len(), x.versions.len()))
            .collect();
        assert_eq!(got, [("a", 0, 2), ("b", 1, 0), ("c", 0, 1), ("d", 1, 0)]);
        assert_eq!(a.affected[3].ranges[0].kind, RangeKind::Other);
    }
}

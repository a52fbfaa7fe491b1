//! NVD CVE records in every shape NVD has published: API 2.0 pages
//! (`vulnerabilities[].cve`), single items (`{"cve":{...}}`), bare `cve` objects, and the
//! retired JSON 1.1 feeds (`CVE_Items[]` with `impact.baseMetricV3/V2`), plain, `.gz` or
//! `.zip`.
//!
//! Kept: CVSS v4.0/v3.1/v3.0/v2 base metrics with their source and Primary/Secondary, CWE
//! ids, `Exploit`-tagged references, `vulnStatus`, `published`, a short English
//! description. CPE configurations are not kept: kevgate matches packages with OSV, and
//! uses NVD only to score. The 1.1 feeds carry NVD's own scores only, so their metrics are
//! `nvd@nist.gov`, Primary.
//!
//! No `serde(flatten)` or untagged enums: one DTO with every top-level field of every shape
//! keeps a single streaming pass over the 80 MB yearly feeds.

use super::{Doc, DocKind, Outcome, trim_text};
use crate::db::model::{CvssMetric, NvdRecord};
use serde::Deserialize;
use serde::de::IgnoredAny;

/// A record and its `lastModified` (for "newest wins" on duplicates).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The record.
    pub record: NvdRecord,
    /// `lastModified` / `lastModifiedDate` as written.
    pub last_modified: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DocDto {
    // API 2.0 page
    vulnerabilities: Option<Vec<ItemDto>>,
    // single item
    cve: Option<ApiCveDto>,
    // 1.1 feed
    #[serde(rename = "CVE_Items")]
    cve_items: Option<Vec<FeedItemDto>>,
    // bare cve object (the fields of ApiCveDto)
    id: Option<String>,
    published: Option<String>,
    last_modified: Option<String>,
    vuln_status: Option<String>,
    descriptions: Option<Vec<LangValue>>,
    metrics: Option<MetricsDto>,
    weaknesses: Option<Vec<WeaknessDto>>,
    references: Option<Vec<RefDto>>,
    // probes for files that are not NVD
    cve_metadata: Option<IgnoredAny>,
    #[serde(rename = "$schema")]
    schema: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct ItemDto {
    cve: Option<ApiCveDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiCveDto {
    id: Option<String>,
    published: Option<String>,
    last_modified: Option<String>,
    vuln_status: Option<String>,
    descriptions: Option<Vec<LangValue>>,
    metrics: Option<MetricsDto>,
    weaknesses: Option<Vec<WeaknessDto>>,
    references: Option<Vec<RefDto>>,
}

#[derive(Deserialize)]
struct LangValue {
    lang: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetricsDto {
    cvss_metric_v40: Option<Vec<MetricDto>>,
    cvss_metric_v31: Option<Vec<MetricDto>>,
    cvss_metric_v30: Option<Vec<MetricDto>>,
    cvss_metric_v2: Option<Vec<MetricDto>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetricDto {
    source: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    cvss_data: Option<CvssDataDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssDataDto {
    version: Option<String>,
    vector_string: Option<String>,
    base_score: Option<f32>,
}

#[derive(Deserialize)]
struct WeaknessDto {
    description: Option<Vec<LangValue>>,
}

#[derive(Deserialize)]
struct RefDto {
    url: Option<String>,
    tags: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeedItemDto {
    cve: Option<FeedCveDto>,
    impact: Option<FeedImpactDto>,
    published_date: Option<String>,
    last_modified_date: Option<String>,
}

#[derive(Deserialize)]
struct FeedCveDto {
    #[serde(rename = "CVE_data_meta")]
    meta: Option<FeedMetaDto>,
    problemtype: Option<FeedProblemTypeDto>,
    references: Option<FeedReferencesDto>,
    description: Option<FeedDescriptionDto>,
}

#[derive(Deserialize)]
struct FeedMetaDto {
    #[serde(rename = "ID")]
    id: Option<String>,
}

#[derive(Deserialize)]
struct FeedProblemTypeDto {
    problemtype_data: Option<Vec<WeaknessDto>>,
}

#[derive(Deserialize)]
struct FeedReferencesDto {
    reference_data: Option<Vec<RefDto>>,
}

#[derive(Deserialize)]
struct FeedDescriptionDto {
    description_data: Option<Vec<LangValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeedImpactDto {
    base_metric_v3: Option<FeedMetricDto>,
    base_metric_v2: Option<FeedMetricDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeedMetricDto {
    cvss_v3: Option<CvssDataDto>,
    cvss_v2: Option<CvssDataDto>,
}

/// Parses an NVD document, handing each record to `out`.
pub fn parse(doc: &Doc, out: &mut dyn FnMut(Parsed)) -> Result<Outcome, crate::db::DbError> {
    match doc.kind {
        DocKind::Json => {
            let dto: DocDto = serde_json::from_slice(&doc.bytes).map_err(|e| doc.error(e))?;
            convert_doc(dto, out).map_err(|e| doc.error(e))
        }
        DocKind::Jsonl => {
            let mut n = 0;
            for (line, bytes) in doc.lines() {
                let dto: DocDto =
                    serde_json::from_slice(bytes).map_err(|e| doc.line_error(line, e))?;
                match convert_doc(dto, out).map_err(|e| doc.line_error(line, e))? {
                    Outcome::Read(k) => n += k,
                    Outcome::Skipped(why) => return Err(doc.line_error(line, why)),
                }
            }
            Ok(Outcome::Read(n))
        }
        DocKind::Csv | DocKind::Other => Ok(Outcome::Skipped(
            "not an NVD file type (`.json`, `.jsonl`, `.gz`, `.zip`)".into(),
        )),
    }
}

fn convert_doc(dto: DocDto, out: &mut dyn FnMut(Parsed)) -> Result<Outcome, String> {
    let mut n = 0;
    let mut emit = |p: Option<Parsed>| -> Result<(), String> {
        out(p.ok_or("an NVD record without a CVE id")?);
        n += 1;
        Ok(())
    };
    let mut shaped = false;
    if let Some(items) = dto.vulnerabilities {
        shaped = true;
        for item in items {
            emit(item.cve.and_then(convert_api))?;
        }
    }
    if let Some(cve) = dto.cve {
        shaped = true;
        emit(convert_api(cve))?;
    }
    if let Some(items) = dto.cve_items {
        shaped = true;
        for item in items {
            emit(convert_feed(item))?;
        }
    }
    if dto.id.is_some() {
        shaped = true;
        emit(convert_api(ApiCveDto {
            id: dto.id,
            published: dto.published,
            last_modified: dto.last_modified,
            vuln_status: dto.vuln_status,
            descriptions: dto.descriptions,
            metrics: dto.metrics,
            weaknesses: dto.weaknesses,
            references: dto.references,
        }))?;
    }
    if shaped {
        Ok(Outcome::Read(n))
    } else if dto.cve_metadata.is_some() {
        Ok(Outcome::Skipped(
            "a CVE JSON 5 record, not NVD (not supported)".into(),
        ))
    } else if dto.schema.is_some() {
        Ok(Outcome::Skipped("a JSON schema, not NVD".into()))
    } else {
        Err("not an NVD document: no `vulnerabilities`, `cve`, `CVE_Items` or `id` field".into())
    }
}

fn english(values: Option<Vec<LangValue>>) -> Option<String> {
    let values = values.unwrap_or_default();
    let pick = values
        .iter()
        .find(|v| v.lang.as_deref().is_some_and(|l| l.starts_with("en")))
        .or(values.first())?;
    trim_text(pick.value.as_deref()?, 300)
}

fn cwes(weaknesses: Option<Vec<WeaknessDto>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in weaknesses.unwrap_or_default() {
        for d in w.description.unwrap_or_default() {
            if let Some(v) = d.value
                && v.starts_with("CWE-")
                && !out.contains(&v)
            {
                out.push(v);
            }
        }
    }
    out
}

fn exploit_refs(refs: Option<Vec<RefDto>>) -> Vec<String> {
    refs.unwrap_or_default()
        .into_iter()
        .filter(|r| {
            r.tags
                .as_ref()
                .is_some_and(|t| t.iter().any(|t| t == "Exploit"))
        })
        .filter_map(|r| r.url)
        .collect()
}

fn metric(
    default_version: &str,
    source: Option<String>,
    primary: bool,
    d: CvssDataDto,
) -> Option<CvssMetric> {
    Some(CvssMetric {
        version: d.version.unwrap_or_else(|| default_version.to_string()),
        score: d.base_score?,
        vector: d.vector_string?,
        source: source.unwrap_or_default(),
        primary,
    })
}

/// Best first: v4.0, v3.1, v3.0, v2; Primary before Secondary within a version.
fn sort_metrics(metrics: &mut [CvssMetric]) {
    let rank = |v: &str| match v {
        "4.0" => 0,
        "3.1" => 1,
        "3.0" => 2,
        "2.0" => 3,
        _ => 4,
    };
    metrics.sort_by_key(|m| (rank(&m.version), !m.primary));
}

fn convert_api(cve: ApiCveDto) -> Option<Parsed> {
    let id = cve.id.filter(|s| !s.is_empty())?;
    let mut cvss = Vec::new();
    if let Some(m) = cve.metrics {
        for (version, list) in [
            ("4.0", m.cvss_metric_v40),
            ("3.1", m.cvss_metric_v31),
            ("3.0", m.cvss_metric_v30),
            ("2.0", m.cvss_metric_v2),
        ] {
            for x in list.unwrap_or_default() {
                let primary = x.kind.as_deref() == Some("Primary");
                if let Some(d) = x.cvss_data
                    && let Some(m) = metric(version, x.source, primary, d)
                {
                    cvss.push(m);
                }
            }
        }
    }
    sort_metrics(&mut cvss);
    Some(Parsed {
        record: NvdRecord {
            id,
            cvss,
            cwes: cwes(cve.weaknesses),
            exploit_refs: exploit_refs(cve.references),
            status: cve.vuln_status,
            published: cve.published,
            description: english(cve.descriptions),
        },
        last_modified: cve.last_modified,
    })
}

fn convert_feed(item: FeedItemDto) -> Option<Parsed> {
    let cve = item.cve?;
    let id = cve.meta.and_then(|m| m.id).filter(|s| !s.is_empty())?;
    let mut cvss = Vec::new();
    if let Some(impact) = item.impact {
        let nvd = || Some("nvd@nist.gov".to_string());
        if let Some(d) = impact.base_metric_v3.and_then(|m| m.cvss_v3) {
            cvss.extend(metric("3.1", nvd(), true, d));
        }
        if let Some(d) = impact.base_metric_v2.and_then(|m| m.cvss_v2) {
            cvss.extend(metric("2.0", nvd(), true, d));
        }
    }
    sort_metrics(&mut cvss);
    Some(Parsed {
        record: NvdRecord {
            id,
            cvss,
            cwes: cwes(cve.problemtype.and_then(|p| p.problemtype_data)),
            exploit_refs: exploit_refs(cve.references.and_then(|r| r.reference_data)),
            status: None,
            published: item.published_date,
            description: english(cve.description.and_then(|d| d.description_data)),
        },
        last_modified: item.last_modified_date,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_fixture(name: &str) -> Vec<Parsed> {
        let path = format!(
            "{}/tests/fixtures/db/nvd/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = fs_err::read(&path).expect("fixture exists");
        let doc = Doc {
            name: name.into(),
            kind: DocKind::Json,
            bytes,
        };
        let mut out = Vec::new();
        assert_eq!(
            parse(&doc, &mut |p| out.push(p)).expect("parses"),
            Outcome::Read(out.len())
        );
        out
    }

    /// An API 2.0 page with a CVSS v4.0 metric: v4 sorts first, all records read.
    #[test]
    fn api2_page_with_v4() {
        let all = parse_fixture("api2-page.json");
        assert!(all.len() > 1);
        let r = all
            .iter()
            .find(|p| p.record.id == "CVE-2025-4565")
            .expect("CVE-2025-4565 in page");
        assert_eq!(r.record.cvss[0].version, "4.0");
        assert!(r.last_modified.is_some());
    }

    /// A single `{"cve":{...}}` item and a bare cve object; Primary before Secondary.
    #[test]
    fn single_and_bare() {
        let item = parse_fixture("item-CVE-2017-5638.json");
        assert_eq!(item.len(), 1);
        assert_eq!(item[0].record.id, "CVE-2017-5638");
        let bare = &parse_fixture("bare-CVE-2025-6965.json")[0].record;
        assert_eq!(bare.id, "CVE-2025-6965");
        assert_eq!(bare.cwes, ["CWE-197"]);
        let v31 = bare
            .cvss
            .iter()
            .find(|m| m.version == "3.1")
            .expect("v3.1 metric");
        assert!(v31.primary);
        assert_eq!(v31.score, 9.8);
        assert_eq!(v31.source, "nvd@nist.gov");
        assert_eq!(bare.cvss[0].version, "4.0");
        assert!(
            bare.description
                .as_deref()
                .is_some_and(|d| d.starts_with("There exists"))
        );
        assert_eq!(bare.status.as_deref(), Some("Modified"));
    }

    /// A JSON 1.1 feed: v3 and v2 from `impact`, NVD Primary, CWE and dates.
    #[test]
    fn feed_11() {
        let all = parse_fixture("feed-1.1.json");
        assert!(!all.is_empty());
        let r = &all[0];
        assert!(r.record.id.starts_with("CVE-"));
        assert!(r.last_modified.is_some());
        assert!(all.iter().any(|p| p.record.cvss.len() == 2
            && p.record.cvss[0].version.starts_with('3')
            && p.record.cvss[1].version == "2.0"
            && p.record.cvss.iter().all(|m| m.primary)));
    }

    /// CVE 5 records and schemas are skipped; other JSON is an error.
    #[test]
    fn skips_and_rejects() {
        let run = |s: &str| {
            let doc = Doc {
                name: "n.json".into(),
                kind: DocKind::Json,
                bytes: s.as_bytes().to_vec(),
            };
            parse(&doc, &mut |_| {})
        };
        assert!(matches!(
            run(r#"{"dataType":"CVE_RECORD","cveMetadata":{}}"#),
            Ok(Outcome::Skipped(_))
        ));
        assert!(matches!(
            run(r#"{"$schema":"x","title":"cvss"}"#),
            Ok(Outcome::Skipped(_))
        ));
        let err = run(r#"{"resultsPerPage":0}"#).expect_err("no records field");
        assert!(
            err.to_string()
                .starts_with("cannot read `n.json`: not an NVD document")
        );
        assert!(run("[1,2]").is_err());
    }
}

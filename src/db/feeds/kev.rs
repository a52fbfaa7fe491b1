//! The CISA Known Exploited Vulnerabilities catalog (JSON: `catalogVersion`, `dateReleased`,
//! `vulnerabilities[]`). The CSV twin carries the same data and is skipped.

use super::{Doc, DocKind, Outcome};
use crate::db::model::KevEntry;
use serde::Deserialize;
use serde::de::IgnoredAny;

/// One catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    /// `dateReleased` as written.
    pub date_released: Option<String>,
    /// Its entries.
    pub entries: Vec<KevEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CatalogDto {
    date_released: Option<String>,
    vulnerabilities: Option<Vec<EntryDto>>,
    #[serde(rename = "$schema")]
    schema: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntryDto {
    #[serde(rename = "cveID")]
    cve_id: Option<String>,
    vendor_project: Option<String>,
    product: Option<String>,
    vulnerability_name: Option<String>,
    date_added: Option<String>,
    required_action: Option<String>,
    due_date: Option<String>,
    known_ransomware_campaign_use: Option<String>,
}

/// Parses a KEV catalog document.
pub fn parse(doc: &Doc) -> Result<(Outcome, Option<Catalog>), crate::db::DbError> {
    if doc.kind != DocKind::Json {
        return Ok((
            Outcome::Skipped("not a KEV catalog file type (`.json`)".into()),
            None,
        ));
    }
    let dto: CatalogDto = serde_json::from_slice(&doc.bytes).map_err(|e| doc.error(e))?;
    let Some(vulns) = dto.vulnerabilities else {
        if dto.schema.is_some() {
            return Ok((
                Outcome::Skipped("a JSON schema, not a KEV catalog".into()),
                None,
            ));
        }
        return Err(doc.error("not a KEV catalog: no `vulnerabilities` field"));
    };
    let mut entries = Vec::with_capacity(vulns.len());
    for (i, v) in vulns.into_iter().enumerate() {
        let cve_id = v
            .cve_id
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| doc.error(format!("entry {i} has no `cveID`")))?;
        entries.push(KevEntry {
            cve_id,
            vendor_project: v.vendor_project.unwrap_or_default(),
            product: v.product.unwrap_or_default(),
            vulnerability_name: v.vulnerability_name.unwrap_or_default(),
            date_added: v.date_added.unwrap_or_default(),
            required_action: v.required_action.unwrap_or_default(),
            due_date: v.due_date.unwrap_or_default(),
            known_ransomware_campaign_use: v.known_ransomware_campaign_use.unwrap_or_default(),
        });
    }
    Ok((
        Outcome::Read(entries.len()),
        Some(Catalog {
            date_released: dto.date_released,
            entries,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The trimmed 2025-08-25 catalog: date, entries, fields.
    #[test]
    fn catalog() {
        let path = format!(
            "{}/tests/fixtures/db/kev/known_exploited_vulnerabilities_2025-08-25.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let doc = Doc {
            name: "kev.json".into(),
            kind: DocKind::Json,
            bytes: fs_err::read(&path).expect("fixture exists"),
        };
        let (outcome, catalog) = parse(&doc).expect("parses");
        let catalog = catalog.expect("a catalog");
        assert_eq!(outcome, Outcome::Read(catalog.entries.len()));
        assert!(
            catalog
                .date_released
                .as_deref()
                .is_some_and(|d| d.starts_with("2025-08-25"))
        );
        let jq = catalog
            .entries
            .iter()
            .find(|e| e.cve_id == "CVE-2020-11023")
            .expect("jQuery KEV");
        assert_eq!(jq.vendor_project, "JQuery");
        assert!(!jq.due_date.is_empty());
    }

    #[test]
    fn rejects_other_json() {
        let doc = Doc {
            name: "k.json".into(),
            kind: DocKind::Json,
            bytes: br#"{"title":"x"}"#.to_vec(),
        };
        assert_eq!(
            parse(&doc).expect_err("no vulnerabilities").to_string(),
            "cannot read `k.json`: not a KEV catalog: no `vulnerabilities` field"
        );
    }
}

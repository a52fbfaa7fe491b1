//! VEX documents -> [`Ignore`]s: OpenVEX and CycloneDX VEX (a separate document, or the
//! `analysis` of the vulnerabilities embedded in the scanned SBOM itself).
//!
//! Pure: VEX documents come as bytes (the CLI, `cli/policy.rs`, reads the files); the scanned SBOM's own
//! `analysis` comes from the [`Sbom`](crate::sbom::Sbom) the SBOM reader made, never from a
//! second parse ([`from_sbom`]). A statement suppresses findings only when it
//! says the product is not affected or the issue is fixed:
//!
//! - OpenVEX `status`: `not_affected` and `fixed` suppress; `under_investigation` and
//!   `affected` do not.
//! - CycloneDX `analysis.state`: `not_affected`, `false_positive`, `resolved` and
//!   `resolved_with_pedigree` suppress; `exploitable` and `in_triage` do not.
//!
//! The reason shown is the statement's own words: status, justification, then the impact
//! statement or detail. Scope: an OpenVEX statement applies only when one of its `products`
//! is the scanned SBOM's subject or one of its components (purls compared without qualifiers
//! and subpath; a product without a version matches every version, with one only that
//! version); otherwise it is about another product and gives a `vex-other-product` note.
//! An applying statement covers the `subcomponents` of its applying products when it lists
//! any (the product is the thing built from them), else those products; a product that is
//! the scanned SBOM's own subject covers every component. A statement of a separate
//! CycloneDX VEX document covers the components of the scanned SBOM its `affects[].ref` name:
//! a BOM-Link `urn:cdx:<serial>/<version>#<bom-ref>` only when the serial is the scanned
//! SBOM's (any version; no fragment or the subject's bom-ref: every component), a plain ref
//! through the document's own `bom-ref`s (to a purl that must be scanned) else the scanned
//! SBOM's, a purl when it is scanned. When none of its refs is in the scanned SBOM, it is
//! about another product and gives a `vex-other-product` note. The `analysis` embedded in
//! the scanned SBOM covers what its refs name there. Every id of a
//! statement (name and aliases) becomes an ignore, so it matches whichever id the finding
//! shows. These formats are not ours: their DTOs are lenient and unknown fields are skipped.

use crate::policy::{Ignore, IgnoreSource};
use serde::Deserialize;
use std::collections::HashMap;

/// A VEX document that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VexError {
    /// Not JSON, or not an object of a known shape.
    #[error("VEX document `{file}` is not valid JSON: {reason}")]
    Json {
        /// The file, as given.
        file: String,
        /// serde's message.
        reason: String,
    },
    /// JSON, but neither OpenVEX (`statements`) nor CycloneDX (`vulnerabilities`).
    #[error(
        "`{file}` is neither OpenVEX (`statements`) nor CycloneDX VEX (`vulnerabilities`); \
         hint: give an OpenVEX or CycloneDX VEX document"
    )]
    UnknownFormat {
        /// The file, as given.
        file: String,
    },
}

/// What was scanned, for matching VEX products: purls of the SBOM's subject
/// (`metadata.component`) and of its components, its `serialNumber` and `bom-ref`s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scanned<'a> {
    /// The subject's purl, if any.
    pub subject: Option<&'a str>,
    /// Every component's purl.
    pub components: Vec<&'a str>,
    /// The SBOM's `serialNumber` (`urn:uuid:…`), which CycloneDX BOM-Links name.
    pub serial: Option<&'a str>,
    /// The subject's `bom-ref`.
    pub subject_ref: Option<&'a str>,
    /// Each component's `bom-ref` and purl (if any).
    pub refs: crate::sbom::TextMap<&'a str, Option<&'a str>>,
}

/// What a CycloneDX `affects[].ref` of a separate VEX document names in the scanned SBOM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target<'a> {
    /// The subject: the statement covers every component.
    Subject,
    /// A component, by purl.
    Component(&'a str),
    /// A component without a purl: nothing it could cover was checked.
    Unidentified,
    /// Nothing of the scanned SBOM (another BOM, an unknown ref or purl).
    Other,
}

impl<'a> Scanned<'a> {
    /// The purls, serial number and bom-refs of `sbom`.
    pub fn of(sbom: &'a crate::sbom::Sbom) -> Scanned<'a> {
        let mut refs = crate::sbom::TextMap::default();
        for c in &sbom.components {
            if let Some(r) = c.bom_ref.as_deref() {
                refs.entry(r).or_insert(c.purl.as_deref());
            }
        }
        Scanned {
            subject: sbom.subject.as_ref().and_then(|c| c.purl.as_deref()),
            components: sbom
                .components
                .iter()
                .filter_map(|c| c.purl.as_deref())
                .collect(),
            serial: sbom.serial_number.as_deref(),
            subject_ref: sbom.subject.as_ref().and_then(|c| c.bom_ref.as_deref()),
            refs,
        }
    }

    /// Whether product purl `p` is the subject or a component.
    fn has(&self, p: &str) -> bool {
        self.is_subject(p) || self.components.iter().any(|c| crate::purl::in_scope(c, p))
    }

    /// Whether product purl `p` is the subject.
    fn is_subject(&self, p: &str) -> bool {
        self.subject
            .is_some_and(|subject| crate::purl::in_scope(subject, p))
    }

    /// What purl `p` names here.
    fn purl_target<'p>(&self, p: &'p str) -> Target<'p> {
        if self.is_subject(p) {
            Target::Subject
        } else if self.has(p) {
            Target::Component(p)
        } else {
            Target::Other
        }
    }

    /// What `bom-ref` `r` of the scanned SBOM names.
    fn ref_target(&self, r: &str) -> Target<'a> {
        if self.subject_ref == Some(r) {
            return Target::Subject;
        }
        match self.refs.get(r) {
            Some(Some(purl)) => Target::Component(purl),
            Some(None) => Target::Unidentified,
            None => Target::Other,
        }
    }

    /// What BOM-Link `urn:cdx:<serial>/<version>[#<bom-ref>]` names: nothing unless the
    /// serial is the scanned SBOM's (any version); without a fragment, the whole BOM.
    fn link_target(&self, link: &str) -> Target<'a> {
        let rest = &link["urn:cdx:".len()..];
        let (bom, fragment) = match rest.split_once('#') {
            Some((bom, f)) => (bom, Some(f)),
            None => (rest, None),
        };
        let serial = bom.split('/').next().unwrap_or_default();
        let ours = self.serial.is_some_and(|s| {
            let s = s.strip_prefix("urn:uuid:").unwrap_or(s);
            !serial.is_empty() && s.eq_ignore_ascii_case(serial)
        });
        match (ours, fragment) {
            (false, _) => Target::Other,
            (true, None) => Target::Subject,
            (true, Some(f)) => match crate::purl::decode(f) {
                Ok(r) => self.ref_target(&r),
                Err(_) => Target::Other,
            },
        }
    }
}

/// A VEX document's ignores, and messages about statements not applied because they are
/// about another product (`vex-other-product` notes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The statements that suppress, one ignore per id.
    pub ignores: Vec<Ignore>,
    /// One message per statement about another product.
    pub other_products: Vec<String>,
    /// One message per statement whose status is not one the specification defines
    /// (`vex-unknown-status` notes).
    pub unknown_status: Vec<String>,
}

/// The message for a statement with an unknown status: where it is, and its vulnerability id
/// only when it is shaped like one; never the status or any other content.
fn unknown_status(what: &str, file: &str, id: Option<&str>, field: &str, known: &str) -> String {
    let id = id
        .map(str::trim)
        .filter(|id| crate::vuln_id::is_vulnerability_id(id))
        .map(|id| format!(" (`{id}`)"))
        .unwrap_or_default();
    format!(
        "{what} of `{file}`{id} has no `{field}` kevgate knows; not applied; hint: one of \
         {known}"
    )
}

/// Parses an OpenVEX or CycloneDX VEX document into ignores, matching its products against
/// what was `scanned`.
pub fn parse(bytes: &[u8], file: &str, scanned: &Scanned<'_>) -> Result<Parsed, VexError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| VexError::Json {
        file: file.to_owned(),
        reason: crate::text::parser_message(&e.to_string()),
    })?;
    let json_err = |e: serde_json::Error| VexError::Json {
        file: file.to_owned(),
        reason: crate::text::parser_message(&e.to_string()),
    };
    if value.get("statements").is_some() {
        let doc: OpenVexDto = serde_json::from_value(value).map_err(json_err)?;
        Ok(openvex(doc, file, scanned))
    } else if value.get("vulnerabilities").is_some() || value.get("bomFormat").is_some() {
        let doc: CdxDto = serde_json::from_value(value).map_err(json_err)?;
        Ok(cyclonedx(doc, file, scanned))
    } else {
        Err(VexError::UnknownFormat {
            file: file.to_owned(),
        })
    }
}

/// The ignores the `analysis` of an SBOM's embedded vulnerabilities makes: the SBOM is its
/// own CycloneDX VEX. Read from the SBOM as the SBOM reader parsed it, whatever its
/// serialisation (issue 12, item 4: the JSON was parsed a second time here, with its own DTO).
/// A statement covers the components its `affects` resolved to (those without a purl are not
/// covered: nothing was checked there).
pub fn from_sbom(sbom: &crate::sbom::Sbom, file: &str) -> Parsed {
    let mut out = Parsed::default();
    for (i, v) in sbom.vulnerabilities.iter().enumerate() {
        let state = v.analysis_state.as_deref().unwrap_or_default();
        if !suppresses(state) {
            out.unknown_status.extend(unknown_state(
                i,
                file,
                Some(&v.id),
                v.analysis_state.as_deref(),
            ));
            continue;
        }
        let purls: Vec<String> = v
            .affects
            .iter()
            .filter_map(|&c| Some(sbom.components.get(c)?.purl.as_deref()?.to_owned()))
            .collect();
        if purls.is_empty() {
            continue;
        }
        let ids: Vec<String> = std::iter::once(v.id.clone())
            .chain(v.references.iter().cloned())
            .collect();
        push_cyclonedx(
            &mut out.ignores,
            (file, i),
            &ids,
            &purls,
            state,
            v.analysis_justification.as_deref(),
            v.analysis_detail.as_deref(),
        );
    }
    out
}

/// The `vex-unknown-status` message for a CycloneDX vulnerability whose `analysis.state` is
/// present but not one CycloneDX defines.
fn unknown_state(i: usize, file: &str, id: Option<&str>, state: Option<&str>) -> Option<String> {
    let state = state?;
    (!suppresses(state) && !matches!(state, "exploitable" | "in_triage")).then(|| {
        unknown_status(
            &format!("CycloneDX VEX vulnerabilities[{i}]"),
            file,
            id,
            "analysis.state",
            "`not_affected`, `false_positive`, `resolved`, `resolved_with_pedigree`, \
             `exploitable`, `in_triage`",
        )
    })
}

/// Whether a CycloneDX `analysis.state` suppresses a finding.
fn suppresses(state: &str) -> bool {
    matches!(
        state,
        "not_affected" | "false_positive" | "resolved" | "resolved_with_pedigree"
    )
}

#[derive(Deserialize)]
struct OpenVexDto {
    #[serde(default)]
    statements: Vec<StatementDto>,
}

#[derive(Deserialize)]
struct StatementDto {
    vulnerability: Option<VulnerabilityDto>,
    #[serde(default)]
    products: Vec<ProductDto>,
    /// v0.0.1 put subcomponents on the statement.
    #[serde(default)]
    subcomponents: Vec<ProductDto>,
    status: Option<String>,
    justification: Option<String>,
    impact_statement: Option<String>,
    status_notes: Option<String>,
    statement: Option<String>,
}

/// v0.2: `{name, @id, aliases}`; v0.0.1: the id as a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum VulnerabilityDto {
    Id(String),
    Object {
        name: Option<String>,
        #[serde(rename = "@id")]
        id: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

/// v0.2: `{@id, identifiers: {purl}, subcomponents}`; v0.0.1: the purl as a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum ProductDto {
    Id(String),
    Object {
        #[serde(rename = "@id")]
        id: Option<String>,
        identifiers: Option<IdentifiersDto>,
        #[serde(default)]
        subcomponents: Vec<ProductDto>,
    },
}

#[derive(Deserialize)]
struct IdentifiersDto {
    purl: Option<String>,
}

impl ProductDto {
    /// The product's purl: `identifiers.purl`, else `@id` when it is a purl.
    fn purl(&self) -> Option<&str> {
        match self {
            ProductDto::Id(id) => Some(id.as_str()),
            ProductDto::Object {
                id, identifiers, ..
            } => identifiers
                .as_ref()
                .and_then(|i| i.purl.as_deref())
                .or(id.as_deref()),
        }
        .filter(|p| p.starts_with("pkg:"))
    }

    /// The `@id` as written.
    fn id(&self) -> Option<&str> {
        match self {
            ProductDto::Id(id) => Some(id.as_str()),
            ProductDto::Object { id, .. } => id.as_deref(),
        }
    }

    fn subcomponents(&self) -> &[ProductDto] {
        match self {
            ProductDto::Id(_) => &[],
            ProductDto::Object { subcomponents, .. } => subcomponents,
        }
    }
}

fn openvex(doc: OpenVexDto, file: &str, scanned: &Scanned<'_>) -> Parsed {
    let mut out = Parsed::default();
    for (i, s) in doc.statements.into_iter().enumerate() {
        let status = s.status.as_deref().unwrap_or_default();
        let ids: Vec<String> = match &s.vulnerability {
            Some(VulnerabilityDto::Id(id)) => vec![id.clone()],
            Some(VulnerabilityDto::Object { name, id, aliases }) => name
                .iter()
                .chain(aliases)
                .cloned()
                .chain(id.iter().filter(|i| !i.contains('/')).cloned())
                .collect(),
            None => Vec::new(),
        };
        if !matches!(status, "not_affected" | "fixed") {
            if !matches!(status, "affected" | "under_investigation") {
                out.unknown_status.push(unknown_status(
                    &format!("VEX statement {}", i + 1),
                    file,
                    ids.first().map(String::as_str),
                    "status",
                    "`not_affected`, `fixed`, `affected`, `under_investigation`",
                ));
            }
            continue;
        }
        let applying: Vec<&ProductDto> = s
            .products
            .iter()
            .filter(|p| p.purl().is_some_and(|p| scanned.has(p)))
            .collect();
        if !s.products.is_empty() && applying.is_empty() {
            let named: Vec<String> = s
                .products
                .iter()
                .map(|p| format!("`{}`", p.purl().or(p.id()).unwrap_or("?")))
                .collect();
            out.other_products.push(format!(
                "VEX statement {} of `{file}` (`{}`) is about {}, which is neither the \
                 scanned SBOM's subject nor one of its components: not applied",
                i + 1,
                ids.first().map_or("?", String::as_str),
                named.join(", ")
            ));
            continue;
        }
        let subs: Vec<&str> = s
            .subcomponents
            .iter()
            .chain(applying.iter().flat_map(|p| p.subcomponents()))
            .filter_map(ProductDto::purl)
            .collect();
        let products: Vec<&str> = applying.iter().filter_map(|p| p.purl()).collect();
        let purls: Vec<String> = if !subs.is_empty() {
            subs.iter().map(|p| (*p).to_owned()).collect()
        } else if products.iter().any(|p| scanned.is_subject(p)) {
            Vec::new()
        } else if products.is_empty() {
            // No scope we can check: a statement about nothing suppresses nothing.
            continue;
        } else {
            products.iter().map(|p| (*p).to_owned()).collect()
        };
        let detail = s
            .impact_statement
            .or(s.status_notes)
            .or(s.statement)
            .filter(|d| !d.trim().is_empty());
        let reason = reason("VEX", status, s.justification.as_deref(), detail.as_deref());
        push_ids(
            &mut out.ignores,
            &ids,
            &reason,
            &purls,
            &format!("`{file}` statement {}", i + 1),
        );
    }
    out
}

#[derive(Deserialize)]
struct CdxDto {
    #[serde(default)]
    components: Vec<CdxComponentDto>,
    metadata: Option<CdxMetadataDto>,
    #[serde(default)]
    vulnerabilities: Vec<CdxVulnerabilityDto>,
}

#[derive(Deserialize)]
struct CdxMetadataDto {
    component: Option<CdxComponentDto>,
}

#[derive(Deserialize)]
struct CdxComponentDto {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    purl: Option<String>,
    #[serde(default)]
    components: Vec<CdxComponentDto>,
}

#[derive(Deserialize)]
struct CdxVulnerabilityDto {
    id: Option<String>,
    #[serde(default)]
    references: Vec<CdxReferenceDto>,
    analysis: Option<CdxAnalysisDto>,
    #[serde(default)]
    affects: Vec<CdxAffectDto>,
}

#[derive(Deserialize)]
struct CdxReferenceDto {
    id: Option<String>,
}

#[derive(Deserialize)]
struct CdxAnalysisDto {
    state: Option<String>,
    justification: Option<String>,
    detail: Option<String>,
}

#[derive(Deserialize)]
struct CdxAffectDto {
    #[serde(rename = "ref")]
    reference: Option<String>,
}

fn collect_refs<'a>(components: &'a [CdxComponentDto], map: &mut HashMap<&'a str, &'a str>) {
    for c in components {
        if let (Some(r), Some(p)) = (c.bom_ref.as_deref(), c.purl.as_deref()) {
            map.entry(r).or_insert(p);
        }
        collect_refs(&c.components, map);
    }
}

/// The ignores of a CycloneDX document. A separate VEX document is matched against what was
/// `scanned`; the scanned SBOM's own `analysis` (`None`) covers what its refs name.
fn cyclonedx(doc: CdxDto, file: &str, scanned: &Scanned<'_>) -> Parsed {
    let mut refs = HashMap::new();
    collect_refs(&doc.components, &mut refs);
    if let Some(c) = doc.metadata.as_ref().and_then(|m| m.component.as_ref()) {
        collect_refs(std::slice::from_ref(c), &mut refs);
    }
    // A ref as a purl, resolved through the document's own bom-refs.
    let as_purl = |r: &str| -> Option<String> {
        if r.starts_with("pkg:") {
            Some(r.to_owned())
        } else {
            refs.get(r).map(|p| (*p).to_owned())
        }
    };
    let mut out = Parsed::default();
    for (i, v) in doc.vulnerabilities.iter().enumerate() {
        let Some(analysis) = &v.analysis else {
            continue;
        };
        let state = analysis.state.as_deref().unwrap_or_default();
        if !suppresses(state) {
            out.unknown_status.extend(unknown_state(
                i,
                file,
                v.id.as_deref(),
                analysis.state.as_deref(),
            ));
            continue;
        }
        let ids: Vec<String> =
            v.id.iter()
                .chain(v.references.iter().filter_map(|r| r.id.as_ref()))
                .cloned()
                .collect();
        let affects: Vec<&str> = v
            .affects
            .iter()
            .filter_map(|a| a.reference.as_deref())
            .collect();
        let purls: Vec<String> = {
            {
                let targets: Vec<Target<'_>> = affects
                    .iter()
                    .map(|r| {
                        if r.starts_with("urn:cdx:") {
                            scanned.link_target(r)
                        } else if let Some(p) = as_purl(r) {
                            match scanned.purl_target(&p) {
                                Target::Component(_) => Target::Component(r),
                                Target::Subject => Target::Subject,
                                Target::Unidentified | Target::Other => Target::Other,
                            }
                        } else {
                            scanned.ref_target(r)
                        }
                    })
                    .collect();
                if !targets.is_empty() && targets.iter().all(|t| *t == Target::Other) {
                    let named: Vec<String> = affects.iter().map(|r| format!("`{r}`")).collect();
                    out.other_products.push(format!(
                        "CycloneDX VEX vulnerabilities[{i}] of `{file}` (`{}`) is about {}, \
                         which is neither the scanned SBOM's subject nor one of its components: \
                         not applied",
                        ids.first().map_or("?", String::as_str),
                        named.join(", ")
                    ));
                    continue;
                }
                if targets.contains(&Target::Subject) {
                    Vec::new()
                } else {
                    let purls: Vec<String> = targets
                        .iter()
                        .filter_map(|t| match t {
                            Target::Component(r) => as_purl(r),
                            _ => None,
                        })
                        .collect();
                    if purls.is_empty() {
                        continue;
                    }
                    purls
                }
            }
        };
        push_cyclonedx(
            &mut out.ignores,
            (file, i),
            &ids,
            &purls,
            state,
            analysis.justification.as_deref(),
            analysis.detail.as_deref(),
        );
    }
    out
}

/// The ignores of one suppressing CycloneDX vulnerability (`file`'s `vulnerabilities[i]`),
/// whether read from a VEX document, an SBOM's JSON or a parsed SBOM: one reason, one
/// source label.
fn push_cyclonedx(
    ignores: &mut Vec<Ignore>,
    (file, i): (&str, usize),
    ids: &[String],
    purls: &[String],
    state: &str,
    justification: Option<&str>,
    detail: Option<&str>,
) {
    let detail = detail.filter(|d| !d.trim().is_empty());
    let reason = reason("CycloneDX VEX", state, justification, detail);
    push_ids(
        ignores,
        ids,
        &reason,
        purls,
        &format!("`{file}` vulnerabilities[{i}]"),
    );
}

/// `VEX not_affected (vulnerable_code_not_in_execute_path): Govulncheck determined ...`.
fn reason(kind: &str, status: &str, justification: Option<&str>, detail: Option<&str>) -> String {
    let mut r = format!("{kind} {status}");
    if let Some(j) = justification.filter(|j| !j.trim().is_empty()) {
        r.push_str(&format!(" ({})", j.trim()));
    }
    if let Some(d) = detail {
        r.push_str(": ");
        r.push_str(d.trim());
    }
    r
}

fn push_ids(out: &mut Vec<Ignore>, ids: &[String], reason: &str, purls: &[String], origin: &str) {
    let mut seen: Vec<&str> = Vec::new();
    for id in ids.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        if seen.iter().any(|s| s.eq_ignore_ascii_case(id)) {
            continue;
        }
        seen.push(id);
        out.push(Ignore {
            id: id.to_owned(),
            reason: reason.to_owned(),
            expires: None,
            purls: purls.to_vec(),
            source: IgnoreSource::Vex,
            origin: origin.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests;

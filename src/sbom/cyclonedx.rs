//! CycloneDX JSON -> [`Sbom`].
//!
//! Reads CycloneDX JSON 1.2 to 1.7 as trivy, syft, cdxgen and the cyclonedx-* tools write it,
//! through lenient private DTOs (unknown fields ignored, `null` read as absent); the
//! `cyclonedx-bom` crate stops at 1.5. Nested `components[].components` are flattened in
//! document order (pre-order), then those nested under `metadata.component.components` (the
//! subject's parts: scanned like the others); `vulnerabilities[].affects[].ref` become indices
//! into [`Sbom::components`]. The XML reader (`cyclonedx_xml.rs`) builds the same DTOs and
//! shares [`assemble`], so both serialisations read alike.
//!
//! Decisions a reader may question:
//! - A fast path (`cyclonedx_stream.rs`) reads the common well-formed document in one
//!   streaming pass; anything unusual is read again through a `serde_json::Value`
//!   (`from_value`), which lets the error name what a wrong file *is*. The `Value` path's
//!   DTOs are non-recursive (nested components are walked by hand); the fast path's
//!   component visitor nests, and both stop at serde_json's nesting limit of 128, the only
//!   depth bound, so no input can exhaust the stack.
//! - Fields of the wrong type are errors that name the field (`components[3].version`),
//!   not silently dropped: a half-read SBOM would pass a gate it should fail.
//! - Duplicate `bom-ref`s keep the first component and add a warning to
//!   [`Sbom::warnings`]; so do `affects` refs that name no component, and vulnerabilities
//!   without `affects` (they name no component, so they cannot be attributed). A
//!   `specVersion` newer than 1.7 in major version 1 is read (CycloneDX minors are backwards
//!   compatible), with a warning.

use super::detect::{json_kind, quote_value};
use super::{
    Component, Format, MINOR_MAX, MINOR_MIN, Rating, Sbom, SbomError, SbomVulnerability, Str,
    TrivyProperties, WARNINGS_MAX, quote, quote_long,
};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Reads a CycloneDX JSON document from its `Value` (the careful path: every problem named).
pub(super) fn from_value(value: &Value) -> Result<Sbom, SbomError> {
    let doc = match value {
        Value::Object(doc) => doc,
        other => return Err(SbomError::NotObject(json_kind(other))),
    };
    let mut warnings = Vec::new();
    let spec_version = check_header(doc, &mut warnings)?;

    let dto: BomDto = typed(value, "")?;
    let mut components = Vec::new();
    collect_components(doc.get("components"), "components", &mut components)?;
    collect_components(
        value.pointer("/metadata/component/components"),
        "metadata.component.components",
        &mut components,
    )?;
    let dependencies = match dto.dependencies {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => serde_json::from_value(value).unwrap_or_else(|_| {
            warnings.push(
                "`dependencies` is not a list of {ref, dependsOn}; annotations point at the SBOM"
                    .to_owned(),
            );
            Vec::new()
        }),
    };
    let (tools, subject) = match dto.metadata {
        Some(m) => (
            m.tools.as_ref().map(tools).unwrap_or_default(),
            m.component.map(ComponentDto::into_component),
        ),
        None => (Vec::new(), None),
    };
    Ok(assemble(
        Header {
            format: Format::CycloneDxJson,
            spec_version,
            serial_number: dto.serial_number,
            tools,
            subject,
        },
        components,
        dto.vulnerabilities,
        Dependencies::Listed(dependencies),
        warnings,
    ))
}

/// Flattens fast-path components (and nested ones) in document order.
pub(super) fn flatten_fast(items: Vec<FastComponentDto>, out: &mut Vec<Component>) {
    for mut item in items {
        let nested = item.components.take().unwrap_or_default();
        out.push(item.into_dto().into_component());
        flatten_fast(nested, out);
    }
}

impl FastComponentDto {
    pub(super) fn into_dto(self) -> ComponentDto {
        ComponentDto {
            bom_ref: self.bom_ref,
            kind: self.kind,
            group: self.group,
            name: self.name,
            version: self.version,
            purl: self.purl,
            properties: self.properties,
        }
    }
}

/// What a CycloneDX document says about itself, whichever serialisation it came in.
pub(super) struct Header {
    pub(super) format: Format,
    pub(super) spec_version: String,
    pub(super) serial_number: Option<String>,
    pub(super) tools: Vec<String>,
    pub(super) subject: Option<Component>,
}

/// The dependency graph as read: `dependencies[]` as written, or already resolved to edges
/// between component indices (`edges[from]` = what `from` depends on), refs naming no
/// component skipped.
pub(super) enum Dependencies {
    Listed(Vec<DependencyDto>),
    Resolved(Vec<Vec<usize>>),
}

/// Builds the [`Sbom`] from the parsed parts (shared by the fast and the careful JSON path
/// and by the XML reader).
pub(super) fn assemble(
    header: Header,
    components: Vec<Component>,
    vulnerabilities: Option<Vec<VulnerabilityDto>>,
    dependencies: Dependencies,
    mut warnings: Vec<String>,
) -> Sbom {
    let mut sbom = Sbom {
        format: header.format,
        spec_version: header.spec_version,
        serial_number: header.serial_number,
        tools: header.tools,
        subject: header.subject,
        os: super::operating_system(&components),
        components,
        ..Sbom::default()
    };
    let refs = super::index_ids(
        sbom.components
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.bom_ref.as_deref())),
        "bom-ref",
        &mut warnings,
    );
    let edges = match dependencies {
        Dependencies::Listed(listed) => dependency_edges(&refs, &listed, sbom.components.len()),
        Dependencies::Resolved(edges) => edges,
    };
    let owners = super::manifest_owners(&sbom.components, &edges);
    drop(edges);
    let mut unresolved = 0usize;
    let mut missing_id = 0usize;
    let mut unattributed = Vec::new();
    for vuln in vulnerabilities.unwrap_or_default() {
        let Some(id) = vuln.id.filter(|id| !id.is_empty()) else {
            missing_id += 1;
            continue;
        };
        let mut out = SbomVulnerability {
            source_name: vuln.source.as_ref().and_then(|s| s.name.clone()),
            url: vuln.source.and_then(|s| s.url).or_else(|| {
                vuln.advisories
                    .unwrap_or_default()
                    .into_iter()
                    .find_map(|a| a.url)
            }),
            ratings: vuln
                .ratings
                .unwrap_or_default()
                .into_iter()
                .map(|r| Rating {
                    source: r.source.and_then(|s| s.name),
                    score: r.score,
                    severity: r.severity.map(|s| s.to_lowercase()),
                    vector: r.vector.map(|v| full_vector(r.method.as_deref(), v)),
                    method: r.method,
                })
                .collect(),
            cwes: vuln.cwes.unwrap_or_default(),
            description: vuln.description,
            references: vuln
                .references
                .unwrap_or_default()
                .into_iter()
                .filter_map(|r| r.id)
                .map(|id| super::normalize_id(&id))
                .collect(),
            analysis_justification: vuln.analysis.as_ref().and_then(|a| a.justification.clone()),
            analysis_detail: vuln.analysis.as_ref().and_then(|a| a.detail.clone()),
            analysis_state: vuln.analysis.and_then(|a| a.state),
            id,
            ..SbomVulnerability::default()
        };
        let affects = vuln.affects.unwrap_or_default();
        if affects.is_empty() {
            unattributed.push(out.id.clone());
        }
        // Sets beside the lists keep them unique in linear time: one vulnerability may list
        // 200,000 versions (issue 10).
        let mut affected_set = std::collections::HashSet::new();
        let mut fixed_set = std::collections::HashSet::new();
        for affect in affects {
            if let Some(reference) = affect.reference.as_deref() {
                match resolve_ref(&refs, reference) {
                    Some(index) => {
                        if affected_set.insert(index) {
                            out.affects.push(index);
                        }
                    }
                    None => {
                        if unresolved < WARNINGS_MAX {
                            warnings.push(format!(
                                "vulnerability `{}` affects `{}`, which names no component; ignored",
                                quote(&out.id),
                                quote(reference)
                            ));
                        }
                        unresolved += 1;
                    }
                }
            }
            for version in affect.versions.unwrap_or_default() {
                if version.status.as_deref() == Some("unaffected")
                    && let Some(v) = version.version.filter(|v| !v.trim().is_empty())
                {
                    push_unique(&mut out.fixed_versions, &mut fixed_set, v.trim());
                }
            }
        }
        if let Some(recommendation) = vuln.recommendation {
            for v in recommended_versions(&recommendation) {
                push_unique(&mut out.fixed_versions, &mut fixed_set, v);
            }
            out.recommendation = Some(recommendation);
        }
        sbom.vulnerabilities.push(out);
    }
    if unresolved > WARNINGS_MAX {
        warnings.push(format!(
            "{} more `affects` refs name no component; ignored",
            unresolved - WARNINGS_MAX
        ));
    }
    if !unattributed.is_empty() {
        let count = unattributed.len();
        let shown: Vec<String> = unattributed
            .iter()
            .take(WARNINGS_MAX)
            .map(|id| format!("`{}`", quote(id)))
            .collect();
        warnings.push(format!(
            "{count} vulnerabilit{} without `affects` name no component, so they were not attributed to any: {}{}",
            if count == 1 { "y" } else { "ies" },
            shown.join(", "),
            if count > WARNINGS_MAX { ", …" } else { "" }
        ));
    }
    if missing_id > 0 {
        warnings.push(format!(
            "{missing_id} vulnerabilities without an `id` ignored"
        ));
    }
    drop(refs);
    for (component, owner) in sbom.components.iter_mut().zip(owners) {
        component.found_in = owner;
    }
    sbom.warnings = warnings;
    sbom
}

/// Checks `bomFormat` and `specVersion`; returns the spec version as written.
pub(super) fn check_header(
    doc: &Map<String, Value>,
    warnings: &mut Vec<String>,
) -> Result<String, SbomError> {
    match doc.get("bomFormat") {
        None | Some(Value::Null) => return Err(SbomError::MissingBomFormat),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("CycloneDX") => {}
        Some(other) => return Err(SbomError::WrongBomFormat(quote_value(other))),
    }
    let spec = match doc.get("specVersion") {
        None | Some(Value::Null) => return Err(SbomError::MissingSpecVersion),
        // Some old tools wrote the version as a number.
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(other) => return Err(SbomError::UnsupportedSpecVersion(quote_value(other))),
    };
    let unsupported = || SbomError::UnsupportedSpecVersion(format!("`{}`", quote(&spec)));
    let (major, minor) = spec.split_once('.').ok_or_else(unsupported)?;
    let minor: u64 = minor.parse().map_err(|_| unsupported())?;
    if major != "1" || minor < MINOR_MIN {
        return Err(unsupported());
    }
    if minor > MINOR_MAX {
        warnings.push(format!(
            "CycloneDX `specVersion` `{spec}` is newer than kevgate knows (1.{MINOR_MAX}); read as 1.{MINOR_MAX}"
        ));
    }
    Ok(spec)
}

/// Deserializes a DTO from a `Value`, naming the offending field on a type error.
fn typed<'de, T: Deserialize<'de>>(value: &'de Value, prefix: &str) -> Result<T, SbomError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let inner = err.path().to_string();
        let field = match (prefix.is_empty(), inner == ".") {
            (true, _) => inner,
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}.{inner}"),
        };
        SbomError::WrongType {
            field: quote(&field),
            detail: quote_long(&err.into_inner().to_string(), 200),
        }
    })
}

/// Flattens a `components` array (and nested ones) in document order.
fn collect_components(
    value: Option<&Value>,
    path: &str,
    out: &mut Vec<Component>,
) -> Result<(), SbomError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(SbomError::WrongType {
                field: quote(path),
                detail: format!("expected an array, found {}", json_kind(other)),
            });
        }
    };
    for (i, item) in items.iter().enumerate() {
        if item.is_null() {
            continue;
        }
        let item_path = format!("{path}[{i}]");
        let dto: ComponentDto = typed(item, &item_path)?;
        out.push(dto.into_component());
        // Depth is bounded by serde_json's nesting limit (128), so this recursion is too.
        collect_components(
            item.get("components"),
            &format!("{item_path}.components"),
            out,
        )?;
    }
    Ok(())
}

/// `metadata.tools`: a list of tools (1.2-1.4) or `{components, services}` (1.5+).
pub(super) fn tools(value: &Value) -> Vec<String> {
    let entries: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => ["components", "services"]
            .iter()
            .filter_map(|k| map.get(*k).and_then(Value::as_array))
            .flatten()
            .collect(),
        _ => Vec::new(),
    };
    entries
        .into_iter()
        .filter_map(|tool| {
            let name = tool.get("name")?.as_str()?.trim();
            if name.is_empty() {
                return None;
            }
            Some(match tool.get("version").and_then(Value::as_str) {
                Some(version) if !version.trim().is_empty() => format!("{name} {}", version.trim()),
                _ => name.to_string(),
            })
        })
        .collect()
}

/// `dependencies[]` as edges between component indices (`edges[from]` = what `from`
/// depends on); refs that name no component are skipped.
fn dependency_edges(
    refs: &super::TextMap<&str, usize>,
    dependencies: &[DependencyDto],
    len: usize,
) -> Vec<Vec<usize>> {
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); len];
    for dependency in dependencies {
        let Some(from) = dependency
            .reference
            .as_deref()
            .and_then(|r| resolve_ref(refs, r))
        else {
            continue;
        };
        for to in dependency.depends_on.iter().flatten() {
            if let Some(to) = resolve_ref(refs, to) {
                edges[from].push(to);
            }
        }
    }
    edges
}

/// A ref as written, or the fragment of a BOM-Link (`urn:cdx:<serial>/<version>#<bom-ref>`).
pub(super) fn resolve_ref(refs: &super::TextMap<&str, usize>, reference: &str) -> Option<usize> {
    if let Some(&index) = refs.get(reference) {
        return Some(index);
    }
    let (_, fragment) = reference.strip_prefix("urn:cdx:")?.split_once('#')?;
    refs.get(fragment).copied()
}

/// A CVSS vector with its version prefix: CycloneDX's own examples (and converters such as
/// cyclonedx-python-lib) write v3 and v4 vectors without `CVSS:3.1/`, which the `method`
/// (`CVSSv3`, `CVSSv31`, `CVSSv4`) then gives. v2 vectors have no prefix.
fn full_vector(method: Option<&str>, vector: String) -> String {
    let prefix = match method {
        Some("CVSSv3") => "CVSS:3.0/",
        Some("CVSSv31") => "CVSS:3.1/",
        Some("CVSSv4") => "CVSS:4.0/",
        _ => return vector,
    };
    let trimmed = vector.trim();
    if trimmed.starts_with("AV:") {
        format!("{prefix}{trimmed}")
    } else {
        vector
    }
}

/// The versions in trivy's `Upgrade jquery to version 3.4.0` (or `... 6.0.3.1, 5.2.4.3`).
fn recommended_versions(recommendation: &str) -> Vec<&str> {
    let Some(rest) = recommendation.trim().strip_prefix("Upgrade ") else {
        return Vec::new();
    };
    let Some((_, versions)) = rest.split_once(" to version ") else {
        return Vec::new();
    };
    versions
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// Appends `value` unless `seen` (the set of `list`'s items) has it.
fn push_unique(list: &mut Vec<String>, seen: &mut std::collections::HashSet<String>, value: &str) {
    if !seen.contains(value) {
        seen.insert(value.to_string());
        list.push(value.to_string());
    }
}

// Private DTOs: the parts of CycloneDX kevgate reads. Unknown fields are ignored; `Option`
// everywhere so `null` and absence read the same. `components` are walked by hand
// (`collect_components`), so no DTO is recursive.

#[derive(Deserialize)]
#[serde(expecting = "a CycloneDX document object")]
struct BomDto {
    #[serde(rename = "serialNumber")]
    serial_number: Option<String>,
    metadata: Option<MetadataDto>,
    vulnerabilities: Option<Vec<VulnerabilityDto>>,
    /// Read leniently: only annotations use it, so a malformed graph is a warning, not an error.
    dependencies: Option<Value>,
}

/// One `dependencies[]` entry.
#[derive(Deserialize)]
pub(super) struct DependencyDto {
    #[serde(rename = "ref")]
    pub(super) reference: Option<String>,
    #[serde(rename = "dependsOn")]
    pub(super) depends_on: Option<Vec<String>>,
}

/// [`ComponentDto`] plus its nested components (spelled out: `flatten` would buffer every
/// component through serde's `Content` and lose the speed this path exists for).
#[derive(Deserialize)]
pub(super) struct FastComponentDto {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    group: Option<String>,
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
    properties: Option<Vec<PropertyDto>>,
    pub(super) components: Option<Vec<FastComponentDto>>,
}

/// The fast path's `metadata`: the subject with its nested components.
#[derive(Deserialize)]
pub(super) struct FastMetadataDto {
    pub(super) tools: Option<Value>,
    pub(super) component: Option<FastComponentDto>,
}

#[derive(Deserialize)]
#[serde(expecting = "a metadata object")]
struct MetadataDto {
    /// Shape differs by spec version; read leniently by `tools`.
    tools: Option<Value>,
    component: Option<ComponentDto>,
}

#[derive(Deserialize)]
#[serde(expecting = "a component object")]
pub(super) struct ComponentDto {
    #[serde(rename = "bom-ref")]
    pub(super) bom_ref: Option<String>,
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) group: Option<String>,
    pub(super) name: Option<String>,
    pub(super) version: Option<String>,
    pub(super) purl: Option<String>,
    pub(super) properties: Option<Vec<PropertyDto>>,
}

impl ComponentDto {
    pub(super) fn into_component(self) -> Component {
        let mut trivy = TrivyProperties::default();
        for property in self.properties.unwrap_or_default() {
            let (Some(name), Some(value)) = (property.name, property.value) else {
                continue;
            };
            if let Some(key) = name.strip_prefix("aquasecurity:trivy:") {
                super::set_trivy_property(&mut trivy, key, value.into());
            }
        }
        let non_empty = |s: Option<String>| s.filter(|s| !s.is_empty()).map(Str::from);
        Component {
            bom_ref: non_empty(self.bom_ref),
            kind: self.kind.unwrap_or_default().into(),
            group: non_empty(self.group),
            name: self.name.unwrap_or_default().into(),
            version: non_empty(self.version),
            purl: non_empty(self.purl.map(|p| p.trim().to_string())),
            trivy,
            found_in: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(expecting = "a property object")]
pub(super) struct PropertyDto {
    pub(super) name: Option<String>,
    pub(super) value: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "a vulnerability object")]
pub(super) struct VulnerabilityDto {
    pub(super) id: Option<String>,
    pub(super) source: Option<SourceDto>,
    pub(super) ratings: Option<Vec<RatingDto>>,
    pub(super) cwes: Option<Vec<u32>>,
    pub(super) description: Option<String>,
    pub(super) recommendation: Option<String>,
    pub(super) advisories: Option<Vec<AdvisoryDto>>,
    pub(super) references: Option<Vec<ReferenceDto>>,
    pub(super) affects: Option<Vec<AffectDto>>,
    pub(super) analysis: Option<AnalysisDto>,
}

#[derive(Deserialize)]
#[serde(expecting = "a source object")]
pub(super) struct SourceDto {
    pub(super) name: Option<String>,
    pub(super) url: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "a rating object")]
pub(super) struct RatingDto {
    pub(super) source: Option<SourceDto>,
    pub(super) score: Option<f64>,
    pub(super) severity: Option<String>,
    pub(super) method: Option<String>,
    pub(super) vector: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "an advisory object")]
pub(super) struct AdvisoryDto {
    pub(super) url: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "an affects object")]
pub(super) struct AffectDto {
    #[serde(rename = "ref")]
    pub(super) reference: Option<String>,
    pub(super) versions: Option<Vec<AffectVersionDto>>,
}

#[derive(Deserialize)]
#[serde(expecting = "a version object")]
pub(super) struct AffectVersionDto {
    pub(super) version: Option<String>,
    pub(super) status: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "an analysis object")]
pub(super) struct AnalysisDto {
    pub(super) state: Option<String>,
    pub(super) justification: Option<String>,
    pub(super) detail: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "a reference object")]
pub(super) struct ReferenceDto {
    pub(super) id: Option<String>,
}

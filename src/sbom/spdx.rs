//! SPDX 2.x JSON -> [`Sbom`] (trivy `--format spdx-json`, syft `-o spdx-json`, SPDX 2.2/2.3).
//!
//! Mapping (`docs/sbom-formats.md` has the table):
//! - each of `packages[]` is a component: `name`, `versionInfo`, the purl from `externalRefs`
//!   (`referenceType: purl`, category `PACKAGE-MANAGER` or `PACKAGE_MANAGER`), the kind from
//!   `primaryPackagePurpose` (`OPERATING-SYSTEM` -> `operating-system`, ...);
//! - the package the document `DESCRIBES` (or `documentDescribes`), when it is one of several,
//!   is the subject (CycloneDX's `metadata.component`), not a component;
//! - trivy's package facts come from its annotations (`PkgType: npm`, `PkgID: …`) and from
//!   `sourceInfo`: `built package from: openssl 3.0.19-1~deb12u2` gives the source package
//!   (name, epoch, version, release) Debian and Ubuntu advisories are keyed by, `package found
//!   in: app/package-lock.json` the file;
//! - relationships (`CONTAINS`, `DEPENDS_ON`, and their inverses `CONTAINED_BY`,
//!   `DEPENDENCY_OF`) make the graph that attributes each package to the lockfile
//!   (`APPLICATION` package) it came from, as `dependencies` do in CycloneDX.
//!
//! SPDX 2 has no vulnerabilities; `files`, `snippets` and licences are not read.

use super::detect::{json_kind, quote_value};
use super::{Component, Format, Sbom, SbomError, Str, TrivyProperties, quote, quote_long};
use serde::Deserialize;
use serde_json::Value;

/// Reads an SPDX 2.x JSON document.
pub(super) fn from_value(value: &Value) -> Result<Sbom, SbomError> {
    let spec_version = match value.get("spdxVersion") {
        Some(Value::String(s)) => s.trim().to_owned(),
        None | Some(Value::Null) => {
            return Err(SbomError::UnsupportedSpdxVersion(
                "(missing `spdxVersion`)".to_owned(),
            ));
        }
        Some(other) => return Err(SbomError::UnsupportedSpdxVersion(quote_value(other))),
    };
    if !spec_version
        .strip_prefix("SPDX-2.")
        .is_some_and(|minor| !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(SbomError::UnsupportedSpdxVersion(format!(
            "`{}`",
            quote(&spec_version)
        )));
    }
    let doc: DocumentDto =
        serde_path_to_error::deserialize(value).map_err(|err| SbomError::WrongType {
            field: quote(&err.path().to_string()),
            detail: quote_long(&err.into_inner().to_string(), 200),
        })?;
    if let Some(Value::Array(items)) = value.get("packages")
        && let Some(item) = items.iter().find(|p| !p.is_object())
    {
        return Err(SbomError::WrongType {
            field: "packages".to_owned(),
            detail: format!("expected package objects, found a {}", json_kind(item)),
        });
    }

    let mut warnings = Vec::new();
    let packages = doc.packages.unwrap_or_default();
    let ids = super::index_ids(
        packages
            .iter()
            .enumerate()
            .map(|(i, p)| (i, p.spdx_id.as_deref())),
        "SPDXID",
        &mut warnings,
    );
    let relationships = doc.relationships.unwrap_or_default();
    let document_id = doc.spdx_id.as_deref().unwrap_or("SPDXRef-DOCUMENT");
    // The subject: what the document describes, when that is one package among several.
    let mut described: Vec<usize> = doc
        .document_describes
        .iter()
        .flatten()
        .filter_map(|id| ids.get(id.as_str()).copied())
        .collect();
    for r in &relationships {
        let kind = r.relationship_type.as_deref().unwrap_or_default();
        let (from, to) = (r.from.as_deref(), r.to.as_deref());
        let target = match kind.to_ascii_uppercase().as_str() {
            "DESCRIBES" if from == Some(document_id) => to,
            "DESCRIBED_BY" if to == Some(document_id) => from,
            _ => None,
        };
        if let Some(index) = target.and_then(|id| ids.get(id)) {
            described.push(*index);
        }
    }
    described.sort_unstable();
    described.dedup();
    let (subject_index, index_of, next) = subject_and_indices(&described, packages.len());
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); next];
    for r in &relationships {
        let kind = r.relationship_type.as_deref().unwrap_or_default();
        let resolve = |id: Option<&str>| id.and_then(|id| ids.get(id)).and_then(|&i| index_of[i]);
        let (from, to) = (resolve(r.from.as_deref()), resolve(r.to.as_deref()));
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        match kind.to_ascii_uppercase().as_str() {
            "CONTAINS" | "DEPENDS_ON" => edges[from].push(to),
            "CONTAINED_BY" | "DEPENDENCY_OF" => edges[to].push(from),
            _ => {}
        }
    }

    let mut subject = None;
    let mut components = Vec::with_capacity(next);
    for (i, package) in packages.into_iter().enumerate() {
        let component = package.into_component();
        if Some(i) == subject_index {
            subject = Some(component);
        } else {
            components.push(component);
        }
    }
    let owners = super::manifest_owners(&components, &edges);
    for (component, owner) in components.iter_mut().zip(owners) {
        component.found_in = owner;
    }
    let tools = doc
        .creation_info
        .and_then(|c| c.creators)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c.trim().strip_prefix("Tool:"))
        .map(|tool| tool_name(tool.trim()))
        .collect();
    Ok(Sbom {
        format: Format::SpdxJson,
        spec_version,
        serial_number: None,
        tools,
        subject,
        os: super::operating_system(&components),
        components,
        warnings,
        ..Sbom::default()
    })
}

/// SPDX writes tools as `name-version` (`trivy-0.76.0`); shown as CycloneDX does
/// (`trivy 0.76.0`) when the part after the last `-` is a version.
pub(super) fn tool_name(tool: &str) -> String {
    match tool.rsplit_once('-') {
        Some((name, version))
            if !name.is_empty()
                && version
                    .trim_start_matches('v')
                    .starts_with(|c: char| c.is_ascii_digit()) =>
        {
            format!("{name} {version}")
        }
        _ => tool.to_owned(),
    }
}

/// SPDX names a Maven package `group:artifact` and a scoped npm package `@scope/name`, where
/// CycloneDX (trivy's writer included) has `group` and `name`: split them the same way, so
/// both formats of one SBOM name their components alike.
pub(super) fn split_group(purl: Option<&str>, name: String) -> (Option<String>, String) {
    let ty = purl
        .and_then(|p| p.strip_prefix("pkg:"))
        .and_then(|p| p.split_once('/'))
        .map(|(ty, _)| ty.to_ascii_lowercase());
    let split = match ty.as_deref() {
        Some("maven") => name.rsplit_once(':'),
        Some("npm") if name.starts_with('@') => name.split_once('/'),
        _ => None,
    };
    match split {
        Some((group, rest)) if !group.is_empty() && !rest.is_empty() => {
            (Some(group.to_owned()), rest.to_owned())
        }
        _ => (None, name),
    }
}

/// trivy's `sourceInfo` (SPDX 2) / `software_sourceInfo` (SPDX 3): `built package from:
/// <name> [<epoch>:]<version>[-<release>]` (an OS package's source package) or `package found
/// in: <file>`.
pub(super) fn source_info(info: &str, trivy: &mut TrivyProperties) {
    let info = info.trim();
    if let Some(source) = info.strip_prefix("built package from:") {
        let mut parts = source.split_whitespace();
        if let (Some(name), Some(version)) = (parts.next(), parts.next()) {
            let (epoch, rest) = match version.split_once(':') {
                Some((epoch, rest)) if epoch.bytes().all(|b| b.is_ascii_digit()) => {
                    (Some(epoch), rest)
                }
                _ => (None, version),
            };
            let (upstream, release) = match rest.rsplit_once('-') {
                Some((upstream, release)) => (upstream, Some(release)),
                None => (rest, None),
            };
            trivy.src_name.get_or_insert_with(|| name.into());
            trivy.src_version.get_or_insert_with(|| upstream.into());
            if let Some(release) = release {
                trivy.src_release.get_or_insert_with(|| release.into());
            }
            if let Some(epoch) = epoch {
                trivy.src_epoch.get_or_insert_with(|| epoch.into());
            }
        }
    } else if let Some(file) = info.strip_prefix("package found in:") {
        let file = file.trim();
        if !file.is_empty() {
            trivy.file_path.get_or_insert_with(|| file.into());
        }
    }
}

impl PackageDto {
    fn into_component(self) -> Component {
        let purl = self
            .external_refs
            .unwrap_or_default()
            .into_iter()
            .filter(|r| {
                r.reference_type
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case("purl"))
            })
            .find_map(|r| r.reference_locator)
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty());
        let mut trivy = TrivyProperties::default();
        for annotation in self.annotations.unwrap_or_default() {
            if let Some((key, value)) = annotation
                .comment
                .as_deref()
                .and_then(|c| c.split_once(": "))
            {
                super::set_trivy_property(&mut trivy, key.trim(), value.trim().into());
            }
        }
        if let Some(info) = self.source_info.as_deref() {
            source_info(info, &mut trivy);
        }
        let kind = match self.primary_package_purpose.as_deref() {
            None | Some("") => kind_from_spdx_id(self.spdx_id.as_deref()).to_owned(),
            Some(purpose) => purpose.to_ascii_lowercase().replace('_', "-"),
        };
        let non_empty = |s: Option<String>| {
            s.filter(|s| !s.trim().is_empty() && s != "NOASSERTION")
                .map(Str::from)
        };
        let (group, name) = split_group(purl.as_deref(), self.name.unwrap_or_default());
        Component {
            bom_ref: non_empty(self.spdx_id),
            kind: kind.into(),
            group: group.map(Str::from),
            name: name.into(),
            version: non_empty(self.version_info),
            purl: purl.map(Str::from),
            trivy,
            found_in: None,
        }
    }
}

/// The kind of a package without `primaryPackagePurpose` (SPDX 2.2 has no such field): trivy
/// names its packages by kind (`SPDXRef-Application-<hash>` for a lockfile,
/// `SPDXRef-OperatingSystem-<hash>` for the distribution), in 2.2 as in 2.3 where it also
/// writes the purpose. Anything else is a library, as before.
pub(super) fn kind_from_spdx_id(spdx_id: Option<&str>) -> &'static str {
    let kind = spdx_id
        .and_then(|id| id.strip_prefix("SPDXRef-"))
        .and_then(|rest| rest.split_once('-'))
        .map(|(kind, _)| kind);
    match kind {
        Some("Application") => "application",
        Some("OperatingSystem") => "operating-system",
        _ => "library",
    }
}

// Private DTOs: the parts of SPDX 2 kevgate reads; unknown fields are ignored.

#[derive(Deserialize)]
#[serde(expecting = "an SPDX document object")]
struct DocumentDto {
    #[serde(rename = "SPDXID")]
    spdx_id: Option<String>,
    #[serde(rename = "creationInfo")]
    creation_info: Option<CreationInfoDto>,
    #[serde(rename = "documentDescribes")]
    document_describes: Option<Vec<String>>,
    packages: Option<Vec<PackageDto>>,
    relationships: Option<Vec<RelationshipDto>>,
}

#[derive(Deserialize)]
#[serde(expecting = "a creationInfo object")]
struct CreationInfoDto {
    creators: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(expecting = "a package object")]
struct PackageDto {
    #[serde(rename = "SPDXID")]
    spdx_id: Option<String>,
    name: Option<String>,
    #[serde(rename = "versionInfo")]
    version_info: Option<String>,
    #[serde(rename = "externalRefs")]
    external_refs: Option<Vec<ExternalRefDto>>,
    #[serde(rename = "primaryPackagePurpose")]
    primary_package_purpose: Option<String>,
    annotations: Option<Vec<AnnotationDto>>,
    #[serde(rename = "sourceInfo")]
    source_info: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "an externalRefs object")]
struct ExternalRefDto {
    #[serde(rename = "referenceType")]
    reference_type: Option<String>,
    #[serde(rename = "referenceLocator")]
    reference_locator: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "an annotation object")]
struct AnnotationDto {
    comment: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "a relationship object")]
struct RelationshipDto {
    #[serde(rename = "spdxElementId")]
    from: Option<String>,
    #[serde(rename = "relatedSpdxElement")]
    to: Option<String>,
    #[serde(rename = "relationshipType")]
    relationship_type: Option<String>,
}

/// The subject among `count` packages (the one package the document describes, when there
/// are others), each package's component index (the subject has none: component indices
/// skip it), and the number of components. SPDX 2 and 3 alike.
pub(super) fn subject_and_indices(
    described: &[usize],
    count: usize,
) -> (Option<usize>, Vec<Option<usize>>, usize) {
    let subject = match described {
        [only] if count > 1 => Some(*only),
        _ => None,
    };
    let mut index_of = vec![None; count];
    let mut next = 0;
    for (i, slot) in index_of.iter_mut().enumerate() {
        if Some(i) != subject {
            *slot = Some(next);
            next += 1;
        }
    }
    (subject, index_of, next)
}

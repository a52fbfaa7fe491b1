//! SPDX 3 JSON-LD -> [`Sbom`] (SPDX 3.0.1, the compact form its JSON-LD context defines).
//!
//! The document is a flat `@graph` of typed elements linked by id. Read:
//! - `software_Package`: a component (`name`, `software_packageVersion`, the purl from
//!   `software_packageUrl` else an `externalIdentifier` of type `packageUrl`, the kind from
//!   `software_primaryPurpose`, `software_sourceInfo` as in SPDX 2);
//! - `Annotation` whose `subject` is a package and whose `statement` is `Key: value`: trivy's
//!   package facts, as SPDX 2 annotations;
//! - `Relationship` `contains` / `dependsOn` (`from`, `to[]`): the graph that attributes a
//!   package to the lockfile (`application` package) it came from;
//! - `SpdxDocument` / `software_Sbom` `rootElement`: the subject, when it is one package among
//!   several;
//! - `CreationInfo` (`specVersion`, `createdUsing`) and `Tool` elements: the tools.
//!
//! `security_Vulnerability` and VEX elements are not read; a `sbom-warning` note counts them,
//! so nothing passes unsaid. Elements may be spelled with `type`/`spdxId` (the context's
//! aliases) or `@type`/`@id`; type names with or without their profile prefix
//! (`software_Package`, `Package`).
//!
//! No tool on the test bench writes SPDX 3 (trivy 0.76 and syft 1.18 do not); the reader is
//! tested on trivy's SPDX 2.3 output carried over by the spec's migration rules
//! (`tests/fixtures/sbom/formats/spdx2-to-spdx3.py`).

use super::detect::json_kind;
use super::{Component, Format, Sbom, SbomError, Str, TrivyProperties, quote};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Whether a JSON document is SPDX 3 JSON-LD: its `@context` names the SPDX 3 namespace.
pub(super) fn is_spdx3(doc: &Map<String, Value>) -> bool {
    let names_spdx3 = |v: &Value| v.as_str().is_some_and(|s| s.contains("spdx.org/rdf/3"));
    match doc.get("@context") {
        Some(Value::Array(items)) => items.iter().any(names_spdx3),
        Some(other) => names_spdx3(other),
        None => false,
    }
}

/// An element's type without its profile prefix or IRI (`software_Package` -> `Package`).
fn element_type(element: &Map<String, Value>) -> &str {
    let ty = element
        .get("type")
        .or_else(|| element.get("@type"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let ty = ty.rsplit(['/', '#']).next().unwrap_or(ty);
    ty.split_once('_').map_or(ty, |(_, rest)| rest)
}

fn element_id(element: &Map<String, Value>) -> Option<&str> {
    element
        .get("spdxId")
        .or_else(|| element.get("@id"))
        .and_then(Value::as_str)
}

fn string<'a>(element: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    element
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A property that is a list of ids, or one id.
fn ids<'a>(element: &'a Map<String, Value>, key: &str) -> Vec<&'a str> {
    match element.get(key) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(s)) => vec![s.as_str()],
        _ => Vec::new(),
    }
}

/// Reads an SPDX 3 JSON-LD document.
pub(super) fn from_value(value: &Value) -> Result<Sbom, SbomError> {
    let graph = match value.get("@graph") {
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(SbomError::WrongType {
                field: "@graph".to_owned(),
                detail: format!(
                    "expected an array of elements, found a {}",
                    json_kind(other)
                ),
            });
        }
        None => {
            return Err(SbomError::UnsupportedSpdxVersion(
                "3 without an `@graph` (a single-element document)".to_owned(),
            ));
        }
    };
    let mut elements = Vec::with_capacity(graph.len());
    for (i, item) in graph.iter().enumerate() {
        match item {
            Value::Object(element) => elements.push(element),
            other => {
                return Err(SbomError::WrongType {
                    field: format!("@graph[{i}]"),
                    detail: format!("expected an element object, found a {}", json_kind(other)),
                });
            }
        }
    }
    let of_type = |ty: &'static str| {
        elements
            .iter()
            .copied()
            .filter(move |e| element_type(e) == ty)
    };

    let creation = of_type("CreationInfo").next();
    let spec_version = creation
        .and_then(|c| string(c, "specVersion"))
        .unwrap_or("3.0")
        .to_owned();
    if !spec_version.starts_with("3.") {
        return Err(SbomError::UnsupportedSpdxVersion(format!(
            "`{}`",
            quote(&spec_version)
        )));
    }

    let mut warnings = Vec::new();
    let packages: Vec<&Map<String, Value>> = of_type("Package").collect();
    let index = super::index_ids(
        packages.iter().enumerate().map(|(i, p)| (i, element_id(p))),
        "spdxId",
        &mut warnings,
    );

    // The subject: the root element when it is one package among several (the document's
    // root may be a `software_Sbom` whose own root is the package).
    let mut roots: Vec<&str> = of_type("SpdxDocument")
        .chain(of_type("Sbom"))
        .flat_map(|e| ids(e, "rootElement"))
        .collect();
    roots.sort_unstable();
    roots.dedup();
    let described: Vec<usize> = roots.iter().filter_map(|r| index.get(r).copied()).collect();
    let (subject_index, index_of, next) =
        super::spdx::subject_and_indices(&described, packages.len());

    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); next];
    for relationship in of_type("Relationship") {
        let kind = string(relationship, "relationshipType").unwrap_or_default();
        if !matches!(kind, "contains" | "dependsOn") {
            continue;
        }
        let resolve = |id: &str| index.get(id).and_then(|&i| index_of[i]);
        let Some(from) = string(relationship, "from").and_then(resolve) else {
            continue;
        };
        for to in ids(relationship, "to").into_iter().filter_map(resolve) {
            edges[from].push(to);
        }
    }

    let mut facts: HashMap<usize, Vec<&str>> = HashMap::new();
    for annotation in of_type("Annotation") {
        if let (Some(&i), Some(statement)) = (
            string(annotation, "subject").and_then(|s| index.get(s)),
            string(annotation, "statement"),
        ) {
            facts.entry(i).or_default().push(statement);
        }
    }

    let mut subject = None;
    let mut components = Vec::with_capacity(next);
    for (i, package) in packages.iter().enumerate() {
        let component = component(
            package,
            facts.get(&i).map(Vec::as_slice).unwrap_or_default(),
        );
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

    let tools_by_id: HashMap<&str, &str> = of_type("Tool")
        .filter_map(|t| Some((element_id(t)?, string(t, "name")?)))
        .collect();
    let tools = creation
        .map(|c| ids(c, "createdUsing"))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|id| tools_by_id.get(id))
        .map(|name| super::spdx::tool_name(name))
        .collect();

    let vulnerabilities = of_type("Vulnerability").count();
    if vulnerabilities > 0 {
        warnings.push(format!(
            "{vulnerabilities} SPDX 3 `security_Vulnerability` element{} not read: kevgate checks the packages against its database instead",
            if vulnerabilities == 1 { " was" } else { "s were" }
        ));
    }
    Ok(Sbom {
        format: Format::Spdx3JsonLd,
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

fn component(package: &Map<String, Value>, statements: &[&str]) -> Component {
    let purl = string(package, "software_packageUrl")
        .or_else(|| {
            package
                .get("externalIdentifier")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .find(|e| string(e, "externalIdentifierType") == Some("packageUrl"))
                .and_then(|e| string(e, "identifier"))
        })
        .map(str::to_owned);
    let mut trivy = TrivyProperties::default();
    for statement in statements {
        if let Some((key, value)) = statement.split_once(": ") {
            super::set_trivy_property(&mut trivy, key.trim(), value.trim().into());
        }
    }
    if let Some(info) = string(package, "software_sourceInfo") {
        super::spdx::source_info(info, &mut trivy);
    }
    let kind = match string(package, "software_primaryPurpose") {
        None => "library".to_owned(),
        Some("operatingSystem") => "operating-system".to_owned(),
        Some(purpose) => purpose.to_ascii_lowercase(),
    };
    let (group, name) = super::spdx::split_group(
        purl.as_deref(),
        string(package, "name").unwrap_or_default().to_owned(),
    );
    Component {
        bom_ref: element_id(package).map(Str::from),
        kind: kind.into(),
        group: group.map(Str::from),
        name: name.into(),
        version: string(package, "software_packageVersion").map(Str::from),
        purl: purl.map(Str::from),
        trivy,
        found_in: None,
    }
}

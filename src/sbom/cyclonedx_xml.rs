//! CycloneDX XML (1.2 to 1.7) -> [`Sbom`], through the same DTOs and [`assemble`] as the JSON
//! reader, so both serialisations of one BOM read the same.
//!
//! The spec version is the root's namespace (`http://cyclonedx.org/schema/bom/1.6`); elements
//! of other namespaces (extensions) are ignored. Read: `metadata/tools` (1.2-1.4 `tool`, 1.5+
//! `components`/`services`), `metadata/component` (and its nested `components`), every
//! `components/component` (nested ones flattened in document order), `dependencies`
//! (`dependency ref` with nested `dependency ref`), and `vulnerabilities` (1.4+).
//!
//! Decisions a reader may question:
//! - roxmltree parses with `allow_dtd: false`: any `<!DOCTYPE` is an error, so no entity can
//!   be declared, expanded (billion laughs) or resolved to a file or URL (XXE); only the five
//!   predefined entities and character references are read. A CycloneDX document never needs a
//!   DTD (its schema is an XSD).
//! - A single-valued element given twice (two `<purl>` in one component) is an error, as a
//!   duplicate JSON key is: readers disagree on which one counts. Duplicate attributes are
//!   roxmltree's own error.
//! - Nesting deeper than 128 elements is refused, as serde_json refuses deeper JSON; the walk
//!   over nested components is recursive and this bounds it.
//! - A number that is not one (`<score>high</score>`) is an error naming the element.

use super::cyclonedx::{
    AdvisoryDto, AffectDto, AffectVersionDto, AnalysisDto, ComponentDto, Dependencies,
    DependencyDto, Header, PropertyDto, RatingDto, ReferenceDto, SourceDto, VulnerabilityDto,
    assemble, check_header,
};
use super::{Component, Format, Sbom, SbomError, quote};
use roxmltree::{Document, Node, ParsingOptions};
use serde_json::{Map, Value};

/// The deepest element nesting read (as serde_json's limit for JSON).
const MAX_DEPTH: usize = 128;

/// Parses a CycloneDX XML document.
pub(super) fn parse(text: &str) -> Result<Sbom, SbomError> {
    let options = ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => SbomError::Xml(
            "the XML declares a DTD (`<!DOCTYPE`), which kevgate refuses: its entities could \
             expand without bound or read local files and URLs (XXE), and no CycloneDX document \
             needs one; hint: remove the DOCTYPE"
                .to_owned(),
        ),
        other => SbomError::Xml(format!(
            "not well-formed XML: {}; expected a CycloneDX XML SBOM",
            quote(&other.to_string())
        )),
    })?;
    let root = doc.root_element();
    let reader = Reader {
        ns: root.tag_name().namespace().unwrap_or_default(),
    };
    if root.tag_name().name() != "bom" {
        return Err(SbomError::Xml(format!(
            "the XML root element is `{}`, not a CycloneDX `bom`",
            quote(root.tag_name().name())
        )));
    }
    let spec_version = reader
        .ns
        .strip_prefix("http://cyclonedx.org/schema/bom/")
        .unwrap_or_default()
        .to_owned();
    let mut header = Map::new();
    header.insert("bomFormat".into(), Value::String("CycloneDX".into()));
    if !spec_version.is_empty() {
        header.insert("specVersion".into(), Value::String(spec_version));
    }
    let mut warnings = Vec::new();
    let spec_version = check_header(&header, &mut warnings)?;
    check_depth(root)?;

    let metadata = reader.single(root, "metadata", "bom")?;
    let mut components = Vec::new();
    if let Some(list) = reader.single(root, "components", "bom")? {
        reader.components(list, "components", &mut components)?;
    }
    let mut tools = Vec::new();
    let mut subject = None;
    if let Some(metadata) = metadata {
        if let Some(list) = reader.single(metadata, "tools", "metadata")? {
            tools = reader.tools(list)?;
        }
        if let Some(component) = reader.single(metadata, "component", "metadata")? {
            subject = Some(reader.component(component, "metadata.component")?);
            if let Some(list) = reader.single(component, "components", "metadata.component")? {
                reader.components(list, "metadata.component.components", &mut components)?;
            }
        }
    }
    let mut dependencies = Vec::new();
    if let Some(list) = reader.single(root, "dependencies", "bom")? {
        for dependency in reader.children(list, "dependency") {
            dependencies.push(DependencyDto {
                reference: dependency.attribute("ref").map(str::to_owned),
                depends_on: Some(
                    reader
                        .children(dependency, "dependency")
                        .filter_map(|d| d.attribute("ref").map(str::to_owned))
                        .collect(),
                ),
            });
        }
    }
    let vulnerabilities = match reader.single(root, "vulnerabilities", "bom")? {
        Some(list) => Some(
            reader
                .children(list, "vulnerability")
                .enumerate()
                .map(|(i, v)| reader.vulnerability(v, &format!("vulnerabilities[{i}]")))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let mut sbom = assemble(
        Header {
            format: Format::CycloneDxXml,
            spec_version,
            serial_number: root.attribute("serialNumber").map(str::to_owned),
            tools,
            subject,
        },
        components,
        vulnerabilities,
        Dependencies::Listed(dependencies),
        warnings,
    );
    sbom.format = Format::CycloneDxXml;
    Ok(sbom)
}

/// Refuses element nesting deeper than [`MAX_DEPTH`] (an iterative walk: no recursion here).
fn check_depth(root: Node<'_, '_>) -> Result<(), SbomError> {
    let mut stack = vec![(root, 1usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            let pos = node.document().text_pos_at(node.range().start);
            return Err(SbomError::TooDeep {
                line: pos.row as usize,
                column: pos.col as usize,
            });
        }
        stack.extend(
            node.children()
                .filter(Node::is_element)
                .map(|c| (c, depth + 1)),
        );
    }
    Ok(())
}

/// Reads elements of the document's CycloneDX namespace.
struct Reader<'a> {
    ns: &'a str,
}

impl<'a> Reader<'a> {
    /// The child elements named `name` in the CycloneDX namespace.
    fn children<'n, 'i>(
        &self,
        node: Node<'n, 'i>,
        name: &'static str,
    ) -> impl Iterator<Item = Node<'n, 'i>> + use<'n, 'i, '_> {
        node.children().filter(move |c| {
            c.is_element()
                && c.tag_name().name() == name
                && c.tag_name().namespace().unwrap_or_default() == self.ns
        })
    }

    /// The one child element `name`, or none; two are an error (`path` names the parent).
    fn single<'n, 'i>(
        &self,
        node: Node<'n, 'i>,
        name: &'static str,
        path: &str,
    ) -> Result<Option<Node<'n, 'i>>, SbomError> {
        let mut found = self.children(node, name);
        let first = found.next();
        if let Some(second) = found.next() {
            let pos = node.document().text_pos_at(second.range().start);
            return Err(SbomError::Xml(format!(
                "`{path}` has two `<{name}>` elements (the second at line {}, column {}): readers disagree on which one counts, so kevgate refuses the document; hint: regenerate the SBOM, or remove the duplicate",
                pos.row, pos.col
            )));
        }
        Ok(first)
    }

    /// The text of the one child element `name`, trimmed; empty text is absent.
    fn text(
        &self,
        node: Node<'_, '_>,
        name: &'static str,
        path: &str,
    ) -> Result<Option<String>, SbomError> {
        Ok(self
            .single(node, name, path)?
            .and_then(|n| n.text())
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty()))
    }

    /// `components/component`, flattened pre-order with their nested `components`.
    fn components(
        &self,
        list: Node<'_, '_>,
        path: &str,
        out: &mut Vec<Component>,
    ) -> Result<(), SbomError> {
        for (i, node) in self.children(list, "component").enumerate() {
            let item = format!("{path}[{i}]");
            out.push(self.component(node, &item)?);
            // Depth is bounded by `check_depth`, so this recursion is too.
            if let Some(nested) = self.single(node, "components", &item)? {
                self.components(nested, &format!("{item}.components"), out)?;
            }
        }
        Ok(())
    }

    fn component(&self, node: Node<'_, '_>, path: &str) -> Result<Component, SbomError> {
        let properties = self.single(node, "properties", path)?.map(|list| {
            self.children(list, "property")
                .map(|p| PropertyDto {
                    name: p.attribute("name").map(str::to_owned),
                    value: p.text().map(|t| t.trim().to_owned()),
                })
                .collect()
        });
        Ok(ComponentDto {
            bom_ref: node.attribute("bom-ref").map(str::to_owned),
            kind: node.attribute("type").map(str::to_owned),
            group: self.text(node, "group", path)?,
            name: self.text(node, "name", path)?,
            version: self.text(node, "version", path)?,
            purl: self.text(node, "purl", path)?,
            properties,
        }
        .into_component())
    }

    /// `metadata/tools`: `tool` elements (1.2-1.4), or `components`/`services` (1.5+), as the
    /// JSON reader shows them (`name version`).
    fn tools(&self, list: Node<'_, '_>) -> Result<Vec<String>, SbomError> {
        let mut entries: Vec<Node<'_, '_>> = self.children(list, "tool").collect();
        for (group, item) in [("components", "component"), ("services", "service")] {
            if let Some(group) = self.single(list, group, "metadata.tools")? {
                entries.extend(self.children(group, item));
            }
        }
        let mut tools = Vec::new();
        for tool in entries {
            let Some(name) = self.text(tool, "name", "metadata.tools")? else {
                continue;
            };
            tools.push(match self.text(tool, "version", "metadata.tools")? {
                Some(version) => format!("{name} {version}"),
                None => name,
            });
        }
        Ok(tools)
    }

    fn vulnerability(&self, node: Node<'_, '_>, path: &str) -> Result<VulnerabilityDto, SbomError> {
        let source = |parent: Node<'_, '_>, path: &str| -> Result<Option<SourceDto>, SbomError> {
            Ok(match self.single(parent, "source", path)? {
                Some(s) => Some(SourceDto {
                    name: self.text(s, "name", path)?,
                    url: self.text(s, "url", path)?,
                }),
                None => None,
            })
        };
        let mut ratings = Vec::new();
        if let Some(list) = self.single(node, "ratings", path)? {
            for (i, rating) in self.children(list, "rating").enumerate() {
                let path = format!("{path}.ratings[{i}]");
                let score = match self.text(rating, "score", &path)? {
                    Some(text) => Some(text.parse::<f64>().map_err(|_| SbomError::WrongType {
                        field: format!("{path}.score"),
                        detail: format!("`{}` is not a number", quote(&text)),
                    })?),
                    None => None,
                };
                ratings.push(RatingDto {
                    source: source(rating, &path)?,
                    score,
                    severity: self.text(rating, "severity", &path)?,
                    method: self.text(rating, "method", &path)?,
                    vector: self.text(rating, "vector", &path)?,
                });
            }
        }
        let mut cwes = Vec::new();
        if let Some(list) = self.single(node, "cwes", path)? {
            for (i, cwe) in self.children(list, "cwe").enumerate() {
                let text = cwe.text().unwrap_or_default().trim();
                cwes.push(text.parse::<u32>().map_err(|_| SbomError::WrongType {
                    field: format!("{path}.cwes[{i}]"),
                    detail: format!("`{}` is not a CWE number", quote(text)),
                })?);
            }
        }
        let advisories = match self.single(node, "advisories", path)? {
            Some(list) => Some(
                self.children(list, "advisory")
                    .map(|a| {
                        Ok(AdvisoryDto {
                            url: self.text(a, "url", path)?,
                        })
                    })
                    .collect::<Result<Vec<_>, SbomError>>()?,
            ),
            None => None,
        };
        let mut affects = Vec::new();
        if let Some(list) = self.single(node, "affects", path)? {
            for target in self.children(list, "target") {
                let versions = match self.single(target, "versions", path)? {
                    Some(list) => Some(
                        self.children(list, "version")
                            .map(|v| {
                                Ok(AffectVersionDto {
                                    version: self.text(v, "version", path)?,
                                    status: self.text(v, "status", path)?,
                                })
                            })
                            .collect::<Result<Vec<_>, SbomError>>()?,
                    ),
                    None => None,
                };
                affects.push(AffectDto {
                    reference: self.text(target, "ref", path)?,
                    versions,
                });
            }
        }
        let analysis = match self.single(node, "analysis", path)? {
            Some(a) => Some(AnalysisDto {
                state: self.text(a, "state", path)?,
                justification: self.text(a, "justification", path)?,
                detail: self.text(a, "detail", path)?,
            }),
            None => None,
        };
        Ok(VulnerabilityDto {
            id: self.text(node, "id", path)?,
            source: source(node, path)?,
            ratings: Some(ratings),
            cwes: Some(cwes),
            description: self.text(node, "description", path)?,
            recommendation: self.text(node, "recommendation", path)?,
            advisories,
            references: match self.single(node, "references", path)? {
                Some(list) => Some(
                    self.children(list, "reference")
                        .map(|r| {
                            Ok(ReferenceDto {
                                id: self.text(r, "id", path)?,
                            })
                        })
                        .collect::<Result<Vec<_>, SbomError>>()?,
                ),
                None => None,
            },
            affects: Some(affects),
            analysis,
        })
    }
}

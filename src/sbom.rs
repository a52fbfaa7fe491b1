//! CycloneDX JSON -> [`Sbom`], faithful to the file.
//!
//! Reads CycloneDX JSON 1.2 to 1.7 as trivy, syft, cdxgen and the cyclonedx-* tools write it,
//! through lenient private DTOs (unknown fields ignored, `null` read as absent); the
//! `cyclonedx-bom` crate stops at 1.5. Nested `components[].components` are flattened in
//! document order (pre-order), `vulnerabilities[].affects[].ref` become indices into
//! [`Sbom::components`]. Identifying packages (purls) is left to `purl.rs`.
//!
//! Decisions a reader may question:
//! - The document is first parsed into a `serde_json::Value`: that lets us recognise what a
//!   wrong file *is* (SPDX, a trivy report, a lockfile, ...) before typing it, and keeps the
//!   typed DTOs non-recursive (nested components are walked by hand), so serde_json's
//!   nesting limit of 128 is the only depth bound and no input can exhaust the stack.
//! - Fields of the wrong type are errors that name the field (`components[3].version`),
//!   not silently dropped: a half-read SBOM would pass a gate it should fail.
//! - Duplicate `bom-ref`s keep the first component and add a warning to
//!   [`Sbom::warnings`]; so do `affects` refs that name no component. A `specVersion` newer
//!   than 1.7 in major version 1 is read (CycloneDX minors are backwards compatible), with a
//!   warning.
//! - Error messages are one line, never contain the path (the CLI adds it), and escape
//!   control characters of any file content they quote.

use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A parsed CycloneDX SBOM: every component (nested ones flattened, document order kept),
/// the operating system trivy found, and the vulnerabilities the producer embedded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sbom {
    /// `specVersion` (`1.2` ... `1.7`).
    pub spec_version: String,
    /// `serialNumber`, if any.
    pub serial_number: Option<String>,
    /// The tools that produced it (`trivy 0.73.0`).
    pub tools: Vec<String>,
    /// `metadata.component`: the scanned image, directory or application.
    pub subject: Option<Component>,
    /// The operating system (trivy's `operating-system` component, or the first one found):
    /// (name, version), e.g. (`debian`, `12.15`).
    pub os: Option<(String, String)>,
    /// Every component, nested ones included, in document order.
    pub components: Vec<Component>,
    /// `vulnerabilities[]` the producer embedded (trivy with `--scanners vuln`).
    pub vulnerabilities: Vec<SbomVulnerability>,
    /// Things the parser tolerated but the user may want to know (duplicate `bom-ref`s,
    /// `affects` refs naming no component, a newer `specVersion`), one line each, file
    /// content escaped.
    pub warnings: Vec<String>,
}

/// One CycloneDX component.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Component {
    /// `bom-ref`.
    pub bom_ref: Option<String>,
    /// `type` (`library`, `operating-system`, `application`, ...).
    pub kind: String,
    /// `group` (Maven group id in non-trivy SBOMs).
    pub group: Option<String>,
    /// `name`.
    pub name: String,
    /// `version`.
    pub version: Option<String>,
    /// `purl`, as written.
    pub purl: Option<String>,
    /// trivy's properties, when present.
    pub trivy: TrivyProperties,
    /// The manifest the package came from, by the dependency graph: the name of the first
    /// `application` component whose `dependencies` reach it. trivy names each lockfile it
    /// reads as such an application (`package-lock.json`, `app/go.mod`) but writes no
    /// per-package `FilePath` for `fs` scans, so this is where annotations point.
    pub found_in: Option<String>,
}

/// The `aquasecurity:trivy:*` properties kevgate uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrivyProperties {
    /// `PkgType` (`debian`, `npm`, `jar`, `gobinary`, ...).
    pub pkg_type: Option<String>,
    /// `PkgID`.
    pub pkg_id: Option<String>,
    /// `SrcName`: the source package (Debian, Ubuntu, Alpine origin, rpm source rpm name).
    pub src_name: Option<String>,
    /// `SrcVersion`.
    pub src_version: Option<String>,
    /// `SrcRelease` (rpm).
    pub src_release: Option<String>,
    /// `SrcEpoch`.
    pub src_epoch: Option<String>,
    /// `FilePath`: the manifest or file the package was found in.
    pub file_path: Option<String>,
}

/// A vulnerability embedded in the SBOM (`vulnerabilities[]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SbomVulnerability {
    /// `id` (`CVE-...`, `GHSA-...`).
    pub id: String,
    /// `source.name` (`nvd`, `ghsa`, `debian`, ...).
    pub source_name: Option<String>,
    /// `source.url` or the first advisory URL.
    pub url: Option<String>,
    /// `ratings[]`.
    pub ratings: Vec<Rating>,
    /// `cwes[]`.
    pub cwes: Vec<u32>,
    /// `description`.
    pub description: Option<String>,
    /// `recommendation` (trivy: `Upgrade x to version 1.2.3`).
    pub recommendation: Option<String>,
    /// `affects[].ref` resolved to indices into [`Sbom::components`]; refs that name no
    /// component are dropped (and counted by the parser as a note).
    pub affects: Vec<usize>,
    /// Fixed versions the producer recorded (`affects[].versions[]` with status
    /// `unaffected`, or parsed from `recommendation`).
    pub fixed_versions: Vec<String>,
    /// `analysis.state` (VEX), as written.
    pub analysis_state: Option<String>,
}

/// One `ratings[]` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rating {
    /// `source.name`.
    pub source: Option<String>,
    /// `score`.
    pub score: Option<f64>,
    /// `severity` (`critical`, `high`, ...), lower-cased.
    pub severity: Option<String>,
    /// `method` (`CVSSv31`, `CVSSv3`, `CVSSv4`, `CVSSv2`, `other`).
    pub method: Option<String>,
    /// `vector`.
    pub vector: Option<String>,
}

/// The hint for files that are not a CycloneDX SBOM at all.
const HINT_FS: &str =
    "hint: generate a CycloneDX SBOM with `trivy fs --format cyclonedx --output sbom.cdx.json .`";
/// The hint for image scans.
const HINT_IMAGE: &str = "hint: generate a CycloneDX SBOM with `trivy image --format cyclonedx --output sbom.cdx.json <image>`";

/// The CycloneDX spec versions kevgate knows (`1.<minor>`).
const MINOR_MIN: u64 = 2;
const MINOR_MAX: u64 = 7;
/// How many duplicate/unresolved-ref warnings are spelled out before they are summarised.
const WARNINGS_MAX: usize = 10;
/// How many characters of file content a message quotes.
const QUOTE_MAX: usize = 80;

/// Why a file is not an SBOM kevgate can read. Each message is one line, says what the file
/// is, and how to make CycloneDX where that helps. Messages quote file content only escaped
/// and truncated, and never name the file (the caller does).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SbomError {
    /// Zero bytes, or only whitespace.
    #[error("the file is empty; {HINT_FS}")]
    Empty,
    /// gzip, zip, zstd, bzip2 or xz data.
    #[error("this is a {0}-compressed file, not JSON; hint: decompress it first")]
    Compressed(&'static str),
    /// UTF-16 or UTF-32 text (PowerShell's `>` writes UTF-16).
    #[error(
        "the file is {0} encoded, but CycloneDX JSON must be UTF-8; hint: re-encode it with `iconv -f {0} -t UTF-8`, or in PowerShell write it with `Out-File -Encoding utf8`"
    )]
    WideEncoding(&'static str),
    /// Contains NUL bytes: not text.
    #[error(
        "this is a binary file (NUL byte at offset {offset}), not a CycloneDX JSON SBOM; {HINT_FS}"
    )]
    Binary {
        /// Byte offset of the first NUL.
        offset: usize,
    },
    /// Text, but not UTF-8.
    #[error(
        "the file is not valid UTF-8 (invalid byte at offset {offset}); CycloneDX JSON must be UTF-8; hint: re-encode it with `iconv -t UTF-8`"
    )]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// A CycloneDX XML document.
    #[error(
        "this is a CycloneDX XML document, but kevgate reads CycloneDX JSON; hint: convert it with `cyclonedx convert --input-file bom.xml --output-format json --output-file bom.json`, or generate JSON with `trivy fs --format cyclonedx`"
    )]
    CycloneDxXml,
    /// An SPDX document (JSON `spdxVersion`, tag-value `SPDXVersion:`, RDF/XML).
    #[error("this is an SPDX document, not CycloneDX; {HINT_FS}")]
    Spdx,
    /// trivy's own JSON report (`SchemaVersion` + `Results`).
    #[error("this is a trivy JSON report, not an SBOM; {HINT_IMAGE}")]
    TrivyReport,
    /// Some other known file: a lockfile, manifest, syft/grype JSON, SARIF, OSV, VEX, ...
    #[error("this looks like {what}, not a CycloneDX SBOM; hint: {hint}")]
    Foreign {
        /// What it is, with its article (`an npm package-lock.json`).
        what: &'static str,
        /// How to get CycloneDX instead.
        hint: &'static str,
    },
    /// Not JSON at all.
    #[error(
        "not valid JSON: {detail} at line {line}, column {column}; expected a CycloneDX JSON SBOM"
    )]
    NotJson {
        /// serde_json's description.
        detail: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// JSON that ends before the document does.
    #[error(
        "the JSON ends early at line {line}, column {column}: the file looks truncated; hint: regenerate it, or check that the upload or download finished"
    )]
    Truncated {
        /// 1-based line of the end.
        line: usize,
        /// 1-based column of the end.
        column: usize,
    },
    /// Arrays/objects nested deeper than serde_json's limit (128).
    #[error(
        "the JSON is nested more than 128 levels deep (at line {line}, column {column}); no CycloneDX SBOM nests that deep"
    )]
    TooDeep {
        /// 1-based line where the limit was hit.
        line: usize,
        /// 1-based column where the limit was hit.
        column: usize,
    },
    /// Valid JSON whose top level is not an object.
    #[error("the document is a JSON {0}, not an object, so not a CycloneDX SBOM; {HINT_FS}")]
    NotObject(&'static str),
    /// An object without `bomFormat`.
    #[error("`bomFormat` is missing, so this is not a CycloneDX SBOM; {HINT_FS}")]
    MissingBomFormat,
    /// `bomFormat` is something else.
    #[error("`bomFormat` is {0}, not `CycloneDX`; {HINT_FS}")]
    WrongBomFormat(String),
    /// No `specVersion`.
    #[error("`specVersion` is missing; kevgate reads CycloneDX 1.2 to 1.7; {HINT_FS}")]
    MissingSpecVersion,
    /// A spec version kevgate does not read (below 1.2, another major, not a version).
    #[error(
        "CycloneDX `specVersion` {0} is not supported (kevgate reads 1.2 to 1.7); hint: regenerate the SBOM with a current tool, e.g. `trivy fs --format cyclonedx`"
    )]
    UnsupportedSpecVersion(String),
    /// A field has the wrong JSON type.
    #[error("field `{field}` has the wrong type: {detail}")]
    WrongType {
        /// Where, e.g. `components[3].version`, `vulnerabilities[0].ratings[1].score`.
        field: String,
        /// serde's description (`invalid type: integer `5`, expected a string`).
        detail: String,
    },
}

/// Parses a CycloneDX JSON document.
pub fn parse(bytes: &[u8]) -> Result<Sbom, SbomError> {
    let text = decode_text(bytes)?;
    if text.trim().is_empty() {
        return Err(SbomError::Empty);
    }
    if text.trim_start().starts_with('<') {
        return Err(classify_xml(text));
    }
    match parse_fast(text) {
        Some(sbom) => Ok(sbom),
        None => parse_careful(text),
    }
}

/// Reads the document as a `Value` first, so whatever is wrong can be named precisely.
fn parse_careful(text: &str) -> Result<Sbom, SbomError> {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(err) => {
            let err = json_error(&err);
            if matches!(err, SbomError::TooDeep { .. }) {
                return Err(err);
            }
            return Err(classify_text(text).unwrap_or(err));
        }
    };
    let doc = match &value {
        Value::Object(doc) => doc,
        other => return Err(SbomError::NotObject(json_kind(other))),
    };
    if let Some(err) = classify_json(doc) {
        return Err(err);
    }
    let mut warnings = Vec::new();
    let spec_version = check_header(doc, &mut warnings)?;

    let dto: BomDto = typed(&value, "")?;
    let mut components = Vec::new();
    collect_components(doc.get("components"), "components", &mut components)?;
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
    Ok(assemble(
        spec_version,
        dto.serial_number,
        dto.metadata,
        components,
        dto.vulnerabilities,
        &dependencies,
        warnings,
    ))
}

/// The common case, without the `Value` tree: a well-formed CycloneDX document read straight
/// into the DTOs. `None` whenever anything is unusual (a type error, a `null` component, a
/// duplicate key, another format): the careful path then reads it again and explains.
/// Measured on a 6,258-component trivy SBOM, this halves the parse time.
fn parse_fast(text: &str) -> Option<Sbom> {
    let fast: FastBomDto = serde_json::from_str(text).ok()?;
    if !fast.bom_format.eq_ignore_ascii_case("CycloneDX") {
        return None;
    }
    let mut header = Map::new();
    header.insert("bomFormat".into(), Value::String(fast.bom_format));
    header.insert("specVersion".into(), fast.spec_version);
    let mut warnings = Vec::new();
    let spec_version = check_header(&header, &mut warnings).ok()?;
    let mut components = Vec::new();
    flatten_fast(fast.components.unwrap_or_default(), &mut components);
    Some(assemble(
        spec_version,
        fast.serial_number,
        fast.metadata,
        components,
        fast.vulnerabilities,
        &fast.dependencies.unwrap_or_default(),
        warnings,
    ))
}

fn flatten_fast(items: Vec<FastComponentDto>, out: &mut Vec<Component>) {
    for item in items {
        let component = ComponentDto {
            bom_ref: item.bom_ref,
            kind: item.kind,
            group: item.group,
            name: item.name,
            version: item.version,
            purl: item.purl,
            properties: item.properties,
        };
        out.push(component.into_component());
        flatten_fast(item.components.unwrap_or_default(), out);
    }
}

/// Builds the [`Sbom`] from the parsed parts (shared by the fast and the careful path).
fn assemble(
    spec_version: String,
    serial_number: Option<String>,
    metadata: Option<MetadataDto>,
    components: Vec<Component>,
    vulnerabilities: Option<Vec<VulnerabilityDto>>,
    dependencies: &[DependencyDto],
    mut warnings: Vec<String>,
) -> Sbom {
    let mut sbom = Sbom {
        spec_version,
        serial_number,
        components,
        ..Sbom::default()
    };
    if let Some(metadata) = metadata {
        sbom.tools = metadata.tools.as_ref().map(tools).unwrap_or_default();
        sbom.subject = metadata.component.map(ComponentDto::into_component);
    }
    sbom.os = sbom
        .components
        .iter()
        .find(|c| c.kind == "operating-system")
        .map(|c| (c.name.clone(), c.version.clone().unwrap_or_default()));

    let refs = index_refs(&sbom.components, &mut warnings);
    let owners = manifest_owners(&sbom.components, &refs, dependencies);
    let mut unresolved = 0usize;
    let mut missing_id = 0usize;
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
                    method: r.method,
                    vector: r.vector,
                })
                .collect(),
            cwes: vuln.cwes.unwrap_or_default(),
            description: vuln.description,
            analysis_state: vuln.analysis.and_then(|a| a.state),
            id,
            ..SbomVulnerability::default()
        };
        // Sets beside the lists keep them unique in linear time: one vulnerability may list
        // 200,000 versions (issue 10).
        let mut affected_set = std::collections::HashSet::new();
        let mut fixed_set = std::collections::HashSet::new();
        for affect in vuln.affects.unwrap_or_default() {
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

/// Bytes -> text: rejects compressed, wide-encoded, binary and non-UTF-8 files; strips a
/// UTF-8 byte-order mark.
fn decode_text(bytes: &[u8]) -> Result<&str, SbomError> {
    const MAGIC: [(&[u8], &str); 5] = [
        (&[0x1f, 0x8b], "gzip"),
        (b"PK\x03\x04", "zip"),
        (&[0x28, 0xb5, 0x2f, 0xfd], "zstd"),
        (b"BZh", "bzip2"),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0], "xz"),
    ];
    if let Some((_, kind)) = MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Err(SbomError::Compressed(kind));
    }
    if bytes.starts_with(&[0, 0, 0xfe, 0xff]) || bytes.starts_with(&[0xff, 0xfe, 0, 0]) {
        return Err(SbomError::WideEncoding("UTF-32"));
    }
    if bytes.starts_with(&[0xfe, 0xff]) || bytes.starts_with(&[0xff, 0xfe]) {
        return Err(SbomError::WideEncoding("UTF-16"));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        // BOM-less UTF-16: ASCII text with every other byte zero.
        let head = &bytes[..bytes.len().min(64)];
        let even = head.iter().step_by(2).filter(|&&b| b == 0).count();
        let odd = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
        let half = head.len() / 2;
        if half >= 2 && (even >= half * 3 / 4 || odd >= half * 3 / 4) && (even == 0 || odd == 0) {
            return Err(SbomError::WideEncoding("UTF-16"));
        }
        return Err(SbomError::Binary { offset });
    }
    std::str::from_utf8(bytes).map_err(|e| SbomError::NotUtf8 {
        offset: e.valid_up_to(),
    })
}

fn classify_xml(text: &str) -> SbomError {
    let head: String = text.chars().take(4096).collect::<String>().to_lowercase();
    if head.contains("cyclonedx.org/schema/bom") || head.contains("<bom") {
        SbomError::CycloneDxXml
    } else if head.contains("spdx") {
        SbomError::Spdx
    } else if head.contains("<project") && head.contains("maven") {
        SbomError::Foreign {
            what: "a Maven pom.xml",
            hint: "generate CycloneDX with `trivy fs --format cyclonedx --output sbom.cdx.json .` or the cyclonedx-maven-plugin (`mvn org.cyclonedx:cyclonedx-maven-plugin:makeAggregateBom -DoutputFormat=json`)",
        }
    } else if head.contains("<html") || head.contains("<!doctype html") {
        SbomError::Foreign {
            what: "an HTML page (an error page or a login page saved instead of the file?)",
            hint: "check the URL or artifact the SBOM was downloaded from",
        }
    } else {
        SbomError::Foreign {
            what: "an XML document",
            hint: "generate a CycloneDX JSON SBOM with `trivy fs --format cyclonedx --output sbom.cdx.json .`",
        }
    }
}

/// Recognises common non-JSON files by their first lines.
fn classify_text(text: &str) -> Option<SbomError> {
    const LOCK_HINT: &str = "give kevgate an SBOM of the project instead: `trivy fs --format cyclonedx --output sbom.cdx.json .`";
    let text = text.trim_start();
    let first = text.lines().next().unwrap_or_default().trim();
    let head: String = text.chars().take(4096).collect();
    let foreign = |what| {
        Some(SbomError::Foreign {
            what,
            hint: LOCK_HINT,
        })
    };
    if head.contains("SPDXVersion:") {
        return Some(SbomError::Spdx);
    }
    if head.contains("@generated by Cargo") || head.contains("[[package]]") {
        return foreign("a TOML lockfile (Cargo.lock, poetry.lock, uv.lock)");
    }
    if head.contains("# yarn lockfile") || head.contains("\n__metadata:") {
        return foreign("a yarn.lock");
    }
    if first.starts_with("lockfileVersion:") {
        return foreign("a pnpm-lock.yaml");
    }
    if first.starts_with("module ") {
        return foreign("a go.mod");
    }
    let go_sum = |line: &str| {
        let mut parts = line.split_whitespace();
        let (_, version, hash) = (parts.next(), parts.next(), parts.next());
        version.is_some_and(|v| v.starts_with('v')) && hash.is_some_and(|h| h.starts_with("h1:"))
    };
    if go_sum(first) {
        return foreign("a go.sum");
    }
    if matches!(first, "GEM" | "PATH" | "GIT" | "PLATFORMS") {
        return foreign("a Gemfile.lock");
    }
    if first.starts_with('[')
        && first.ends_with(']')
        && first[1..].starts_with(|c: char| c.is_ascii_alphabetic())
    {
        return foreign("a TOML or INI file");
    }
    if first == "---" || first.starts_with("apiVersion:") {
        return foreign("a YAML document");
    }
    None
}

/// Recognises JSON documents that are not CycloneDX.
fn classify_json(doc: &Map<String, Value>) -> Option<SbomError> {
    let has = |key: &str| doc.contains_key(key);
    let foreign = |what, hint| Some(SbomError::Foreign { what, hint });
    if has("spdxVersion") || has("SPDXID") {
        return Some(SbomError::Spdx);
    }
    if has("bomFormat") {
        return None;
    }
    if has("SchemaVersion") && (has("Results") || has("ArtifactName")) {
        return Some(SbomError::TrivyReport);
    }
    const FS: &str =
        "generate CycloneDX with `trivy fs --format cyclonedx --output sbom.cdx.json .`";
    if has("lockfileVersion") {
        return foreign("an npm package-lock.json", FS);
    }
    if has("artifacts") && (has("artifactRelationships") || has("descriptor")) {
        return foreign(
            "a syft JSON document",
            "ask syft for CycloneDX: `syft <source> -o cyclonedx-json=sbom.cdx.json`",
        );
    }
    if has("matches") && has("descriptor") {
        return foreign(
            "a grype JSON report",
            "give kevgate the SBOM instead: `syft <source> -o cyclonedx-json=sbom.cdx.json`",
        );
    }
    if has("runs") && (has("$schema") || has("version")) {
        return foreign("a SARIF log", FS);
    }
    if doc
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains("openvex"))
    {
        return foreign("an OpenVEX document", FS);
    }
    if has("document") && has("vulnerabilities") {
        return foreign("a CSAF document", FS);
    }
    if has("affected") && (has("schema_version") || has("id")) {
        return foreign("an OSV record", FS);
    }
    if has("catalogVersion") && has("vulnerabilities") {
        return foreign("the CISA KEV catalog", FS);
    }
    if has("_meta") && has("default") {
        return foreign("a Pipfile.lock", FS);
    }
    if has("content-hash") && has("packages") {
        return foreign("a composer.lock", FS);
    }
    if has("name") && (has("dependencies") || has("devDependencies") || has("scripts")) {
        return foreign("an npm package.json", FS);
    }
    None
}

/// Checks `bomFormat` and `specVersion`; returns the spec version as written.
fn check_header(doc: &Map<String, Value>, warnings: &mut Vec<String>) -> Result<String, SbomError> {
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
fn tools(value: &Value) -> Vec<String> {
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

/// `bom-ref` -> first component index; warns about duplicates.
fn index_refs<'a>(
    components: &'a [Component],
    warnings: &mut Vec<String>,
) -> HashMap<&'a str, usize> {
    let mut refs = HashMap::with_capacity(components.len());
    let mut duplicates = 0usize;
    for (index, component) in components.iter().enumerate() {
        let Some(bom_ref) = component.bom_ref.as_deref() else {
            continue;
        };
        if let Some(&first) = refs.get(bom_ref) {
            if duplicates < WARNINGS_MAX {
                warnings.push(format!(
                    "duplicate bom-ref `{}` (components {first} and {index}): vulnerabilities referring to it are attached to the first",
                    quote(bom_ref)
                ));
            }
            duplicates += 1;
        } else {
            refs.insert(bom_ref, index);
        }
    }
    if duplicates > WARNINGS_MAX {
        warnings.push(format!(
            "{} more duplicate bom-refs; each is attached to its first component",
            duplicates - WARNINGS_MAX
        ));
    }
    refs
}

/// For each component, the name of the first `application` component (in document order)
/// whose dependency graph reaches it, walking `dependsOn` breadth-first and stopping at other
/// applications. trivy writes one application per lockfile or binary, named by its path.
fn manifest_owners(
    components: &[Component],
    refs: &HashMap<&str, usize>,
    dependencies: &[DependencyDto],
) -> Vec<Option<String>> {
    let mut owners = vec![None; components.len()];
    if dependencies.is_empty() {
        return owners;
    }
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); components.len()];
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
    let is_app = |c: &Component| c.kind == "application" && !c.name.trim().is_empty();
    let mut queue = std::collections::VecDeque::new();
    for (app, component) in components.iter().enumerate().filter(|(_, c)| is_app(c)) {
        queue.extend(edges[app].iter().copied());
        while let Some(next) = queue.pop_front() {
            if owners[next].is_some() || is_app(&components[next]) {
                continue;
            }
            owners[next] = Some(component.name.clone());
            queue.extend(edges[next].iter().copied());
        }
    }
    owners
}

/// A ref as written, or the fragment of a BOM-Link (`urn:cdx:<serial>/<version>#<bom-ref>`).
fn resolve_ref(refs: &HashMap<&str, usize>, reference: &str) -> Option<usize> {
    if let Some(&index) = refs.get(reference) {
        return Some(index);
    }
    let (_, fragment) = reference.strip_prefix("urn:cdx:")?.split_once('#')?;
    refs.get(fragment).copied()
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

fn json_error(err: &serde_json::Error) -> SbomError {
    let (line, column) = (err.line(), err.column());
    let full = err.to_string();
    let suffix = format!(" at line {line} column {column}");
    let detail = full.strip_suffix(&suffix).unwrap_or(&full);
    if err.is_eof() {
        SbomError::Truncated { line, column }
    } else if detail.starts_with("recursion limit exceeded") {
        SbomError::TooDeep { line, column }
    } else {
        SbomError::NotJson {
            detail: quote(detail),
            line,
            column,
        }
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A JSON value for a message: strings in backticks, other kinds by name.
fn quote_value(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{}`", quote(s)),
        Value::Array(_) | Value::Object(_) => format!("an {}", json_kind(value)),
        other => format!("a {}", json_kind(other)),
    }
}

/// File content for a one-line message: control and bidi characters escaped, backticks
/// replaced, at most [`QUOTE_MAX`] characters.
fn quote(text: &str) -> String {
    quote_long(text, QUOTE_MAX)
}

fn quote_long(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        match c {
            '`' => out.push('\''),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}') =>
            {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
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

/// The fast path's document: only what kevgate reads; anything unusual fails the whole parse
/// and sends the document down the careful path.
#[derive(Deserialize)]
struct FastBomDto {
    #[serde(rename = "bomFormat")]
    bom_format: String,
    #[serde(rename = "specVersion")]
    spec_version: Value,
    #[serde(rename = "serialNumber")]
    serial_number: Option<String>,
    metadata: Option<MetadataDto>,
    components: Option<Vec<FastComponentDto>>,
    vulnerabilities: Option<Vec<VulnerabilityDto>>,
    dependencies: Option<Vec<DependencyDto>>,
}

/// One `dependencies[]` entry.
#[derive(Deserialize)]
struct DependencyDto {
    #[serde(rename = "ref")]
    reference: Option<String>,
    #[serde(rename = "dependsOn")]
    depends_on: Option<Vec<String>>,
}

/// [`ComponentDto`] plus its nested components (spelled out: `flatten` would buffer every
/// component through serde's `Content` and lose the speed this path exists for).
#[derive(Deserialize)]
struct FastComponentDto {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    group: Option<String>,
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
    properties: Option<Vec<PropertyDto>>,
    components: Option<Vec<FastComponentDto>>,
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
struct ComponentDto {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    group: Option<String>,
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
    properties: Option<Vec<PropertyDto>>,
}

impl ComponentDto {
    fn into_component(self) -> Component {
        let mut trivy = TrivyProperties::default();
        for property in self.properties.unwrap_or_default() {
            let (Some(name), Some(value)) = (property.name, property.value) else {
                continue;
            };
            let Some(key) = name.strip_prefix("aquasecurity:trivy:") else {
                continue;
            };
            let slot = match key {
                "PkgType" => &mut trivy.pkg_type,
                "PkgID" => &mut trivy.pkg_id,
                "SrcName" => &mut trivy.src_name,
                "SrcVersion" => &mut trivy.src_version,
                "SrcRelease" => &mut trivy.src_release,
                "SrcEpoch" => &mut trivy.src_epoch,
                "FilePath" => &mut trivy.file_path,
                _ => continue,
            };
            // trivy writes each once; keep the first if a file repeats one.
            slot.get_or_insert(value);
        }
        let non_empty = |s: Option<String>| s.filter(|s| !s.is_empty());
        Component {
            bom_ref: non_empty(self.bom_ref),
            kind: self.kind.unwrap_or_default(),
            group: non_empty(self.group),
            name: self.name.unwrap_or_default(),
            version: non_empty(self.version),
            purl: non_empty(self.purl.map(|p| p.trim().to_string())),
            trivy,
            found_in: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(expecting = "a property object")]
struct PropertyDto {
    name: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "a vulnerability object")]
struct VulnerabilityDto {
    id: Option<String>,
    source: Option<SourceDto>,
    ratings: Option<Vec<RatingDto>>,
    cwes: Option<Vec<u32>>,
    description: Option<String>,
    recommendation: Option<String>,
    advisories: Option<Vec<AdvisoryDto>>,
    affects: Option<Vec<AffectDto>>,
    analysis: Option<AnalysisDto>,
}

#[derive(Deserialize)]
#[serde(expecting = "a source object")]
struct SourceDto {
    name: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "a rating object")]
struct RatingDto {
    source: Option<SourceDto>,
    score: Option<f64>,
    severity: Option<String>,
    method: Option<String>,
    vector: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "an advisory object")]
struct AdvisoryDto {
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "an affects object")]
struct AffectDto {
    #[serde(rename = "ref")]
    reference: Option<String>,
    versions: Option<Vec<AffectVersionDto>>,
}

#[derive(Deserialize)]
#[serde(expecting = "a version object")]
struct AffectVersionDto {
    version: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "an analysis object")]
struct AnalysisDto {
    state: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::purl::Purl;
    use std::fmt::Write as _;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sbom")
    }

    fn files(dir: &Path) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = fs_err::read_dir(dir)
            .expect("fixture dir exists")
            .map(|e| e.expect("readable dir entry").path())
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "SOURCES.md"))
            .collect();
        out.sort();
        out
    }

    fn name(path: &Path) -> String {
        path.file_name()
            .expect("fixture has a name")
            .to_string_lossy()
            .into_owned()
    }

    /// Parses within a time budget (debug build), so no input is pathologically slow.
    fn timed(bytes: &[u8], what: &str) -> Result<Sbom, SbomError> {
        let start = Instant::now();
        let result = parse(bytes);
        let elapsed = start.elapsed();
        assert!(elapsed < Duration::from_secs(3), "{what}: took {elapsed:?}");
        result
    }

    /// An error message is one line of printable text.
    fn assert_one_line(message: &str, what: &str) {
        assert!(
            !message.chars().any(char::is_control),
            "{what}: control character in {message:?}"
        );
        assert!(!message.is_empty(), "{what}: empty message");
    }

    /// Hostile files that are valid CycloneDX with odd content: they parse.
    const HOSTILE_OK: &[&str] = &[
        "absurd-versions.json",
        "bad-purls.json",
        "control-chars-names.json",
        "duplicate-bom-refs.json",
        "duplicate-keys.json",
        "empty-object-components.json",
        // `version: 1e999` is valid JSON grammar in a field kevgate does not read.
        "huge-number.json",
        "nested-components-20.json",
        "nulls-everywhere.json",
        "specversion-1.9-future.json",
        "specversion-number.json",
        "tools-mixed.json",
        "tools-weird-shapes.json",
        "unresolved-affects.json",
        "utf8-bom-valid.json",
        "vulnerability-missing-id.json",
    ];

    /// The fast path reads every real SBOM exactly as the careful path does.
    #[test]
    fn fast_path_agrees_with_careful_path() {
        let mut fast = 0;
        for path in files(&fixtures()) {
            let bytes = fs_err::read(&path).expect("read fixture");
            let Ok(text) = decode_text(&bytes) else {
                continue;
            };
            let careful = parse_careful(text);
            if let Some(sbom) = parse_fast(text) {
                fast += 1;
                assert_eq!(Ok(sbom), careful, "{}", path.display());
            }
        }
        assert!(fast >= 20, "the fast path took only {fast} real SBOMs");
    }

    /// Every file of the hostile corpus either parses (the [`HOSTILE_OK`] table) or fails
    /// with a one-line message; none panics or takes long. The snapshot records each outcome.
    #[test]
    fn hostile_corpus() {
        let mut summary = String::new();
        let paths = files(&fixtures().join("hostile"));
        assert!(
            paths.len() >= 40,
            "hostile corpus has {} files",
            paths.len()
        );
        for path in paths {
            let file = name(&path);
            let bytes = fs_err::read(&path).expect("fixture readable");
            match timed(&bytes, &file) {
                Ok(sbom) => {
                    assert!(
                        HOSTILE_OK.contains(&file.as_str()),
                        "{file}: unexpectedly Ok"
                    );
                    for warning in &sbom.warnings {
                        assert_one_line(warning, &file);
                    }
                    writeln!(
                        summary,
                        "{file}: ok, {} components, {} vulnerabilities, warnings: {:?}",
                        sbom.components.len(),
                        sbom.vulnerabilities.len(),
                        sbom.warnings
                    )
                    .expect("write to string");
                }
                Err(err) => {
                    assert!(!HOSTILE_OK.contains(&file.as_str()), "{file}: {err}");
                    let message = err.to_string();
                    assert_one_line(&message, &file);
                    writeln!(summary, "{file}: error: {message}").expect("write to string");
                }
            }
        }
        insta::assert_snapshot!(summary);
    }

    /// Inputs too big to commit, generated: 10^5-deep nesting, 10 MB strings, 10^5
    /// duplicate bom-refs. Each is handled quickly, without a stack overflow.
    #[test]
    fn generated_hostile_inputs() {
        let deep = "[".repeat(100_000);
        assert_eq!(
            timed(deep.as_bytes(), "deep arrays"),
            Err(SbomError::TooDeep {
                line: 1,
                column: 128
            })
        );
        let deep = r#"{"a":"#.repeat(100_000);
        assert!(matches!(
            timed(deep.as_bytes(), "deep objects"),
            Err(SbomError::TooDeep { .. })
        ));
        let deep = format!(
            r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":{}"#,
            r#"[{"name":"a","components":"#.repeat(100_000)
        );
        assert!(matches!(
            timed(deep.as_bytes(), "deep components"),
            Err(SbomError::TooDeep { .. })
        ));

        let huge = "x".repeat(10_000_000);
        let doc = format!(
            r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{{"type":"library","name":"{huge}","version":"{huge}","purl":"pkg:npm/{huge}@1"}}]}}"#
        );
        let sbom = timed(doc.as_bytes(), "huge strings").expect("valid CycloneDX");
        assert_eq!(sbom.components[0].name.len(), huge.len());
        assert!(Purl::parse(sbom.components[0].purl.as_deref().expect("purl kept")).is_ok());

        let doc = format!(r#"{{"bomFormat":"{huge}","specVersion":"1.5"}}"#);
        let err = timed(doc.as_bytes(), "huge bomFormat").expect_err("not CycloneDX");
        assert!(err.to_string().len() < 400, "message is truncated");

        let doc = format!(
            r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{}],"vulnerabilities":[{{"id":"CVE-1","affects":[{}]}}]}}"#,
            vec![r#"{"bom-ref":"same","name":"a"}"#; 100_000].join(","),
            vec![r#"{"ref":"other"}"#; 100_000].join(",")
        );
        let sbom = timed(doc.as_bytes(), "many duplicates").expect("valid CycloneDX");
        assert_eq!(sbom.components.len(), 100_000);
        assert_eq!(sbom.vulnerabilities[0].affects, Vec::<usize>::new());
        assert_eq!(sbom.warnings.len(), 2 * (WARNINGS_MAX + 1));

        let doc = format!(r#"{{"bomFormat":"CycloneDX","specVersion":"1.5{huge}"}}"#);
        let err = timed(doc.as_bytes(), "huge specVersion").expect_err("unsupported");
        assert!(err.to_string().len() < 400, "message is truncated");
    }

    /// Messages name what the file is, escape what they quote, and say where JSON broke.
    #[test]
    fn error_messages() {
        let cases: [(&[u8], &str); 8] = [
            (b"", "the file is empty; hint: generate a CycloneDX SBOM with `trivy fs --format cyclonedx --output sbom.cdx.json .`"),
            (br#"{"spdxVersion":"SPDX-2.3"}"#, "this is an SPDX document, not CycloneDX; hint: generate a CycloneDX SBOM with `trivy fs --format cyclonedx --output sbom.cdx.json .`"),
            (br#"{"SchemaVersion":2,"Results":[]}"#, "this is a trivy JSON report, not an SBOM; hint: generate a CycloneDX SBOM with `trivy image --format cyclonedx --output sbom.cdx.json <image>`"),
            (b"{\n\"bomFormat\": \"CycloneDX\",\n\"specVer", "the JSON ends early at line 3, column 8: the file looks truncated; hint: regenerate it, or check that the upload or download finished"),
            (br#"{"bomFormat":"\u001b[31mx`y"}"#, "`bomFormat` is `\\u{1b}[31mx'y`, not `CycloneDX`; hint: generate a CycloneDX SBOM with `trivy fs --format cyclonedx --output sbom.cdx.json .`"),
            (br#"{"bomFormat":"CycloneDX","specVersion":"1.1"}"#, "CycloneDX `specVersion` `1.1` is not supported (kevgate reads 1.2 to 1.7); hint: regenerate the SBOM with a current tool, e.g. `trivy fs --format cyclonedx`"),
            (br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a","components":[{"version":5}]}]}"#, "field `components[0].components[0].version` has the wrong type: invalid type: integer '5', expected a string"),
            (br#"{"bomFormat":"CycloneDX","specVersion":"1.5","vulnerabilities":[{"id":"x","ratings":[{"score":"9.8"}]}]}"#, "field `vulnerabilities[0].ratings[0].score` has the wrong type: invalid type: string \"9.8\", expected f64"),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse(input).map(|_| ()).map_err(|e| e.to_string()),
                Err(want.to_string())
            );
        }
    }

    /// Every real SBOM in the fixtures parses (SPDX and the trivy report are refused), every
    /// purl in them parses, and a summary of each is snapshotted for review.
    #[test]
    fn real_sboms() {
        let mut summary = String::new();
        for path in files(&fixtures()) {
            let file = name(&path);
            let bytes = fs_err::read(&path).expect("fixture readable");
            let sbom = match timed(&bytes, &file) {
                Ok(sbom) => sbom,
                Err(err) => {
                    let refused = matches!(err, SbomError::Spdx | SbomError::TrivyReport);
                    assert!(refused, "{file}: {err}");
                    writeln!(summary, "{file}: error: {err}\n").expect("write to string");
                    continue;
                }
            };
            let mut purl_types = std::collections::BTreeMap::<String, usize>::new();
            for component in sbom.components.iter().chain(&sbom.subject) {
                if let Some(text) = &component.purl {
                    let purl = Purl::parse(text).unwrap_or_else(|e| panic!("{file}: {text}: {e}"));
                    *purl_types.entry(purl.ty).or_default() += 1;
                }
            }
            let trivy = sbom
                .components
                .iter()
                .filter(|c| c.trivy != TrivyProperties::default())
                .count();
            writeln!(
                summary,
                "{file}: spec {}, tools {:?}, subject {:?}, os {:?}, {} components ({trivy} with trivy properties), purls {purl_types:?}",
                sbom.spec_version,
                sbom.tools,
                sbom.subject.as_ref().map(|s| (&s.kind, &s.name)),
                sbom.os,
                sbom.components.len(),
            )
            .expect("write to string");
            for vuln in &sbom.vulnerabilities {
                let affects: Vec<_> = vuln
                    .affects
                    .iter()
                    .map(|&i| sbom.components[i].name.as_str())
                    .collect();
                let severities: Vec<_> = vuln
                    .ratings
                    .iter()
                    .filter_map(|r| {
                        Some(format!(
                            "{}:{}",
                            r.source.as_deref()?,
                            r.severity.as_deref()?
                        ))
                    })
                    .collect();
                writeln!(
                    summary,
                    "  {} affects {affects:?} fixed {:?} state {:?} cwes {:?} ratings {severities:?}",
                    vuln.id, vuln.fixed_versions, vuln.analysis_state, vuln.cwes
                )
                .expect("write to string");
            }
            for warning in &sbom.warnings {
                writeln!(summary, "  warning: {warning}").expect("write to string");
            }
            summary.push('\n');
        }
        insta::assert_snapshot!(summary);
    }

    /// trivy's embedded vulnerability: refs resolve to the component, the fixed version comes
    /// from `recommendation`, severities are lower-cased, the rest is kept as written.
    #[test]
    fn trivy_vulnerability_details() {
        let bytes = fs_err::read(fixtures().join("trivy-cdx1.7-golden-fs-npm-with-vuln.json"))
            .expect("fixture readable");
        let sbom = parse(&bytes).expect("fixture parses");
        let vuln = &sbom.vulnerabilities[0];
        assert_eq!(vuln.id, "CVE-2019-11358");
        assert_eq!(vuln.affects.len(), 1);
        let jquery = &sbom.components[vuln.affects[0]];
        assert_eq!(
            (jquery.name.as_str(), jquery.version.as_deref()),
            ("jquery", Some("3.3.9"))
        );
        assert_eq!(vuln.fixed_versions, ["3.4.0"]);
        assert_eq!(vuln.cwes, [79]);
        assert_eq!(vuln.source_name.as_deref(), Some("ghsa"));
        let nvd = vuln
            .ratings
            .iter()
            .find(|r| r.method.as_deref() == Some("CVSSv31"))
            .expect("nvd v3.1 rating");
        assert_eq!(nvd.score, Some(6.1));
        assert_eq!(nvd.severity.as_deref(), Some("medium"));
        assert_eq!(
            nvd.vector.as_deref(),
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")
        );
    }

    /// `affects[].versions[]` with status `unaffected` are fixed versions; `analysis.state`
    /// is kept; BOM-Link refs resolve through their fragment; duplicate refs attach to the
    /// first component.
    #[test]
    fn vex_and_refs() {
        let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6",
            "components":[{"bom-ref":"a","name":"a"},{"bom-ref":"a","name":"a-dup"},{"bom-ref":"b","name":"b"}],
            "vulnerabilities":[{"id":"CVE-1","analysis":{"state":"not_affected"},
              "recommendation":"Upgrade b to version 6.0.3.1, 5.2.4.3",
              "affects":[{"ref":"urn:cdx:1234/1#b","versions":[{"version":"1.0","status":"affected"},{"version":"2.0","status":"unaffected"},{"range":"vers:npm/>=3","status":"unaffected"}]},
                         {"ref":"a"},{"ref":"b"}]}]}"#;
        let sbom = parse(doc).expect("valid");
        let vuln = &sbom.vulnerabilities[0];
        assert_eq!(vuln.affects, [2, 0]);
        assert_eq!(vuln.fixed_versions, ["2.0", "6.0.3.1", "5.2.4.3"]);
        assert_eq!(vuln.analysis_state.as_deref(), Some("not_affected"));
        assert_eq!(
            sbom.warnings,
            [
                "duplicate bom-ref `a` (components 0 and 1): vulnerabilities referring to it are attached to the first"
            ]
        );
    }

    /// Each package is attributed to the lockfile or binary trivy found it in, through the
    /// `dependencies` graph: trivy `fs` writes no per-package `FilePath`, only one
    /// `application` component per manifest that depends on its packages.
    #[test]
    fn manifest_from_the_dependency_graph() {
        let found_in = |file: &str| -> HashMap<String, Option<String>> {
            let sbom = parse(&fs_err::read(file).unwrap()).unwrap();
            sbom.components
                .iter()
                .filter_map(|c| Some((c.purl.clone()?, c.found_in.clone())))
                .collect()
        };
        let example = found_in(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/trivy-sbom.cdx.json"
        ));
        let of = |purl: &str| example[purl].as_deref();
        assert_eq!(
            of("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
            Some("gradle.lockfile")
        );
        assert_eq!(of("pkg:npm/jquery@3.4.1"), Some("package-lock.json"));
        assert_eq!(of("pkg:golang/golang.org/x/net@v0.15.0"), Some("go.mod"));
        assert!(example.values().all(Option::is_some), "{example:?}");

        let image = found_in(
            &fixtures()
                .join("trivy-cdx1.5-image-mixed-apk-composer-go-maven-npm.json")
                .to_string_lossy(),
        );
        // OS packages hang off the operating-system component: no manifest.
        assert_eq!(image["pkg:apk/alpine/musl@1.2.3-r0?distro=3.16.0"], None);
        assert_eq!(
            image["pkg:composer/pear/log@1.13.1"].as_deref(),
            Some("app/composer/composer.lock")
        );
        assert_eq!(
            image["pkg:golang/github.com/package-url/packageurl-go@v0.1.1-0.20220203205134-d70459300c8a"].as_deref(),
            Some("app/gobinary/gobinary")
        );
        // A malformed graph is tolerated with a warning, not an error.
        let sbom = parse(br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"a"}],"dependencies":[{"ref":1}]}"#).unwrap();
        assert_eq!(sbom.components[0].found_in, None);
        assert!(
            sbom.warnings.iter().any(|w| w.contains("dependencies")),
            "{:?}",
            sbom.warnings
        );
    }

    /// Nested components are flattened pre-order; the OS component and trivy properties are
    /// read; the subject is `metadata.component`.
    #[test]
    fn components_and_os() {
        let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","serialNumber":"urn:uuid:1",
            "metadata":{"tools":{"components":[{"name":"trivy","version":"0.73.0"}]},
              "component":{"type":"container","name":"img"}},
            "components":[
              {"type":"operating-system","name":"debian","version":"12.15"},
              {"type":"application","name":"app","components":[
                 {"type":"library","name":"x","components":[{"type":"library","name":"y"}]}]},
              {"type":"library","name":"openssl","version":"3.0","purl":" pkg:deb/debian/openssl@3.0 ",
               "properties":[{"name":"aquasecurity:trivy:SrcName","value":"openssl-src"},
                             {"name":"aquasecurity:trivy:PkgType","value":"debian"},
                             {"name":"aquasecurity:trivy:SrcName","value":"second"},
                             {"name":"other","value":"z"},{"name":"aquasecurity:trivy:FilePath"}]}]}"#;
        let sbom = parse(doc).expect("valid");
        let names: Vec<_> = sbom.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["debian", "app", "x", "y", "openssl"]);
        assert_eq!(sbom.os, Some(("debian".into(), "12.15".into())));
        assert_eq!(sbom.tools, ["trivy 0.73.0"]);
        assert_eq!(sbom.serial_number.as_deref(), Some("urn:uuid:1"));
        assert_eq!(sbom.subject.as_ref().map(|s| s.name.as_str()), Some("img"));
        let openssl = &sbom.components[4];
        assert_eq!(openssl.purl.as_deref(), Some("pkg:deb/debian/openssl@3.0"));
        assert_eq!(
            openssl.trivy,
            TrivyProperties {
                pkg_type: Some("debian".into()),
                src_name: Some("openssl-src".into()),
                ..TrivyProperties::default()
            }
        );
    }
}

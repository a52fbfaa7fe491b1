//! SBOM -> [`Sbom`], faithful to the file: CycloneDX JSON and XML, SPDX 2.x JSON and SPDX 3
//! JSON-LD, each optionally gzip-compressed.
//!
//! The format is told from the content, never from the file name (`detect.rs`): gzip by its
//! magic bytes, XML by its first non-space character `<`, JSON by its root keys (`bomFormat`,
//! `spdxVersion`, `@context`/`@graph`). Each format has its own reader producing the same
//! [`Sbom`]: `cyclonedx.rs` (JSON, 1.2 to 1.7), `cyclonedx_xml.rs` (1.2 to 1.7), `spdx.rs`
//! (2.x JSON) and `spdx3.rs` (3.0 JSON-LD). Identifying packages (purls) is left to `purl.rs`.
//! `docs/sbom-formats.md` says what each reader reads and how its fields map.
//!
//! Decisions a reader may question:
//! - Bounded: the caller caps the bytes it reads (`cli/scan.rs`, [`DEFAULT_MAX_BYTES`]); a gzip'd
//!   SBOM is inflated up to the same cap, so a decompression bomb is an
//!   error, not an out-of-memory kill.
//! - A JSON document with a duplicate key anywhere is refused: parsers disagree on which value
//!   counts (serde_json keeps the last, others the first), so a component could hide behind one.
//! - CycloneDX XML is parsed with DTDs refused (roxmltree's `allow_dtd: false`), so no entity
//!   can expand (billion laughs) or reach a file or URL (XXE).
//! - Vulnerability ids are normalised at parse (`cve-2021-44228` -> `CVE-2021-44228`,
//!   [`normalize_id`]): the KEV/NVD/EPSS join and every comparison downstream see one spelling.
//! - What the reader cannot attribute is a warning (a `sbom-warning` note), never dropped in
//!   silence: a vulnerability without `affects`, an SBOM that lists no components.
//! - Error messages are one line, never contain the path (the CLI adds it), and escape
//!   control characters of any file content they quote.

mod cyclonedx;
mod cyclonedx_stream;
mod cyclonedx_xml;
mod detect;
mod spdx;
mod spdx3;
mod str;

pub(crate) use str::Interner;
pub use str::Str;

use std::collections::HashMap;

/// A hash map keyed by SBOM text (bom-refs, SPDX ids, interned strings): foldhash with a
/// per-map random seed (hashbrown's own default, DoS-resistant for keys an attacker writes)
/// instead of SipHash, which was ~10% of a Debian-heavy scan's profile (docs/performance.md).
pub(crate) type TextMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The default cap on an SBOM's size, read and (for gzip) inflated: 1 GiB. Real SBOMs are at
/// most tens of MB; the cap exists so that `/dev/zero` or a decompression bomb ends in an
/// error, not in the out-of-memory killer.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// How an SBOM was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// CycloneDX JSON (trivy `--format cyclonedx`).
    #[default]
    CycloneDxJson,
    /// CycloneDX XML.
    CycloneDxXml,
    /// SPDX 2.x JSON (trivy `--format spdx-json`, syft `-o spdx-json`).
    SpdxJson,
    /// SPDX 3 JSON-LD.
    Spdx3JsonLd,
}

impl Format {
    /// The name shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::CycloneDxJson => "CycloneDX JSON",
            Format::CycloneDxXml => "CycloneDX XML",
            Format::SpdxJson => "SPDX JSON",
            Format::Spdx3JsonLd => "SPDX 3 JSON-LD",
        }
    }
}

/// A parsed SBOM: every component (nested ones flattened, document order kept), the
/// operating system the producer found, and the vulnerabilities it embedded. Field names
/// follow CycloneDX; `docs/sbom-formats.md` says what each SPDX field maps to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sbom {
    /// How the file was written.
    pub format: Format,
    /// Whether it was gzip-compressed.
    pub gzip: bool,
    /// The spec version as written: CycloneDX `specVersion` (`1.2` ... `1.7`), SPDX
    /// `spdxVersion` (`SPDX-2.3`) or SPDX 3 `specVersion` (`3.0.1`).
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

/// One CycloneDX component. Its texts are [`Str`]s, shared between components that repeat them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Component {
    /// `bom-ref`.
    pub bom_ref: Option<Str>,
    /// `type` (`library`, `operating-system`, `application`, ...).
    pub kind: Str,
    /// `group` (Maven group id in non-trivy SBOMs).
    pub group: Option<Str>,
    /// `name`.
    pub name: Str,
    /// `version`.
    pub version: Option<Str>,
    /// `purl`, as written.
    pub purl: Option<Str>,
    /// trivy's properties, when present.
    pub trivy: TrivyProperties,
    /// The manifest the package came from, by the dependency graph: the name of the first
    /// `application` component whose `dependencies` reach it. trivy names each lockfile it
    /// reads as such an application (`package-lock.json`, `app/go.mod`) but writes no
    /// per-package `FilePath` for `fs` scans, so this is where annotations point.
    pub found_in: Option<Str>,
}

/// The `aquasecurity:trivy:*` properties kevgate uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrivyProperties {
    /// `PkgType` (`debian`, `npm`, `jar`, `gobinary`, ...).
    pub pkg_type: Option<Str>,
    /// `PkgID`.
    pub pkg_id: Option<Str>,
    /// `SrcName`: the source package (Debian, Ubuntu, Alpine origin, rpm source rpm name).
    pub src_name: Option<Str>,
    /// `SrcVersion`.
    pub src_version: Option<Str>,
    /// `SrcRelease` (rpm).
    pub src_release: Option<Str>,
    /// `SrcEpoch`.
    pub src_epoch: Option<Str>,
    /// `FilePath`: the manifest or file the package was found in.
    pub file_path: Option<Str>,
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
    /// `analysis.justification` (VEX), as written.
    pub analysis_justification: Option<String>,
    /// `analysis.detail` (VEX), as written.
    pub analysis_detail: Option<String>,
    /// `references[].id`: the same vulnerability under other ids.
    pub references: Vec<String>,
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
pub(crate) const HINT_FS: &str =
    "hint: generate a CycloneDX SBOM with `trivy fs --format cyclonedx --output sbom.cdx.json .`";
/// The hint for image scans.
pub(crate) const HINT_IMAGE: &str = "hint: generate a CycloneDX SBOM with `trivy image --format cyclonedx --output sbom.cdx.json <image>`";

/// The CycloneDX spec versions kevgate knows (`1.<minor>`).
pub(crate) const MINOR_MIN: u64 = 2;
pub(crate) const MINOR_MAX: u64 = 7;
/// How many duplicate/unresolved-ref warnings are spelled out before they are summarised.
pub(crate) const WARNINGS_MAX: usize = 10;
/// How many characters of file content a message quotes.
const QUOTE_MAX: usize = 80;

/// Why a file is not an SBOM kevgate can read. Each message is one line, says what the file
/// is, and how to make a readable SBOM where that helps. Messages quote file content only escaped
/// and truncated, and never name the file (the caller does).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SbomError {
    /// Zero bytes, or only whitespace.
    #[error("the file is empty; {HINT_FS}")]
    Empty,
    /// zip, zstd, bzip2 or xz data (gzip is read), or gzip inside gzip.
    #[error(
        "this is a {0}-compressed file; kevgate reads plain or gzip-compressed SBOMs; hint: decompress it first"
    )]
    Compressed(&'static str),
    /// gzip data that cannot be inflated.
    #[error("the gzip data is corrupt or truncated: {0}; hint: regenerate or re-download it")]
    BadGzip(String),
    /// gzip data that inflates past the size cap (a decompression bomb, or a huge SBOM).
    #[error(
        "the gzip-compressed SBOM inflates to more than {limit} bytes, the size cap; hint: raise the cap with `--max-sbom-size` (or `KEVGATE_MAX_SBOM_SIZE`) if the SBOM is really that large"
    )]
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// UTF-16 or UTF-32 text (PowerShell's `>` writes UTF-16).
    #[error(
        "the file is {0} encoded, but kevgate reads UTF-8 SBOMs; hint: re-encode it with `iconv -f {0} -t UTF-8`, or in PowerShell write it with `Out-File -Encoding utf8`"
    )]
    WideEncoding(&'static str),
    /// Contains NUL bytes: not text.
    #[error("this is a binary file (NUL byte at offset {offset}), not an SBOM; {HINT_FS}")]
    Binary {
        /// Byte offset of the first NUL.
        offset: usize,
    },
    /// Text, but not UTF-8.
    #[error(
        "the file is not valid UTF-8 (invalid byte at offset {offset}); SBOMs must be UTF-8; hint: re-encode it with `iconv -t UTF-8`"
    )]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// XML that is not well-formed, or that declares a DTD (refused: entity expansion and
    /// external entities are attacks, and no CycloneDX document needs one).
    #[error("{0}")]
    Xml(String),
    /// An SPDX serialisation kevgate does not read (tag-value, RDF/XML, YAML).
    #[error(
        "this is an SPDX {0} document; kevgate reads SPDX JSON and JSON-LD; hint: write JSON with `trivy fs --format spdx-json` or `syft <source> -o spdx-json`, or generate CycloneDX with `trivy fs --format cyclonedx`"
    )]
    Spdx(&'static str),
    /// An SPDX JSON document of an unsupported version.
    #[error(
        "SPDX version {0} is not supported (kevgate reads SPDX 2.x JSON and SPDX 3 JSON-LD); {HINT_FS}"
    )]
    UnsupportedSpdxVersion(String),
    /// A JSON object with the same key twice: parsers disagree on which value counts.
    #[error(
        "duplicate key `{key}` at line {line}, column {column}: JSON parsers disagree on which value counts, so kevgate refuses the document; hint: regenerate the SBOM, or remove the duplicate"
    )]
    DuplicateKey {
        /// The key, quoted.
        key: String,
        /// 1-based line of the second occurrence's value.
        line: usize,
        /// 1-based column.
        column: usize,
    },
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
        "not valid JSON: {detail} at line {line}, column {column}; expected a JSON or XML SBOM"
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
    #[error("the document is a JSON {0}, not an object, so not an SBOM; {HINT_FS}")]
    NotObject(&'static str),
    /// An object without `bomFormat`.
    #[error(
        "neither `bomFormat` (CycloneDX) nor `spdxVersion` (SPDX) is there, so this is not an SBOM kevgate knows; {HINT_FS}"
    )]
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

/// Parses an SBOM of any supported format, gzip'd or not, inflating at most
/// [`DEFAULT_MAX_BYTES`].
pub fn parse(bytes: &[u8]) -> Result<Sbom, SbomError> {
    parse_inflated(&inflate(bytes, DEFAULT_MAX_BYTES)?)
}

/// An SBOM's bytes, gzip inflated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inflated<'a> {
    /// The document itself (what VEX reads the SBOM's own `analysis` from).
    pub bytes: std::borrow::Cow<'a, [u8]>,
    /// Whether it was gzip-compressed.
    pub gzip: bool,
}

/// Inflates gzip data (told by its magic bytes) up to `max_bytes`; other data as it is.
pub fn inflate(bytes: &[u8], max_bytes: u64) -> Result<Inflated<'_>, SbomError> {
    Ok(match detect::gunzip(bytes, max_bytes)? {
        Some(inflated) => Inflated {
            bytes: std::borrow::Cow::Owned(inflated),
            gzip: true,
        },
        None => Inflated {
            bytes: std::borrow::Cow::Borrowed(bytes),
            gzip: false,
        },
    })
}

/// Parses an inflated SBOM of any supported format.
pub fn parse_inflated(doc: &Inflated<'_>) -> Result<Sbom, SbomError> {
    let mut sbom = parse_plain(&doc.bytes)?;
    sbom.gzip = doc.gzip;
    finish(&mut sbom);
    Ok(sbom)
}

/// Parses an SBOM streamed from `reader`, gzip'd or not, inflating at most `max_bytes`, without
/// holding the document: the way a file of any size is read (a 1,000,000-component CycloneDX
/// document is 570 MB of JSON). Handles well-formed CycloneDX JSON; `Ok(None)` for anything
/// else (another format, a problem to explain, a read error): the caller then reads the file
/// whole and [`parse_inflated`] reads it or names what is wrong, as for any input. The caller
/// caps what `reader` yields of the file itself.
pub fn parse_reader<R: std::io::BufRead>(
    mut reader: R,
    max_bytes: u64,
) -> Result<Option<Sbom>, SbomError> {
    let Ok(head) = reader.fill_buf() else {
        return Ok(None);
    };
    let (sbom, gzip) = if head.starts_with(&[0x1f, 0x8b]) {
        let inflated = detect::Capped::new(flate2::bufread::MultiGzDecoder::new(reader), max_bytes);
        let mut inflated = std::io::BufReader::with_capacity(1 << 16, inflated);
        let sbom = parse_plain_reader(&mut inflated);
        if inflated.get_ref().exceeded() {
            return Err(SbomError::TooLarge { limit: max_bytes });
        }
        (sbom, true)
    } else {
        (parse_plain_reader(reader), false)
    };
    Ok(sbom.map(|mut sbom| {
        sbom.gzip = gzip;
        finish(&mut sbom);
        sbom
    }))
}

/// A CycloneDX JSON document streamed, when the text starts as one (`{`, no byte-order mark).
fn parse_plain_reader<R: std::io::BufRead>(mut reader: R) -> Option<Sbom> {
    let head = reader.fill_buf().ok()?;
    let first = head.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    // serde_json reads a reader byte by byte: through a `BufReader` owned by value std takes
    // its buffered fast path (a `&mut BufReader` would take the slow one, a `read` call per
    // byte: most of the parse time in a profile).
    let reader = std::io::BufReader::with_capacity(1 << 16, reader);
    cyclonedx_stream::parse(serde_json::Deserializer::from_reader(reader))
}

/// Whether the first bytes read of a file already show it is no SBOM (binary, another
/// compression, UTF-16/32): a reader can stop there and let [`parse`] explain, instead of
/// reading `/dev/zero` up to the size cap.
pub fn refused_early(head: &[u8]) -> bool {
    !head.starts_with(&[0x1f, 0x8b])
        && matches!(
            detect::decode_text(head),
            Err(SbomError::Binary { .. } | SbomError::Compressed(_) | SbomError::WideEncoding(_))
        )
}

fn parse_plain(bytes: &[u8]) -> Result<Sbom, SbomError> {
    // A well-formed CycloneDX JSON document in one pass over the bytes: serde_json checks the
    // UTF-8 of every string it reads and refuses any other byte outside the grammar, so a
    // document it takes is text; anything else goes the careful way below, which explains.
    let streamed = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if streamed
        && let Some(sbom) = cyclonedx_stream::parse(serde_json::Deserializer::from_slice(bytes))
    {
        return Ok(sbom);
    }
    let text = detect::decode_text(bytes)?;
    if text.trim().is_empty() {
        return Err(SbomError::Empty);
    }
    if text.trim_start().starts_with('<') {
        return if detect::is_cyclonedx_xml(text) {
            cyclonedx_xml::parse(text)
        } else {
            Err(detect::classify_xml(text))
        };
    }
    // One streaming pass reads a well-formed CycloneDX document (duplicate keys refused on
    // the way); anything else is checked for duplicate keys on its own, then read by the
    // streaming reader skipping what it does not use, then by the careful path, which explains.
    // (Text that starts as it did above was read the same way already: its byte-order mark
    // is the only difference decode_text can make.)
    if !streamed
        && let Some(sbom) = cyclonedx_stream::parse(serde_json::Deserializer::from_str(text))
    {
        return Ok(sbom);
    }
    detect::check_duplicate_keys(text)?;
    if let Some(sbom) = cyclonedx_stream::parse_checked(
        serde_json::Deserializer::from_str(text),
        cyclonedx_stream::Checks::Lenient,
    ) {
        return Ok(sbom);
    }
    let value = detect::json_value(text)?;
    let serde_json::Value::Object(doc) = &value else {
        return Err(SbomError::NotObject(detect::json_kind(&value)));
    };
    if doc.contains_key("bomFormat") {
        cyclonedx::from_value(&value)
    } else if doc.contains_key("spdxVersion") || doc.contains_key("SPDXID") {
        spdx::from_value(&value)
    } else if spdx3::is_spdx3(doc) {
        spdx3::from_value(&value)
    } else {
        Err(detect::classify_json(doc).unwrap_or(SbomError::MissingBomFormat))
    }
}

/// What every format shares once parsed: the vulnerability ids normalised, and a warning when
/// nothing at all is listed.
fn finish(sbom: &mut Sbom) {
    for vuln in &mut sbom.vulnerabilities {
        vuln.id = normalize_id(&vuln.id);
    }
    if sbom.components.is_empty() {
        let subject = match &sbom.subject {
            Some(subject) => format!(" (only its subject `{}`)", quote(&subject.name)),
            None => String::new(),
        };
        sbom.warnings.push(format!(
            "the SBOM lists no components{subject}: nothing was checked; hint: check that the SBOM tool found the lockfiles or packages"
        ));
    }
}

/// A vulnerability id in its canonical spelling: the prefix of a known id scheme upper-cased
/// (`cve-2021-44228` -> `CVE-2021-44228`, `ghsa-…` -> `GHSA-…` with its body lower-cased, as
/// GitHub writes it); other ids as written, trimmed. Ids are case-insensitive: this makes the
/// KEV, NVD and EPSS joins and every comparison see one spelling.
pub fn normalize_id(id: &str) -> String {
    /// Id schemes whose prefix is upper case by definition (OSV's list, the distros').
    const PREFIXES: &[&str] = &[
        "CVE",
        "GHSA",
        "GO",
        "PYSEC",
        "RUSTSEC",
        "OSV",
        "MAL",
        "GSD",
        "DSA",
        "DLA",
        "DTSA",
        "RHSA",
        "RHBA",
        "RHEA",
        "ALSA",
        "ALBA",
        "ALEA",
        "RLSA",
        "RXSA",
        "USN",
        "UBUNTU",
        "DEBIAN",
        "JVNDB",
        "BIT",
        "CGA",
        "ELSA",
        "PSF",
        "HSEC",
        "RSEC",
        "LBSEC",
        "MGASA",
        "OESA",
        "ECHO",
        "MINI",
        "CURL",
        "SUSE-SU",
        "OPENSUSE-SU",
    ];
    let id = id.trim();
    let Some((prefix, body)) = id.split_once('-') else {
        return id.to_owned();
    };
    // Two-part prefixes (`SUSE-SU-…`) first.
    for known in PREFIXES.iter().filter(|p| p.contains('-')) {
        if id.len() > known.len()
            && id.is_char_boundary(known.len())
            && id[..known.len()].eq_ignore_ascii_case(known)
            && id.as_bytes()[known.len()] == b'-'
        {
            return format!("{known}{}", &id[known.len()..]);
        }
    }
    match PREFIXES.iter().find(|p| p.eq_ignore_ascii_case(prefix)) {
        Some(&"GHSA") => format!("GHSA-{}", body.to_ascii_lowercase()),
        Some(&"CVE") => format!("CVE-{}", body.to_ascii_uppercase()),
        Some(known) => format!("{known}-{body}"),
        None => id.to_owned(),
    }
}

/// For each component, the name of the first `application` component (in document order)
/// whose dependency graph (`edges[from]` = what `from` depends on or contains) reaches it,
/// walking breadth-first and stopping at other applications. trivy writes one application
/// per lockfile or binary, named by its path, in CycloneDX and SPDX alike.
pub(crate) fn manifest_owners(components: &[Component], edges: &[Vec<usize>]) -> Vec<Option<Str>> {
    let mut owners = vec![None; components.len()];
    if edges.iter().all(Vec::is_empty) {
        return owners;
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

/// The operating system: the first `operating-system` component, as (name, version).
pub(crate) fn operating_system(components: &[Component]) -> Option<(String, String)> {
    components
        .iter()
        .find(|c| c.kind == "operating-system")
        .map(|c| {
            let version = c.version.as_deref().unwrap_or_default();
            (c.name.to_string(), version.to_owned())
        })
}

/// An identifier -> first component index, warning about duplicates (`what` names the
/// identifier: `bom-ref`, `SPDXID`).
pub(crate) fn index_ids<'a>(
    ids: impl Iterator<Item = (usize, Option<&'a str>)>,
    what: &str,
    warnings: &mut Vec<String>,
) -> TextMap<&'a str, usize> {
    let mut refs = TextMap::default();
    let mut duplicates = 0usize;
    for (index, id) in ids {
        let Some(id) = id else {
            continue;
        };
        if let Some(&first) = refs.get(id) {
            if duplicates < WARNINGS_MAX {
                warnings.push(format!(
                    "duplicate {what} `{}` (components {first} and {index}): vulnerabilities referring to it are attached to the first",
                    quote(id)
                ));
            }
            duplicates += 1;
        } else {
            refs.insert(id, index);
        }
    }
    if duplicates > WARNINGS_MAX {
        warnings.push(format!(
            "{} more duplicate {what}s; each is attached to its first component",
            duplicates - WARNINGS_MAX
        ));
    }
    refs
}

/// Trivy's `Key: value` package facts (CycloneDX properties `aquasecurity:trivy:Key`, SPDX
/// annotations `Key: value`) into `trivy`; the first of a repeated key wins.
pub(crate) fn set_trivy_property(trivy: &mut TrivyProperties, key: &str, value: Str) {
    let slot = match key {
        "PkgType" => &mut trivy.pkg_type,
        "PkgID" => &mut trivy.pkg_id,
        "SrcName" => &mut trivy.src_name,
        "SrcVersion" => &mut trivy.src_version,
        "SrcRelease" => &mut trivy.src_release,
        "SrcEpoch" => &mut trivy.src_epoch,
        "FilePath" => &mut trivy.file_path,
        _ => return,
    };
    slot.get_or_insert(value);
}

/// File content for a one-line message: control and bidi characters escaped, backticks
/// replaced, at most [`QUOTE_MAX`] characters.
pub(crate) fn quote(text: &str) -> String {
    quote_long(text, QUOTE_MAX)
}

pub(crate) fn quote_long(text: &str, max: usize) -> String {
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

/// The file-name endings of the SBOMs `kevgate watch` takes from a release's assets (ASCII
/// case ignored), each also gzip'd (`.gz`): CycloneDX JSON and XML, SPDX 2 JSON, SPDX 3
/// JSON-LD. The content decides the format; the name only picks the assets to download.
pub const FILE_SUFFIXES: &[&str] = &[".cdx.json", ".cdx.xml", ".spdx.json", ".spdx.jsonld"];

/// Whether a release asset named `name` is an SBOM ([`FILE_SUFFIXES`]).
pub fn is_sbom_file_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let plain = lower.strip_suffix(".gz").unwrap_or(&lower);
    FILE_SUFFIXES.iter().any(|s| plain.ends_with(s))
}

#[cfg(test)]
mod tests;

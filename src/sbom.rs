//! CycloneDX JSON -> [`Sbom`], faithful to the file.
//!
//! OWNER: sbom/purl helper. Skeleton: the types are the contract matching/enrich/report use.

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

/// Why a file is not an SBOM kevgate can read. Each message is one line, says what the file
/// is, and how to make CycloneDX where that helps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SbomError {
    /// Placeholder until the sbom helper fills this in.
    #[error("{0}")]
    Invalid(String),
}

/// Parses a CycloneDX JSON document.
pub fn parse(bytes: &[u8]) -> Result<Sbom, SbomError> {
    let _ = bytes;
    unimplemented!("sbom helper")
}

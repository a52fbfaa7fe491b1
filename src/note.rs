//! Notes: what the user should know that is not a finding (a component that could not be
//! checked, an unused ignore, the demo database ...), each with a stable kebab-case code.
//!
//! A leaf module: `matching`, `policy` and the loaders of policy files (trivy ignore files,
//! VEX) all make notes, and the evaluation carries them; none of them owns the type.

use serde::Serialize;

/// Stable codes for notes: things the user should know that are not findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteCode {
    /// A component without a purl, or with one that does not parse.
    UnidentifiedComponent,
    /// A purl of an ecosystem or distribution the database does not cover.
    UnsupportedEcosystem,
    /// A version that could not be compared: affected-or-not is unknown.
    UnverifiedVersion,
    /// The database is the demo snapshot bundled in the binary.
    BundledDb,
    /// Something in the SBOM was odd but readable (duplicate `bom-ref`s, `affects` refs that
    /// name no component, vulnerabilities without `affects`, no components at all, a newer
    /// spec version).
    SbomWarning,
    /// An ignore whose `expires` date has passed: it no longer applies.
    ExpiredIgnore,
    /// An ignore (config or `.trivyignore`) that matched no finding: the vulnerability is
    /// gone, or the purl is wrong.
    UnusedIgnore,
    /// An ignore (config or `.trivyignore`) that matched no finding and whose id the
    /// database does not know at all: a typo, or an id of another database.
    UnknownIgnore,
    /// A VEX statement about another product: none of its products is the scanned SBOM's
    /// subject or one of its components, so it was not applied.
    VexOtherProduct,
    /// A VEX statement whose OpenVEX `status` or CycloneDX `analysis.state` is not one the
    /// specification defines (or, for OpenVEX, is missing): it was not applied.
    VexUnknownStatus,
    /// The comparison with `--baseline`: how many findings are new, unchanged and fixed.
    Baseline,
    /// A malicious-package report that matched the component but calls itself a false
    /// positive (MAL-2024-2929 for `react` 35.0.0): withdrawn in substance, not a finding.
    MalwareFalsePositive,
    /// An advisory that would match a component is withdrawn (by its `withdrawn` field, or
    /// by its text: "Withdrawn Advisory", a GHSA "Duplicate Advisory" pointing to another
    /// one): it is not counted.
    WithdrawnAdvisory,
    /// `--rhel-stream` names a stream of another RHEL major release than the SBOM's: those
    /// packages were checked against the main stream.
    UnusedRhelStream,
    /// The exceptions a pull request adds could not be listed: the base commit's policy
    /// files could not be read or parsed.
    ExceptionsUnchecked,
}

/// Something the user should know that is not a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Stable code.
    pub code: NoteCode,
    /// One line, lower case, values in backticks.
    pub message: String,
    /// The component it is about, as an index into the SBOM's components.
    #[serde(skip)]
    pub component: Option<usize>,
}

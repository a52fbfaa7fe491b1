//! purl -> [`PackageId`]: which database package (ecosystem, name, release) a component's
//! purl names, distro namespaces and releases included. Split from `purl.rs`, which parses
//! purls and defines the identity types.

use super::{Ecosystem, PackageId, Purl, is_distro};

/// Why a purl does not name a package kevgate can check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifyError {
    /// A purl type kevgate has no database for (`pkg:oci`, `pkg:github`, `pkg:conda`, ...).
    #[error("purl type `{0}` is not covered by the vulnerability database")]
    UnsupportedType(String),
    /// A distro purl whose namespace names a distro kevgate has no data for.
    #[error("distribution `{0}` is not covered by the vulnerability database")]
    UnsupportedDistro(String),
    /// The purl has no version.
    #[error("purl has no version")]
    NoVersion,
}

/// Maps a purl to the package identity the database is searched by. `os` is the SBOM's
/// operating-system component (name, version), used when the purl has no `distro` qualifier.
///
/// Distro namespaces: `deb/debian`, `deb/ubuntu`, `apk/alpine` (and syft's old
/// `pkg:alpine/...`), `rpm/redhat` (also `rhel`), `rpm/almalinux` (trivy: `alma`),
/// `rpm/rocky`. `rpm/centos` is treated as Red Hat, as grype and trivy do: CentOS rebuilds
/// RHEL sources with the same versions, so RHEL's fixed versions apply (CentOS 7 -> RHEL 7).
///
/// The release comes from the `distro` qualifier (`debian-12.15` -> `12`, `ubuntu-22.04` ->
/// `22.04`, `alpine-3.20.3` or bare `3.20.3` -> `v3.20`, `redhat-8.10` -> `8`,
/// `centos-7.9.2009` -> `7`, codenames such as `bookworm` or `trusty/esm`), else from `os`
/// when its name is the same distribution. `None` when neither gives one.
pub fn identify(purl: &Purl, os: Option<(&str, &str)>) -> Result<PackageId, IdentifyError> {
    let namespace = purl.namespace.as_deref().unwrap_or_default();
    let joined = |sep: &str| {
        if namespace.is_empty() {
            purl.name.clone()
        } else {
            format!("{namespace}{sep}{}", purl.name)
        }
    };
    let (ecosystem, name) = match purl.ty.as_str() {
        "npm" => {
            let name = match namespace {
                "" => purl.name.clone(),
                ns if ns.starts_with('@') => format!("{ns}/{}", purl.name),
                ns => format!("@{ns}/{}", purl.name),
            };
            (Ecosystem::Npm, name)
        }
        "pypi" => (Ecosystem::PyPI, purl.name.clone()),
        "maven" => (Ecosystem::Maven, joined(":")),
        "golang" => (Ecosystem::Go, joined("/")),
        "cargo" => (Ecosystem::Cargo, purl.name.clone()),
        "gem" => (Ecosystem::RubyGems, purl.name.clone()),
        "nuget" => (Ecosystem::NuGet, purl.name.clone()),
        "composer" => (Ecosystem::Packagist, joined("/")),
        "pub" => (Ecosystem::Pub, purl.name.clone()),
        "deb" | "apk" | "alpine" | "rpm" => {
            let distro = if purl.ty == "alpine" {
                "alpine".to_string()
            } else if namespace.is_empty() {
                // No namespace: fall back to the OS the SBOM names.
                os.map(|(n, _)| n.to_ascii_lowercase()).unwrap_or_default()
            } else {
                namespace.to_ascii_lowercase()
            };
            let ecosystem = distro_ecosystem(&purl.ty, &distro).ok_or_else(|| {
                IdentifyError::UnsupportedDistro(if distro.is_empty() {
                    "unknown".to_string()
                } else {
                    distro.clone()
                })
            })?;
            (ecosystem, purl.name.clone())
        }
        other => return Err(IdentifyError::UnsupportedType(other.to_string())),
    };
    if purl.version.as_deref().is_none_or(str::is_empty) {
        return Err(IdentifyError::NoVersion);
    }
    let release = if is_distro(ecosystem) {
        purl.qualifier("distro")
            .and_then(|d| release_from_distro(ecosystem, d))
            .or_else(|| {
                let (os_name, os_version) = os?;
                let os_name = os_name.to_ascii_lowercase();
                let same = ["deb", "apk", "rpm"]
                    .iter()
                    .any(|ty| distro_ecosystem(ty, &os_name) == Some(ecosystem));
                same.then(|| release_from_version(ecosystem, os_version))
                    .flatten()
            })
    } else {
        None
    };
    Ok(PackageId {
        ecosystem,
        name,
        release,
        rhel_stream: None,
    })
}

/// The ecosystem of a distro purl type + namespace (or trivy/syft OS component name).
fn distro_ecosystem(ty: &str, distro: &str) -> Option<Ecosystem> {
    match (ty, distro) {
        ("deb", "debian") => Some(Ecosystem::Debian),
        ("deb", "ubuntu") => Some(Ecosystem::Ubuntu),
        ("apk" | "alpine", "alpine") => Some(Ecosystem::Alpine),
        ("rpm", "redhat" | "rhel" | "centos") => Some(Ecosystem::RedHat),
        ("rpm", "almalinux" | "alma") => Some(Ecosystem::AlmaLinux),
        ("rpm", "rocky" | "rockylinux" | "rocky-linux") => Some(Ecosystem::Rocky),
        _ => None,
    }
}

/// The release in a `distro` qualifier: `debian-12.15`, `alpine-3.20.3`, `3.16.0`,
/// `centos-7.9.2009`, `bookworm`, `trusty/esm`.
fn release_from_distro(ecosystem: Ecosystem, distro: &str) -> Option<String> {
    let distro = distro.trim().to_ascii_lowercase();
    // The version starts at the first digit that begins the string or follows a `-`.
    let start = distro
        .char_indices()
        .find(|&(i, c)| c.is_ascii_digit() && (i == 0 || distro[..i].ends_with('-')))
        .map(|(i, _)| i);
    match start {
        Some(i) => release_from_version(ecosystem, &distro[i..]),
        None => {
            let codename = distro.rsplit('-').next().unwrap_or_default();
            let codename = codename.split('/').next().unwrap_or_default();
            release_from_codename(ecosystem, codename)
        }
    }
}

/// The release for an OS version (`12.15` -> `12`, `22.04` -> `22.04`, `3.20.3` -> `v3.20`).
fn release_from_version(ecosystem: Ecosystem, version: &str) -> Option<String> {
    let mut parts = version.trim().split(['.', '-', '_', '/']);
    let numeric = |s: Option<&str>| {
        s.filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_string)
    };
    let first = numeric(parts.next());
    let Some(first) = first else {
        // trivy may write a codename, e.g. `bookworm/sid`.
        let codename = version.trim().to_ascii_lowercase();
        let codename = codename.split('/').next().unwrap_or_default();
        return release_from_codename(ecosystem, codename);
    };
    match ecosystem {
        Ecosystem::Debian | Ecosystem::RedHat | Ecosystem::AlmaLinux | Ecosystem::Rocky => {
            Some(first)
        }
        Ecosystem::Ubuntu => {
            let second = numeric(parts.next())?;
            Some(format!("{first}.{second}"))
        }
        Ecosystem::Alpine => {
            let second = numeric(parts.next())?;
            Some(format!("v{first}.{second}"))
        }
        _ => None,
    }
}

/// Debian and Ubuntu codenames (as syft and the Ubuntu tracker write them) -> release.
fn release_from_codename(ecosystem: Ecosystem, codename: &str) -> Option<String> {
    let release = match (ecosystem, codename) {
        (Ecosystem::Debian, "jessie") => "8",
        (Ecosystem::Debian, "stretch") => "9",
        (Ecosystem::Debian, "buster") => "10",
        (Ecosystem::Debian, "bullseye") => "11",
        (Ecosystem::Debian, "bookworm") => "12",
        (Ecosystem::Debian, "trixie") => "13",
        (Ecosystem::Debian, "forky") => "14",
        (Ecosystem::Ubuntu, "trusty") => "14.04",
        (Ecosystem::Ubuntu, "xenial") => "16.04",
        (Ecosystem::Ubuntu, "bionic") => "18.04",
        (Ecosystem::Ubuntu, "focal") => "20.04",
        (Ecosystem::Ubuntu, "jammy") => "22.04",
        (Ecosystem::Ubuntu, "noble") => "24.04",
        (Ecosystem::Ubuntu, "oracular") => "24.10",
        (Ecosystem::Ubuntu, "plucky") => "25.04",
        (Ecosystem::Ubuntu, "questing") => "25.10",
        _ => return None,
    };
    Some(release.to_string())
}

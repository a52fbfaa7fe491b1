use super::*;

#[test]
fn osv_ecosystems_split_release() {
    let cases = [
        ("Debian:12", Some((Ecosystem::Debian, Some("12")))),
        ("PyPI", Some((Ecosystem::PyPI, None))),
        ("crates.io", Some((Ecosystem::Cargo, None))),
        (
            "Red Hat:enterprise_linux:8::baseos",
            Some((Ecosystem::RedHat, Some("enterprise_linux:8::baseos"))),
        ),
        ("Rocky Linux:9", Some((Ecosystem::Rocky, Some("9")))),
        ("SUSE:Linux Enterprise", None),
    ];
    for (input, want) in cases {
        assert_eq!(Ecosystem::from_osv(input), want, "{input}");
    }
}

#[test]
fn names_fold_per_ecosystem() {
    assert_eq!(
        Ecosystem::PyPI.normalize_name("Zope.Interface__x"),
        "zope-interface-x"
    );
    assert_eq!(
        Ecosystem::Go.normalize_name("github.com/Sirupsen/logrus"),
        "github.com/sirupsen/logrus"
    );
    assert_eq!(
        Ecosystem::Maven.normalize_name("org.Apache:X"),
        "org.Apache:X"
    );
}

fn purl(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: Option<&str>,
    qualifiers: &[(&str, &str)],
    subpath: Option<&str>,
) -> Purl {
    Purl {
        ty: ty.to_string(),
        namespace: namespace.map(str::to_string),
        name: name.to_string(),
        version: version.map(str::to_string),
        qualifiers: qualifiers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        subpath: subpath.map(str::to_string),
    }
}

/// Real purls from trivy, syft, cdxgen, cyclonedx-* SBOMs and OSV distro records parse
/// into the spec's components.
#[test]
fn parses_real_purls() {
    let cases = [
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            purl(
                "maven",
                Some("org.apache.logging.log4j"),
                "log4j-core",
                Some("2.14.1"),
                &[],
                None,
            ),
        ),
        (
            "pkg:npm/%40babel/core@7.0.0",
            purl("npm", Some("@babel"), "core", Some("7.0.0"), &[], None),
        ),
        (
            "pkg:npm/@babel/core@7.0.0",
            purl("npm", Some("@babel"), "core", Some("7.0.0"), &[], None),
        ),
        (
            "pkg:npm/%40angular/core@17.1.2#packages/core",
            purl(
                "npm",
                Some("@angular"),
                "core",
                Some("17.1.2"),
                &[],
                Some("packages/core"),
            ),
        ),
        (
            "pkg:golang/github.com/docker/docker@v20.10.0+incompatible",
            purl(
                "golang",
                Some("github.com/docker"),
                "docker",
                Some("v20.10.0+incompatible"),
                &[],
                None,
            ),
        ),
        (
            "pkg:golang/github.com/elastic/harp@v0.2.10?type=module#cmd/harp",
            purl(
                "golang",
                Some("github.com/elastic"),
                "harp",
                Some("v0.2.10"),
                &[("type", "module")],
                Some("cmd/harp"),
            ),
        ),
        (
            "pkg:rpm/redhat/openssl-libs@1.1.1k-12.el8_9?arch=x86_64&epoch=1&distro=redhat-8.10",
            purl(
                "rpm",
                Some("redhat"),
                "openssl-libs",
                Some("1.1.1k-12.el8_9"),
                &[
                    ("arch", "x86_64"),
                    ("distro", "redhat-8.10"),
                    ("epoch", "1"),
                ],
                None,
            ),
        ),
        (
            "pkg:deb/ubuntu/gnupg?arch=src?distro=trusty/esm",
            purl(
                "deb",
                Some("ubuntu"),
                "gnupg",
                None,
                &[("arch", "src"), ("distro", "trusty/esm")],
                None,
            ),
        ),
        (
            "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12.15",
            purl(
                "deb",
                Some("debian"),
                "bash",
                Some("5.2.15-2+b13"),
                &[("arch", "amd64"), ("distro", "debian-12.15")],
                None,
            ),
        ),
        (
            "pkg:deb/debian/bsdutils@1:2.36.1-8+deb11u1?arch=amd64&upstream=util-linux%402.36.1-8+deb11u1&distro=debian-11",
            purl(
                "deb",
                Some("debian"),
                "bsdutils",
                Some("1:2.36.1-8+deb11u1"),
                &[
                    ("arch", "amd64"),
                    ("distro", "debian-11"),
                    ("upstream", "util-linux@2.36.1-8+deb11u1"),
                ],
                None,
            ),
        ),
        (
            "pkg:cargo/wasi@0.11.0%2Bwasi-snapshot-preview1",
            purl(
                "cargo",
                None,
                "wasi",
                Some("0.11.0+wasi-snapshot-preview1"),
                &[],
                None,
            ),
        ),
        (
            "pkg:oci/backend@sha256:bbbe815b?arch=amd64&repository_url=index.docker.io%2Fcloud-native-devops-platform%2Fbackend",
            purl(
                "oci",
                None,
                "backend",
                Some("sha256:bbbe815b"),
                &[
                    ("arch", "amd64"),
                    (
                        "repository_url",
                        "index.docker.io/cloud-native-devops-platform/backend",
                    ),
                ],
                None,
            ),
        ),
        (
            "pkg:apk/alpine/musl@1.2.3-r0?distro=3.16.0",
            purl(
                "apk",
                Some("alpine"),
                "musl",
                Some("1.2.3-r0"),
                &[("distro", "3.16.0")],
                None,
            ),
        ),
        (
            "pkg:alpine/busybox@1.35.0-r17?arch=x86_64&upstream=busybox&distro=alpine-3.16.2",
            purl(
                "alpine",
                None,
                "busybox",
                Some("1.35.0-r17"),
                &[
                    ("arch", "x86_64"),
                    ("distro", "alpine-3.16.2"),
                    ("upstream", "busybox"),
                ],
                None,
            ),
        ),
        (
            "pkg:composer/pear/pear_exception@v1.0.0",
            purl(
                "composer",
                Some("pear"),
                "pear_exception",
                Some("v1.0.0"),
                &[],
                None,
            ),
        ),
        (
            "pkg:maven/cglib/cglib-nodep@3.3.0?type=jar",
            purl(
                "maven",
                Some("cglib"),
                "cglib-nodep",
                Some("3.3.0"),
                &[("type", "jar")],
                None,
            ),
        ),
        (
            "pkg:nuget/runtime.unix.System.Runtime.Extensions@4.3.0",
            purl(
                "nuget",
                None,
                "runtime.unix.System.Runtime.Extensions",
                Some("4.3.0"),
                &[],
                None,
            ),
        ),
        (
            "pkg://PyPI/Django@1.11.1?Repository_URL=x",
            purl(
                "pypi",
                None,
                "Django",
                Some("1.11.1"),
                &[("repository_url", "x")],
                None,
            ),
        ),
        (
            "pkg:deb/debian/openssl?arch=source",
            purl(
                "deb",
                Some("debian"),
                "openssl",
                None,
                &[("arch", "source")],
                None,
            ),
        ),
        (
            "pkg:generic/bad%zzname@1%",
            purl("generic", None, "bad%zzname", Some("1%"), &[], None),
        ),
    ];
    for (input, want) in cases {
        assert_eq!(Purl::parse(input), Ok(want), "{input}");
    }
}

/// Inputs that are not purls fail with a short reason, never a panic.
#[test]
fn rejects_non_purls() {
    let cases = [
        ("", "missing `pkg:` scheme"),
        ("npm/left-pad@1.0.0", "missing `pkg:` scheme"),
        ("http://example.com/x", "scheme is not `pkg:`"),
        ("pkg:npm", "missing name"),
        ("pkg:npm/", "missing name"),
        ("pkg:npm/@1.0.0", "missing name"),
        ("pkg:/left-pad", "missing name"),
        ("pkg:-x/left-pad", "type is empty or not alphanumeric"),
        ("pkg:n%70m/left-pad", "type is empty or not alphanumeric"),
        ("pkg:1npm/left-pad", "type is empty or not alphanumeric"),
        ("pkg:npm/%ff%fe@1", "percent-encoded bytes are not UTF-8"),
    ];
    for (input, reason) in cases {
        assert_eq!(Purl::parse(input), Err(PurlError::new(reason)), "{input}");
    }
}

/// An SBOM's OS component: (name, version).
type Os = (&'static str, &'static str);

fn id(ecosystem: Ecosystem, name: &str, release: Option<&str>) -> PackageId {
    PackageId {
        ecosystem,
        name: name.to_string(),
        release: release.map(str::to_string),
        rhel_stream: None,
    }
}

/// Each purl type maps to its ecosystem, OSV package name and release; the release comes
/// from the `distro` qualifier, else from the SBOM's OS component.
#[test]
fn identifies_packages() {
    use Ecosystem::*;
    let debian = Some(("debian", "12.15"));
    let cases: Vec<(&str, Option<Os>, PackageId)> = vec![
        (
            "pkg:npm/%40babel/core@7.0.0",
            None,
            id(Npm, "@babel/core", None),
        ),
        (
            "pkg:npm/babel/core@7.0.0",
            None,
            id(Npm, "@babel/core", None),
        ),
        ("pkg:npm/jquery@3.3.1", debian, id(Npm, "jquery", None)),
        ("pkg:pypi/Django@4.2", None, id(PyPI, "Django", None)),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            None,
            id(Maven, "org.apache.logging.log4j:log4j-core", None),
        ),
        (
            "pkg:golang/github.com/docker/docker@v20.10.0+incompatible",
            None,
            id(Go, "github.com/docker/docker", None),
        ),
        ("pkg:golang/stdlib@v1.22.0", None, id(Go, "stdlib", None)),
        (
            "pkg:cargo/zstd@0.11.2%2Bzstd.1.5.2",
            None,
            id(Cargo, "zstd", None),
        ),
        (
            "pkg:gem/actioncable@6.0.0",
            None,
            id(RubyGems, "actioncable", None),
        ),
        (
            "pkg:nuget/System.Text.Json@4.3.0",
            None,
            id(NuGet, "System.Text.Json", None),
        ),
        (
            "pkg:composer/pear/log@1.13.1",
            None,
            id(Packagist, "pear/log", None),
        ),
        (
            "pkg:pub/window_manager@0.3.9",
            None,
            id(Pub, "window_manager", None),
        ),
        (
            "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12.15",
            None,
            id(Debian, "bash", Some("12")),
        ),
        (
            "pkg:deb/debian/bash@5.2.15-2",
            debian,
            id(Debian, "bash", Some("12")),
        ),
        (
            "pkg:deb/debian/bash@5.2.15-2?distro=bookworm",
            None,
            id(Debian, "bash", Some("12")),
        ),
        (
            "pkg:deb/debian/bash@5.2.15-2",
            Some(("ubuntu", "22.04")),
            id(Debian, "bash", None),
        ),
        (
            "pkg:deb/ubuntu/gnupg@1.4?distro=ubuntu-22.04",
            None,
            id(Ubuntu, "gnupg", Some("22.04")),
        ),
        (
            "pkg:deb/ubuntu/gnupg@1.4?arch=src?distro=trusty/esm",
            None,
            id(Ubuntu, "gnupg", Some("14.04")),
        ),
        (
            "pkg:apk/alpine/musl@1.2.3-r0?distro=alpine-3.20.3",
            None,
            id(Alpine, "musl", Some("v3.20")),
        ),
        (
            "pkg:apk/alpine/musl@1.2.3-r0?distro=3.16.0",
            None,
            id(Alpine, "musl", Some("v3.16")),
        ),
        (
            "pkg:alpine/busybox@1.35.0-r17?distro=alpine-3.16.2",
            None,
            id(Alpine, "busybox", Some("v3.16")),
        ),
        (
            "pkg:rpm/redhat/openssl-libs@1.1.1k-12.el8_9?arch=x86_64&epoch=1&distro=redhat-8.10",
            None,
            id(RedHat, "openssl-libs", Some("8")),
        ),
        (
            "pkg:rpm/redhat/bash@4.4?distro=rhel-8",
            None,
            id(RedHat, "bash", Some("8")),
        ),
        (
            "pkg:rpm/centos/bash@4.2.46-31.el7?arch=x86_64&distro=centos-7.6.1810",
            None,
            id(RedHat, "bash", Some("7")),
        ),
        (
            "pkg:rpm/almalinux/bash@5.1?distro=almalinux-9.4",
            None,
            id(AlmaLinux, "bash", Some("9")),
        ),
        (
            "pkg:rpm/rocky/bash@5.1?distro=rocky-9.3",
            None,
            id(Rocky, "bash", Some("9")),
        ),
        // Purls as the OSV records write them.
        (
            "pkg:rpm/rocky-linux/gtk3@3.22?distro=rocky-linux-8-5-legacy&epoch=0",
            None,
            id(Rocky, "gtk3", Some("8")),
        ),
        (
            "pkg:deb/ubuntu/shadow@1:4.13+dfsg1-4ubuntu3.2?arch=source&distro=noble",
            None,
            id(Ubuntu, "shadow", Some("24.04")),
        ),
        (
            "pkg:rpm/alma/bash@5.1",
            Some(("alma", "8.9")),
            id(AlmaLinux, "bash", Some("8")),
        ),
    ];
    for (input, os, want) in cases {
        let purl = Purl::parse(input).expect("test purl parses");
        assert_eq!(identify(&purl, os), Ok(want), "{input}");
    }
}

/// Types and distros without data, and purls without a version, are told apart.
#[test]
fn identify_rejects() {
    let cases = [
        (
            "pkg:oci/backend@sha256:bb",
            IdentifyError::UnsupportedType("oci".into()),
        ),
        (
            "pkg:github/actions/checkout@v4",
            IdentifyError::UnsupportedType("github".into()),
        ),
        (
            "pkg:conda/numpy@1.26",
            IdentifyError::UnsupportedType("conda".into()),
        ),
        (
            "pkg:generic/openssl@3.0",
            IdentifyError::UnsupportedType("generic".into()),
        ),
        (
            "pkg:rpm/amazon/bash@4.2",
            IdentifyError::UnsupportedDistro("amazon".into()),
        ),
        (
            "pkg:apk/wolfi/glibc@2.39",
            IdentifyError::UnsupportedDistro("wolfi".into()),
        ),
        (
            "pkg:deb/bash@5.2",
            IdentifyError::UnsupportedDistro("unknown".into()),
        ),
        ("pkg:npm/left-pad", IdentifyError::NoVersion),
        (
            "pkg:deb/debian/openssl?arch=source",
            IdentifyError::NoVersion,
        ),
    ];
    for (input, want) in cases {
        let purl = Purl::parse(input).expect("test purl parses");
        assert_eq!(identify(&purl, None), Err(want), "{input}");
    }
}

/// Release-specific OSV ecosystems, as they occur in the Debian, Ubuntu, Alpine, Red Hat,
/// AlmaLinux and Rocky Linux OSV data, apply to the right releases only.
#[test]
fn osv_ecosystems_match_releases() {
    use Ecosystem::*;
    let cases = [
        (id(Npm, "x", None), "npm", true),
        (id(Npm, "x", None), "npm:foo", false),
        (id(Npm, "x", None), "PyPI", false),
        (id(Cargo, "x", None), "crates.io", true),
        (id(Debian, "x", Some("12")), "Debian:12", true),
        (id(Debian, "x", Some("12")), "Debian:11", false),
        (id(Debian, "x", Some("12")), "Debian", false),
        (id(Debian, "x", None), "Debian:12", false),
        (id(Debian, "x", Some("12")), "Ubuntu:12", false),
        (id(Ubuntu, "x", Some("22.04")), "Ubuntu:22.04:LTS", true),
        (id(Ubuntu, "x", Some("22.04")), "Ubuntu:22.04", true),
        (id(Ubuntu, "x", Some("25.10")), "Ubuntu:25.10", true),
        (id(Ubuntu, "x", Some("20.04")), "Ubuntu:22.04:LTS", false),
        // Pro (ESM) is the same release; Pro's FIPS and Realtime streams are not.
        (id(Ubuntu, "x", Some("16.04")), "Ubuntu:Pro:16.04:LTS", true),
        (
            id(Ubuntu, "x", Some("14.04")),
            "Ubuntu:Pro:16.04:LTS",
            false,
        ),
        (
            id(Ubuntu, "x", Some("16.04")),
            "Ubuntu:Pro:FIPS:16.04:LTS",
            false,
        ),
        (
            id(Ubuntu, "x", Some("18.04")),
            "Ubuntu:Pro:FIPS-updates:18.04:LTS",
            false,
        ),
        (id(Ubuntu, "x", Some("16.04")), "Ubuntu:16.04:LTS", true),
        (id(Alpine, "x", Some("v3.20")), "Alpine:v3.20", true),
        (id(Alpine, "x", Some("v3.20")), "Alpine:v3.2", false),
        (
            id(RedHat, "x", Some("8")),
            "Red Hat:enterprise_linux:8::baseos",
            true,
        ),
        (
            id(RedHat, "x", Some("8")),
            "Red Hat:enterprise_linux:8::appstream",
            true,
        ),
        // Per-minor extended streams are not the main stream's.
        (
            id(RedHat, "x", Some("8")),
            "Red Hat:rhel_aus:8.4::appstream",
            false,
        ),
        (
            id(RedHat, "x", Some("8")),
            "Red Hat:rhel_eus:8.6::crb",
            false,
        ),
        (id(RedHat, "x", Some("7")), "Red Hat:rhel_els:7", true),
        (
            id(RedHat, "x", Some("8")),
            "Red Hat:enterprise_linux:9::baseos",
            false,
        ),
        (
            id(RedHat, "x", Some("8")),
            "Red Hat:satellite:6.13::el8",
            false,
        ),
        (
            id(RedHat, "x", Some("8")),
            "Red Hat:openjdk_els:11::el8",
            false,
        ),
        (
            id(RedHat, "x", Some("6")),
            "Red Hat:rhel_eus:6.2::server",
            false,
        ),
        (
            id(RedHat, "x", None),
            "Red Hat:enterprise_linux:8::baseos",
            false,
        ),
        (id(AlmaLinux, "x", Some("8")), "AlmaLinux:8", true),
        (id(AlmaLinux, "x", Some("8")), "AlmaLinux:9", false),
        (id(Rocky, "x", Some("9")), "Rocky Linux:9", true),
        (id(Rocky, "x", Some("9")), "Rocky Linux:8", false),
        (id(Rocky, "x", Some("9")), "SUSE:Linux Enterprise:15", false),
    ];
    for (pkg, osv, want) in cases {
        assert_eq!(pkg.osv_ecosystem_matches(osv), want, "{pkg:?} vs {osv}");
    }
}

/// A system on an extended Red Hat stream matches that stream's records only (real
/// ecosystems of RHSA-2024:1102, RHSA-2024:1412, RHSA-2024:3214, gmp CVE-2021-43618).
#[test]
fn rhel_streams_match_their_own_records() {
    let on = |stream: &str, release: &str| PackageId {
        rhel_stream: Some(stream.parse().expect("valid stream")),
        ..id(Ecosystem::RedHat, "gmp", Some(release))
    };
    let cases = [
        (on("eus-8.6", "8"), "Red Hat:rhel_eus:8.6::baseos", true),
        (on("EUS-8.6", "8"), "Red Hat:rhel_eus:8.6::appstream", true),
        (
            on("rhel_eus:8.6", "8"),
            "Red Hat:rhel_eus:8.6::baseos",
            true,
        ),
        (on("eus-8.6", "8"), "Red Hat:rhel_eus:8.8::baseos", false),
        (on("eus-8.6", "8"), "Red Hat:rhel_aus:8.6::baseos", false),
        (
            on("eus-8.6", "8"),
            "Red Hat:enterprise_linux:8::baseos",
            false,
        ),
        (on("eus-8.6", "8"), "Red Hat:rhel_els:8", false),
        (on("aus-8.4", "8"), "Red Hat:rhel_aus:8.4::appstream", true),
        (on("e4s-9.0", "9"), "Red Hat:rhel_e4s:9.0::baseos", true),
        (on("tus-8.8", "8"), "Red Hat:rhel_tus:8.8::baseos", true),
        // A stream of another major release does not apply.
        (on("eus-8.6", "9"), "Red Hat:rhel_eus:8.6::baseos", false),
        (
            on("eus-8.6", "9"),
            "Red Hat:enterprise_linux:9::baseos",
            false,
        ),
    ];
    for (pkg, osv, want) in cases {
        assert_eq!(pkg.osv_ecosystem_matches(osv), want, "{pkg:?} vs {osv}");
    }
    for bad in [
        "",
        "eus",
        "eus-8",
        "els-7",
        "eus-8.x",
        "main",
        "eus-8.6.1",
        "eus-88888.6",
    ] {
        assert!(bad.parse::<RhelStream>().is_err(), "`{bad}`");
    }
    assert_eq!(
        "RHEL_AUS:8.4".parse::<RhelStream>().map(|s| s.to_string()),
        Ok("aus-8.4".to_owned())
    );
}

/// Fixes from Ubuntu Pro and Red Hat ELS records are marked as such.
#[test]
fn fix_channels() {
    let xenial = id(Ecosystem::Ubuntu, "gnupg", Some("16.04"));
    assert_eq!(
        xenial.fix_channel("Ubuntu:Pro:16.04:LTS"),
        Some(FixChannel::UbuntuPro)
    );
    assert_eq!(xenial.fix_channel("Ubuntu:16.04:LTS"), None);
    let rhel7 = id(Ecosystem::RedHat, "bash", Some("7"));
    assert_eq!(
        rhel7.fix_channel("Red Hat:rhel_els:7"),
        Some(FixChannel::RedHatEls)
    );
    assert_eq!(
        rhel7.fix_channel("Red Hat:enterprise_linux:7::server"),
        None
    );
}

/// The ecosystem test narrowed to one package's ecosystem agrees with the general parse
/// ([`Ecosystem::from_osv`]) on every ecosystem and on near misses: a suffix needs its `:`,
/// an empty suffix is no release, another ecosystem's prefix is another ecosystem.
#[test]
fn osv_ecosystem_matches_agrees_with_from_osv() {
    let osv = [
        "",
        "Debian",
        "Debian:",
        "Debian:12",
        "Debian:11",
        "Debianx:12",
        "debian:12",
        "Debian12",
        "Ubuntu:22.04",
        "Ubuntu:22.04:LTS",
        "Ubuntu:Pro:22.04:LTS",
        "Ubuntu:Pro:22.04:LTSx",
        "Red Hat:enterprise_linux:8::baseos",
        "Red Hat:rhel_eus:8.6::baseos",
        "Red Hat",
        "AlmaLinux:8",
        "Rocky Linux:9",
        "Rocky",
        "Alpine:v3.20",
        "Alpine:v3.2",
        "npm",
        "npm:",
        "npm:x",
        "crates.io",
        "crates.io:1",
        "PyPI",
        "Pub",
        "Go",
        "Maven",
        "NuGet",
    ];
    let releases = [
        None,
        Some("12"),
        Some("22.04"),
        Some("8"),
        Some("9"),
        Some("v3.20"),
    ];
    for eco in Ecosystem::ALL {
        for release in releases {
            let pkg = id(eco, "p", release);
            for text in osv {
                // The general parse, as the test was written before.
                let want = match Ecosystem::from_osv(text) {
                    Some((e, suffix)) if e == eco => pkg.suffix_matches(suffix),
                    _ => false,
                };
                assert_eq!(pkg.osv_ecosystem_matches(text), want, "{pkg:?} vs {text:?}");
            }
        }
    }
}

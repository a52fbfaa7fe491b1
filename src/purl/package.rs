//! A component's package across versions, from its purl text: computed once, when the
//! finding's component is made ([`crate::enrich::ComponentRef::package`]), and read by the
//! baseline comparison, the policy's purl scopes, VEX product matching and the SARIF
//! fingerprint (issue 12, item 4: each of those split the purl by hand, three slightly
//! different ways).
//!
//! Textual on purpose: the purl is not decoded or normalised ([`super::Purl::parse`] does
//! that, for matching), because SARIF fingerprints and baseline entries written by earlier
//! versions compare the text as the SBOM wrote it.

/// The parts of a purl's text: `base` (type/namespace/name, as written), the version, and
/// the qualifiers. Qualifiers (`?..`) and subpath (`#..`) are cut off first, then a trailing
/// `/`; the version follows the last `@` after the last `/` (a scoped npm name may carry an
/// unencoded `@` in its namespace: `pkg:npm/@org/team@1.0.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurlText<'a> {
    /// `pkg:type/namespace/name`, as written.
    pub base: &'a str,
    /// The version, when the purl has one.
    pub version: Option<&'a str>,
    /// The qualifiers without the leading `?` (`arch=amd64&distro=debian-11`), or empty.
    pub qualifiers: &'a str,
}

impl<'a> PurlText<'a> {
    /// Splits `purl` (any text: nothing is rejected).
    pub fn split(purl: &'a str) -> PurlText<'a> {
        let end = purl.find(['?', '#']).unwrap_or(purl.len());
        let qualifiers = purl[end..]
            .strip_prefix('?')
            .map(|q| q.split('#').next().unwrap_or(""))
            .unwrap_or("");
        let main = purl[..end].trim_end_matches('/');
        let name_start = main.rfind('/').map_or(0, |i| i + 1);
        let (base, version) = match main[name_start..].rfind('@') {
            Some(at) => (&main[..name_start + at], Some(&main[name_start + at + 1..])),
            None => (main, None),
        };
        PurlText {
            base,
            version,
            qualifiers,
        }
    }

    /// The value of qualifier `key` (raw, not decoded).
    pub fn qualifier(&self, key: &str) -> Option<&'a str> {
        self.qualifiers
            .split('&')
            .find_map(|q| q.strip_prefix(key)?.strip_prefix('='))
    }

    /// The last path segment of the base: the package name as written.
    pub fn name(&self) -> &'a str {
        self.base.rsplit('/').next().unwrap_or(self.base)
    }
}

/// Which package a component is, across versions: its versionless purl, or its name when it
/// has no purl, plus the `arch` qualifier (two architectures of one Debian package are two
/// packages to a code-scanning alert).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageKey {
    /// `pkg:type/namespace/name` as written, or `name:<name>`.
    base: String,
    /// The `arch` qualifier's value, when the purl has one.
    arch: Option<String>,
}

impl PackageKey {
    /// The package of a component with `purl` (as written) and `name`.
    pub fn of(purl: Option<&str>, name: &str) -> PackageKey {
        match purl {
            Some(p) => {
                let text = PurlText::split(p);
                PackageKey {
                    base: text.base.to_owned(),
                    arch: text.qualifier("arch").map(str::to_owned),
                }
            }
            None => PackageKey {
                base: format!("name:{name}"),
                arch: None,
            },
        }
    }

    /// The identity packages are compared by across versions and files: the base, lower
    /// case (`pkg:maven/org.apache/x`, `name:foo`). The baseline's `package`.
    pub fn key(&self) -> String {
        self.base.to_ascii_lowercase()
    }

    /// The purl's type (`npm`, `deb`), as written; `None` without a purl.
    pub fn purl_type(&self) -> Option<&str> {
        self.base.strip_prefix("pkg:")?.split('/').next()
    }

    /// The base as written, with `?arch=..` when the purl has it
    /// (`pkg:deb/debian/libc6?arch=amd64`): what the SARIF fingerprint hashes.
    pub fn with_arch(&self) -> String {
        match &self.arch {
            Some(arch) => format!("{}?arch={arch}", self.base),
            None => self.base.clone(),
        }
    }
}

/// Whether purl `p` is covered by `scope`: the same type/namespace/name (ASCII
/// case-insensitive), and the same version when the scope has one. Qualifiers and subpath
/// are ignored on both sides.
pub fn in_scope(p: &str, scope: &str) -> bool {
    let (p, s) = (PurlText::split(p), PurlText::split(scope));
    p.base.eq_ignore_ascii_case(s.base) && (s.version.is_none() || s.version == p.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A purl's text splits into base, version and qualifiers, as written; scoped npm names
    /// keep their `@`.
    #[test]
    fn splits_purl_text() {
        let table: &[(&str, &str, Option<&str>, &str, &str)] = &[
            (
                "pkg:npm/jquery@3.4.1",
                "pkg:npm/jquery",
                Some("3.4.1"),
                "",
                "jquery",
            ),
            (
                "pkg:npm/%40org/team@1.0.0",
                "pkg:npm/%40org/team",
                Some("1.0.0"),
                "",
                "team",
            ),
            (
                "pkg:npm/@org/team@1.0.0",
                "pkg:npm/@org/team",
                Some("1.0.0"),
                "",
                "team",
            ),
            ("pkg:npm/@org/team", "pkg:npm/@org/team", None, "", "team"),
            (
                "pkg:deb/debian/libc6@2.31-13?arch=amd64&distro=debian-11#sub",
                "pkg:deb/debian/libc6",
                Some("2.31-13"),
                "arch=amd64&distro=debian-11",
                "libc6",
            ),
            (
                "pkg:maven/org.x/y@1.0/",
                "pkg:maven/org.x/y",
                Some("1.0"),
                "",
                "y",
            ),
            (
                "pkg:golang/golang.org/x/net",
                "pkg:golang/golang.org/x/net",
                None,
                "",
                "net",
            ),
            ("", "", None, "", ""),
        ];
        for &(purl, base, version, qualifiers, name) in table {
            let t = PurlText::split(purl);
            assert_eq!(
                (t.base, t.version, t.qualifiers, t.name()),
                (base, version, qualifiers, name),
                "{purl}"
            );
        }
    }

    /// The package key drops version, qualifiers and subpath (keeping `arch` apart) and
    /// compares lower-case; without a purl it is the name.
    #[test]
    fn package_keys() {
        let table: &[(Option<&str>, &str, &str, &str)] = &[
            (
                Some("pkg:npm/jquery@3.4.1"),
                "jquery",
                "pkg:npm/jquery",
                "pkg:npm/jquery",
            ),
            (
                Some("pkg:maven/org.Apache/x@1?type=jar#sub"),
                "x",
                "pkg:maven/org.apache/x",
                "pkg:maven/org.Apache/x",
            ),
            (
                Some("pkg:deb/debian/libc6@2.31-13?arch=amd64&distro=debian-11"),
                "libc6",
                "pkg:deb/debian/libc6",
                "pkg:deb/debian/libc6?arch=amd64",
            ),
            (
                Some("pkg:npm/%40babel/core@7"),
                "core",
                "pkg:npm/%40babel/core",
                "pkg:npm/%40babel/core",
            ),
            (None, "Foo", "name:foo", "name:Foo"),
        ];
        for &(purl, name, key, with_arch) in table {
            let k = PackageKey::of(purl, name);
            assert_eq!(k.key(), key, "{purl:?}");
            assert_eq!(k.with_arch(), with_arch, "{purl:?}");
        }
    }

    /// The purl type is read from the key; a component without a purl has none.
    #[test]
    fn purl_types() {
        let table = [
            (Some("pkg:npm/%40babel/core@7"), Some("npm")),
            (Some("pkg:deb/debian/libc6@2.31?arch=amd64"), Some("deb")),
            (Some("pkg:Maven/org.x/y@1"), Some("Maven")),
            (Some("not-a-purl"), None),
            (None, None),
        ];
        for (purl, ty) in table {
            assert_eq!(PackageKey::of(purl, "x").purl_type(), ty, "{purl:?}");
        }
    }

    /// A scope without a version covers every version; with one, only that version.
    #[test]
    fn scopes() {
        let table = [
            ("pkg:npm/lodash@4.17.20", "pkg:npm/lodash", true),
            ("pkg:npm/lodash@4.17.20", "pkg:npm/Lodash@4.17.20", true),
            ("pkg:npm/lodash@4.17.20", "pkg:npm/lodash@4.17.21", false),
            ("pkg:npm/lodash@4.17.20?x=1", "pkg:npm/lodash?y=2#z", true),
            ("pkg:npm/lodash-es@4.17.20", "pkg:npm/lodash", false),
            ("pkg:npm/@org/team@1", "pkg:npm/@org/team", true),
        ];
        for (p, scope, want) in table {
            assert_eq!(in_scope(p, scope), want, "{p} in {scope}");
        }
    }
}

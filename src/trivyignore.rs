//! trivy's ignore files -> [`Ignore`]s, so a team moving from trivy keeps its triage:
//! `.trivyignore` (one id a line, `#` comments, optional `exp:YYYY-MM-DD`) and
//! `.trivyignore.yaml` (`vulnerabilities: [{id, statement, expired_at, purls, paths}]`).
//!
//! Pure over bytes; the CLI (`cli/policy.rs`) reads the files from the working directory. trivy's format
//! has no required reason, so an entry without one gets "listed in `<file>`"; a comment
//! line directly above an id in `.trivyignore` is taken as its reason. Entries scoped by
//! `paths` alone are not applied (kevgate matches packages, not files) and are reported,
//! rather than silently widened to every component. Other sections of `.trivyignore.yaml`
//! (misconfigurations, secrets, licenses) are not kevgate's and are skipped.

use crate::config::{ConfigError, Problem};
use crate::policy::{Ignore, IgnoreSource};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// `.trivyignore`.
pub const FILE: &str = ".trivyignore";
/// `.trivyignore.yaml`.
pub const YAML_FILE: &str = ".trivyignore.yaml";

/// Ignores read from a trivy ignore file, and entries that could not be applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The ignores, in file order.
    pub ignores: Vec<Ignore>,
    /// One line per entry not applied (lower case, values in backticks).
    pub skipped: Vec<String>,
}

/// Parses `.trivyignore`: every problem (a bad `exp:` date) at once, with its line.
pub fn parse(bytes: &[u8], file: &str) -> Result<Parsed, ConfigError> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Parsed::default();
    let mut problems = Vec::new();
    let mut comment: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = line.trim();
        if line.is_empty() {
            comment = None;
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            let c = c.trim();
            if !c.is_empty() {
                comment = Some(c.to_owned());
            }
            continue;
        }
        let mut fields = line.split_whitespace();
        let Some(id) = fields.next() else { continue };
        if !crate::vuln_id::is_vulnerability_id(id) {
            // Never quoted: the line may be anything (trivy's secret and license rule ids, or
            // a file that is not an ignore file at all).
            comment = None;
            out.skipped.push(not_an_id(file, line_no));
            continue;
        }
        let mut expires = None;
        for field in fields {
            if let Some(date) = field.strip_prefix("exp:") {
                match parse_date(date) {
                    Some(d) => expires = Some(d),
                    None => problems.push(Problem {
                        line: Some(line_no),
                        message: format!(
                            "the `exp:` date of `{id}` is not a date; hint: `exp:YYYY-MM-DD`"
                        ),
                    }),
                }
            }
        }
        out.ignores.push(Ignore {
            id: id.to_owned(),
            reason: comment
                .take()
                .unwrap_or_else(|| format!("listed in `{file}`")),
            expires,
            purls: Vec::new(),
            source: IgnoreSource::Trivyignore,
            origin: format!("`{file}` line {line_no}"),
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ConfigError {
            file: file.to_owned(),
            problems,
        })
    }
}

#[derive(Deserialize)]
struct YamlDto {
    #[serde(default)]
    vulnerabilities: Vec<Spanned<EntryDto>>,
}

#[derive(Deserialize)]
struct EntryDto {
    id: Option<String>,
    statement: Option<String>,
    expired_at: Option<String>,
    #[serde(default)]
    purls: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
}

/// Parses `.trivyignore.yaml`: every problem (no `id`, a bad `expired_at`) at once, with its
/// line; a YAML syntax or shape error is reported alone, with its line.
pub fn parse_yaml(bytes: &[u8], file: &str) -> Result<Parsed, ConfigError> {
    let error = |problems| ConfigError {
        file: file.to_owned(),
        problems,
    };
    let text = String::from_utf8_lossy(bytes);
    if text.trim().is_empty() {
        return Ok(Parsed::default());
    }
    let dto: YamlDto = serde_saphyr::from_str(&text).map_err(|e| {
        error(vec![Problem {
            line: e.location().map(|l| l.line()).filter(|&l| l > 0),
            message: crate::text::parser_message(
                e.without_snippet()
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or_default(),
            ),
        }])
    })?;
    let mut out = Parsed::default();
    // The document is a mapping (the parse above succeeded): its keys parse again.
    match serde_saphyr::from_str::<TopKeys>(&text) {
        Ok(keys) => out.skipped.extend(
            keys.0
                .iter()
                .filter_map(|k| unknown_key(file, k.as_deref())),
        ),
        // A key no visitor reads (a sequence or mapping as a key): unknown all the same.
        Err(_) => out.skipped.extend(unknown_key(file, None)),
    }
    let mut problems = Vec::new();
    for entry in dto.vulnerabilities {
        let line = entry.referenced.line();
        let e = entry.value;
        let Some(id) = e.id.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) else {
            problems.push(Problem {
                line: Some(line),
                message: "a `vulnerabilities` entry has no `id`".to_owned(),
            });
            continue;
        };
        if !crate::vuln_id::is_vulnerability_id(&id) {
            out.skipped.push(not_an_id(file, line));
            continue;
        }
        let mut expires = None;
        if let Some(date) = &e.expired_at {
            match parse_date(date) {
                Some(d) => expires = Some(d),
                None => problems.push(Problem {
                    line: Some(line),
                    message: format!(
                        "the `expired_at` date of `{id}` is not a date; hint: YYYY-MM-DD"
                    ),
                }),
            }
        }
        let origin = format!("`{file}` line {line}");
        if e.purls.is_empty() && !e.paths.is_empty() {
            out.skipped.push(format!(
                "the ignore of `{id}` ({origin}) is scoped by `paths` only, which kevgate \
                 cannot check; not applied; hint: scope it with `purls`"
            ));
            continue;
        }
        out.ignores.push(Ignore {
            reason: e
                .statement
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| format!("listed in `{file}`")),
            id,
            expires,
            purls: e.purls,
            source: IgnoreSource::Trivyignore,
            origin,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(error(problems))
    }
}

/// The top-level sections trivy defines; kevgate reads `vulnerabilities` only.
const SECTIONS: [&str; 4] = [
    "vulnerabilities",
    "misconfigurations",
    "secrets",
    "licenses",
];

/// The top-level keys of `.trivyignore.yaml`: a string key as it is, any other key `None`.
struct TopKeys(Vec<Option<String>>);

impl<'de> Deserialize<'de> for TopKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = TopKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<TopKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<Key>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    keys.push(key.0);
                }
                Ok(TopKeys(keys))
            }
        }
        d.deserialize_map(Keys)
    }
}

/// A mapping key: a string, or `None` for anything else.
struct Key(Option<String>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Any;
        impl<'de> serde::de::Visitor<'de> for Any {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(Some(v.to_owned())))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Key, E> {
                Ok(Key(None))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Key, E> {
                Ok(Key(None))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Key, E> {
                Ok(Key(None))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Key, E> {
                Ok(Key(None))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Key, E> {
                Ok(Key(None))
            }
        }
        d.deserialize_any(Any)
    }
}

/// The note for a top-level key trivy does not define: named only when it is shaped like a
/// key (short, lower case), never other content.
fn unknown_key(file: &str, key: Option<&str>) -> Option<String> {
    if key.is_some_and(|k| SECTIONS.contains(&k)) {
        return None;
    }
    let named = key
        .filter(|k| {
            k.len() <= 32
                && k.starts_with(|c: char| c.is_ascii_lowercase())
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
        .map_or_else(
            || "an unknown top-level key".to_owned(),
            |k| format!("an unknown top-level key `{k}`"),
        );
    Some(format!(
        "`{file}` has {named}; not read; hint: kevgate reads `vulnerabilities` (trivy's \
         `misconfigurations`, `secrets` and `licenses` are not kevgate's)"
    ))
}

/// The note for an entry whose id is not shaped like a vulnerability id: its line, never its
/// content.
fn not_an_id(file: &str, line: u64) -> String {
    format!(
        "`{file}` line {line} is not a vulnerability id; not applied; hint: kevgate applies \
         ignores of vulnerability ids such as `CVE-2021-44228`"
    )
}

/// `YYYY-MM-DD`, or an RFC 3339 timestamp's date.
fn parse_date(s: &str) -> Option<jiff::civil::Date> {
    let s = s.trim();
    s.get(..10)
        .filter(|_| s.len() == 10 || s.as_bytes().get(10) == Some(&b'T'))
        .and_then(|d| d.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(p: &Parsed) -> Vec<(&str, Option<String>, &str)> {
        p.ignores
            .iter()
            .map(|i| {
                (
                    i.id.as_str(),
                    i.expires.map(|d| d.to_string()),
                    i.reason.as_str(),
                )
            })
            .collect()
    }

    /// The `.trivyignore` format as trivy documents it: comments, `exp:`, blank lines.
    #[test]
    fn trivyignore_lines() {
        let text = "\
# Accept the risk
CVE-2018-14618

# No impact in our settings
CVE-2019-1543 exp:2027-01-31

GHSA-jpcq-cgw6-v4j6
";
        let p = parse(text.as_bytes(), ".trivyignore").expect("valid");
        assert_eq!(
            ids(&p),
            [
                ("CVE-2018-14618", None, "Accept the risk"),
                (
                    "CVE-2019-1543",
                    Some("2027-01-31".to_owned()),
                    "No impact in our settings"
                ),
                ("GHSA-jpcq-cgw6-v4j6", None, "listed in `.trivyignore`"),
            ]
        );
        assert_eq!(p.ignores[1].origin, "`.trivyignore` line 5");
    }

    /// Bad dates are errors with their lines, all at once; binary junk never panics.
    #[test]
    fn trivyignore_bad_dates() {
        let err = parse(b"CVE-1 exp:soon\nCVE-2\nCVE-3 exp:2027-13-01\n", "t").expect_err("bad");
        let lines: Vec<_> = err.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(1), Some(3)]);
        let junk = parse(b"\xff\xfe\x00 exp:\n\xff\n", "t").expect("lossy");
        assert_eq!((junk.ignores.len(), junk.skipped.len()), (0, 2));
    }

    /// A file that is not an ignore file (an environment dump, `/proc/self/environ` has NUL
    /// separators): no line becomes an ignore, and the notes name lines, never their text.
    #[test]
    fn lines_that_are_not_ids_are_never_quoted() {
        let text = "GITHUB_TOKEN=ghs_secret0123\0ACTIONS_RUNTIME_TOKEN=eyJ0eXAi.x-y\n\
                    # a comment\n\
                    ghs_secret0123\n\
                    aws-access-key-id\n\
                    CVE-2021-44228 exp:2027-01-01\n";
        let p = parse(text.as_bytes(), ".trivyignore").expect("valid");
        assert_eq!(ids(&p).len(), 1);
        assert_eq!(p.ignores[0].id, "CVE-2021-44228");
        assert_eq!(
            p.skipped[0],
            "`.trivyignore` line 1 is not a vulnerability id; not applied; hint: kevgate \
             applies ignores of vulnerability ids such as `CVE-2021-44228`"
        );
        assert_eq!(p.skipped.len(), 3);
        for s in &p.skipped {
            assert!(
                !s.contains("secret") && !s.contains("aws") && !s.contains("eyJ"),
                "{s}"
            );
        }
        let yaml =
            "vulnerabilities:\n  - id: \"TOKEN=ghs_secret0123\"\n  - id: GHSA-jpcq-cgw6-v4j6\n";
        let p = parse_yaml(yaml.as_bytes(), ".trivyignore.yaml").expect("valid");
        assert_eq!(p.ignores.len(), 1);
        assert_eq!(p.skipped.len(), 1);
        assert!(
            p.skipped[0].starts_with("`.trivyignore.yaml` line 2 is not"),
            "{:?}",
            p.skipped
        );
    }

    /// `.trivyignore.yaml` as trivy documents it: statement, expired_at, purls; a
    /// `paths`-only entry is skipped and reported; other sections are not ours.
    #[test]
    fn trivyignore_yaml() {
        let yaml = "\
vulnerabilities:
  - id: CVE-2022-40897
    paths:
      - \"usr/local/lib/python3.9/site-packages/setuptools-58.1.0.dist-info/METADATA\"
    statement: Accept the risk
  - id: CVE-2023-2650
  - id: CVE-2023-3446
    purls:
      - \"pkg:deb/debian/libssl1.1\"
    expired_at: 2027-04-25
misconfigurations:
  - id: AVD-DS-0001
";
        let p = parse_yaml(yaml.as_bytes(), ".trivyignore.yaml").expect("valid");
        assert_eq!(
            ids(&p),
            [
                ("CVE-2023-2650", None, "listed in `.trivyignore.yaml`"),
                (
                    "CVE-2023-3446",
                    Some("2027-04-25".to_owned()),
                    "listed in `.trivyignore.yaml`"
                ),
            ]
        );
        assert_eq!(p.ignores[1].purls, ["pkg:deb/debian/libssl1.1"]);
        assert_eq!(p.ignores[1].origin, "`.trivyignore.yaml` line 7");
        assert_eq!(p.skipped.len(), 1, "{:?}", p.skipped);
        assert!(p.skipped[0].contains("`CVE-2022-40897`"));
    }

    /// Missing ids and bad dates are all reported, with lines; syntax errors too.
    #[test]
    fn trivyignore_yaml_errors() {
        let yaml = "vulnerabilities:\n  - statement: no id\n  - id: CVE-1\n    expired_at: later\n";
        let err = parse_yaml(yaml.as_bytes(), "t.yaml").expect_err("bad");
        let lines: Vec<_> = err.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(2), Some(3)]);
        assert!(parse_yaml(b"vulnerabilities: [\n", "t.yaml").is_err());
        assert!(parse_yaml(b"vulnerabilities: 3\n", "t.yaml").is_err());
        assert_eq!(parse_yaml(b"", "t.yaml").expect("empty"), Parsed::default());
    }

    /// A top-level key trivy does not define is a note, named only when key-shaped; trivy's
    /// own sections are silent.
    #[test]
    fn unknown_top_level_keys() {
        let yaml = "vulnerabilities: []\nsecrets: []\nvulnerabilites:\n  - id: CVE-2021-44228\n\
                    \"::error::owned\": 1\n7: x\n";
        let parsed = parse_yaml(yaml.as_bytes(), YAML_FILE).expect("valid");
        assert_eq!(parsed.skipped.len(), 3, "{:?}", parsed.skipped);
        assert!(parsed.skipped[0].starts_with(
            "`.trivyignore.yaml` has an unknown top-level key `vulnerabilites`; not read"
        ));
        for m in &parsed.skipped[1..] {
            assert!(m.starts_with("`.trivyignore.yaml` has an unknown top-level key; not read"));
        }
        assert!(parsed.skipped.iter().all(|m| !m.contains("::")));
        let known = "vulnerabilities: []\nmisconfigurations: []\nsecrets: []\nlicenses: []\n";
        assert_eq!(
            parse_yaml(known.as_bytes(), YAML_FILE).expect("valid"),
            Parsed::default()
        );
    }
}

//! `CODEOWNERS`: who owns the manifest a finding came from.
//!
//! GitHub's rules ("About code owners", docs.github.com): the file is the first of
//! [`LOCATIONS`] that exists (`.github/`, the root, `docs/`); each line is a gitignore-style
//! pattern and owners (`@user`, `@org/team`, an e-mail); **the last matching pattern wins**,
//! and a pattern with no owners leaves its paths unowned. Unlike gitignore, `!` negation,
//! `[ ]` ranges and `\#` escapes are not supported, and `docs/*` matches only the direct
//! children of `docs`. A file GitHub would reject (any invalid line) is not used at all, as
//! GitHub does not use it; the caller reports it.
//!
//! Patterns: a leading `/` or a `/` inside anchors the pattern at the root, otherwise it
//! matches at any depth; a trailing `/` matches only a directory (so everything under it);
//! `*` and `?` stay within a path segment, `**` crosses segments. A pattern that matches a
//! directory matches every path under it.

/// Where GitHub looks for the file, in order; the first found is used.
pub const LOCATIONS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// GitHub ignores a CODEOWNERS file of 3 MB or more.
pub const MAX_BYTES: u64 = 3 * 1024 * 1024;

/// A parsed CODEOWNERS file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Codeowners {
    rules: Vec<Rule>,
}

/// One line: a pattern and its owners.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    pattern: Pattern,
    owners: Owners,
}

/// Who owns a path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owners {
    /// `@user` entries, without the `@`: assigned.
    pub users: Vec<String>,
    /// `@org/team` entries, without the `@`: mentioned (teams cannot be assigned).
    pub teams: Vec<String>,
}

impl Owners {
    /// Whether nobody owns it.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.teams.is_empty()
    }
}

/// Parses a CODEOWNERS file; an invalid line makes the whole file unusable, as on GitHub.
/// The error names the line.
pub fn parse(text: &str) -> Result<Codeowners, String> {
    let mut rules = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut tokens = line.split_whitespace();
        let pattern = tokens.next().expect("a non-empty line has a token");
        let invalid = |why: &str| format!("line {}: {why}", n + 1);
        if pattern.starts_with('!') || pattern.contains('[') || pattern.contains(']') {
            return Err(invalid("`!` negation and `[ ]` ranges are not supported"));
        }
        if pattern.starts_with("\\#") {
            return Err(invalid("escaping `#` with `\\` is not supported"));
        }
        let mut owners = Owners::default();
        for owner in tokens {
            if owner.starts_with('#') {
                break;
            }
            match owner.strip_prefix('@') {
                Some(name) if name.contains('/') => {
                    if !valid_team(name) {
                        return Err(invalid("a team owner is not `@org/team`"));
                    }
                    owners.teams.push(name.to_owned());
                }
                Some(name) => {
                    if !valid_login(name) {
                        return Err(invalid("a user owner is not a GitHub login"));
                    }
                    owners.users.push(name.to_owned());
                }
                // An e-mail owner: GitHub maps it to a user kevgate cannot see; skipped.
                None if owner.contains('@') => {}
                None => {
                    return Err(invalid(
                        "an owner is neither `@user`, `@org/team` nor an e-mail",
                    ));
                }
            }
        }
        rules.push(Rule {
            pattern: Pattern::new(pattern),
            owners,
        });
    }
    Ok(Codeowners { rules })
}

/// Whether `s` is a GitHub login: letters, digits and single hyphens, at most 39 characters
/// (bots' `name[bot]` logins cannot own code).
pub fn valid_login(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 39
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
}

/// Whether `s` is `org/team` (a team slug: letters, digits, `-`, `_`, `.`).
pub fn valid_team(s: &str) -> bool {
    match s.split_once('/') {
        Some((org, team)) => {
            valid_login(org)
                && !team.is_empty()
                && team.len() <= 100
                && team
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        }
        None => false,
    }
}

impl Codeowners {
    /// The owners of the repository path `path` (`/`-separated, relative to the root): the
    /// last rule that matches; nobody when none does.
    pub fn owners(&self, path: &str) -> Owners {
        self.rules
            .iter()
            .rev()
            .find(|r| r.pattern.matches(path))
            .map(|r| r.owners.clone())
            .unwrap_or_default()
    }
}

/// A gitignore-style pattern as GitHub reads it in CODEOWNERS and kevgate in `owners:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The pattern without its leading and trailing `/`.
    glob: String,
    /// Matches only from the root.
    anchored: bool,
    /// Matches only a directory (trailing `/`).
    dir_only: bool,
    /// Ends in `/*`: only the direct children (GitHub's `docs/*`), not what is below them.
    children_only: bool,
}

impl Pattern {
    /// Reads `pattern`.
    pub fn new(pattern: &str) -> Pattern {
        let dir_only = pattern.ends_with('/');
        let trimmed = pattern.trim_end_matches('/');
        let anchored = trimmed.starts_with('/') || trimmed.trim_start_matches('/').contains('/');
        let glob = trimmed.trim_start_matches('/').to_owned();
        Pattern {
            children_only: glob.ends_with("/*") && !glob.ends_with("/**/*"),
            anchored,
            dir_only,
            glob,
        }
    }

    /// Whether the pattern matches the file `path` or a directory above it.
    pub fn matches(&self, path: &str) -> bool {
        let path = path.trim_start_matches("./").trim_start_matches('/');
        if self.glob.is_empty() {
            // `/` or `*`-less root pattern: everything.
            return !path.is_empty();
        }
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let n = segments.len();
        let starts = if self.anchored { 0..1 } else { 0..n };
        for s in starts {
            for e in (s + 1)..=n {
                let is_dir = e < n;
                if self.dir_only && !is_dir {
                    continue;
                }
                if is_dir && self.children_only {
                    continue;
                }
                let target = segments[s..e].join("/");
                let glob: Vec<char> = self.glob.chars().collect();
                let text: Vec<char> = target.chars().collect();
                if glob_match(&glob, &text) {
                    return true;
                }
            }
        }
        false
    }
}

/// Glob matching: `*` and `?` within a segment, `**` across segments (`**/` also matches
/// nothing, so `**/x` matches `x`).
fn glob_match(p: &[char], t: &[char]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some('*') if p.get(1) == Some(&'*') => {
            let rest = &p[2..];
            // `**/`: zero or more whole segments.
            if rest.first() == Some(&'/') {
                let after = &rest[1..];
                if glob_match(after, t) {
                    return true;
                }
                (0..t.len()).any(|i| t[i] == '/' && glob_match(after, &t[i + 1..]))
            } else {
                (0..=t.len()).any(|i| glob_match(rest, &t[i..]))
            }
        }
        Some('*') => {
            let rest = &p[1..];
            for i in 0..=t.len() {
                if glob_match(rest, &t[i..]) {
                    return true;
                }
                if i < t.len() && t[i] == '/' {
                    break;
                }
            }
            false
        }
        Some('?') => t.first().is_some_and(|c| *c != '/') && glob_match(&p[1..], &t[1..]),
        Some(c) => t.first() == Some(c) && glob_match(&p[1..], &t[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(c: &Codeowners, path: &str) -> Vec<String> {
        let o = c.owners(path);
        o.users.into_iter().chain(o.teams).collect()
    }

    /// GitHub's documented example (github/docs "About code owners", copied in
    /// tests/fixtures/codeowners): last match wins, e-mails skipped, `docs/*` direct children
    /// only, `apps/` anywhere, an owner-less line unowns.
    #[test]
    fn github_docs_example() {
        let text = include_str!("../../tests/fixtures/codeowners/github-docs-example.CODEOWNERS");
        let c = parse(text).expect("valid");
        for (path, want) in [
            ("README.md", vec!["global-owner1", "global-owner2"]),
            ("src/app.js", vec!["js-owner"]),
            // `*.go docs@example.com`: an e-mail owner is skipped, so nobody kevgate can name.
            ("main.go", vec![]),
            ("notes/a.txt", vec!["octo-org/octocats"]),
            ("build/logs/x/y.log", vec!["doctocat"]),
            (
                "sub/build/logs/y.log",
                vec!["global-owner1", "global-owner2"],
            ),
            ("docs/getting-started.md", vec!["doctocat"]),
            ("x/apps/y/package.json", vec!["octocat"]),
            ("apps/web/package.json", vec!["octocat"]),
            ("apps/github/package.json", vec![]),
        ] {
            assert_eq!(users(&c, path), want, "{path}");
        }
    }

    /// trivy's own file: directories with a trailing slash, a file overriding its directory.
    #[test]
    fn trivy() {
        let text = include_str!("../../tests/fixtures/codeowners/aquasecurity-trivy.CODEOWNERS");
        let c = parse(text).expect("valid");
        for (path, want) in [
            ("go.mod", vec!["knqyf263", "DmitriyLewen"]),
            ("pkg/iac/go.sum", vec!["nikpivkin"]),
            ("helm/trivy/values.yaml", vec!["afdesk"]),
            ("helm/trivy/Chart.yaml", vec!["aquasecurity/trivy"]),
            ("docs/guide/target/aws.md", vec!["nikpivkin"]),
        ] {
            assert_eq!(users(&c, path), want, "{path}");
        }
    }

    /// Pattern edge cases, table-driven.
    #[test]
    fn patterns() {
        for (pattern, path, want) in [
            ("*", "a/b/c", true),
            ("*.lock", "a/Cargo.lock", true),
            ("/Cargo.lock", "a/Cargo.lock", false),
            ("/Cargo.lock", "Cargo.lock", true),
            ("web/", "web/package-lock.json", true),
            ("web/", "web", false),
            ("web", "x/web/package-lock.json", true),
            ("a/web", "x/a/web/y", false),
            ("**/web", "x/y/web/z", true),
            ("**/web", "web/z", true),
            ("a/**", "a/b/c", true),
            ("a/**/lock", "a/lock", true),
            ("a/**/lock", "a/b/c/lock", true),
            ("docs/*", "docs/a.md", true),
            ("docs/*", "docs/a/b.md", false),
            ("src/Sql/**", "src/Sql/x/y", true),
            ("f?o", "foo", true),
            ("f?o", "f/o", false),
            ("*.js", "a.js/b", true),
        ] {
            assert_eq!(
                Pattern::new(pattern).matches(path),
                want,
                "{pattern} {path}"
            );
        }
    }

    /// Lines GitHub rejects make the file unusable; comments after owners are comments.
    #[test]
    fn invalid_files() {
        assert!(parse("!x @a\n").is_err());
        assert!(parse("[ab] @a\n").is_err());
        assert!(parse("x owner\n").is_err());
        assert!(parse("x @a/\n").is_err());
        let c = parse("x @a # @b\n").expect("valid");
        assert_eq!(users(&c, "x"), vec!["a"]);
    }
}

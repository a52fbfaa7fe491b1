//! Advisories withdrawn in their text but not in their `withdrawn` field.
//!
//! GitHub's advisory database withdraws an advisory by rewriting its text: the summary
//! becomes "Withdrawn Advisory: …" (or "Withdrawn: …"), the details open with a
//! "## Withdrawn Advisory" heading, and a "Duplicate Advisory: …" names the advisory it
//! duplicates ("This advisory has been withdrawn because it is a duplicate of GHSA-…").
//! osv.dev's copies of such records do not always carry the OSV `withdrawn` field
//! (GHSA-cg28-v4wq-whv5, symfony/var-dumper, failed gates as critical), so the database
//! builder reads the text too. A "Duplicate Advisory" that names no other advisory stays a
//! vulnerability: dropping it could lose the only record of it.

/// Whether an OSV record's `summary` and `details` say it is withdrawn. `id` is the record's
/// own id (a duplicate must point to another one).
pub(crate) fn in_text(id: &str, summary: Option<&str>, details: Option<&str>) -> bool {
    let summary = summary
        .unwrap_or_default()
        .trim_start()
        .to_ascii_lowercase();
    let details = details.unwrap_or_default();
    if summary.starts_with("withdrawn advisory") || summary.starts_with("withdrawn:") {
        return true;
    }
    let heading = details
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim()
        .trim_start_matches('#')
        .trim()
        .to_ascii_lowercase();
    if heading == "withdrawn advisory" || heading == "withdrawn" {
        return true;
    }
    summary.starts_with("duplicate advisory") && names_another(id, details)
}

/// Whether `details` says "duplicate of" another advisory id (GHSA, CVE, GO, PYSEC, ...).
fn names_another(id: &str, details: &str) -> bool {
    let lower = details.to_ascii_lowercase();
    let Some(at) = lower.find("duplicate of") else {
        return false;
    };
    // The id follows within the sentence: `GHSA-j2cr-jc39-wpx5`, `[GHSA-…](https://…)`.
    let rest: String = details[at + "duplicate of".len()..]
        .chars()
        .take(200)
        .collect();
    rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .any(|w| {
            let is_id = ["GHSA-", "CVE-", "GO-", "PYSEC-", "RUSTSEC-"]
                .iter()
                .any(|p| w.starts_with(p) && w.len() > p.len());
            is_id && !w.eq_ignore_ascii_case(id)
        })
}

#[cfg(test)]
mod tests {
    use super::in_text;

    /// Real GHSA records as osv.dev serves them (shared `osv/composer/composer-osvdev-all`,
    /// `osv/go/go-osvdev-ghsa`), none with a `withdrawn` field.
    #[test]
    fn reads_withdrawal_from_the_text() {
        let cases = [
            (
                "GHSA-cg28-v4wq-whv5",
                "Withdrawn Advisory: Symfony's VarDumper vulnerable to unsafe deserialization",
                "## Withdrawn Advisory\nThis advisory has been withdrawn because the report is not \
                 part of a valid vulnerability.",
                true,
            ),
            (
                "GHSA-c5pj-mqfh-rvc3",
                "Withdrawn: Runc allows an arbitrary systemd property to be injected",
                "## Withdrawn Advisory\n\nThis advisory has been withdrawn because it was \
                 incorrectly attributed to runc.",
                true,
            ),
            (
                "GHSA-cvx8-ppmc-78hm",
                "Duplicate Advisory: KubeVirt arbitrary host file read from the VM",
                "## Duplicate Advisory\nThis advisory is a duplicate of \
                 [GHSA-qv98-3369-g364](https://github.com/advisories/GHSA-qv98-3369-g364). This \
                 link is maintained to preserve external references.",
                true,
            ),
            (
                "GHSA-w44m-8mv2-v78h",
                "Duplicate Advisory: Cosmos \"Barberry\" vulnerability in github.com/cosmos/cosmos-sdk",
                "## Withdrawn\n\nThis advisory has been withdrawn because it is a duplicate of \
                 GHSA-j2cr-jc39-wpx5.",
                true,
            ),
            // Says "Duplicate" but names no other advisory: kept.
            (
                "GHSA-j42f-wc6v-5xpq",
                "Duplicate Advisory: Permissive Regular Expression in tacquito",
                "Tacquito prior to commit 07b49d1358e6ec0b5aa482fcd284f509191119e2 was not \
                 properly performing regex matches on authorized commands and arguments.",
                false,
            ),
            // Ordinary advisories.
            (
                "GHSA-jfh8-c2jp-5v3q",
                "Remote code injection in Log4j",
                "# Summary\n\nLog4j versions prior to 2.16.0 are subject to a remote code \
                 execution vulnerability via the ldap JNDI parser.",
                false,
            ),
        ];
        for (id, summary, details, want) in cases {
            assert_eq!(in_text(id, Some(summary), Some(details)), want, "{id}");
        }
        assert!(!in_text("X", None, None));
        // A duplicate that names only itself is not a pointer to another one.
        assert!(!in_text(
            "GHSA-aaaa-bbbb-cccc",
            Some("Duplicate Advisory: x"),
            Some("a duplicate of GHSA-aaaa-bbbb-cccc.")
        ));
    }
}

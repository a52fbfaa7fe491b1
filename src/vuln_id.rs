//! Vulnerability ids as text: what is shaped like one. A leaf module: the config and trivy
//! ignore readers, the matching stage and the text escapers all ask, so none of them owns it
//! (issue 12, item 1: it lived in `config.rs`, which made `text` and `matching` import a
//! loader above them).

/// Whether `s` is shaped like a vulnerability id (`CVE-2021-44228`, `GHSA-jpcq-cgw6-v4j6`,
/// `RHSA-2021:1234`, `openSUSE-SU-2024:1234-1`, `MAL-2022-1`): a prefix of 2 to 16 ASCII
/// letters, then `-`-separated parts of at most 16 ASCII letters, digits, `.`, `_` and `:`
/// (a `:` followed by a digit), with a digit somewhere, at most 64 characters. Notes quote an ignore's id only when it has this shape,
/// so a policy file that is not one (an environment dump, a key) never reaches a report.
pub fn is_vulnerability_id(s: &str) -> bool {
    let Some((prefix, rest)) = s.split_once('-') else {
        return false;
    };
    s.len() <= 64
        && (2..=16).contains(&prefix.len())
        && prefix.bytes().all(|b| b.is_ascii_alphabetic())
        && rest.split('-').all(|part| {
            // Parts of real ids are short (`2021`, `jpcq`, `2021:1234`, `0000000`), and a `:`
            // only ever separates numbers: a 24-character secret part (a Slack token's) or
            // `CVE-1:token` is no id.
            !part.is_empty()
                && part.len() <= 16
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':'))
                && part
                    .split(':')
                    .skip(1)
                    .all(|after| after.bytes().next().is_some_and(|b| b.is_ascii_digit()))
        })
        && rest.bytes().any(|b| b.is_ascii_digit())
}

//! Fuzzes `Purl::parse` on arbitrary text, then `identify` and OSV ecosystem matching on what
//! parses: none may panic.
#![no_main]

use kevgate::purl::{Purl, identify};
use libfuzzer_sys::fuzz_target;

/// OSV ecosystem strings as they occur in the real data.
const OSV_ECOSYSTEMS: [&str; 8] = [
    "npm",
    "Debian:12",
    "Ubuntu:22.04:LTS",
    "Ubuntu:Pro:16.04:LTS",
    "Alpine:v3.20",
    "Red Hat:rhel_aus:8.4::appstream",
    "AlmaLinux:8",
    "Rocky Linux:9",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(purl) = Purl::parse(text) else {
        return;
    };
    assert!(!purl.name.is_empty(), "a parsed purl has a name");
    assert_eq!(purl.ty, purl.ty.to_ascii_lowercase(), "type is lower-cased");
    // The OS argument is fuzzed too: split the input for a name and version.
    let (os_name, os_version) = text.split_once(' ').unwrap_or((text, ""));
    for os in [None, Some(("debian", "12.15")), Some((os_name, os_version))] {
        if let Ok(id) = identify(&purl, os) {
            for ecosystem in OSV_ECOSYSTEMS {
                let _ = id.osv_ecosystem_matches(ecosystem);
            }
            let _ = id.osv_ecosystem_matches(text);
        }
    }
});

//! Fuzzes `sbom::parse` on arbitrary bytes: it must never panic, every error message must be
//! one line without control characters, and what parses must survive purl identification.
#![no_main]

use kevgate::purl::{Purl, identify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match kevgate::sbom::parse(data) {
        Ok(sbom) => {
            let os = sbom.os.as_ref().map(|(n, v)| (n.as_str(), v.as_str()));
            for component in &sbom.components {
                if let Some(Ok(purl)) = component.purl.as_deref().map(Purl::parse) {
                    let _ = identify(&purl, os);
                }
            }
            for vuln in &sbom.vulnerabilities {
                for &index in &vuln.affects {
                    assert!(index < sbom.components.len(), "affects index out of range");
                }
            }
            for warning in &sbom.warnings {
                assert!(!warning.chars().any(char::is_control), "{warning:?}");
            }
        }
        Err(err) => {
            let message = err.to_string();
            assert!(!message.chars().any(char::is_control), "{message:?}");
        }
    }
});

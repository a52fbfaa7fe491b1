//! Fuzzes `version::compare`: the first byte picks the scheme, the rest is split at the first
//! NUL or newline into two versions. It must never panic, and comparing must be antisymmetric
//! (`compare(a, b) == compare(b, a).reverse()`) and reflexive.
#![no_main]

use kevgate::version::{VersionScheme, compare};
use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;

const SCHEMES: [VersionScheme; 10] = [
    VersionScheme::Semver,
    VersionScheme::Go,
    VersionScheme::Pep440,
    VersionScheme::Maven,
    VersionScheme::RubyGems,
    VersionScheme::NuGet,
    VersionScheme::Composer,
    VersionScheme::Dpkg,
    VersionScheme::Rpm,
    VersionScheme::Apk,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let scheme = SCHEMES[usize::from(selector) % SCHEMES.len()];
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (a, b) = text.split_once(['\0', '\n']).unwrap_or((text, ""));
    let forward = compare(scheme, a, b);
    let backward = compare(scheme, b, a);
    if let (Ok(f), Ok(r)) = (&forward, &backward) {
        assert_eq!(*f, r.reverse(), "{scheme:?}: `{a}` vs `{b}`");
    }
    if let Ok(same) = compare(scheme, a, a) {
        assert_eq!(same, Ordering::Equal, "{scheme:?}: `{a}` vs itself");
    }
});

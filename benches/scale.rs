//! `cargo bench --bench scale`: how parse + evaluate grow with what an SBOM can pile on one
//! component (issue 10): many vulnerabilities, and many `unaffected` versions in one.
//!
//! Each shape runs at n, 2n and 4n (`KEVGATE_BENCH_SCALE_N`, default 25,000) and prints the
//! time and the ratio to the previous size: about 2 for linear work, 4 for quadratic. The
//! numbers go to `docs/performance.md`; the tests assert the algorithmic bounds instead.

#![allow(clippy::print_stdout)]

use kevgate::db::VulnDb;
use kevgate::db::build::{BuildInputs, build};
use std::path::PathBuf;
use std::time::Instant;

const PURL: &str = "pkg:npm/left-pad@1.0.0";

/// A named SBOM shape, made at a given size.
type Shape = (&'static str, fn(usize) -> Vec<u8>);

/// One component with `vulns` vulnerabilities, the first listing `unaffected` versions.
fn sbom(vulns: usize, unaffected: usize) -> Vec<u8> {
    let mut list: Vec<serde_json::Value> = (0..vulns)
        .map(|i| serde_json::json!({"id": format!("CVE-2099-{i:07}"), "affects": [{"ref": PURL}]}))
        .collect();
    list[0]["affects"][0]["versions"] = (0..unaffected)
        .rev()
        .map(|i| serde_json::json!({"version": format!("2.{i}.0"), "status": "unaffected"}))
        .collect::<Vec<_>>()
        .into();
    serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [{"bom-ref": PURL, "type": "library", "name": "left-pad",
                        "version": "1.0.0", "purl": PURL}],
        "vulnerabilities": list,
    })
    .to_string()
    .into_bytes()
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("tests/fixtures/kev-hits");
    let inputs = BuildInputs {
        osv: vec![src.join("osv.jsonl")],
        kev: vec![src.join("kev.json")],
        ..BuildInputs::default()
    };
    let db = VulnDb::from_bytes(build(&inputs, jiff::Timestamp::UNIX_EPOCH).expect("build"))
        .expect("load");
    // `cargo test --all-targets` (CI) runs this binary without `--bench`: a smoke run at a
    // small size, so the suite does not pay for the measurement.
    let benching = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("KEVGATE_BENCH_SCALE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benching { 25_000 } else { 500 });
    let today = jiff::civil::date(2025, 8, 26);
    let policy = kevgate::Policy::default();
    let shapes: [Shape; 2] = [
        ("vulnerabilities on one component", |k| sbom(k, 1)),
        ("unaffected versions in one vulnerability", |k| {
            sbom(1, 2 * k)
        }),
    ];
    for (name, make) in shapes {
        println!("scale bench: {name}");
        let mut previous = None;
        for k in [n, 2 * n, 4 * n] {
            let bytes = make(k);
            let t = Instant::now();
            let parsed = kevgate::sbom::parse(&bytes).expect("parse");
            let ev = kevgate::evaluate(kevgate::Inputs::new(&parsed, &db, &policy, today))
                .expect("evaluate");
            let took = t.elapsed();
            let ratio = previous
                .map(|p: std::time::Duration| {
                    format!(" (x{:.1})", took.as_secs_f64() / p.as_secs_f64())
                })
                .unwrap_or_default();
            let size = if name.starts_with("unaffected") {
                2 * k
            } else {
                k
            };
            println!(
                "  n = {size:>7}: {:>8.1} ms{ratio}, {} findings",
                took.as_secs_f64() * 1e3,
                ev.findings.len()
            );
            previous = Some(took);
        }
    }
}

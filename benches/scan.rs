//! `cargo bench --bench scan`: the pure core's phases on a real SBOM and database.
//!
//! Inputs: `KEVGATE_BENCH_SBOM` (default: the webgoat fixture) and `KEVGATE_BENCH_DB` (default:
//! a database built in-process from `tests/fixtures/kev-hits`). `scripts/bench.sh` points them
//! at the ≥5,000-component trivy SBOM and the full shared-data database. Prints the median of
//! each phase over the runs; figures go to `docs/performance.md` as ratios from one run.

#![allow(clippy::print_stdout)]

use kevgate::db::VulnDb;
use kevgate::db::build::{BuildInputs, build};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sbom_path = std::env::var_os("KEVGATE_BENCH_SBOM")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            root.join("tests/fixtures/kev-hits/sboms/other-cdxgen-cdx1.5-webgoat-maven-npm.json")
        });
    let db_bytes = match std::env::var_os("KEVGATE_BENCH_DB") {
        Some(p) => fs_err::read(p).expect("read KEVGATE_BENCH_DB"),
        None => {
            let src = root.join("tests/fixtures/kev-hits");
            let inputs = BuildInputs {
                osv: vec![src.join("osv.jsonl")],
                kev: vec![src.join("kev.json")],
                nvd: vec![src.join("nvd")],
                epss: vec![src.join("epss.csv")],
                ..BuildInputs::default()
            };
            build(&inputs, jiff::Timestamp::UNIX_EPOCH).expect("build the fixture database")
        }
    };
    let sbom_bytes = fs_err::read(&sbom_path).expect("read the SBOM");
    let runs: usize = std::env::var("KEVGATE_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let today = jiff::civil::date(2025, 8, 26);
    let policy = kevgate::Policy::default();

    let (mut load, mut parse, mut eval) = (Vec::new(), Vec::new(), Vec::new());
    let mut findings = 0;
    let mut components = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let db = VulnDb::from_bytes(db_bytes.clone()).expect("load the database");
        load.push(t.elapsed());
        let t = Instant::now();
        let sbom = kevgate::sbom::parse(&sbom_bytes).expect("parse the SBOM");
        parse.push(t.elapsed());
        let t = Instant::now();
        let ev = kevgate::evaluate(kevgate::Inputs::new(&sbom, &db, &policy, today))
            .expect("the database decodes");
        eval.push(t.elapsed());
        findings = ev.findings.len();
        components = sbom.components.len();
    }
    println!(
        "scan bench: {} ({components} components, {} bytes), db {} bytes, {runs} runs",
        sbom_path.display(),
        sbom_bytes.len(),
        db_bytes.len()
    );
    println!("  db load (from_bytes) median {:?}", median(load));
    println!("  sbom parse            median {:?}", median(parse));
    println!("  evaluate ({findings} findings) median {:?}", median(eval));
}

//! `cargo bench --bench sbom_parse`: SBOM parse throughput (issue 14, item 3).
//!
//! Parses `KEVGATE_BENCH_SBOM` (default: the largest trivy fixture; `scripts/bench.sh` uses the
//! ~1,000,000-component `target/bench/mega-sbom.cdx.json`) two ways and prints the median of
//! `KEVGATE_BENCH_RUNS` runs (default 5) as time, MB/s and components/s:
//! - `in memory`: [`kevgate::sbom::parse`] on the bytes (what `policy test` and baselines do);
//! - `streamed`: [`kevgate::sbom::parse_reader`] from the file through a buffered reader, what
//!   `kevgate scan` does with a regular file (the document is never held whole).
//!
//! Throughput, not a pass/fail: the targets are ratios to `jq empty`, in `scripts/bench.sh`.

#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = std::env::var_os("KEVGATE_BENCH_SBOM")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            root.join("tests/fixtures/sbom/trivy-cdx1.7-image-python-backend-debian-pypi.json")
        });
    let runs: usize = std::env::var("KEVGATE_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let size = fs_err::metadata(&path).expect("stat the SBOM").len();
    let mut components = 0;
    let (mut memory, mut streamed) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let file = fs_err::File::open(&path).expect("open the SBOM");
        let reader = std::io::BufReader::with_capacity(1 << 20, file);
        let sbom = kevgate::sbom::parse_reader(reader, u64::MAX)
            .expect("read the SBOM")
            .expect("a well-formed CycloneDX JSON SBOM");
        streamed.push(t.elapsed());
        components = sbom.components.len();
        drop(sbom);
        if size <= 256 << 20 {
            let t = Instant::now();
            let bytes = fs_err::read(&path).expect("read the SBOM");
            let sbom = kevgate::sbom::parse(&bytes).expect("parse the SBOM");
            memory.push(t.elapsed());
            assert_eq!(sbom.components.len(), components);
        }
    }
    println!(
        "sbom_parse: `{}`, {size} bytes, {components} components, median of {runs} runs",
        path.display()
    );
    for (name, times) in [("streamed", streamed), ("in memory", memory)] {
        if times.is_empty() {
            println!("  {name:>9}: skipped (file over 256 MiB)");
            continue;
        }
        let t = median(times).as_secs_f64();
        println!(
            "  {name:>9}: {t:.3} s, {:.0} MB/s, {:.0} components/s",
            size as f64 / t / 1e6,
            components as f64 / t
        );
    }
}

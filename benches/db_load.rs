//! Load time of a database: `from_bytes` plus a typical query mix (each package of a
//! mixed-ecosystem image once, then NVD, KEV and EPSS for a few hundred CVEs).
//!
//! - `KEVGATE_BENCH_DB=path`: time a prebuilt database file (what `kevgate` does per run).
//! - otherwise build one first, from `KEVGATE_BENCH_DATA` (a directory laid out like
//!   `/work/shared/data`: `osv/`, `nvd/`, `kev/`, `epss/`) or from `tests/fixtures/db`;
//!   `KEVGATE_BENCH_OUT=path` writes the built database there.
//!
//! Run: `cargo bench --bench db_load` (release profile).
#![allow(clippy::print_stdout)]

use kevgate::db::{BuildInputs, VulnDb, build_with_stats};
use kevgate::purl::Ecosystem;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const PACKAGES: &[(Ecosystem, &str)] = &[
    (Ecosystem::Npm, "jquery"),
    (Ecosystem::Npm, "lodash"),
    (Ecosystem::Npm, "minimist"),
    (Ecosystem::Npm, "express"),
    (Ecosystem::Npm, "axios"),
    (Ecosystem::Npm, "semver"),
    (Ecosystem::Npm, "ws"),
    (Ecosystem::Npm, "left-pad"),
    (Ecosystem::Maven, "org.apache.logging.log4j:log4j-core"),
    (Ecosystem::Maven, "org.springframework:spring-web"),
    (
        Ecosystem::Maven,
        "com.fasterxml.jackson.core:jackson-databind",
    ),
    (Ecosystem::PyPI, "Django"),
    (Ecosystem::PyPI, "requests"),
    (Ecosystem::PyPI, "urllib3"),
    (Ecosystem::PyPI, "pillow"),
    (Ecosystem::Go, "golang.org/x/net"),
    (Ecosystem::Go, "github.com/docker/docker"),
    (Ecosystem::Go, "stdlib"),
    (Ecosystem::Cargo, "tokio"),
    (Ecosystem::Cargo, "openssl"),
    (Ecosystem::RubyGems, "rails"),
    (Ecosystem::RubyGems, "nokogiri"),
    (Ecosystem::NuGet, "Newtonsoft.Json"),
    (Ecosystem::Packagist, "symfony/http-kernel"),
    (Ecosystem::Debian, "openssl"),
    (Ecosystem::Debian, "glibc"),
    (Ecosystem::Debian, "curl"),
    (Ecosystem::Debian, "systemd"),
    (Ecosystem::Debian, "linux"),
    (Ecosystem::Debian, "zlib"),
    (Ecosystem::Debian, "bash"),
    (Ecosystem::Debian, "tar"),
    (Ecosystem::Alpine, "openssl"),
    (Ecosystem::Alpine, "musl"),
    (Ecosystem::Alpine, "busybox"),
    (Ecosystem::RedHat, "openssl-libs"),
    (Ecosystem::RedHat, "glibc"),
    (Ecosystem::AlmaLinux, "openssl"),
    (Ecosystem::Rocky, "kernel"),
];

fn inputs(root: &std::path::Path, full: bool) -> BuildInputs {
    if !full {
        return BuildInputs {
            osv: vec![root.join("osv")],
            nvd: vec![root.join("nvd")],
            kev: vec![root.join("kev")],
            epss: vec![root.join("epss")],
            ..BuildInputs::default()
        };
    }
    // Only the OSV-format parts of the shared data: the other files are skipped anyway, but
    // listing them keeps the warning count down.
    let osv = [
        "almalinux",
        "alpine/alpine-osvdev-all.jsonl.gz",
        "composer",
        "crates",
        "debian",
        "ghsa",
        "go",
        "maven",
        "npm",
        "nuget",
        "pub",
        "pypi/pypi-osvdev-ghsa.jsonl.gz",
        "pypi/pypi-pysec-osv-all.jsonl.gz",
        "redhat",
        "rocky",
        "rubygems",
        "ubuntu/osv",
    ];
    BuildInputs {
        osv: osv.iter().map(|p| root.join("osv").join(p)).collect(),
        nvd: vec![
            root.join("nvd/api2-pages"),
            root.join("nvd/api2-cves"),
            root.join("nvd/feed-1.1"),
        ],
        kev: vec![root.join("kev")],
        epss: vec![root.join("epss")],
        ..BuildInputs::default()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bytes = match std::env::var_os("KEVGATE_BENCH_DB") {
        Some(path) => fs_err::read(path)?,
        None => {
            let (root, full) = match std::env::var_os("KEVGATE_BENCH_DATA") {
                Some(p) => (PathBuf::from(p), true),
                None => (
                    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/db"),
                    false,
                ),
            };
            let start = Instant::now();
            let (bytes, stats) = build_with_stats(&inputs(&root, full), jiff::Timestamp::now())?;
            println!("build: {:.2?}, {} bytes", start.elapsed(), bytes.len());
            println!("{stats:#?}");
            if let Some(out) = std::env::var_os("KEVGATE_BENCH_OUT") {
                fs_err::write(out, &bytes)?;
            }
            bytes
        }
    };
    let size = bytes.len();
    let cves: Vec<String> = {
        let mut v: Vec<String> = (0..300)
            .map(|i| format!("CVE-2022-{:04}", 20000 + i * 7))
            .collect();
        v.extend(
            [
                "CVE-2020-11023",
                "CVE-2021-44228",
                "CVE-2023-4863",
                "CVE-2023-44487",
            ]
            .map(String::from),
        );
        v
    };

    // The machine this was written on was shared and loaded: report wall time and this
    // thread's CPU time (`/proc/thread-self/schedstat`), best of five runs.
    split_cost(&bytes)?;
    decode_cost(&VulnDb::from_bytes(bytes.clone())?)?;
    let runs: usize = std::env::var("KEVGATE_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .max(1);
    let mut bytes = Some(bytes);
    let mut best: Option<Run> = None;
    for i in 0..runs {
        // The last run takes the bytes, so that with `KEVGATE_BENCH_RUNS=1` the peak RSS is
        // one database's.
        let input = if i + 1 == runs {
            bytes.take().expect("bytes kept for the last run")
        } else {
            bytes.clone().expect("bytes kept for the last run")
        };
        let run = run_once(input, &cves)?;
        if best.as_ref().is_none_or(|b| run.total_cpu < b.total_cpu) {
            best = Some(run);
        }
    }
    let run = best.expect("at least one run");
    println!("db: {size} bytes, {}", run.counts);
    println!(
        "from_bytes: wall {:.2?}, cpu {:.2?}",
        run.load.0, run.load.1
    );
    println!(
        "{} package queries: wall {:.2?}, cpu {:.2?} ({} advisories; slowest `{}` cpu {:.2?})",
        PACKAGES.len(),
        run.packages.0,
        run.packages.1,
        run.advisories,
        run.slowest.0,
        run.slowest.1
    );
    println!(
        "{} CVE queries: wall {:.2?}, cpu {:.2?} ({})",
        3 * cves.len(),
        run.cves.0,
        run.cves.1,
        run.hits
    );
    println!(
        "total, load + {} queries: cpu {:.2?} (without `{}`: {:.2?})",
        PACKAGES.len() + 3 * cves.len(),
        run.total_cpu,
        run.slowest.0,
        run.total_cpu - run.slowest.1
    );
    Ok(())
}

/// The biggest package decoded in full (`advisories`, what `db verify` and policy checks do)
/// against what a scan decodes (`advisories_selected`: one release's entries, no advisory
/// wanted, i.e. a component version that is not affected), and the download form: `db pack`
/// and its unpacking (issue 14).
fn decode_cost(db: &VulnDb) -> Result<(), Box<dyn std::error::Error>> {
    let best = |f: &mut dyn FnMut() -> Result<usize, Box<dyn std::error::Error>>| {
        let mut best = Duration::MAX;
        let mut n = 0;
        for _ in 0..5 {
            let start = Instant::now();
            n = f()?;
            best = best.min(start.elapsed());
        }
        Ok::<_, Box<dyn std::error::Error>>((best, n))
    };
    for (eco, name, release) in [
        (Ecosystem::Debian, "linux", "Debian:12"),
        (Ecosystem::Debian, "glibc", "Debian:12"),
    ] {
        let (full, n) = best(&mut || Ok(db.advisories(eco, name)?.len()))?;
        let (selected, total) = best(&mut || {
            Ok(db
                .advisories_selected(eco, name, |e| e == release, |_| false)?
                .total)
        })?;
        println!(
            "decode `{name}`: {n} advisories, full {full:.2?}, selected ({release}, none wanted) {selected:.2?} of {total}"
        );
    }
    let start = Instant::now();
    let packed = kevgate::db::pack::pack(db)?;
    let pack_time = start.elapsed();
    let start = Instant::now();
    let unpacked = kevgate::db::pack::unpack(packed.clone(), u64::MAX)?;
    println!(
        "pack: {} -> {} bytes in {pack_time:.2?}; unpack {:.2?} ({} bytes)",
        unpacked.len(),
        packed.len(),
        start.elapsed(),
        unpacked.len()
    );
    Ok(())
}

/// Where the time of the biggest package goes: decompressing vs decoding.
fn split_cost(bytes: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    use kevgate::db::format::{Source, Table, read_header};
    let source = Source::from(bytes);
    let header = read_header(&source)?;
    let (table, _) =
        Table::read(&source, header.manifest.end as u64, header.version).map_err(|e| e.0)?;
    let mut best = (Duration::MAX, Duration::MAX, 0);
    for _ in 0..5 {
        let (raw, (_, inflate)) = timed(|| table.get(&source, b"Debian/linux"));
        let Some(raw) = raw.map_err(|e| e.0)? else {
            return Ok(());
        };
        let (parsed, (_, decode)) =
            timed(|| kevgate::db::codec::decode(&raw, kevgate::db::format::FORMAT_VERSION));
        parsed?;
        if inflate + decode < best.0.saturating_add(best.1) {
            best = (inflate, decode, raw.len());
        }
    }
    println!(
        "`Debian/linux`: {} bytes, inflate cpu {:.2?}, decode cpu {:.2?}",
        best.2, best.0, best.1
    );
    Ok(())
}

struct Run {
    counts: String,
    load: (Duration, Duration),
    packages: (Duration, Duration),
    cves: (Duration, Duration),
    advisories: usize,
    slowest: (&'static str, Duration),
    hits: String,
    total_cpu: Duration,
}

fn cpu() -> Duration {
    let text = fs_err::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Duration::from_nanos(ns)
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, (Duration, Duration)) {
    let (w, c) = (Instant::now(), cpu());
    let out = f();
    (out, (w.elapsed(), cpu() - c))
}

fn run_once(bytes: Vec<u8>, cves: &[String]) -> Result<Run, Box<dyn std::error::Error>> {
    let (db, load) = timed(|| VulnDb::from_bytes(bytes));
    let db = db?;
    let mut slowest = ("", Duration::ZERO);
    let (advisories, packages) = timed(|| -> Result<usize, kevgate::db::DbError> {
        let mut n = 0;
        for (eco, name) in PACKAGES {
            let (found, (w, c)) = timed(|| db.advisories(*eco, name));
            let found = found?;
            if std::env::var_os("KEVGATE_BENCH_VERBOSE").is_some() {
                println!("  {eco:?}/{name}: {} advisories, wall {w:.2?}", found.len());
            }
            n += found.len();
            if c > slowest.1 {
                slowest = (name, c);
            }
        }
        Ok(n)
    });
    let advisories = advisories?;
    let (hits, cve_time) = timed(|| {
        let (mut nvd, mut kev, mut epss) = (0, 0, 0);
        for cve in cves {
            nvd += usize::from(matches!(db.nvd(cve), Ok(Some(_))));
            kev += usize::from(matches!(db.kev(cve), Ok(Some(_))));
            epss += usize::from(matches!(db.epss(cve), Ok(Some(_))));
        }
        format!("nvd {nvd}, kev {kev}, epss {epss} hits")
    });
    Ok(Run {
        counts: format!("{:?}", db.counts()),
        load,
        packages,
        cves: cve_time,
        advisories,
        slowest,
        hits,
        total_cpu: load.1 + packages.1 + cve_time.1,
    })
}

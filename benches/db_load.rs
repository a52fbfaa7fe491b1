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
use std::time::Instant;

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

    let start = Instant::now();
    let db = VulnDb::from_bytes(bytes)?;
    let load = start.elapsed();

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
    let t = Instant::now();
    let mut advisories = 0;
    let mut biggest = ("", 0);
    for (eco, name) in PACKAGES {
        let q = Instant::now();
        advisories += db.advisories(*eco, name)?.len();
        let us = q.elapsed().as_micros();
        if us > biggest.1 {
            biggest = (name, us);
        }
    }
    let adv_time = t.elapsed();
    let t = Instant::now();
    let (mut nvd, mut kev, mut epss) = (0, 0, 0);
    for cve in &cves {
        nvd += usize::from(db.nvd(cve).is_some());
        kev += usize::from(db.kev(cve).is_some());
        epss += usize::from(db.epss(cve).is_some());
    }
    let cve_time = t.elapsed();
    let queries = PACKAGES.len() + 3 * cves.len();
    println!("db: {size} bytes, {:?}", db.counts());
    println!("from_bytes: {load:.2?}");
    println!(
        "{} package queries: {adv_time:.2?} ({advisories} advisories; slowest `{}` {} us)",
        PACKAGES.len(),
        biggest.0,
        biggest.1
    );
    println!(
        "{} CVE queries: {cve_time:.2?} (nvd {nvd}, kev {kev}, epss {epss} hits)",
        3 * cves.len()
    );
    println!(
        "total, load + {queries} queries: {:.2?}",
        load + adv_time + cve_time
    );
    Ok(())
}

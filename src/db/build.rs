//! `kevgate db build`: reads the feeds as published (OSV JSON/JSONL/zip, NVD API 2.0 and
//! 1.1 feeds, KEV JSON, EPSS CSV; plain, `.gz` or `.zip`) into a database file.
//!
//! Merging rules, all deterministic (inputs are walked in sorted order, every collection is a
//! `BTreeMap`, so the same inputs and `built_at` give the same bytes):
//! - OSV: deduplicated by id, the newest `modified` wins (ties: the first read). Each record
//!   is stored under every package it affects (`"<ecosystem>/<normalised name>"`), each copy
//!   keeping only that package's `affected` entries. Entries of ecosystems kevgate does not
//!   match ([`Ecosystem::from_osv`] is `None`) are dropped and counted; a record left with
//!   no entry is not stored.
//! - NVD: by CVE, the newest `lastModified` wins.
//! - KEV: the union of the catalogs; per CVE the entry of the newest `dateReleased` wins.
//! - EPSS: per CVE the score of the newest `score_date` wins (undated files count as oldest).
//! - JVN: by JVNDB id, the newest `dcterms:modified` / `DateLastUpdated` wins (ties: the
//!   first read); each entry is then stored under every CVE it names (a CVE keeps all its
//!   entries, sorted by id). Entries naming no CVE are counted, not stored.
//! - Scope ([`BuildInputs::cve_scope`]): with [`CveScope::Referenced`], NVD, EPSS and JVN records
//!   are kept only for the CVEs a stored OSV advisory ([`Advisory::cves`]) or a KEV entry
//!   names; the source's `records` count what was kept, its `data_date` what was read.
//!
//! Input files: within a directory, files of a type the feed is never published as are
//! skipped with a warning ([`BuildStats::warnings`]), as are recognisable files of other
//! formats (Alpine secdb, Ubuntu tracker, CVE 5, JSON schemas); a `.json` that is not the
//! feed's format is an error.

use crate::db::codec;
use crate::db::feeds::{self, Doc, DocKind, InputFile, Outcome, Part};
use crate::db::format::{self, Codec};
use crate::db::model::{Advisory, Affected, CveScope, JvnEntry, KevEntry, Manifest, SourceInfo};
use crate::db::{DbError, EpssScore, encode_epss, package_key};
use crate::purl::Ecosystem;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

/// The block codec of the tables that compress (all but EPSS's fixed 16-byte scores).
const COMPRESSED: Codec = Codec::Zstd;

/// Documents go to the parsing threads in batches of about this many bytes (a JSON-lines
/// document cut into parts of this size): 600k `all.zip` members of a few KB each, or one
/// `.jsonl` of 380 MB, spread evenly, each hand-over costing nothing next to its parse.
const BATCH_BYTES: usize = 1 << 20;
/// Bytes of documents read but not yet merged, at most (`parallel::pipeline`'s budget): 32
/// batches, or four NVD API pages of ~7 MB, keep the workers busy; a document larger than this
/// (an NVD 1.1 yearly feed of ~65 MB, or one at `KEVGATE_MAX_ENTRY_BYTES`) is parsed alone, so
/// a feed of maximum-size documents holds one being parsed and the next being read, not one
/// per core (docs/security.md). 16 MiB measured ~4% slower at full size.
const IN_FLIGHT_BYTES: usize = 32 << 20;

/// A document, or a part of a JSON-lines one, on its way to a parsing thread.
struct Piece {
    /// Which document of the source it is (parts of one document share it), from 1.
    index: usize,
    doc: Doc,
    part: Part,
}

/// The inputs of a build: each a file or a directory (read recursively).
#[derive(Debug, Clone, Default)]
pub struct BuildInputs {
    /// CISA KEV catalogs.
    pub kev: Vec<PathBuf>,
    /// NVD CVE records.
    pub nvd: Vec<PathBuf>,
    /// OSV records.
    pub osv: Vec<PathBuf>,
    /// EPSS CSVs.
    pub epss: Vec<PathBuf>,
    /// JVN iPedia documents (MyJVN API pages, RSS and VULDEF feeds). None given: the
    /// database has no JVN table (and the bytes of a build without JVN do not change).
    pub jvn: Vec<PathBuf>,
    /// Which CVEs to keep NVD and EPSS records for (recorded in the manifest).
    pub cve_scope: CveScope,
    /// Caps on decompression (per document, per input file).
    pub limits: feeds::Limits,
}

/// What a build read and kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildStats {
    /// OSV records read (duplicates included).
    pub osv_read: u64,
    /// OSV records replaced by (or losing to) another copy with the same id.
    pub osv_duplicates: u64,
    /// Distinct OSV advisories stored.
    pub osv_advisories: u64,
    /// `affected` entries dropped because kevgate does not match their ecosystem.
    pub osv_unknown_ecosystem_entries: u64,
    /// OSV records not stored because no `affected` entry was left.
    pub osv_unindexed: u64,
    /// Distinct package keys.
    pub packages: u64,
    /// NVD records read (duplicates included).
    pub nvd_read: u64,
    /// Distinct NVD records stored.
    pub nvd_records: u64,
    /// Distinct KEV entries stored.
    pub kev_entries: u64,
    /// Distinct EPSS scores stored.
    pub epss_scores: u64,
    /// NVD records left out by [`CveScope::Referenced`].
    pub nvd_out_of_scope: u64,
    /// EPSS scores left out by [`CveScope::Referenced`].
    pub epss_out_of_scope: u64,
    /// JVN entries read (duplicates included).
    pub jvn_read: u64,
    /// Distinct JVN entries (JVNDB ids) kept.
    pub jvn_entries: u64,
    /// JVN entries that name no CVE (not stored: kevgate joins JVN by CVE).
    pub jvn_without_cve: u64,
    /// CVEs with JVN entries stored.
    pub jvn_cves: u64,
    /// JVN CVEs left out by [`CveScope::Referenced`].
    pub jvn_out_of_scope: u64,
    /// Files skipped, one line each (`` `path`: why ``).
    pub warnings: Vec<String>,
}

/// Builds a database file from `inputs`; `built_at` is recorded in the manifest.
pub fn build(inputs: &BuildInputs, built_at: jiff::Timestamp) -> Result<Vec<u8>, DbError> {
    build_with_stats(inputs, built_at).map(|(bytes, _)| bytes)
}

/// [`build`], also returning what was read and kept.
pub fn build_with_stats(
    inputs: &BuildInputs,
    built_at: jiff::Timestamp,
) -> Result<(Vec<u8>, BuildStats), DbError> {
    build_batched(inputs, built_at, BATCH_BYTES)
}

/// [`build_with_stats`] with documents handed to the parsing threads in batches of about
/// `batch` bytes (tests: every batch size gives the same bytes, stats and errors; `usize::MAX`
/// is one batch, parsed in order on one thread).
pub(super) fn build_batched(
    inputs: &BuildInputs,
    built_at: jiff::Timestamp,
    batch: usize,
) -> Result<(Vec<u8>, BuildStats), DbError> {
    let mut stats = BuildStats::default();
    let mut sources = Vec::new();

    // KEV
    let mut kev: BTreeMap<String, (String, KevEntry)> = BTreeMap::new();
    let mut kev_date: Option<String> = None;
    if let Some(mut src) = Source::open("kev", &inputs.kev, inputs.limits)? {
        src.each(&mut stats, |doc, _| {
            let (outcome, catalog) = feeds::kev::parse(doc)?;
            if let Some(c) = catalog {
                let key = c
                    .date_released
                    .as_deref()
                    .map(feeds::time_key)
                    .unwrap_or_default();
                if let Some(d) = c.date_released.as_deref().and_then(feeds::date_of) {
                    kev_date = kev_date.take().max(Some(d));
                }
                for e in c.entries {
                    match kev.get(&e.cve_id) {
                        Some((old, _)) if *old >= key => {}
                        _ => {
                            kev.insert(e.cve_id.clone(), (key.clone(), e));
                        }
                    }
                }
            }
            Ok(outcome)
        })?;
        stats.kev_entries = kev.len() as u64;
        sources.push(src.info(kev_date.clone(), stats.kev_entries));
    }

    // OSV
    // By id, the newest copy, already split over its packages and encoded: the parsed record
    // is dropped as soon as it is read (issue 14: 600k records held as structs took 6.75 GB).
    let mut osv: BTreeMap<String, OsvEntry> = BTreeMap::new();
    let mut osv_date: Option<String> = None;
    let mut osv_read = 0;
    let mut osv_duplicates = 0;
    // The advisory table, written as soon as OSV is read: its lists are made one at a time
    // and dropped once in their block, before NVD is read (issue 14: ≤ 2 GiB at full size).
    let mut advisory_table = None;
    // The CVEs the stored advisories name (only collected for `CveScope::Referenced`).
    let mut referenced: BTreeSet<String> = BTreeSet::new();
    // OSV is read before NVD (warnings keep the documented order, below): with
    // `CveScope::Referenced` the CVEs it names decide which NVD and EPSS records are kept as
    // they are read, instead of holding every record until the end (issue 14).
    let osv_warnings = stats.warnings.len();
    if let Some(mut src) = Source::open("osv", &inputs.osv, inputs.limits)? {
        let with_cves = inputs.cve_scope == CveScope::Referenced;
        // Parsed, split and encoded on the workers; deduplicated here, in input order.
        let parse = |doc: &Doc, part: Part, out: &mut Vec<OsvRead>| {
            let mut each = |a: Advisory| out.push(OsvRead::new(a, with_cves));
            match doc.kind {
                DocKind::Jsonl => feeds::osv::parse_lines(doc, part, &mut each),
                _ => feeds::osv::parse(doc, &mut each),
            }
        };
        src.each_parallel(&mut stats, true, batch, parse, |r: OsvRead| {
            osv_read += 1;
            if let Some(d) = r.date {
                osv_date = osv_date.take().max(Some(d));
            }
            let newer = match osv.get(&r.id) {
                Some(old) => {
                    osv_duplicates += 1;
                    old.time < r.entry.time
                }
                None => true,
            };
            if newer {
                osv.insert(r.id, r.entry);
            }
        })?;
        stats.osv_read = osv_read;
        stats.osv_duplicates = osv_duplicates;
        let packages = index_packages(std::mem::take(&mut osv), &mut referenced, &mut stats);
        let lists = packages
            .into_iter()
            .map(|(key, copies)| (key, list(copies)));
        advisory_table = Some(
            format::write_table_from(format::FORMAT_VERSION, lists, COMPRESSED)
                .map_err(|e| DbError::Format(e.0))?,
        );
        sources.push(src.info(osv_date.clone(), stats.osv_advisories));
    }

    let scoped = inputs.cve_scope == CveScope::Referenced;
    if scoped {
        referenced.extend(kev.keys().map(|c| c.to_ascii_uppercase()));
    }

    // NVD
    // Per CVE: (time key, the record as stored). The record is encoded as soon as it wins,
    // so the parsed struct is dropped at once (issue 14: bounded memory at full size).
    let mut nvd: BTreeMap<String, (String, Vec<u8>)> = BTreeMap::new();
    let mut nvd_error = None;
    let mut nvd_date: Option<String> = None;
    let mut nvd_read = 0;
    // Distinct CVEs left out by the scope.
    let mut nvd_skipped: HashSet<String> = HashSet::new();
    let nvd_warnings = stats.warnings.len();
    if let Some(mut src) = Source::open("nvd", &inputs.nvd, inputs.limits)? {
        // Parsed, scoped and encoded on the workers; deduplicated here, in input order.
        let referenced = &referenced;
        let parse = |doc: &Doc, _: Part, out: &mut Vec<NvdRead>| {
            feeds::nvd::parse(doc, &mut |p| {
                let time = p.last_modified.as_deref().map(feeds::time_key);
                let id = p.record.id.to_ascii_uppercase();
                let kept = (!scoped || referenced.contains(&id))
                    .then(|| (time.unwrap_or_default(), to_json(&p.record)));
                out.push(NvdRead {
                    date: p.last_modified.as_deref().and_then(feeds::date_of),
                    id,
                    kept,
                });
            })
        };
        src.each_parallel(&mut stats, false, batch, parse, |r: NvdRead| {
            nvd_read += 1;
            if let Some(d) = r.date {
                nvd_date = nvd_date.take().max(Some(d));
            }
            let Some((key, record)) = r.kept else {
                nvd_skipped.insert(r.id);
                return;
            };
            match nvd.get(&r.id) {
                Some((old, _)) if *old >= key => {}
                _ => match record {
                    Ok(bytes) => {
                        nvd.insert(r.id, (key, bytes));
                    }
                    Err(e) => nvd_error = nvd_error.take().or(Some(e)),
                },
            }
        })?;
        if let Some(e) = nvd_error {
            return Err(e);
        }
        stats.nvd_read = nvd_read;
        stats.nvd_records = nvd.len() as u64;
        sources.push(src.info(nvd_date.clone(), stats.nvd_records));
    }

    // NVD's warnings before OSV's, as the inputs are documented.
    stats.warnings[osv_warnings..].rotate_left(nvd_warnings - osv_warnings);

    // EPSS
    let mut epss: BTreeMap<String, (String, EpssScore)> = BTreeMap::new();
    let mut epss_date: Option<String> = None;
    let mut epss_skipped: HashSet<String> = HashSet::new();
    if let Some(mut src) = Source::open("epss", &inputs.epss, inputs.limits)? {
        src.each(&mut stats, |doc, _| {
            let (outcome, scores) = feeds::epss::parse(doc)?;
            if let Some(s) = scores {
                let key = s
                    .score_date
                    .as_deref()
                    .map(feeds::time_key)
                    .unwrap_or_default();
                if let Some(d) = s.score_date.as_deref().and_then(feeds::date_of) {
                    epss_date = epss_date.take().max(Some(d));
                }
                for (cve, score) in s.scores {
                    if scoped && !referenced.contains(&cve) {
                        epss_skipped.insert(cve);
                        continue;
                    }
                    match epss.get(&cve) {
                        Some((old, _)) if *old >= key => {}
                        _ => {
                            epss.insert(cve, (key.clone(), score));
                        }
                    }
                }
            }
            Ok(outcome)
        })?;
        stats.epss_scores = epss.len() as u64;
        sources.push(src.info(epss_date, stats.epss_scores));
    }

    // JVN
    let jvn_source = read_jvn(&inputs.jvn, inputs.limits, &mut stats)?;
    let mut jvn = match jvn_source {
        Some((info, by_cve)) => {
            sources.push(info);
            Some(by_cve)
        }
        None => None,
    };

    // The manifest lists the sources in one order, whatever order they were read in.
    let rank = |name: &str| {
        ["kev", "nvd", "osv", "epss", "jvn"]
            .iter()
            .position(|n| *n == name)
    };
    sources.sort_by_key(|s| rank(&s.name));
    if scoped {
        stats.nvd_out_of_scope = nvd_skipped.len() as u64;
        stats.epss_out_of_scope = epss_skipped.len() as u64;
        if let Some(jvn) = jvn.as_mut() {
            let before = jvn.len();
            jvn.retain(|cve, _| referenced.contains(cve));
            stats.jvn_out_of_scope = (before - jvn.len()) as u64;
            stats.jvn_cves = jvn.len() as u64;
        }
        for source in &mut sources {
            match source.name.as_str() {
                "nvd" => source.records = stats.nvd_records,
                "epss" => source.records = stats.epss_scores,
                "jvn" => source.records = stats.jvn_cves,
                _ => {}
            }
        }
    }

    let manifest = Manifest {
        format_version: format::FORMAT_VERSION,
        built_at: built_at.to_string(),
        sources,
        cve_scope: inputs.cve_scope,
    };
    let fmt = |e: format::FormatError| DbError::Format(e.0);
    // Each table is written, and its entries dropped, before the next is gathered.
    let advisory_table = match advisory_table {
        Some(table) => table,
        None => format::write_table(&[], COMPRESSED).map_err(fmt)?,
    };
    let nvd_entries = nvd.into_iter().map(|(k, (_, r))| (k, r));
    let nvd_table =
        format::write_table_from(format::FORMAT_VERSION, nvd_entries, COMPRESSED).map_err(fmt)?;
    let kev_entries = kev
        .into_iter()
        .map(|(k, (_, r))| Ok((k, to_json(&r)?)))
        .collect::<Result<Vec<_>, DbError>>()?;
    let epss_entries: Vec<_> = epss
        .into_iter()
        .map(|(k, (_, s))| (k, encode_epss(&s)))
        .collect();
    let mut tables = vec![
        advisory_table,
        nvd_table,
        format::write_table(&kev_entries, COMPRESSED).map_err(fmt)?,
        format::write_table(&epss_entries, Codec::Raw).map_err(fmt)?,
    ];
    // The JVN table only when JVN was an input: a database without it keeps the 4-table
    // layout byte for byte (format.rs).
    if let Some(jvn) = jvn {
        let jvn_entries = jvn
            .into_iter()
            .map(|(k, entries)| Ok((k, to_json(&entries)?)))
            .collect::<Result<Vec<_>, DbError>>()?;
        tables.push(format::write_table(&jvn_entries, COMPRESSED).map_err(fmt)?);
    }
    let bytes = format::write_file(&to_json(&manifest)?, &tables).map_err(fmt)?;
    Ok((bytes, stats))
}

/// Reads the JVN inputs: the manifest entry and, per CVE, its entries sorted by JVNDB id.
/// `None` when no JVN input was given.
#[allow(clippy::type_complexity)]
fn read_jvn(
    roots: &[PathBuf],
    limits: feeds::Limits,
    stats: &mut BuildStats,
) -> Result<Option<(SourceInfo, BTreeMap<String, Vec<JvnEntry>>)>, DbError> {
    let Some(mut src) = Source::open("jvn", roots, limits)? else {
        return Ok(None);
    };
    // By JVNDB id: (time key, entry, its CVEs).
    let mut by_id: BTreeMap<String, (String, JvnEntry, Vec<String>)> = BTreeMap::new();
    let mut date: Option<String> = None;
    let mut read = 0;
    src.each(stats, |doc, _| {
        let (outcome, parsed) = feeds::jvn::parse(doc)?;
        for p in parsed {
            read += 1;
            let modified = p.entry.modified.as_deref();
            let key = modified.map(feeds::time_key).unwrap_or_default();
            if let Some(d) = modified.and_then(feeds::date_of) {
                date = date.take().max(Some(d));
            }
            match by_id.get(&p.entry.id) {
                Some((old, _, _)) if *old >= key => {}
                _ => {
                    by_id.insert(p.entry.id.clone(), (key, p.entry, p.cves));
                }
            }
        }
        Ok(outcome)
    })?;
    let mut by_cve: BTreeMap<String, Vec<JvnEntry>> = BTreeMap::new();
    for (_, entry, cves) in by_id.values() {
        if cves.is_empty() {
            stats.jvn_without_cve += 1;
        }
        for cve in cves {
            by_cve.entry(cve.clone()).or_default().push(entry.clone());
        }
    }
    stats.jvn_read = read;
    stats.jvn_entries = by_id.len() as u64;
    stats.jvn_cves = by_cve.len() as u64;
    Ok(Some((src.info(date, stats.jvn_cves), by_cve)))
}

/// What a worker made of a [`Piece`]: its records, or the document's error.
struct Parsed<R> {
    /// [`Piece::index`].
    index: usize,
    /// The document's name (for the warning when it is skipped).
    name: String,
    result: Result<(Outcome, Vec<R>), DbError>,
}

/// One OSV record as a worker leaves it for the merge: its id, the date of its `modified`,
/// and its copies encoded.
struct OsvRead {
    id: String,
    date: Option<String>,
    entry: OsvEntry,
}

impl OsvRead {
    fn new(advisory: Advisory, with_cves: bool) -> OsvRead {
        let modified = advisory.modified.as_deref();
        let time = modified.map(feeds::time_key).unwrap_or_default();
        OsvRead {
            id: advisory.id.clone(),
            date: modified.and_then(feeds::date_of),
            entry: OsvEntry::split(advisory, time, with_cves),
        }
    }
}

/// One NVD record as a worker leaves it for the merge: its CVE (upper case), the date of its
/// `lastModified`, and unless the scope leaves it out, its time key and stored JSON.
struct NvdRead {
    id: String,
    date: Option<String>,
    kept: Option<(String, Result<Vec<u8>, DbError>)>,
}

/// The newest copy of one OSV record: split over the packages it affects, each copy keeping
/// only that package's `affected` entries, each encoded alone (`codec::encode` of a one-item
/// list without its count, so copies concatenate under a count later).
struct OsvEntry {
    /// [`feeds::time_key`] of its `modified`.
    time: String,
    /// `affected` entries of ecosystems kevgate does not match.
    unknown_entries: u64,
    /// (package key, encoded advisory), by key.
    copies: Vec<(String, Vec<u8>)>,
    /// The CVEs it names (collected for [`CveScope::Referenced`] only).
    cves: Vec<String>,
}

impl OsvEntry {
    fn split(mut advisory: Advisory, time: String, with_cves: bool) -> OsvEntry {
        let mut unknown_entries = 0;
        let mut by_key: BTreeMap<String, Vec<Affected>> = BTreeMap::new();
        for a in std::mem::take(&mut advisory.affected) {
            match Ecosystem::from_osv(&a.ecosystem) {
                Some((eco, _)) => by_key.entry(package_key(eco, &a.name)).or_default().push(a),
                None => unknown_entries += 1,
            }
        }
        let cves = match with_cves && !by_key.is_empty() {
            true => advisory.cves().collect(),
            false => Vec::new(),
        };
        let copies = by_key
            .into_iter()
            .map(|(key, affected)| {
                advisory.affected = affected;
                let one = codec::encode(std::slice::from_ref(&advisory));
                // A one-item list is the count 1 (one varint byte) and the advisory.
                debug_assert_eq!(one.first(), Some(&1));
                (key, one[1..].to_vec())
            })
            .collect();
        OsvEntry {
            time,
            unknown_entries,
            copies,
            cves,
        }
    }
}

/// Gathers the stored advisories per package key, in id order, as encoded copies (made into
/// lists by [`list`]); adds the CVEs they name to `referenced`.
fn index_packages(
    osv: BTreeMap<String, OsvEntry>,
    referenced: &mut BTreeSet<String>,
    stats: &mut BuildStats,
) -> BTreeMap<String, Vec<Vec<u8>>> {
    let mut packages: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for (_, entry) in osv {
        stats.osv_unknown_ecosystem_entries += entry.unknown_entries;
        if entry.copies.is_empty() {
            stats.osv_unindexed += 1;
            continue;
        }
        stats.osv_advisories += 1;
        referenced.extend(entry.cves);
        for (key, bytes) in entry.copies {
            packages.entry(key).or_default().push(bytes);
        }
    }
    stats.packages = packages.len() as u64;
    packages
}

/// One package's encoded list (`count advisory*`, what [`codec::encode`] writes for the list)
/// from its encoded copies, concatenated once their total is known: appending to one growing
/// buffer per key left up to half of each buffer unused (at 600k records, hundreds of MB).
fn list(copies: Vec<Vec<u8>>) -> Vec<u8> {
    let len = copies.iter().map(Vec::len).sum::<usize>();
    let mut list = Vec::with_capacity(len + 10);
    varint(&mut list, copies.len() as u64);
    for copy in copies {
        list.extend_from_slice(&copy);
    }
    list
}

/// An unsigned LEB128 varint, as `codec` writes counts.
fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, DbError> {
    serde_json::to_vec(value).map_err(|e| DbError::Format(format!("cannot encode a record: {e}")))
}

/// The files of one source kind, and the hash over their bytes.
struct Source {
    name: &'static str,
    files: Vec<InputFile>,
    hasher: Sha256,
    limits: feeds::Limits,
}

impl Source {
    /// `None` when no input of this kind was given.
    fn open(
        name: &'static str,
        roots: &[PathBuf],
        limits: feeds::Limits,
    ) -> Result<Option<Source>, DbError> {
        if roots.is_empty() {
            return Ok(None);
        }
        let mut files = Vec::new();
        for root in roots {
            files.extend(feeds::walk(root)?);
        }
        Ok(Some(Source {
            name,
            files,
            hasher: Sha256::new(),
            limits,
        }))
    }

    /// Hands every document to `parse`, recording skipped ones as warnings.
    fn each(
        &mut self,
        stats: &mut BuildStats,
        mut parse: impl FnMut(&Doc, &InputFile) -> Result<Outcome, DbError>,
    ) -> Result<(), DbError> {
        for file in &self.files {
            feeds::open(file, &self.limits, &mut self.hasher, |doc| {
                if let Outcome::Skipped(why) = parse(&doc, file)? {
                    stats
                        .warnings
                        .push(format!("skipped {} input `{}`: {why}", self.name, doc.name));
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    /// [`Source::each`] on several threads (issue 14: the build was one core's parse of
    /// 600k records). The documents are read here, on a thread of their own, and handed in
    /// batches of about `batch_bytes` (JSON-lines documents cut into parts of whole lines of
    /// that size when `split`) to workers
    /// that `parse` them into records; `merge` gets the records on the calling thread in
    /// input order, so the result is the sequential one byte for byte, and the error is the
    /// first in input order (a document skipped as another format drops its later parts,
    /// whose errors the sequential parse never met).
    fn each_parallel<R: Send>(
        &mut self,
        stats: &mut BuildStats,
        split: bool,
        batch_bytes: usize,
        parse: impl Fn(&Doc, Part, &mut Vec<R>) -> Result<Outcome, DbError> + Sync,
        mut merge: impl FnMut(R),
    ) -> Result<(), DbError> {
        let Source {
            name,
            files,
            hasher,
            limits,
        } = self;
        let (name, limits, files) = (*name, *limits, &*files);
        let mut skipped_doc = None;
        crate::parallel::pipeline(
            IN_FLIGHT_BYTES,
            |send: &mut dyn FnMut(Vec<Piece>, usize) -> bool| {
                let mut batch = Vec::new();
                let mut bytes = 0;
                let mut push = |doc: Doc, part: Part, index: usize| {
                    bytes += doc.bytes.len();
                    batch.push(Piece { index, doc, part });
                    // `send` fails only when the merge failed: its error is the build's.
                    if bytes >= batch_bytes
                        && !send(std::mem::take(&mut batch), std::mem::take(&mut bytes))
                    {
                        return Err(DbError::Format("the build stopped".into()));
                    }
                    Ok(())
                };
                let mut index = 0;
                for file in files {
                    feeds::open(file, &limits, hasher, |doc| {
                        index += 1;
                        match split && doc.kind == DocKind::Jsonl {
                            true => feeds::split_lines(doc, batch_bytes, |d, p| push(d, p, index)),
                            false => push(doc, Part::WHOLE, index),
                        }
                    })?;
                }
                if !batch.is_empty() {
                    send(batch, bytes);
                }
                Ok(())
            },
            |batch: Vec<Piece>| {
                let mut out = Vec::with_capacity(batch.len());
                for Piece { index, doc, part } in batch {
                    let mut records = Vec::new();
                    let result = parse(&doc, part, &mut records).map(|o| (o, records));
                    let failed = result.is_err();
                    out.push(Parsed {
                        index,
                        name: doc.name,
                        result,
                    });
                    if failed {
                        break;
                    }
                }
                out
            },
            |parsed: Vec<Parsed<R>>| {
                for Parsed {
                    index,
                    name: doc_name,
                    result,
                } in parsed
                {
                    if skipped_doc == Some(index) {
                        continue;
                    }
                    match result? {
                        (Outcome::Skipped(why), _) => {
                            skipped_doc = Some(index);
                            stats
                                .warnings
                                .push(format!("skipped {name} input `{doc_name}`: {why}"));
                        }
                        (Outcome::Read(_), records) => records.into_iter().for_each(&mut merge),
                    }
                }
                Ok(())
            },
        )
    }

    fn info(self, data_date: Option<String>, records: u64) -> SourceInfo {
        SourceInfo {
            name: self.name.to_string(),
            data_date,
            records,
            sha256: hex(&self.hasher.finalize()),
            files: self.files.into_iter().map(|f| f.display).collect(),
        }
    }
}

/// Bytes as lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

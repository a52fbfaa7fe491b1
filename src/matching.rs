//! Sbom x VulnDb -> [`Matches`]: which vulnerabilities affect which components.
//!
//! For each component: purl -> [`PackageId`], the database's advisories for that package,
//! OSV range evaluation in the ecosystem's version order. Advisories that are the same
//! vulnerability (shared ids through `aliases`) become one [`Match`]; a distro advisory (DSA,
//! DLA, RHSA, ALSA, RLSA, ...) stands for each CVE it lists in `related`, so it merges with
//! the per-CVE records and every CVE reaches KEV, NVD and EPSS. Vulnerabilities the SBOM
//! itself embeds (trivy `vulnerabilities[]`) join the same groups, or stand alone when the
//! database does not know them.
//!
//! What could not be checked is never dropped silently: a component without a usable purl,
//! an ecosystem without data, a version that does not parse each become a [`Note`].
//! Enrichment (CVSS, KEV, EPSS) is `enrich.rs`'s job; the verdict is `policy.rs`'s.

mod groups;
mod units;

use crate::db::{Advisory, DbError, Malware, VulnDb};
use crate::note::{Note, NoteCode};
use crate::purl::{self, Ecosystem, FixChannel, IdentifyError, PackageId, Purl, RhelStream};
use crate::sbom::{Component, Sbom};
use crate::text;
use crate::version::{self, Event, Version};
use crate::vuln_id::IdKind;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use units::{Unit, fix_channel, merge_units, units_of};

/// The result of matching: one entry per (component, vulnerability) and notes for
/// components that could not be checked.
#[derive(Debug, Clone, Default)]
pub struct Matches {
    /// Matches, sorted by component index then id.
    pub matches: Vec<Match>,
    /// Components without a usable purl, unsupported ecosystems, unparseable versions.
    pub notes: Vec<Note>,
}

/// One vulnerability affecting one component.
#[derive(Debug, Clone)]
pub struct Match {
    /// Index into [`Sbom::components`].
    pub component: usize,
    /// Every id of the vulnerability: the advisories' ids, their aliases, and for distro
    /// advisories the CVE they fix. Sorted, display precedence first (see [`id_rank`]).
    pub ids: Vec<String>,
    /// The advisories that matched (one vulnerability may come as a GHSA and a PYSEC).
    pub advisories: Vec<Arc<Advisory>>,
    /// Fixed versions from the matched affected entries, sorted in the ecosystem's order.
    pub fixed_versions: Vec<String>,
    /// Indices into [`Sbom::vulnerabilities`] that report the same vulnerability.
    pub sbom_vulnerabilities: Vec<usize>,
    /// The matched advisories' `affected` entries for the component's package (its
    /// ecosystem and release): what remediation checks a candidate upgrade against.
    pub affected: Vec<crate::db::Affected>,
    /// Where the fix comes from when only records of a paid stream matched (Ubuntu Pro
    /// (ESM), Red Hat ELS): the package is affected, and the fix is "available with" it.
    /// `None` when a record of the release's ordinary updates matched too.
    pub fix_channel: Option<FixChannel>,
}

/// Display precedence of an id, lower first: CVE, then GHSA, then the rest, distribution
/// advisories last ([`IdKind::rank`]).
pub fn id_rank(id: &str) -> (u8, &str) {
    (IdKind::of(id).rank(), id)
}

/// Whether an id names a CVE.
pub fn is_cve(id: &str) -> bool {
    IdKind::of(id) == IdKind::Cve
}

/// The name and version the database is searched by, and the ecosystem's version order.
#[derive(Debug, Clone)]
struct Query {
    package: PackageId,
    /// The name as indexed (source package for Debian/Ubuntu/Alpine), folded.
    key_name: String,
    /// The version to evaluate ranges against (source version for Debian/Ubuntu).
    version: String,
    /// For ecosystems whose advisories are keyed by the source package (Debian, Ubuntu,
    /// Alpine): whether the SBOM named one (trivy `SrcName`, SPDX `sourceInfo`, the purl's
    /// `upstream` qualifier). `None` elsewhere.
    source_named: Option<bool>,
}

/// Matches every component of `sbom` against `db`. `rhel_stream` is the Red Hat extended
/// stream the system is on (`--rhel-stream`), `None` for the main stream. A database record
/// that cannot be decoded is an error, never "no advisories": corruption must not read as a
/// clean package.
pub fn find(
    sbom: &Sbom,
    db: &VulnDb,
    rhel_stream: Option<&RhelStream>,
) -> Result<Matches, DbError> {
    let mut out = Matches::default();
    let mut unsupported: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // One finding per (purl, vulnerability): the same package found in two files is one
    // thing to fix, not two alerts.
    let mut seen_purls: crate::sbom::TextMap<&str, usize> = Default::default();
    let os = sbom.os.as_ref().map(|(n, v)| (n.as_str(), v.as_str()));

    let mut per_component: BTreeMap<usize, Vec<Unit>> = BTreeMap::new();
    let mut packages: HashMap<usize, PackageId, foldhash::fast::RandomState> = HashMap::default();
    let mut duplicate_of: HashMap<usize, usize> = HashMap::new();
    // Per component, the ids of malware reports that call themselves false positives.
    let mut withdrawn_malware: HashMap<usize, BTreeSet<String>> = HashMap::new();

    let mut queries: Vec<(usize, Query)> = Vec::new();
    let mut other_majors: BTreeSet<String> = BTreeSet::new();
    // Each component's purl parsed and identified on worker threads; what they found is taken
    // in component order, as one thread would have.
    let indices: Vec<usize> = (0..sbom.components.len()).collect();
    let prepared = crate::parallel::map_batches(&indices, 512, |batch| {
        batch
            .iter()
            .map(|&index| {
                let mut notes = Vec::new();
                let mut unsupported = BTreeMap::new();
                let query = query_for(
                    index,
                    &sbom.components[index],
                    os,
                    &mut notes,
                    &mut unsupported,
                );
                (query, notes, unsupported)
            })
            .collect::<Vec<_>>()
    });
    for (index, (query, notes, found)) in prepared.into_iter().flatten().enumerate() {
        let component = &sbom.components[index];
        out.notes.extend(notes);
        for (kind, examples) in found {
            unsupported.entry(kind).or_default().extend(examples);
        }
        let Some(mut query) = query else {
            continue;
        };
        if let (Some(stream), Ecosystem::RedHat) = (rhel_stream, query.package.ecosystem) {
            // A stream is one major release's; packages of another stay on the main stream.
            match query.package.release.as_deref() {
                Some(major) if major == stream.major() => {
                    query.package.rhel_stream = Some(stream.clone());
                }
                Some(major) => {
                    other_majors.insert(major.to_owned());
                }
                None => {}
            }
        }
        if let Some(purl) = &component.purl {
            if let Some(&first) = seen_purls.get(purl.as_str()) {
                duplicate_of.insert(index, first);
                continue;
            }
            seen_purls.insert(purl, index);
        }
        queries.push((index, query));
    }
    if let Some(note) = no_source_note(&queries) {
        out.notes.push(note);
    }

    // Read each package's advisories once, in key order (the database decompresses a block of
    // neighbouring keys at a time and keeps the last ones), decoding in full only those that
    // may affect one of the package's components; nothing is kept once its components are
    // matched. Packages are matched on worker threads, their outcomes taken in key order.
    // Sorted as references: a query is a few hundred bytes.
    let mut sorted: Vec<&(usize, Query)> = queries.iter().collect();
    sorted.sort_by(|(_, a), (_, b)| {
        (a.package.ecosystem.osv_name(), &a.key_name)
            .cmp(&(b.package.ecosystem.osv_name(), &b.key_name))
    });
    let mut groups: Vec<&[&(usize, Query)]> = Vec::new();
    let mut rest = sorted.as_slice();
    while let Some((_, first)) = rest.first().copied() {
        let same = rest
            .iter()
            .take_while(|(_, q)| {
                q.package.ecosystem == first.package.ecosystem && q.key_name == first.key_name
            })
            .count();
        let (group, tail) = rest.split_at(same);
        groups.push(group);
        rest = tail;
    }
    // Components an SBOM-embedded vulnerability names: their packages are kept for merging.
    let embedded: BTreeSet<usize> = sbom
        .vulnerabilities
        .iter()
        .flat_map(|v| &v.affects)
        .map(|ci| duplicate_of.get(ci).copied().unwrap_or(*ci))
        .collect();
    for outcome in groups::match_groups(&groups, sbom, db, &|index| embedded.contains(&index))? {
        out.notes.extend(outcome.notes);
        for matched in outcome.components {
            if !matched.false_positives.is_empty() {
                withdrawn_malware.insert(matched.index, matched.false_positives);
            }
            if let Some(package) = matched.package {
                packages.insert(matched.index, package);
            }
            if !matched.units.is_empty() {
                per_component.insert(matched.index, matched.units);
            }
        }
    }

    // Vulnerabilities the SBOM embeds join the component's units by id (except a malware
    // report the database knows to be a false positive: its note is already there).
    for (vi, vuln) in sbom.vulnerabilities.iter().enumerate() {
        for &ci in &vuln.affects {
            let ci = duplicate_of.get(&ci).copied().unwrap_or(ci);
            if withdrawn_malware
                .get(&ci)
                .is_some_and(|ids| ids.iter().any(|i| i.eq_ignore_ascii_case(&vuln.id)))
            {
                continue;
            }
            // `references[].id` name the same vulnerability (a `MAL-` report, the CVE of a
            // GHSA): they join KEV, NVD, EPSS and the malware rule like the id itself.
            let ids = std::iter::once(&vuln.id)
                .chain(
                    vuln.references
                        .iter()
                        .filter(|r| crate::vuln_id::is_vulnerability_id(r)),
                )
                .cloned()
                .collect();
            per_component.entry(ci).or_default().push(Unit {
                ids,
                advisories: Vec::new(),
                fixed: vuln.fixed_versions.clone(),
                sbom: vec![vi],
                channels: BTreeSet::new(),
            });
        }
    }

    // Each component's units merged and their fixes checked, on worker threads (results in
    // component order). One component at a time: a few (Debian's `linux` packages) carry
    // most of the work.
    let per_component: Vec<(usize, Vec<Unit>)> = per_component.into_iter().collect();
    for matches in crate::parallel::map_owned(per_component, 1, |(component, units)| {
        component_matches(component, units, packages.get(&component))
    }) {
        out.matches.extend(matches);
    }
    out.matches
        .sort_by(|a, b| (a.component, &a.ids[0]).cmp(&(b.component, &b.ids[0])));

    if let Some(stream) = rhel_stream.filter(|_| !other_majors.is_empty()) {
        out.notes.push(Note {
            code: NoteCode::UnusedRhelStream,
            message: format!(
                "the Red Hat stream `{stream}` is of RHEL {}, not of the SBOM's RHEL {}: its \
                 packages were checked against the main stream",
                stream.major(),
                other_majors.into_iter().collect::<Vec<_>>().join(", ")
            ),
            component: None,
        });
    }
    for warning in &sbom.warnings {
        out.notes.push(Note {
            code: NoteCode::SbomWarning,
            message: text::one_line(warning, 300).into_owned(),
            component: None,
        });
    }
    for (ty, examples) in unsupported {
        let count = examples.len();
        let shown: Vec<String> = examples.iter().take(3).cloned().collect();
        out.notes.push(Note {
            code: NoteCode::UnsupportedEcosystem,
            message: format!(
                "{count} component{} of {ty} not covered by the database (e.g. {})",
                if count == 1 { "" } else { "s" },
                shown.join(", ")
            ),
            component: None,
        });
    }
    out.notes
        .sort_by(|a, b| (a.code, &a.message).cmp(&(b.code, &b.message)));
    Ok(out)
}

/// One component's units merged into its [`Match`]es: ids in display order, fixed versions
/// that every advisory of the vulnerability agrees on, the package's affected entries.
fn component_matches(
    component: usize,
    units: Vec<Unit>,
    package: Option<&PackageId>,
) -> Vec<Match> {
    let mut out = Vec::new();
    // The bounds of the package's ranges, parsed once for all its fixed versions.
    let mut bounds = version::ParseCache::default();
    for unit in merge_units(units) {
        let mut ids: Vec<String> = unit.ids.into_iter().collect();
        ids.sort_by(|a, b| id_rank(a).cmp(&id_rank(b)));
        let mut fixed: Vec<String> = unit.fixed;
        fixed.sort();
        fixed.dedup();
        let mut affected = Vec::new();
        if let Some(package) = package {
            affected = unit
                .advisories
                .iter()
                .flat_map(|a| &a.affected)
                .filter(|e| package.osv_ecosystem_matches(&e.ecosystem))
                .cloned()
                .collect();
            let scheme = package.ecosystem.scheme();
            // Advisories of one vulnerability can disagree (RUSTSEC says 0.2.0 fixes,
            // GHSA says 0.2.0 is affected): a fix must be unaffected by every one.
            fixed.retain(|f| {
                let target = Version::parse(scheme, f);
                unit.advisories.iter().all(|a| {
                    a.affected
                        .iter()
                        .filter(|e| package.osv_ecosystem_matches(&e.ecosystem))
                        .all(|e| {
                            matches!(
                                version::affects_with(
                                    scheme,
                                    f,
                                    &target,
                                    &e.ranges,
                                    &e.versions,
                                    &mut bounds
                                ),
                                Ok(false)
                            )
                        })
                })
            });
            sort_versions(scheme, &mut fixed);
        }
        let mut advisories = unit.advisories;
        advisories.sort_by(|a, b| a.id.cmp(&b.id));
        advisories.dedup_by(|a, b| a.id == b.id);
        let mut sbom_vulnerabilities = unit.sbom;
        sbom_vulnerabilities.sort_unstable();
        sbom_vulnerabilities.dedup();
        let fix_channel = fix_channel(&unit.channels);
        out.push(Match {
            component,
            ids,
            advisories,
            fixed_versions: fixed,
            sbom_vulnerabilities,
            affected,
            fix_channel,
        });
    }
    out
}

/// A note when an SBOM lists Debian, Ubuntu or Alpine packages but names the source package
/// of none of them. Those distributions key their advisories by source package (`glibc`, not
/// `libc6`); producers name it only where it differs from the binary's (syft's `upstream`
/// qualifier) or always (trivy's `SrcName`), so a real system has some packages that name
/// one. None at all means the SBOM's format dropped it (CycloneDX 1.2 has no properties):
/// packages are then matched by their own name, and advisories of a differently named source
/// package cannot be found — fail closed with a note, never a silent pass.
fn no_source_note(queries: &[(usize, Query)]) -> Option<Note> {
    let keyed: Vec<&Query> = queries
        .iter()
        .map(|(_, q)| q)
        .filter(|q| q.source_named.is_some())
        .collect();
    if keyed.is_empty() || keyed.iter().any(|q| q.source_named == Some(true)) {
        return None;
    }
    let count = keyed.len();
    let shown: Vec<String> = keyed
        .iter()
        .take(3)
        .map(|q| format!("`{}`", text::one_line(&q.package.name, 80)))
        .collect();
    Some(Note {
        code: NoteCode::SbomWarning,
        message: format!(
            "the SBOM names the source package of none of its {count} {} package{} (e.g. {}): \
             they were matched by their own names, so advisories of any whose source package is \
             named differently (`glibc` for `libc6`) are missed; hint: write the SBOM with the source \
             packages (trivy's CycloneDX JSON or SPDX JSON, CycloneDX XML 1.3 or newer)",
            keyed[0].package.ecosystem.osv_name(),
            if count == 1 { "" } else { "s" },
            shown.join(", ")
        ),
        component: None,
    })
}

fn display_name(component: &Component) -> String {
    let name = component.purl.as_deref().unwrap_or(component.name.as_str());
    text::one_line(name, 200).into_owned()
}

/// Works out what to search for, or records why the component cannot be checked.
fn query_for(
    index: usize,
    component: &Component,
    os: Option<(&str, &str)>,
    notes: &mut Vec<Note>,
    unsupported: &mut BTreeMap<String, Vec<String>>,
) -> Option<Query> {
    let Some(raw) = component.purl.as_deref().filter(|p| !p.trim().is_empty()) else {
        // trivy's per-file aggregates (`package-lock.json`, `Pipfile.lock`) and the OS itself
        // are containers of packages, not packages.
        let aggregate = matches!(
            component.kind.as_str(),
            "operating-system" | "application" | "container" | "file" | "platform"
        ) && component.version.is_none();
        if !aggregate && component.kind != "operating-system" {
            notes.push(Note {
                code: NoteCode::UnidentifiedComponent,
                message: format!(
                    "`{}{}` has no purl and cannot be checked",
                    text::one_line(&component.name, 120),
                    component
                        .version
                        .as_deref()
                        .map(|v| format!("@{}", text::one_line(v, 60)))
                        .unwrap_or_default()
                ),
                component: Some(index),
            });
        }
        return None;
    };
    let parsed = match Purl::parse(raw) {
        Ok(p) => p,
        Err(e) => {
            notes.push(Note {
                code: NoteCode::UnidentifiedComponent,
                message: format!("`{}`: {e}", text::one_line(raw, 200)),
                component: Some(index),
            });
            return None;
        }
    };
    let package = match purl::identify(&parsed, os) {
        Ok(p) => p,
        Err(IdentifyError::UnsupportedType(ty)) => {
            unsupported
                .entry(format!("purl type `{}`", text::one_line(&ty, 40)))
                .or_default()
                .push(format!("`{}`", text::one_line(raw, 120)));
            return None;
        }
        Err(IdentifyError::UnsupportedDistro(d)) => {
            unsupported
                .entry(format!("distribution `{}`", text::one_line(&d, 40)))
                .or_default()
                .push(format!("`{}`", text::one_line(raw, 120)));
            return None;
        }
        Err(e @ IdentifyError::NoVersion) => {
            notes.push(Note {
                code: NoteCode::UnverifiedVersion,
                message: format!(
                    "`{}`: {e}, so it cannot be checked",
                    text::one_line(raw, 200)
                ),
                component: Some(index),
            });
            return None;
        }
    };
    let purl_version = parsed.version.clone().unwrap_or_default();
    let mut source_named = None;
    let (name, version) = match package.ecosystem {
        // Debian and Ubuntu advisories are keyed by the source package and its version.
        // trivy gives them as `SrcName`, `SrcEpoch`, `SrcVersion` (upstream part) and
        // `SrcRelease` (Debian revision); syft as the purl qualifier `upstream=name[@version]`.
        Ecosystem::Debian | Ecosystem::Ubuntu | Ecosystem::Alpine => {
            let (upstream_name, upstream_version) = match parsed.qualifier("upstream") {
                Some(u) => match u.split_once('@') {
                    Some((n, v)) => (Some(n.to_string()), Some(v.to_string())),
                    None => (Some(u.to_string()), None),
                },
                None => (None, None),
            };
            source_named = Some(component.trivy.src_name.is_some() || upstream_name.is_some());
            let name = component
                .trivy
                .src_name
                .as_deref()
                .map(str::to_owned)
                .or(upstream_name)
                .unwrap_or_else(|| package.name.clone());
            let version = match &component.trivy.src_version {
                Some(v) if package.ecosystem != Ecosystem::Alpine => {
                    let full = match component.trivy.src_release.as_deref() {
                        Some(r) if !r.is_empty() => format!("{v}-{r}"),
                        _ => v.to_string(),
                    };
                    with_epoch(component.trivy.src_epoch.as_deref(), &full)
                }
                _ => match upstream_version {
                    Some(v) => v,
                    None => with_epoch(parsed.qualifier("epoch"), &purl_version),
                },
            };
            (name, version)
        }
        // Red Hat, AlmaLinux and Rocky advisories name binary rpms with `epoch:version-release`.
        Ecosystem::RedHat | Ecosystem::AlmaLinux | Ecosystem::Rocky => (
            package.name.clone(),
            with_epoch(parsed.qualifier("epoch"), &purl_version),
        ),
        _ => (package.name.clone(), purl_version),
    };
    // Distro advisories are per release: without one, nothing can be checked.
    let distro = matches!(
        package.ecosystem.scheme(),
        version::VersionScheme::Dpkg | version::VersionScheme::Apk | version::VersionScheme::Rpm
    );
    if distro && package.release.is_none() {
        notes.push(Note {
            code: NoteCode::UnverifiedVersion,
            message: format!(
                "`{}`: the distribution release is unknown (no `distro` qualifier and no \
                 operating-system component), so it cannot be checked",
                text::one_line(raw, 200)
            ),
            component: Some(index),
        });
        return None;
    }
    let key_name = package.ecosystem.normalize_name(&name);
    Some(Query {
        package,
        key_name,
        version,
        source_named,
    })
}

/// `epoch:version`, leaving out a zero or missing epoch (dpkg and rpm treat them alike).
fn with_epoch(epoch: Option<&str>, version: &str) -> String {
    match epoch.map(str::trim) {
        Some(e) if !e.is_empty() && e != "0" && !version.contains(':') => format!("{e}:{version}"),
        _ => version.to_string(),
    }
}

/// Sorts version strings in the ecosystem's order, unparseable ones last in text order.
///
/// A merge sort ([`version::merge_sort_by`]): some schemes' real-world orders are not total
/// for junk input (Maven's own algorithm is not transitive there), and `slice::sort_by` may
/// panic on a comparator that is not a total order. O(n log n) comparisons, each version
/// parsed once: an SBOM can list 200,000 fixed versions for one vulnerability (issue 10).
pub fn sort_versions(scheme: version::VersionScheme, versions: &mut [String]) {
    let parsed: Vec<Option<Version>> = versions
        .iter()
        .map(|v| Version::parse(scheme, v).ok())
        .collect();
    let order = version::merge_sort_by((0..versions.len()).collect(), |&a: &usize, &b| {
        match (&parsed[a], &parsed[b]) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => versions[a].cmp(&versions[b]),
        }
    });
    let sorted: Vec<String> = order
        .into_iter()
        .map(|i| std::mem::take(&mut versions[i]))
        .collect();
    for (slot, v) in versions.iter_mut().zip(sorted) {
        *slot = v;
    }
}

/// One component to match: its query and its version as parsed (once per component).
struct Candidate<'a> {
    index: usize,
    component: &'a Component,
    query: &'a Query,
    target: &'a Result<Version, version::VersionError>,
}

/// Evaluates every advisory's ranges for one component. `advisories` are the package's
/// selected ones and how many the database holds for it; `bounds` the range bounds parsed
/// so far for the package.
fn match_component(
    candidate: Candidate<'_>,
    (advisories, total): (&[Arc<Advisory>], usize),
    bounds: &mut version::ParseCache,
    notes: &mut Vec<Note>,
    false_positives: &mut BTreeSet<String>,
) -> Vec<Unit> {
    let Candidate {
        index,
        component,
        query,
        target,
    } = candidate;
    let scheme = query.package.ecosystem.scheme();
    let mut units = Vec::new();
    let mut unverified: Vec<String> = Vec::new();
    let mut invalid_component_version = None;
    let mut withdrawn: Vec<&str> = Vec::new();
    for advisory in advisories {
        let mut hit = false;
        let mut fixed = Vec::new();
        let mut channels = BTreeSet::new();
        for affected in &advisory.affected {
            if !query.package.osv_ecosystem_matches(&affected.ecosystem) {
                continue;
            }
            match version::affects_with(
                scheme,
                &query.version,
                target,
                &affected.ranges,
                &affected.versions,
                bounds,
            ) {
                Ok(true) => {
                    hit = true;
                    channels.insert(query.package.fix_channel(&affected.ecosystem));
                    for range in &affected.ranges {
                        for event in &range.events {
                            if let Event::Fixed(v) = event {
                                fixed.push(v.clone());
                            }
                        }
                    }
                }
                Ok(false) => {}
                Err(_) if advisory.withdrawn.is_some() => {}
                Err(e) => {
                    if target.is_err() {
                        invalid_component_version = Some(e);
                    } else {
                        unverified.push(advisory.id.clone());
                    }
                }
            }
        }
        if !hit {
            continue;
        }
        if advisory.malware == Malware::FalsePositive {
            notes.push(Note {
                code: NoteCode::MalwareFalsePositive,
                message: format!(
                    "`{}`: `{}` reported it as malicious, and the record itself calls that a \
                     false positive; not a finding",
                    display_name(component),
                    text::one_line(&advisory.id, 80)
                ),
                component: Some(index),
            });
            false_positives.extend(
                std::iter::once(&advisory.id)
                    .chain(&advisory.aliases)
                    .cloned(),
            );
            continue;
        }
        // A withdrawn advisory (by its `withdrawn` field, or by its text: see the OSV feed)
        // is no vulnerability; it is only mentioned.
        if advisory.withdrawn.is_some() {
            withdrawn.push(&advisory.id);
            continue;
        }
        // A fix is a version above the installed one (a record may list the fix of an earlier
        // branch: `introduced 0, fixed 1.2; introduced 2.0, fixed 2.5`) that no advisory of
        // the vulnerability still calls affected (checked once the advisories are grouped).
        fixed.retain(|f| {
            matches!(
                version::compare(scheme, f, &query.version),
                Ok(std::cmp::Ordering::Greater)
            )
        });
        units.extend(units_of(advisory, fixed).into_iter().map(|mut u| {
            u.channels = channels.clone();
            u
        }));
    }
    if !withdrawn.is_empty() {
        withdrawn.sort_unstable();
        withdrawn.dedup();
        notes.push(Note {
            code: NoteCode::WithdrawnAdvisory,
            message: format!(
                "`{}`: {} withdrawn and not counted ({})",
                display_name(component),
                if withdrawn.len() == 1 {
                    "an advisory that would match is"
                } else {
                    "advisories that would match are"
                },
                withdrawn
                    .iter()
                    .map(|id| format!("`{}`", text::one_line(id, 60)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            component: Some(index),
        });
    }
    if let Some(e) = invalid_component_version {
        notes.push(Note {
            code: NoteCode::UnverifiedVersion,
            message: format!(
                "`{}`: {}; {} advisories for `{}` could not be checked",
                display_name(component),
                text::one_line(&e.to_string(), 200),
                total,
                text::one_line(&query.key_name, 120)
            ),
            component: Some(index),
        });
    } else if !unverified.is_empty() {
        unverified.sort();
        unverified.dedup();
        let shown: Vec<&str> = unverified.iter().take(5).map(String::as_str).collect();
        notes.push(Note {
            code: NoteCode::UnverifiedVersion,
            message: format!(
                "`{}`: {} advisor{} with versions that do not parse could not be checked ({}{})",
                display_name(component),
                unverified.len(),
                if unverified.len() == 1 { "y" } else { "ies" },
                shown.join(", "),
                if unverified.len() > shown.len() {
                    ", ..."
                } else {
                    ""
                }
            ),
            component: Some(index),
        });
    }
    units
}

#[cfg(test)]
mod tests;

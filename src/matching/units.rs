//! Vulnerabilities before and after merging: an affecting advisory becomes one [`Unit`] (a
//! distribution advisory one per CVE it fixes), and units that share an id merge into one
//! vulnerability of the component. Split from `matching.rs`, which evaluates the ranges.

use super::is_cve;
use crate::db::Advisory;
use crate::purl::FixChannel;
use crate::vuln_id::IdKind;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// A vulnerability before merging: ids that name it, and where it came from.
#[derive(Debug, Clone, Default)]
pub(super) struct Unit {
    pub(super) ids: BTreeSet<String>,
    pub(super) advisories: Vec<Arc<Advisory>>,
    pub(super) fixed: Vec<String>,
    pub(super) sbom: Vec<usize>,
    /// The fix channels of the database records that matched (`None`: ordinary updates).
    pub(super) channels: BTreeSet<Option<FixChannel>>,
}

/// The vulnerabilities an affecting advisory stands for: itself (with its aliases), or for a
/// distro advisory one per CVE it fixes.
pub(super) fn units_of(advisory: &Arc<Advisory>, fixed: Vec<String>) -> Vec<Unit> {
    let kind = IdKind::of(&advisory.id);
    let related_cves: Vec<&String> = advisory.related.iter().filter(|r| is_cve(r)).collect();
    if kind.is_distro_advisory() {
        if related_cves.is_empty() {
            if kind == IdKind::DistroErratum {
                return Vec::new();
            }
        } else {
            return related_cves
                .into_iter()
                .map(|cve| Unit {
                    ids: BTreeSet::from([cve.clone(), advisory.id.clone()]),
                    advisories: vec![Arc::clone(advisory)],
                    fixed: fixed.clone(),
                    ..Unit::default()
                })
                .collect();
        }
    }
    let mut ids: BTreeSet<String> = advisory.aliases.iter().cloned().collect();
    ids.insert(advisory.id.clone());
    // Ubuntu's and Debian's per-CVE records are `UBUNTU-CVE-…` and `DEBIAN-CVE-…`: the CVE
    // is in the id.
    if kind == IdKind::DistroCve
        && let Some(cve) = crate::vuln_id::cve_of(&advisory.id)
    {
        ids.insert(cve);
    }
    vec![Unit {
        ids,
        advisories: vec![Arc::clone(advisory)],
        fixed,
        ..Unit::default()
    }]
}

/// The fix channel of a vulnerability from its matching records' channels: a paid channel
/// only when every matching record is of it (one ordinary-updates record makes it ordinary).
pub(super) fn fix_channel(channels: &BTreeSet<Option<FixChannel>>) -> Option<FixChannel> {
    match channels.first() {
        Some(Some(channel)) if channels.len() == 1 => Some(*channel),
        _ => None,
    }
}

/// Merges units that share an id, transitively: a union-find over the units, joined through
/// an index from each id to the first unit naming it. Near-linear in the number of ids, so
/// 100,000 vulnerabilities on one component stay fast (issue 10: a fixed-point loop over
/// the merged list took 73 s). Each group keeps the order of its units; groups come in the
/// order of their first unit.
///
/// A distribution advisory's id does not link units: one DSA, DLA or RHSA fixes many
/// vulnerabilities, and [`units_of`] splits it into one unit per CVE, each carrying the
/// advisory's id beside its CVE. Grouping by that shared id would merge them back into one
/// finding named after the lowest CVE and carrying the others' KEV entries (DSA-5324-1 on
/// `linux`: CVE-2022-2873 shown as KEV for CVE-2023-0266). Only a unit that has no other id
/// (an advisory naming no CVE) is grouped by it.
pub(super) fn merge_units(units: Vec<Unit>) -> Vec<Unit> {
    fn keys(u: &Unit) -> Vec<&str> {
        let own: Vec<&str> = u
            .ids
            .iter()
            .map(String::as_str)
            .filter(|id| !IdKind::of(id).is_distro_advisory())
            .collect();
        if own.is_empty() {
            u.ids.iter().map(String::as_str).collect()
        } else {
            own
        }
    }
    let group = groups(units.iter().map(|u| keys(u).into_iter())).0;
    let mut slot_of: HashMap<usize, usize> = HashMap::new();
    let mut merged: Vec<Unit> = Vec::new();
    for (unit, root) in units.into_iter().zip(group) {
        match slot_of.get(&root) {
            Some(&slot) => {
                let into = &mut merged[slot];
                into.ids.extend(unit.ids);
                into.advisories.extend(unit.advisories);
                into.fixed.extend(unit.fixed);
                into.sbom.extend(unit.sbom);
                into.channels.extend(unit.channels);
            }
            None => {
                slot_of.insert(root, merged.len());
                merged.push(unit);
            }
        }
    }
    merged
}

/// For each item (a set of ids), the index of the first item of its group: items sharing an
/// id, directly or through others, are one group. Also returns the steps the union-find
/// walked (parent links followed), which tests bound to show the work is near-linear.
pub(super) fn groups<'a>(
    items: impl Iterator<Item = impl Iterator<Item = &'a str>>,
) -> (Vec<usize>, usize) {
    let mut parent: Vec<usize> = Vec::new();
    let mut steps = 0usize;
    // Path halving; roots are always the smallest index of their group.
    let find = |parent: &mut Vec<usize>, steps: &mut usize, mut i: usize| {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
            *steps += 1;
        }
        i
    };
    let mut first_with: HashMap<&'a str, usize> = HashMap::new();
    for (i, ids) in items.enumerate() {
        parent.push(i);
        for id in ids {
            let other = *first_with.entry(id).or_insert(i);
            let (a, b) = (
                find(&mut parent, &mut steps, other),
                find(&mut parent, &mut steps, i),
            );
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let roots = (0..parent.len())
        .map(|i| find(&mut parent, &mut steps, i))
        .collect();
    (roots, steps)
}

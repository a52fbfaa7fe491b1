//! Matching package groups (the components that share one database key) against the
//! database, on worker threads (issue 14).
//!
//! Each group reads its package's advisory list once and matches its components; groups are
//! independent, so batches of neighbouring groups (neighbours share database blocks) go to
//! [`crate::parallel::try_map`], which returns them in group order: the result is the same
//! as one thread's, whatever the scheduling. A database error of any group is the error (the
//! first in group order), never a group without matches.

use super::{Query, Unit, match_component};
use crate::db::{DbError, VulnDb};
use crate::note::Note;
use crate::purl::PackageId;
use crate::sbom::Sbom;
use crate::version::{self, Version};
use std::collections::BTreeSet;

/// Groups a worker takes at a time: neighbours in key order share database blocks.
const BATCH: usize = 32;

/// What matching one component found.
pub(super) struct Matched {
    /// The component's index in the SBOM.
    pub(super) index: usize,
    /// Its package.
    pub(super) package: PackageId,
    /// The vulnerabilities found, before merging.
    pub(super) units: Vec<Unit>,
    /// Ids of malware reports that call themselves false positives.
    pub(super) false_positives: BTreeSet<String>,
}

/// What matching one group found: per component, and the notes.
pub(super) struct GroupOutcome {
    pub(super) components: Vec<Matched>,
    pub(super) notes: Vec<Note>,
}

/// Matches every group, on worker threads in batches of neighbours; outcomes in group order,
/// the first database error in group order being the error.
pub(super) fn match_groups(
    groups: &[&[(usize, Query)]],
    sbom: &Sbom,
    db: &VulnDb,
) -> Result<Vec<GroupOutcome>, DbError> {
    crate::parallel::try_map(groups, BATCH, |g| match_group(g, sbom, db))
}

/// One group: its package's advisories read once (decoding in full only those that may affect
/// one of its components), then each component matched.
fn match_group(
    group: &[(usize, Query)],
    sbom: &Sbom,
    db: &VulnDb,
) -> Result<GroupOutcome, DbError> {
    let Some((_, first)) = group.first() else {
        return Ok(GroupOutcome {
            components: Vec::new(),
            notes: Vec::new(),
        });
    };
    let scheme = first.package.ecosystem.scheme();
    let parsed: Vec<Option<Version>> = group
        .iter()
        .map(|(_, q)| Version::parse(scheme, &q.version).ok())
        .collect();
    let mut bounds = version::ParseCache::default();
    let selected = db.advisories_selected(
        first.package.ecosystem,
        &first.key_name,
        |ecosystem| {
            group
                .iter()
                .any(|(_, q)| q.package.osv_ecosystem_matches(ecosystem))
        },
        |affected| {
            group.iter().zip(&parsed).any(|((_, q), target)| {
                affected.iter().any(|a| {
                    q.package.osv_ecosystem_matches(&a.ecosystem)
                        && may_affect(scheme, &q.version, target.as_ref(), a, &mut bounds)
                })
            })
        },
    )?;
    let mut outcome = GroupOutcome {
        components: Vec::with_capacity(group.len()),
        notes: Vec::new(),
    };
    for (index, query) in group {
        let mut false_positives = BTreeSet::new();
        let units = match_component(
            *index,
            &sbom.components[*index],
            query,
            &selected,
            &mut outcome.notes,
            &mut false_positives,
        );
        outcome.components.push(Matched {
            index: *index,
            package: query.package.clone(),
            units,
            false_positives,
        });
    }
    Ok(outcome)
}

/// Whether an `affected` entry may affect `version` (`target` parsed): affected, or not
/// decidable (an unverified note, decided by [`super::match_component`]).
fn may_affect(
    scheme: version::VersionScheme,
    version: &str,
    target: Option<&Version>,
    affected: &crate::db::Affected,
    cache: &mut version::ParseCache,
) -> bool {
    if affected.versions.iter().any(|v| v.trim() == version.trim()) {
        return true;
    }
    match target {
        Some(target) => !matches!(
            version::affects_parsed(scheme, target, &affected.ranges, &affected.versions, cache),
            Ok(false)
        ),
        None => true,
    }
}

//! Matching package groups (the components that share one database key) against the
//! database, on worker threads (issue 14).
//!
//! Each group reads its package's advisory list once and matches its components; groups are
//! independent, so batches of neighbouring groups (neighbours share database blocks) go to
//! [`crate::parallel::try_map`], which returns them in group order: the result is the same
//! as one thread's, whatever the scheduling. A database error of any group is the error (the
//! first in group order), never a group without matches.

use super::{Candidate, Query, Unit, match_component};
use crate::db::{Advisory, DbError, VulnDb};
use crate::note::Note;
use crate::purl::PackageId;
use crate::sbom::Sbom;
use crate::version::{self, Version, VersionError};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Groups a worker takes at a time: neighbours in key order share database blocks.
const BATCH: usize = 32;

/// What matching one component found.
pub(super) struct Matched {
    /// The component's index in the SBOM.
    pub(super) index: usize,
    /// Its package, when it matched something (or `keep_package` asked for it).
    pub(super) package: Option<PackageId>,
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
///
/// `keep_package`: whether a component's package is wanted even without a database match (an
/// SBOM-embedded vulnerability names it).
pub(super) fn match_groups(
    groups: &[&[&(usize, Query)]],
    sbom: &Sbom,
    db: &VulnDb,
    keep_package: &(dyn Fn(usize) -> bool + Sync),
) -> Result<Vec<GroupOutcome>, DbError> {
    crate::parallel::try_map(groups, BATCH, |g| match_group(g, sbom, db, keep_package))
}

/// One group: its package's advisories read once (decoding in full only those that may affect
/// one of its components), then each component matched.
fn match_group(
    group: &[&(usize, Query)],
    sbom: &Sbom,
    db: &VulnDb,
    keep_package: &(dyn Fn(usize) -> bool + Sync),
) -> Result<GroupOutcome, DbError> {
    let Some((_, first)) = group.first().copied() else {
        return Ok(GroupOutcome {
            components: Vec::new(),
            notes: Vec::new(),
        });
    };
    let scheme = first.package.ecosystem.scheme();
    let parsed: Vec<Result<Version, VersionError>> = group
        .iter()
        .map(|(_, q)| Version::parse(scheme, &q.version))
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
                        && !matches!(
                            version::affects_with(
                                scheme,
                                &q.version,
                                target,
                                &a.ranges,
                                &a.versions,
                                &mut bounds
                            ),
                            Ok(false)
                        )
                })
            })
        },
    )?;
    let mut outcome = GroupOutcome {
        components: Vec::with_capacity(group.len()),
        notes: Vec::new(),
    };
    // Shared by the components' units: a distro advisory fixing 100 CVEs becomes 100 units.
    let advisories: Vec<Arc<Advisory>> = selected.advisories.into_iter().map(Arc::new).collect();
    for (&&(index, ref query), target) in group.iter().zip(&parsed) {
        let mut false_positives = BTreeSet::new();
        let units = match_component(
            Candidate {
                index,
                component: &sbom.components[index],
                query,
                target,
            },
            (&advisories, selected.total),
            &mut bounds,
            &mut outcome.notes,
            &mut false_positives,
        );
        // Only a component with something to merge needs its package again.
        let package = (!units.is_empty() || keep_package(index)).then(|| query.package.clone());
        outcome.components.push(Matched {
            index,
            package,
            units,
            false_positives,
        });
    }
    Ok(outcome)
}

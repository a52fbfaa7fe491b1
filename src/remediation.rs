//! Remediation per component: the smallest upgrade that fixes all of a component's findings
//! ("upgrade log4j-core to >= 2.17.1: fixes 4, 2 in KEV"), the KEV required actions and due
//! dates, and the advisories' links.
//!
//! Pure over an [`Evaluation`]; reporters call [`plan`]. Ignored findings need no fix and are
//! left out. The target is the smallest fixed version (of any of the component's findings)
//! above the installed one that leaves every finding's affected ranges (OSV semantics,
//! [`crate::version::affects`]). Release branches make this differ from "the largest of the
//! per-finding fixes": log4j-core 2.14.1 with fixes in 2.12.2/2.15.0, 2.12.3/2.17.0 and
//! 2.12.4/2.17.1 needs 2.17.1, and urllib3 1.26.4 gets 1.26.19 (its own 1.26 branch, which
//! sorts first) rather than a 2.x; a version that fixes one finding in the next branch but is
//! still inside another finding's range there is skipped. A finding without ranges (only the
//! SBOM reported it) counts as fixed by any version at or above one of its fixed versions.
//! When no candidate fixes everything (versions that cannot be compared), the largest of the
//! per-finding smallest fixes is taken, as written. Findings without any fixed version are
//! listed as unfixable.

use crate::enrich::ComponentRef;
use crate::policy::{Decision, Evaluation};
use crate::version::{self, VersionScheme};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// What to do about one component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remediation {
    /// The component.
    pub component: ComponentRef,
    /// The smallest version that fixes every fixable finding, if any is fixable.
    pub upgrade_to: Option<String>,
    /// Ids of the findings `upgrade_to` fixes.
    pub fixes: Vec<String>,
    /// How many of them are in CISA KEV.
    pub fixes_kev: usize,
    /// Ids of findings no known version fixes.
    pub unfixable: Vec<String>,
    /// KEV findings: (id, due date, required action).
    pub kev_actions: Vec<(String, String, String)>,
    /// Advisory links, deduplicated.
    pub links: Vec<String>,
}

/// The ordering scheme of a purl type, if kevgate compares its versions.
fn scheme(purl: Option<&str>) -> Option<VersionScheme> {
    let ty = purl?.strip_prefix("pkg:")?.split('/').next()?;
    Some(match ty.to_ascii_lowercase().as_str() {
        "npm" | "cargo" | "pub" => VersionScheme::Semver,
        "golang" => VersionScheme::Go,
        "pypi" => VersionScheme::Pep440,
        "maven" => VersionScheme::Maven,
        "gem" => VersionScheme::RubyGems,
        "nuget" => VersionScheme::NuGet,
        "composer" => VersionScheme::Composer,
        "deb" => VersionScheme::Dpkg,
        "rpm" => VersionScheme::Rpm,
        "apk" => VersionScheme::Apk,
        _ => return None,
    })
}

/// `a` vs `b` in `scheme`; equal when either does not parse.
fn cmp(scheme: Option<VersionScheme>, a: &str, b: &str) -> Ordering {
    scheme
        .and_then(|s| version::compare(s, a, b).ok())
        .unwrap_or(Ordering::Equal)
}

/// One [`Remediation`] per component with a finding that is not ignored, most urgent first
/// (KEV fixes, then fixes, then name).
pub fn plan(ev: &Evaluation) -> Vec<Remediation> {
    let mut by_component: BTreeMap<usize, Remediation> = BTreeMap::new();
    // Per component: for each fixable finding, its fixed versions above the installed one and
    // its affected ranges.
    let mut needs: BTreeMap<usize, Vec<Need<'_>>> = BTreeMap::new();
    // (component, id) pairs already counted: `fixes`/`unfixable`/`kev_actions` stay linear in
    // the number of findings even when one component has thousands.
    let mut seen: std::collections::HashSet<(usize, &str)> = std::collections::HashSet::new();
    let mut seen_links: std::collections::HashSet<(usize, &str)> = std::collections::HashSet::new();
    for e in ev
        .findings
        .iter()
        .filter(|e| e.decision != Decision::Ignored)
    {
        let f = &e.finding;
        let c = &f.component;
        let s = scheme(c.purl.as_deref());
        let r = by_component.entry(c.index).or_insert_with(|| Remediation {
            component: c.clone(),
            upgrade_to: None,
            fixes: Vec::new(),
            fixes_kev: 0,
            unfixable: Vec::new(),
            kev_actions: Vec::new(),
            links: Vec::new(),
        });
        // The fixed versions above the installed one.
        let above: Vec<&str> = f
            .fixed_versions
            .iter()
            .map(String::as_str)
            .filter(|v| {
                c.version
                    .as_deref()
                    .is_none_or(|cur| cmp(s, v, cur) != Ordering::Less)
            })
            .collect();
        match above.is_empty() {
            false => {
                if !seen.contains(&(c.index, f.id.as_str())) {
                    r.fixes.push(f.id.clone());
                    if f.kev.is_some() {
                        r.fixes_kev += 1;
                    }
                }
                needs.entry(c.index).or_default().push(Need {
                    fixed: above,
                    affected: &f.affected,
                });
            }
            true => {
                if !seen.contains(&(c.index, f.id.as_str())) {
                    r.unfixable.push(f.id.clone());
                }
            }
        }
        if let Some(kev) = &f.kev
            && !seen.contains(&(c.index, f.id.as_str()))
        {
            r.kev_actions.push((
                f.id.clone(),
                kev.due_date.clone(),
                kev.required_action.clone(),
            ));
        }
        if let Some(url) = &f.url
            && seen_links.insert((c.index, url.as_str()))
        {
            r.links.push(url.clone());
        }
        seen.insert((c.index, f.id.as_str()));
    }
    let mut out: Vec<Remediation> = by_component
        .into_iter()
        .map(|(i, mut r)| {
            let s = scheme(r.component.purl.as_deref());
            r.upgrade_to = needs.get(&i).and_then(|n| target(s, n));
            r
        })
        .collect();
    out.sort_by(|a, b| {
        (
            b.fixes_kev,
            b.fixes.len(),
            &a.component.name,
            a.component.index,
        )
            .cmp(&(
                a.fixes_kev,
                a.fixes.len(),
                &b.component.name,
                b.component.index,
            ))
    });
    out
}

/// One fixable finding of a component, for [`target`].
struct Need<'a> {
    /// Its fixed versions above the installed one (not empty).
    fixed: Vec<&'a str>,
    /// Its advisories' affected entries for the package.
    affected: &'a [crate::db::Affected],
}

impl Need<'_> {
    /// Whether `candidate` is outside every affected range (or, without ranges or when they
    /// cannot be evaluated, at or above one of the fixed versions).
    fn fixed_by(&self, s: Option<VersionScheme>, candidate: &str) -> bool {
        let by_ranges = s.filter(|_| !self.affected.is_empty()).map(|s| {
            self.affected
                .iter()
                .map(|e| version::affects(s, candidate, &e.ranges, &e.versions))
                .collect::<Result<Vec<bool>, _>>()
        });
        match by_ranges {
            Some(Ok(affected)) => !affected.contains(&true),
            _ => self
                .fixed
                .iter()
                .any(|f| cmp(s, f, candidate) != Ordering::Greater),
        }
    }
}

/// The smallest candidate (any finding's fixed version above the installed one) that fixes
/// every need; else the largest of the per-need smallest fixes.
///
/// Candidates start at that largest smallest fix (below it, some finding is not fixed yet),
/// so the first candidate usually fixes everything and a component with thousands of
/// findings stays near-linear.
fn target(s: Option<VersionScheme>, needs: &[Need<'_>]) -> Option<String> {
    let floor = needs
        .iter()
        .filter_map(|n| n.fixed.iter().copied().min_by(|a, b| cmp(s, a, b)))
        .max_by(|a, b| cmp(s, a, b))?;
    let candidates: Vec<&str> = needs
        .iter()
        .flat_map(|n| n.fixed.iter().copied())
        .filter(|c| cmp(s, c, floor) != Ordering::Less)
        .collect();
    // Each candidate parsed once; a merge sort, since `cmp` (equal when either does not
    // parse) is not a total order and `sort_by` may panic on such a comparator.
    let parsed: Vec<Option<version::Version>> = candidates
        .iter()
        .map(|c| s.and_then(|s| version::Version::parse(s, c).ok()))
        .collect();
    let order = version::merge_sort_by((0..candidates.len()).collect(), |&a: &usize, &b| {
        match (&parsed[a], &parsed[b]) {
            (Some(x), Some(y)) => x.cmp(y),
            _ => Ordering::Equal,
        }
        .then_with(|| candidates[a].cmp(candidates[b]))
    });
    let mut candidates: Vec<&str> = order.into_iter().map(|i| candidates[i]).collect();
    candidates.dedup();
    let fixes_all = |c: &&str| needs.iter().all(|n| n.fixed_by(s, c));
    Some(
        candidates
            .into_iter()
            .find(fixes_all)
            .unwrap_or(floor)
            .to_owned(),
    )
}

impl Remediation {
    /// One line: `upgrade jquery@3.4.1 to >= 3.5.0: fixes 2, 1 in KEV`.
    pub fn summary(&self) -> String {
        let mut s = match &self.upgrade_to {
            Some(v) => {
                let n = self.fixes.len();
                let kev = if self.fixes_kev > 0 {
                    format!(", {} in KEV", self.fixes_kev)
                } else {
                    String::new()
                };
                format!(
                    "upgrade {} to >= {v}: fixes {n}{kev}",
                    crate::report::package_label(&self.component)
                )
            }
            None => format!(
                "{}: no fixed version known",
                crate::report::package_label(&self.component)
            ),
        };
        if self.upgrade_to.is_some() && !self.unfixable.is_empty() {
            s.push_str(&format!("; {} without a fix", self.unfixable.len()));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    /// The fixture's components: one line each, KEV first; the largest of the per-finding
    /// minimal fixes is the target.
    #[test]
    fn plan_of_fixture() {
        let ev = fixture::evaluation();
        let lines: Vec<String> = plan(&ev).iter().map(Remediation::summary).collect();
        insta::assert_debug_snapshot!(lines);
    }

    /// A finding with several fixed versions needs the smallest one above the installed
    /// version; two findings need the larger of their needs.
    #[test]
    fn smallest_upgrade_fixing_all() {
        let mut ev = fixture::evaluation();
        ev.findings.truncate(1);
        let mut second = ev.findings[0].clone();
        ev.findings[0].finding.fixed_versions = vec!["2.31-13+deb11u5".into(), "2.36-1".into()];
        second.finding.id = "CVE-X".into();
        second.finding.kev = None;
        second.finding.fixed_versions = vec!["2.31-13+deb11u3".into(), "2.31-13+deb11u7".into()];
        ev.findings.push(second);
        let p = plan(&ev);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].upgrade_to.as_deref(), Some("2.31-13+deb11u7"));
        assert_eq!(p[0].fixes_kev, 1);
        assert_eq!(
            p[0].summary(),
            "upgrade libc6@2.31-13+deb11u4 to >= 2.31-13+deb11u7: fixes 2, 1 in KEV"
        );
    }

    /// The target leaves every finding's ranges: urllib3 1.26.4 with CVE-2024-37891's real
    /// ranges (fixed in 1.26.19 and 2.2.2) and a finding fixed only in 2.0.7 needs 2.2.2; the
    /// largest of the per-finding smallest fixes (2.0.7) is still inside CVE-2024-37891's 2.x
    /// range. Without the second finding, the installed 1.26 branch wins (1.26.19).
    #[test]
    fn target_leaves_every_range() {
        use crate::version::{Event, Range, RangeKind};
        let affected = |ranges: &[(&str, &str)]| crate::db::Affected {
            ecosystem: "PyPI".into(),
            name: "urllib3".into(),
            ranges: ranges
                .iter()
                .map(|(i, f)| Range {
                    kind: RangeKind::Ecosystem,
                    events: vec![Event::Introduced((*i).into()), Event::Fixed((*f).into())],
                })
                .collect(),
            versions: Vec::new(),
        };
        let mut ev = fixture::evaluation();
        ev.findings.truncate(1);
        let first = &mut ev.findings[0].finding;
        first.component.purl = Some("pkg:pypi/urllib3@1.26.4".into());
        first.component.name = "urllib3".into();
        first.component.version = Some("1.26.4".into());
        first.id = "CVE-2024-37891".into();
        first.kev = None;
        first.fixed_versions = vec!["1.26.19".into(), "2.2.2".into()];
        first.affected = vec![affected(&[("0", "1.26.19"), ("2.0.0", "2.2.2")])];
        assert_eq!(plan(&ev)[0].upgrade_to.as_deref(), Some("1.26.19"));

        let mut second = ev.findings[0].clone();
        second.finding.id = "CVE-X".into();
        second.finding.fixed_versions = vec!["2.0.7".into()];
        second.finding.affected = vec![affected(&[("0", "2.0.7")])];
        ev.findings.push(second);
        let p = plan(&ev);
        assert_eq!(p[0].upgrade_to.as_deref(), Some("2.2.2"));
        assert_eq!(
            p[0].summary(),
            "upgrade urllib3@1.26.4 to >= 2.2.2: fixes 2"
        );
    }
}

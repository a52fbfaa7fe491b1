//! Remediation per component: the smallest upgrade that fixes all of a component's findings
//! ("upgrade log4j-core to >= 2.17.1: fixes 4, 2 in KEV"), the KEV required actions and due
//! dates, and the advisories' links.
//!
//! Pure over the decided findings; [`crate::evaluate`] calls [`plan`] once and stores the
//! plan on the [`Evaluation`](crate::evaluation::Evaluation), where reporters read it.
//! Ignored findings need no fix and are left out. The target is the smallest fixed version (of any of the component's findings)
//! above the installed one that leaves every finding's affected ranges (OSV semantics,
//! [`crate::version::affects`]). Release branches make this differ from "the largest of the
//! per-finding fixes": log4j-core 2.14.1 with fixes in 2.12.2/2.15.0, 2.12.3/2.17.0 and
//! 2.12.4/2.17.1 needs 2.17.1, and urllib3 1.26.4 gets 1.26.19 (its own 1.26 branch, which
//! sorts first) rather than a 2.x; a version that fixes one finding in the next branch but is
//! still inside another finding's range there is skipped. A finding without ranges (only the
//! SBOM reported it) counts as fixed by any version at or above one of its fixed versions.
//! When no candidate fixes everything (versions that cannot be compared), the largest of the
//! per-finding smallest fixes is taken, as written.
//!
//! A finding whose ranges end in `last_affected` and name no fixed version (laravel/framework
//! CVE-2018-15133: "through 5.5.40, and 5.6.0 to 5.6.29") is shown as "affected up to 5.5.40"
//! ([`fix`]). It counts as fixed by the target when the target lies outside all its ranges; a
//! candidate that also clears such findings is preferred over one that does not. Findings
//! fixed by no known version are listed as unfixable.
//!
//! Beside the version that clears everything, [`Remediation::branch`] names the smallest
//! upgrade on the installed major version (drupal/core 8.5.0: the last 8.x fixes, where
//! everything needs 10.2.11): the findings fixed on that line, for a team that cannot take a
//! major upgrade now. Distribution packages (deb, rpm, apk) are upgraded within their release
//! and get none.

use crate::enrich::{ComponentRef, Finding};
use crate::policy::{DecidedFinding, Decision};
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
    /// Ids of findings no known version fixes (or that `upgrade_to` leaves affected).
    pub unfixable: Vec<String>,
    /// The smallest upgrade on the installed major version, when it differs from
    /// `upgrade_to`.
    pub branch: Option<BranchUpgrade>,
    /// KEV findings: (id, due date, required action).
    pub kev_actions: Vec<(String, String, String)>,
    /// Advisory links, deduplicated.
    pub links: Vec<String>,
}

/// The smallest upgrade that stays on the installed major version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchUpgrade {
    /// The major version (`8` for drupal/core 8.5.0), shown as `8.x`.
    pub line: String,
    /// The smallest version on that line that fixes every finding fixable there.
    pub upgrade_to: String,
    /// Ids of the findings it fixes.
    pub fixes: Vec<String>,
}

/// What fixes one finding, as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Upgrade to one of these versions (sorted; the first is the smallest).
    Upgrade(Vec<String>),
    /// No fixed version is named, but the advisory's range that holds the installed version
    /// ends at this `last_affected` version: any later version outside the ranges is fixed.
    AffectedUpTo(String),
    /// No fixed version known.
    Unknown,
}

/// What fixes `f`: its fixed versions, else the `last_affected` end of the range that holds
/// the installed version (the largest such end when several do).
pub fn fix(f: &Finding) -> Fix {
    if !f.fixed_versions.is_empty() {
        return Fix::Upgrade(f.fixed_versions.clone());
    }
    let s = scheme(&f.component);
    let installed = f.component.version.as_deref();
    let mut ends: Vec<&str> = Vec::new();
    for e in &f.affected {
        for r in &e.ranges {
            let Some(last) = r.events.iter().rev().find_map(|ev| match ev {
                version::Event::LastAffected(v) => Some(v.as_str()),
                _ => None,
            }) else {
                continue;
            };
            // The range must hold the installed version, when that can be told.
            let holds = match (s, installed) {
                (Some(s), Some(i)) => {
                    version::affects(s, i, std::slice::from_ref(r), &[]).unwrap_or(true)
                }
                _ => true,
            };
            if holds {
                ends.push(last);
            }
        }
    }
    ends.into_iter()
        .max_by(|a, b| cmp(s, a, b))
        .map_or(Fix::Unknown, |v| Fix::AffectedUpTo(v.to_owned()))
}

/// The ordering scheme of a component's purl type, if kevgate compares its versions.
fn scheme(component: &crate::enrich::ComponentRef) -> Option<VersionScheme> {
    let ty = component.package.purl_type()?;
    Some(match ty.to_ascii_lowercase().as_str() {
        "npm" | "cargo" => VersionScheme::Semver,
        "pub" => VersionScheme::Pub,
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

/// Sets of texts the findings hold (the ids and links of thousands of findings on one
/// component): foldhash, seeded per set like `sbom::TextMap` (SipHash was visible in the
/// Debian-heavy profile).
type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// One [`Remediation`] per component with a finding that is not ignored, most urgent first
/// (KEV fixes, then fixes, then name). Components are planned independently, on worker
/// threads (issue 14: Debian's `linux` packages carry hundreds of findings each).
pub fn plan(findings: &[DecidedFinding]) -> Vec<Remediation> {
    let mut by_component: BTreeMap<usize, Vec<&DecidedFinding>> = BTreeMap::new();
    for e in findings.iter().filter(|e| e.decision != Decision::Ignored) {
        by_component
            .entry(e.finding.component.index)
            .or_default()
            .push(e);
    }
    let groups: Vec<Vec<&DecidedFinding>> = by_component.into_values().collect();
    let mut out = crate::parallel::map_owned(groups, 1, |findings| component_plan(&findings));
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

/// The plan of one component from its findings (in the policy's order, none ignored).
fn component_plan(findings: &[&DecidedFinding]) -> Remediation {
    let first = &findings[0].finding.component;
    let s = scheme(first);
    let mut r = Remediation {
        component: first.clone(),
        upgrade_to: None,
        fixes: Vec::new(),
        fixes_kev: 0,
        unfixable: Vec::new(),
        branch: None,
        kev_actions: Vec::new(),
        links: Vec::new(),
    };
    // For each fixable finding, its fixed versions above the installed one and its affected
    // ranges.
    let mut needs: Vec<Need<'_>> = Vec::new();
    // Ids already counted: `fixes`/`unfixable`/`kev_actions` stay linear in the number of
    // findings even when the component has thousands.
    let mut seen: FastSet<&str> = FastSet::default();
    let mut seen_links: FastSet<&str> = FastSet::default();
    for e in findings {
        let f = &e.finding;
        let c = &f.component;
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
                if !seen.contains(f.id.as_str()) {
                    r.fixes.push(f.id.to_string());
                    if f.kev.is_some() {
                        r.fixes_kev += 1;
                    }
                }
                needs.push(Need {
                    id: &f.id,
                    kev: f.kev.is_some(),
                    fixed: above,
                    affected: &f.affected,
                });
            }
            // Ranges ending in `last_affected`: fixed by what lies outside them, decided
            // once the target is known.
            true if matches!(fix(f), Fix::AffectedUpTo(_)) => {
                needs.push(Need {
                    id: &f.id,
                    kev: f.kev.is_some(),
                    fixed: Vec::new(),
                    affected: &f.affected,
                });
            }
            true => {
                if !seen.contains(f.id.as_str()) {
                    r.unfixable.push(f.id.to_string());
                }
            }
        }
        if let Some(kev) = &f.kev
            && !seen.contains(f.id.as_str())
        {
            r.kev_actions.push((
                f.id.to_string(),
                kev.due_date.clone(),
                kev.required_action.clone(),
            ));
        }
        if let Some(url) = &f.url
            && seen_links.insert(url.as_str())
        {
            r.links.push(url.clone());
        }
        seen.insert(f.id.as_str());
    }
    r.upgrade_to = target(s, &needs);
    // The `last_affected` findings: fixed when the target clears them.
    let mut soft_seen: FastSet<&str> = FastSet::default();
    let mut bounds = version::ParseCache::default();
    for need in needs.iter().filter(|n| n.fixed.is_empty()) {
        if !soft_seen.insert(need.id) {
            continue;
        }
        match &r.upgrade_to {
            Some(t) if need.fixed_by(s, t, &mut bounds) => {
                r.fixes.push(need.id.to_owned());
                r.fixes_kev += usize::from(need.kev);
            }
            _ => r.unfixable.push(need.id.to_owned()),
        }
    }
    r.branch = branch(s, r.component.version.as_deref(), &needs)
        .filter(|b| r.upgrade_to.as_deref() != Some(b.upgrade_to.as_str()));
    r
}

/// One fixable finding of a component, for [`target`].
struct Need<'a> {
    /// The finding's id.
    id: &'a str,
    /// Whether it is in KEV.
    kev: bool,
    /// Its fixed versions above the installed one; empty when its ranges end in
    /// `last_affected` and name no fix.
    fixed: Vec<&'a str>,
    /// Its advisories' affected entries for the package.
    affected: &'a [crate::db::Affected],
}

impl Need<'_> {
    /// Whether `candidate` is outside every affected range (or, without ranges or when they
    /// cannot be evaluated, at or above one of the fixed versions).
    /// `bounds`: the component's range bounds parsed so far (one cache per component).
    fn fixed_by(
        &self,
        s: Option<VersionScheme>,
        candidate: &str,
        bounds: &mut version::ParseCache,
    ) -> bool {
        let by_ranges = s.filter(|_| !self.affected.is_empty()).map(|s| {
            let parsed = version::Version::parse(s, candidate);
            self.affected
                .iter()
                .map(|e| {
                    version::affects_with(s, candidate, &parsed, &e.ranges, &e.versions, bounds)
                })
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
/// every need, the `last_affected` ones included; else the smallest that fixes every need
/// with a fixed version; else the largest of the per-need smallest fixes.
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
    let mut bounds = version::ParseCache::default();
    let fixes_all = candidates
        .iter()
        .find(|c| needs.iter().all(|n| n.fixed_by(s, c, &mut bounds)))
        .copied();
    let chosen = fixes_all.or_else(|| {
        candidates
            .iter()
            .find(|c| {
                needs
                    .iter()
                    .filter(|n| !n.fixed.is_empty())
                    .all(|n| n.fixed_by(s, c, &mut bounds))
            })
            .copied()
    });
    Some(chosen.unwrap_or(floor).to_owned())
}

/// The major version of `v` (`8` of `8.5.0`, `0` of `v0.8.0`), if it starts with digits.
fn major(v: &str) -> Option<&str> {
    let v = v.strip_prefix('v').unwrap_or(v);
    let end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    (end > 0).then_some(&v[..end])
}

/// The smallest upgrade on the installed major version: [`target`] over the findings that
/// have a fixed version on that line, with only those versions as candidates.
fn branch(
    s: Option<VersionScheme>,
    installed: Option<&str>,
    needs: &[Need<'_>],
) -> Option<BranchUpgrade> {
    use VersionScheme::{Apk, Dpkg, Rpm};
    if matches!(s, None | Some(Dpkg | Rpm | Apk)) {
        return None;
    }
    let line = major(installed?)?;
    let on_line: Vec<Need<'_>> = needs
        .iter()
        .filter_map(|n| {
            let fixed: Vec<&str> = n
                .fixed
                .iter()
                .copied()
                .filter(|v| major(v) == Some(line))
                .collect();
            (!fixed.is_empty()).then_some(Need {
                fixed,
                affected: n.affected,
                ..*n
            })
        })
        .collect();
    let upgrade_to = target(s, &on_line)?;
    let mut seen: FastSet<&str> = FastSet::default();
    let mut bounds = version::ParseCache::default();
    let fixes: Vec<String> = needs
        .iter()
        .filter(|n| n.fixed_by(s, &upgrade_to, &mut bounds) && seen.insert(n.id))
        .map(|n| n.id.to_owned())
        .collect();
    Some(BranchUpgrade {
        line: line.to_owned(),
        upgrade_to,
        fixes,
    })
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
                    self.component.label()
                )
            }
            None => format!("{}: no fixed version known", self.component.label()),
        };
        if self.upgrade_to.is_some() && !self.unfixable.is_empty() {
            s.push_str(&format!("; {} without a fix", self.unfixable.len()));
        }
        if let Some(b) = &self.branch {
            s.push_str(&format!(
                "; on {}.x: >= {} fixes {}",
                b.line,
                b.upgrade_to,
                b.fixes.len()
            ));
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
        let lines: Vec<String> = plan(&ev.findings)
            .iter()
            .map(Remediation::summary)
            .collect();
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
        let p = plan(&ev.findings);
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
        first
            .component
            .set_purl(Some("pkg:pypi/urllib3@1.26.4".into()), "urllib3".into());
        first.component.version = Some("1.26.4".into());
        first.id = "CVE-2024-37891".into();
        first.kev = None;
        first.fixed_versions = vec!["1.26.19".into(), "2.2.2".into()];
        first.affected = vec![affected(&[("0", "1.26.19"), ("2.0.0", "2.2.2")])];
        assert_eq!(plan(&ev.findings)[0].upgrade_to.as_deref(), Some("1.26.19"));

        let mut second = ev.findings[0].clone();
        second.finding.id = "CVE-X".into();
        second.finding.fixed_versions = vec!["2.0.7".into()];
        second.finding.affected = vec![affected(&[("0", "2.0.7")])];
        ev.findings.push(second);
        let p = plan(&ev.findings);
        assert_eq!(p[0].upgrade_to.as_deref(), Some("2.2.2"));
        // Staying on 1.x, 1.26.19 fixes CVE-2024-37891 only.
        assert_eq!(
            p[0].summary(),
            "upgrade urllib3@1.26.4 to >= 2.2.2: fixes 2; on 1.x: >= 1.26.19 fixes 1"
        );
    }

    /// What fixes a finding, as users read it: its fixed versions, else the `last_affected`
    /// end of the range that holds the installed version (CVE-2018-15133's real ranges: through
    /// 5.5.40, and 5.6.0 to 5.6.29), else nothing known.
    #[test]
    fn fix_of_a_finding() {
        use crate::version::{Event, Range, RangeKind};
        let laravel = crate::db::Affected {
            ecosystem: "Packagist".into(),
            name: "laravel/framework".into(),
            ranges: [("0", "5.5.40"), ("5.6.0", "5.6.29")]
                .iter()
                .map(|(i, l)| Range {
                    kind: RangeKind::Ecosystem,
                    events: vec![
                        Event::Introduced((*i).into()),
                        Event::LastAffected((*l).into()),
                    ],
                })
                .collect(),
            versions: Vec::new(),
        };
        let cases: [(&str, &[&str], bool, Fix); 5] = [
            ("5.5.40", &[], true, Fix::AffectedUpTo("5.5.40".into())),
            ("5.1.0", &[], true, Fix::AffectedUpTo("5.5.40".into())),
            ("5.6.3", &[], true, Fix::AffectedUpTo("5.6.29".into())),
            (
                "5.5.40",
                &["6.20.45"],
                true,
                Fix::Upgrade(vec!["6.20.45".into()]),
            ),
            ("5.5.40", &[], false, Fix::Unknown),
        ];
        let ev = fixture::evaluation();
        for (installed, fixed, ranges, want) in cases {
            let mut f = ev.findings[0].finding.clone();
            let name = f.component.name.clone();
            f.component.set_purl(
                Some(format!("pkg:composer/laravel/framework@{installed}")),
                name,
            );
            f.component.version = Some(installed.into());
            f.fixed_versions = fixed.iter().map(|v| (*v).to_owned()).collect();
            f.affected = if ranges {
                vec![laravel.clone()]
            } else {
                Vec::new()
            };
            assert_eq!(fix(&f), want, "{installed} {fixed:?}");
        }
    }

    /// The major version a branch upgrade stays on.
    #[test]
    fn major_of_versions() {
        let cases = [
            ("8.5.0", Some("8")),
            ("v0.8.0", Some("0")),
            ("10.2.11", Some("10")),
            ("dev-main", None),
            ("", None),
        ];
        for (v, want) in cases {
            assert_eq!(major(v), want, "{v}");
        }
    }
}

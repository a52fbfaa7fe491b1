use super::units::groups;
use super::*;
use std::sync::Arc;

#[test]
fn ids_rank_cve_then_ghsa_then_others_then_distro() {
    let mut ids = vec!["DSA-5514-1", "GHSA-x", "PYSEC-1", "CVE-2023-4911"];
    ids.sort_by(|a, b| id_rank(a).cmp(&id_rank(b)));
    assert_eq!(ids, ["CVE-2023-4911", "GHSA-x", "PYSEC-1", "DSA-5514-1"]);
}

#[test]
fn versions_sort_in_the_ecosystem_order() {
    let mut v: Vec<String> = [
        "2.31-13+deb11u10",
        "not a version!",
        "2.31-13+deb11u7",
        "1:1.0-1",
    ]
    .map(String::from)
    .to_vec();
    sort_versions(version::VersionScheme::Dpkg, &mut v);
    assert_eq!(
        v,
        [
            "2.31-13+deb11u7",
            "2.31-13+deb11u10",
            "1:1.0-1",
            "not a version!"
        ]
    );
}

#[test]
fn epoch_is_prefixed_unless_zero_or_present() {
    assert_eq!(with_epoch(Some("1"), "2.0-1"), "1:2.0-1");
    assert_eq!(with_epoch(Some("0"), "2.0-1"), "2.0-1");
    assert_eq!(with_epoch(None, "2.0-1"), "2.0-1");
    assert_eq!(with_epoch(Some("1"), "1:2.0-1"), "1:2.0-1");
}

fn unit(ids: &[&str]) -> Unit {
    Unit {
        ids: ids.iter().map(|s| s.to_string()).collect(),
        ..Unit::default()
    }
}

#[test]
fn units_sharing_an_id_merge_transitively() {
    let merged = merge_units(vec![
        unit(&["GHSA-a", "CVE-1"]),
        unit(&["PYSEC-b"]),
        unit(&["PYSEC-b", "CVE-1"]),
        unit(&["CVE-2"]),
    ]);
    assert_eq!(merged.len(), 2);
    let big = merged
        .iter()
        .find(|u| u.ids.len() == 3)
        .expect("merged group");
    assert!(big.ids.contains("GHSA-a") && big.ids.contains("PYSEC-b"));
}

/// 100,000 units on one component (issue 10): disjoint ones stay apart, a chain (each
/// sharing an id with the next) becomes one group, and a star (all sharing one id) too;
/// the union-find walks O(n) parent links in each shape, not the O(n^2) of comparing
/// every unit with every group.
#[test]
fn grouping_100k_units_is_near_linear() {
    let n = 100_000;
    let ids: Vec<String> = (0..=n).map(|i| format!("CVE-2099-{i:06}")).collect();
    let shapes: [(&str, Vec<Vec<&str>>, usize); 3] = [
        (
            "disjoint",
            (0..n).map(|i| vec![ids[i].as_str()]).collect(),
            n,
        ),
        (
            "chain",
            (0..n)
                .map(|i| vec![ids[i].as_str(), ids[i + 1].as_str()])
                .collect(),
            1,
        ),
        (
            "star",
            (0..n)
                .map(|i| vec![ids[i].as_str(), ids[n].as_str()])
                .collect(),
            1,
        ),
    ];
    for (shape, items, want_groups) in shapes {
        let (roots, steps) = groups(items.iter().map(|ids| ids.iter().copied()));
        let distinct: BTreeSet<usize> = roots.iter().copied().collect();
        assert_eq!(distinct.len(), want_groups, "{shape}");
        assert!(roots.iter().enumerate().all(|(i, &r)| r <= i), "{shape}");
        assert!(steps <= 4 * n, "{shape}: {steps} steps for {n} units");
    }
}

/// 200,000 fixed versions (an SBOM's `unaffected` list, issue 10) sort with at most
/// n·⌈log2 n⌉ comparisons, stably, also under a comparator that is not a total order.
#[test]
fn merge_sort_is_n_log_n_and_total_order_free() {
    let n: usize = 200_000;
    let items: Vec<usize> = (0..n).map(|i| (i * 7919) % n).collect();
    let mut calls = 0usize;
    let sorted = version::merge_sort_by(items, |a, b| {
        calls += 1;
        a.cmp(b)
    });
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
    let bound = n * (usize::BITS - (n - 1).leading_zeros()) as usize;
    assert!(calls <= bound, "{calls} comparisons, bound {bound}");
    // A comparator that is not an order at all: no panic, every item kept.
    let mut flip = false;
    let junk = version::merge_sort_by((0..1000).collect::<Vec<u32>>(), |_, _| {
        flip = !flip;
        if flip {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Less
        }
    });
    assert_eq!(junk.iter().copied().collect::<BTreeSet<u32>>().len(), 1000);
    // Through `sort_versions`: semver order, duplicates kept side by side.
    let mut v: Vec<String> = (0..n)
        .rev()
        .map(|i| format!("1.{}.0", i % 50_000))
        .collect();
    sort_versions(version::VersionScheme::Semver, &mut v);
    assert_eq!(
        (v[0].as_str(), v[3].as_str(), v[4].as_str()),
        ("1.0.0", "1.0.0", "1.1.0")
    );
    assert_eq!(v[n - 1], "1.49999.0");
}

fn advisory(id: &str, aliases: &[&str], related: &[&str]) -> Advisory {
    Advisory {
        id: id.into(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        related: related.iter().map(|s| s.to_string()).collect(),
        summary: None,
        published: None,
        modified: None,
        withdrawn: None,
        severity: vec![],
        database_severity: None,
        affected: vec![],
        url: None,
        malware: crate::db::Malware::No,
    }
}

/// A vulnerability matched only by Ubuntu Pro records is fixed "with Ubuntu Pro"; one
/// that a record of the ordinary updates matches too is not, whatever the merge order.
#[test]
fn fix_channel_needs_every_record_on_it() {
    let pro = |ids: &[&str]| Unit {
        channels: BTreeSet::from([Some(FixChannel::UbuntuPro)]),
        ..unit(ids)
    };
    let main = |ids: &[&str]| Unit {
        channels: BTreeSet::from([None]),
        ..unit(ids)
    };
    let only_pro = merge_units(vec![pro(&["UBUNTU-CVE-1", "CVE-1"]), pro(&["CVE-1"])]);
    assert_eq!(
        fix_channel(&only_pro[0].channels),
        Some(FixChannel::UbuntuPro)
    );
    for units in [
        vec![pro(&["UBUNTU-CVE-1", "CVE-1"]), main(&["USN-1", "CVE-1"])],
        vec![main(&["USN-1", "CVE-1"]), pro(&["UBUNTU-CVE-1", "CVE-1"])],
    ] {
        let merged = merge_units(units);
        assert_eq!(merged.len(), 1);
        assert_eq!(fix_channel(&merged[0].channels), None);
    }
    // SBOM-only vulnerabilities have no records: ordinary.
    assert_eq!(fix_channel(&BTreeSet::new()), None);
}

#[test]
fn per_cve_distro_ids_name_their_cve() {
    assert_eq!(
        crate::vuln_id::cve_of("UBUNTU-CVE-2022-3219").as_deref(),
        Some("CVE-2022-3219")
    );
    assert_eq!(
        crate::vuln_id::cve_of("DEBIAN-CVE-2024-1234").as_deref(),
        Some("CVE-2024-1234")
    );
    assert_eq!(crate::vuln_id::cve_of("DEBIAN-DSA-5514-1"), None);
    let units = units_of(
        &Arc::new(advisory("DEBIAN-CVE-2024-1234", &[], &[])),
        vec![],
    );
    assert!(units[0].ids.contains("CVE-2024-1234"));
}

/// A distribution advisory stays split per CVE after merging: its id, shared by every
/// split unit, links none of them (real record: osv.dev DSA-5324-1, `linux` on Debian 11,
/// 13 related CVEs of which CVE-2023-0266 is in KEV). A per-CVE record of one of them
/// still joins that CVE's unit, and a second advisory fixing the same CVE joins it too.
#[test]
fn a_distro_advisory_does_not_merge_its_cves() {
    let related = [
        "CVE-2022-2873",
        "CVE-2022-3545",
        "CVE-2022-3623",
        "CVE-2022-36280",
        "CVE-2022-41218",
        "CVE-2022-45934",
        "CVE-2022-4696",
        "CVE-2022-47929",
        "CVE-2023-0179",
        "CVE-2023-0266",
        "CVE-2023-0394",
        "CVE-2023-23454",
        "CVE-2023-23455",
    ];
    let cases: &[(&[Advisory], usize, &[&str])] = &[
        // The DSA alone: one finding per CVE, each naming the DSA.
        (
            &[advisory("DSA-5324-1", &[], &related)],
            13,
            &["CVE-2023-0266", "DSA-5324-1"],
        ),
        // With Debian's per-CVE record of the KEV CVE (its `related` names the DSA).
        (
            &[
                advisory("DSA-5324-1", &[], &related),
                advisory("CVE-2023-0266", &[], &["DSA-5324-1"]),
            ],
            13,
            &["CVE-2023-0266", "DSA-5324-1"],
        ),
        // A DLA fixing one of the same CVEs joins that CVE only.
        (
            &[
                advisory("DSA-5324-1", &[], &related),
                advisory("DLA-3349-1", &[], &["CVE-2023-0266"]),
            ],
            13,
            &["CVE-2023-0266", "DLA-3349-1", "DSA-5324-1"],
        ),
    ];
    for (advisories, count, kev_unit) in cases {
        let units = advisories
            .iter()
            .flat_map(|a| units_of(&Arc::new(a.clone()), vec![]))
            .collect();
        let merged = merge_units(units);
        assert_eq!(merged.len(), *count, "{advisories:?}");
        let want: BTreeSet<String> = kev_unit.iter().map(|s| s.to_string()).collect();
        assert!(
            merged.iter().any(|u| u.ids == want),
            "{:?}",
            merged.iter().map(|u| &u.ids).collect::<Vec<_>>()
        );
        for unit in &merged {
            let cves = unit.ids.iter().filter(|i| is_cve(i)).count();
            assert_eq!(cves, 1, "one CVE per finding: {:?}", unit.ids);
        }
    }
}

#[test]
fn distro_advisories_stand_for_each_related_cve() {
    let units = units_of(
        &Arc::new(advisory(
            "DSA-5514-1",
            &[],
            &["CVE-2023-4806", "CVE-2023-4911"],
        )),
        vec![],
    );
    assert_eq!(units.len(), 2);
    assert!(units[1].ids.contains("CVE-2023-4911") && units[1].ids.contains("DSA-5514-1"));
    // A bug-fix erratum without CVEs is not a vulnerability.
    assert!(units_of(&Arc::new(advisory("RHBA-2009:0070", &[], &[])), vec![]).is_empty());
    // A non-distro record's `related` is not identity (Debian CVE records list DSAs there).
    let units = units_of(
        &Arc::new(advisory("CVE-2023-4911", &[], &["DSA-5514-1"])),
        vec![],
    );
    assert_eq!(units.len(), 1);
    assert!(!units[0].ids.contains("DSA-5514-1"));
}

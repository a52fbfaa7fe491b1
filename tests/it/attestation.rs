//! `kevgate scan --attestation`: the gate attestation is an in-toto Statement v1 (checked
//! against the schema transcribed from the spec) naming what was scanned, with the verdict,
//! policy, database, counts and findings digest (`docs/attestation.md`).

use crate::scan::build_kev_hits_db;
use crate::{TempDir, fixture, kevgate, root, run};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use std::path::Path;

const SCHEMA: &str = include_str!("../fixtures/attestation/in-toto-statement-v1.schema.json");

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Schema errors of `doc` against the in-toto Statement v1 schema.
fn statement_errors(doc: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(SCHEMA).expect("schema is JSON");
    let validator = jsonschema::draft7::new(&schema).expect("schema compiles");
    validator.iter_errors(doc).map(|e| e.to_string()).collect()
}

/// `kevgate scan SBOM --format json --output report.json --attestation gate.intoto.json` in
/// `tmp` with `extra` arguments: (exit code, statement, JSON report).
fn scan(tmp: &TempDir, sbom: &Path, extra: &[&str]) -> (i32, Value, Value) {
    let (code, stdout, stderr) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(sbom)
        .args([
            "--format",
            "json",
            "--output",
            "report.json",
            "--attestation",
            "gate.intoto.json",
        ])
        .args(extra));
    assert!(code == 0 || code == 1, "{stdout}{stderr}");
    let read = |name: &str| -> Value {
        serde_json::from_slice(&fs_err::read(tmp.path().join(name)).expect(name)).expect("JSON")
    };
    (code, read("gate.intoto.json"), read("report.json"))
}

/// The schema is faithful to the spec: it accepts the real Statements GitHub and npm signed,
/// and rejects what the spec forbids.
#[test]
fn schema_accepts_real_statements_and_rejects_broken_ones() {
    for name in [
        "reusable-workflow-attestation.dsse-payload.statement.json",
        "sigstore-js-2.1.0-bundle.dsse-payload.statement.json",
    ] {
        let doc: Value = serde_json::from_slice(
            &fs_err::read(fixture("attestation").join(name)).expect("fixture"),
        )
        .expect("JSON");
        assert_eq!(statement_errors(&doc), Vec::<String>::new(), "{name}");
    }
    let good = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "a", "digest": {"sha256": "ab".repeat(32)}}],
        "predicateType": "https://kevgate.dev/attestation/gate/v1",
        "predicate": {}
    });
    assert!(statement_errors(&good).is_empty());
    let broken = |path: &str, value: Value| {
        let mut doc = good.clone();
        *doc.pointer_mut(path).expect(path) = value;
        assert!(!statement_errors(&doc).is_empty(), "{path} accepted: {doc}");
    };
    broken("/_type", "https://in-toto.io/Statement/v0.1".into());
    broken("/subject", serde_json::json!([]));
    broken("/subject/0", serde_json::json!({"name": "a"}));
    broken("/subject/0/digest", serde_json::json!({}));
    broken("/subject/0/digest/sha256", "AB".repeat(32).into());
    broken("/subject/0/digest/sha256", "abc".into());
    broken("/predicateType", "not a uri".into());
    broken("/predicate", serde_json::json!([]));
}

/// The example SBOM (a file, no image digest): the subject is the file by sha256; the
/// predicate says `fail`, with the JSON report's counts, the bundled database by digest and
/// the documented digests.
#[test]
fn example_sbom_attests_the_file_and_the_verdict() {
    let tmp = TempDir::new("attest-example");
    let sbom = root().join("examples/trivy-sbom.cdx.json");
    let (code, st, report) = scan(&tmp, &sbom, &[]);
    assert_eq!(code, 1);
    assert_eq!(statement_errors(&st), Vec::<String>::new(), "{st:#}");
    assert_eq!(
        st["predicateType"],
        "https://kevgate.dev/attestation/gate/v1"
    );

    let file_sha = sha256_hex(&fs_err::read(&sbom).expect("sbom"));
    assert_eq!(
        st["subject"],
        serde_json::json!([{"name": "trivy-sbom.cdx.json", "digest": {"sha256": file_sha}}])
    );
    let p = &st["predicate"];
    assert_eq!(p["verdict"], "fail");
    assert_eq!(p["verdict"], report["verdict"]);
    assert_eq!(p["evaluatedOn"], "2025-08-26");
    assert_eq!(p["scanner"]["name"], "kevgate");
    assert_eq!(p["scanner"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(p["sbom"]["digest"]["sha256"], file_sha.as_str());
    assert_eq!(p["counts"], report["counts"]);
    assert!(p["counts"]["fail"].as_u64().expect("count") > 0);

    // The database: the bundled snapshot, by the sha256 of its bytes, with the report's feeds.
    assert_eq!(p["database"]["origin"], "bundled");
    let demo = fs_err::read(root().join("assets/demo.kvdb")).expect("demo db");
    assert_eq!(
        p["database"]["digest"]["sha256"],
        sha256_hex(&demo).as_str()
    );
    assert_eq!(p["database"]["builtAt"], report["db"]["built_at"]);
    let sources = p["database"]["sources"].as_array().expect("sources");
    let report_sources = report["db"]["sources"].as_array().expect("sources");
    assert_eq!(sources.len(), report_sources.len());
    for (s, r) in sources.iter().zip(report_sources) {
        assert_eq!(
            (&s["name"], &s["dataDate"], &s["records"], &s["sha256"]),
            (&r["name"], &r["data_date"], &r["records"], &r["sha256"])
        );
    }

    // The findings digest is the documented recipe over the report's findings.
    let mut rows: Vec<(String, Option<String>, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().expect("id").to_owned(),
                f["component"]["purl"].as_str().map(str::to_owned),
                f["decision"].as_str().expect("decision").to_owned(),
            )
        })
        .collect();
    rows.sort();
    let canonical = serde_json::to_string(&rows).expect("JSON");
    assert!(canonical.starts_with("[[\""), "{canonical}");
    assert_eq!(
        p["findings"]["digest"]["sha256"],
        sha256_hex(canonical.as_bytes()).as_str()
    );
    assert_eq!(p["policy"]["failOn"], "critical");
}

/// A trivy image SBOM names its image by repository digest: that is the subject (what
/// `gh attestation verify oci://…` matches), named as `actions/attest` wants the image.
#[test]
fn image_sbom_attests_the_image_digest() {
    let tmp = TempDir::new("attest-image");
    let sbom = fixture("sbom/trivy-cdx1.7-image-python-backend-debian-pypi.json");
    let (_, st, _) = scan(&tmp, &sbom, &[]);
    assert_eq!(statement_errors(&st), Vec::<String>::new(), "{st:#}");
    let doc: Value = serde_json::from_slice(&fs_err::read(&sbom).expect("sbom")).expect("JSON");
    let purl = doc["metadata"]["component"]["purl"].as_str().expect("purl");
    let repo_digest = doc["metadata"]["component"]["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .find(|p| p["name"] == "aquasecurity:trivy:RepoDigest")
        .and_then(|p| p["value"].as_str())
        .expect("RepoDigest");
    let hex = repo_digest.split_once("@sha256:").expect("a digest").1;
    assert_eq!(
        st["subject"],
        serde_json::json!([{
            "name": "index.docker.io/cloud-native-devops-platform/backend",
            "uri": purl,
            "digest": {"sha256": hex},
        }])
    );
    // The SBOM file is still recorded, by its own digest.
    let file_sha = sha256_hex(&fs_err::read(&sbom).expect("sbom"));
    assert_eq!(
        st["predicate"]["sbom"]["digest"]["sha256"],
        file_sha.as_str()
    );
    assert_ne!(file_sha, hex);
}

/// An image SBOM without a repository digest (a local tarball: trivy writes only the config
/// digest `ImageID`) attests the SBOM file, never the config digest.
#[test]
fn image_without_repo_digest_attests_the_file() {
    let tmp = TempDir::new("attest-tarball");
    let sbom = fixture("sbom/trivy-cdx1.5-image-centos7-rpm.json");
    let (_, st, _) = scan(&tmp, &sbom, &[]);
    assert_eq!(statement_errors(&st), Vec::<String>::new(), "{st:#}");
    let file_sha = sha256_hex(&fs_err::read(&sbom).expect("sbom"));
    assert_eq!(
        st["subject"][0]["name"],
        "trivy-cdx1.5-image-centos7-rpm.json"
    );
    assert_eq!(st["subject"][0]["digest"]["sha256"], file_sha.as_str());
}

/// The same scan gives the same digests; a finding whose decision changes (an ignore) changes
/// the findings digest and the policy digest, and the database digest is the file's.
#[test]
fn digests_follow_findings_policy_and_database() {
    let tmp = TempDir::new("attest-digests");
    let db = build_kev_hits_db(tmp.path());
    let db_arg = db.to_str().expect("UTF-8 path");
    let sbom = fixture("kev-hits/sboms/other-syft-cdx-image-python-latest.json");
    let (_, first, report) = scan(&tmp, &sbom, &["--db", db_arg]);
    let (_, again, _) = scan(&tmp, &sbom, &["--db", db_arg]);
    assert_eq!(first, again);
    let p = &first["predicate"];
    assert_eq!(p["database"]["origin"], "flag");
    let db_sha = sha256_hex(&fs_err::read(&db).expect("db"));
    assert_eq!(p["database"]["digest"]["sha256"], db_sha.as_str());

    let failing = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["decision"] == "fail")
        .expect("a failing finding");
    let id = failing["id"].as_str().expect("id");
    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        format!("ignore:\n  - id: {id}\n    reason: not reachable here\n"),
    )
    .expect("write config");
    let (_, ignored, report) = scan(&tmp, &sbom, &["--db", db_arg]);
    let q = &ignored["predicate"];
    assert_eq!(q["counts"], report["counts"]);
    assert_ne!(q["counts"]["ignored"], p["counts"]["ignored"]);
    assert_ne!(q["findings"]["digest"], p["findings"]["digest"]);
    assert_ne!(q["policy"]["digest"], p["policy"]["digest"]);
    assert_eq!(q["policy"]["exceptions"], 1);
    assert_eq!(q["subject"], p["subject"]);
    assert_eq!(q["database"], p["database"]);

    // A flag is part of the effective policy too.
    fs_err::remove_file(tmp.path().join(".kevgate.yaml")).expect("remove config");
    let (_, high, _) = scan(&tmp, &sbom, &["--db", db_arg, "--fail-on", "high"]);
    assert_ne!(high["predicate"]["policy"]["digest"], p["policy"]["digest"]);
    assert_eq!(high["predicate"]["policy"]["failOn"], "high");
}

/// The attestation is written like the reports: a symlink planted at its path inside the
/// working directory is replaced, never written through.
#[cfg(unix)]
#[test]
fn symlink_at_the_attestation_path_is_replaced() {
    let tmp = TempDir::new("attest-symlink");
    let outside = TempDir::new("attest-symlink-target");
    let target = outside.path().join("victim.txt");
    fs_err::write(&target, "untouched").expect("write victim");
    std::os::unix::fs::symlink(&target, tmp.path().join("gate.intoto.json")).expect("symlink");
    let (_, st, _) = scan(&tmp, &root().join("examples/trivy-sbom.cdx.json"), &[]);
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        fs_err::read_to_string(&target).expect("victim"),
        "untouched"
    );
    let meta = fs_err::symlink_metadata(tmp.path().join("gate.intoto.json")).expect("meta");
    assert!(meta.file_type().is_file());
}

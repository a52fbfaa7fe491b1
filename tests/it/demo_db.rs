//! The demo database bundled in the binary is exactly what `kevgate db build` makes from the
//! trimmed real records in the repository: it cannot drift from its sources.

use crate::{TempDir, kevgate, root, run};

/// Rebuilds `assets/demo.kvdb` with the arguments of `scripts/demo-db-args.sh` and compares
/// bytes.
#[test]
fn bundled_database_is_rebuilt_identically() {
    let tmp = TempDir::new("demo-db");
    let args_script = fs_err::read_to_string(root().join("scripts/demo-db-args.sh"))
        .expect("read demo-db-args.sh");
    let args: Vec<&str> = args_script
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(|l| l.split_whitespace())
        .filter(|w| *w != "echo" && *w != "\\")
        .collect();
    assert!(args.contains(&"--osv"), "parsed {args:?}");
    let out = tmp.path().join("demo.kvdb");
    let (code, _, stderr) = run(kevgate(&root())
        .args(["db", "build", "--output"])
        .arg(&out)
        .args(&args));
    assert_eq!(code, 0, "{stderr}");
    let rebuilt = fs_err::read(&out).expect("read rebuilt db");
    let committed = fs_err::read(root().join("assets/demo.kvdb")).expect("read assets/demo.kvdb");
    assert!(
        rebuilt == committed,
        "assets/demo.kvdb is stale: run `bash scripts/make-demo-db.sh` and commit it"
    );
}

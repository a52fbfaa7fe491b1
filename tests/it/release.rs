//! What users run: action.yml references the published image (never the Dockerfile, never a
//! placeholder digest), and the release step that pins the digest (scripts/pin-action-image.sh,
//! run by .github/workflows/release.yml) leaves an action.yml that passes the same check.

use crate::{TempDir, root, run};
use sha2::{Digest, Sha256};
use std::process::Command;

/// The `image:` of action.yml's `runs`.
fn runs_image(action_yml: &str) -> &str {
    let runs = action_yml
        .split_once("\nruns:\n")
        .unwrap_or_else(|| panic!("action.yml has a `runs:` block:\n{action_yml}"))
        .1;
    let images: Vec<&str> = runs
        .lines()
        .filter_map(|l| l.strip_prefix("  image:"))
        .map(str::trim)
        .collect();
    assert_eq!(images.len(), 1, "one runs.image in {runs}");
    images[0]
}

/// A GHCR image by this crate's version tag, or by a sha256 digest that is not a placeholder.
fn assert_published(image: &str) {
    let name = image.strip_prefix("docker://ghcr.io/").unwrap_or_else(|| {
        panic!("runs.image must be a published GHCR image (`docker://ghcr.io/...`), not `{image}`")
    });
    match name.split_once('@') {
        Some((_, digest)) => {
            let hex = digest
                .strip_prefix("sha256:")
                .unwrap_or_else(|| panic!("`{digest}` is not a sha256 digest"));
            assert!(
                hex.len() == 64
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "`{digest}` is not 64 lower-case hex digits"
            );
            let distinct: std::collections::BTreeSet<u8> = hex.bytes().collect();
            assert!(
                distinct.len() > 4,
                "`{digest}` is a placeholder, not a digest"
            );
        }
        None => {
            let tag = name
                .rsplit_once(':')
                .map(|(_, t)| t)
                .unwrap_or_else(|| panic!("`{image}` has neither a tag nor a digest"));
            assert_eq!(
                tag,
                env!("CARGO_PKG_VERSION"),
                "runs.image is tagged with the crate's version (release.yml pushes that tag)"
            );
        }
    }
}

#[test]
fn action_yml_runs_the_published_image() {
    let text = fs_err::read_to_string(root().join("action.yml")).expect("action.yml");
    assert!(text.contains("\n  using: docker\n"), "a container action");
    assert_published(runs_image(&text));
}

/// The release step pins a digest: only the image line changes, and the result is still a
/// published image. A malformed digest is refused (exit 2) and leaves the file alone.
#[test]
fn release_pins_the_image_digest() {
    let tmp = TempDir::new("release-pin");
    let file = tmp.path().join("action.yml");
    let before = fs_err::read_to_string(root().join("action.yml")).expect("action.yml");
    fs_err::write(&file, &before).expect("copy action.yml");
    let script = root().join("scripts/pin-action-image.sh");

    let digest = format!("sha256:{:x}", Sha256::digest(b"a pushed image manifest"));
    let (code, _, stderr) = run(Command::new("bash")
        .arg(&script)
        .args(["ghcr.io/kevgate/kevgate", &digest])
        .arg(&file));
    assert_eq!(code, 0, "{stderr}");
    let after = fs_err::read_to_string(&file).expect("pinned action.yml");
    let image = runs_image(&after);
    assert_eq!(image, format!("docker://ghcr.io/kevgate/kevgate@{digest}"));
    assert_published(image);
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        changed.len(),
        1,
        "only the image line changes: {changed:#?}"
    );
    assert_eq!(before.lines().count(), after.lines().count());

    for (image, digest) in [
        ("ghcr.io/kevgate/kevgate", "sha256:0123"),
        ("ghcr.io/kevgate/kevgate", "latest"),
        ("docker.io/evil/kevgate", digest.as_str()),
        ("ghcr.io/Kevgate/kevgate", digest.as_str()),
    ] {
        let (code, _, stderr) = run(Command::new("bash")
            .arg(&script)
            .args([image, digest])
            .arg(&file));
        assert_eq!(code, 2, "{image} {digest}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert_eq!(fs_err::read_to_string(&file).expect("file"), after);
    }
}

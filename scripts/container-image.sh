#!/usr/bin/env bash
# Builds the kevgate container image for the tests (tests/it/container.rs), from the
# Dockerfile's `FROM scratch` runtime stage, the way release.yml does but without a registry:
#   1. apt: podman, runc, musl-tools (musl-gcc, for ring's C); rustup: the musl target;
#   2. a static musl binary, cargo profile `container-test` (release minus optimisation and LTO);
#   3. `podman build --build-arg KEVGATE_FROM=prebuilt` with a build context holding only that
#      binary (as `kevgate-amd64`, the name release.yml gives it): no Rust build stage, no
#      registry pull.
# Podman runs rootful with vfs storage, cgroupfs and runc; its config and storage live under
# `$CARGO_TARGET_DIR/container/` (the system's /etc/containers and /var/lib/containers are
# left alone), behind the wrapper `$CARGO_TARGET_DIR/container/podman` the tests call.
# Run it as root, as CI does (rootful podman: container uids are host uids, which
# tests/it/container.rs relies on to show a non-root uid cannot write the runner's files).
#
#   scripts/container-image.sh    # prints `KEVGATE_IMAGE=<name>` last
#
# scripts/test.sh runs it before `cargo test` and exports KEVGATE_IMAGE.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
target="$(mkdir -p "$target" && cd "$target" && pwd)"
state="$target/container"
image="${KEVGATE_IMAGE:-localhost/kevgate:test}"
musl=x86_64-unknown-linux-musl

# --- 1. tools ---------------------------------------------------------------------------
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v musl-gcc >/dev/null || missing+=(musl-tools)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "container-image: apt-get install ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
rustup target list --installed | grep -qx "$musl" || rustup target add "$musl"

# --- 2. the static binary ----------------------------------------------------------------
# ring compiles C: musl-gcc is the only C toolchain this needs.
CC_x86_64_unknown_linux_musl=musl-gcc \
  cargo build --locked --profile container-test --target "$musl" --bin kevgate
binary="$target/$musl/container-test/kevgate"

# --- 3. podman, configured under the target dir, and the image ----------------------------
mkdir -p "$state/context"
cat >"$state/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$state/storage"
runroot = "$state/run"
CONF
# Rootful podman raises nofile/nproc to 1048576 in every container, which a sandbox without
# CAP_SYS_RESOURCE over its own limits refuses ("error setting rlimit"); ask for less.
cat >"$state/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
events_logfile_path = "$state/events.log"
CONF
cat >"$state/podman" <<WRAPPER
#!/bin/sh
# podman with kevgate's test configuration (written by scripts/container-image.sh).
export CONTAINERS_CONF="$state/containers.conf"
export CONTAINERS_STORAGE_CONF="$state/storage.conf"
exec podman --cgroup-manager=cgroupfs --runtime runc --storage-driver vfs "\$@"
WRAPPER
chmod +x "$state/podman"

# The context is the binary alone (the repo's .dockerignore is for `docker build .`).
cp "$binary" "$state/context/kevgate-amd64"
"$state/podman" build --quiet --pull=never --file "$repo/Dockerfile" \
  --build-arg KEVGATE_FROM=prebuilt --build-arg TARGETARCH=amd64 \
  --tag "$image" "$state/context" >/dev/null
# vfs keeps a full copy per image: drop the intermediate stage images of earlier builds.
"$state/podman" image prune --force >/dev/null
echo "container-image: built $image ($(du -h "$binary" | cut -f1) binary)" >&2
echo "KEVGATE_IMAGE=$image"

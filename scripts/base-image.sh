#!/usr/bin/env bash
# Prints the base image reference the Dockerfile's PYTHON_IMAGE should be: the official image
# (default python:3.11-slim-bookworm) when the engine has it or can pull it; otherwise a local
# stand-in, built once from Debian bookworm with mmdebstrap and kept in the engine:
#   python3 (3.11, Debian's build), python3-venv, ca-certificates plus this machine's CA bundle
#   (so pip and apt-get inside `docker build --network host` reach the registries the way the
#   host does), `python` and `python3` in /usr/local/bin like the official image.
# Needs the engine (scripts/engine.sh up), and root for mmdebstrap. Progress goes to stderr.
set -euo pipefail

official=${1:-python:3.11-slim-bookworm}
standin=myfoodbudget/python-standin:3.11-bookworm
docker=${MYFOODBUDGET_DOCKER:-docker}
ca_bundle=/etc/ssl/certs/ca-certificates.crt
suites=(bookworm bookworm-updates)
mirror=http://deb.debian.org/debian
security=http://deb.debian.org/debian-security

say() { echo "base-image: $*" >&2; }

if "$docker" image inspect "$official" >/dev/null 2>&1; then
  echo "$official"
  exit 0
fi
if timeout 120 "$docker" pull --quiet "$official" >/dev/null 2>&1; then
  say "pulled $official"
  echo "$official"
  exit 0
fi

# The stand-in is rebuilt when this recipe or the machine's CA bundle changes.
recipe=$(cat "$0" "$ca_bundle" | sha256sum | cut -c1-16)
have=$("$docker" image inspect --format '{{index .Config.Labels "dev.myfoodbudget.recipe"}}' "$standin" 2>/dev/null || true)
if [ "$have" = "$recipe" ]; then
  echo "$standin"
  exit 0
fi

command -v mmdebstrap >/dev/null 2>&1 || { say "$official cannot be pulled and mmdebstrap is missing: apt-get install -y mmdebstrap"; exit 1; }
say "$official cannot be pulled: building the stand-in $standin from Debian bookworm (about a minute)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$ca_bundle" "$work/ca-certificates.crt"
sources=()
for suite in "${suites[@]}"; do sources+=("deb $mirror $suite main"); done
sources+=("deb $security bookworm-security main")
start=$SECONDS
# In each hook "$1" is mmdebstrap's, the new root, so it stays in single quotes.
# shellcheck disable=SC2016
mmdebstrap --quiet --variant=minbase --include=python3,python3-venv,ca-certificates \
  --aptopt='APT::Install-Recommends "false"' \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --hook-dir=/usr/share/mmdebstrap/hooks/eatmydata \
  --customize-hook="cp '$work/ca-certificates.crt' \"\$1/etc/ssl/certs/ca-certificates.crt\"" \
  --customize-hook='ln -sf /usr/bin/python3 "$1/usr/local/bin/python" && ln -sf /usr/bin/python3 "$1/usr/local/bin/python3"' \
  --customize-hook='printf "[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n" >"$1/etc/pip.conf"' \
  --customize-hook='printf "%s\n" "DPkg::Post-Invoke { \"rm -f /var/cache/apt/*.bin /var/cache/apt/archives/*.deb || true\"; };" >"$1/etc/apt/apt.conf.d/docker-clean"' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/usr/share/man/* "$1"/usr/share/locale/*' \
  bookworm "$work/rootfs.tar" "${sources[@]}" >"$work/mmdebstrap.log" 2>&1 || {
  tail -n 30 "$work/mmdebstrap.log" >&2
  say "mmdebstrap failed (its last lines above)"
  exit 1
}
"$docker" import \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "LABEL dev.myfoodbudget.recipe=$recipe org.opencontainers.image.description=\"stand-in for $official: Debian bookworm's python3\"" \
  --change 'CMD ["python3"]' \
  "$work/rootfs.tar" "$standin" >/dev/null
say "built $standin in $((SECONDS - start))s ($("$docker" image inspect --format '{{.Size}}' "$standin" | awk '{printf "%.0f MB", $1 / 1e6}'))"
echo "$standin"

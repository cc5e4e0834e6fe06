#!/usr/bin/env bash
# Delivery checks run by `make lint`: shell scripts for now.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
mapfile -t scripts < <(git ls-files -co --exclude-standard '*.sh' .ci/run)
"$bin/shellcheck" "${scripts[@]}"
echo "lint-delivery: shellcheck ok (${#scripts[@]} scripts)"

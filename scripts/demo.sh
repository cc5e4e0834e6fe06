#!/usr/bin/env bash
# `make demo`: the whole GitOps flow on the sandbox, no cluster needed. Starts the sandbox, the
# CRDs, a git remote holding this checkout's commits, the operator, then applies the dev overlay
# once; its GitSync keeps the cluster in step from then on. Ctrl-C stops everything.
# DEMO_DIR (default .demo) holds the kubeconfig, logs and volumes; DEMO_EXIT=1 stops once the
# app answers (used by the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=$root/.venv/bin
demo=${DEMO_DIR:-$root/.demo}
remote=/tmp/myfoodbudget.git  # the URL the dev overlay's GitSync pulls (file:///tmp/myfoodbudget.git)

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }
fail() {
  echo "demo: $*" >&2
  for log in "$demo"/*.log; do echo "--- last lines of $log" >&2; tail -n 20 "$log" >&2; done
  exit 1
}
k() { "$bin/kubectl" --cache-dir "$demo/kube-cache" "$@"; }
wait_until() {  # wait_until SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || fail "timed out waiting for $what"
    sleep 0.2
  done
}

rm -rf "$demo" && mkdir -p "$demo"

step "1/6 sandbox: API server, controllers and process kubelet"
"$bin/python" -m sandbox up --kubeconfig "$demo/kubeconfig" --data "$demo/data" \
  --images tests/images.yaml >"$demo/sandbox.log" 2>&1 &
pids+=($!)
wait_until 30 "the sandbox to answer" test -s "$demo/kubeconfig"
export KUBECONFIG=$demo/kubeconfig
head -n 1 "$demo/sandbox.log"

step "2/6 the CRDs, the namespaces and the app's Secret"
k apply --validate=false -f manifests/crds/
k wait --for=condition=Established --timeout=60s \
  crd/releases.gitops.myfoodbudget.dev crd/gitsyncs.gitops.myfoodbudget.dev
k apply --validate=false -f manifests/namespaces.yaml
k -n myfoodbudget create secret generic myfoodbudget-secrets \
  --from-literal=secret-key="$("$bin/python" -c 'import secrets; print(secrets.token_hex(32))')" \
  --dry-run=client -o yaml | k apply --validate=false -f -

step "3/6 git remote $remote (this checkout's commits; uncommitted changes are not in it)"
rm -rf "$remote"
git clone --quiet --bare "$root" "$remote"
git -C "$remote" log --oneline -1

step "4/6 the operator: python -m gitops, watching namespace myfoodbudget"
# The sandbox's pods share 127.0.0.1 at remapped ports and it serves no pods/proxy: the operator
# reaches them directly (smoke checks, /metrics while baking).
OPERATOR_IMAGE=ghcr.io/owner/myfoodbudget-operator:dev WATCH_NAMESPACE=myfoodbudget \
  POD_HTTP=direct POD_PORTS_ANNOTATION=sandbox.myfoodbudget.dev/ports \
  METRICS_PORT=0 WORK_DIR="$demo/work" "$bin/python" -m gitops --namespace myfoodbudget \
  >"$demo/operator.log" 2>&1 &
pids+=($!)

step "5/6 first deploy: apply the dev overlay once; the GitSync in it takes over"
k apply --validate=false -k kustomize/overlays/dev
k -n myfoodbudget wait --for=condition=Ready gitsync/myfoodbudget --timeout=120s ||
  fail "the GitSync did not become Ready"
k -n myfoodbudget wait --for=condition=Ready release/myfoodbudget --timeout=180s ||
  fail "the Release did not become Ready"
k -n myfoodbudget get releases,gitsyncs,deployments,pods

node_port=$(k -n myfoodbudget get service myfoodbudget -o jsonpath='{.spec.ports[0].nodePort}')
app_url=http://127.0.0.1:$node_port
step "6/6 MyFoodBudget answers at $app_url/"
wait_until 30 "the app behind the NodePort" "$bin/python" -c \
  "import urllib.request as u; u.urlopen('$app_url/readyz', timeout=2)"
"$bin/python" -c "import urllib.request as u; print(u.urlopen('$app_url/version').read().decode())"

cat <<TXT

MyFoodBudget: $app_url/
Try it (in another shell):
  export KUBECONFIG=$demo/kubeconfig
  .venv/bin/kubectl -n myfoodbudget get releases,gitsyncs
  .venv/bin/kubectl -n myfoodbudget describe release myfoodbudget
  # a release whose migration fails: its preflight on a copy of the database stops it while
  # the app keeps serving (suspend the GitSync first, or it puts git's image back at its next
  # sync):
  .venv/bin/kubectl -n myfoodbudget patch gitsync myfoodbudget --type merge -p '{"spec":{"suspend":true}}'
  .venv/bin/kubectl -n myfoodbudget patch release myfoodbudget --type merge \\
    -p '{"spec":{"image":"ghcr.io/owner/migration-fails:v1"}}'
  .venv/bin/kubectl -n myfoodbudget get events --watch
Logs: $demo/sandbox.log, $demo/operator.log. Ctrl-C stops everything.
TXT

[ "${DEMO_EXIT:-0}" = 1 ] && exit 0
wait "${pids[0]}"

#!/usr/bin/env bash
# `make demo`: the whole GitOps flow on the sandbox, no cluster needed. Starts the sandbox, the
# CRDs, a git remote holding this checkout's commits, the operator, then applies the dev overlay
# once; its GitSync keeps the cluster in step from then on. Ctrl-C stops everything (exit 0).
# With a container engine answering (scripts/engine.sh status) and the images built (make
# images), pods are containers of the real images (the docker runtime); otherwise the process
# runtime runs them from this checkout.
# DEMO_DIR (default .demo) holds the kubeconfig, logs, volumes and the git remote;
# DEMO_RUNTIME=process|docker picks the runtime; DEMO_EXIT=1 stops once the app answers.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=$root/.venv/bin
demo=${DEMO_DIR:-$root/.demo}
remote=$demo/remote.git  # the GitSync pulls file://$remote; $demo/work commits and pushes to it
overlay=$demo/work/kustomize/overlays/dev
app_image=ghcr.io/owner/myfoodbudget:dev
operator_image=myfoodbudget/operator:dev
bad_image=ghcr.io/e2e/serves-500:1  # ready, then answers 500: the preflight stops it

pids=() names=()
cleanup() {  # the last started first: the operator, then the sandbox
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
interrupted() {
  trap - INT TERM
  echo
  echo "demo: stopping ${names[*]:-nothing}"
  cleanup
  echo "demo: stopped ${names[*]:-nothing}; logs and volumes stay in $demo"
  exit 0
}
trap cleanup EXIT
trap interrupted INT TERM

step() { printf '\n== %s\n' "$*"; }
fail() {
  echo "demo: $*" >&2
  for log in "$demo"/*.log; do echo "--- last lines of $log" >&2; tail -n 20 "$log" >&2; done
  exit 1
}
k() { "$bin/kubectl" --cache-dir "$demo/kube-cache" "$@"; }
serving() { [ "$(k -n myfoodbudget get release myfoodbudget -o jsonpath='{.status.servingShort}')" = "myfoodbudget:$1" ]; }
wait_until() {  # wait_until SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || fail "timed out waiting for $what"
    sleep 0.2
  done
}

# pick_runtime: docker when an engine answers and holds the images, else process (and why).
pick_runtime() {
  runtime=${DEMO_RUNTIME:-}
  if [ -z "$runtime" ]; then
    runtime=process why="no container engine answers (scripts/engine.sh up, then make images)"
    if bash scripts/engine.sh status >/dev/null 2>&1; then
      eval "$(bash scripts/engine.sh env)"
      if "$MYFOODBUDGET_DOCKER" image inspect "$app_image" "$operator_image" >/dev/null 2>&1; then
        runtime=docker why="the engine at $DOCKER_HOST holds the images"
      else
        why="the engine lacks $app_image or $operator_image (make images builds them)"
      fi
    fi
  else
    why="DEMO_RUNTIME=$runtime"
    [ "$runtime" = docker ] && eval "$(bash scripts/engine.sh env)"
  fi
  echo "runtime: $runtime ($why)"
}

start_sandbox() {
  local args=(--kubeconfig "$demo/kubeconfig" --data "$demo/data" --runtime "$runtime")
  [ "$runtime" = process ] && args+=(--images tests/images.yaml)
  "$bin/python" -m sandbox up "${args[@]}" >"$demo/sandbox.log" 2>&1 &
  local what="the sandbox (pid $!)"
  [ "$runtime" = process ] || what="the sandbox (pid $!, with its containers)"
  pids+=($!) names+=("$what")
  wait_until 60 "the sandbox to answer" test -s "$demo/kubeconfig"
  head -n 1 "$demo/sandbox.log"
}

# make_remote: $demo/work, a clone of this checkout whose dev GitSync pulls from $remote (one
# commit on top), and $remote, the bare repository it pushes to.
make_remote() {
  git clone --quiet "$root" "$demo/work"
  git -C "$demo/work" checkout --quiet -B main  # the branch the GitSync follows
  git -C "$demo/work" config user.name demo && git -C "$demo/work" config user.email demo@localhost
  sed -i "s#url: file://.*#url: file://$remote#" "$overlay/gitsync.yaml"
  git -C "$demo/work" commit --quiet -am "demo: the GitSync pulls from this demo's remote"
  git init --quiet --bare -b main "$remote"
  git -C "$demo/work" remote set-url origin "$remote"
  git -C "$demo/work" push --quiet -u origin main
  git -C "$remote" log --oneline -1
}

# start_operator: python -m gitops on the host, with the sandbox's admin kubeconfig; its
# snapshot and restore Jobs run in the operator image.
start_operator() {
  local image=$operator_image pod_http=(POD_HTTP=proxy)
  if [ "$runtime" = process ]; then
    # its pods share 127.0.0.1 at remapped ports: the operator reaches them there directly
    # (smoke checks, /metrics while baking); on docker through the API server's pods/proxy
    image=ghcr.io/owner/myfoodbudget-operator:dev
    pod_http=(POD_HTTP=direct POD_PORTS_ANNOTATION=sandbox.myfoodbudget.dev/ports)
  fi
  env OPERATOR_IMAGE="$image" WATCH_NAMESPACE=myfoodbudget METRICS_PORT=0 "${pod_http[@]}" \
    WORK_DIR="$demo/work-operator" "$bin/python" -m gitops --namespace myfoodbudget \
    >"$demo/operator.log" 2>&1 &
  pids+=($!) names+=("the operator (pid $!)")
}

rm -rf "$demo" && mkdir -p "$demo"

step "1/7 sandbox: API server, controllers and kubelet"
pick_runtime
start_sandbox
export KUBECONFIG=$demo/kubeconfig

step "2/7 the CRDs, the namespaces and the app's Secret"
k apply --validate=false -f manifests/crds/
k wait --for=condition=Established --timeout=60s \
  crd/releases.gitops.myfoodbudget.dev crd/gitsyncs.gitops.myfoodbudget.dev
k apply --validate=false -f manifests/namespaces.yaml
k -n myfoodbudget create secret generic myfoodbudget-secrets \
  --from-literal=secret-key="$("$bin/python" -c 'import secrets; print(secrets.token_hex(32))')" \
  --dry-run=client -o yaml | k apply --validate=false -f -

step "3/7 git remote $remote (this checkout's commits; uncommitted changes are not in it)"
make_remote

step "4/7 the operator: python -m gitops, watching namespace myfoodbudget"
start_operator

step "5/7 first deploy: apply the dev overlay once; the GitSync in it takes over"
k apply --validate=false -k "$overlay"
k -n myfoodbudget wait --for=condition=Ready gitsync/myfoodbudget --timeout=120s ||
  fail "the GitSync did not become Ready"
k -n myfoodbudget wait --for=condition=Ready release/myfoodbudget --timeout=180s ||
  fail "the Release did not become Ready"
k -n myfoodbudget get releases,gitsyncs,deployments,pods

node_port=$(k -n myfoodbudget get service myfoodbudget -o jsonpath='{.spec.ports[0].nodePort}')
app_url=http://127.0.0.1:$node_port
step "6/7 MyFoodBudget answers at $app_url/"
wait_until 30 "the app behind the NodePort" "$bin/python" -c \
  "import urllib.request as u; u.urlopen('$app_url/readyz', timeout=2)"
"$bin/python" -c "import urllib.request as u; print(u.urlopen('$app_url/version').read().decode())"

step "7/7 a deploy the GitOps way: newTag dev2 in the overlay, committed, pushed to $remote"
sed -i 's/newTag: .*/newTag: dev2/' "$overlay/kustomization.yaml"
git -C "$demo/work" commit --quiet -am "Deploy dev2" && git -C "$demo/work" push --quiet
git -C "$remote" log --oneline -1
k -n myfoodbudget annotate gitsync myfoodbudget --overwrite \
  gitops.myfoodbudget.dev/sync-requested="$(date +%s)" >/dev/null  # rather than wait for 15s
wait_until 180 "the Release to serve dev2" serving dev2  # its preflight, checks and bake
k -n myfoodbudget get events --field-selector involvedObject.kind=Release \
  --sort-by=.metadata.creationTimestamp -o custom-columns=REASON:.reason,MESSAGE:.message
k -n myfoodbudget get releases,gitsyncs

cat <<TXT

MyFoodBudget: $app_url/ (runtime: $runtime)
Try it (in another shell):
  export KUBECONFIG=$demo/kubeconfig
  .venv/bin/kubectl -n myfoodbudget port-forward svc/myfoodbudget 8080:80   # then http://127.0.0.1:8080/
  .venv/bin/kubectl -n myfoodbudget exec deploy/myfoodbudget -- id
  .venv/bin/kubectl -n myfoodbudget get releases,gitsyncs
Deploy the GitOps way: edit the overlay, commit, push to the demo's remote (synced within 15s):
  sed -i 's/newTag: .*/newTag: dev/' $overlay/kustomization.yaml
  git -C $demo/work commit -qam "Deploy dev"
  git -C $demo/work push -q
Then a release whose pages answer 500: its preflight's smoke checks stop it, dev2 keeps serving:
  sed -i 's#newName: .*#newName: ${bad_image%:*}#; s/newTag: .*/newTag: "${bad_image##*:}"/' $overlay/kustomization.yaml && git -C $demo/work commit -qam "Deploy a failing image" && git -C $demo/work push -q
  .venv/bin/kubectl -n myfoodbudget get events --watch
Logs: $demo/sandbox.log, $demo/operator.log. Ctrl-C stops everything.
TXT

[ "${DEMO_EXIT:-0}" = 1 ] && exit 0
wait "${pids[0]}"

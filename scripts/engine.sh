#!/usr/bin/env bash
# The container engine that builds and runs the project's images.
#   scripts/engine.sh up [--lease PID]    make sure an engine answers; start our own if needed
#   scripts/engine.sh env                 print the exports that point docker at it (eval or source)
#   scripts/engine.sh down [--lease PID]  stop our own engine if this `up` started it (the same
#                                         lease, or both by hand) and no other lease's process
#                                         still runs
#   scripts/engine.sh status              say which engine answers, exit 1 when none does
# Which engine: DOCKER_HOST when it is set and answers; else our own dockerd when it already
# runs; else the system's /var/run/docker.sock (MYFOODBUDGET_SYSTEM_SOCKET) when it answers;
# else `up` starts our own:
# Debian's docker.io (installed with apt-get when missing) with its own socket, pid file and
# exec root, its data root in MYFOODBUDGET_CACHE (default ~/.cache/myfoodbudget) so layers
# survive between runs. It never touches a system engine, and gives containers no network of
# its own (--bridge=none --iptables=false --ip-masq=false): builds and containers use
# `--network host` or none.
set -euo pipefail

cache=${MYFOODBUDGET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/myfoodbudget}
root="$cache/engine"
sock="$root/docker.sock"
pidfile="$root/dockerd.pid"
leases="$root/leases"
# containerd's sockets live in the exec root: keep its path short, one per data root.
exec_root=/run/myfoodbudget-engine-$(echo "$root" | sha256sum | cut -c1-8)
system_sock=${MYFOODBUDGET_SYSTEM_SOCKET:-/var/run/docker.sock}
# Debian's client matches Debian's dockerd; another docker first on PATH may be newer than it.
docker_bin=$(command -v /usr/bin/docker || command -v docker || true)

say() { echo "engine: $*" >&2; }

# answers HOST: true when a docker daemon answers at HOST (unix://... or tcp://...).
answers() {
  [ -n "$docker_bin" ] && DOCKER_HOST=$1 timeout 10 "$docker_bin" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# ours_running: true when our dockerd's pid file names a live dockerd.
ours_running() {
  local pid
  [ -f "$pidfile" ] && pid=$(cat "$pidfile") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]
}

# current: the DOCKER_HOST to use now, or nothing when no engine answers.
current() {
  if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != "unix://$sock" ]; then
    answers "$DOCKER_HOST" && echo "$DOCKER_HOST"
    return 0
  fi
  if answers "unix://$sock"; then
    echo "unix://$sock"
  elif [ -S "$system_sock" ] && answers "unix://$system_sock"; then
    echo "unix://$system_sock"
  fi
}

install_engine() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
  command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  docker_bin=$(command -v /usr/bin/docker || command -v docker)
}

start_ours() {
  if [ "$(id -u)" -ne 0 ]; then
    say "no container engine answers (DOCKER_HOST, $system_sock) and starting our own dockerd needs root: run 'sudo scripts/engine.sh up', or set DOCKER_HOST to an engine you can use"
    exit 1
  fi
  install_engine
  mkdir -p "$root/data" "$exec_root" "$leases"
  rm -f "$sock"
  say "starting dockerd (data root $root/data, log $root/dockerd.log)"
  setsid "$(command -v dockerd || echo /usr/sbin/dockerd)" --host "unix://$sock" \
    --data-root "$root/data" --exec-root "$exec_root" --pidfile "$pidfile" \
    --bridge=none --iptables=false --ip-masq=false --ip6tables=false \
    </dev/null >"$root/dockerd.log" 2>&1 9>&- &
  local pid=$! deadline=$((SECONDS + 60))
  until answers "unix://$sock"; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 20 "$root/dockerd.log" >&2
      say "dockerd did not start (log above, full log in $root/dockerd.log)"
      exit 1
    fi
    sleep 0.2
  done
  say "dockerd $("$docker_bin" -H "unix://$sock" version --format '{{.Server.Version}}') up (pid $pid)"
}

# lease_of "$@": the lease PID given with --lease, if any.
lease_of() {
  if [ "${1:-}" = --lease ] && [ -n "${2:-}" ]; then echo "$2"; fi
}

up() {
  local host lease started=""
  lease=$(lease_of "$@")
  mkdir -p "$root"
  exec 9>"$root/lock"
  flock 9
  host=$(current)
  if [ -z "$host" ]; then
    if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != "unix://$sock" ]; then
      say "DOCKER_HOST=$DOCKER_HOST does not answer: start that engine, or unset DOCKER_HOST"
      exit 1
    fi
    start_ours
    host="unix://$sock"
    started=yes
  elif [ "$host" = "unix://$sock" ]; then
    say "our dockerd already runs at $sock: reusing it"
  else
    say "using the engine at $host"
  fi
  if [ "$host" = "unix://$sock" ]; then
    [ -n "$lease" ] && mkdir -p "$leases" && : >"$leases/$lease"
    [ -n "$started" ] && echo "${lease:-manual}" >"$root/started-by"
  fi
  return 0
}

down() {
  local lease owner other live=""
  lease=$(lease_of "$@")
  [ -d "$root" ] || return 0
  exec 9>"$root/lock"
  flock 9
  [ -n "$lease" ] && rm -f "$leases/$lease"
  ours_running || { rm -f "$root/started-by"; return 0; }
  owner=$(cat "$root/started-by" 2>/dev/null || echo manual)
  for other in "$leases"/*; do
    [ -e "$other" ] || continue
    if kill -0 "$(basename "$other")" 2>/dev/null; then live=$(basename "$other"); else rm -f "$other"; fi
  done
  # Only the one that started it stops it (a lease, or `up` by hand for `down` by hand); a
  # lease whose process died hands that duty on to one that still runs.
  if [ "$owner" != "${lease:-manual}" ] && { [ "$owner" = manual ] || kill -0 "$owner" 2>/dev/null; }; then
    return 0
  fi
  if [ -n "$live" ]; then
    echo "$live" >"$root/started-by"
    say "our dockerd stays up: still used by pid $live"
    return 0
  fi
  stop_ours
}

stop_ours() {
  local pid deadline=$((SECONDS + 60))
  pid=$(cat "$pidfile")
  say "stopping our dockerd (pid $pid)"
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "dockerd (pid $pid) did not stop within 60s; see $root/dockerd.log"
      exit 1
    fi
    sleep 0.2
  done
  rm -f "$root/started-by"
  # dockerd leaves its runtime state behind, with its network namespace still mounted
  umount "$exec_root/netns/default" 2>/dev/null || true
  grep -q " $exec_root/" /proc/mounts || rm -rf "$exec_root"
}

env_exports() {
  local host
  host=$(current)
  if [ -z "$host" ]; then
    say "no container engine answers: run 'scripts/engine.sh up' (as root) first"
    exit 1
  fi
  echo "export DOCKER_HOST=$host"
  echo "export MYFOODBUDGET_DOCKER=$docker_bin"
  # The classic builder: BuildKit's Dockerfile frontend would be pulled from a registry.
  echo "export DOCKER_BUILDKIT=0"
}

case "${1:-}" in
  up) shift && up "$@" ;;
  down) shift && down "$@" ;;
  env) env_exports ;;
  status)
    host=$(current)
    [ -n "$host" ] || { say "no container engine answers"; exit 1; }
    say "engine at $host answers" ;;
  *)
    echo "usage: scripts/engine.sh up|env|down [--lease PID] | status" >&2
    exit 2 ;;
esac

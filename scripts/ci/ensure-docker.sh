#!/usr/bin/env bash
# Makes a Docker engine answer on this machine, idempotently (DESIGN.md §11).
#
# - Installs Debian's docker.io when there is no dockerd (the docker in /usr/local/bin is only a client).
# - Starts dockerd in the background when `docker info` fails: first with the default storage driver,
#   then with vfs when that one cannot start (overlay inside some sandboxes).
# - Installs debootstrap, which `npm run images -- --offline` needs for its base images.
# Exits non-zero with a message that names the step that failed.
#
# Env: HOTSWAP_DOCKERD_LOG (default /var/log/hotswap/dockerd.log),
#      HOTSWAP_DOCKERD_WAIT seconds to wait for the engine per attempt (default 60).
set -uo pipefail

LOG="${HOTSWAP_DOCKERD_LOG:-/var/log/hotswap/dockerd.log}"
WAIT="${HOTSWAP_DOCKERD_WAIT:-60}"

say() { echo "ensure-docker: $*" >&2; }
die() { echo "ensure-docker: FAILED: $*" >&2; exit 1; }

mkdir -p "$(dirname "$LOG")" || die "cannot create the log directory for $LOG"

# shellcheck source=scripts/ci/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

# debootstrap builds the offline base images; install it whatever the engine's state.
command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
# docker.io brings dockerd, containerd, runc and a client.
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  apt_install docker.io
fi
command -v dockerd >/dev/null 2>&1 || die "dockerd is still missing after installing docker.io"

if engine_answers; then
  say "engine answers ($(docker info --format '{{.ServerVersion}}, storage {{.Driver}}' 2>/dev/null))"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != "unix:///var/run/docker.sock" ]; then
  die "DOCKER_HOST=$DOCKER_HOST does not answer 'docker info'; this script only starts a local dockerd (unset DOCKER_HOST to use it)"
fi

DOCKERD_PID=""
# Waits up to $WAIT s for the engine; returns 1 as soon as the dockerd we started has exited.
wait_for_engine() {
  local i
  for ((i = 0; i < WAIT * 2; i++)); do
    engine_answers && return 0
    if [ -n "$DOCKERD_PID" ] && ! kill -0 "$DOCKERD_PID" 2>/dev/null; then return 1; fi
    sleep 0.5
  done
  return 1
}

start_dockerd() {
  say "starting dockerd${*:+ $*} (log: $LOG)"
  echo "=== $(date -u +%FT%TZ) ensure-docker: dockerd $*" >>"$LOG"
  # setsid: the engine outlives this script and its caller's process group.
  setsid dockerd "$@" >>"$LOG" 2>&1 </dev/null &
  DOCKERD_PID=$!
}

stop_our_dockerd() {
  [ -n "$DOCKERD_PID" ] || return 0
  kill "$DOCKERD_PID" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$DOCKERD_PID" 2>/dev/null || true
  DOCKERD_PID=""
}

if pid=$(pgrep -x dockerd | head -n1) && [ -n "$pid" ]; then
  # A dockerd is already starting (or stuck): give it the same time before touching anything.
  say "dockerd is already running (pid $pid); waiting for it to answer"
  DOCKERD_PID="$pid"
  wait_for_engine && { say "engine answers"; exit 0; }
  die "a dockerd (pid $pid) is running but 'docker info' got no answer within ${WAIT}s; see $LOG, stop that dockerd and rerun"
fi

start_dockerd
if wait_for_engine; then
  say "engine answers ($(docker info --format '{{.ServerVersion}}, storage {{.Driver}}' 2>/dev/null))"
  exit 0
fi
say "dockerd did not come up with the default storage driver; last lines of $LOG:"
tail -n 12 "$LOG" >&2
stop_our_dockerd

start_dockerd --storage-driver=vfs
if wait_for_engine; then
  say "engine answers with the vfs storage driver ($(docker info --format '{{.ServerVersion}}' 2>/dev/null))"
  exit 0
fi
tail -n 25 "$LOG" >&2
stop_our_dockerd
die "dockerd did not answer 'docker info' within ${WAIT}s, neither with the default storage driver nor with vfs (log: $LOG)"

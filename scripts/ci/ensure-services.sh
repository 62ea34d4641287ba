#!/usr/bin/env bash
# Makes Postgres (127.0.0.1:5432), Redis (127.0.0.1:6379), RabbitMQ (127.0.0.1:5672, guest/guest) and
# NATS with JetStream (127.0.0.1:4222) answer on this machine, idempotently (DESIGN.md §11). Installs
# Debian's packages when absent, starts each service when down, and waits until it answers. Exits
# non-zero naming what failed.
#
# Env: HOTSWAP_SERVICES_WAIT seconds to wait for each service (default 30).
set -uo pipefail

WAIT="${HOTSWAP_SERVICES_WAIT:-30}"

say() { echo "ensure-services: $*" >&2; }
die() { echo "ensure-services: FAILED: $*" >&2; exit 1; }


# shellcheck source=scripts/ci/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

# wait_until SECONDS COMMAND...: true as soon as COMMAND succeeds.
wait_until() {
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 4; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  return 1
}

# ---- Postgres -------------------------------------------------------------------------------------
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432; }

ensure_postgres() {
  local fresh=0 version
  if command -v pg_isready >/dev/null 2>&1 && pg_up; then
    say "postgres answers on 127.0.0.1:5432"
    return 0
  fi
  if ! ls -d /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
    fresh=1
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  [ -n "$version" ] && [ -d "/etc/postgresql/$version/main" ] || die "no Postgres cluster under /etc/postgresql/*/main"
  if [ "$fresh" = 1 ]; then
    # Match the machines' setup (trust on loopback) so tests connect as postgres@127.0.0.1 without a password.
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 trust" "host all all ::1/128 trust" |
      cat - "$hba" >"$hba.new" && mv "$hba.new" "$hba" || die "cannot write $hba"
  fi
  say "starting postgres $version"
  local out
  out=$(pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>&1) ||
    case "$out" in *"already running"*) ;; *) echo "$out" >&2; die "pg_ctlcluster $version main start failed" ;; esac
  wait_until "$WAIT" pg_up || die "postgres did not answer pg_isready on 127.0.0.1:5432 within ${WAIT}s (log: /var/log/postgresql/postgresql-$version-main.log)"
  if [ "$fresh" = 1 ]; then
    psql -h 127.0.0.1 -U postgres -qc "CREATE ROLE root SUPERUSER LOGIN" >/dev/null 2>&1 || true
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE test" >/dev/null 2>&1 || true
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE root OWNER root" >/dev/null 2>&1 || true
  fi
  say "postgres answers on 127.0.0.1:5432"
}

# ---- Redis ----------------------------------------------------------------------------------------
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

ensure_redis() {
  if command -v redis-cli >/dev/null 2>&1 && redis_up; then
    say "redis answers on 127.0.0.1:6379"
    return 0
  fi
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis || die "cannot create /var/lib/redis or /var/log/redis"
  say "starting redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || die "redis-server did not start (log: /var/log/redis/ci.log)"
  wait_until "$WAIT" redis_up || die "redis did not answer PING on 127.0.0.1:6379 within ${WAIT}s (log: /var/log/redis/ci.log)"
  say "redis answers on 127.0.0.1:6379"
}

# ---- TCP services (RabbitMQ, NATS) ---------------------------------------------------------------
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_rabbitmq() {
  if port_open 5672; then
    say "rabbitmq answers on 127.0.0.1:5672"
    return 0
  fi
  command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
  say "starting rabbitmq"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  # RabbitMQ (Erlang) takes several seconds to open its listener.
  wait_until $((WAIT * 3)) port_open 5672 || die "rabbitmq did not listen on 127.0.0.1:5672 within $((WAIT * 3))s (log: /var/log/rabbitmq/)"
  say "rabbitmq answers on 127.0.0.1:5672"
}

ensure_nats() {
  if port_open 4222; then
    say "nats answers on 127.0.0.1:4222"
    return 0
  fi
  command -v nats-server >/dev/null 2>&1 || apt_install nats-server
  mkdir -p /var/lib/nats-server || die "cannot create /var/lib/nats-server"
  say "starting nats-server with JetStream"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log ||
    die "nats-server did not start (log: /var/log/nats-server.log)"
  wait_until "$WAIT" port_open 4222 || die "nats did not listen on 127.0.0.1:4222 within ${WAIT}s (log: /var/log/nats-server.log)"
  say "nats answers on 127.0.0.1:4222"
}

# ---- Tools the tests call ------------------------------------------------------------------------
# promtool (from Debian's prometheus package) checks dashboards/alerts/*.rules.yml.
ensure_tools() {
  command -v promtool >/dev/null 2>&1 || apt_install prometheus
  command -v promtool >/dev/null 2>&1 || die "promtool is still missing after installing prometheus"
  command -v zip >/dev/null 2>&1 || apt_install zip
  # The README tour test runs the tour's curl commands as written.
  command -v curl >/dev/null 2>&1 || apt_install curl
  say "tools present: promtool, zip, curl"
}

ensure_postgres
ensure_redis
ensure_rabbitmq
ensure_nats
ensure_tools

# Sourced by the scripts/ci/ensure-*.sh scripts: apt_install with one `apt-get update` per run.
# Needs `say` and `die` defined by the caller. Env: HOTSWAP_APT_LOG (default /var/log/hotswap/apt.log).
APT_LOG="${HOTSWAP_APT_LOG:-/var/log/hotswap/apt.log}"
mkdir -p "$(dirname "$APT_LOG")" || die "cannot create $(dirname "$APT_LOG")"

APT_UPDATED=0
apt_install() {
  [ "$(id -u)" = 0 ] || die "need root to apt-get install $* (run as root, or install them by hand)"
  if [ "$APT_UPDATED" = 0 ]; then
    say "apt-get update"
    apt-get update -q >>"$APT_LOG" 2>&1 || { tail -n 15 "$APT_LOG" >&2; die "apt-get update failed (log: $APT_LOG)"; }
    APT_UPDATED=1
  fi
  say "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$APT_LOG" 2>&1 ||
    { tail -n 15 "$APT_LOG" >&2; die "apt-get install $* failed (log: $APT_LOG)"; }
}

#!/usr/bin/env bash
# Installs the toolchains of the ruby3.1 runtime and of the Go `provided` example from Debian when
# they are missing: `ruby` (bookworm's Ruby 3.1, run by the process backend and replaying the golden
# frames) and `golang-go` (builds examples/go-provided into a `bootstrap` for the end-to-end test).
set -euo pipefail
say() { printf 'ensure-ruby-go: %s\n' "$*"; }
die() { printf 'ensure-ruby-go: %s\n' "$*" >&2; exit 1; }
# shellcheck source=apt.sh
. "$(dirname "$0")/apt.sh"

missing=()
command -v ruby >/dev/null || missing+=(ruby)
command -v go >/dev/null || missing+=(golang-go)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

ruby -e 'exit(RUBY_VERSION.start_with?("3.1.") ? 0 : 1)' || die "ruby is $(ruby -e 'print RUBY_VERSION'), not 3.1: the ruby3.1 runtime needs Debian bookworm's ruby"
# The process backend's sandbox users run ruby too (README "Security model").
if [ "$(id -u)" = 0 ]; then
  su nobody -s /bin/sh -c "ruby -e 'require \"json\"; require \"socket\"'" >/dev/null 2>&1 || die "ruby does not run as another user"
fi
say "ruby: $(command -v ruby) $(ruby -e 'print RUBY_VERSION')"
say "go: $(command -v go) $(go version | cut -d' ' -f3)"

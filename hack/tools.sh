#!/usr/bin/env bash
# Builds pinned upstream tools from their Go modules into a cache outside the repo.
#   hack/tools.sh install [tool ...]   build the named tools (default: all), skipping built ones
#   hack/tools.sh path                 print the folder holding the binaries
# Versions: hack/versions.env. Cache: ${BOREALIS_TOOLS:-$HOME/.cache/borealis/tools}.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
TOOLS=${BOREALIS_TOOLS:-$HOME/.cache/borealis/tools}
BIN="$TOOLS/bin"
mkdir -p "$BIN" "$TOOLS/stamps"
export GOFLAGS=${GOFLAGS:--mod=mod}
export CGO_ENABLED=0

log() { printf '[tools] %s\n' "$*" >&2; }

built() { # name version
  [ -x "$BIN/$1" ] && [ -f "$TOOLS/stamps/$1" ] && [ "$(cat "$TOOLS/stamps/$1")" = "$2" ]
}
stamp() { echo "$2" >"$TOOLS/stamps/$1"; }

install_nats_server() {
  built nats-server "$NATS_SERVER_VERSION" && return 0
  log "building nats-server $NATS_SERVER_VERSION (go install)…"
  local t0=$SECONDS
  GOBIN="$BIN" go install "github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION"
  stamp nats-server "$NATS_SERVER_VERSION"
  log "nats-server built in $((SECONDS - t0)) s"
}

ALL_TOOLS=(nats-server)

cmd=${1:-}
shift || true
case "$cmd" in
  path) echo "$BIN" ;;
  install)
    command -v go >/dev/null || { echo "tools.sh: go is not installed; it is needed to build pinned tools" >&2; exit 1; }
    [ $# -gt 0 ] || set -- "${ALL_TOOLS[@]}"
    for t in "$@"; do
      fn="install_${t//-/_}"
      declare -F "$fn" >/dev/null || { echo "tools.sh: unknown tool '$t' (known: ${ALL_TOOLS[*]})" >&2; exit 2; }
      "$fn"
    done
    ;;
  *) echo "usage: hack/tools.sh install [tool ...] | path" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Removes what hack/kind-up.sh made: the management and region kind clusters it recorded (or, without a
# record, every borealis-* kind cluster), the drill helper containers, the `kind` Docker network when
# kind-up created it and nothing else uses it; restores the host kernel settings (hack/kind.sh down).
#   npm run kind:down
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DOCKER=/usr/bin/docker
STATE=${BOREALIS_KIND_STATE:-$HOME/.cache/borealis/kind}
log() { printf '[kind-down] %s\n' "$*" >&2; }

names=()
if [ -f "$STATE/kind-up.env" ]; then
  # shellcheck disable=SC1091
  . "$STATE/kind-up.env"
  names=("$MGMT" $REGIONS)
fi
# The host-side Prometheus kind-up started (pid file).
if [ -f "$STATE/prometheus/pid" ]; then
  pid=$(cat "$STATE/prometheus/pid")
  if kill -0 "$pid" 2>/dev/null && grep -q prometheus "/proc/$pid/cmdline" 2>/dev/null; then
    kill "$pid" && log "stopped Prometheus (pid $pid)"
  fi
  rm -rf "$STATE/prometheus"
fi
# A paused node (freeze drill) cannot be stopped by kind: unpause first; reconnect is not needed to delete.
for n in "${names[@]}"; do
  c=borealis-$n-control-plane
  if [ "$("$DOCKER" inspect -f '{{.State.Paused}}' "$c" 2>/dev/null || true)" = true ]; then
    log "unpausing $c"
    "$DOCKER" unpause "$c" >/dev/null
  fi
done
if [ ${#names[@]} -gt 0 ]; then
  bash "$here/kind.sh" down "${names[@]}"
else
  bash "$here/kind.sh" down
fi
if [ -f "$STATE/kind-network.created-by-kind-up" ]; then
  if [ -z "$("$DOCKER" network inspect kind -f '{{range .Containers}}{{.Name}} {{end}}' 2>/dev/null)" ]; then
    "$DOCKER" network rm kind >/dev/null 2>&1 && log "removed Docker network kind"
  else
    log "Docker network kind still has containers: kept"
  fi
  rm -f "$STATE/kind-network.created-by-kind-up"
fi
rm -f "$STATE/kind-up.env" "$STATE/endpoints.env" "$STATE/global-database.yaml" "$STATE/ready-times.tsv" "$STATE"/*.internal.kubeconfig
log "done"

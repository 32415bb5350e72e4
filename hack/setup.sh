#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh machine; idempotent and quiet when done.
#   hack/setup.sh [demo|test]   (default: demo)
#   - Debian packages: PostgreSQL 15 (server, client, pgbench); for tests also prometheus
#     (promtool) and chromium (drill report screenshot)
#   - npm dependencies (npm ci) when node_modules is missing or stale
#   - pinned tools built from Go modules into the tool cache (hack/tools.sh): nats-server; for
#     tests also kube-apiserver/etcd/kubectl (operator tests), helm (chart tests), k6 (load smoke)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
profile=${1:-demo}
case "$profile" in demo | test) ;; *) echo "usage: hack/setup.sh [demo|test]" >&2; exit 2 ;; esac
cd "$root"
log() { printf '[setup] %s\n' "$*" >&2; }

apt_needed=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || apt_needed+=(postgresql-15 postgresql-client-15 postgresql-contrib)
if [ "$profile" = test ]; then
  command -v promtool >/dev/null || apt_needed+=(prometheus)
  command -v chromium >/dev/null || apt_needed+=(chromium)
fi
if [ ${#apt_needed[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${apt_needed[*]} — run: sudo apt-get install ${apt_needed[*]}"
    exit 1
  fi
  log "installing Debian packages: ${apt_needed[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_needed[@]}" >/dev/null
  # Debian starts its own PostgreSQL/Prometheus services on install; Borealis runs its own instances.
  for svc in postgresql prometheus prometheus-node-exporter; do
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then systemctl stop "$svc" || true; fi
  done
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (npm ci)"
  # The npm registry reachable here lacks the other platforms' optional packages (e.g. rollup's
  # android/darwin builds, 404), which package-lock.json names; npm ci then refuses the lock as
  # "out of sync". npm install still installs exactly the locked versions for this platform.
  if ! npm ci --no-audit --no-fund --loglevel=error 2>/dev/null; then
    log "npm ci refused the lock file (registry lacks other platforms' optional packages); npm install from the lock instead"
    npm install --no-audit --no-fund --loglevel=error
  fi
fi

if [ "$profile" = test ]; then
  bash hack/tools.sh install nats-server kube-apiserver etcd helm k6
else
  bash hack/tools.sh install nats-server
fi

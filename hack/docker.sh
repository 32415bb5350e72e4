#!/usr/bin/env bash
# A local Docker engine for the kind testbed, set up so that no container traffic can
# leave the machine.
#   hack/docker.sh up       install Debian's docker.io if missing, write the runc wrapper,
#                           insert the egress guard, start dockerd if none answers
#   hack/docker.sh guard    (re)insert the egress guard only (idempotent)
#   hack/docker.sh status   print whether the daemon answers and the guard is in place
#   hack/docker.sh stop     stop the dockerd this script started (pid file)
#   hack/docker.sh client   print the path of the daemon's own docker client
#
# Facts this relies on (docs/toolchain.md, DESIGN §9):
# - Egress guard: Docker forwards and masquerades container traffic out of the uplink.
#   Before any container starts, `iptables -I DOCKER-USER 1 -o <uplink> -j DROP` and
#   `ip6tables -I FORWARD 1 -o <uplink> -j DROP` (uplink = default route's interface).
#   Host <-> container and container <-> container traffic does not use the uplink.
# - The VM's capability bounding set lacks CAP_SYS_RESOURCE, so privileged containers
#   (kind nodes) fail to start unless a runtime wrapper removes it from the OCI config.
# - A newer docker client earlier on PATH (/usr/local/bin/docker) shadows the daemon's
#   own client: use /usr/bin/docker.
set -euo pipefail
DOCKER=/usr/bin/docker
DOCKERD=/usr/sbin/dockerd
WRAPPER=/usr/local/libexec/borealis/runc-no-sys-resource
RUNTIME_NAME=borealis-runc
DAEMON_JSON=/etc/docker/daemon.json
LOG=${BOREALIS_DOCKERD_LOG:-/var/log/borealis-dockerd.log}
PIDFILE=/var/run/borealis-dockerd.pid

log() { printf '[docker] %s\n' "$*" >&2; }
die() { printf 'docker.sh: %s\n' "$*" >&2; exit 1; }

need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages, edits iptables and starts dockerd)"; }

uplink() {
  local dev
  dev=$(ip -4 route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
  [ -n "$dev" ] || dev=$(ip -6 route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
  [ -n "$dev" ] || die "no default route: cannot tell which interface is the uplink to guard (ip route show default is empty)"
  echo "$dev"
}

install_packages() {
  local pkgs=()
  [ -x "$DOCKERD" ] && [ -x "$DOCKER" ] || pkgs+=(docker.io)
  command -v iptables >/dev/null || pkgs+=(iptables)
  command -v jq >/dev/null || pkgs+=(jq)
  [ -x /usr/sbin/runc ] || pkgs+=(runc)
  [ ${#pkgs[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${pkgs[*]}"
  # No service may start on install: dockerd must only start after the egress guard.
  local policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_added=1
  fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  [ "$policy_added" = 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

write_wrapper() {
  local real
  real=$(command -v runc || true)
  [ -x /usr/sbin/runc ] && real=/usr/sbin/runc
  [ -n "$real" ] && [ "$real" != "$WRAPPER" ] || die "no runc found (install Debian's runc)"
  mkdir -p "$(dirname "$WRAPPER")"
  local tmp="$WRAPPER.tmp.$$"
  cat >"$tmp" <<EOF
#!/bin/sh
# Written by hack/docker.sh. Removes CAP_SYS_RESOURCE (missing from this machine's
# capability bounding set) from every capability set of the OCI config on create/run and
# of the process file on exec, then runs the real runc with the same arguments.
REAL_RUNC=$real
EOF
  cat >>"$tmp" <<'EOF'
strip() { # file jq-path-to-capabilities-object
  [ -f "$1" ] || return 0
  t="$1.borealis.$$"
  jq -c "if $2 != null then $2 |= with_entries(.value |= (if type == \"array\" then map(select(. != \"CAP_SYS_RESOURCE\")) else . end)) else . end" "$1" >"$t" && mv "$t" "$1"
}
cmd=""; bundle="."; process=""; prev=""
for a in "$@"; do
  case "$prev" in
    --bundle | -b) bundle="$a" ;;
    --process | -p) [ "$cmd" = exec ] && process="$a" ;;
  esac
  case "$a" in
    --bundle=*) bundle="${a#--bundle=}" ;;
    --process=*) process="${a#--process=}" ;;
  esac
  if [ -z "$cmd" ]; then
    case "$a" in
      create | run | exec) case "$prev" in --root | --log | --log-format | --criu) ;; *) cmd="$a" ;; esac ;;
    esac
  fi
  prev="$a"
done
case "$cmd" in
  create | run) strip "$bundle/config.json" .process.capabilities ;;
  exec) [ -n "$process" ] && strip "$process" .capabilities ;;
esac
exec "$REAL_RUNC" "$@"
EOF
  chmod 0755 "$tmp"
  mv "$tmp" "$WRAPPER"
}

write_daemon_json() {
  mkdir -p "$(dirname "$DAEMON_JSON")"
  local cur='{}'
  [ -s "$DAEMON_JSON" ] && cur=$(cat "$DAEMON_JSON")
  local next
  next=$(printf '%s' "$cur" | jq --arg n "$RUNTIME_NAME" --arg p "$WRAPPER" \
    '.runtimes[$n] = {path: $p} | ."default-runtime" = $n')
  if [ "$(printf '%s' "$cur" | jq -S .)" != "$(printf '%s' "$next" | jq -S .)" ]; then
    printf '%s\n' "$next" >"$DAEMON_JSON"
    log "wrote $DAEMON_JSON (default-runtime $RUNTIME_NAME)"
    return 1 # changed
  fi
  return 0
}

guard() {
  local dev
  dev=$(uplink)
  command -v iptables >/dev/null || die "iptables is not installed (apt-get install iptables)"
  iptables -w -t filter -n -L DOCKER-USER >/dev/null 2>&1 || iptables -w -N DOCKER-USER
  iptables -w -C FORWARD -j DOCKER-USER 2>/dev/null || iptables -w -I FORWARD 1 -j DOCKER-USER
  iptables -w -C DOCKER-USER -o "$dev" -j DROP 2>/dev/null || iptables -w -I DOCKER-USER 1 -o "$dev" -j DROP
  if command -v ip6tables >/dev/null; then
    ip6tables -w -C FORWARD -o "$dev" -j DROP 2>/dev/null || ip6tables -w -I FORWARD 1 -o "$dev" -j DROP
  fi
  # The DROP must be the first rule of DOCKER-USER (a rule above it could accept traffic).
  local first
  first=$(iptables -w -S DOCKER-USER | sed -n 2p)
  [ "$first" = "-A DOCKER-USER -o $dev -j DROP" ] || {
    iptables -w -D DOCKER-USER -o "$dev" -j DROP
    iptables -w -I DOCKER-USER 1 -o "$dev" -j DROP
  }
  log "egress guard in place: forwarded traffic out of $dev is dropped (IPv4 DOCKER-USER, IPv6 FORWARD)"
}

guard_ok() {
  local dev
  dev=$(uplink)
  iptables -w -C DOCKER-USER -o "$dev" -j DROP 2>/dev/null && iptables -w -C FORWARD -j DOCKER-USER 2>/dev/null &&
    { ! command -v ip6tables >/dev/null || ip6tables -w -C FORWARD -o "$dev" -j DROP 2>/dev/null; }
}

answers() { timeout 10 "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

up() {
  need_root
  install_packages
  write_wrapper
  local changed=0
  write_daemon_json || changed=1
  guard
  if answers; then
    if [ "$changed" = 1 ]; then
      die "a dockerd is already running but $DAEMON_JSON changed; restart it so default-runtime $RUNTIME_NAME applies"
    fi
    local rt
    rt=$("$DOCKER" info --format '{{.DefaultRuntime}}')
    [ "$rt" = "$RUNTIME_NAME" ] || die "the running dockerd uses default runtime '$rt', not $RUNTIME_NAME: restart it (hack/docker.sh stop && hack/docker.sh up)"
  else
    log "starting dockerd (log: $LOG)"
    mkdir -p "$(dirname "$LOG")"
    nohup "$DOCKERD" >>"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    local i
    for i in $(seq 1 60); do
      answers && break
      kill -0 "$(cat "$PIDFILE")" 2>/dev/null || die "dockerd exited at start; last lines of $LOG:
$(tail -n 20 "$LOG")"
      sleep 1
    done
    answers || die "dockerd did not answer within 60 s; see $LOG"
  fi
  # dockerd re-arranges FORWARD at start; make sure the guard is still first.
  guard
  log "docker $("$DOCKER" version --format '{{.Server.Version}}') ready, default runtime $("$DOCKER" info --format '{{.DefaultRuntime}}')"
}

stop() {
  need_root
  [ -f "$PIDFILE" ] || { log "no dockerd started by this script (no $PIDFILE)"; return 0; }
  local pid
  pid=$(cat "$PIDFILE")
  if kill -0 "$pid" 2>/dev/null && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = dockerd ]; then
    kill "$pid"
    local i
    for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  rm -f "$PIDFILE"
}

case "${1:-}" in
  up) up ;;
  guard) need_root; guard ;;
  status)
    if answers; then echo "dockerd: answers ($("$DOCKER" version --format '{{.Server.Version}}'), default runtime $("$DOCKER" info --format '{{.DefaultRuntime}}'))"; else echo "dockerd: not answering"; fi
    if guard_ok; then echo "egress guard: in place on $(uplink)"; else echo "egress guard: MISSING"; exit 1; fi
    ;;
  stop) stop ;;
  client) echo "$DOCKER" ;;
  *) echo "usage: hack/docker.sh up | guard | status | stop | client" >&2; exit 2 ;;
esac

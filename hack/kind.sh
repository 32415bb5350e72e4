#!/usr/bin/env bash
# kind clusters of the testbed, one per region, from the locally built node image.
#   hack/kind.sh up [N | region ...]   create borealis-<region> clusters (N → regions r1..rN; default 1)
#   hack/kind.sh down [region ...]     delete them (default: every borealis-* cluster)
#   hack/kind.sh check                 in every cluster run a pod from a locally built image and show
#                                      that a pod of each cluster reaches a NodePort of the next one
#                                      over the kind Docker network, and the host reaches it on 127.0.0.1
#   hack/kind.sh list                  clusters, kubeconfigs and host ports
# Host access is only through 127.0.0.1 port mappings (API server and NodePort 30080).
# Kubeconfigs: $STATE/<cluster>.kubeconfig (STATE=${BOREALIS_KIND_STATE:-$HOME/.cache/borealis/kind}).
#
# Host side effects, undone: kubelets in privileged nodes change global kernel settings
# (vm.overcommit_memory, kernel.panic, kernel.panic_on_oops, kernel.keys.root_max*), and more
# than five clusters exhaust fs.inotify.max_user_instances. `up` records those settings
# before the first cluster, raises the inotify limits, and `down` restores them all after
# the last kind cluster is gone.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
BIN=$(bash "$here/tools.sh" path)
DOCKER=/usr/bin/docker
STATE=${BOREALIS_KIND_STATE:-$HOME/.cache/borealis/kind}
NODE_IMAGE=${KIND_NODE_IMAGE:-borealis/kind-node:$KUBERNETES_VERSION}
NODEPORT=30080
SAVED="$STATE/host-sysctls.saved"
SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes
  fs.inotify.max_user_instances fs.inotify.max_user_watches)
mkdir -p "$STATE/shims"
# kind calls `docker`: give it the daemon's own client, not a newer one earlier on PATH.
ln -sf "$DOCKER" "$STATE/shims/docker"
export PATH="$STATE/shims:$BIN:$PATH"

log() { printf '[kind] %s\n' "$*" >&2; }
die() { printf 'kind.sh: %s\n' "$*" >&2; exit 1; }

[ -x "$BIN/kind" ] || die "kind is not built: run bash hack/tools.sh install kind"
[ -x "$BIN/kubectl" ] || die "kubectl is not built: run bash hack/tools.sh install kubectl"

kctl() { local c=$1; shift; kubectl --kubeconfig "$STATE/$c.kubeconfig" "$@"; }
clusters() { kind get clusters 2>/dev/null | grep '^borealis-' || true; }
any_kind_nodes() { [ -n "$("$DOCKER" ps -aq --filter label=io.x-k8s.kind.cluster)" ]; }

record_sysctls() {
  [ -f "$SAVED" ] && return 0
  if any_kind_nodes; then
    log "warning: kind nodes already exist; the recorded host settings may already be changed by their kubelets"
  fi
  local k
  for k in "${SYSCTLS[@]}"; do printf '%s=%s\n' "$k" "$(sysctl -n "$k")"; done >"$SAVED.tmp"
  mv "$SAVED.tmp" "$SAVED"
  log "recorded host kernel settings in $SAVED"
}

restore_sysctls() {
  [ -f "$SAVED" ] || return 0
  if any_kind_nodes; then
    log "kind nodes remain: host kernel settings stay as they are until the last one is deleted"
    return 0
  fi
  local line changed=()
  while IFS= read -r line; do
    local k=${line%%=*} v=${line#*=}
    if [ "$(sysctl -n "$k")" != "$v" ]; then
      sysctl -qw "$k=$v"
      changed+=("$k=$v")
    fi
  done <"$SAVED"
  rm -f "$SAVED"
  log "restored host kernel settings${changed[*]:+: ${changed[*]}}"
}

raise() { # key minimum
  local cur
  cur=$(sysctl -n "$1")
  [ "$cur" -ge "$2" ] || sysctl -qw "$1=$2"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# kubeadm patches of the lean profile. kind v0.33 writes kubeadm v1beta3 for this Kubernetes (extraArgs are
# maps); the patch names no apiVersion, so it matches what kind generates (a v1beta4 patch is silently ignored).
# One node per cluster, so etcd needs neither durability across a node restart (kind clusters do not survive
# one anyway) nor fsync, and the controller-manager and the scheduler need no leader election (each renews a
# Lease every 2 s otherwise: writes to etcd all day).
lean_patches() {
  cat <<'YAML'
kubeadmConfigPatches:
  - |
    kind: ClusterConfiguration
    etcd:
      local:
        dataDir: /tmp/etcd
        extraArgs:
          unsafe-no-fsync: "true"
    apiServer:
      extraArgs:
        profiling: "false"
    controllerManager:
      extraArgs:
        leader-elect: "false"
        profiling: "false"
    scheduler:
      extraArgs:
        leader-elect: "false"
        profiling: "false"
YAML
}

create_one() { # region
  local name=borealis-$1 cfg hostport t0=$SECONDS
  if clusters | grep -qx "$name"; then
    if [ -f "$STATE/$name.kubeconfig" ] && [ -f "$STATE/$name.env" ]; then
      log "$name exists"
      return 0
    fi
    # A cluster without its kubeconfig/state was left by an interrupted create: make it again.
    log "$name exists without its state in $STATE (interrupted create): deleting it to create it again"
    kind delete cluster --name "$name" >/dev/null 2>&1 || true
  fi
  hostport=$(free_port)
  # Extra NodePorts mapped to free 127.0.0.1 ports (BOREALIS_KIND_NODEPORTS="30081 30090"), recorded in
  # $STATE/<cluster>.env as NODEPORT_<port>_HOST_PORT.
  local extra_maps="" extra_env="" p hp
  for p in ${BOREALIS_KIND_NODEPORTS:-}; do
    hp=$(free_port)
    extra_maps+=$'\n'"      - containerPort: $p"$'\n'"        hostPort: $hp"$'\n'"        listenAddress: 127.0.0.1"$'\n'"        protocol: TCP"
    extra_env+="NODEPORT_${p}_HOST_PORT=$hp"$'\n'
  done
  # BOREALIS_KIND_DOCKER_SOCKET=1 (kind-up.sh, management cluster only): the host's Docker socket inside the
  # node, for the operator's drill faults (freeze = docker pause, partition = docker network disconnect).
  local extra_mounts=""
  if [ "${BOREALIS_KIND_DOCKER_SOCKET:-}" = 1 ]; then
    extra_mounts=$'\n'"    extraMounts:"$'\n'"      - hostPath: /var/run/docker.sock"$'\n'"        containerPath: /var/run/docker.sock"
  fi
  # BOREALIS_KIND_PROFILE=lean (the default) trims the single-node control plane (docs/kind.md, "1 + 5 regions"):
  # etcd on the node's /tmp tmpfs without fsync, no leader election (one replica of each component), no
  # profiling endpoints, one CoreDNS replica. BOREALIS_KIND_PROFILE=kind keeps kind's defaults.
  local patches=""
  case "${BOREALIS_KIND_PROFILE:-lean}" in
    lean) patches=$(lean_patches) ;;
    kind) ;;
    *) die "BOREALIS_KIND_PROFILE must be 'lean' or 'kind', got '${BOREALIS_KIND_PROFILE}'" ;;
  esac
  cfg="$STATE/$name.yaml"
  cat >"$cfg" <<EOF
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: $name
networking:
  apiServerAddress: 127.0.0.1
  kubeProxyMode: iptables
nodes:
  - role: control-plane
    image: $NODE_IMAGE
    labels:
      borealis.dev/region: "$1"
    extraPortMappings:
      - containerPort: $NODEPORT
        hostPort: $hostport
        listenAddress: 127.0.0.1
        protocol: TCP$extra_maps$extra_mounts
$patches
EOF
  log "creating $name (image $NODE_IMAGE)…"
  kind create cluster --config "$cfg" --kubeconfig "$STATE/$name.kubeconfig" --wait 180s
  printf 'NODEPORT_HOST_PORT=%s\n%s' "$hostport" "$extra_env" >"$STATE/$name.env"
  if [ "${BOREALIS_KIND_PROFILE:-lean}" = lean ]; then
    kctl "$name" -n kube-system scale deployment/coredns --replicas=1 >/dev/null
  fi
  kctl "$name" -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null ||
    die "CoreDNS of $name is not running: $(kctl "$name" -n kube-system get pods -o wide)"
  log "$name ready in $((SECONDS - t0)) s (kubeconfig $STATE/$name.kubeconfig, NodePort $NODEPORT on 127.0.0.1:$hostport)"
}

up() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (docker, sysctl)"
  bash "$here/docker.sh" up
  "$DOCKER" image inspect "$NODE_IMAGE" >/dev/null 2>&1 || die "node image $NODE_IMAGE is missing: run bash hack/images/build.sh"
  local regions=()
  if [ $# -eq 0 ]; then
    regions=(r1)
  elif [ $# -eq 1 ] && [[ $1 =~ ^[0-9]+$ ]]; then
    local i
    for ((i = 1; i <= $1; i++)); do regions+=("r$i"); done
  else
    regions=("$@")
  fi
  local r
  for r in "${regions[@]}"; do
    [[ $r =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ ]] || die "bad region name '$r': use lowercase letters, digits and '-'"
  done
  record_sysctls
  raise fs.inotify.max_user_instances 1024
  raise fs.inotify.max_user_watches 524288
  for r in "${regions[@]}"; do create_one "$r"; done
}

down() {
  local names=() c
  if [ $# -gt 0 ]; then
    for c in "$@"; do names+=("borealis-${c#borealis-}"); done
  else
    mapfile -t names < <(clusters)
  fi
  for c in "${names[@]}"; do
    [ -n "$c" ] || continue
    log "deleting $c"
    kind delete cluster --name "$c" --kubeconfig "$STATE/$c.kubeconfig" >/dev/null 2>&1 || kind delete cluster --name "$c"
    rm -f "$STATE/$c.kubeconfig" "$STATE/$c.yaml" "$STATE/$c.env"
  done
  restore_sysctls
}

# A NATS server (image borealis/nats, loaded with `kind load`) behind NodePort 30080 in every
# cluster; from a Debian pod (preloaded borealis/debian) in cluster i, read the INFO banner
# of cluster i+1's NodePort at that node's kind-network address.
check() {
  local names=() c nats=borealis/nats:$NATS_SERVER_VERSION debian=borealis/debian:$DEBIAN_SUITE
  mapfile -t names < <(clusters)
  [ ${#names[@]} -gt 0 ] || die "no borealis-* clusters: run hack/kind.sh up"
  "$DOCKER" image inspect "$nats" >/dev/null 2>&1 || die "$nats is missing: run bash hack/images/build.sh nats"
  for c in "${names[@]}"; do
    kind load docker-image "$nats" --name "$c" >/dev/null
    kctl "$c" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: nats, namespace: default, labels: {app: nats}}
spec:
  containers:
    - name: nats
      image: $nats
      imagePullPolicy: Never
      ports: [{containerPort: 4222}]
---
apiVersion: v1
kind: Service
metadata: {name: nats, namespace: default}
spec:
  type: NodePort
  selector: {app: nats}
  ports: [{port: 4222, targetPort: 4222, nodePort: $NODEPORT}]
EOF
  done
  for c in "${names[@]}"; do
    kctl "$c" wait --for=condition=Ready pod/nats --timeout=120s >/dev/null || die "pod nats in $c is not Ready: $(kctl "$c" describe pod nats | tail -20)"
    # shellcheck disable=SC1090
    . "$STATE/$c.env"
    local banner="" try
    # kube-proxy may program the NodePort a few seconds after the pod is Ready.
    for try in $(seq 1 30); do
      banner=$(node -e '
      const s = require("net").connect(Number(process.argv[1]), "127.0.0.1");
      s.setTimeout(5000, () => { console.error("timeout"); process.exit(1); });
      s.once("data", (d) => { console.log(d.toString().split(" ")[0]); s.destroy(); });
      s.on("error", (e) => { console.error(e.message); process.exit(1); });' "$NODEPORT_HOST_PORT" 2>&1) || true
      [ "$banner" = INFO ] && break
      sleep 1
    done
    [ "$banner" = INFO ] || die "host could not read the NATS banner of $c on 127.0.0.1:$NODEPORT_HOST_PORT within 30 s (last: '$banner')"
    log "$c: pod nats ($nats) Running; host 127.0.0.1:$NODEPORT_HOST_PORT -> NodePort $NODEPORT answers INFO"
  done
  local n=${#names[@]} i
  for ((i = 0; i < n; i++)); do
    local from=${names[$i]} to=${names[$(((i + 1) % n))]} ip out
    ip=$("$DOCKER" inspect -f '{{(index .NetworkSettings.Networks "kind").IPAddress}}' "$to-control-plane")
    kctl "$from" delete pod probe --ignore-not-found >/dev/null
    out=$(kctl "$from" run probe --rm -i --restart=Never --image="$debian" --image-pull-policy=Never --command -- \
      bash -c "exec 3<>/dev/tcp/$ip/$NODEPORT && head -c 4 <&3") || die "pod in $from could not reach $to's NodePort at $ip:$NODEPORT: $out"
    [[ $out == INFO* ]] || die "pod in $from got '$out' from $to's NodePort at $ip:$NODEPORT"
    log "$from: pod ($debian) -> $to NodePort $ip:$NODEPORT answers INFO"
  done
}

list() {
  local c
  for c in $(clusters); do
    local port=""
    [ -f "$STATE/$c.env" ] && port=$(sed -n 's/^NODEPORT_HOST_PORT=//p' "$STATE/$c.env")
    printf '%s\tkubeconfig=%s\tnodeport=127.0.0.1:%s\n' "$c" "$STATE/$c.kubeconfig" "$port"
  done
}

cmd=${1:-}
shift || true
case "$cmd" in
  up) up "$@" ;;
  down) down "$@" ;;
  check) check ;;
  list) list ;;
  *) echo "usage: hack/kind.sh up [N | region ...] | down [region ...] | check | list" >&2; exit 2 ;;
esac

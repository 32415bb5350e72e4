#!/usr/bin/env bash
# One kind cluster per region plus a management cluster, the operator installed with Helm, and a
# GlobalDatabase spanning the region clusters, waited for until Ready and Replicating.
#   npm run kind:up -- [--regions N] [--skip-images] [--timeout S]      (N = 2..6, default 3)
#   npm run kind:down
#
# Layout (docs/kind.md):
#   borealis-global        management cluster: the operator (Helm chart), the GlobalDatabase/FailoverDrill
#                          custom resources, one kubeconfig Secret per region cluster. Holds no region, so
#                          the loss of any region cluster never takes the control plane with it (DESIGN §9).
#   borealis-<region>      one per region (us-east, eu-west, ap-south, us-west, eu-north, ap-east): the
#                          region's PostgreSQL + agent pod and NATS, applied there by the operator through the
#                          region's kubeconfig Secret (API server address on the kind Docker network).
# Per region cluster this script adds NodePort Services (not managed by the operator):
#   30080 -> the region's PostgreSQL (mapped to a 127.0.0.1 port: the writer endpoint when primary)
#   30081 -> the region agent's HTTP port (Data API, /status, /metrics; mapped to a 127.0.0.1 port)
#   30722 -> the region's NATS gateway (natsGatewayAddress = <node IP on the kind network>:30722)
# Each region declares natsGatewayAddress <node IP>:30722 and postgresAddress <node IP>:30080 (a secondary
# seeds from the primary's postgresAddress across clusters).
# State (kubeconfigs, ports, generated manifest): ${BOREALIS_KIND_STATE:-$HOME/.cache/borealis/kind}.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
BIN=$(bash "$here/tools.sh" path)
DOCKER=/usr/bin/docker
STATE=${BOREALIS_KIND_STATE:-$HOME/.cache/borealis/kind}
mkdir -p "$STATE/shims"
ln -sf "$DOCKER" "$STATE/shims/docker"
export PATH="$STATE/shims:$BIN:$PATH"

ALL_REGIONS=(us-east eu-west ap-south us-west eu-north ap-east)
MGMT=global
GDB=${BOREALIS_GDB:-orders}
NS=default
NATS_IMAGE=borealis/nats:$NATS_SERVER_VERSION
REGION_IMAGE=borealis/region:dev
OPERATOR_IMAGE=borealis/operator:dev
N=3
BUILD=1
TIMEOUT=900
while [ $# -gt 0 ]; do
  case "$1" in
    --regions) N=$2; shift 2 ;;
    --regions=*) N=${1#*=}; shift ;;
    --skip-images) BUILD=0; shift ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "kind-up: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ $N =~ ^[0-9]+$ ]] && [ "$N" -ge 2 ] && [ "$N" -le 6 ] || { echo "kind-up: --regions must be 2..6, got '$N'" >&2; exit 2; }
REGIONS=("${ALL_REGIONS[@]:0:N}")
PRIMARY=${REGIONS[0]}

T0=$SECONDS
STEP=0
STEPS=10
step() { STEP=$((STEP + 1)); printf '[kind-up %3ds] (%d/%d) %s\n' "$((SECONDS - T0))" "$STEP" "$STEPS" "$*" >&2; }
log() { printf '[kind-up %3ds]       %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() { printf 'kind-up: %s\n' "$*" >&2; exit 1; }
kctl() { local c=$1; shift; kubectl --kubeconfig "$STATE/borealis-$c.kubeconfig" "$@"; }
node_ip() { "$DOCKER" inspect -f '{{(index .NetworkSettings.Networks "kind").IPAddress}}' "borealis-$1-control-plane"; }
host_port() { # cluster nodeport
  local v
  if [ "$2" = 30080 ]; then v=NODEPORT_HOST_PORT; else v=NODEPORT_$2_HOST_PORT; fi
  sed -n "s/^$v=//p" "$STATE/borealis-$1.env"
}

[ "$(id -u)" -eq 0 ] || die "must run as root (docker, sysctl)"

step "Docker with the egress guard"
bash "$here/docker.sh" up 2>&1 | sed 's/^/          /' >&2
"$DOCKER" network inspect kind >/dev/null 2>&1 || : >"$STATE/kind-network.created-by-kind-up"

step "images (hack/images/build.sh region operator nats node; cached by input hash)"
if [ "$BUILD" = 1 ]; then
  bash "$here/images/build.sh" nats region operator node 2>&1 | sed 's/^/          /' >&2
fi
for i in "$NATS_IMAGE" "$REGION_IMAGE" "$OPERATOR_IMAGE"; do
  "$DOCKER" image inspect "$i" >/dev/null 2>&1 || die "image $i is missing: run bash hack/images/build.sh"
done

step "kind clusters: borealis-$MGMT (management) + ${REGIONS[*]/#/borealis-}"
printf 'MGMT=%s\nREGIONS="%s"\nGDB=%s\nPRIMARY=%s\n' "$MGMT" "${REGIONS[*]}" "$GDB" "$PRIMARY" >"$STATE/kind-up.env"
: >"$STATE/ready-times.tsv"
for c in "$MGMT" "${REGIONS[@]}"; do
  t=$SECONDS
  # The management cluster's node gets the host's Docker socket (the operator's freeze/partition drill faults).
  sock=0
  [ "$c" = "$MGMT" ] && sock=1
  BOREALIS_KIND_DOCKER_SOCKET=$sock BOREALIS_KIND_NODEPORTS="30081" bash "$here/kind.sh" up "$c" 2>&1 | grep --line-buffered -v '^ [•✓]' | sed -u 's/^/          /' >&2
  printf 'borealis-%s\t%s\n' "$c" "$((SECONDS - t))" >>"$STATE/ready-times.tsv"
done

step "load images (kind load docker-image)"
kind load docker-image "$OPERATOR_IMAGE" --name "borealis-$MGMT" >/dev/null
for r in "${REGIONS[@]}"; do
  kind load docker-image "$REGION_IMAGE" "$NATS_IMAGE" --name "borealis-$r" >/dev/null
  log "borealis-$r: $REGION_IMAGE $NATS_IMAGE"
done

step "operator chart into borealis-$MGMT (helm upgrade --install)"
# Helm installs crds/ only on first install, never on upgrade: apply them so new fields are not pruned.
kctl "$MGMT" apply --server-side --force-conflicts -f "$root/charts/borealis/crds/" >/dev/null
# Same tags, new content: the image IDs go into a pod annotation (operator) and decide whether the region pods
# must restart to run the rebuilt region image.
operator_id=$(docker image inspect -f '{{.Id}}' "$OPERATOR_IMAGE" | cut -c8-19)
region_id=$(docker image inspect -f '{{.Id}}' "$REGION_IMAGE" | cut -c8-19)
helm upgrade --install borealis "$root/charts/borealis" --kubeconfig "$STATE/borealis-$MGMT.kubeconfig" \
  --set-string podAnnotations.borealis\\.dev/image-id="$operator_id" \
  -n borealis-system --create-namespace --wait --timeout 180s \
  --set image.pullPolicy=Never --set workloadImagePullPolicy=Never \
  --set regionImage="$REGION_IMAGE" --set natsImage="$NATS_IMAGE" --set pollIntervalMs=1000 \
  --set drills.dockerSocket=true --set drills.dockerGroupId="$(stat -c %g /var/run/docker.sock)" >/dev/null
kctl "$MGMT" -n borealis-system rollout status deployment/borealis --timeout=180s >/dev/null

step "region clusters: kubeconfig Secrets (kind network addresses), NodePorts"
for r in "${REGIONS[@]}"; do
  ip=$(node_ip "$r")
  kind get kubeconfig --internal --name "borealis-$r" | sed "s#https://borealis-$r-control-plane:6443#https://$ip:6443#" >"$STATE/borealis-$r.internal.kubeconfig"
  kctl "$MGMT" -n "$NS" create secret generic "kubeconfig-$r" --from-file=kubeconfig="$STATE/borealis-$r.internal.kubeconfig" \
    --dry-run=client -o yaml | kctl "$MGMT" apply -f - >/dev/null
  sel="borealis.dev/global-database: $GDB, borealis.dev/region: $r"
  kctl "$r" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: borealis-kind-db, namespace: $NS, labels: {app.kubernetes.io/part-of: borealis-kind}}
spec:
  type: NodePort
  selector: {$sel, app.kubernetes.io/component: database}
  ports: [{name: postgres, port: 5432, targetPort: 5432, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: borealis-kind-api, namespace: $NS, labels: {app.kubernetes.io/part-of: borealis-kind}}
spec:
  type: NodePort
  selector: {$sel, app.kubernetes.io/component: database}
  ports: [{name: http, port: 8080, targetPort: 8080, nodePort: 30081}]
---
apiVersion: v1
kind: Service
metadata: {name: borealis-kind-gateway, namespace: $NS, labels: {app.kubernetes.io/part-of: borealis-kind}}
spec:
  type: NodePort
  # NATS turns ready only once JetStream sees the other regions through the gateways: route before that.
  publishNotReadyAddresses: true
  selector: {$sel, app.kubernetes.io/component: nats}
  ports: [{name: gateway, port: 7222, targetPort: 7222, nodePort: 30722}]
EOF
  log "borealis-$r: node $ip, Secret kubeconfig-$r, NodePorts 30080/30081/30722"
done

step "GlobalDatabase $GDB: primary $PRIMARY, regions ${REGIONS[*]}"
manifest="$STATE/global-database.yaml"
{
  sed -n '/^apiVersion/,/^  regions:/p' "$root/examples/global-database.yaml" | sed "s/^  primaryRegion: .*/  primaryRegion: $PRIMARY/; s/^  name: orders$/  name: $GDB/"
  for r in "${REGIONS[@]}"; do
    printf '    - name: %s\n      readers: 0\n      kubeconfigSecretRef: { name: kubeconfig-%s, key: kubeconfig }\n      natsGatewayAddress: "%s:30722"\n      postgresAddress: "%s:30080"\n' "$r" "$r" "$(node_ip "$r")" "$(node_ip "$r")"
  done
  # Every epoch keeps its source stream and mirrors until retention drops them, and JetStream reserves each
  # stream's maxBytes up front: 1 GiB per stream exhausts a kind node's JetStream storage after ~8 promotions.
  sed -n '/^  replication:/,$p' "$root/examples/global-database.yaml" | sed 's/^      maxBytes: .*/      maxBytes: 67108864/'
} >"$manifest"
kctl "$MGMT" apply -n "$NS" -f "$manifest" >/dev/null
log "applied $manifest"
if [ -f "$STATE/region-image-id" ] && [ "$(cat "$STATE/region-image-id")" != "$region_id" ]; then
  # The region image was rebuilt under the same tag: restart the region pods on it (their data volumes stay).
  for r in "${REGIONS[@]}"; do kctl "$r" -n "$NS" delete pod -l "borealis.dev/global-database=$GDB" --wait=false >/dev/null 2>&1 || true; done
  log "region image changed ($region_id): region pods restarted"
fi
echo "$region_id" >"$STATE/region-image-id"

step "waiting for Ready and Replicating (timeout ${TIMEOUT}s)"
t=$SECONDS
last=""
while :; do
  line=$(kctl "$MGMT" -n "$NS" get globaldatabase "$GDB" -o jsonpath='{.status.phase} {.status.regionsReady} ready={.status.conditions[?(@.type=="Ready")].status} replicating={.status.conditions[?(@.type=="Replicating")].status} lag={.status.maxLagSeconds}' 2>/dev/null || true)
  [ "$line" != "$last" ] && log "$line"
  last=$line
  [[ $line == *"ready=True replicating=True"* ]] && break
  if [ $((SECONDS - t)) -gt "$TIMEOUT" ]; then
    kctl "$MGMT" -n "$NS" describe globaldatabase "$GDB" | tail -30 >&2
    die "GlobalDatabase $GDB not Ready+Replicating within ${TIMEOUT}s"
  fi
  sleep 3
done
printf 'GDB_READY_SECONDS=%s\n' "$((SECONDS - t))" >>"$STATE/kind-up.env"

step "Prometheus on 127.0.0.1 scraping every region agent and the operator, rules of dashboards/rules loaded"
# The operator's metrics Service gets a NodePort (30081, mapped to 127.0.0.1) in the management cluster.
kctl "$MGMT" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: borealis-kind-operator-metrics, namespace: borealis-system, labels: {app.kubernetes.io/part-of: borealis-kind}}
spec:
  type: NodePort
  selector: {app.kubernetes.io/name: borealis-operator, app.kubernetes.io/instance: borealis}
  ports: [{name: http, port: 8080, targetPort: 8080, nodePort: 30081}]
EOF
prom=$STATE/prometheus
mkdir -p "$prom"
if [ -f "$prom/pid" ] && kill -0 "$(cat "$prom/pid")" 2>/dev/null; then kill "$(cat "$prom/pid")"; sleep 1; fi
cp "$root/dashboards/rules/borealis-rules.yaml" "$root/dashboards/rules/borealis-thresholds.yaml" "$prom/"
{
  printf 'global: {scrape_interval: 5s, evaluation_interval: 5s}\nrule_files: [borealis-rules.yaml, borealis-thresholds.yaml]\nscrape_configs:\n'
  printf '  - job_name: borealis-agent\n    honor_labels: true\n    static_configs:\n'
  for r in "${REGIONS[@]}"; do
    # The node's kind-network address (the host is on that bridge): unlike the 127.0.0.1 mapping it survives a
    # partition drill (Docker 20.10 does not restore a container's published ports on network reconnect).
    printf '      - targets: ["%s:30081"]\n        labels: {region: %s, globaldatabase: %s, cluster: borealis-%s}\n' "$(node_ip "$r")" "$r" "$GDB" "$r"
  done
  printf '  - job_name: borealis-operator\n    static_configs:\n      - targets: ["127.0.0.1:%s"]\n        labels: {cluster: borealis-%s}\n' "$(host_port "$MGMT" 30081)" "$MGMT"
} >"$prom/prometheus.yml"
promtool check config "$prom/prometheus.yml" >/dev/null || die "promtool rejects $prom/prometheus.yml"
prom_port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
setsid prometheus --config.file="$prom/prometheus.yml" --storage.tsdb.path="$prom/data" --web.listen-address="127.0.0.1:$prom_port" \
  >"$prom/prometheus.log" 2>&1 </dev/null &
echo $! >"$prom/pid"
up_targets=""
for _ in $(seq 1 30); do
  up_targets=$(curl -fsS "http://127.0.0.1:$prom_port/api/v1/query?query=sum(up)" 2>/dev/null | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{try{console.log(JSON.parse(d).data.result[0].value[1])}catch{console.log("")}})' || true)
  [ "$up_targets" = "$((${#REGIONS[@]} + 1))" ] && break
  sleep 2
done
[ "$up_targets" = "$((${#REGIONS[@]} + 1))" ] || log "warning: Prometheus sees ${up_targets:-0} of $((${#REGIONS[@]} + 1)) targets up (log $prom/prometheus.log)"
log "Prometheus http://127.0.0.1:$prom_port (pid $(cat "$prom/pid")): ${up_targets:-0}/$((${#REGIONS[@]} + 1)) targets up"

step "endpoints (127.0.0.1 only)"
pw=$(kctl "$MGMT" -n "$NS" get secret "$GDB-credentials" -o jsonpath='{.data.postgres-password}' | base64 -d)
wport=$(host_port "$PRIMARY" 30080)
{
  printf 'WRITER=127.0.0.1:%s\nPROMETHEUS=http://127.0.0.1:%s\n' "$wport" "$prom_port"
  for r in "${REGIONS[@]}"; do
    printf 'READER_%s=127.0.0.1:%s\nDATA_API_%s=http://127.0.0.1:%s\nNODE_IP_%s=%s\n' "${r//-/_}" "$(host_port "$r" 30080)" "${r//-/_}" "$(host_port "$r" 30081)" "${r//-/_}" "$(node_ip "$r")"
  done
} >"$STATE/endpoints.env"
echo "Borealis on kind: management cluster borealis-$MGMT, regions ${REGIONS[*]} (primary $PRIMARY), up in $((SECONDS - T0)) s"
echo "  kubectl --kubeconfig $STATE/borealis-$MGMT.kubeconfig get globaldatabases -o wide"
echo "  Prometheus  http://127.0.0.1:$prom_port"
echo "  writer      psql 'postgresql://postgres:$pw@127.0.0.1:$wport/app'"
for r in "${REGIONS[@]}"; do
  echo "  $r  reader 127.0.0.1:$(host_port "$r" 30080)  Data API http://127.0.0.1:$(host_port "$r" 30081)"
done
echo "  (endpoints also in $STATE/endpoints.env; tear down with npm run kind:down)"

#!/usr/bin/env bash
# Regional outage faults on the kind testbed of hack/kind-up.sh, injected from the host (DESIGN §8 drill faults):
#   hack/kind-fault.sh kill <region>        delete the region's database and NATS pods with grace 0
#   hack/kind-fault.sh freeze <region>      docker pause the region's node container
#   hack/kind-fault.sh partition <region>   disconnect the region's node container from the kind network
#   hack/kind-fault.sh heal <region>        undo freeze/partition (unpause; reconnect with the same address)
# The node keeps its kind-network address across partition/heal (kubeconfig Secrets, natsGatewayAddress and
# postgresAddress name it). Only the project's own containers are touched.
set -euo pipefail
DOCKER=/usr/bin/docker
STATE=${BOREALIS_KIND_STATE:-$HOME/.cache/borealis/kind}
BIN=$(bash "$(dirname "${BASH_SOURCE[0]}")/tools.sh" path)
die() { printf 'kind-fault: %s\n' "$*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: hack/kind-fault.sh kill|freeze|partition|heal <region>"
fault=$1 region=$2
[ -f "$STATE/kind-up.env" ] || die "no kind-up state in $STATE: run npm run kind:up"
# shellcheck disable=SC1091
. "$STATE/kind-up.env"
[[ " $REGIONS " == *" $region "* ]] || die "region '$region' is not one of: $REGIONS"
node=borealis-$region-control-plane
ipfile=$STATE/$node.kind-ip
case "$fault" in
  kill)
    "$BIN/kubectl" --kubeconfig "$STATE/borealis-$region.kubeconfig" -n default delete pod \
      -l "borealis.dev/global-database=$GDB,borealis.dev/region=$region" --grace-period=0 --force --wait=false 2>&1 | grep -v '^Warning' >&2 || true
    ;;
  freeze) "$DOCKER" pause "$node" >/dev/null ;;
  partition)
    "$DOCKER" inspect -f '{{(index .NetworkSettings.Networks "kind").IPAddress}}' "$node" >"$ipfile"
    "$DOCKER" network disconnect kind "$node"
    ;;
  heal)
    if [ "$("$DOCKER" inspect -f '{{.State.Paused}}' "$node")" = true ]; then "$DOCKER" unpause "$node" >/dev/null; fi
    if [ -f "$ipfile" ] && [ -z "$("$DOCKER" inspect -f '{{with index .NetworkSettings.Networks "kind"}}{{.IPAddress}}{{end}}' "$node")" ]; then
      "$DOCKER" network connect --ip "$(cat "$ipfile")" kind "$node"
    fi
    rm -f "$ipfile"
    ;;
  *) die "unknown fault '$fault' (kill | freeze | partition | heal)" ;;
esac
printf 'kind-fault: %s %s (%s) at %s\n' "$fault" "$region" "$node" "$(date -u +%FT%T.%3NZ)" >&2

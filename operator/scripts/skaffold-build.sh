#!/usr/bin/env bash
# skaffold custom builder: builds one Borealis image locally (hack/images/build.sh, nothing pulled or pushed)
# and tags it as skaffold's $IMAGE.   usage: operator/scripts/skaffold-build.sh operator|region|nats
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/hack/versions.env"
name=${1:?usage: skaffold-build.sh operator|region|nats}
: "${IMAGE:?skaffold sets IMAGE to the tag to build}"
case "$name" in
  operator) local_tag=borealis/operator:dev ;;
  region) local_tag=borealis/region:dev ;;
  nats) local_tag=borealis/nats:$NATS_SERVER_VERSION ;;
  *) echo "skaffold-build.sh: unknown image '$name' (operator, region or nats)" >&2; exit 2 ;;
esac
if [ "$name" != nats ]; then (cd "$root" && npx tsc -b); fi
bash "$root/hack/images/build.sh" "$name"
/usr/bin/docker tag "$local_tag" "$IMAGE"

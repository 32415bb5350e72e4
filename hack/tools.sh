#!/usr/bin/env bash
# Builds pinned upstream tools from their Go modules into a cache outside the repo.
#   hack/tools.sh install [tool ...]   build the named tools (default: all), skipping built ones
#   hack/tools.sh path                 print the folder holding the binaries
# Versions: hack/versions.env. Cache: ${BOREALIS_TOOLS:-$HOME/.cache/borealis/tools}.
# Nothing here downloads a prebuilt binary: every tool is compiled from Go modules
# fetched through the Go module proxy. Modules whose go.mod carries replace directives
# (Kubernetes, etcd, skaffold) are built from a small wrapper module generated into
# $TOOLS/src/<name>, which repeats those replaces pinned to released versions.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
TOOLS=${BOREALIS_TOOLS:-$HOME/.cache/borealis/tools}
BIN="$TOOLS/bin"
SRC="$TOOLS/src"
mkdir -p "$BIN" "$TOOLS/stamps" "$SRC"
export GOFLAGS=${GOFLAGS:--mod=mod}
export CGO_ENABLED=0

log() { printf '[tools] %s\n' "$*" >&2; }
die() { printf 'tools.sh: %s\n' "$*" >&2; exit 1; }

built() { # name version
  [ -x "$BIN/$1" ] && [ -f "$TOOLS/stamps/$1" ] && [ "$(cat "$TOOLS/stamps/$1")" = "$2" ]
}
stamp() { echo "$2" >"$TOOLS/stamps/$1"; }
timed() { # label seconds
  log "$1 built in $2 s"
  printf '%s\t%s\t%s s\n' "$(date -u +%FT%TZ)" "$1" "$2" >>"$TOOLS/build-times.tsv"
}

# Path of the go.mod of module@version in the module cache (downloads it through the proxy).
upstream_gomod() { # module version
  local out
  out=$(cd "$SRC" && GOFLAGS=-mod=mod go mod download -json "$1@$2") || die "cannot download $1@$2 through the Go module proxy ($(go env GOPROXY))"
  printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p'
}

# Replace directives of an upstream go.mod (both block and single-line forms), one
# "old => new" per line, with the module-local paths (./x, ../x) rewritten by $2:
#   $2 = a sed expression applied to the right-hand side of local-path replaces.
upstream_replaces() { # gomod-file local-rewrite-sed
  awk '
    /^replace[[:space:]]*\($/ { inblock = 1; next }
    inblock && /^\)/ { inblock = 0; next }
    inblock { print; next }
    /^replace[[:space:]]/ { sub(/^replace[[:space:]]+/, ""); print }
  ' "$1" | sed -e 's/^[[:space:]]*//' -e 's://.*$::' -e 's/[[:space:]]*$//' | grep '=>' |
    while IFS= read -r line; do
      case "${line#*=> }" in
        ./* | ../*)
          line=$(printf '%s\n' "$line" | sed -e "$2")
          [ -n "$line" ] || continue
          # A local path that the rewrite did not map to a released module (etcd's
          # "=> ./FORBIDDEN_DEPENDENCY" guards) cannot resolve outside the upstream tree.
          case "${line#*=> }" in ./* | ../*) continue ;; esac
          printf '%s\n' "$line"
          ;;
        *) printf '%s\n' "$line" ;;
      esac
    done
}

# Writes $SRC/<name>/go.mod requiring module@version with the given replace lines (stdin).
wrapper_module() { # name module version
  local dir="$SRC/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  {
    printf 'module borealis.local/tools/%s\n\ngo %s\n\nrequire %s %s\n\nreplace (\n' "$1" "$(go env GOVERSION | sed 's/^go//; s/^\([0-9]*\.[0-9]*\).*/\1/')" "$2" "$3"
    sed 's/^/\t/'
    printf ')\n'
  } >"$dir/go.mod"
  echo "$dir"
}

# ---------------------------------------------------------------- Kubernetes
# One go build for all Kubernetes binaries: they share most packages, so a single
# invocation compiles the shared code once (about 12 min cold on 2 cores).
KUBE_BINS=(kube-apiserver kubelet kubeadm kubectl kube-controller-manager kube-scheduler kube-proxy)
install_kubernetes() {
  local all=1 b
  for b in "${KUBE_BINS[@]}"; do built "$b" "$KUBERNETES_VERSION" || all=0; done
  [ "$all" = 1 ] && return 0
  log "building Kubernetes $KUBERNETES_VERSION (${KUBE_BINS[*]}) in one go build — about 12 min cold on 2 cores…"
  local t0=$SECONDS gomod dir ver=${KUBERNETES_VERSION#v} pkgs=() ldflags=""
  gomod=$(upstream_gomod k8s.io/kubernetes "$KUBERNETES_VERSION")
  [ -f "$gomod" ] || die "no go.mod for k8s.io/kubernetes@$KUBERNETES_VERSION"
  # ./staging/src/k8s.io/api  ->  k8s.io/api v0.34.4
  dir=$(upstream_replaces "$gomod" "s#=> \./staging/src/\(.*\)\$#=> \1 $KUBERNETES_STAGING_VERSION#" |
    wrapper_module kubernetes k8s.io/kubernetes "$KUBERNETES_VERSION")
  local nstaging
  nstaging=$(grep -c "$KUBERNETES_STAGING_VERSION" "$dir/go.mod")
  [ "$nstaging" -ge 30 ] || die "expected ~31 staging replaces for k8s.io/kubernetes, got $nstaging (see $dir/go.mod)"
  local major=${ver%%.*} rest=${ver#*.}
  local minor=${rest%%.*}
  # buildDate = the release's time in the module proxy, so rebuilds are byte-identical and
  # images built from these binaries are not rebuilt for nothing.
  local date
  date=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "${gomod%.mod}.info")
  [ -n "$date" ] || date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    ldflags+=" -X $p.gitTreeState=archive -X $p.buildDate=$date"
  done
  for b in "${KUBE_BINS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  (cd "$dir" && go build -trimpath -ldflags "-s -w$ldflags" -o "$BIN/" "${pkgs[@]}")
  for b in "${KUBE_BINS[@]}"; do stamp "$b" "$KUBERNETES_VERSION"; done
  timed "kubernetes $KUBERNETES_VERSION (${#KUBE_BINS[@]} binaries)" $((SECONDS - t0))
}
for _b in "${KUBE_BINS[@]}"; do eval "install_${_b//-/_}() { install_kubernetes; }"; done

# ---------------------------------------------------------------- etcd
install_etcd() {
  built etcd "$ETCD_VERSION" && return 0
  log "building etcd $ETCD_VERSION (wrapper module for go.etcd.io/etcd/server/v3)…"
  local t0=$SECONDS gomod dir ver=${ETCD_VERSION#v}
  gomod=$(upstream_gomod go.etcd.io/etcd/server/v3 "$ETCD_VERSION")
  # ../api  ->  go.etcd.io/etcd/api/v3 v3.6.5 (the module path is the left-hand side)
  dir=$(upstream_replaces "$gomod" "s#^\([^ ]*\) => \.\./.*\$#\1 => \1 $ETCD_VERSION#" |
    wrapper_module etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION")
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3)
  "$BIN/etcd" --version | grep -q "$ver" || die "built etcd does not report version $ver"
  stamp etcd "$ETCD_VERSION"
  timed "etcd $ETCD_VERSION" $((SECONDS - t0))
}

# ---------------------------------------------------------------- plain go install
go_install() { # name version package@version
  built "$1" "$2" && return 0
  log "building $1 $2 (go install $3)…"
  local t0=$SECONDS
  (cd "$SRC" && GOBIN="$BIN" go install -trimpath "$3")
  [ -x "$BIN/$1" ] || die "go install $3 did not produce $BIN/$1"
  stamp "$1" "$2"
  timed "$1 $2" $((SECONDS - t0))
}
install_nats_server() { go_install nats-server "$NATS_SERVER_VERSION" "github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION"; }
install_kind() { go_install kind "$KIND_VERSION" "sigs.k8s.io/kind@$KIND_VERSION"; }
install_helm() { go_install helm "$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"; }
install_k6() { go_install k6 "$K6_VERSION" "go.k6.io/k6@$K6_VERSION"; }
install_coredns() { go_install coredns "$COREDNS_VERSION" "github.com/coredns/coredns@$COREDNS_VERSION"; }

# skaffold's go.mod pins some dependencies with replace directives (to released versions),
# which `go install pkg@version` refuses: build it from a wrapper module with the same replaces.
install_skaffold() {
  built skaffold "$SKAFFOLD_VERSION" && return 0
  log "building skaffold $SKAFFOLD_VERSION (wrapper module with skaffold's replace directives)…"
  local t0=$SECONDS gomod dir
  gomod=$(upstream_gomod github.com/GoogleContainerTools/skaffold/v2 "$SKAFFOLD_VERSION")
  dir=$(upstream_replaces "$gomod" 's#^.*$##' | wrapper_module skaffold github.com/GoogleContainerTools/skaffold/v2 "$SKAFFOLD_VERSION")
  (cd "$dir" && go build -trimpath \
    -ldflags "-s -w -X github.com/GoogleContainerTools/skaffold/v2/pkg/skaffold/version.version=$SKAFFOLD_VERSION" \
    -o "$BIN/skaffold" github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold)
  "$BIN/skaffold" version | grep -qx "$SKAFFOLD_VERSION" || die "built skaffold reports '$("$BIN/skaffold" version)', not $SKAFFOLD_VERSION"
  stamp skaffold "$SKAFFOLD_VERSION"
  timed "skaffold $SKAFFOLD_VERSION" $((SECONDS - t0))
}

ALL_TOOLS=(nats-server kube-apiserver etcd kind helm k6 coredns skaffold)

[ "${BOREALIS_TOOLS_SOURCE_ONLY:-}" = 1 ] && return 0
cmd=${1:-}
shift || true
case "$cmd" in
  path) echo "$BIN" ;;
  install)
    command -v go >/dev/null || { echo "tools.sh: go is not installed; it is needed to build pinned tools" >&2; exit 1; }
    [ $# -gt 0 ] || set -- "${ALL_TOOLS[@]}"
    for t in "$@"; do
      fn="install_${t//-/_}"
      declare -F "$fn" >/dev/null || { echo "tools.sh: unknown tool '$t' (known: ${ALL_TOOLS[*]} ${KUBE_BINS[*]})" >&2; exit 2; }
      "$fn"
    done
    ;;
  *) echo "usage: hack/tools.sh install [tool ...] | path" >&2; exit 2 ;;
esac

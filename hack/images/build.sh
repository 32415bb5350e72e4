#!/usr/bin/env bash
# Builds every container image of the testbed locally — no registry, nothing pulled.
#   hack/images/build.sh [image ...]     default: all, in dependency order
#   hack/images/build.sh list            print image names and tags
# Images:
#   debian    borealis/debian:<suite>           debootstrap --variant=minbase, docker import
#   pause     registry.k8s.io/pause:<v>         a static C program, FROM scratch
#   kube      registry.k8s.io/kube-{apiserver,controller-manager,scheduler}:<v> FROM scratch,
#             registry.k8s.io/kube-proxy:<v>    (debootstrapped base + iptables/nftables)
#   etcd      registry.k8s.io/etcd:<v>-0        FROM scratch
#   coredns   registry.k8s.io/coredns/coredns:<v> FROM scratch
#   nats      borealis/nats:<v>                 FROM scratch (the built nats-server)
#   region    borealis/region:dev               PostgreSQL 15 + Node 20 + region-agent
#   operator  borealis/operator:dev             Node 20 + operator
#   node      borealis/kind-node:<k8s v>        the kind node image, all of the above preloaded
# Binaries come from the tool cache (bash hack/tools.sh install …); Debian packages from
# the mirror configured in /etc/apt (or $DEBIAN_MIRROR). Root filesystems are cached in
# ${BOREALIS_IMAGE_CACHE:-$HOME/.cache/borealis/images}; an image is rebuilt only when
# its inputs changed (a label records their hash).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../versions.env
. "$root/hack/versions.env"
DOCKER=/usr/bin/docker # the daemon's own client (a newer one may shadow it on PATH)
CACHE=${BOREALIS_IMAGE_CACHE:-$HOME/.cache/borealis/images}
BIN=$(bash "$root/hack/tools.sh" path)
SUITE=${DEBIAN_SUITE:-bookworm}
mkdir -p "$CACHE"

log() { printf '[images] %s\n' "$*" >&2; }
die() { printf 'images/build.sh: %s\n' "$*" >&2; exit 1; }

K8S=$KUBERNETES_VERSION
PAUSE_IMAGE=registry.k8s.io/pause:$PAUSE_VERSION
ETCD_IMAGE=registry.k8s.io/etcd:${ETCD_VERSION#v}-0
COREDNS_IMAGE=registry.k8s.io/coredns/coredns:$COREDNS_VERSION
KUBE_IMAGES=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
NATS_IMAGE=borealis/nats:$NATS_SERVER_VERSION
REGION_IMAGE=borealis/region:dev
OPERATOR_IMAGE=borealis/operator:dev
DEBIAN_IMAGE=borealis/debian:$SUITE
NODE_IMAGE=${KIND_NODE_IMAGE:-borealis/kind-node:$K8S}

# Images a kind node must hold so that kubeadm and the test pods never pull.
preload_images() {
  local i
  echo "$PAUSE_IMAGE" "$ETCD_IMAGE" "$COREDNS_IMAGE"
  for i in "${KUBE_IMAGES[@]}"; do echo "registry.k8s.io/$i:$K8S"; done
  echo "$DEBIAN_IMAGE"
}

mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local m
  # deb822 sources: the URIs of a stanza whose Suites include the suite itself.
  m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$SUITE" '
    /^URIs:/ { uri = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) found = uri }
    /^$/ { uri = "" } END { print found }')
  [ -n "$m" ] || m=$(grep -hE "^deb [^ ]+ $SUITE( |$)" /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2; exit}')
  [ -n "$m" ] || die "no Debian mirror for '$SUITE' in /etc/apt/sources.list*; set DEBIAN_MIRROR"
  echo "$m"
}

# hash of strings and files, for cache keys
inputs_hash() { { printf '%s\n' "$@"; } | sha256sum | cut -c1-16; }
file_hash() { cat "$@" | sha256sum | cut -c1-16; }

image_label() { "$DOCKER" image inspect --format '{{index .Config.Labels "dev.borealis.inputs"}}' "$1" 2>/dev/null || true; }
up_to_date() { [ "${FORCE:-}" != 1 ] && [ "$(image_label "$1")" = "$2" ]; }

# debootstrap a root filesystem once per package set; echo the path of its tarball.
rootfs() { # name comma-separated-extra-packages
  local name=$1 pkgs=$2 key tarball dir t0=$SECONDS
  key=$(inputs_hash "$SUITE" "$pkgs" v3)
  tarball="$CACHE/rootfs-$name-$key.tar"
  if [ -f "$tarball" ]; then echo "$tarball"; return; fi
  command -v debootstrap >/dev/null || {
    log "installing debootstrap (Debian package)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  }
  dir=$(mktemp -d "$CACHE/rootfs-$name.XXXX")
  mkdir -p "$CACHE/debs"
  log "debootstrap $SUITE ($name: minbase${pkgs:+ + $pkgs}) from $(mirror)…"
  if ! debootstrap --variant=minbase --cache-dir="$CACHE/debs" ${pkgs:+--include="$pkgs"} \
    "$SUITE" "$dir" "$(mirror)" >"$dir.log" 2>&1; then
    tail -n 20 "$dir.log" >&2
    rm -rf "$dir"
    die "debootstrap of $name failed (log above, full log $dir.log)"
  fi
  # Trim: package lists and caches, docs, man pages; an empty resolv.conf (Docker mounts one).
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
    "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/var/log/*.log "$dir"/debootstrap
  # PostgreSQL's postinst creates a "main" cluster; Borealis runs its own initdb.
  rm -rf "$dir"/var/lib/postgresql/*/main "$dir"/etc/postgresql/*/main
  : >"$dir/etc/resolv.conf"
  printf '%s\n' "$SUITE" >"$dir/etc/hostname"
  tar -C "$dir" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$dir" "$dir.log"
  log "rootfs $name built in $((SECONDS - t0)) s"
  echo "$tarball"
}

# docker import a directory (or a tarball) with Dockerfile-like changes.
import_dir() { # dir tag inputs [--change …]
  local dir=$1 tag=$2 inputs=$3
  shift 3
  tar -C "$dir" --numeric-owner -c . | "$DOCKER" import --change "LABEL dev.borealis.inputs=$inputs" "$@" - "$tag" >/dev/null
}

need_bin() { [ -x "$BIN/$1" ] || die "$1 is not built: run bash hack/tools.sh install $2"; }

# ------------------------------------------------------------------ images
build_debian() {
  local tarball inputs
  tarball=$(rootfs minbase "")
  inputs=$(inputs_hash "$tarball")
  up_to_date "$DEBIAN_IMAGE" "$inputs" && return
  "$DOCKER" import --change "LABEL dev.borealis.inputs=$inputs" --change 'CMD ["/bin/bash"]' "$tarball" "$DEBIAN_IMAGE" >/dev/null
  log "built $DEBIAN_IMAGE"
}

build_pause() {
  local inputs dir
  inputs=$(file_hash "$here/pause/pause.c")
  up_to_date "$PAUSE_IMAGE" "$inputs" && return
  command -v gcc >/dev/null || die "gcc is needed for the pause image (apt-get install gcc libc6-dev)"
  dir=$(mktemp -d)
  gcc -static -Os -Wall -Wextra -Werror -o "$dir/pause" "$here/pause/pause.c"
  strip "$dir/pause"
  import_dir "$dir" "$PAUSE_IMAGE" "$inputs" --change 'ENTRYPOINT ["/pause"]'
  rm -rf "$dir"
  log "built $PAUSE_IMAGE"
}

# A FROM-scratch image holding one static binary in /usr/local/bin.
scratch_image() { # tag binary-path entrypoint-json
  local tag=$1 bin=$2 entry=$3 inputs dir
  inputs=$(inputs_hash "$(file_hash "$bin")" "$entry")
  up_to_date "$tag" "$inputs" && return
  dir=$(mktemp -d)
  mkdir -p "$dir/usr/local/bin" "$dir/tmp" "$dir/etc"
  chmod 1777 "$dir/tmp"
  cp "$bin" "$dir/usr/local/bin/"
  printf 'root:x:0:0:root:/:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
  import_dir "$dir" "$tag" "$inputs" --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change "ENTRYPOINT $entry"
  rm -rf "$dir"
  log "built $tag"
}

build_kube() {
  local b
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    need_bin "$b" kube-apiserver
    scratch_image "registry.k8s.io/$b:$K8S" "$BIN/$b" "[\"/usr/local/bin/$b\"]"
  done
  # kube-proxy programs iptables/nftables: it needs those tools, so a Debian base.
  need_bin kube-proxy kube-apiserver
  local tarball inputs dir tag=registry.k8s.io/kube-proxy:$K8S
  tarball=$(rootfs proxy "iptables,nftables,conntrack,ipset,kmod")
  inputs=$(inputs_hash "$tarball" "$(file_hash "$BIN/kube-proxy")")
  up_to_date "$tag" "$inputs" && return
  dir=$(mktemp -d)
  tar -C "$dir" -xf "$tarball"
  cp "$BIN/kube-proxy" "$dir/usr/local/bin/"
  import_dir "$dir" "$tag" "$inputs" --change 'ENTRYPOINT ["/usr/local/bin/kube-proxy"]'
  rm -rf "$dir"
  log "built $tag"
}

build_etcd() { need_bin etcd etcd; scratch_image "$ETCD_IMAGE" "$BIN/etcd" '["/usr/local/bin/etcd"]'; }

build_coredns() {
  need_bin coredns coredns
  local inputs dir
  inputs=$(file_hash "$BIN/coredns")
  up_to_date "$COREDNS_IMAGE" "$inputs" && return
  dir=$(mktemp -d)
  cp "$BIN/coredns" "$dir/coredns"
  mkdir -p "$dir/tmp" && chmod 1777 "$dir/tmp"
  import_dir "$dir" "$COREDNS_IMAGE" "$inputs" --change 'ENTRYPOINT ["/coredns"]' --change 'EXPOSE 53 53/udp'
  rm -rf "$dir"
  log "built $COREDNS_IMAGE"
}

build_nats() {
  need_bin nats-server nats-server
  scratch_image "$NATS_IMAGE" "$BIN/nats-server" '["/usr/local/bin/nats-server"]'
}

# Node from the host (nodesource 20.x: glibc + libstdc++ only, both in the Debian base).
node_binary() {
  local node
  node=$(command -v node) || die "node is not installed on the host"
  "$node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
    die "host node $("$node" --version) is older than 20"
  echo "$node"
}

# The built workspace with its production dependencies, staged in $2/app: the packages of
# the workspace's production dependency tree as installed in this checkout's node_modules
# (npm ls --omit=dev), so the image runs exactly the code the tests ran, offline.
stage_workspace() { # workspace dir
  local ws=$1 dir=$2 pkgs
  [ -f "$root/$ws/dist/main.js" ] || die "$ws is not built (no $ws/dist/main.js): run npx tsc -b first"
  [ -d "$root/node_modules" ] || die "node_modules is missing: run npm ci first"
  mkdir -p "$dir/app/$ws"
  cp "$root/package.json" "$dir/app/"
  cp "$root/$ws/package.json" "$dir/app/$ws/"
  cp -r "$root/$ws/dist" "$dir/app/$ws/"
  pkgs=$(cd "$root" && npm ls --omit=dev --workspace "$ws" --all --parseable 2>/dev/null | sed -n "s#^$root/##p" | sort -u) || true
  [ -n "$pkgs" ] || die "npm ls found no production dependencies for $ws (is node_modules installed?)"
  (cd "$root" && printf '%s\n' "$pkgs" | while IFS= read -r p; do cp -a --parents "$p" "$dir/app/"; done)
  # Source maps and type declarations are not needed at run time.
  find "$dir/app/$ws/dist" \( -name '*.map' -o -name '*.d.ts' \) -delete
}

node_app_image() { # tag rootfs-name packages workspace entry-json extra-env
  local tag=$1 rname=$2 pkgs=$3 ws=$4 entry=$5 env=$6 tarball dir inputs node
  node=$(node_binary)
  tarball=$(rootfs "$rname" "$pkgs")
  inputs=$(inputs_hash "$tarball" "$(file_hash "$node")" \
    "$(cd "$root" && find "$ws/dist" package-lock.json "$ws/package.json" -type f -print0 | sort -z | xargs -0 cat | sha256sum)")
  up_to_date "$tag" "$inputs" && return
  dir=$(mktemp -d)
  tar -C "$dir" -xf "$tarball"
  cp "$node" "$dir/usr/local/bin/node"
  stage_workspace "$ws" "$dir"
  import_dir "$dir" "$tag" "$inputs" --change "ENV PATH=$env/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change 'ENV NODE_ENV=production' --change 'WORKDIR /app' --change "CMD $entry"
  rm -rf "$dir"
  log "built $tag"
}

build_region() {
  node_app_image "$REGION_IMAGE" region "postgresql-15,ca-certificates" region-agent \
    '["node", "region-agent/dist/main.js"]' /usr/lib/postgresql/15/bin:
}

build_operator() {
  node_app_image "$OPERATOR_IMAGE" minbase "" operator '["node", "operator/dist/main.js"]' ""
}

build_node() {
  local b
  for b in kubelet kubeadm kubectl; do need_bin "$b" kube-apiserver; done
  local pkgs="systemd,systemd-sysv,dbus,containerd,runc,iptables,nftables,iproute2,ethtool,socat,conntrack,util-linux,mount,kmod,containernetworking-plugins,ca-certificates,jq,procps,libseccomp2,pigz,bash,ebtables"
  local tarball preload inputs img ids=() t0=$SECONDS
  tarball=$(rootfs node "$pkgs")
  local id
  for img in $(preload_images); do
    id=$("$DOCKER" image inspect --format '{{.Id}}' "$img" 2>/dev/null) || die "image $img is missing: build it first (hack/images/build.sh)"
    ids+=("$id")
  done
  inputs=$(inputs_hash "$tarball" "${ids[@]}" "$(cd "$here/node" && find . -type f -print0 | sort -z | xargs -0 cat | sha256sum)" \
    "$(file_hash "$BIN/kubelet" "$BIN/kubeadm" "$BIN/kubectl")" "$PAUSE_IMAGE")
  up_to_date "$NODE_IMAGE" "$inputs" && return
  local dir
  dir=$(mktemp -d)
  tar -C "$dir" -xf "$tarball"
  # kind's files and ours
  cp -a "$here/node/files/." "$dir/"
  sed -i "s#@PAUSE_IMAGE@#$PAUSE_IMAGE#" "$dir/etc/containerd/config.toml"
  printf '%s\n' "$K8S" >"$dir/kind/version"
  cp "$BIN/kubelet" "$BIN/kubeadm" "$BIN/kubectl" "$dir/usr/bin/"
  mkdir -p "$dir/opt/cni/bin" "$dir/etc/cni/net.d" "$dir/etc/kubernetes/manifests"
  cp -a "$dir"/usr/lib/cni/. "$dir/opt/cni/bin/"
  # systemd in a container: only what a node needs, no getty, no udev, no kmsg.
  rm -f "$dir"/lib/systemd/system/multi-user.target.wants/* "$dir"/etc/systemd/system/*.wants/* \
    "$dir"/lib/systemd/system/local-fs.target.wants/* "$dir"/lib/systemd/system/sockets.target.wants/*udev* \
    "$dir"/lib/systemd/system/sockets.target.wants/*initctl* "$dir"/lib/systemd/system/basic.target.wants/* \
    "$dir"/lib/systemd/system/sysinit.target.wants/systemd-tmpfiles-setup.service
  echo 'ReadKMsg=no' >>"$dir/etc/systemd/journald.conf"
  local unit
  for unit in kubelet.service containerd.service; do
    mkdir -p "$dir/etc/systemd/system/multi-user.target.wants"
    local path=/etc/systemd/system/$unit
    [ -f "$dir$path" ] || path=/lib/systemd/system/$unit
    [ -f "$dir$path" ] || die "unit $unit not found in the node rootfs"
    ln -sf "$path" "$dir/etc/systemd/system/multi-user.target.wants/$unit"
  done
  for unit in getty.target getty@tty1.service console-getty.service systemd-binfmt.service \
    systemd-udevd.service systemd-udev-trigger.service systemd-modules-load.service sys-kernel-config.mount; do
    ln -sf /dev/null "$dir/etc/systemd/system/$unit"
  done
  import_dir "$dir" "$NODE_IMAGE-stage1" "$inputs" --change 'ENV container=docker' \
    --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]'
  rm -rf "$dir"

  # Preload images into containerd's k8s.io namespace in a plain (non-kind) container.
  preload="$CACHE/preload.tar"
  # shellcheck disable=SC2046
  "$DOCKER" save -o "$preload" $(preload_images)
  local cid
  cid=$("$DOCKER" create --privileged --network none -v "$preload:/preload.tar:ro" --entrypoint /bin/bash "$NODE_IMAGE-stage1" -c '
    set -e
    containerd >/tmp/containerd.log 2>&1 &
    for i in $(seq 1 100); do ctr version >/dev/null 2>&1 && break; sleep 0.1; done
    ctr -n k8s.io images import --snapshotter overlayfs /preload.tar
    ctr -n k8s.io images ls -q
    kill $! && wait $! || true
    rm -rf /tmp/* /run/containerd')
  if ! "$DOCKER" start -a "$cid" >"$CACHE/preload.log" 2>&1; then
    cat "$CACHE/preload.log" >&2
    "$DOCKER" rm -f "$cid" >/dev/null
    die "preloading images into the node image failed (log above)"
  fi
  for img in $(preload_images); do
    grep -q "^${img%%:*}:${img##*:}\$" "$CACHE/preload.log" || grep -q "docker.io/$img\$" "$CACHE/preload.log" ||
      { cat "$CACHE/preload.log" >&2; "$DOCKER" rm -f "$cid" >/dev/null; die "preloaded images lack $img"; }
  done
  "$DOCKER" commit --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' --change 'CMD []' \
    "$cid" "$NODE_IMAGE-stage2" >/dev/null
  "$DOCKER" rm "$cid" >/dev/null
  rm -f "$preload"

  # Debian's docker import/commit reject STOPSIGNAL: add it (and the final labels) with a build.
  local ctx
  ctx=$(mktemp -d)
  cat >"$ctx/Dockerfile" <<EOF
FROM $NODE_IMAGE-stage2
ENV container=docker
STOPSIGNAL SIGRTMIN+3
LABEL dev.borealis.inputs=$inputs
ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]
CMD []
EOF
  DOCKER_BUILDKIT=0 "$DOCKER" build -q -t "$NODE_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
  "$DOCKER" rmi "$NODE_IMAGE-stage1" "$NODE_IMAGE-stage2" >/dev/null 2>&1 || true
  log "built $NODE_IMAGE in $((SECONDS - t0)) s"
}

ALL=(debian pause kube etcd coredns nats region operator node)
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, docker)"
"$DOCKER" version >/dev/null 2>&1 || die "Docker does not answer: run bash hack/docker.sh up"
case "${1:-}" in
  list)
    preload_images
    echo "$NATS_IMAGE" "$REGION_IMAGE" "$OPERATOR_IMAGE" "$NODE_IMAGE"
    exit 0
    ;;
esac
[ $# -gt 0 ] || set -- "${ALL[@]}"
for image in "$@"; do
  declare -F "build_$image" >/dev/null || die "unknown image '$image' (known: ${ALL[*]})"
  t0=$SECONDS
  "build_$image"
  printf '%s\t%s\t%s s\n' "$(date -u +%FT%TZ)" "image $image" $((SECONDS - t0)) >>"$CACHE/build-times.tsv"
done
# Earlier builds of these tags are now dangling: remove them (only images this script made).
"$DOCKER" image prune -f --filter label=dev.borealis.inputs >/dev/null

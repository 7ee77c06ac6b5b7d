#!/usr/bin/env bash
# Runs a part of the test suite under other Node.js majors than the one on
# PATH, so the project is tested on the LTS lines the image ships (24) and
# supports (22) while dev machines may still run 20.
#
#   bash scripts/other-node.sh [--smoke] MAJOR...     e.g. 22 24
#
# Each major's binary comes from the npm registry (the node-<os>-<arch>
# package, through `npm pack`) and is cached in .local/node/<major>/bin/node;
# delete that folder to take a newer release. The default run is the unit
# tests, every api test (routes included) and a few end-to-end tests that start
# gateways, api and worker processes; --smoke is the short run that `make test`
# ends with (see the Makefile). dist/ must be built first (npm run build);
# tsc's output does not depend on the Node version that runs it.
#
# uWebSockets.js: the uwebsockets@3.0.6 alias ships a binary per Node ABI
# (uws_<os>_<arch>_<abi>.node), but those for Node 22 and later need glibc
# 2.38, newer than Debian 12's 2.36 (the Node 20 one needs 2.27). Where the
# gateway's binary does not load for that reason, this script takes Debian
# 13's glibc (libc6, the image's own, through apt-get with a private package
# list) into .local/node/glibc and points the cached Node binary at it
# (patchelf: interpreter and rpath), so the gateways run on the glibc they
# have in the image. Nothing on the system changes; only that node
# process and its children (which start through process.execPath) use it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=$ROOT/.local/node

usage() {
  echo "usage: bash scripts/other-node.sh [--smoke] MAJOR..." >&2
  exit 2
}

suite=full
majors=()
for arg in "$@"; do
  case $arg in
    --smoke) suite=smoke ;;
    --full) suite=full ;;
    [0-9]*) majors+=("$arg") ;;
    *) usage ;;
  esac
done
[ ${#majors[@]} -gt 0 ] || usage
[ -d dist ] || { echo "other-node: dist/ is missing; run npm run build first" >&2; exit 1; }

# The test files of each run, relative to dist/. Directories take every
# *.test.js under them.
UNIT=(shared gateway worker client api testkit/boundaries.test.js
  loadtest/bench/body.test.js loadtest/bench/histogram.test.js loadtest/bench/loss.test.js
  loadtest/baselines/socketio/codec.test.js)
E2E=(e2e/skeleton.test.js e2e/resume.test.js e2e/client-messaging.test.js e2e/connect-burst.test.js)
SMOKE=(shared/protocol/codec.test.js shared/config/env.test.js api/routes/auth.test.js
  e2e/skeleton.test.js e2e/client-messaging.test.js)

log() { echo "other-node: $*" >&2; }

os=$(uname -s | tr '[:upper:]' '[:lower:]')
case $(uname -m) in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) log "no Node package for $(uname -m)"; exit 1 ;;
esac

# Fetches node-<os>-<arch>@<major> into $CACHE/<major>/bin/node.
fetch_node() {
  local major=$1 dir=$CACHE/$1 tmp
  [ -x "$dir/bin/node" ] && return 0
  log "fetching node-$os-$arch@$major"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "node-$os-$arch@$major" --silent >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/bin/node
  mkdir -p "$dir/bin"
  mv "$tmp/package/bin/node" "$dir/bin/node"
  rm -rf "$tmp"
}

uws_loads() {
  (cd "$ROOT" && "$1" -e "require('uWebSockets.js')") 2>&1
}

# The first `URIs:`/`deb` address of the system's own Debian sources.
debian_mirror() {
  local uri
  uri=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1 | awk '{print $2}') || true
  [ -n "$uri" ] || uri=$(grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | grep -v security | head -1 | sed -E 's/^deb (\[[^]]*\] )?([^ ]+).*/\2/') || true
  echo "$uri"
}

# Debian 13's libc6 and the host's patchelf, from Debian's archive through
# apt-get with a package list of our own (the system's apt state is untouched).
fetch_glibc() {
  local g=$CACHE/glibc mirror host apt
  [ -x "$g/lib/ld-linux.so" ] && [ -x "$g/patchelf" ] && return 0
  command -v apt-get >/dev/null || { log "uWebSockets.js needs a newer glibc and this is not a Debian system: run under Node 20, or on glibc >= 2.38"; exit 1; }
  mirror=$(debian_mirror)
  host=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  [ -n "$mirror" ] || { log "no Debian mirror found in /etc/apt"; exit 1; }
  log "fetching Debian 13's glibc (libc6) and patchelf through apt-get"
  rm -rf "$g" && mkdir -p "$g/apt/lists/partial" "$g/apt/cache/archives/partial" "$g/deb" "$g/x"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\ndeb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
    "$mirror" "$mirror" "$host" >"$g/apt/sources.list"
  apt=(-q -o "Dir::Etc::SourceList=$g/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$g/apt/lists" -o "Dir::Cache=$g/apt/cache" -o Dir::State::Status=/dev/null
    -o APT::Sandbox::User=root)
  if ! apt-get "${apt[@]}" update >/dev/null || ! (cd "$g/deb" && apt-get "${apt[@]}" download libc6/trixie "patchelf/$host" >/dev/null); then
    log "could not fetch Debian 13's libc6 from $mirror: run under Node 20, or on glibc >= 2.38"
    exit 1
  fi
  for deb in "$g"/deb/*.deb; do dpkg-deb -x "$deb" "$g/x"; done
  # The libraries sit in the multiarch folder; the loader may sit beside them or in /usr/lib.
  local libdir ld
  libdir=$(dirname "$(find "$g/x" -name libc.so.6 | head -1)")
  ld=$(find "$g/x" -name 'ld-linux*.so.*' | head -1)
  cp -L "$ld" "$g/ld-linux.so"
  mv "$libdir" "$g/lib"
  mv "$g/ld-linux.so" "$g/lib/ld-linux.so"
  mv "$g/x/usr/bin/patchelf" "$g/patchelf"
  rm -rf "$g/x" "$g/deb" "$g/apt"
}

# Makes $CACHE/<major>/bin/node able to load the gateway's uWS binary.
prepare() {
  local major=$1 node=$CACHE/$1/bin/node abi err
  fetch_node "$major"
  # A binary patched earlier needs the glibc it points at.
  [ -f "$CACHE/$major/patched" ] && fetch_glibc
  abi=$("$node" -p process.versions.modules)
  [ -f "node_modules/uWebSockets.js/uws_${os}_${arch}_${abi}.node" ] ||
    { log "uWebSockets.js has no binary for Node $major (ABI $abi) on $os-$arch"; exit 1; }
  err=$(uws_loads "$node") && return 0
  if grep -q 'GLIBC_' <<<"$err"; then
    fetch_glibc
    "$CACHE/glibc/patchelf" --set-interpreter "$CACHE/glibc/lib/ld-linux.so" \
      --force-rpath --set-rpath "$CACHE/glibc/lib" "$node"
    touch "$CACHE/$major/patched"
    err=$(uws_loads "$node") && { log "Node $major runs on Debian 13's glibc (.local/node/glibc)"; return 0; }
  fi
  log "uWebSockets.js does not load under Node $major:"
  echo "$err" >&2
  exit 1
}

files() {
  local p
  for p in "$@"; do
    if [ -d "dist/$p" ]; then find "dist/$p" -name '*.test.js' | sort; else echo "dist/$p"; fi
  done
}

status=0
for major in "${majors[@]}"; do
  prepare "$major"
  node=$CACHE/$major/bin/node
  if [ "$suite" = smoke ]; then mapfile -t list < <(files "${SMOKE[@]}"); else mapfile -t list < <(files "${UNIT[@]}" "${E2E[@]}"); fi
  log "Node $("$node" --version): ${#list[@]} test files ($suite)"
  # PATH first, for anything that starts `node` by name.
  PATH="$CACHE/$major/bin:$PATH" "$node" --test --test-concurrency=1 "${list[@]}" || status=1
done
exit $status

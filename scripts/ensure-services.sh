#!/usr/bin/env bash
# Makes sure Redis and PostgreSQL are reachable for parley's tests and local
# cluster, and that the deploy validators and chromium (the browser test) are installed. When one points at this machine and is missing or stopped, it is
# installed (apt-get, as root) and started. Remote URLs are only checked.
set -euo pipefail

REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
PG_HOST="${PGHOST:-127.0.0.1}"
PG_PORT="${PGPORT:-5432}"
apt_updated=0

say() { printf 'ensure-services: %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "cannot install $* (need root and apt-get); install it yourself"; exit 1
  fi
  if [ "$apt_updated" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

redis_up() { node -e '
  const net = require("node:net"); const u = new URL(process.argv[1]);
  const s = net.connect(Number(u.port || 6379), u.hostname);
  s.setTimeout(2000, () => process.exit(1)); s.on("error", () => process.exit(1));
  s.on("connect", () => s.write("PING\r\n")); s.on("data", d => process.exit(String(d).startsWith("+PONG") || String(d).startsWith("-NOAUTH") ? 0 : 1));
' "$REDIS_URL"; }

ensure_redis() {
  if redis_up; then return; fi
  case "$REDIS_URL" in redis://127.0.0.1*|redis://localhost*) ;; *) say "Redis at $REDIS_URL is not reachable"; exit 1;; esac
  command -v redis-server >/dev/null || { say "installing redis-server"; apt_install redis-server; }
  say "starting redis-server"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/parley.log
  for _ in $(seq 1 50); do redis_up && return; sleep 0.2; done
  say "redis-server did not come up"; exit 1
}

pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }

ensure_postgres() {
  if pg_up; then return; fi
  case "$PG_HOST" in 127.0.0.1|localhost) ;; *) say "PostgreSQL at $PG_HOST:$PG_PORT is not reachable"; exit 1;; esac
  local fresh=0
  if ! command -v pg_ctlcluster >/dev/null; then say "installing postgresql"; apt_install postgresql; fresh=1; fi
  local version; version=$(ls /etc/postgresql | sort -V | tail -n 1)
  say "starting postgresql $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 50); do pg_up && break; sleep 0.2; done
  pg_up || { say "postgresql did not come up"; exit 1; }
  if [ "$fresh" = 1 ]; then
    # Local development and CI only: the role running the tests may connect over loopback without a password.
    su postgres -c "psql -qc \"do \\\$\\\$ begin if not exists (select from pg_roles where rolname = '$(id -un)') then create role \\\"$(id -un)\\\" superuser login; end if; end \\\$\\\$\"" 
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    grep -q 'parley: loopback trust' "$hba" || sed -i "1i host all all 127.0.0.1/32 trust # parley: loopback trust\nhost all all ::1/128 trust # parley: loopback trust" "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
}

# The deploy tests validate the compose file with docker-compose, the
# kustomize base and overlays with kubectl (`kubectl kustomize`), and alert rules and dashboard queries with
# promtool (Debian's packages; none needs an engine, a cluster or a running
# Prometheus). Where they cannot be installed, those checks are skipped.
ensure_validators() {
  local missing=()
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  command -v kubectl >/dev/null || missing+=(kubernetes-client)
  command -v promtool >/dev/null || missing+=(prometheus)
  [ "${#missing[@]}" = 0 ] && return
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "${missing[*]} missing: the deploy tests will skip those checks"; return
  fi
  say "installing ${missing[*]}"
  apt_install "${missing[@]}" || say "could not install ${missing[*]}: the deploy tests will skip those checks"
}

# The fault tests (e2e/faults) and the bench's --ack-replicas start
# redis-servers of their own, whatever REDIS_URL points at.
ensure_redis_server_binary() {
  command -v redis-server >/dev/null && return
  say "installing redis-server (the fault tests start their own)"
  apt_install redis-server
}

# The browser test (e2e/web-browser.test.ts) drives Debian's chromium
# headless through playwright-core; without it, that test is skipped.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "chromium missing: the browser test will be skipped"; return
  fi
  say "installing chromium (the browser test drives it headless)"
  apt_install chromium || say "could not install chromium: the browser test will be skipped"
}

ensure_redis
ensure_redis_server_binary
ensure_postgres
ensure_validators
ensure_chromium

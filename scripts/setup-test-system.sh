#!/usr/bin/env bash
# System parts of the test suite: a PostgreSQL server (the tests start their own cluster on
# 127.0.0.1) and the node wechaty puppet service for the WeChat integration tier.
# Idempotent: does nothing when both are already there.
set -euo pipefail
cd "$(dirname "$0")/.."

have_pg() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }

if ! have_pg || ! command -v runuser >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing PostgreSQL server (apt)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    # The distribution's own cluster is not needed: tests run a throw-away one.
    (service postgresql stop || true) >/dev/null 2>&1
  else
    echo "note: no PostgreSQL server and no root/apt; PostgreSQL tests will be skipped" >&2
  fi
fi

# A CJK font and fontconfig: the report test checks that the HTML charts' font stack covers
# every Chinese label (Debian's Noto CJK is what a Linux reader's browser would use).
if ! fc-list ':lang=zh-cn' family 2>/dev/null | grep -q .; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing a CJK font (apt)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq fontconfig fonts-noto-cjk >/dev/null
  else
    echo "note: no CJK font and no root/apt; the chart font test will be skipped" >&2
  fi
fi

# A headless browser for the web console tests (selenium drives the system chromium; nothing
# is downloaded at run time).
if [ ! -x /usr/bin/chromium ] || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium + chromium-driver (apt)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "note: no chromium and no root/apt; the web console browser tests will be skipped" >&2
  fi
fi

if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing node + npm (apt)…"
    apt-get install -y -qq nodejs npm >/dev/null
  fi
fi

service_dir=tests/wechat/puppet_service
if command -v npm >/dev/null 2>&1; then
  if [ ! -d "$service_dir/node_modules" ] || [ "$service_dir/package-lock.json" -nt "$service_dir/node_modules" ]; then
    echo "installing the wechaty puppet service (npm ci)…"
    (cd "$service_dir" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$service_dir/node_modules"
  fi
else
  echo "note: npm not found; WeChat integration tests will be skipped" >&2
fi

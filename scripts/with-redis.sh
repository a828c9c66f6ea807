#!/usr/bin/env bash
# Run a command with a throwaway Redis on loopback; its address is in TEST_REDIS_URL
# (redis://127.0.0.1:PORT/0), the port alone in TEST_REDIS_PORT, and its folder (its
# pid file, for a test that stops and restarts it) in TEST_REDIS_DIR.
# Installs Redis from Debian's packages where it is missing (as root), starts a private
# server on a free port under /tmp with nothing saved to disk, and stops it afterwards.
# Usage: scripts/with-redis.sh COMMAND [ARGS...]
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: Redis is not installed. Install it: sudo apt-get install -y redis-server" >&2
    exit 1
  fi
  echo "==> Installing Redis from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi

data=$(mktemp -d /tmp/test-redis-XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop() {
  if [ -f "$data/pid" ]; then
    kill "$(cat "$data/pid")" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap stop EXIT

redis-server --bind 127.0.0.1 --port "$port" --dir "$data" --save "" --appendonly no \
  --daemonize yes --pidfile "$data/pid" --logfile "$data/log"
for _ in $(seq 50); do
  if redis-cli -p "$port" ping >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done
redis-cli -p "$port" ping >/dev/null
echo "==> Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$port"

export TEST_REDIS_URL="redis://127.0.0.1:$port/0"
export TEST_REDIS_PORT="$port"
export TEST_REDIS_DIR="$data"
"$@"

#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL on loopback; its URL is in TEST_POSTGRES_URL
# (and what a test needs to restart it in TEST_POSTGRES_PG_CTL, _DATA and _OWNER).
# Installs PostgreSQL from Debian's packages where it is missing (as root), starts a
# private cluster on a free port under /tmp, and removes it afterwards.
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: PostgreSQL is not installed. Install it: sudo apt-get install -y postgresql" >&2
    exit 1
  fi
  echo "==> Installing PostgreSQL from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

data=$(mktemp -d /tmp/test-postgres-XXXXXX)
as_owner=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root.
  chown postgres: "$data"
  as_owner=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$data/db" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap stop EXIT

"${as_owner[@]}" "$bin/initdb" -D "$data/db" -U postgres --auth=trust >/dev/null
"${as_owner[@]}" "$bin/pg_ctl" -D "$data/db" -l "$data/log" -w \
  -o "-p $port -k $data -c listen_addresses=127.0.0.1" start >/dev/null
echo "==> PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

export TEST_POSTGRES_URL="postgresql+psycopg2://postgres@127.0.0.1:$port/postgres"
# For a test that restarts the server: pg_ctl, its data folder, and who runs it.
export TEST_POSTGRES_PG_CTL="$bin/pg_ctl"
export TEST_POSTGRES_DATA="$data/db"
export TEST_POSTGRES_OWNER="${as_owner[*]:-}"
"$@"

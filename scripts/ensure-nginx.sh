#!/usr/bin/env bash
# Make sure Debian's nginx is installed, for the cluster profile's load balancer
# (scripts/cluster.py, make cluster and make cluster-test). Only the binary is used:
# the cluster starts its own nginx with its own configuration, on loopback.
# As root, or through sudo when it needs no password; otherwise say what to run.
set -euo pipefail

nginx=/usr/sbin/nginx
if [ -x "$nginx" ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: $nginx is missing and this machine has no apt-get." >&2
  echo "Install nginx with your system's package manager." >&2
  exit 1
fi

as_root=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "error: $nginx is missing, and installing it needs root." >&2
    echo "Run: sudo apt-get update && sudo apt-get install -y nginx-light" >&2
    exit 1
  fi
fi

echo "==> Installing nginx from Debian's packages (the cluster's load balancer)"
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get update -qq ||
  ! "${as_root[@]}" apt-get install -y -qq nginx-light; then
  echo "error: apt-get could not install nginx-light (see above)." >&2
  exit 1
fi
# Debian starts the packaged service where it can; the cluster runs its own nginx.
"${as_root[@]}" service nginx stop >/dev/null 2>&1 || true
if [ ! -x "$nginx" ]; then
  echo "error: the nginx-light package is installed but $nginx is not there." >&2
  exit 1
fi
echo "==> $("$nginx" -v 2>&1) installed"

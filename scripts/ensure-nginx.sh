#!/usr/bin/env bash
# Make sure Debian's nginx is installed, for the cluster profile's load balancer
# (scripts/cluster.py, make cluster and make cluster-test). Only the binary is used:
# the cluster starts its own nginx with its own configuration, on loopback.
# NGINX names the binary to look for (default /usr/sbin/nginx).
set -uo pipefail
source "${BASH_SOURCE[0]%/*}/ensure-package.sh"

nginx=${NGINX:-/usr/sbin/nginx}
ensure_package "$nginx" nginx-light "the cluster's load balancer"
case $? in
  0) exit 0 ;;
  10)
    # Debian starts the packaged service where it can; the cluster runs its own nginx.
    if [ "$(id -u)" = 0 ]; then
      service nginx stop >/dev/null 2>&1 || true
    else
      sudo -n service nginx stop >/dev/null 2>&1 || true
    fi
    echo "==> $("$nginx" -v 2>&1) installed"
    ;;
  *) exit 1 ;;
esac

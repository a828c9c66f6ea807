#!/usr/bin/env bash
# ensure_package PATH PACKAGE PURPOSE [HINT]: make sure PATH exists, installing Debian's
# PACKAGE where it is missing. As root, or through sudo when it needs no password;
# otherwise say what to run. Sourced by scripts/ensure-chromium.sh and
# scripts/ensure-nginx.sh (it needs nothing on PATH but apt-get, id and sudo).
# Returns 0 when PATH was there already, 10 when it was installed now, 1 on failure.

ensure_package() {
  local path=$1 package=$2 purpose=$3 hint=${4:-}
  if [ -x "$path" ]; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $path is missing and this machine has no apt-get." >&2
    echo "Install $package with your system's package manager${hint}." >&2
    return 1
  fi
  local as_root=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      as_root=(sudo -n)
    else
      echo "error: $path is missing, and installing it needs root." >&2
      echo "Run: sudo apt-get update && sudo apt-get install -y $package" >&2
      return 1
    fi
  fi
  echo "==> Installing $package from Debian's packages ($purpose)"
  export DEBIAN_FRONTEND=noninteractive
  if ! "${as_root[@]}" apt-get update -qq ||
    ! "${as_root[@]}" apt-get install -y -qq "$package"; then
    echo "error: apt-get could not install $package (see above)." >&2
    echo "Run: sudo apt-get update && sudo apt-get install -y $package" >&2
    return 1
  fi
  if [ ! -x "$path" ]; then
    echo "error: the $package package is installed but $path is not there." >&2
    return 1
  fi
  return 10
}

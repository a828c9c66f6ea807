#!/usr/bin/env bash
# Make sure Debian's Chromium is installed, for the console's browser tests (tests/e2e).
# A fresh CI machine has no browser: install the `chromium` package from Debian's
# archive (Playwright's own browser download is not used: it fetches from elsewhere).
# As root, or through sudo when it needs no password; otherwise say what to run.
# CHROMIUM names the browser to look for (default /usr/bin/chromium).
set -euo pipefail

chromium=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$chromium" ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: $chromium is missing and this machine has no apt-get." >&2
  echo "Install Chromium with your system's package manager, or set CHROMIUM to its path." >&2
  exit 1
fi

as_root=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "error: $chromium is missing, and installing it needs root." >&2
    echo "Run: sudo apt-get update && sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi

echo "==> Installing Chromium from Debian's packages (for the browser tests)"
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get update -qq ||
  ! "${as_root[@]}" apt-get install -y -qq chromium; then
  echo "error: apt-get could not install chromium (see above)." >&2
  echo "Run: sudo apt-get update && sudo apt-get install -y chromium" >&2
  exit 1
fi

if [ ! -x "$chromium" ]; then
  echo "error: the chromium package is installed but $chromium is not there." >&2
  exit 1
fi
echo "==> $("$chromium" --version 2>/dev/null || echo chromium) installed"

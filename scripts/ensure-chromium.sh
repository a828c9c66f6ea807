#!/usr/bin/env bash
# Make sure Debian's Chromium is installed, for the console's browser tests (tests/e2e).
# A fresh CI machine has no browser: install the `chromium` package from Debian's
# archive (Playwright's own browser download is not used: it fetches from elsewhere).
# CHROMIUM names the browser to look for (default /usr/bin/chromium).
set -uo pipefail
source "${BASH_SOURCE[0]%/*}/ensure-package.sh"

chromium=${CHROMIUM:-/usr/bin/chromium}
ensure_package "$chromium" chromium "for the browser tests" ", or set CHROMIUM to its path"
case $? in
  0) exit 0 ;;
  10) echo "==> $("$chromium" --version 2>/dev/null || echo chromium) installed" ;;
  *) exit 1 ;;
esac

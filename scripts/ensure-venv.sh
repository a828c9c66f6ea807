#!/usr/bin/env bash
# Create .venv/ with Python 3.10 and install the pinned requirements, once.
# Reinstalls only when requirements.txt has changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

python=$(scripts/find-python310.sh)
if [ ! -x .venv/bin/python ]; then
  echo "==> Creating .venv/ with $("$python" --version) ($python)"
  "$python" -m venv .venv
fi
echo "==> Installing the pinned dependencies into .venv/ (a few minutes the first time)"
.venv/bin/python -m pip install --disable-pip-version-check --progress-bar on -r requirements.txt
echo "$want" > "$stamp"
echo "==> Dependencies installed"

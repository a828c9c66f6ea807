#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter, or explain how to get one and fail.
# Rasa 3.6 runs on Python 3.8-3.10 only; this project is pinned and tested on 3.10.
set -euo pipefail

is_310() { [ -x "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  want=$(cat "$(dirname "$0")/../.python-version" 2>/dev/null || echo 3.10)
  prefix=$(pyenv prefix "$want" 2>/dev/null || true)
  [ -n "$prefix" ] && candidates+=("$prefix/bin/python")
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | sort -rV); do
    candidates+=("$(pyenv root)/versions/$v/bin/python")
  done
fi
for p in "$HOME"/.pyenv/versions/3.10*/bin/python /usr/bin/python3.10 /usr/local/bin/python3.10; do
  candidates+=("$p")
done

for c in "${candidates[@]}"; do
  if is_310 "$c"; then "$c" -c "import sys; print(sys.executable)"; exit 0; fi
done

cat >&2 <<'MSG'
error: Python 3.10 was not found.
Rasa 3.6.21 runs only on Python 3.8-3.10, and this project is pinned for 3.10.
Install it, then run the command again. Any one of these works:
  pyenv install 3.10.13                    (pyenv: https://github.com/pyenv/pyenv)
  apt-get install python3.10 python3.10-venv   (where your distribution has it)
or point PYTHON at an existing interpreter:  PYTHON=/path/to/python3.10 make run
MSG
exit 1

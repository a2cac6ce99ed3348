#!/usr/bin/env bash
# Install what the tests need, then run them all: lint, type check, unit, oracle, AppTest and browser tests.
# They run in a virtualenv (.venv-test, or $PLAYGROUND_VENV) made from requirements.txt and requirements-dev.txt alone,
# remade whenever those files change, so a package installed by hand elsewhere cannot make them pass
# (tests/test_environment.py checks that nothing else is in it).
# Extra arguments go to pytest (e.g. `bash test.sh -k scheduler`, `bash test.sh -m "not browser and not slow"`).
set -euo pipefail
cd "$(dirname "$0")"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
if ! command -v chromium >/dev/null; then  # Debian's Chromium drives the browser tests (never `playwright install`)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
fi
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then  # Debian's nginx: the load balancer in tests/test_replicas.py
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nginx >/dev/null
fi
if ! command -v npm >/dev/null; then  # npm installs axe-core (package-lock.json) for tests/test_audit.py
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq npm >/dev/null
fi
npm ci --no-audit --no-fund --silent  # node_modules/ from package-lock.json alone, like the virtualenv below
PYTHON=$(command -v python3 || command -v python)
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed" >&2; exit 1; }
VENV=${PLAYGROUND_VENV:-.venv-test}
STAMP=$(cat requirements.txt requirements-dev.txt | "$PYTHON" -c 'import hashlib, sys; print(sys.version, hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
if [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "$STAMP" ]; then  # new, or the requirements changed: start afresh
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q -r requirements.txt -r requirements-dev.txt
  echo "$STAMP" > "$VENV/.requirements"
fi
"$VENV/bin/python" -m ruff check .
"$VENV/bin/python" -m mypy  # the engine's types ([tool.mypy] in pyproject.toml names the packages)
"$VENV/bin/python" -m pytest "$@"

#!/usr/bin/env bash
# Install what the tests need, then run them all: lint, unit, oracle, AppTest and browser tests.
# Extra arguments go to pytest (e.g. `bash test.sh -k scheduler`).
set -euo pipefail
cd "$(dirname "$0")"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
if ! command -v chromium >/dev/null; then  # Debian's Chromium drives the browser tests (never `playwright install`)
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
fi
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then  # Debian's nginx: the load balancer in tests/test_replicas.py
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nginx >/dev/null
fi
python -m pip install -q -r requirements.txt -r requirements-dev.txt
python -m ruff check .
python -m pytest "$@"

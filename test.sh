#!/usr/bin/env bash
# Install what the tests need, then run them all: lint, unit, oracle and AppTest tests.
# Extra arguments go to pytest (e.g. `bash test.sh -k scheduler`).
set -euo pipefail
cd "$(dirname "$0")"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
python -m pip install -q -r requirements.txt -r requirements-dev.txt
python -m ruff check .
python -m pytest "$@"

#!/usr/bin/env bash
# Sets everything up, checks style (ruff) and types (mypy, configured in pyproject.toml),
# then runs the whole test suite (SQLite and PostgreSQL, real Dovecot IMAP and SMTP
# servers on loopback). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1
.venv/bin/ruff check .
.venv/bin/mypy flows models mailbox templates web
exec .venv/bin/python -m pytest "$@"

#!/usr/bin/env bash
# Sets everything up, then runs `pdu demo`: the whole system on embedded defaults (SQLite
# under ./var/demo, the development mail server, a local Prefect server), a request's life
# by email. In a terminal it keeps running afterwards for a mail client (Ctrl-C stops it).
# Extra arguments go to `pdu demo` (e.g. --no-keep-running, --without-prefect).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1
exec .venv/bin/pdu demo "$@"

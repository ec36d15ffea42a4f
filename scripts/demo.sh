#!/usr/bin/env bash
# Sets everything up, then runs the main job on embedded defaults (SQLite under ./var).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1
PDU=.venv/bin/pdu
$PDU db upgrade
$PDU staff add reviewer@opi.example --name "Rita Reviewer" --role reviewer 2>/dev/null || true
$PDU staff add supervisor@opi.example --name "Sam Supervisor" --role supervisor 2>/dev/null || true
$PDU directory import scripts/sample-directory.csv
$PDU directory list
$PDU case list

#!/usr/bin/env bash
# Sets up a fresh Debian machine (root, Python 3.11) for PDU workflows: system packages,
# a virtual environment in .venv, the pinned Python dependencies, and the project itself.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# dovecot + postgresql: the real IMAP/LMTP and database servers the tests start on loopback.
# pango + fonts + harfbuzz-subset: WeasyPrint (no fonts: it segfaults; subset: 5x faster).
# poppler-utils: pdftotext/pdftoppm for reading certificates back.
# chromium: the browser the web tests drive with Playwright (never Playwright's own builds).
# zbar-tools: zbarimg scans a certificate's QR code in the tests.
# qpdf: checks the structure of the certificates' PDFs (the stationery is stamped in).
# systemd: `systemd-analyze verify` checks the units of deploy/systemd/.
SYSTEM_PACKAGES=(
  dovecot-imapd dovecot-lmtpd postgresql
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils
  zbar-tools qpdf python3-venv chromium systemd
)
# npm installs axe-core, the accessibility checker the web tests inject (any Node.js will do:
# Debian's when none is installed).
command -v npm >/dev/null || SYSTEM_PACKAGES+=(nodejs npm)

missing=()
for package in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml requirements/constraints.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing Python dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -m pip install -q -c requirements/constraints.txt -e ".[test]" 2>&1 \
    | grep -v -E "^WARNING: Location|^\s*$" || true
  .venv/bin/python -c "import prefect, weasyprint, imapclient, sqlalchemy" # fail loudly here
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# axe-core (npm, pinned) for the web tests' accessibility check, into git-ignored var/npm.
AXE_VERSION=4.14.1
if ! grep -qs "\"version\": \"$AXE_VERSION\"" var/npm/node_modules/axe-core/package.json; then
  echo "bootstrap: installing axe-core $AXE_VERSION into var/npm"
  mkdir -p var/npm
  npm install --silent --no-audit --no-fund --prefix var/npm "axe-core@$AXE_VERSION" >/dev/null
fi

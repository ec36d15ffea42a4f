"""deploy/systemd/: the units pass `systemd-analyze verify` (Debian's systemd) with not one
warning, and each keeps the hardening docs/deploy.md promises."""

from __future__ import annotations

import configparser
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
HARDENING = {
    "User": "pdu",
    "NoNewPrivileges": "yes",
    "PrivateTmp": "yes",
    "ProtectSystem": "strict",
    "ReadWritePaths": "/var/lib/pdu",
    "Restart": "on-failure",
    "EnvironmentFile": "/etc/pdu/pdu.env",
}


def installed_copy(unit: Path, into: Path) -> Path:
    """The unit as installed, but pointing at this checkout instead of /opt/pdu (verify
    checks that each command exists); a template gets an instance name."""
    name = unit.name.replace("@.service", "@1.service")
    copy = into / name
    copy.write_text(unit.read_text().replace("/opt/pdu", str(ROOT)))
    return copy


def test_there_are_units_for_serve_web_and_the_scale_out_layout() -> None:
    assert [u.name for u in UNITS] == [
        "pdu-prefect-server.service", "pdu-serve.service", "pdu-web.service",
        "pdu-worker@.service",
    ]  # fmt: skip


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_systemd_analyze_verify_passes_without_a_warning(unit: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        ["systemd-analyze", "verify", str(installed_copy(unit, tmp_path))],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_unit_runs_hardened_as_its_own_user_and_restarts_on_failure(unit: Path) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(unit.read_text())
    service = dict(parser["Service"])
    assert {k: service.get(k) for k in HARDENING} == HARDENING

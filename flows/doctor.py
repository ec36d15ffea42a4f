"""`pdu doctor`'s checks: a deployment as it is configured, one line each, with what to do
when it fails. Each check is a function of the settings returning a `Check`; none changes
anything unless asked (`fix`: create the IMAP folders; `send_test`: one message)."""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from models.settings import AuthMethod, Settings, SettingsError

MIN_FREE_BYTES = 1 << 30  # attachments and certificates for months; a backup's staging


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""  # what to do when it failed

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} {self.name}: {self.detail}" + ("" if self.ok else f" -> {self.fix}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Options:
    fix: bool = False
    send_test: str | None = None


def _failed(name: str, exc: BaseException | str, fix: str) -> Check:
    from mailbox.addresses import redact_text

    text = exc if isinstance(exc, str) else f"{exc}" or type(exc).__name__
    return Check(name, False, redact_text(" ".join(str(text).split()))[:300], fix)


def check_secret(s: Settings, _: Options) -> Check:
    try:
        keys = s.keys
    except SettingsError:
        return _failed(
            "secret", "PDU_SECRET_KEY missing, the built-in value or under 32 bytes",
            "run `pdu secret new` and set PDU_SECRET_KEY to it",
        )  # fmt: skip
    earlier = f", {len(keys) - 1} earlier key(s) still accepted" if len(keys) > 1 else ""
    return Check("secret", True, f"PDU_SECRET_KEY set ({len(keys[0].encode())} bytes){earlier}")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_public_url(s: Settings, _: Options) -> Check:
    parts = urlsplit(s.public_url)
    fix = "set PDU_PUBLIC_URL to the https:// address people reach `pdu web` at"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _failed("public URL", f"PDU_PUBLIC_URL={s.public_url} is not a web address", fix)
    if parts.scheme != "https" and not _loopback(parts.hostname):
        return _failed("public URL", f"{s.public_url} is not https (certificates' QR codes)", fix)
    local = " (loopback: fine for a trial only)" if _loopback(parts.hostname) else ""
    return Check("public URL", True, f"{s.public_url}{local}")


def check_database(s: Settings, _: Options) -> Check:
    from models.migrate import code_heads, describe_database, schema_problem

    problem = schema_problem(s.sqlalchemy_url)
    if problem is not None:
        fix = "run `pdu db upgrade`" if "pdu db upgrade" in str(problem) else "fix PDU_DATABASE_URL"
        return _failed("database", problem, fix)
    heads = ", ".join(sorted(code_heads()))
    return Check("database", True, f"{describe_database(s.sqlalchemy_url)} at {heads} (head)")


def check_data_dir(s: Settings, _: Options) -> Check:
    fix = f"make {s.data_dir} writable by the service's user, with at least 1 GiB free"
    try:
        s.data_dir.mkdir(parents=True, exist_ok=True)
        probe = s.data_dir / f".doctor-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        probe.unlink()
        free = shutil.disk_usage(s.data_dir).free
    except OSError as exc:
        return _failed("data directory", f"{s.data_dir}: {exc.strerror or exc}", fix)
    if free < MIN_FREE_BYTES:
        return _failed("data directory", f"{s.data_dir}: only {free >> 20} MiB free", fix)
    return Check("data directory", True, f"{s.data_dir} writable, {free >> 30} GiB free")


def check_imap(s: Settings, o: Options) -> Check:
    from flows.jobs import open_mailbox

    folders = (s.imap_processed_folder, s.imap_quarantine_folder)
    where = f"{s.imap_host}:{s.imap_port}"
    try:
        with open_mailbox(s) as box:
            if o.fix:
                box.ensure_folders(*folders)
            missing = [f for f in folders if not box.client.folder_exists(f)]
    except Exception as exc:
        return _failed(
            "IMAP", f"{where}: {exc}", "check PDU_IMAP_HOST/PORT/SECURITY/USER/PASSWORD (or AUTH)"
        )
    if missing:
        return _failed(
            "IMAP", f"logged in at {where}; folder(s) missing: {', '.join(missing)}",
            "run `pdu doctor --fix` to create them",
        )  # fmt: skip
    return Check("IMAP", True, f"logged in at {where}; folders {', '.join(folders)} present")


def check_smtp(s: Settings, o: Options) -> Check:
    from flows.jobs import open_sender

    where = f"{s.smtp_host}:{s.smtp_port}"
    try:
        with open_sender(s) as sender:
            sender.check()
            if o.send_test:
                sender.send(_test_message(s, o.send_test))
    except Exception as exc:
        return _failed(
            "SMTP", f"{where}: {exc}", "check PDU_SMTP_HOST/PORT/SECURITY/USER/PASSWORD (or AUTH)"
        )
    sent = f"; a test message sent to {o.send_test}" if o.send_test else " (no mail sent)"
    return Check("SMTP", True, f"connected and logged in at {where}{sent}")


def _test_message(s: Settings, to: str) -> EmailMessage:
    # An operator's own probe of the SMTP path, not an office email: it bypasses the outbox
    # on purpose (nothing to retry or record) and says so.
    message = EmailMessage()
    message["From"] = s.mail_address
    message["To"] = to
    message["Subject"] = "PDU workflows: pdu doctor test message"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("Sent by `pdu doctor --send-test`. Nothing to do.\n")
    return message


def check_oauth(s: Settings, _: Options) -> Check:
    from flows.jobs import token_provider

    methods = {m for m in (s.imap_auth, s.smtp_auth) if m is not AuthMethod.PASSWORD}
    if not methods:
        return Check("OAuth2", True, "not configured (password logins)")
    try:
        for method in methods:
            provider = token_provider(s, method)
            assert provider is not None
            provider()
    except Exception as exc:
        return _failed("OAuth2", exc, "check PDU_OAUTH_TENANT_ID/CLIENT_ID/CLIENT_SECRET")
    return Check("OAuth2", True, f"token acquired ({', '.join(sorted(methods))})")


def check_prefect(s: Settings, _: Options) -> list[Check]:
    """The API reachable, then a line per deployment of prefect.yaml: registered, with the
    schedules prefect.yaml declares (what `pdu deploy` or `pdu serve` registers)."""
    import httpx

    from flows.serve import load_definitions

    api = os.environ.get("PREFECT_API_URL", "").rstrip("/")
    if not api:
        return [Check("Prefect", True, "PREFECT_API_URL not set: `pdu serve` runs its own server")]
    try:
        httpx.get(f"{api}/health", timeout=10).raise_for_status()
        found = httpx.post(f"{api}/deployments/filter", json={}, timeout=10)
        found.raise_for_status()
    except httpx.HTTPError as exc:
        fix = "start the Prefect server (or correct PREFECT_API_URL), then run `pdu deploy`"
        return [_failed("Prefect", f"{api} unreachable: {exc}", fix)]
    registered = {d["name"]: d for d in found.json()}
    checks = [Check("Prefect", True, f"{api} answers; {len(registered)} deployment(s)")]
    fix = "run `pdu deploy` (or restart `pdu serve`): it registers prefect.yaml's deployments"
    for wanted in load_definitions():
        name = f"Prefect deployment {wanted['name']}"
        deployment = registered.get(wanted["name"])
        declared = sorted(_declared(x) for x in wanted.get("schedules") or [])
        if deployment is None:
            checks.append(_failed(name, "not registered", fix))
            continue
        actual = sorted(_registered(x) for x in deployment.get("schedules") or [])
        if actual != declared:
            detail = f"schedule {_said(actual)} registered; prefect.yaml says {_said(declared)}"
            checks.append(_failed(name, detail, fix))
        else:
            checks.append(Check(name, True, f"registered, {_said(declared)}"))
    return checks


def _declared(config: dict[str, Any]) -> str:
    """One schedule of prefect.yaml, in words comparable with a registered one."""
    if "cron" in config:
        return f"cron {config['cron']} ({config.get('timezone') or 'UTC'})"
    if "interval" in config:
        return f"every {float(config['interval']):g} s"
    return f"rrule {config.get('rrule')}"


def _registered(entry: dict[str, Any]) -> str:
    schedule = dict(entry.get("schedule") or {})
    if "interval" in schedule:
        schedule["interval"] = float(schedule["interval"])  # seconds, as Prefect returns them
    words = _declared(schedule)
    return words if entry.get("active", True) else f"{words}, paused"


def _said(schedules: list[str]) -> str:
    return "; ".join(schedules) or "on demand"


def check_certificate(s: Settings, _: Options) -> Check:
    fix = "install fonts-dejavu-core and the WeasyPrint libraries (scripts/bootstrap.sh)"
    try:
        fonts = subprocess.run(["fc-list"], capture_output=True, text=True, timeout=30).stdout
    except OSError as exc:
        return _failed("certificates", f"fontconfig not found ({exc.strerror})", fix)
    if not fonts.strip():
        return _failed("certificates", "no fonts installed (WeasyPrint crashes without)", fix)
    try:
        from templates.certificate_data import CertificateData
        from templates.pdf import STAMPED, CertificateRenderer, check_not_blank

        data = CertificateData(
            holder_name="Doctor Test", license_number="000000", activity_title="pdu doctor",
            provider="PDU workflows", start_date=date(2026, 1, 5), end_date=date(2026, 1, 5),
            hours=Decimal("1"), number="PDU-0000-000000", issue_date=date(2026, 1, 5),
            verification_code="TEST-TEST-TEST-TEST",
            verification_url=f"{s.public_url}/verify/TEST", issuer_name="Office",
            issuer_title="pdu doctor",
        )  # fmt: skip
        renderer = CertificateRenderer()
        check_not_blank(renderer.render(data), data)
    except Exception as exc:
        return _failed("certificates", exc, fix)
    how = "" if renderer.mode == STAMPED else f" ({renderer.mode}: stamping failed, see the log)"
    return Check(
        "certificates", True, f"fonts present; a test certificate rendered and read back{how}"
    )


CHECKS: tuple[Callable[[Settings, Options], Check | list[Check]], ...] = (
    check_secret, check_public_url, check_database, check_data_dir, check_imap, check_smtp,
    check_oauth, check_prefect, check_certificate,
)  # fmt: skip


def run_checks(settings: Settings, options: Options) -> list[Check]:
    checks: list[Check] = []
    for check in CHECKS:
        found = check(settings, options)
        checks += found if isinstance(found, list) else [found]
    return checks

from datetime import UTC, datetime

import pytest

from models import clock
from models.settings import SettingsError, load_settings


def test_pdu_now_replaces_the_clock(monkeypatch):
    monkeypatch.setenv("PDU_NOW", "2026-11-20T09:30:00-07:00")
    assert clock.now() == datetime(2026, 11, 20, 16, 30, tzinfo=UTC)


def test_a_naive_pdu_now_is_read_as_utc(monkeypatch):
    monkeypatch.setenv("PDU_NOW", "2026-11-20T09:30:00")
    assert clock.now() == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_a_malformed_pdu_now_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("PDU_NOW", "next tuesday")
    with pytest.raises(clock.ClockError, match="PDU_NOW"):
        clock.now()


def test_a_bad_setting_is_named_in_the_error(monkeypatch):
    monkeypatch.setenv("PDU_SMTP_PORT", "seventy")
    with pytest.raises(SettingsError, match="PDU_SMTP_PORT"):
        load_settings()


def test_an_unknown_time_zone_is_refused(monkeypatch):
    monkeypatch.setenv("PDU_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SettingsError, match="PDU_TIMEZONE"):
        load_settings()


def test_security_must_be_none_starttls_or_tls(monkeypatch):
    monkeypatch.setenv("PDU_IMAP_SECURITY", "ssl3")
    with pytest.raises(SettingsError, match="PDU_IMAP_SECURITY"):
        load_settings()


def test_the_default_database_is_sqlite_under_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PDU_DATA_DIR", str(tmp_path))
    assert load_settings().sqlalchemy_url == f"sqlite:///{tmp_path}/pdu.sqlite3"


def test_a_toml_file_is_read_and_the_environment_wins(tmp_path, monkeypatch):
    config = tmp_path / "pdu.toml"
    config.write_text('[pdu]\nmail_address = "pdu@opi.mt.gov"\nsmtp_port = 2525\n')
    monkeypatch.setenv("PDU_CONFIG", str(config))
    monkeypatch.setenv("PDU_SMTP_PORT", "587")
    settings = load_settings()
    assert settings.mail_address == "pdu@opi.mt.gov"
    assert settings.smtp_port == 587


def test_a_toml_file_whose_pdu_key_is_not_a_table_is_refused_by_name(tmp_path, monkeypatch):
    config = tmp_path / "pdu.toml"
    config.write_text('pdu = "opi"\n')
    monkeypatch.setenv("PDU_CONFIG", str(config))
    with pytest.raises(SettingsError, match=r"PDU_CONFIG=.*`pdu` must be a table"):
        load_settings()

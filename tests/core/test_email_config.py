"""KARTOTEKA_EMAIL_URL read into Django's e-mail settings, failing loudly on a bad value."""

import pytest

from kartoteka.core.config import ConfigError, email_settings


def _read(monkeypatch, value: str) -> dict:
    monkeypatch.setenv("KARTOTEKA_EMAIL_URL", value)
    return email_settings("KARTOTEKA_EMAIL_URL", "console://")


def test_console_is_the_default(monkeypatch):
    monkeypatch.delenv("KARTOTEKA_EMAIL_URL", raising=False)
    assert email_settings("KARTOTEKA_EMAIL_URL", "console://")["EMAIL_BACKEND"].endswith(
        "console.EmailBackend"
    )


def test_smtp_on_587_uses_starttls_with_the_credentials(monkeypatch):
    found = _read(monkeypatch, "smtp://ana%40x.es:p%40ss@mail.example.com:587")
    assert found["EMAIL_HOST"] == "mail.example.com" and found["EMAIL_PORT"] == 587
    assert (found["EMAIL_HOST_USER"], found["EMAIL_HOST_PASSWORD"]) == ("ana@x.es", "p@ss")
    assert found["EMAIL_USE_TLS"] and not found["EMAIL_USE_SSL"]


def test_smtps_uses_tls_from_the_start_on_465(monkeypatch):
    found = _read(monkeypatch, "smtps://u:p@mail.example.com")
    assert found["EMAIL_USE_SSL"] and found["EMAIL_PORT"] == 465


def test_file_writes_messages_into_a_folder(monkeypatch, tmp_path):
    found = _read(monkeypatch, f"file://{tmp_path}")
    assert found["EMAIL_FILE_PATH"] == str(tmp_path)


def test_a_provider_goes_through_anymail(monkeypatch):
    found = _read(monkeypatch, "postmark://server-token@")
    assert found["EMAIL_BACKEND"] == "anymail.backends.postmark.EmailBackend"
    assert found["ANYMAIL"] == {"POSTMARK_SERVER_TOKEN": "server-token"}


@pytest.mark.parametrize("value", ["smtp://", "gopher://x", "smtp://h:notaport", "postmark://"])
def test_a_bad_url_fails_loudly(monkeypatch, value):
    with pytest.raises(ConfigError):
        _read(monkeypatch, value)

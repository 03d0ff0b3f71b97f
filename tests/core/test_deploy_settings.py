"""Production settings: KARTOTEKA_HTTPS passes `check --deploy`; hosts are local by default.

Each test starts a fresh Python, since settings are read once, at start-up."""

import json
import os
import secrets
import subprocess
import sys

import pytest

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")


def run_python(tmp_path, args: list[str], **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("KARTOTEKA_", "DJANGO_"))
    }
    environment.pop("DATABASE_URL", None)
    environment.update(
        {
            "KARTOTEKA_DATA_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "kartoteka.settings",
            "PYTHONPATH": os.pathsep.join(
                [os.path.abspath(SRC), environment.get("PYTHONPATH", "")]
            ),
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, *args], env=environment, capture_output=True, text=True, timeout=120
    )


def check_deploy(tmp_path, **env: str) -> subprocess.CompletedProcess:
    return run_python(
        tmp_path, ["-m", "django", "check", "--deploy", "--fail-level", "WARNING"], **env
    )


def test_https_with_a_real_secret_key_passes_check_deploy_clean(tmp_path):
    result = check_deploy(
        tmp_path, KARTOTEKA_HTTPS="true", KARTOTEKA_SECRET_KEY=secrets.token_urlsafe(50)
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_without_https_check_deploy_warns_about_cookies_hsts_and_redirect(tmp_path):
    result = check_deploy(tmp_path, KARTOTEKA_SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


def test_bad_https_value_fails_loudly(tmp_path):
    result = check_deploy(tmp_path, KARTOTEKA_HTTPS="maybe")
    assert result.returncode != 0
    assert "KARTOTEKA_HTTPS must be true or false" in result.stderr


SHOW_REQUESTS = """
import django, json
django.setup()
from django.test import Client
plain = Client(SERVER_NAME="localhost").get("/login/")
proxied = Client(SERVER_NAME="localhost", HTTP_X_FORWARDED_PROTO="https").get("/login/")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "hsts": proxied.get("Strict-Transport-Security", ""),
    "cookies": {name: bool(c["secure"]) for name, c in proxied.cookies.items()},
}))
"""


def test_https_redirects_plain_http_and_sends_hsts_and_secure_cookies(tmp_path):
    result = run_python(
        tmp_path,
        ["-c", SHOW_REQUESTS],
        KARTOTEKA_HTTPS="true",
        KARTOTEKA_SECRET_KEY=secrets.token_urlsafe(50),
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://localhost/login/"]
    assert "max-age=31536000" in seen["hsts"]
    assert seen["cookies"] == {"csrftoken": True}


SHOW_HOSTS = (
    "import django; django.setup(); from django.conf import settings as s; print(s.ALLOWED_HOSTS)"
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "['localhost', '127.0.0.1', '[::1]']"),
        ("*", "['*']"),
        ("crm.example.com, localhost", "['crm.example.com', 'localhost']"),
    ],
)
def test_allowed_hosts_are_local_unless_set(tmp_path, value, expected):
    env = {"KARTOTEKA_ALLOWED_HOSTS": value} if value is not None else {}
    result = run_python(tmp_path, ["-c", SHOW_HOSTS], **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_lock_minutes_below_one_fail_loudly(tmp_path):
    result = check_deploy(tmp_path, KARTOTEKA_SIGN_IN_LOCK_MINUTES="0")
    assert result.returncode != 0
    assert "KARTOTEKA_SIGN_IN_LOCK_MINUTES must be at least 1" in result.stderr

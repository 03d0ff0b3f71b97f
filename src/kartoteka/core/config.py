"""The one place that reads the environment; a bad value fails loudly at start-up."""

import os
from pathlib import Path


class ConfigError(RuntimeError):
    pass


def env_str(name: str, default: str) -> str:
    """The variable's value; unset or empty means the default."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(sorted(choices))}, got {value!r}")
    return value


def data_dir() -> Path:
    return Path(env_str("KARTOTEKA_DATA_DIR", "./kartoteka-data")).resolve()


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; unset or empty means the default."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


# Providers reached through django-anymail: `<provider>://API_KEY@` (Mailgun also takes its
# sending domain as the host, Mailjet `KEY:SECRET@`). The value is the setting the key goes in.
EMAIL_PROVIDERS = {
    "brevo": "BREVO_API_KEY",
    "mailersend": "MAILERSEND_API_TOKEN",
    "mailgun": "MAILGUN_API_KEY",
    "mailjet": "MAILJET_API_KEY",
    "mandrill": "MANDRILL_API_KEY",
    "postal": "POSTAL_API_KEY",
    "postmark": "POSTMARK_SERVER_TOKEN",
    "resend": "RESEND_API_KEY",
    "sendgrid": "SENDGRID_API_KEY",
    "sparkpost": "SPARKPOST_API_KEY",
}


def email_settings(name: str, default: str) -> dict:
    """Django's e-mail settings from a URL: smtp://user:pass@host:587 (STARTTLS on 587, or with
    ?starttls=true), smtps://user:pass@host:465 (TLS from the start), console://, file:///dir,
    or a provider through django-anymail (see EMAIL_PROVIDERS)."""
    from urllib.parse import parse_qs, unquote, urlsplit

    raw = env_str(name, default)
    try:
        url = urlsplit(raw)
        port = url.port
    except ValueError as exc:
        raise ConfigError(f"{name} is not a valid URL ({exc}): {raw!r}") from None
    scheme = url.scheme.lower()
    query = {key: values[-1] for key, values in parse_qs(url.query).items()}
    user, password = unquote(url.username or ""), unquote(url.password or "")
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "file":
        folder = unquote(f"{url.netloc}{url.path}")
        if not folder:
            raise ConfigError(f"{name} needs a folder: file:///path/to/folder")
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(Path(folder).resolve()),
        }
    if scheme in ("smtp", "smtps"):
        if not url.hostname:
            raise ConfigError(f"{name} needs a host: {scheme}://user:password@host:port")
        secure = scheme == "smtps"
        starttls = query.get("starttls", "true" if port == 587 else "false").lower()
        if starttls not in ("true", "false"):
            raise ConfigError(f"{name}: starttls must be true or false, got {starttls!r}")
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": url.hostname,
            "EMAIL_PORT": port or (465 if secure else 25),
            "EMAIL_HOST_USER": user,
            "EMAIL_HOST_PASSWORD": password,
            "EMAIL_USE_SSL": secure,
            "EMAIL_USE_TLS": not secure and starttls == "true",
            "EMAIL_TIMEOUT": 30,
        }
    if scheme in EMAIL_PROVIDERS:
        if not user:
            raise ConfigError(f"{name} needs the provider's key: {scheme}://API_KEY@")
        anymail = {EMAIL_PROVIDERS[scheme]: user}
        if scheme == "mailjet":
            anymail["MAILJET_SECRET_KEY"] = password
        if scheme == "mailgun" and url.hostname:
            anymail["MAILGUN_SENDER_DOMAIN"] = url.hostname
        return {"EMAIL_BACKEND": f"anymail.backends.{scheme}.EmailBackend", "ANYMAIL": anymail}
    choices = ", ".join(["console", "file", "smtp", "smtps", *EMAIL_PROVIDERS])
    raise ConfigError(f"{name} must start with one of {choices}:// — got {raw!r}")

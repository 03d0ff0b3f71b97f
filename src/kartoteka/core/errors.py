"""Typed errors raised by services; the API and the web layer each map them in one place."""


class KartotekaError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(KartotekaError):
    """Bad input. Carries one message per field so forms and API clients can point at it."""

    def __init__(self, field: str | None = None, message: str = "", *, errors=None) -> None:
        self.errors: dict[str, list[str]] = {}
        if errors:
            for name, messages in errors.items():
                if isinstance(messages, str):
                    messages = [messages]
                self.errors.setdefault(name, []).extend(messages)
        if field is not None or message:
            self.errors.setdefault(field or "__all__", []).append(message)
        summary = "; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items())
        super().__init__(summary or "Invalid input.")

    def merged(self, other: "InvalidInput", prefix: str = "") -> "InvalidInput":
        for name, messages in other.errors.items():
            key = f"{prefix}{name}" if prefix else name
            self.errors.setdefault(key, []).extend(messages)
        return self


class ErrorCollector:
    """Collects field errors so a whole form is validated before anything is written."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def capture(self, error: InvalidInput, prefix: str = "") -> None:
        for name, messages in error.errors.items():
            key = f"{prefix}{name}" if prefix else name
            self.errors.setdefault(key, []).extend(messages)

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(errors=self.errors)


class Conflict(KartotekaError):
    """The write clashes with existing data (an e-mail already taken, a stale version)."""

    def __init__(self, message: str, *, field: str | None = None, existing_id: int | None = None):
        super().__init__(message)
        self.field = field
        self.existing_id = existing_id


class NotFound(KartotekaError):
    """The object does not exist, or the actor may not know that it does."""


class Forbidden(KartotekaError):
    """The actor may see the object but not do this to it."""


class CommandError(Exception):
    """A user mistake on the command line: printed as one line, exit code 2."""

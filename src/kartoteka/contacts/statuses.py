"""The lead statuses as the rest of contacts reads them: in order, by key, with their names in
the reader's language, which keys mean client, lost and discarded, and a status found by its
key or by its name in any language (imports).

`load()` is one query (a few rows), kept for a few seconds in the process and dropped at once
when this process changes a status; a bulk write calls it once per batch, never per row.
"""

import threading
import time
import unicodedata
from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language
from django.utils.translation import override as language

from kartoteka.contacts.models import LeadStatus, Status, StatusMeaning

# The shipped statuses in their order: key, meaning.
SHIPPED = (
    (Status.NEW, StatusMeaning.OPEN),
    (Status.LEAD, StatusMeaning.OPEN),
    (Status.QUALIFIED, StatusMeaning.OPEN),
    (Status.OPPORTUNITY, StatusMeaning.OPEN),
    (Status.WON, StatusMeaning.WON),
    (Status.LOST, StatusMeaning.LOST),
    (Status.DISCARDED, StatusMeaning.DISCARDED),
)
LANGUAGES = ("en", "es", "pl")
# How long a process trusts the statuses it read (another process may have changed them).
FRESH_FOR = 5.0


def shipped_names(key: str) -> dict[str, str]:
    """A shipped status's name in every language Kartoteka speaks."""
    label = Status(key).label
    names = {}
    for code in LANGUAGES:
        with language(code):
            names[code] = str(label)
    return names


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text).strip().casefold())
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


@dataclass(frozen=True)
class StatusInfo:
    key: str
    name: str  # the admin's name, "" for a shipped one nobody renamed
    names: dict
    meaning: str
    position: int
    pk: int = 0

    @property
    def label(self) -> str:
        """The name in the reader's language."""
        if self.name:
            return self.name
        code = (get_language() or "en").split("-")[0]
        return self.names.get(code) or self.names.get("en") or self.key

    @property
    def is_won(self) -> bool:
        return self.meaning == StatusMeaning.WON


@dataclass
class Statuses:
    ordered: list[StatusInfo]
    by_key: dict[str, StatusInfo] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_key = {s.key: s for s in self.ordered}
        # Every name in every language, and the key, folded: what an import may write.
        for status in self.ordered:
            for text in (*status.names.values(), status.name, status.key):
                if text:
                    self._names.setdefault(_fold(text), status.key)

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.ordered]

    @property
    def default(self) -> str:
        """A new contact's status when none is given: the first in the order."""
        return self.ordered[0].key if self.ordered else Status.NEW

    def won_keys(self) -> list[str]:
        return [s.key for s in self.ordered if s.is_won]

    def clients(self) -> Q:
        """Contacts in a status that means client (one key: an equality, for the index)."""
        won = self.won_keys()
        return Q(status=won[0]) if len(won) == 1 else Q(status__in=won)

    def is_won(self, key: str) -> bool:
        status = self.by_key.get(key)
        return bool(status and status.is_won)

    def label(self, key: str) -> str:
        status = self.by_key.get(key)
        return status.label if status else key

    def choices(self) -> list[tuple[str, str]]:
        return [(s.key, s.label) for s in self.ordered]

    def resolve(self, text: str) -> str | None:
        """The key of the status named `text` (its key, or a name in any language)."""
        if text in self.by_key:
            return text
        return self._names.get(_fold(text))


_lock = threading.Lock()
_cached: tuple[float, Statuses] | None = None


def forget() -> None:
    """Drop this process's copy (a status changed, or a test's database went away)."""
    global _cached
    _cached = None


def pin(statuses: Statuses) -> None:
    """Use these statuses in this process from now on without reading them again: an import's
    helper process, which validates rows and has no database of its own."""
    global _cached
    with _lock:
        _cached = (-1.0, statuses)  # a negative time: never stale


def load() -> Statuses:
    """The statuses, in order. An empty table (a fresh or flushed database) gets the shipped
    seven back, so a contact always has statuses to be in."""
    global _cached
    cached = _cached
    if cached is not None and (
        cached[0] == -float("inf") or time.monotonic() - cached[0] < FRESH_FOR
    ):
        return cached[1]
    rows = list(LeadStatus.objects.all())
    if not rows:
        ensure_shipped()
        rows = list(LeadStatus.objects.all())
    statuses = Statuses(
        [StatusInfo(r.key, r.name, dict(r.names or {}), r.meaning, r.position, r.pk) for r in rows]
    )
    with _lock:
        _cached = (time.monotonic(), statuses)
    return statuses


def ensure_shipped() -> None:
    """Create the shipped statuses that are missing (by key)."""
    have = set(LeadStatus.objects.values_list("key", flat=True))
    LeadStatus.objects.bulk_create(
        [
            LeadStatus(key=key, names=shipped_names(key), meaning=meaning, position=position)
            for position, (key, meaning) in enumerate(SHIPPED, start=1)
            if key not in have
        ],
        ignore_conflicts=True,
    )


def _changed(**_kwargs) -> None:
    forget()


post_save.connect(_changed, sender=LeadStatus, dispatch_uid="lead-status-saved")
post_delete.connect(_changed, sender=LeadStatus, dispatch_uid="lead-status-deleted")

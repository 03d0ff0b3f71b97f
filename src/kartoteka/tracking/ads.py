"""Google Ads click reports: a CSV of clicks (GCLID, campaign, ad group, keyword, network,
device, ad ID) fills the Ads fields of every contact whose click id matches, now and on arrival."""

import csv
import io
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from kartoteka.contacts import services as contacts
from kartoteka.core.errors import Forbidden, InvalidInput
from kartoteka.core.scope import SYSTEM, is_admin, visible_contacts
from kartoteka.tracking.models import AdsClick

MAX_BYTES = 50 * 1024 * 1024
# Column headers as Google Ads names them in English, Spanish and Polish reports.
_HEADERS = {
    "gclid": (
        "gclid",
        "google click id",
        "id de clic de google",
        "identyfikator kliknięcia google",
    ),
    "campaign": ("campaign", "campaña", "kampania"),
    "ad_group": ("ad group", "grupo de anuncios", "grupa reklam"),
    "keyword": ("keyword", "keyword / placement", "palabra clave", "słowo kluczowe"),
    "network": ("network", "network (with search partners)", "red", "sieć"),
    "device": ("device", "dispositivo", "urządzenie"),
    "ad_id": ("ad id", "creative id", "id del anuncio", "identyfikator reklamy"),
}
# Contact fields filled from a click.
FIELDS = {
    "campaign": "ads_campaign",
    "ad_group": "ads_group",
    "keyword": "ads_keyword",
    "network": "ads_network",
    "device": "ads_device",
    "ad_id": "ads_id",
}


@dataclass(frozen=True)
class ClickReport:
    clicks: int
    matched: int
    unmatched: int


def _text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("windows-1252", errors="replace")


def _rows(data: bytes) -> list[dict[str, str]]:
    """The report's clicks by our column names. Reports open with a title and a date range
    before the header row, which is the first row naming the click id."""
    text = _text(data)
    dialect = "excel-tab" if text.count("\t") > text.count(",") else "excel"
    # newline="": the reader decides where lines end (a lone carriage return too), not io.
    lines = list(csv.reader(io.StringIO(text, newline=""), dialect))
    number = next(
        (
            n
            for n, cells in enumerate(lines)
            if any(cell.strip().casefold() in _HEADERS["gclid"] for cell in cells)
        ),
        None,
    )
    if number is None:
        raise InvalidInput("file", _("No column of Google click ids (GCLID) in this file."))
    names = [cell.strip().casefold() for cell in lines[number]]
    columns = {
        ours: names.index(header)
        for ours, headers in _HEADERS.items()
        for header in headers
        if header in names
    }
    clicks = []
    for cells in lines[number + 1 :]:
        gclid = cells[columns["gclid"]].strip() if len(cells) > columns["gclid"] else ""
        if not gclid or gclid.startswith(("Total", "Totales", "Łącznie")) or " " in gclid:
            continue
        clicks.append(
            {
                ours: cells[index].strip()[:255] if index < len(cells) else ""
                for ours, index in columns.items()
            }
        )
    return clicks


def import_clicks(actor, *, data: bytes) -> ClickReport:
    """Keep the report's clicks and fill the Ads fields of the contacts they match (admins)."""
    if actor is not SYSTEM and not is_admin(actor):
        raise Forbidden(_("Only administrators can upload click reports."))
    if not data:
        raise InvalidInput("file", _("The file is empty."))
    if len(data) > MAX_BYTES:
        raise InvalidInput("file", _("A click report can be at most 50 MB."))
    clicks = {row["gclid"]: row for row in _rows(data)}
    with transaction.atomic():
        for start in range(0, len(clicks), 500):
            chunk = list(clicks.values())[start : start + 500]
            AdsClick.objects.bulk_create(
                [AdsClick(**row) for row in chunk],
                update_conflicts=True,
                unique_fields=["gclid"],
                update_fields=[field for field in FIELDS],
            )
        matched = fill_contacts(gclids=list(clicks))
    global _reports_seen
    _reports_seen = (time.monotonic(), True)
    return ClickReport(clicks=len(clicks), matched=matched, unmatched=len(clicks) - matched)


def fill_contacts(*, gclids: list[str] | None = None, contact_ids: list[int] | None = None) -> int:
    """Fill the Ads fields from the kept clicks for contacts with those click ids (or those
    contacts); fields a contact already has are left alone. Returns the clicks matched."""
    found = visible_contacts(SYSTEM).exclude(gclid="")
    if gclids is not None:
        found = found.filter(gclid__in=gclids)
    if contact_ids is not None:
        found = found.filter(pk__in=contact_ids)
    found = list(found)
    clicks = {c.gclid: c for c in AdsClick.objects.filter(gclid__in={c.gclid for c in found})}
    for contact in found:
        click = clicks.get(contact.gclid)
        if click is None:
            continue
        missing = {
            field: getattr(click, ours)
            for ours, field in FIELDS.items()
            if getattr(click, ours) and not getattr(contact, field)
        }
        if missing:
            contacts.update_contact(
                SYSTEM, contact, data=missing, actor_label=_("Google Ads click report")
            )
    return len({c.gclid for c in found if c.gclid in clicks})


# Whether any click report was uploaded, remembered for a minute: most workspaces never upload
# one, and a bulk import announces every new contact.
_reports_seen: tuple[float, bool] = (0.0, False)


def _any_clicks() -> bool:
    global _reports_seen
    checked_at, found = _reports_seen
    if found or time.monotonic() - checked_at > 60:
        found = AdsClick.objects.exists()
        _reports_seen = (time.monotonic(), found)
    return found


def fill_on_arrival(*, contact_id: int, **_payload) -> None:
    """A new contact (a form, an import, the API) bringing a click id already reported."""
    if _any_clicks():
        fill_contacts(contact_ids=[contact_id])

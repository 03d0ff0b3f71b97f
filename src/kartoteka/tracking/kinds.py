"""The timeline kinds of a website visit and a public file's download, with their typed
constructors; registered from
TrackingConfig.ready()."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kartoteka.activity.timeline import Context, Description, Entry, TimelineKind


def _visited(payload: dict, _context: Context) -> Description:
    pages = payload.get("pages")
    site = str(payload.get("site") or "")
    url = str(payload.get("url") or "")
    if not isinstance(pages, int) or isinstance(pages, bool):
        return Description(text=f"{site}: {url}".strip(": "))
    return Description(
        text=ngettext(
            "%(site)s: %(url)s (%(count)s page)", "%(site)s: %(url)s (%(count)s pages)", pages
        )
        % {"site": site, "url": url, "count": pages}
    )


VISITED = TimelineKind("visit", _("Website visit"), icon="◎", describe=_visited)


def _downloaded(payload: dict, _context: Context) -> Description:
    return Description(text=str(payload.get("file") or ""))


DOWNLOADED = TimelineKind(
    "public_file_downloaded", _("File downloaded from the website"), icon="⤓", describe=_downloaded
)

KINDS = [VISITED, DOWNLOADED]


def visited(contact: Any, *, site: str, url: str, pages: int, at: Any) -> Entry:
    return VISITED.entry(
        contact, payload={"site": site, "url": url, "pages": pages}, occurred_at=at
    )


def downloaded(contact: Any, *, file: str, at: Any) -> Entry:
    return DOWNLOADED.entry(contact, payload={"file": file}, occurred_at=at)

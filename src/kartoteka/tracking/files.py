"""Writes of the public file library: documents uploaded for anyone to download through a tracked
link, and the downloads a known browser makes, which land on that person's card."""

import secrets
import uuid
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.activity import services as activity
from kartoteka.activity.filecheck import safe_file_name
from kartoteka.core.errors import Forbidden, InvalidInput
from kartoteka.core.scope import SYSTEM, is_admin, user_or_none
from kartoteka.tracking import kinds
from kartoteka.tracking.models import FileDownload, Hit, PublicFile, Visitor
from kartoteka.tracking.services import VISITOR_ID

MAX_TITLE = 200


def _require_staff(actor) -> None:
    if actor is not SYSTEM and not getattr(actor, "is_authenticated", False):
        raise Forbidden(_("Sign in to manage the files to download."))


def _clean_title(title: Any, fallback: str) -> str:
    if title is None or (isinstance(title, str) and not title.strip()):
        return fallback[:MAX_TITLE]
    if not isinstance(title, str):
        raise InvalidInput("title", _("The title is text."))
    if len(title.strip()) > MAX_TITLE:
        raise InvalidInput("title", _("The title can be at most 200 characters long."))
    return title.strip()


def upload_public_file(actor, *, upload: File, title: Any = None) -> PublicFile:
    """Store a document for the public library. The bytes go to storage first (where contacts'
    files go); the row follows, and the bytes are removed again if writing it fails."""
    _require_staff(actor)
    name = safe_file_name(upload.name or "")
    clean_title = _clean_title(title, name)
    sha256, content_type = activity.check_upload(upload, name)
    stored = default_storage.save(f"public/{uuid.uuid4().hex}", upload)
    try:
        with transaction.atomic():
            return PublicFile.objects.create(
                key=secrets.token_urlsafe(12),
                name=name,
                title=clean_title,
                file=stored,
                size=upload.size,
                content_type=content_type,
                sha256=sha256,
                uploaded_by=user_or_none(actor),
                uploaded_at=timezone.now(),
            )
    except BaseException:
        default_storage.delete(stored)
        raise


def can_delete_public_file(actor, public_file: PublicFile) -> bool:
    return actor is SYSTEM or is_admin(actor) or public_file.uploaded_by_id == actor.pk


@transaction.atomic
def delete_public_file(actor, public_file: PublicFile) -> None:
    """Take a file out of the library with its downloads (its link stops working); only its
    uploader or an admin may."""
    _require_staff(actor)
    if not can_delete_public_file(actor, public_file):
        raise Forbidden(_("Only the person who uploaded the file or an admin may delete it."))
    stored = public_file.file.name
    public_file.delete()
    transaction.on_commit(lambda: default_storage.delete(stored))


def record_download(public_file: PublicFile, *, visitor_key: str, do_not_track: bool) -> None:
    """Count a download, and keep it for the browser's visitor id when the tracker knows that
    browser: on the contact's card at once if the visitor is known (and monitored), else until
    the visitor becomes known. Nothing is kept for a browser sending Do Not Track."""
    with transaction.atomic():
        PublicFile.objects.filter(pk=public_file.pk).update(downloads=F("downloads") + 1)
        if do_not_track or not VISITOR_ID.match(visitor_key or ""):
            return
        visitor = Visitor.objects.filter(key=visitor_key).select_related("contact").first()
        if visitor is None:
            # A browser whose first hits still wait in the queue; one never seen stays unknown.
            if not Hit.objects.filter(visitor=visitor_key).exists():
                return
            visitor, _created = Visitor.objects.get_or_create(key=visitor_key)
        contact = visitor.contact
        if contact is not None and not contact.is_monitored:
            return
        now = timezone.now()
        FileDownload.objects.create(
            file=public_file, visitor=visitor, contact=contact, downloaded_at=now
        )
        if contact is not None:
            activity.record_entry(kinds.downloaded(contact, file=public_file.title, at=now))

"""Pages and fragments: the Segments page, saving filters and segments, the live count."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kartoteka.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kartoteka.segments import queries, services
from kartoteka.segments.listing import contacts_url, describe, list_filter


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return fallback


@login_required
def count(request: HttpRequest) -> HttpResponse:
    """The live count of the builder: how many visible contacts match ?f= / ?q=."""
    found = list_filter(request)
    if found.document is None:
        return render(request, "segments/_count.html", {"error": found.error})
    total = queries.count_contacts(request.user, found.document)
    return render(request, "segments/_count.html", {"total": total})


@login_required
@require_POST
def save_filter(request: HttpRequest) -> HttpResponse:
    """Save the list's current filter under a name, privately or shared with the team."""
    return _save(request, services.create_saved_filter, _("Filter saved."))


@login_required
@require_POST
def save_segment(request: HttpRequest) -> HttpResponse:
    return _save(request, services.create_segment, _("Segment saved."))


def _save(request: HttpRequest, create, done: str) -> HttpResponse:
    fallback = reverse("web:contact-list")
    try:
        document = json.loads(request.POST.get("f", "") or "{}")
        create(
            request.user,
            name=request.POST.get("name", ""),
            document=document,
            shared=request.POST.get("shared") == "on",
        )
    except ValueError:
        messages.error(request, _("The filter is not valid JSON."))
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(_back(request, fallback))


@login_required
@require_POST
def delete_saved_filter(request: HttpRequest, saved_filter_id: int) -> HttpResponse:
    try:
        services.delete_saved_filter(
            request.user, queries.get_saved_filter(request.user, saved_filter_id)
        )
        messages.success(request, _("Saved filter deleted."))
    except NotFound:
        messages.error(request, _("No such saved filter."))
    except Forbidden:
        messages.error(request, _("Only its owner may delete this saved filter."))
    return redirect(_back(request, reverse("web:contact-list")))


@login_required
def segment_list(request: HttpRequest) -> HttpResponse:
    """Named filters with their current count, when it was counted, and a link to the
    contacts. The kept count is the owner's view; others see a count of their own scope."""
    rows = []
    for segment in queries.segments(request.user):
        total, counted_at = queries.segment_count(request.user, segment)
        rows.append(
            {
                "segment": segment,
                "count": total,
                "counted_at": counted_at,
                "url": contacts_url(segment.document),
                "can_change": services.can_change(request.user, segment),
                "summary": describe(segment.document) if segment.document else _("Everyone"),
            }
        )
    context = {"rows": rows, "recount_minutes": settings.KARTOTEKA_SEGMENT_RECOUNT_MINUTES}
    return render(request, "segments/segments.html", context)


@login_required
@require_POST
def recount_segment(request: HttpRequest, segment_id: int) -> HttpResponse:
    try:
        segment = queries.get_segment(request.user, segment_id)
    except NotFound:
        messages.error(request, _("No such segment."))
    else:
        services.recount_segment(segment.pk)
        messages.success(request, _("Counted again."))
    return redirect("segments:list")


@login_required
@require_POST
def delete_segment(request: HttpRequest, segment_id: int) -> HttpResponse:
    try:
        services.delete_segment(request.user, queries.get_segment(request.user, segment_id))
        messages.success(request, _("Segment deleted."))
    except NotFound:
        messages.error(request, _("No such segment."))
    except Forbidden:
        messages.error(request, _("Only its owner (or an admin, once shared) may delete it."))
    return redirect("segments:list")

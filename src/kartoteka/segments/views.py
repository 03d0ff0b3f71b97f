"""Pages and fragments: the Segments page, saving filters and segments, the live count."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kartoteka.core.errors import InvalidInput
from kartoteka.segments import queries, services
from kartoteka.segments.listing import Describer, contacts_url, list_filter
from kartoteka.web.forms import ServiceForm, text, ticked


class ButtonForm(ServiceForm):
    """A button on the list or the Segments page: where to go back to once it is done."""

    next = text()

    def back(self, request: HttpRequest, fallback: str) -> str:
        target = self.cleaned_data.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
            return target
        return fallback

    def finish(self, request: HttpRequest, done: str, fallback: str) -> HttpResponse:
        """Back where the button was, saying what happened or why nothing did."""
        if self.ok:
            messages.success(request, done)
        else:
            self.flash(request)
        return redirect(self.back(request, fallback))


class SaveForm(ButtonForm):
    name = text()
    f = forms.JSONField(
        required=False, error_messages={"invalid": gettext_lazy("The filter is not valid JSON.")}
    )
    shared = ticked()


@login_required
def count(request: HttpRequest) -> HttpResponse:
    """The live count of the builder: how many visible contacts match ?f= / ?q=."""
    found = list_filter(request)
    if found.document is None:
        return render(request, "segments/_count.html", {"error": found.error})
    total = queries.count_contacts(request.user, found.document)
    return render(request, "segments/_count.html", {"total": total})


@login_required
def options(request: HttpRequest) -> HttpResponse:
    """The values a picker of the builder offers for ?field=, with their counts in the user's
    contacts: those starting with ?q=, or exactly ?value= (repeated) for a filter opened."""
    limit = request.GET.get("limit", "50")
    try:
        if not limit.isdigit():
            raise InvalidInput("limit", _("limit must be a whole number."))
        found = queries.field_options(
            request.user,
            request.GET.get("field", ""),
            prefix=request.GET.get("q", ""),
            values=request.GET.getlist("value"),
            limit=int(limit),
        )
    except InvalidInput as exc:
        message = " ".join(m for ms in exc.errors.values() for m in ms)
        return JsonResponse({"error": message}, status=422)
    return JsonResponse(
        {"options": [{"value": o.value, "label": o.label, "count": o.count} for o in found]}
    )


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
    form = SaveForm(request.POST)
    form.submit(
        lambda data: create(
            request.user, name=data["name"], document=data["f"] or {}, shared=data["shared"]
        )
    )
    return form.finish(request, done, reverse("web:contact-list"))


@login_required
@require_POST
def delete_saved_filter(request: HttpRequest, saved_filter_id: int) -> HttpResponse:
    form = ButtonForm(request.POST)
    # A filter already deleted (a second click) is said on the list, not as a 404 page.
    form.submit(
        lambda _data: services.delete_saved_filter(
            request.user, queries.get_saved_filter(request.user, saved_filter_id)
        ),
        not_found="__all__",
    )
    return form.finish(request, _("Saved filter deleted."), reverse("web:contact-list"))


@login_required
def segment_list(request: HttpRequest) -> HttpResponse:
    """Named filters with their current count, when it was counted, and a link to the
    contacts. The kept count is the owner's view; others see a count of their own scope."""
    rows = []
    describer = Describer()
    for segment in queries.segments(request.user):
        total, counted_at = queries.segment_count(request.user, segment)
        rows.append(
            {
                "segment": segment,
                "count": total,
                "counted_at": counted_at,
                "url": contacts_url(segment.document),
                "can_change": services.can_change(request.user, segment),
                "summary": describer.html(segment.document) if segment.document else _("Everyone"),
            }
        )
    context = {"rows": rows, "recount_minutes": settings.KARTOTEKA_SEGMENT_RECOUNT_MINUTES}
    return render(request, "segments/segments.html", context)


@login_required
@require_POST
def recount_segment(request: HttpRequest, segment_id: int) -> HttpResponse:
    form = ButtonForm(request.POST)
    form.submit(
        lambda _data: services.recount_segment(queries.get_segment(request.user, segment_id).pk),
        not_found="__all__",
    )
    return form.finish(request, _("Counted again."), reverse("segments:list"))


@login_required
@require_POST
def delete_segment(request: HttpRequest, segment_id: int) -> HttpResponse:
    form = ButtonForm(request.POST)
    form.submit(
        lambda _data: services.delete_segment(
            request.user, queries.get_segment(request.user, segment_id)
        ),
        not_found="__all__",
    )
    return form.finish(request, _("Segment deleted."), reverse("segments:list"))

"""Settings → Lead statuses: rename, add, reorder (drag, or the up and down buttons), mark what
each means, delete (moving its contacts), and the deal-won rule."""

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kartoteka.accounts.models import User
from kartoteka.contacts import status_services
from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.models import Contact, LeadStatus, StatusMeaning, StatusRules
from kartoteka.web.forms import ServiceForm, text, ticked
from kartoteka.web.pages import admin_page, settings_page


class StatusesForm(ServiceForm):
    """One change: "create", "update", "up", "down", "reorder" (keys, comma-separated),
    "delete" (move_to), "rules"."""

    action = text()
    key = text()
    name = text()
    meaning = text()
    keys = text()
    move_to = text()
    deal_won_makes_client = ticked()


@admin_page
def statuses(request: HttpRequest) -> HttpResponse:
    form = StatusesForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        done = form.submit(lambda data: _change(request.user, data))
        if form.ok:
            if done:
                messages.success(request, done)
            url = reverse("web:settings-statuses")
            action = form.cleaned_data["action"]
            if action in ("up", "down"):
                # Back on the button just pressed, so the keyboard can press it again.
                key = form.cleaned_data["key"]
                # No #fragment: a page opened at one skips autofocus.
                url += f"?{urlencode({'focus': f'{action}-{key}'})}"
            return redirect(url)
    known = lead_statuses.load()
    counts = dict(
        Contact.objects.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    rows = [
        {
            "status": status,
            "label": status.label,
            "count": counts.get(status.key, 0),
            "renamed": bool(status.name),
            "shipped": bool(status.names),
        }
        for status in known.ordered
    ]
    return settings_page(
        request,
        "contacts/settings/statuses.html",
        "statuses",
        {
            "rows": rows,
            "meanings": StatusMeaning.choices,
            "rules": StatusRules.load(),
            "focus": request.GET.get("focus", ""),
        },
        form,
    )


def _change(actor: User, data: dict) -> str:
    action = data["action"]
    if action == "create":
        status = status_services.create_status(actor, name=data["name"], meaning=data["meaning"])
        return _("The status %(name)s was added.") % {"name": status.name}
    if action == "reorder":
        status_services.reorder_statuses(actor, [k for k in data["keys"].split(",") if k])
        return _("The new order was saved.")
    if action == "rules":
        status_services.set_rules(actor, deal_won_makes_client=data["deal_won_makes_client"])
        return _("The rule was saved.")
    status = LeadStatus.objects.filter(key=data["key"]).first()
    if status is None:
        return ""  # gone meanwhile
    if action == "update":
        status_services.update_status(
            actor, status, name=data["name"], meaning=data["meaning"] or None
        )
        return _("The status was saved.")
    if action in ("up", "down"):
        status_services.move_status(actor, status, -1 if action == "up" else 1)
        return ""
    if action == "delete":
        label = lead_statuses.load().label(status.key)
        moved = status_services.delete_status(actor, status, move_to=data["move_to"] or None)
        if not moved:
            return _("The status %(name)s was deleted.") % {"name": label}
        return ngettext(
            "The status %(name)s was deleted; %(n)s contact moved.",
            "The status %(name)s was deleted; %(n)s contacts moved.",
            moved,
        ) % {"name": label, "n": moved}
    return ""

"""Pages: duplicate groups of the last scan and "Scan now", side-by-side comparison and merge,
"merge with…", the merges onto a contact with their undo, and the matching rules for admins."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext
from django.views.decorators.http import require_GET, require_POST

from kartoteka.contacts.form_fields import property_display
from kartoteka.contacts.queries import all_property_definitions, get_contact, search_contacts
from kartoteka.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kartoteka.core.scope import is_admin
from kartoteka.duplicates import queries, services
from kartoteka.duplicates.matching import EXACT, FIELDS, FUZZY, FUZZY_FIELDS
from kartoteka.duplicates.models import Combine
from kartoteka.web.registry import card_url

GROUPS_PER_PAGE = 50
MAX_COMPARED = 10
FIELD_LABELS = {
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "email": gettext_lazy("Primary e-mail"),
    "phone": gettext_lazy("Primary phone"),
    "company": gettext_lazy("Company"),
    "job_title": gettext_lazy("Job title"),
    "street": gettext_lazy("Street"),
    "city": gettext_lazy("City"),
    "postal_code": gettext_lazy("Postal code"),
    "region": gettext_lazy("Region"),
    "country": gettext_lazy("Country"),
    "fax": gettext_lazy("Fax"),
    "birthday": gettext_lazy("Birthday"),
    "status": gettext_lazy("Status"),
    "source": gettext_lazy("Source"),
    "score": gettext_lazy("Score"),
}


RULE_FIELD_LABELS = {
    "name": gettext_lazy("Name"),
    "phone": gettext_lazy("Phone"),
    "email_domain": gettext_lazy("E-mail domain"),
    "email_user": gettext_lazy("E-mail name (before @)"),
    "company": gettext_lazy("Company"),
    "city": gettext_lazy("City"),
    "postal_code": gettext_lazy("Postal code"),
}
# The names migration 0002 gives the default matching rules: stored in English, shown through
# the `translated` filter, so they must be in the catalogues.
DEFAULT_RULE_NAMES = (
    gettext_noop("Same phone number"),
    gettext_noop("Same name at the same company"),
    gettext_noop("Similar name, same e-mail domain"),
    gettext_noop("Similar name, same city"),
)
MATCH_LABELS = {EXACT: gettext_lazy("exact"), FUZZY: gettext_lazy("similar")}


def _ids(raw: str) -> list[int]:
    ids = []
    for part in raw.replace(" ", "").split(","):
        if part.isdigit() and int(part) not in ids:
            ids.append(int(part))
    return ids


def _scan_context(request: HttpRequest) -> dict:
    scan = queries.last_scan()
    running = queries.running_scan()
    return {
        "scan": scan,
        "running": running,
        "percent": running.contacts_read * 100 // running.contacts_total
        if running and running.contacts_total
        else 0,
        "can_scan": is_admin(request.user),
    }


@login_required
@require_GET
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """The groups the last scan stored, as this user may see them, a page at a time."""
    context = _scan_context(request)
    scan = context["scan"]
    groups = queries.stored_groups(request.user, scan)
    page = Paginator(groups, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    shown = queries.with_contact_ids(page.object_list)
    names = queries.contact_names(request.user, [i for g in shown for i in g.contact_ids])
    rows = [
        {
            "group": g,
            "people": [(i, names.get(i, f"#{i}")) for i in g.contact_ids],
            "ids": ",".join(str(i) for i in g.contact_ids),
        }
        for g in shown
    ]
    return render(
        request,
        "duplicates/list.html",
        {
            **context,
            "rows": rows,
            "page": page,
            "exact_total": groups.filter(exact=True, live__lte=services.BULK_MAX_GROUP).count()
            if scan
            else 0,
            "changed_since": queries.contacts_changed_since(request.user, scan),
        },
    )


@login_required
@require_POST
def start_scan(request: HttpRequest) -> HttpResponse:
    try:
        services.request_scan(request.user)
    except Forbidden as exc:
        messages.error(request, exc.message)
    return redirect("duplicates:list")


@login_required
@require_GET
def scan_progress(request: HttpRequest) -> HttpResponse:
    """The scan's progress fragment, polled by htmx while a scan runs."""
    context = _scan_context(request)
    response = render(request, "duplicates/list.html#scan", context)
    if context["running"] is None:
        # Finished: htmx reloads the page so the new groups show.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def merge_exact(request: HttpRequest) -> HttpResponse:
    try:
        merges = services.merge_exact_groups(request.user)
    except (InvalidInput, Conflict, NotFound) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext(
                "Merged %(count)s contact. Each merge can be undone for 30 days.",
                "Merged %(count)s contacts. Each merge can be undone for 30 days.",
                len(merges),
            )
            % {"count": len(merges)},
        )
    return redirect("duplicates:list")


def _compare_rows(contacts: list) -> list[dict]:
    rows = []
    for name, label in FIELD_LABELS.items():
        if name in ("status", "source"):
            # The label people read, not the stored code.
            values = [(c.pk, getattr(c, f"get_{name}_display")()) for c in contacts]
        else:
            values = [(c.pk, services.field_value(c, name)) for c in contacts]
        if all(v in ("", None) for _pk, v in values):
            continue
        rows.append(_row(name, label, values))
    keys = sorted({k for c in contacts for k in (c.properties or {})})
    definitions = {d.key: d for d in all_property_definitions() if d.key in keys}
    for key in keys:
        definition = definitions.get(key)
        # People read the detail's label and its value as the card shows it, not the stored
        # key and JSON (FIRST_PURCHASE, ['CRM'], True).
        values = [
            (
                c.pk,
                property_display(definition, (c.properties or {}).get(key))
                if definition
                else (c.properties or {}).get(key),
            )
            for c in contacts
        ]
        rows.append(_row(f"properties.{key}", definition.label if definition else key, values))
    return rows


def _row(name: str, label, values: list[tuple[int, object]]) -> dict:
    filled = [pk for pk, value in values if value not in ("", None)]
    return {
        "name": name,
        "label": label,
        "values": values,
        "differs": len({str(v) for _pk, v in values}) > 1,
        # Pre-select the first value that is not blank, so nothing is lost by default.
        "pick": filled[0] if filled else values[0][0],
    }


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    """Contacts side by side: pick the survivor and, per differing field, the value to keep."""
    source = request.POST if request.method == "POST" else request.GET
    ids = _ids(source.get("ids", ""))
    if len(ids) < 2 or len(ids) > MAX_COMPARED:
        messages.error(
            request,
            _("Pick between 2 and %(most)s contacts to compare.") % {"most": MAX_COMPARED},
        )
        return redirect("duplicates:list")
    contacts = queries.contacts_for_comparison(request.user, ids)
    errors: dict = {}
    if request.method == "POST":
        survivor = source.get("survivor", "")
        fields = {
            row_name[len("field:") :]: value
            for row_name, value in source.items()
            if row_name.startswith("field:") and value != survivor
        }
        try:
            merges = services.merge_contacts(
                request.user,
                survivor_id=survivor,
                merged_ids=[i for i in ids if str(i) != survivor],
                fields=fields,
            )
        except (InvalidInput, Conflict) as exc:
            errors = getattr(exc, "errors", None) or {"__all__": [exc.message]}
        else:
            messages.success(
                request,
                ngettext(
                    "Merged %(count)s contact into this one. An admin can undo it for 30 days.",
                    "Merged %(count)s contacts into this one. An admin can undo it for 30 days.",
                    len(merges),
                )
                % {"count": len(merges)},
            )
            return redirect(card_url(int(survivor)))
    return render(
        request,
        "duplicates/compare.html",
        {
            "contacts": contacts,
            "rows": _compare_rows(contacts),
            "ids": ",".join(str(i) for i in ids),
            "survivor": source.get("survivor") or str(contacts[0].pk),
            "errors": [m for messages_ in errors.values() for m in messages_],
        },
        status=422 if errors else 200,
    )


@login_required
@require_GET
def merge_with(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Card action "Merge with…": find the other contact, then compare the two."""
    contact = get_contact(request.user, contact_id)
    text = request.GET.get("q", "").strip()
    found = []
    if text:
        found = list(
            search_contacts(request.user, text).exclude(pk=contact.pk).order_by("-pk")[:20]
        )
    return render(
        request, "duplicates/merge_with.html", {"contact": contact, "q": text, "found": found}
    )


@login_required
@require_GET
def contact_merges(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Card tab: merges onto this contact that can still be undone, and past undo reports."""
    contact = get_contact(request.user, contact_id)
    return render(
        request,
        "duplicates/contact_merges.html",
        {
            "contact": contact,
            "merges": list(queries.undoable_merges(request.user, contact)),
            "can_undo": is_admin(request.user),
        },
    )


@login_required
@require_POST
def undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    merge = queries.get_merge(request.user, merge_id)
    try:
        merge = services.undo_merge(request.user, merge)
    except (Forbidden, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("duplicates:contact-merges", contact_id=merge.survivor_id)
    if merge.undo_report:
        messages.warning(
            request,
            _("The merge was undone. Kept on this contact because they changed since: %(items)s")
            % {"items": "; ".join(services.describe_problem(p) for p in merge.undo_report)},
        )
    else:
        messages.success(request, _("The merge was undone; the contact is back as it was."))
    return redirect(card_url(merge.merged_contact_id))


# --------------------------------------------------------------------------------------------
# Matching rules (admins)


def _rule_form_data(post) -> dict:
    conditions = []
    for index in range(3):
        field = post.get(f"field_{index}", "")
        if field:
            conditions.append({"field": field, "match": post.get(f"match_{index}", EXACT)})
    return {
        "name": post.get("name", ""),
        "conditions": conditions,
        "combine": post.get("combine", Combine.ALL),
        "min_similarity": post.get("min_similarity", "88"),
        "confidence": post.get("confidence", "80"),
        "is_active": True,
    }


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    if not is_admin(request.user):
        raise Http404("No such page.")
    errors: list[str] = []
    form: dict = {}
    if request.method == "POST":
        action = request.POST.get("action", "add")
        rule = queries.matching_rules().filter(pk=request.POST.get("rule") or 0).first()
        try:
            if action == "add":
                form = request.POST.dict()
                services.create_rule(request.user, data=_rule_form_data(request.POST))
                messages.success(request, _("Rule added."))
            elif rule is None:
                raise NotFound(_("No such rule."))
            elif action == "toggle":
                services.update_rule(request.user, rule, data={"is_active": not rule.is_active})
            elif action == "delete":
                services.delete_rule(request.user, rule)
                messages.success(request, _("Rule deleted."))
        except InvalidInput as exc:
            errors = [f"{k}: {m}" for k, ms in exc.errors.items() for m in ms]
        except NotFound as exc:
            errors = [exc.message]
        if not errors:
            return redirect("duplicates:rules")
    return render(
        request,
        "duplicates/rules.html",
        {
            "rules": [
                {
                    "rule": rule,
                    "conditions": [
                        (RULE_FIELD_LABELS.get(c["field"], c["field"]), MATCH_LABELS[c["match"]])
                        for c in rule.conditions
                    ],
                    "fuzzy": any(c["match"] == FUZZY for c in rule.conditions),
                }
                for rule in queries.matching_rules()
            ],
            "fields": [(name, RULE_FIELD_LABELS.get(name, name)) for name in FIELDS],
            "fuzzy_fields": ", ".join(str(RULE_FIELD_LABELS[name]) for name in FUZZY_FIELDS),
            "matches": list(MATCH_LABELS.items()),
            "combines": Combine.choices,
            "errors": errors,
            "form": form,
            "slots": range(3),
        },
        status=422 if errors else 200,
    )

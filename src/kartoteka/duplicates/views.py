"""Pages: duplicate groups of the last scan and "Scan now", side-by-side comparison and merge,
"merge with…", the merges onto a contact with their undo, and the matching rules for admins."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext
from django.views.decorators.http import require_GET, require_POST

from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.form_fields import property_display
from kartoteka.contacts.queries import all_property_definitions, get_contact, search_contacts
from kartoteka.core.errors import NotFound
from kartoteka.core.scope import is_admin
from kartoteka.duplicates import queries, services
from kartoteka.duplicates.matching import EXACT, FIELDS, FUZZY, FUZZY_FIELDS
from kartoteka.duplicates.models import Combine
from kartoteka.web.forms import ServiceForm, text
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


class CompareForm(ServiceForm):
    """The contacts compared ("1,2,3"), the survivor, and per field ("field:<name>") the
    contact whose value to keep."""

    ids = text()
    survivor = text()

    def contact_ids(self) -> list[int]:
        ids = []
        for part in self.cleaned_data["ids"].replace(" ", "").split(","):
            if part.isdigit() and int(part) not in ids:
                ids.append(int(part))
        return ids

    def kept_values(self) -> dict[str, str]:
        survivor = self.cleaned_data["survivor"]
        return {
            name[len("field:") :]: value
            for name, value in self.data.items()
            if name.startswith("field:") and value != survivor
        }


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
    form = ServiceForm(request.POST)
    form.submit(lambda _data: services.request_scan(request.user))
    form.flash(request)
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
    form = ServiceForm(request.POST)
    merges = form.submit(
        lambda _data: services.merge_exact_groups(request.user), not_found="__all__"
    )
    if not form.ok:
        form.flash(request)
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
        if name == "status":
            # The label people read, not the stored code (statuses are admins' records).
            known = lead_statuses.load()
            values = [(c.pk, known.label(c.status)) for c in contacts]
        elif name == "source":
            values = [(c.pk, c.get_source_display()) for c in contacts]
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
    form = CompareForm(request.POST if request.method == "POST" else request.GET)
    form.is_valid()  # text fields: the service judges the choices
    ids = form.contact_ids()
    if len(ids) < 2 or len(ids) > MAX_COMPARED:
        messages.error(
            request,
            _("Pick between 2 and %(most)s contacts to compare.") % {"most": MAX_COMPARED},
        )
        return redirect("duplicates:list")
    contacts = queries.contacts_for_comparison(request.user, ids)
    survivor = form.cleaned_data["survivor"]
    if request.method == "POST":
        merges = form.submit(
            lambda _data: services.merge_contacts(
                request.user,
                survivor_id=survivor,
                merged_ids=[i for i in ids if str(i) != survivor],
                fields=form.kept_values(),
            )
        )
        if form.ok:
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
            "survivor": survivor or str(contacts[0].pk),
            "errors": form.all_errors(),
        },
        status=form.status,
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
    form = ServiceForm(request.POST)
    undone = form.submit(lambda _data: services.undo_merge(request.user, merge))
    if not form.ok:
        form.flash(request)
        return redirect("duplicates:contact-merges", contact_id=merge.survivor_id)
    merge = undone
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


SLOTS = 3  # conditions a new rule's form offers


class RuleForm(ServiceForm):
    """The rules page posts a new rule (action "add"), or a rule's id with "toggle"/"delete"."""

    action = text()
    rule = forms.IntegerField(required=False)
    name = text()
    combine = text()
    min_similarity = text()
    confidence = text()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for index in range(SLOTS):
            self.fields[f"field_{index}"] = text()
            self.fields[f"match_{index}"] = text()

    def new_rule(self) -> dict:
        """The create_rule payload: the filled condition slots, and what the page left out."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "conditions": [
                {"field": data[f"field_{i}"], "match": data[f"match_{i}"] or EXACT}
                for i in range(SLOTS)
                if data[f"field_{i}"]
            ],
            "combine": data["combine"] or Combine.ALL,
            "min_similarity": data["min_similarity"] or "88",
            "confidence": data["confidence"] or "80",
            "is_active": True,
        }

    def where(self) -> dict[str, str]:
        """create_rule names the n-th filled condition: the slot it came from shows its error."""
        filled = [i for i in range(SLOTS) if self.data.get(f"field_{i}")]
        where = {"conditions": "field_0"}
        for n, slot in enumerate(filled):
            for part in ("", ".field"):
                where[f"conditions.{n}{part}"] = f"field_{slot}"
            where[f"conditions.{n}.match"] = f"match_{slot}"
        return where


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    if not is_admin(request.user):
        raise Http404("No such page.")
    form = RuleForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        form.submit(
            lambda data: _change_rules(request, form, data),
            where=form.where(),
            not_found="__all__",  # a rule deleted meanwhile
        )
        if form.ok:
            return redirect("duplicates:rules")
    errors = form.field_errors()
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
            "form": form.data if form.data.get("action", "add") == "add" else {},
            "slots": [
                {
                    "index": i,
                    "field": form.data.get(f"field_{i}", ""),
                    "match": form.data.get(f"match_{i}", ""),
                    "field_errors": errors.get(f"field_{i}", []),
                    "match_errors": errors.get(f"match_{i}", []),
                }
                for i in range(SLOTS)
            ],
        },
        status=form.status,
    )


def _change_rules(request: HttpRequest, form: RuleForm, data: dict) -> None:
    action = data["action"] or "add"
    if action == "add":
        services.create_rule(request.user, data=form.new_rule())
        messages.success(request, _("Rule added."))
        return
    rule = queries.matching_rules().filter(pk=data["rule"] or 0).first()
    if rule is None:
        raise NotFound(_("No such rule."))
    if action == "toggle":
        services.update_rule(request.user, rule, data={"is_active": not rule.is_active})
    elif action == "delete":
        services.delete_rule(request.user, rule)
        messages.success(request, _("Rule deleted."))

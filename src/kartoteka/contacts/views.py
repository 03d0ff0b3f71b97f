"""Pages of contacts: the contact list, the Clients view, bulk actions, adding a contact."""

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, QuerySet
from django.db.models.sql.where import AND
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kartoteka.accounts import queries as account_queries
from kartoteka.accounts import services as account_services
from kartoteka.accounts.models import WorkspaceSettings
from kartoteka.contacts import queries as contact_queries
from kartoteka.contacts import services as contact_services
from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.columns import (
    Column,
    available_columns,
    chosen_columns,
    load_added_values,
)
from kartoteka.contacts.detail_columns import materialised_details
from kartoteka.contacts.listing import (
    LIST_PARAMETERS,
    QUICK_FILTERS,
    filter_language,
    list_contacts,
)
from kartoteka.contacts.models import BulkChange, MessengerHandle, PropertyType, Source
from kartoteka.core import database
from kartoteka.core.errors import InvalidInput
from kartoteka.core.scope import visible_contacts
from kartoteka.web.forms import ServiceForm, many, text


def _back(request: HttpRequest, target: str, fallback: str) -> str:
    """Where the form came from (its "next"), if that is on this site."""
    target = target or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


# --------------------------------------------------------------------------------------------
# The contact list and the Clients view

PAGE_SIZE = 50
COUNT_CAP = 10_000
# A filtered page is first sought among this many rows of the list's own order (see
# _ids_walking_order): filters that match at least one contact in 80 fill a page there.
WALK_SLICE = 4_000


@dataclass
class ListPage:
    """One page of the list: its columns, rows and the cursors of the pages around it."""

    columns: list[Column]
    available: dict[str, Column]
    sort_key: str
    descending: bool
    contacts: list = field(default_factory=list)
    next_cursor: str = ""
    previous_cursor: str = ""


def _list_contacts(request: HttpRequest, *, clients: bool = False) -> tuple[QuerySet, dict, dict]:
    """The contacts the list shows (see listing.list_contacts): (contacts, filters, errors)."""
    return list_contacts(request.user, request.GET, clients=clients)


def _list_page(
    request: HttpRequest, contacts: QuerySet, *, clients: bool, unfiltered: QuerySet | None = None
) -> ListPage:
    """Sort by a shown column and cut one keyset page, (sort value, id) after a cursor.

    `unfiltered`: the same list before its filters (the user's scope, the Clients view's
    status), given when filters narrow `contacts`, so a page of a broad filter can be found
    by reading the list's order instead of sorting every match."""
    definitions = list(contact_queries.all_property_definitions())
    available = available_columns(definitions, materialised_details() if definitions else set())
    columns = chosen_columns(request.user, available, clients=clients)
    default_sort = "-won_at" if clients else "-created_at"
    sort = request.GET.get("sort", default_sort)
    column = available.get(sort.lstrip("-"))
    if column is None or column.sort is None:
        sort, column = default_sort, available[default_sort.lstrip("-")]
    page = ListPage(columns, available, column.key, sort.startswith("-"))

    sort_value = column.sort
    if clients and column.key == "won_at":
        # Every client has won_at set, so the bare column (and its index) replaces the coalesce.
        sort_value = F("won_at")
    prefetch = sorted({p for c in columns for p in c.prefetch})

    def shaped(rows: QuerySet) -> QuerySet:
        rows = rows.annotate(sort_value=sort_value).select_related("company")
        return rows.prefetch_related(*prefetch) if prefetch else rows

    # The list before its page is cut: its rows are read by id once their ids are known.
    listed = unfiltered if unfiltered is not None else contacts
    matching = contacts.annotate(sort_value=sort_value)
    contacts = shaped(contacts)
    after, before = request.GET.get("after", ""), request.GET.get("before", "")
    backwards = bool(before) and not after
    cursor = _read_cursor(column, before if backwards else after)
    newest_first = page.descending != backwards
    if column.missing_last:
        rows = _rows_missing_last(contacts, column, cursor, page.descending, backwards=backwards)
    else:
        found = None
        if unfiltered is not None:
            walk = unfiltered.annotate(sort_value=sort_value)
            found = _ids_walking_order(walk, contacts, cursor, newest_first=newest_first)
        if found is None:
            # A previous page is read in the reverse order from that page's first row, then
            # flipped.
            found = _ids_after(matching, cursor, newest_first=newest_first)
        # The rows of the ids found, without evaluating the filter again.
        order = ("-sort_value", "-pk") if newest_first else ("sort_value", "pk")
        rows = list(shaped(listed.filter(pk__in=found)).order_by(*order))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if backwards:
        rows.reverse()
    page.contacts = rows
    load_added_values(rows, columns)
    if rows:
        if more or backwards:
            page.next_cursor = f"{column.cursor_text(rows[-1].sort_value)}|{rows[-1].pk}"
        if more if backwards else cursor is not None:
            page.previous_cursor = f"{column.cursor_text(rows[0].sort_value)}|{rows[0].pk}"
    return page


def _ids_after(contacts: QuerySet, cursor: tuple | None, *, newest_first: bool) -> list[int]:
    """The ids of up to PAGE_SIZE + 1 rows in (sort value, id) order, after the cursor.

    Ids alone, so that the database can walk the order through an index that carries the
    filter's columns (PostgreSQL's covering index of recent contacts) instead of reading each
    passing contact's whole row: "won, with the vip tag" passes 17,000 rows for its page."""
    if cursor is not None:
        contacts = _after(contacts, *cursor, newest_first=newest_first)
    order = ("-sort_value", "-pk") if newest_first else ("sort_value", "pk")
    return list(contacts.order_by(*order).values_list("pk", flat=True)[: PAGE_SIZE + 1])


def _ids_walking_order(
    walk: QuerySet, contacts: QuerySet, cursor: tuple | None, *, newest_first: bool
) -> list[int] | None:
    """The ids of _rows_after's rows for a filtered list, found among the next WALK_SLICE rows
    of the unfiltered list (`walk`) in its order; None when fewer match than fill a page.

    Left to itself, the database finds a filter's matches through the filter's index and sorts
    all of them for one page: a quarter of a million contacts for "country PL". Read in the
    list's order through the sort's index, a broad filter fills a page within a few thousand
    rows. A narrow one does not, and then its own index leads: it has few rows to sort."""
    order = ("-sort_value", "-pk") if newest_first else ("sort_value", "pk")
    part = _after(walk, *cursor, newest_first=newest_first) if cursor else walk
    # The slice stays in the database (a subquery): its ids never travel through Python.
    in_slice = part.order_by(*order).values("pk")[:WALK_SLICE]
    matching = contacts.filter(pk__in=in_slice).order_by(*order)
    # SQLite guesses the same size for every `id IN (subquery)` and reads the rows through the
    # first one the WHERE clause names: a filter's subquery (all the links of a tag) would lead
    # and the slice become a lookup. Named first, the slice leads and the filter is tested on
    # its rows alone. The conditions are ANDed at the top, so their order changes no result.
    where = matching.query.where
    if where.connector == AND and not where.negated:
        where.children.insert(0, where.children.pop())
    # PostgreSQL would start from a side table's subquery (every contact with an open deal)
    # instead of testing the slice's rows against it.
    matching = database.tested_per_row(matching)
    found = list(matching.values_list("pk", flat=True)[: PAGE_SIZE + 1])
    if len(found) > PAGE_SIZE:
        return found
    if not part.order_by(*order).values("pk")[WALK_SLICE - 1 : WALK_SLICE]:
        return found  # the slice reached the end of the list: these are all
    return None


def _after(contacts: QuerySet, value, pk: int, *, newest_first: bool) -> QuerySet:
    # A range on the sort value (which an index can serve) minus the ties already shown.
    if newest_first:
        return contacts.filter(sort_value__lte=value).exclude(sort_value=value, pk__gte=pk)
    return contacts.filter(sort_value__gte=value).exclude(sort_value=value, pk__lte=pk)


def _rows_missing_last(
    contacts: QuerySet, column: Column, cursor: tuple | None, descending: bool, *, backwards: bool
) -> list:
    """Like _rows_after for a sort value that may be missing: the rows that have one, in the
    sort's order, then the rows without one, by id in the same direction. Each part is read on
    its own, so the sort value's index serves the first and no NULL enters a comparison;
    `backwards` walks that whole order in reverse from the cursor (for a previous page)."""
    newest_first = descending != backwards
    sign = "-" if newest_first else ""
    # A column of a related row (the company's name) is tested by its own path: Django then
    # joins that table with an inner join, which the database can walk in the name's order.
    path = column.sort.name if isinstance(column.sort, F) else "sort_value"
    with_value = contacts.filter(**{f"{path}__isnull": False})
    without = contacts.filter(**{f"{path}__isnull": True})
    if cursor is None:
        ahead = [without, with_value] if backwards else [with_value, without]
    elif cursor[0] is None:  # the cursor row has no value: it lies in the second part
        pk = cursor[1]
        without = without.filter(pk__lt=pk) if newest_first else without.filter(pk__gt=pk)
        ahead = [without, with_value] if backwards else [without]
    else:
        with_value = _after(with_value, *cursor, newest_first=newest_first)
        ahead = [with_value] if backwards else [with_value, without]
    rows: list = []
    for part in ahead:
        order = (f"{sign}sort_value", f"{sign}pk") if part is with_value else (f"{sign}pk",)
        rows += part.order_by(*order)[: PAGE_SIZE + 1 - len(rows)]
        if len(rows) > PAGE_SIZE:
            break
    return rows


def _read_cursor(column: Column, raw: str) -> tuple | None:
    value, sep, pk = raw.rpartition("|")
    if not sep or not pk.isdigit():
        return None
    try:
        return column.cursor_value(value), int(pk)
    except ValueError:
        return None


DENSITIES = ("comfortable", "compact")


def _chips(request: HttpRequest, filters: dict, errors: dict, *, clients: bool) -> list[dict]:
    """A chip per quick filter in use: what it says and the address of the list without it."""
    labels = {
        "owner": _("Owner: %(value)s"),
        "tag": _("Tag: %(value)s"),
        "status": _("Status: %(value)s"),
        "source": _("Source: %(value)s"),
        "created_from": _("Created from %(value)s"),
        "created_to": _("Created until %(value)s"),
        "last_days": _("Created in the last %(value)s days"),
    }
    shown = {
        "owner": {u.username: u.display_name for u in account_queries.active_users()},
        "status": dict(lead_statuses.load().choices()),
        "source": dict(Source.choices),
    }
    chips = []
    for name in QUICK_FILTERS:
        value = filters.get(name)
        if not value or name in errors or (clients and name == "status"):
            continue
        query = request.GET.copy()
        for dropped in (name, "after", "before"):
            query.pop(dropped, None)
        label = labels[name] % {"value": shown.get(name, {}).get(value, value)}
        chips.append({"label": label, "remove_url": f"{request.path}?{query.urlencode()}"})
    return chips


def _render_list(request: HttpRequest, *, clients: bool) -> HttpResponse:
    language = filter_language()
    contacts, filters, errors = _list_contacts(request, clients=clients)
    filtered = any(filters.values()) or bool(request.GET.get("f"))
    unfiltered = None
    if filtered and not errors:
        # The same list with no filter, from the one function that builds lists.
        unfiltered, _filters, _errors = list_contacts(request.user, {}, clients=clients)
    page = _list_page(request, contacts, clients=clients, unfiltered=unfiltered)
    query = request.GET.copy()
    for name in ("after", "before"):
        query.pop(name, None)
    without_sort = query.copy()
    without_sort.pop("sort", None)
    density = (request.user.preferences or {}).get("list_density")
    language_context = language.context(request) if language else {}
    # A saved filter picked in the Clients view applies to the Clients view.
    for saved in language_context.get("saved_filters", []):
        saved["url"] = f"{request.path}?{saved['url'].partition('?')[2]}"
    quick_chips = _chips(request, filters, errors, clients=clients)
    conditions = getattr(language_context.get("segment_filter"), "chips", [])
    return render(
        request,
        "contacts/contact_list.html",
        {
            "page": page,
            "filters": filters,
            "errors": errors,
            "clients": clients,
            "query": query.urlencode(),
            "query_without_sort": without_sort.urlencode(),
            # The parameters that narrow the list, carried by each of its forms.
            "listed": {k: v for k in LIST_PARAMETERS if (v := request.GET.get(k, ""))},
            "quick_chips": quick_chips,
            "active_filters": len(quick_chips) + len(conditions),
            "density": density if density in DENSITIES else "comfortable",
            "statuses": lead_statuses.load().choices(),
            "sources": Source.choices,
            "team": list(account_queries.active_users()),
            "tags": list(contact_queries.all_tags().values_list("name", flat=True)[:500]),
            "filtered": filtered,
            "filter_template": language.template if language else "",
            "saved_filters_template": language.saved_template if language else "",
            **language_context,
        },
    )


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request, clients=False)


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request, clients=True)


@login_required
def contact_count(request: HttpRequest) -> HttpResponse:
    """How many contacts match the list's filters: counted on request, capped at 10,000.
    With ?shown=N (the rows ticked on the page), the offer to select every matching contact."""
    contacts, _filters, _errors = _list_contacts(request, clients=request.GET.get("clients") == "1")
    total = contacts.order_by()[: COUNT_CAP + 1].count()
    shown = request.GET.get("shown", "")
    partial = "select-all" if shown.isdigit() else "count"
    return render(
        request,
        f"contacts/contact_list.html#{partial}",
        {
            "total": min(total, COUNT_CAP),
            "capped": total > COUNT_CAP,
            "shown": int(shown) if shown.isdigit() else 0,
        },
    )


class DensityForm(ServiceForm):
    density = text()
    next = text()


@login_required
@require_POST
def save_density(request: HttpRequest) -> HttpResponse:
    """Keep the user's choice of row height for the list and the Clients view."""
    form = DensityForm(request.POST)

    def save(data: dict) -> None:
        if data["density"] not in DENSITIES:
            raise InvalidInput("density", _("Choose comfortable or compact rows."))
        account_services.update_preferences(request.user, changes={"list_density": data["density"]})

    form.submit(save)
    form.flash(request)
    return redirect(_back(request, form.cleaned_data.get("next", ""), reverse("web:contact-list")))


class ColumnsForm(ServiceForm):
    columns = many()
    clients = text()
    next = text()


@login_required
@require_POST
def save_columns(request: HttpRequest) -> HttpResponse:
    """Save the columns the user ticked (in the offered order) for the list or the Clients view."""
    form = ColumnsForm(request.POST)
    available = available_columns(list(contact_queries.all_property_definitions()))

    def save(data: dict) -> None:
        chosen = [k for k in data["columns"] if k in available]
        if not chosen:
            raise InvalidInput("columns", _("Choose at least one column."))
        key = "client_columns" if data["clients"] == "1" else "list_columns"
        account_services.update_preferences(request.user, changes={key: chosen})

    form.submit(save)
    form.flash(request)
    clients = form.data.get("clients") == "1"
    fallback = reverse("web:clients" if clients else "web:contact-list")
    return redirect(_back(request, form.cleaned_data.get("next", ""), fallback))


class BulkForm(ServiceForm):
    """One action for the ticked contacts, or (scope "all") for every contact the list matches:
    its parameters and view come along. Ids outside the user's scope are simply not found."""

    action = forms.ChoiceField(
        choices=[(a, a) for a in contact_services.BULK_ACTIONS],
        error_messages={
            "required": gettext_lazy("Choose an action."),
            "invalid_choice": gettext_lazy("Choose an action."),
        },
    )
    ids = many()
    scope = text()
    view = text()
    value = forms.CharField(required=False)
    confirmed = text()
    next = text()

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for name in LIST_PARAMETERS:
            self.fields[name] = forms.CharField(required=False)

    def clean(self) -> dict:
        data = super().clean()
        data["listed"] = {k: data[k] for k in LIST_PARAMETERS if data.get(k)}
        data["clients"] = data.get("view") == "clients"
        if data.get("scope") == "all":
            contacts, _filters, errors = list_contacts(
                self.user, data["listed"], clients=data["clients"]
            )
            for message in errors.values():
                self.add_error(None, message)
            data["matching"] = contacts.order_by("pk")
            data["total"] = contacts.count() if not errors else 0
        else:
            ids = [int(i) for i in data.get("ids", []) if i.isdigit() and len(i) < 19]
            data["matching"] = visible_contacts(self.user).filter(pk__in=ids).order_by("pk")
            data["total"] = data["matching"].count()
        if not data["total"]:
            self.add_error(None, _("Select at least one contact."))
        if data.get("action") not in (None, "delete") and not data.get("value"):
            self.add_error("value", _("Enter a tag name or a username."))
        return data


@login_required
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    """Apply one action to the selected contacts, all or nothing; to more than
    BULK_NOW_LIMIT contacts in the background. Deleting asks for confirmation first."""
    form = BulkForm(request.POST, user=request.user)
    valid = form.is_valid()
    back = _back(request, form.cleaned_data.get("next", ""), reverse("web:contact-list"))
    data = form.cleaned_data
    if valid and data["action"] == "delete" and data["confirmed"] != "yes":
        return render(
            request,
            "contacts/bulk_delete.html",
            {
                "contacts": data["matching"][:20],
                "total": data["total"],
                "all": data["scope"] == "all",
                "ids": [c.pk for c in data["matching"]] if data["scope"] != "all" else [],
                "listed": data["listed"],
                "view": data["view"],
                "back": back,
            },
        )

    def apply(data: dict) -> int | BulkChange:
        if data["total"] <= contact_services.BULK_NOW_LIMIT:
            value = contact_services.check_bulk_action(data["action"], data["value"])
            return contact_services.apply_bulk_action(
                request.user, list(data["matching"]), action=data["action"], value=value
            )
        if data["scope"] != "all":  # ticked rows are one page's at most
            raise InvalidInput("ids", _("Select all matching contacts instead."))
        return contact_services.start_bulk_change(
            request.user,
            action=data["action"],
            value=data["value"],
            params=data["listed"],
            clients=data["clients"],
            language=get_language() or "",
        )

    done = form.submit(apply)
    if not form.ok:
        form.flash(request)
        return redirect(back)
    if isinstance(done, BulkChange):
        return redirect("web:bulk-change", change_id=done.pk)
    messages.success(
        request,
        ngettext("%(n)d contact updated.", "%(n)d contacts updated.", done) % {"n": done}
        if form.cleaned_data["action"] != "delete"
        else ngettext("%(n)d contact deleted.", "%(n)d contacts deleted.", done) % {"n": done},
    )
    return redirect(back)


@login_required
def bulk_change(request: HttpRequest, change_id: int) -> HttpResponse:
    """A bulk change running in the background: progress while it runs (polled by htmx)."""
    change = contact_queries.get_bulk_change(request.user, change_id)
    template = "contacts/bulk_change.html#progress" if request.htmx else "contacts/bulk_change.html"
    back = reverse("web:clients" if change.clients else "web:contact-list")
    return render(request, template, {"change": change, "back": back})


# --------------------------------------------------------------------------------------------
# Adding a contact

MIN_ROWS = 2  # empty e-mail and phone rows offered on a fresh form


def _rows(post, prefix: str, *names: str) -> list[dict]:
    """Repeated rows (email_0, email_1, …) of the add-contact form, blank ones included."""
    count = max(
        [MIN_ROWS]
        + [
            int(k.rsplit("_", 1)[1]) + 1
            for k in post
            if k.startswith(f"{prefix}_") and k.rsplit("_", 1)[1].isdigit()
        ]
    )
    count = min(count, 20)
    return [
        {
            "index": i,
            **{n: post.get(f"{prefix}_{n}_{i}" if n else f"{prefix}_{i}", "") for n in names},
        }
        for i in range(count)
    ]


class ContactForm(ServiceForm):
    """The add-contact form: its fixed inputs, the repeated e-mail, phone and messenger rows
    (email_0, email_1, …) as many as were posted, and one input per custom detail."""

    first_name = text()
    last_name = text()
    company = text()
    job_title = text()
    status = text()
    owners = many()
    tags = text()
    email_primary = text()
    phone_primary = text()

    def __init__(self, *args, definitions: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = definitions
        for prefix, names in (("email", ("",)), ("phone", ("",)), ("messenger", NETWORK_ROW)):
            for row in _rows(self.data, prefix, *names):
                for n in names:
                    self.fields[
                        f"{prefix}_{n}_{row['index']}" if n else f"{prefix}_{row['index']}"
                    ] = text()
        for definition in definitions:
            multiple = definition.type == PropertyType.MULTI_CHOICE
            self.fields[f"detail_{definition.key}"] = many() if multiple else text()

    def payload(self) -> tuple[dict, dict[str, str]]:
        """The create_contact payload, and which input shows each of its error keys."""
        values = {**self.cleaned_data}
        if "status" not in self.data:
            values["status"] = lead_statuses.load().default
        return _contact_payload(values, self.definitions)


NETWORK_ROW = ("network", "handle")


def _contact_payload(values: dict, definitions: list) -> tuple[dict, dict[str, str]]:
    """The create_contact payload from the form's values, and how its error keys map to
    inputs."""
    where: dict[str, str] = {}
    emails, phones, messengers = [], [], []
    email_primary = values.get("email_primary") or "0"
    phone_primary = values.get("phone_primary") or "0"
    for row in _rows(values, "email", ""):
        if row[""].strip():
            where[f"emails.{len(emails)}.email"] = f"email_{row['index']}"
            emails.append({"email": row[""], "primary": str(row["index"]) == email_primary})
    for row in _rows(values, "phone", ""):
        if row[""].strip():
            where[f"phones.{len(phones)}.phone"] = f"phone_{row['index']}"
            phones.append({"phone": row[""], "primary": str(row["index"]) == phone_primary})
    for row in _rows(values, "messenger", "network", "handle"):
        if row["handle"].strip():
            for part in ("", ".network", ".handle"):
                where[f"messengers.{len(messengers)}{part}"] = f"messenger_{row['index']}"
            messengers.append({"network": row["network"], "handle": row["handle"]})
    if emails and not any(e["primary"] for e in emails):
        emails[0]["primary"] = True
    if phones and not any(p["primary"] for p in phones):
        phones[0]["primary"] = True
    data = {
        "first_name": values.get("first_name", ""),
        "last_name": values.get("last_name", ""),
        "company": values.get("company", ""),
        "job_title": values.get("job_title", ""),
        "status": values["status"],
        "emails": emails,
        "phones": phones,
        "messengers": messengers,
        "owners": [o for o in values["owners"] if o],
        "tags": [t for t in values.get("tags", "").split(",") if t.strip()],
        "properties": {},
    }
    if not emails:
        data["email"] = ""  # so the service names the missing e-mail
        del data["emails"]
    for definition in definitions:
        value = values.get(f"detail_{definition.key}", "")
        if value not in ("", []):
            data["properties"][definition.key] = value
        where[f"properties.{definition.key}"] = f"detail_{definition.key}"
    where.update({"email": "email_0", "emails": "email_0", "phones": "phone_0"})
    return data, where


def _default_owner(user):
    """Who a new contact belongs to unless the form says otherwise."""
    if not user.is_admin:
        return user
    workspace = WorkspaceSettings.objects.select_related("default_owner").filter(pk=1).first()
    return workspace.default_owner if workspace else None


@login_required
def contact_new(request: HttpRequest) -> HttpResponse:
    """The add-contact form. Nothing is saved until the whole form is valid."""
    definitions = list(contact_queries.all_property_definitions())
    post = request.POST if request.method == "POST" else None
    form = ContactForm(post, definitions=definitions)
    if form.is_bound and form.is_valid():
        data, where = form.payload()
        contact = form.submit(
            lambda _data: contact_services.create_contact(request.user, data=data), where=where
        )
        if form.ok:
            messages.success(request, _("%(name)s was added.") % {"name": contact})
            return redirect("web:contact-card", contact_id=contact.pk)
    errors = form.field_errors()
    values = post or {}
    default_owner = _default_owner(request.user)
    chosen_owners = (
        set(post.getlist("owners"))
        if post is not None
        else ({default_owner.username} if default_owner else set())
    )
    detail_rows = []
    for definition in definitions:
        name = f"detail_{definition.key}"
        detail_rows.append(
            {
                "definition": definition,
                "name": name,
                "value": values.get(name, "") if post is not None else "",
                "values": post.getlist(name) if post is not None else [],
                "errors": errors.get(name, []),
            }
        )
    primary = {p: values.get(f"{p}_primary", "0") for p in ("email", "phone")}

    def rows(prefix: str, *names: str) -> list[dict]:
        found = _rows(post or {}, prefix, *names)
        if prefix == "messenger" and post is None:
            found = found[:1]
        return [
            {
                **row,
                "value": row.get("", ""),
                "name": f"{prefix}_{row['index']}",
                "errors": errors.get(f"{prefix}_{row['index']}", []),
                "primary": str(row["index"]) == primary.get(prefix),
            }
            for row in found
        ]

    return render(
        request,
        "contacts/contact_new.html",
        {
            "values": values,
            "errors": errors,
            "email_rows": rows("email", ""),
            "phone_rows": rows("phone", ""),
            "messenger_rows": rows("messenger", "network", "handle"),
            "networks": MessengerHandle.Network.choices,
            "team": list(account_queries.active_users()),
            "chosen_owners": chosen_owners,
            "statuses": lead_statuses.load().choices(),
            "detail_rows": detail_rows,
            "property_types": PropertyType.choices,
        },
        status=form.status,
    )

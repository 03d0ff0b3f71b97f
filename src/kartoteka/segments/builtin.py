"""The fields every contact has: core columns, location, tags, owners, messengers, dates, text
search, and the custom details family ("properties.<key>"). Registered from SegmentsConfig."""

from django.db.models import Count
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kartoteka.accounts.models import User
from kartoteka.accounts.queries import names_by_username
from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.detail_columns import built_column, materialised_details
from kartoteka.contacts.models import (
    ATTRIBUTION_FIELDS,
    ContactOwner,
    ContactTag,
    MessengerHandle,
    PropertyDefinition,
    PropertyType,
    Source,
    Tag,
)
from kartoteka.contacts.search import search_words
from kartoteka.core.normalise import country_names
from kartoteka.segments.fields import (
    Field,
    Option,
    Options,
    column,
    column_options,
    custom_detail,
    detail_present,
    linked_ids,
    linked_options,
    ranked,
    register,
    register_family,
    related,
    tag_ids_on_row,
)

# What people call the attribution columns (UTM from the landing page's address, the rest
# from Google Ads).
ATTRIBUTION_LABELS = {
    "utm_source": _("UTM source"),
    "utm_medium": _("UTM medium"),
    "utm_campaign": _("UTM campaign"),
    "utm_term": _("UTM term"),
    "utm_content": _("UTM content"),
    "gclid": _("Google Ads click ID (GCLID)"),
    "ads_campaign": _("Ads campaign"),
    "ads_group": _("Ads ad group"),
    "ads_keyword": _("Ads keyword"),
    "ads_network": _("Ads network"),
    "ads_device": _("Ads device"),
    "ads_id": _("Ads ad ID"),
}

PROPERTY_KINDS = {
    PropertyType.TEXT: "text",
    PropertyType.URL: "text",
    PropertyType.NUMBER: "number",
    PropertyType.DECIMAL: "number",
    PropertyType.DATE: "date",
    PropertyType.BOOLEAN: "boolean",
    PropertyType.DICTIONARY: "choice",
    PropertyType.MULTI_CHOICE: "set",
}


def _linked(links, column: str, resolve=None):
    """Contact ids from a link table (`links`) whose `column` is among the given values.

    `resolve` turns names into ids first (tags, usernames), so the database plans with the
    statistics of those very rows: a popular tag and a rare one differ a lot.
    """

    def rows(values: list[str] | None):
        chosen = links.all()
        if values is not None:
            chosen = chosen.filter(**{f"{column}__in": resolve(values) if resolve else values})
        return chosen.values_list("contact_id", flat=True)

    return rows


def _tag_ids(names: list[str]) -> list[int]:
    return list(Tag.objects.filter(name_folded__in=names).values_list("id", flat=True))


def _user_ids(usernames: list[str]) -> list[int]:
    return list(User.objects.filter(username__in=usernames).values_list("id", flat=True))


def _countries() -> list[tuple[str, str]]:
    """Every country by its code, named in the reader's language."""
    return list(country_names((get_language() or "en")[:2]).items())


def _owner_options(asked: Options) -> list[Option]:
    """Owners by username, read and searched by their names (a team has few)."""
    rows = ContactOwner.objects.all()
    if not asked.everyone:
        rows = rows.filter(contact_id__in=asked.contacts.values("pk"))
    counts = dict(rows.order_by().values_list("user_id").annotate(n=Count("contact_id")))
    users = User.objects.filter(pk__in=list(counts))
    if asked.values:
        users = users.filter(username__in=asked.values)
    found = [
        Option(user.username, user.display_name, counts[user.pk])
        for user in users
        if asked.values or asked.matches(user.display_name) or asked.matches(user.username)
    ]
    return ranked(found, asked.limit)


def _text(key: str, label, *, group=None, fold_case: bool = True) -> Field:
    return Field(
        key=key,
        label=label,
        type="text",
        build=column(key, "text", fold_case=fold_case),
        group=group or _("Contact"),
    )


def _date(key: str, label, *, nullable: bool = False, is_date: bool = False) -> Field:
    return Field(
        key=key,
        label=label,
        type="date",
        build=column(key, "date", nullable=nullable, is_date=is_date),
        group=_("Dates"),
    )


def register_builtin_fields() -> None:
    location, attribution = _("Location"), _("Attribution")
    for key, label in (
        ("first_name", _("First name")),
        ("last_name", _("Last name")),
        ("job_title", _("Job title")),
        ("fax", _("Fax")),
        ("created_url", _("Form URL")),
    ):
        register(_text(key, label))
    register(
        Field(
            "email",
            _("E-mail"),
            "text",
            column("email", "text"),
            normalise=lambda value: value.casefold(),
        )
    )
    register(_text("phone", _("Phone"), fold_case=False))
    for key, label in (
        ("street", _("Street")),
        ("city", _("City")),
        ("region", _("Region")),
    ):
        register(_text(key, label, group=location))
    register(_text("postal_code", _("Postal code"), group=location, fold_case=False))
    register(
        Field(
            "country",
            _("Country"),
            "text",
            column("country", "text"),
            group=location,
            normalise=lambda value: value.upper(),
            options=column_options("country", everything=_countries),
            names=_countries,
        )
    )
    for key in ATTRIBUTION_FIELDS:
        register(_text(key, ATTRIBUTION_LABELS[key], group=attribution, fold_case=False))
    register(
        Field(
            "company",
            _("Company"),
            "text",
            column("company__name", "text", nullable=True, fold_case=True),
        )
    )
    register(Field("score", _("Score"), "number", column("score", "number")))
    register(
        Field(
            "status",
            _("Status"),
            "choice",
            column("status", "choice"),
            # The statuses admins keep; a filter names one by its key or by its name in any
            # language ("status:Perdido" is status:lost).
            choices=lambda: lead_statuses.load().choices(),
            normalise=lambda value: lead_statuses.load().resolve(value) or value.lower(),
            options=column_options("status", everything=lambda: lead_statuses.load().choices()),
        )
    )
    register(
        Field(
            "source",
            _("Source"),
            "choice",
            column("source", "choice"),
            choices=lambda: [(code, str(label)) for code, label in Source.choices],
            normalise=str.lower,
            options=column_options("source", everything=lambda: Source.choices),
        )
    )
    register(Field("is_monitored", _("Monitored"), "boolean", column("is_monitored", "boolean")))
    register(_date("birthday", _("Birthday"), nullable=True, is_date=True))
    register(_date("created_at", _("Created")))
    register(_date("updated_at", _("Updated")))
    register(_date("last_activity_at", _("Last activity"), nullable=True))
    register(_date("won_at", _("Became a client"), nullable=True))
    tag_links = _linked(ContactTag.objects, "tag_id", _tag_ids)
    register(
        Field(
            "tags",
            _("Tags"),
            "set",
            related(tag_links),
            normalise=lambda value: value.casefold(),
            build_in_any=tag_ids_on_row(_tag_ids, otherwise=related(tag_links)),
            ids=linked_ids(tag_links, one_row_per_value=True),
            options=linked_options(
                ContactTag.objects.all, "tag__name_folded", "tag__name", "tag__name_folded"
            ),
        )
    )
    owner_links = _linked(ContactOwner.objects, "user_id", _user_ids)
    register(
        Field(
            "owner",
            _("Owner"),
            "set",
            related(owner_links),
            ids=linked_ids(owner_links, one_row_per_value=True),
            options=_owner_options,
            names=names_by_username,
        )
    )
    messenger_links = _linked(MessengerHandle.objects, "network")
    register(
        Field(
            "messenger",
            _("Messenger network"),
            "set",
            related(messenger_links),
            choices=lambda: list(MessengerHandle.Network.choices),
            normalise=str.lower,
            ids=linked_ids(messenger_links),
        )
    )
    register(
        Field(
            "text",
            _("Name, e-mail, phone or company"),
            "search",
            search_words("search_text"),
            normalise=lambda value: value.casefold(),
        )
    )
    register_family("properties", custom_detail_field)


def custom_detail_field(key: str) -> Field | None:
    definition = PropertyDefinition.objects.filter(key=key).first()
    return _from_definition(definition, materialised_details()) if definition else None


def _from_definition(definition: PropertyDefinition, columns: set[str]) -> Field:
    kind = PROPERTY_KINDS[definition.type]
    choices = None
    normalise = lambda value: value  # noqa: E731
    if definition.type in (PropertyType.DICTIONARY, PropertyType.MULTI_CHOICE):
        by_fold = {c.casefold(): c for c in definition.choices}
        choices = lambda: [(c, c) for c in definition.choices]  # noqa: E731
        normalise = lambda value: by_fold.get(value.casefold(), value)  # noqa: E731
    build = custom_detail(
        definition.key,
        "number" if kind == "number" else kind,
        multi=definition.type == PropertyType.MULTI_CHOICE,
        column=built_column(definition.key, columns),
    )
    return Field(
        key=f"properties.{definition.key}",
        label=definition.label,
        type=kind,
        build=build,
        choices=choices,
        group=_("Custom details"),
        normalise=normalise,
        present=detail_present(definition.key),
    )


def family_members() -> list[Field]:
    columns = materialised_details()
    return [
        _from_definition(d, columns) for d in PropertyDefinition.objects.order_by("position", "id")
    ]

"""What merging and forgetting do with every table that points at a contact: the registry
each table's owner declares into, and the walk over it that duplicates and privacy share.

Every app declares its own tables from `AppConfig.ready()` with `declare(...)` (its
`relations.py` holds the declarations). Merge and forget walk every foreign key to
contacts.Contact (and every plain `contact_id` column) and look its policy up here, so a table
added later cannot be silently lost on a merge or left full of personal data after a forget:
until its owner declares a policy, both refuse to run (and a test fails).

Tables are named "app_label.Model" and columns "app_label.Model.field".
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.apps import apps
from django.db import connection, models

from kartoteka.core.errors import Conflict

# Merge policies
KEEP = "keep"  # leave the row as it is (it records history by id, e.g. an import's journal)
MOVE = "move"  # re-point the row to the survivor
MOVE_UNIQUE = "move_unique"  # re-point, dropping rows the survivor already has (`unique`)
CARD = "card"  # the contact's own card data, merged by contacts.services; restored from snapshot
DELETE = "delete"  # dropped with the merged contact (restored from snapshot on undo)

# Forget policies (KEEP too: the row holds no personal data, only an id)
ERASE = "erase"  # delete the rows (and the bytes of their files)
ANONYMISE = "anonymise"  # keep the row for aggregates, detach it and blank `scrub`


@dataclass(frozen=True)
class Policy:
    merge: str
    forget: str
    # MOVE_UNIQUE: the other fields of the unique constraint that includes the contact (none:
    # one row per contact, and the survivor's own one stays).
    unique: tuple[str, ...] = ()
    # ANONYMISE: fields set to their empty value; the contact link itself is always cleared.
    scrub: tuple[str, ...] = ()
    # File fields whose bytes are deleted from storage when the row is erased.
    files: tuple[str, ...] = ()
    # Extra keyword values written by ANONYMISE (e.g. clearing a link to a detail row).
    clear: dict = field(default_factory=dict)
    # Link rows (a task's contacts): the rows they point to go into the data export, and are
    # erased on forget once no other contact links to them.
    follow: tuple[str, ...] = ()
    # Rows the owner computes from other tables (who may see what): nothing the person gave or
    # did, so they stay out of the person's data export.
    derived: bool = False


# What merge and forget do with each column naming a contact, as "app.Model.field".
POLICIES: dict[str, Policy] = {}


class Mentions(Protocol):
    """What forget hands a table's owner: how to find and take out quotes of one person."""

    def candidates(self, rows: models.QuerySet, fields: Sequence[str]) -> models.QuerySet:
        """`rows` narrowed by the database to those whose `fields` may quote the person."""

    def redact(self, value: Any) -> Any:
        """`value` (text or JSON) with every quote of the person replaced."""

    def with_name_parts(self) -> "Mentions":
        """Also matching the first or the last name alone (for searches people typed)."""

    def found_in_file(self, data: bytes) -> bool:
        """Whether a stored file's bytes quote the person."""


# Text that may quote a person without pointing at them (a note on a colleague's card:
# "Referred by Ana García, ana@x.es"). On forget, privacy hands the person's Mentions
# (privacy.mentions) to the owner app of each table listed here, and that app's services module
# takes the person out of these columns in its own tables: `forget_mentions(mentions) -> int`
# (rows changed). Every text column of every table is either listed here, or in FILE_SWEEPS, or
# in NOT_SWEPT with the reason it cannot quote a person; a column in none of them fails a test.
MENTIONS: dict[str, tuple[str, ...]] = {}
# Stored files named by a path column (uploaded imports, finished exports): on forget, the
# owner's `forget_files_mentioning(mentions) -> list[str]` blanks the column of each file that
# quotes the person and deletes the file once the transaction commits.
FILE_SWEEPS: dict[str, str] = {}
# Text columns that cannot quote a person, as "app.Model" (the whole table) or
# "app.Model.field", with the reason.
NOT_SWEPT: dict[str, str] = {}

# What an owner does before a contact is forgotten, while its rows are still there:
# `hook(actor, contact)` in forget's transaction (consents suppresses the contact's addresses).
BEFORE_FORGET: list[Callable[[Any, Any], None]] = []

# Reasons for NOT_SWEPT that most apps give.
TEAM = "the team and its sign-ins, not contacts"
NAMES = "names and settings the team gives things, not notes about people"
CODE = "a code, a kind, a status or a path the app writes"
CARD_DATA = (
    "a contact's card holds that contact's own data (the forgotten contact's rows are erased)"
)


def declare(
    *,
    policies: dict[str, Policy] | None = None,
    mentions: dict[str, tuple[str, ...]] | None = None,
    file_sweeps: dict[str, str] | None = None,
    not_swept: dict[str, str] | None = None,
    before_forget: Callable[[Any, Any], None] | None = None,
) -> None:
    """Add an owner's declarations for its tables. A key declared twice is a mistake (two apps
    claiming one table), so it raises instead of silently replacing the first."""
    for registry, entries in (
        (POLICIES, policies),
        (MENTIONS, mentions),
        (FILE_SWEEPS, file_sweeps),
        (NOT_SWEPT, not_swept),
    ):
        for key, value in (entries or {}).items():
            if key in registry and registry[key] != value:
                raise ValueError(f"{key} is already declared")
            registry[key] = value
    if before_forget is not None and before_forget not in BEFORE_FORGET:
        BEFORE_FORGET.append(before_forget)


# Tables of Django and of the libraries the project uses, which hold no text about a contact.
declare(
    not_swept={
        "auth.Permission": CODE,
        "auth.Group": NAMES,
        "contenttypes.ContentType": CODE,
        "sessions.Session": "signed-in sessions of the team",
        "django_tasks_database.DBTaskResult": "background tasks take ids, never personal data",
        "core.PeriodicRun": CODE,
    }
)
TEXT_FIELDS = (
    models.CharField,
    models.TextField,
    models.JSONField,
    models.FileField,
    models.GenericIPAddressField,
)


def unswept_text_columns() -> list[str]:
    """Text columns of installed tables that forget neither sweeps nor says why not."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        if label in NOT_SWEPT:
            continue
        for model_field in model._meta.concrete_fields:
            if not isinstance(model_field, TEXT_FIELDS):
                continue
            name = model_field.name
            if (
                name in MENTIONS.get(label, ())
                or FILE_SWEEPS.get(label) == name
                or f"{label}.{name}" in NOT_SWEPT
            ):
                continue
            found.append(f"{label}.{name}")
    return sorted(found)


def mention_tables() -> list[type[models.Model]]:
    """The installed models of the tables in MENTIONS and FILE_SWEEPS."""
    found = (installed(label) for label in dict.fromkeys([*MENTIONS, *FILE_SWEEPS]))
    return [model for model in found if model is not None]


def mention_owners() -> list[str]:
    """The services modules that sweep the tables in MENTIONS and FILE_SWEEPS."""
    found = set()
    for label in [*MENTIONS, *FILE_SWEEPS]:
        try:
            found.add(f"{apps.get_app_config(label.split('.')[0]).name}.services")
        except LookupError:
            continue  # that app does not exist yet
    return sorted(found)


@dataclass(frozen=True)
class Relation:
    key: str
    model: type[models.Model]
    field: models.Field
    policy: Policy | None

    @property
    def field_name(self) -> str:
        return self.field.name

    @property
    def column(self) -> str:
        """The id column, so foreign keys and plain id columns are filtered and set alike."""
        return self.field.attname

    def rows(self, contact_id: int) -> models.QuerySet:
        return self.model._default_manager.filter(**{self.column: contact_id})


def _names_a_contact(model_field: models.Field, contact_model: type[models.Model]) -> bool:
    remote = getattr(model_field, "remote_field", None)
    if remote is not None:
        return (model_field.many_to_one or model_field.one_to_one) and (
            remote.model is contact_model
        )
    # A plain integer column called contact_id (or *_contact_id) holds a contact's id too.
    return model_field.attname.endswith("contact_id") and isinstance(
        model_field, models.IntegerField
    )


def contact_relations() -> list[Relation]:
    """Every column naming a contact in every installed model: foreign keys (hidden and
    auto-created included) and plain `contact_id` columns."""
    contact_model = apps.get_model("contacts", "Contact")
    found = []
    for model in apps.get_models(include_auto_created=True):
        for model_field in model._meta.concrete_fields:
            if not _names_a_contact(model_field, contact_model):
                continue
            key = f"{model._meta.app_label}.{model.__name__}.{model_field.name}"
            found.append(Relation(key, model, model_field, POLICIES.get(key)))
    return sorted(found, key=lambda r: r.key)


def installed(label: str) -> type[models.Model] | None:
    """The model named "app_label.Model" if its app and its table exist yet, else None."""
    try:
        model = apps.get_model(label)
    except LookupError:
        return None
    return model if model._meta.db_table in connection.introspection.table_names() else None


def undeclared() -> list[str]:
    return [r.key for r in contact_relations() if r.policy is None]


def checked_relations() -> list[Relation]:
    """The relations whose tables exist, or Conflict naming the tables without a policy
    (nothing is written then)."""
    tables = set(connection.introspection.table_names())
    relations = [r for r in contact_relations() if r.model._meta.db_table in tables]
    missing = [r.key for r in relations if r.policy is None]
    if missing:
        raise Conflict(
            "These tables point at contacts but have no merge and forget policy yet: "
            + ", ".join(missing)
            + ". Their owner declares them with kartoteka.core.relations.declare."
        )
    return relations


def forget_mentions_in(
    model: type[models.Model],
    mentions: Mentions,
    *,
    rendered: Callable[[Any], dict[str, Any]] | None = None,
) -> int:
    """The usual sweep of one owner's table: every quote of the person in its MENTIONS columns
    replaced, row by row among the candidates; returns the rows changed. `rendered(row)`, given
    the row with its new text, names the columns derived from that text (a note's HTML), which
    are written with it."""
    fields = MENTIONS[model._meta.label]
    changed = 0
    for row in mentions.candidates(model._default_manager.all(), fields).iterator():
        values = {name: mentions.redact(getattr(row, name)) for name in fields}
        if all(values[name] == getattr(row, name) for name in fields):
            continue
        if rendered is not None:
            for name, value in values.items():
                setattr(row, name, value)
            values.update(rendered(row))
        model._default_manager.filter(pk=row.pk).update(**values)
        changed += 1
    return changed

"""Who sees which contact. Every read of contacts starts here, through every door.

An actor is a user or `SYSTEM`, the explicit actor of work nobody asked for in person
(imports run by the worker, recounts, scans, the CLI's admin operations, the demo). `None`
is never an actor: passing it raises TypeError, so a forgotten call site fails loudly."""

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

ADMIN = "admin"
SALES = "sales"


@dataclass(frozen=True)
class SystemActor:
    """The system acting on its own. Its reach is decided in `visible_contacts`: all."""

    pk: None = None
    id: None = None
    username: str = "system"
    role: str = ADMIN
    is_authenticated: bool = True
    is_active: bool = True
    is_admin: bool = True

    @property
    def display_name(self) -> str:
        return str(_("System"))

    def __str__(self) -> str:
        return self.display_name


SYSTEM = SystemActor()


def require_actor(actor):
    """`actor` itself; TypeError when it is None (None is never an actor)."""
    if actor is None:
        raise TypeError("None is not an actor: pass a user or core.scope.SYSTEM")
    return actor


def is_system(actor) -> bool:
    return require_actor(actor) is SYSTEM


# How the timeline names the system when it acts (shown translated).
SYSTEM_LABEL = "system"


def system_label(actor) -> str:
    """The timeline's actor label for `actor` when nobody gave one: the system's, or none."""
    return SYSTEM_LABEL if is_system(actor) else ""


def user_or_none(actor):
    """What a foreign key to the acting user stores: the user, or NULL for the system."""
    return None if is_system(actor) else actor


def is_admin(user) -> bool:
    require_actor(user)
    return bool(user.is_authenticated and user.is_active and user.role == ADMIN)


# How far an actor sees: every contact, none, or the ones they own.
ALL = "all"
NONE = "none"
OWNED = "owned"


def reach(actor) -> str:
    """The scope rule: the system and admins see every contact, sales users the ones they own,
    anonymous and inactive users none. `visible_contacts` and `visible_contact_condition` both
    answer from it."""
    require_actor(actor)
    if actor is SYSTEM:
        return ALL
    if not actor.is_authenticated or not actor.is_active:
        return NONE
    if actor.role == ADMIN:
        return ALL
    return OWNED


def visible_contacts(user) -> QuerySet:
    """Contacts `user` may see (see `reach`)."""
    contact_model = apps.get_model("contacts", "Contact")
    seen = reach(user)
    if seen == ALL:
        return contact_model.objects.all()
    if seen == NONE:
        return contact_model.objects.none()
    # A join: the planner reads the user's ownerships from their (user, contact) index.
    return contact_model.objects.filter(ownerships__user=user)


def visible_contact_ids(actor) -> QuerySet:
    """The ids of the contacts `actor` may see, as a query of `contact_id` values to use
    inside another (`contact_id__in=`): for a sales user read from their (user, contact)
    ownership index alone, without visiting the contacts. For an app that counts over many
    rows from the actor's side; a query that stops at its first rows wants
    `visible_contact_condition`."""
    owners = apps.get_model("contacts", "ContactOwner").objects
    seen = reach(actor)
    if seen == ALL:
        return apps.get_model("contacts", "Contact").objects.values_list("pk", flat=True)
    if seen == NONE:
        return owners.none().values_list("contact_id", flat=True)
    return owners.filter(user=actor).values_list("contact_id", flat=True)


def visible_contact_condition(actor, outer_ref: str = "contact_id") -> Q:
    """The same rule as a test of one contact, for another app's queryset: whether `actor` may
    see the contact whose id is the field `outer_ref` of the rows being filtered, e.g.
    `Deal.objects.filter(visible_contact_condition(user, "contact_id"))`.

    An EXISTS probe of the (user, contact) ownership index per row, where `contact_id__in=
    visible_contacts(user)` builds every owned contact first: a query that stops at its first
    rows (a board column, a page) tests only the rows it reads."""
    seen = reach(actor)
    if seen == ALL:
        return Q()
    if seen == NONE:
        return Q(pk__in=[])
    owners = apps.get_model("contacts", "ContactOwner").objects
    return Q(Exists(owners.filter(user=actor, contact_id=OuterRef(outer_ref))))


def can_see_contact(user, contact_id: int) -> bool:
    return visible_contacts(user).filter(pk=contact_id).exists()

"""Who sees which contact. Every read of contacts starts here, through every door.

An actor is a user or `SYSTEM`, the explicit actor of work nobody asked for in person
(imports run by the worker, recounts, scans, the CLI's admin operations, the demo). `None`
is never an actor: passing it raises TypeError, so a forgotten call site fails loudly."""

from dataclasses import dataclass

from django.apps import apps
from django.db.models import QuerySet
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


def visible_contacts(user) -> QuerySet:
    """Contacts `user` may see: all for the system and for admins, only the ones they own for
    sales users, none for anonymous or inactive users."""
    require_actor(user)
    contact_model = apps.get_model("contacts", "Contact")
    if user is SYSTEM:
        return contact_model.objects.all()
    if not user.is_authenticated or not user.is_active:
        return contact_model.objects.none()
    if user.role == ADMIN:
        return contact_model.objects.all()
    return contact_model.objects.filter(ownerships__user=user)


def can_see_contact(user, contact_id: int) -> bool:
    return visible_contacts(user).filter(pk=contact_id).exists()

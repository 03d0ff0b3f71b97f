"""Who sees which contact. Every read of contacts starts here, through every door."""

from django.apps import apps
from django.db.models import QuerySet

ADMIN = "admin"
SALES = "sales"


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role == ADMIN)


def visible_contacts(user) -> QuerySet:
    """Contacts `user` may see: all for admins, only the ones they own for sales users."""
    contact_model = apps.get_model("contacts", "Contact")
    if not user or not user.is_authenticated or not user.is_active:
        return contact_model.objects.none()
    if user.role == ADMIN:
        return contact_model.objects.all()
    return contact_model.objects.filter(ownerships__user=user)


def can_see_contact(user, contact_id: int) -> bool:
    return visible_contacts(user).filter(pk=contact_id).exists()

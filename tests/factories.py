"""factory-boy factories. Contacts go through the service so every invariant holds."""

import factory
from faker import Faker

from kartoteka.accounts.models import User
from kartoteka.contacts import services as contact_services
from kartoteka.core.scope import SYSTEM

fake = Faker(["es_ES", "pl_PL", "en_US"])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    role = "sales"
    password = factory.django.Password("correct horse battery")


_counter = iter(range(10**9))


def make_contact(actor=SYSTEM, **data):
    """Create a contact through contacts.services; e-mail made unique unless given."""
    n = next(_counter)
    data.setdefault("email", f"contact{n}@example.com")
    data.setdefault("first_name", fake.first_name())
    data.setdefault("last_name", fake.last_name())
    owners = data.pop("owners", None)
    if owners is not None:
        data["owners"] = [u.username if isinstance(u, User) else u for u in owners]
    return contact_services.create_contact(actor, data=data)


def make_deal(actor=SYSTEM, *, contacts=(), **data):
    """Create a deal through deals.services in the first pipeline unless told otherwise."""
    from kartoteka.deals import services as deal_services

    n = next(_counter)
    data.setdefault("name", f"Deal {n}")
    data.setdefault("amount", "1000.00")
    data["contacts"] = [c.pk for c in contacts]
    owner = data.get("owner")
    if isinstance(owner, User):
        data["owner"] = owner.username
    return deal_services.create_deal(actor, data=data)


def sales_pipeline():
    """The default "Sales" pipeline, made as on a new install's first use."""
    from kartoteka.deals.models import Pipeline
    from kartoteka.deals.services import install_defaults

    install_defaults()
    return Pipeline.objects.get(key="sales")

"""Fixtures of members' tests: the mailing tests' real SMTP server, and members."""

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from kartoteka.members.models import Credential, Member
from tests.factories import make_contact
from tests.mailing.conftest import _smtp_server, commit, newsletter, smtp  # noqa: F401

PASSWORD = "correct horse battery"


def make_member(email: str = "ana@example.com", *, password: str = PASSWORD, **data) -> Member:
    contact = make_contact(email=email, **data)
    member = Member.objects.create(contact=contact, member_since=timezone.now())
    Credential.objects.create(
        member=member, password=make_password(password), changed_at=timezone.now()
    )
    return member


@pytest.fixture
def member(db):
    return make_member(first_name="Ana", last_name="García")

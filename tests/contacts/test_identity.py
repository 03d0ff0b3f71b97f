"""Two contacts never share an e-mail address: the database enforces it, not only Python."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from kartoteka.contacts import services
from kartoteka.contacts.models import Contact, ContactEmail
from kartoteka.core.errors import Conflict
from tests.factories import UserFactory, make_contact


@pytest.mark.django_db
def test_database_refuses_a_second_row_with_the_same_folded_address(admin):
    contact = make_contact(admin, email="Ana@example.com")
    other = make_contact(admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactEmail.objects.create(
            contact=other, email="ANA@example.com", email_folded="ana@example.com"
        )
    assert ContactEmail.objects.get(email_folded="ana@example.com").contact_id == contact.pk


@pytest.mark.django_db
def test_address_taken_between_check_and_insert_is_a_conflict_with_nothing_written(
    admin, monkeypatch
):
    make_contact(admin, email="ana@example.com")
    # Simulate the race: the Python check sees the address free, the database does not.
    monkeypatch.setattr(services, "_ensure_emails_free", lambda *args, **kwargs: None)
    with pytest.raises(Conflict):
        services.create_contact(admin, data={"email": "ANA@example.com", "first_name": "Twin"})
    assert not Contact.objects.filter(first_name="Twin").exists()


@pytest.mark.django_db
def test_an_address_in_a_secondary_slot_is_taken_too(admin):
    make_contact(admin, email="main@example.com", emails=["main@example.com", "alt@example.com"])
    with pytest.raises(Conflict):
        make_contact(admin, email="ALT@example.com")


@pytest.mark.django_db
def test_local_part_is_kept_as_typed(admin):
    assert make_contact(admin, email="Ana.Garcia@Example.COM").email == "Ana.Garcia@example.com"


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_address_leave_one_contact():
    admin = UserFactory(username="racer", role="admin")
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def create(n: int) -> None:
        try:
            barrier.wait()
            services.create_contact(
                admin, data={"email": f"{'SAME' if n % 2 else 'same'}@example.com"}
            )
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # a lock timeout would be a failure worth seeing
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "created"]
    assert ContactEmail.objects.filter(email_folded="same@example.com").count() == 1

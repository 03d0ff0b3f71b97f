"""Failed sign-ins lock the account and the address (django-axes); admins unlock them."""

import pytest
from django.conf import settings
from django.db.models import F
from django.test import Client

from kartoteka.accounts.services import unlock_sign_in
from kartoteka.cli import main
from kartoteka.core.errors import Forbidden, InvalidInput

PASSWORD = "correct horse battery"  # what tests.factories.UserFactory gives everyone
LIMIT = settings.KARTOTEKA_SIGN_IN_FAILURE_LIMIT


def sign_in(client: Client, username: str, password: str, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def signed_in(client: Client) -> bool:
    return client.get("/contacts/").status_code == 200


def fail(times: int, username: str, address: str = "127.0.0.1") -> None:
    client = Client(REMOTE_ADDR=address)
    for _ in range(times):
        sign_in(client, username, "wrong password")


def test_sixty_wrong_passwords_then_the_right_one_does_not_sign_in(sales):
    client = Client()
    for _ in range(60):
        sign_in(client, sales.username, "wrong password")
    response = sign_in(client, sales.username, PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)


def test_a_few_wrong_passwords_do_not_lock(sales):
    fail(LIMIT - 1, sales.username)
    client = Client()
    assert sign_in(client, sales.username, PASSWORD).status_code == 302
    assert signed_in(client)


def test_the_lock_page_says_why_and_how_long(sales):
    fail(LIMIT, sales.username)
    response = sign_in(Client(), sales.username, PASSWORD)
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert f"locked for {settings.KARTOTEKA_SIGN_IN_LOCK_MINUTES} minutes".encode() in (
        response.content
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", "Demasiados intentos fallidos"),
        ("pl", "Zbyt wiele nieudanych prób logowania"),
    ],
)
def test_the_lock_message_is_translated(sales, language, expected):
    fail(LIMIT, sales.username)
    response = sign_in(Client(HTTP_ACCEPT_LANGUAGE=language), sales.username, PASSWORD)
    assert response.status_code == 429
    assert expected in response.content.decode()


def test_failures_on_many_accounts_lock_the_address(sales):
    for n in range(LIMIT):
        fail(1, f"guess{n}", address="203.0.113.7")
    assert sign_in(Client(REMOTE_ADDR="203.0.113.7"), sales.username, PASSWORD).status_code == 429
    other = Client(REMOTE_ADDR="198.51.100.2")
    assert sign_in(other, sales.username, PASSWORD).status_code == 302


def test_failures_from_many_addresses_lock_the_account(sales):
    for n in range(LIMIT):
        fail(1, sales.username, address=f"198.51.100.{n + 1}")
    assert sign_in(Client(REMOTE_ADDR="192.0.2.50"), sales.username, PASSWORD).status_code == 429


def test_admin_unlocks_an_account_from_team_settings(admin, sales):
    fail(LIMIT, sales.username)
    admin_client = Client()
    admin_client.force_login(admin)
    page = admin_client.get("/settings/users/")
    assert "Sign-in locked" in page.content.decode()
    response = admin_client.post("/settings/users/", {"action": "unlock", "id": sales.pk})
    assert response.status_code == 302
    assert "Sign-in locked" not in admin_client.get("/settings/users/").content.decode()
    client = Client()
    assert sign_in(client, sales.username, PASSWORD).status_code == 302
    assert signed_in(client)


def test_admin_unlocks_an_address_from_team_settings(admin, sales):
    for n in range(LIMIT):
        fail(1, f"guess{n}", address="203.0.113.7")
    admin_client = Client()
    admin_client.force_login(admin)
    assert "203.0.113.7" in admin_client.get("/settings/users/").content.decode()
    admin_client.post("/settings/users/", {"action": "unlock", "address": "203.0.113.7"})
    assert sign_in(Client(REMOTE_ADDR="203.0.113.7"), sales.username, PASSWORD).status_code == 302


def test_unlocking_a_bad_address_says_so(admin):
    admin_client = Client()
    admin_client.force_login(admin)
    response = admin_client.post("/settings/users/", {"action": "unlock", "address": "nope"})
    assert response.status_code == 422
    assert "nope is not an IP address" in response.content.decode()


def test_sales_user_cannot_unlock(sales, other_sales):
    fail(LIMIT, other_sales.username)
    with pytest.raises(Forbidden):
        unlock_sign_in(sales, username=other_sales.username)
    client = Client()
    client.force_login(sales)
    response = client.post("/settings/users/", {"action": "unlock", "id": other_sales.pk})
    assert response.status_code == 403
    assert sign_in(Client(), other_sales.username, PASSWORD).status_code == 429


def test_unlock_needs_an_account_or_an_address(admin):
    with pytest.raises(InvalidInput):
        unlock_sign_in(admin)


def test_cli_unlocks_an_account(sales, capsys):
    fail(LIMIT, sales.username)
    assert main(["unlock", sales.username]) == 0
    assert f"Unlocked account '{sales.username}'" in capsys.readouterr().out
    assert sign_in(Client(), sales.username, PASSWORD).status_code == 302


def test_cli_unlocks_an_address(sales, capsys):
    for n in range(LIMIT):
        fail(1, f"guess{n}", address="203.0.113.7")
    assert main(["unlock", "--address", "203.0.113.7"]) == 0
    assert "Unlocked address 203.0.113.7" in capsys.readouterr().out
    assert sign_in(Client(REMOTE_ADDR="203.0.113.7"), sales.username, PASSWORD).status_code == 302


def test_cli_unlock_without_a_target_fails(capsys):
    assert main(["unlock"]) == 2
    assert "name the account to unlock" in capsys.readouterr().err


def test_attempts_while_locked_are_not_written(sales):
    from axes.models import AccessAttempt

    fail(LIMIT + 50, sales.username)
    assert AccessAttempt.objects.get(username=sales.username).failures_since_start == LIMIT


def test_the_lock_ends_after_the_lock_time(sales):
    from datetime import timedelta

    from axes.models import AccessAttempt

    fail(LIMIT, sales.username)
    assert sign_in(Client(), sales.username, PASSWORD).status_code == 429
    minutes = settings.KARTOTEKA_SIGN_IN_LOCK_MINUTES
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes + 1))
    assert sign_in(Client(), sales.username, PASSWORD).status_code == 302

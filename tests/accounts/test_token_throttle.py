"""Wrong bearer tokens are counted per address; at the limit the address gets 429."""

from django.conf import settings
from django.test import Client

from kartoteka.accounts.services import unlock_sign_in

LIMIT = settings.KARTOTEKA_SIGN_IN_FAILURE_LIMIT


def me(token: str, address: str = "127.0.0.1"):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=address).get("/api/v1/me")


def test_hundred_wrong_tokens_get_429_with_retry_after(db):
    statuses = [me(f"kt_wrong{n}").status_code for n in range(100)]
    assert statuses[:LIMIT] == [401] * LIMIT
    assert set(statuses[LIMIT:]) == {429}
    response = me("kt_wrong")
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 429
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= settings.KARTOTEKA_SIGN_IN_LOCK_MINUTES * 60


def test_a_locked_address_is_refused_even_with_a_valid_token(sales_api):
    for n in range(LIMIT):
        me(f"kt_wrong{n}")
    assert me(sales_api.token).status_code == 429


def test_other_addresses_keep_working(sales_api):
    for n in range(LIMIT):
        me(f"kt_wrong{n}", address="203.0.113.7")
    assert me(sales_api.token, address="198.51.100.2").status_code == 200


def test_unlocking_the_address_lets_it_in_again(admin, sales_api):
    for n in range(LIMIT):
        me(f"kt_wrong{n}", address="203.0.113.7")
    unlock_sign_in(admin, address="203.0.113.7")
    assert me(sales_api.token, address="203.0.113.7").status_code == 200


def test_behind_a_proxy_the_forwarded_address_is_counted(sales_api, settings):
    settings.KARTOTEKA_PROXY_COUNT = 1
    proxy = "10.0.0.1"

    def via_proxy(token: str, client_address: str):
        return Client(
            HTTP_AUTHORIZATION=f"Bearer {token}",
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"1.2.3.4, {client_address}",
        ).get("/api/v1/me")

    for n in range(LIMIT):
        via_proxy(f"kt_wrong{n}", "203.0.113.7")
    assert via_proxy(sales_api.token, "203.0.113.7").status_code == 429
    assert via_proxy(sales_api.token, "198.51.100.2").status_code == 200

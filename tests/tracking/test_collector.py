"""The collector's own way in, ahead of Django's stack: hits answered there with every rule of
the view, on a connection the thread keeps; anything else on that path the usual way."""

import json
import threading
import time

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone, translation

from kartoteka.tracking import collector, services
from kartoteka.tracking.models import Hit
from kartoteka.tracking.views import HitForm
from tests.tracking.helpers import CHROME, ORIGIN, make_site, send, served

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)  # connections close as in production
def test_hits_keep_their_threads_database_connection():
    # Through Django's stack every request ended by closing the connection, and on SQLite the
    # next hit opened a new one: most of what a hit cost.
    site = make_site()
    assert send(site).status_code == 204
    kept = connection.connection
    assert kept is not None
    assert send(site).status_code == 204
    assert connection.connection is kept
    assert Hit.objects.count() == 2


def test_the_answer_carries_cors_and_no_content_and_headers_that_forbid_rendering():
    response = send(make_site())
    assert response.status_code == 204
    assert response.content == b""
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "Strict-Transport-Security" not in response.headers


def test_with_https_a_plain_http_hit_is_sent_to_https_and_a_secure_one_gets_hsts(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    site = make_site()
    assert send(site).status_code == 301
    assert not Hit.objects.exists()
    response = send(site, headers={"HTTP_X_FORWARDED_PROTO": "https"})
    assert response.status_code == 204
    assert response["Strict-Transport-Security"].startswith("max-age=3600")


def test_a_refusal_is_in_the_browsers_language_and_repeats_nothing():
    response = send(make_site(), v="<b>short</b>", headers={"HTTP_ACCEPT_LANGUAGE": "pl"})
    assert response.status_code == 400
    assert response["Content-Language"] == "pl"
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    detail = response.json()["detail"]
    assert detail.startswith("v: ") and "visitor" not in detail and "<b>" not in detail
    assert int(response["Content-Length"]) == len(response.content)


def test_a_database_failure_is_a_500_and_the_next_hit_gets_a_sound_connection(monkeypatch):
    site = make_site()
    closed = []
    monkeypatch.setattr(connection, "close", lambda: closed.append(True))

    def fail(*args):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(services, "_queue_hit", fail)
    response = send(site)
    assert response.status_code == 500
    assert b"disk" not in response.content
    assert closed == [True]


@pytest.mark.parametrize(
    ("method", "path", "extra", "status"),
    [
        ("GET", "/t/collect", {}, 405),
        ("OPTIONS", "/t/collect", {}, 204),
        ("POST", "/t/collect?x=1", {}, 204),
        ("POST", "/t/collect", {"HTTP_HOST": "evil.example.net"}, 400),
    ],
)
def test_anything_else_on_the_path_takes_djangos_way(method, path, extra, status):
    # The app's pages' policy marks Django's answers; the collector has a stricter one.
    site = make_site()
    body = json.dumps({"s": site.key, "v": "visitor-0001", "k": "view", "u": f"{ORIGIN}/"})
    response = served(
        method,
        path,
        body,
        content_type="text/plain",
        HTTP_ORIGIN=ORIGIN,
        HTTP_USER_AGENT=CHROME,
        **extra,
    )
    assert response.status_code == status
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert send(site)["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_other_paths_are_djangos():
    response = served("GET", "/t.js")
    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_the_security_middleware_is_built_once_and_again_after_a_setting_changes(settings):
    # Built for every hit it read its settings every time; its rules still follow them.
    site = make_site()
    assert send(site).status_code == 204
    built = collector._security()
    assert send(site).status_code == 204
    assert collector._security() is built
    settings.SECURE_HSTS_SECONDS = 60
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = send(site, headers={"HTTP_X_FORWARDED_PROTO": "https"})
    assert response["Strict-Transport-Security"] == "max-age=60"
    assert collector._security() is not built


def test_a_hit_taken_builds_no_form_and_a_refused_one_is_mapped_by_it(monkeypatch):
    built = []
    original = HitForm.__init__

    def spy(form, *args, **kwargs):
        built.append(True)
        original(form, *args, **kwargs)

    monkeypatch.setattr(HitForm, "__init__", spy)
    site = make_site()
    assert send(site).status_code == 204
    assert built == []
    assert send(site, origin="https://evil.example.net").status_code == 403
    assert built == [True]


def test_the_language_of_one_hit_does_not_stay_for_the_next():
    site = make_site()
    refused = send(site, v="short", headers={"HTTP_ACCEPT_LANGUAGE": "es"})
    assert (refused.status_code, refused["Content-Language"]) == (400, "es")
    assert translation.get_language() == "en"
    taken = send(site)
    assert (taken.status_code, taken["Content-Language"]) == (204, "en")
    refused = send(site, v="short")
    assert refused.json()["detail"] == "v: The visitor id is missing or malformed."


def test_the_queued_hit_keeps_its_time_and_payload():
    site = make_site()
    before = timezone.now()
    assert send(site, t="Żółw 🐢", r="https://news.example.org/").status_code == 204
    hit = Hit.objects.get()
    assert before <= hit.received_at <= timezone.now()
    assert hit.data == {
        "url": "https://shop.example.com/",
        "ua": CHROME,
        "title": "Żółw 🐢",
        "referrer": "https://news.example.org/",
    }


postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="statements PostgreSQL prepares"
)


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


@postgresql_only
@pytest.mark.django_db(transaction=True)  # no test transaction rolled back around it
def test_on_postgresql_the_hits_insert_is_prepared_once_per_connection_and_nothing_else_is():
    site = make_site()
    for n in range(3):
        assert send(site, visitor=f"visitor-{n:04d}").status_code == 204
    prepared = _prepared_statements()
    assert len(prepared) == 1 and prepared[0].startswith("INSERT INTO tracking_hit")
    assert sorted(Hit.objects.values_list("visitor", flat=True)) == [
        "visitor-0000",
        "visitor-0001",
        "visitor-0002",
    ]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_behind_a_pooler_in_transaction_mode_nothing_is_prepared(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    site = make_site()
    assert send(site).status_code == 204
    assert _prepared_statements() == []
    assert Hit.objects.count() == 1


@postgresql_only
def test_on_postgresql_a_hit_after_a_rollback_prepares_its_insert_again():
    # A rollback makes psycopg forget (and deallocate) what it prepared; the next hit must not
    # name a statement the server no longer has.
    site = make_site()
    assert send(site).status_code == 204
    try:
        with transaction.atomic():
            assert send(site, visitor="visitor-0002").status_code == 204
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    assert send(site, visitor="visitor-0003").status_code == 204
    assert sorted(Hit.objects.values_list("visitor", flat=True)) == [
        "visitor-0001",
        "visitor-0003",
    ]


def _queue_from_threads(monkeypatch, hits: list[list]) -> tuple[list, list[int]]:
    """Each of `hits` (a hit's values) queued by a thread of its own, all at once, the first
    statement slowed down so that the others arrive while it runs; what each thread met
    (None, or the error it raised; whether its hit was visible to it once answered) and the
    number of hits in each statement."""
    sizes: list[int] = []
    real = services.execute_prepared

    def slowed(sql: str, params: list) -> None:
        if not sizes:
            time.sleep(0.3)
        sizes.append(len(params) // 5)
        real(sql, params)

    monkeypatch.setattr(services, "execute_prepared", slowed)
    start = threading.Barrier(len(hits))
    outcome: list = [None] * len(hits)

    def thread(n: int) -> None:
        start.wait()
        try:
            services._queue_hit(*hits[n])
            # Answered only once written and committed: seen from this thread's own connection.
            outcome[n] = Hit.objects.filter(visitor=hits[n][1]).exists()
        except Exception as error:  # noqa: BLE001 - the test reports what each thread met
            outcome[n] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=thread, args=(n,)) for n in range(len(hits))]
    for each in threads:
        each.start()
    for each in threads:
        each.join(timeout=30)
    return outcome, sizes


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_hits_queued_at_once_share_one_insert_and_each_is_answered_once_committed(
    monkeypatch,
):
    site = make_site()
    data = {"url": f"{ORIGIN}/", "ua": CHROME}
    hits = [[site.pk, f"visitor-{n:04d}", "view", data] for n in range(6)]
    outcome, sizes = _queue_from_threads(monkeypatch, hits)
    assert outcome == [True] * 6
    assert sum(sizes) == 6 and max(sizes) > 1
    assert Hit.objects.count() == 6


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_hit_that_fails_in_a_shared_insert_fails_alone(monkeypatch):
    site = make_site()
    data = {"url": f"{ORIGIN}/", "ua": CHROME}
    hits = [[site.pk, f"visitor-{n:04d}", "view", data] for n in range(4)]
    hits[2][0] = site.pk + 1000  # a site deleted since it was read
    outcome, sizes = _queue_from_threads(monkeypatch, hits)
    assert outcome[:2] == [True, True] and outcome[3] is True
    assert isinstance(outcome[2], IntegrityError)
    assert sorted(Hit.objects.values_list("visitor", flat=True)) == [
        "visitor-0000",
        "visitor-0001",
        "visitor-0003",
    ]

"""core.ratelimit counts requests per group and key in the throttle cache."""
# Rates are per hour: django-ratelimit counts in fixed windows, and a window ending between two
# requests of a test would reset its count.

from django.test import RequestFactory

from kartoteka.core.ratelimit import over_limit


def _request(address: str, email: str = "ana@example.com"):
    return RequestFactory().post("/subscribe/x", {"email": email}, REMOTE_ADDR=address)


def test_a_door_refuses_an_address_over_its_rate_and_no_other():
    answers = [over_limit(_request("10.0.0.1"), group="test.door", rate="3/h") for _ in range(4)]
    assert answers == [False, False, False, True]
    assert not over_limit(_request("10.0.0.2"), group="test.door", rate="3/h")
    assert not over_limit(_request("10.0.0.1"), group="test.other-door", rate="3/h")


def test_a_door_can_count_per_submitted_address():
    for address in ("10.0.0.1", "10.0.0.2"):
        assert not over_limit(_request(address), group="test.email", rate="2/h", key="post:email")
    assert over_limit(_request("10.0.0.3"), group="test.email", rate="2/h", key="post:email")
    assert not over_limit(
        _request("10.0.0.3", "eva@example.com"), group="test.email", rate="2/h", key="post:email"
    )


def test_a_door_counted_in_the_process_refuses_an_address_over_its_rate():
    from kartoteka.core.ratelimit import over_address_limit_here

    answers = [
        over_address_limit_here(_request("10.0.0.9"), group="test.here", rate="2/h")
        for _ in range(3)
    ]
    assert answers == [False, False, True]
    assert not over_address_limit_here(_request("10.0.0.8"), group="test.here", rate="2/h")

"""Generating coupons for many contacts reads and writes per chunk, not per contact: the number
of queries stays the same however many contacts get one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kartoteka.commerce import services
from kartoteka.commerce.models import Coupon
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _queries_to_generate(admin, count: int) -> int:
    ids = [make_contact().pk for _ in range(count)]
    with CaptureQueriesContext(connection) as captured:
        made = services.generate_coupons(
            admin, ids, prefix="SPRING-", valid_until="2030-01-01", description="10% off"
        )
    assert made == count
    return len(captured.captured_queries)


def test_coupons_for_forty_contacts_take_as_many_queries_as_for_four(admin):
    assert _queries_to_generate(admin, 4) == _queries_to_generate(admin, 40)
    assert Coupon.objects.filter(code__startswith="SPRING-").count() == 44

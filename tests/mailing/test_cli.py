"""`kartoteka lists` and `kartoteka lists subscribe`."""

import json

from kartoteka.cli import main
from kartoteka.mailing.models import Subscription
from tests.factories import make_contact
from tests.mailing.helpers import grant


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_lists_prints_each_list_with_its_counts(capsys, newsletter):
    contact = make_contact()
    grant(contact)
    run(capsys, "lists", "subscribe", "newsletter", "--filter", json.dumps({"all": []}))
    code, out, _err = run(capsys, "lists")
    assert code == 0
    assert "newsletter" in out and " 1 " in out


def test_subscribe_a_filter_prints_the_counts_and_reasons(capsys, newsletter):
    grant(make_contact(tags=["vip"]))
    make_contact(tags=["vip"])
    code, out, _err = run(
        capsys,
        "lists",
        "subscribe",
        "newsletter",
        "--filter",
        json.dumps({"field": "tags", "op": "has_any", "value": ["vip"]}),
    )
    assert code == 0
    assert "1 subscribed" in out
    assert "1 refused" in out
    assert Subscription.objects.count() == 1


def test_subscribe_a_segment_with_double_opt_in(capsys, newsletter, admin):
    from kartoteka.segments.services import create_segment

    make_contact()
    segment = create_segment(admin, name="Everyone", document={"all": []})
    code, out, _err = run(
        capsys, "lists", "subscribe", "newsletter", "--segment", str(segment.pk), "--double-opt-in"
    )
    assert code == 0
    assert "1 waiting for confirmation" in out


def test_an_unknown_list_fails_with_a_message(capsys, db):
    code, _out, err = run(capsys, "lists", "subscribe", "nope", "--filter", "{}")
    assert code == 2
    assert "nope" in err


def test_a_filter_that_is_not_json_fails_with_a_message(capsys, newsletter):
    code, _out, err = run(capsys, "lists", "subscribe", "newsletter", "--filter", "{oops")
    assert code == 2
    assert "JSON" in err

"""The `kartoteka segments` command."""

from kartoteka.cli import main
from tests.factories import make_contact
from tests.segments.helpers import define_details


def test_count_prints_the_matching_contacts(admin, capsys):
    make_contact(admin, tags=["vip"])
    make_contact(admin)
    assert main(["segments", "count", "--q", "tag:vip"]) == 0
    assert capsys.readouterr().out.strip() == "1"


def test_count_refuses_a_bad_filter_with_exit_2(db, capsys):
    assert main(["segments", "count", "--filter", '{"field": "nope"}']) == 2
    assert "Unknown field 'nope'" in capsys.readouterr().err


def test_index_creates_the_custom_detail_indexes(admin, capsys):
    define_details(admin)
    assert main(["segments", "index"]) == 0
    assert "7 custom details indexed" in capsys.readouterr().out
    assert main(["segments", "index"]) == 0  # safe to run twice

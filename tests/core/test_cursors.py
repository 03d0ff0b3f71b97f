"""Keyset cursors round-trip and refuse anything else."""

import pytest

from kartoteka.core.cursors import decode_cursor, encode_cursor
from kartoteka.core.errors import InvalidInput


def test_cursor_round_trips():
    assert decode_cursor(encode_cursor("2024-01-01T00:00:00+00:00", 42), size=2) == [
        "2024-01-01T00:00:00+00:00",
        42,
    ]


@pytest.mark.parametrize("cursor", ["", "!!!", "bm9wZQ", encode_cursor(1, 2, 3)])
def test_foreign_cursor_is_invalid_input(cursor):
    with pytest.raises(InvalidInput) as error:
        decode_cursor(cursor, size=2)
    assert "cursor" in error.value.errors

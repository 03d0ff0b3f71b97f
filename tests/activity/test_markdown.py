"""Notes and comments never put raw HTML, scripts or javascript: links on a page."""

import pytest

from kartoteka.activity import services


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "hello <img src=x onerror=alert(1)>",
        '<a href="#" onclick="alert(1)">x</a>',
        "<svg onload=alert(1)>",
        "<iframe src='https://evil.example'></iframe>",
    ],
)
def test_raw_html_in_a_note_is_shown_as_text(admin, contact, body):
    note = services.add_note(admin, contact, body=body)
    assert "<script" not in note.body_html
    assert "<img" not in note.body_html
    assert "<svg" not in note.body_html
    assert "<iframe" not in note.body_html
    assert "<a " not in note.body_html
    assert "&lt;" in note.body_html  # shown to the reader as the text they typed


@pytest.mark.parametrize(
    "link",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<javascript:alert(1)>",
    ],
)
def test_javascript_links_in_a_comment_are_not_links(admin, contact, link):
    comment = services.add_comment(admin, contact, body=link)
    assert "href" not in comment.body_html


def test_event_handler_attributes_never_reach_the_html(admin, contact):
    note = services.add_note(
        admin, contact, body='<p onmouseover="alert(1)">hi</p>\n\n[ok](https://example.com)'
    )
    assert "<p onmouseover" not in note.body_html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">ok</a>' in (
        note.body_html
    )


def test_markdown_formatting_is_rendered(admin, contact):
    note = services.add_note(admin, contact, body="**Offer** sent\n\n- one\n- two")
    assert "<strong>Offer</strong>" in note.body_html
    assert "<li>one</li>" in note.body_html


def test_timeline_payload_of_a_comment_carries_sanitised_html(admin, contact):
    services.add_comment(admin, contact, body="<script>x</script> **ok**")
    entry = contact.activities.get(kind="comment_added")
    assert "<script" not in entry.payload["html"]
    assert entry.payload["body"] == "<script>x</script> **ok**"

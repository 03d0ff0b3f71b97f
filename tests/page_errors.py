"""Reading a page's form errors as a person sees them: the messages shown after a field."""

import html
import re

_LIST = re.compile(r'<ul class="field-errors?"[^>]*>(.*?)</ul>', re.S)
_ITEM = re.compile(r"<li>(.*?)</li>", re.S)
# The settings pages sum every error up above the page (web/settings/base.html).
_SUMMARY = re.compile(r'<div class="form-errors" role="alert">(.*?)</div>', re.S)
_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
_CONTROL = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')


def _messages(fragment: str) -> list[str]:
    return [
        html.unescape(item).strip()
        for found in _LIST.findall(fragment)
        for item in _ITEM.findall(found)
    ]


def field_errors(page: str, name: str, *, nth: int = 0) -> list[str]:
    """The messages shown between the nth control named `name` and the next control."""
    controls = list(_CONTROL.finditer(page))
    mine = [i for i, c in enumerate(controls) if c.group(1) == name]
    assert len(mine) > nth, f"no control named {name!r} on the page"
    index = mine[nth]
    start = controls[index].end()
    end = controls[index + 1].start() if index + 1 < len(controls) else len(page)
    return _messages(page[start:end])


def all_errors(page: str) -> list[str]:
    """Every form error message on the page, at its field or summed up above the page."""
    summed = [
        html.unescape(item).strip()
        for found in _SUMMARY.findall(page)
        for item in _PARAGRAPH.findall(found)
    ]
    return _messages(page) + summed

"""Markdown of notes and comments rendered to HTML that is safe to put on a page.

markdown-it escapes raw HTML and refuses `javascript:` links; nh3 then removes anything that still
is not on the allow-list, so a bug in either one alone cannot let a script through.
"""

import re
from collections.abc import Iterable

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(
    ["table", "strikethrough"]
)

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

# A mention is "@" + a username, not preceded by a word character (so e-mail addresses are not
# mentions) and not ending in punctuation ("ask @olga." mentions olga).
MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]*\w)")
_TAG = re.compile(r"(<[^>]*>)")


def mentioned_names(text: str) -> list[str]:
    """The usernames written as @name in `text`, in order, without repeats."""
    seen: dict[str, str] = {}
    for match in MENTION.finditer(text):
        seen.setdefault(match.group(1).casefold(), match.group(1))
    return list(seen.values())


def render_markdown(text: str, *, mentions: Iterable[str] = ()) -> str:
    """Sanitised HTML for `text`; the @names listed in `mentions` are highlighted."""
    html = _markdown.render(text)
    wanted = {name.casefold() for name in mentions}
    if wanted:
        html = _highlight_mentions(html, wanted)
    return sanitise(html)


def sanitise(html: str) -> str:
    """`html` with only the allow-listed tags, attributes and link schemes left."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes={"span": {"mention"}},
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _highlight_mentions(html: str, wanted: set[str]) -> str:
    """Wrap known mentions in text (never inside tags, links or code) in a span."""
    parts = _TAG.split(html)
    inside = 0  # depth of <a>, <code> and <pre>, whose text is left alone
    for index, part in enumerate(parts):
        if part.startswith("<"):
            name = part.strip("</>").split()[0].lower() if part.strip("</>") else ""
            if name in {"a", "code", "pre"}:
                inside += -1 if part.startswith("</") else 1
            continue
        if inside:
            continue
        parts[index] = MENTION.sub(
            lambda m: (
                f'<span class="mention">{m.group(0)}</span>'
                if m.group(1).casefold() in wanted
                else m.group(0)
            ),
            part,
        )
    return "".join(parts)

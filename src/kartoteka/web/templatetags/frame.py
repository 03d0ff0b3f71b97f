"""Template tags of the page frame: navigation and widgets from the registry."""

from django import template
from django.urls import NoReverseMatch, reverse

from kartoteka.web import registry

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_links(context) -> dict[str, list[dict]]:
    """The user's navigation entries with their address and whether the page is under it:
    "main" shown in the bar, "more" under its More menu."""
    request = context.get("request")
    user = getattr(request, "user", None)
    path = request.path if request else ""
    links = []
    for item in registry.nav_items(user):
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:  # an app whose pages are not mounted yet
            continue
        links.append({"key": item.key, "label": item.label, "url": url, "more": item.more})
    # The longest matching prefix wins, so /contacts/ is not active on /contacts-something/.
    best = max(
        (link for link in links if path.startswith(link["url"])),
        default=None,
        key=lambda link: len(link["url"]),
    )
    for link in links:
        link["active"] = link is best
    return {
        "main": [link for link in links if not link["more"]],
        "more": [link for link in links if link["more"]],
    }


@register.simple_tag(takes_context=True)
def settings_pages(context) -> list[registry.SettingsPage]:
    request = context.get("request")
    return registry.settings_pages(getattr(request, "user", None))


@register.simple_tag
def frame_widgets() -> list[registry.FrameWidget]:
    return registry.frame_widgets()


@register.simple_tag(takes_context=True)
def selection_actions(context) -> list[dict]:
    """The buttons apps add to the contact list's selection bar, with their address."""
    request = context.get("request")
    return [
        {"key": action.key, "label": action.label, "url": reverse(action.url_name)}
        for action in registry.selection_actions(getattr(request, "user", None))
    ]


@register.simple_tag(takes_context=True)
def segment_actions(context, segment_id: int) -> list[dict]:
    """The links apps add to a row of the Segments page, with their address."""
    request = context.get("request")
    return [
        {
            "key": action.key,
            "label": action.label,
            "url": reverse(action.url_name, kwargs={"segment_id": segment_id}),
        }
        for action in registry.segment_actions(getattr(request, "user", None))
    ]

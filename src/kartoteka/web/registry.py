"""Extension points of the web frame and the contact card.

Domain apps register their navigation entries, settings pages, card sections, card tabs, card
actions, the card header's summary items and frame widgets here from their AppConfig.ready(),
so the web app never imports their views and they never edit the web app's templates.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Any  # a lazy translation
    url_name: str
    order: int = 100
    admin_only: bool = False
    more: bool = False  # shown under "More", for pages people open less often


@dataclass(frozen=True)
class CardSection:
    """A section of the card dashboard: a fragment the card loads (and reloads) on its own.

    `template` renders the section body with the context {request, user, contact, **load(...)};
    `load(request, contact)` runs the section's reads (through the app's queries.py).
    `has_data(contact)` says whether the section can apply to this contact at all (e.g. custom
    details when none are defined); one that applies but holds nothing yet is shown, and its
    template says so in one sentence with the action that fills it.
    `count(context)` is the figure its title carries, taken from what `load` returned (never a
    query of its own): a number, a short text ("2 open"), or None for no figure. The template
    ends with `{% section_count "key" %}` (web's `dashboard` tags), which sends the figure to
    the title each time the fragment is loaded or re-rendered after a write.
    """

    key: str
    title: Any
    template: str
    load: Callable[[HttpRequest, Any], dict] = field(default=lambda request, contact: {})
    has_data: Callable[[Any], bool] = field(default=lambda contact: True)
    order: int = 100
    count: Callable[[dict], Any] | None = None

    def count_of(self, context: dict) -> str:
        """The title's figure for this rendered context, as text ("" for none)."""
        if self.count is None:
            return ""
        figure = self.count(context)
        return "" if figure is None else str(figure)


@dataclass(frozen=True)
class CardTab:
    """A left-hand tab of the card leading to a detailed view (url_name takes `contact_id`)."""

    key: str
    label: Any
    url_name: str
    order: int = 100
    admin_only: bool = False


@dataclass(frozen=True)
class CardAction:
    """An entry of the card header's Actions menu (url_name takes `contact_id`).

    A `primary` action stands beside the menu as the header's one button (the first primary
    one, in order, if several are registered). An action with a `section` leads to that section
    of the card's dashboard (url_name is then the card itself) and puts the focus in its form.
    """

    key: str
    label: Any
    url_name: str
    order: int = 100
    admin_only: bool = False
    method: str = "get"  # "post" actions are sent as a form with the CSRF token
    confirm: Any = ""  # a question asked before a "post" action, if any
    danger: bool = False
    primary: bool = False
    section: str = ""
    # For an action that switches something on or off: the contact's current state, so the
    # card shows it and names the button for what it will do.
    state: Callable[[Any], "ActionState"] | None = None

    def shown_for(self, contact) -> "ShownAction":
        current = self.state(contact) if self.state else None
        return ShownAction(
            action=self,
            label=current.label if current else self.label,
            badge=current.badge if current else "",
            badge_class=current.badge_class if current else "",
            fields=current.fields if current else {},
        )


@dataclass(frozen=True)
class ActionState:
    """What a switching card action shows for one contact."""

    label: Any  # the button, named for what it does now ("Stop monitoring")
    badge: Any  # the current state ("Monitored")
    badge_class: str = ""  # "on" or "off"
    fields: dict = field(default_factory=dict)  # hidden inputs sent with the button


@dataclass(frozen=True)
class ShownAction:
    """A card action as one contact's card shows it."""

    action: CardAction
    label: Any
    badge: Any = ""
    badge_class: str = ""
    fields: dict = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        if name == "action":  # not set yet (copying): no recursion
            raise AttributeError(name)
        return getattr(self.action, name)


@dataclass(frozen=True)
class SummaryChip:
    """A small on/off mark inside a summary figure, e.g. the e-mail consent."""

    text: Any
    tone: str = ""  # "on", "off" or "danger"
    note: Any = ""  # what the tone means, said to screen readers and shown on hover


@dataclass(frozen=True)
class SummaryFigure:
    """What a summary item shows on one contact's card.

    A figure has a `label` and a `value` (a number, a Decimal, a datetime or text; `unit`
    follows it, e.g. the currency) with an optional `detail` line; a figure with a `tone` and no
    label is a badge ("Member"); `chips` are shown instead of the value.
    """

    label: Any = ""
    value: Any = ""
    unit: str = ""
    detail: Any = ""
    tone: str = ""
    chips: tuple[SummaryChip, ...] = ()
    # A field of the card header that edits this figure in place (see contacts.card).
    field: str = ""

    @property
    def is_date(self) -> bool:
        return isinstance(self.value, dt.date)


@dataclass(frozen=True)
class CardSummaryItem:
    """A figure in the summary strip under the card header's name: the numbers a salesperson
    looks for first (score, lifetime value, open deals, last activity, consents, badges).

    `load(request, contact)` reads it in at most one query and returns a SummaryFigure, or None
    when the contact has nothing to show there (the item is then left out). The figure links to
    the dashboard section `section` (`#section-KEY`), or to the tab `url_name` (which takes
    `contact_id`) when there is no section or the user has hidden it.
    """

    key: str
    load: Callable[[HttpRequest, Any], SummaryFigure | None]
    section: str = ""
    url_name: str = ""
    order: int = 100


@dataclass(frozen=True)
class SettingsPage:
    """A page under Settings, listed in the settings menu. Its template extends
    "web/settings/base.html" and passes `section` = key, so the menu marks it."""

    key: str
    label: Any  # a lazy translation
    url_name: str
    order: int = 100
    admin_only: bool = True


@dataclass(frozen=True)
class ContactColumn:
    """A column an app adds to the contact list and to exports. `load(contact_ids)` reads the
    values of a page of the list (or a chunk of an export) at once, {contact id: value};
    `text(value)` is what a list cell shows, `export(value)` what a file cell holds.
    A column that sorts gives `sort`, an expression on Contact (its value_type says how a page
    link carries the sort value: text, int, float, datetime); contacts without a value come
    last in both directions."""

    key: str
    label: Any
    load: Callable[[list[int]], dict[int, Any]]
    text: Callable[[Any], str] = str
    export: Callable[[Any], Any] = lambda value: value
    order: int = 100
    sort: Any = None
    value_type: str = "text"


@dataclass(frozen=True)
class FrameWidget:
    """A small template included in the top bar of every page (e.g. the notifications badge)."""

    key: str
    template: str
    order: int = 100


def card_url(contact_id: int) -> str:
    """The contact card's address, for other apps' redirects and links."""
    return reverse("web:contact-card", kwargs={"contact_id": contact_id})


_nav: dict[str, NavItem] = {}
_sections: dict[str, CardSection] = {}
_tabs: dict[str, CardTab] = {}
_actions: dict[str, CardAction] = {}
_summary: dict[str, CardSummaryItem] = {}
_widgets: dict[str, FrameWidget] = {}
_settings_pages: dict[str, SettingsPage] = {}
_columns: dict[str, ContactColumn] = {}


def register_nav(item: NavItem) -> None:
    _nav[item.key] = item


def register_settings_page(page: SettingsPage) -> None:
    _settings_pages[page.key] = page


def register_card_section(section: CardSection) -> None:
    _sections[section.key] = section


def register_card_tab(tab: CardTab) -> None:
    _tabs[tab.key] = tab


def register_card_action(action: CardAction) -> None:
    _actions[action.key] = action


def register_card_summary_item(item: CardSummaryItem) -> None:
    _summary[item.key] = item


def register_contact_column(column: ContactColumn) -> None:
    _columns[column.key] = column


def register_frame_widget(widget: FrameWidget) -> None:
    _widgets[widget.key] = widget


def _for(user, items) -> list:
    admin = bool(getattr(user, "is_admin", False))
    return sorted((i for i in items if admin or not i.admin_only), key=lambda i: (i.order, i.key))


def nav_items(user) -> list[NavItem]:
    return _for(user, _nav.values())


def settings_pages(user) -> list[SettingsPage]:
    return _for(user, _settings_pages.values())


def card_sections() -> list[CardSection]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def card_section(key: str) -> CardSection | None:
    return _sections.get(key)


def card_tabs(user) -> list[CardTab]:
    return _for(user, _tabs.values())


def card_actions(user) -> list[CardAction]:
    return _for(user, _actions.values())


def shown_card_actions(user, contact) -> list[ShownAction]:
    return [action.shown_for(contact) for action in card_actions(user)]


def card_summary_items() -> list[CardSummaryItem]:
    return sorted(_summary.values(), key=lambda i: (i.order, i.key))


def contact_columns() -> list[ContactColumn]:
    return sorted(_columns.values(), key=lambda c: (c.order, c.key))


def frame_widgets() -> list[FrameWidget]:
    return sorted(_widgets.values(), key=lambda w: (w.order, w.key))


@dataclass(frozen=True)
class SelectionAction:
    """A button of the contact list's selection bar: it posts the ticked contacts (`ids`) and
    the list's address (`next`) to `url_name`, whose page takes it from there."""

    key: str
    label: Any
    url_name: str
    order: int = 100
    admin_only: bool = False


_selection_actions: dict[str, SelectionAction] = {}


def register_selection_action(action: SelectionAction) -> None:
    _selection_actions[action.key] = action


def selection_actions(user) -> list[SelectionAction]:
    return _for(user, _selection_actions.values())


@dataclass(frozen=True)
class SegmentAction:
    """A link on each row of the Segments page to another app's page of the segment
    (`url_name` takes the segment's id), e.g. the best hours to reach its contacts."""

    key: str
    label: Any
    url_name: str
    order: int = 100
    admin_only: bool = False


_segment_actions: dict[str, SegmentAction] = {}


def register_segment_action(action: SegmentAction) -> None:
    _segment_actions[action.key] = action


def segment_actions(user) -> list[SegmentAction]:
    return _for(user, _segment_actions.values())

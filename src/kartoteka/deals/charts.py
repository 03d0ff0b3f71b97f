"""Horizontal bar charts drawn as SVG on the server for the sales reports: one or two series
per row (a value and its weighted part), the figures on hover (each mark's <title>); the
tables beside them carry the same numbers for reading and screen readers."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

ROW = 22
LABEL_WIDTH = 150
BAR_WIDTH = 260
VALUE_WIDTH = 90


@dataclass(frozen=True)
class Row:
    label: str
    value: Decimal | int | float
    # A second, smaller figure drawn inside the first (the weighted value of a stage).
    part: Decimal | int | float | None = None


def _short(label: str, limit: int = 22) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _figure(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def bar_rows(title: str, rows: Sequence[Row]) -> SafeString:
    """One bar per row, longest value full width, labels left and figures right."""
    largest = max((float(r.value or 0) for r in rows), default=0) or 1
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = max(len(rows), 1) * ROW + 4
    marks = []
    for index, row in enumerate(rows):
        y = index * ROW + 2
        length = round(float(row.value or 0) / largest * BAR_WIDTH)
        part = (
            format_html(
                '<rect class="deal-chart-part" x="{}" y="{}" width="{}" height="{}"></rect>',
                LABEL_WIDTH,
                y + 3,
                round(float(row.part or 0) / largest * BAR_WIDTH),
                ROW - 10,
            )
            if row.part is not None
            else ""
        )
        hover = _figure(row.value) + (f" / {_figure(row.part)}" if row.part is not None else "")
        marks.append(
            format_html(
                '<g class="deal-chart-mark"><title>{}: {}</title>'
                '<text class="deal-chart-label" x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="deal-chart-bar" x="{}" y="{}" width="{}" height="{}"></rect>{}'
                '<text class="deal-chart-value" x="{}" y="{}">{}</text></g>',
                row.label,
                hover,
                LABEL_WIDTH - 6,
                y + ROW - 8,
                _short(row.label),
                LABEL_WIDTH,
                y,
                length,
                ROW - 4,
                part,
                LABEL_WIDTH + length + 4,
                y + ROW - 8,
                _figure(row.value),
            )
        )
    return format_html(
        '<svg class="deal-chart" viewBox="0 0 {} {}" role="img" aria-label="{}"'
        ' preserveAspectRatio="xMinYMin meet">{}</svg>',
        width,
        height,
        title,
        mark_safe("".join(str(m) for m in marks)),  # each mark is escaped above
    )

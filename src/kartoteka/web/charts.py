"""Charts drawn as SVG on the server, for any page of the frame: no charting library to fetch,
the numbers on hover (each mark's <title>) and in a table for screen readers.

Colours come from the stylesheet (classes `chart-bar`, `chart-cell`); a heatmap cell's strength
is its fill-opacity, an SVG attribute, so the strict content policy needs no inline style."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from kartoteka.core import display

BAR_AREA_HEIGHT = 120
LABEL_HEIGHT = 18
GAP = 2


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> SafeString:
    head = format_html_join("", "<th scope='col'>{}</th>", ((h,) for h in header))
    body = format_html_join(
        "",
        "<tr><th scope='row'>{}</th>{}</tr>",
        (
            (row[0], format_html_join("", "<td>{}</td>", ((cell,) for cell in row[1:])))
            for row in rows
        ),
    )
    return format_html(
        '<table class="visually-hidden"><caption>{}</caption><thead><tr>{}</tr></thead>'
        "<tbody>{}</tbody></table>",
        caption,
        head,
        body,
    )


def _figures(values) -> dict:
    """Each distinct value's figure, escaped, formatted once: a chart repeats a few values
    many times, and formatting one in the reader's language costs more than drawing its mark."""
    return {value: escape(_figure(value)) for value in set(values)}


def bar_chart(
    title: str, bars: Sequence[Bar], *, value_label: str, bar_width: int = 22
) -> SafeString:
    """A column chart of `bars` (left to right) with a value axis from 0 to the largest value;
    `value_label` names the numbers ("Entries") in the hover text and the table."""
    largest = max((b.value for b in bars), default=0) or 1
    width = len(bars) * (bar_width + GAP)
    height = BAR_AREA_HEIGHT + LABEL_HEIGHT
    figures = _figures(b.value for b in bars)
    unit = escape(value_label)
    marks = []
    # The marks are written with the text in them escaped once (format_html would escape each
    # of a mark's dozen numbers again); every other value is a number.
    for index, bar in enumerate(bars):
        bar_height = round(bar.value / largest * BAR_AREA_HEIGHT) if bar.value else 0
        x = index * (bar_width + GAP)
        label = escape(bar.label)
        marks.append(
            f'<g class="chart-mark"><title>{label}: {figures[bar.value]} {unit}</title>'
            f'<rect class="chart-slot" x="{x}" y="0" width="{bar_width}"'
            f' height="{BAR_AREA_HEIGHT}"></rect>'
            f'<rect class="chart-bar" x="{x}" y="{BAR_AREA_HEIGHT - bar_height}"'
            f' width="{bar_width}" height="{bar_height}"></rect>'
            f'<text class="chart-label" x="{x + bar_width / 2}" y="{height - 4}"'
            f' text-anchor="middle">{label}</text></g>'
        )
    svg = format_html(
        '<svg class="chart chart-bars" viewBox="0 0 {} {}" role="img" aria-label="{}"'
        ' preserveAspectRatio="xMinYMin meet">{}</svg>',
        width,
        height,
        title,
        mark_safe("".join(marks)),  # each mark is escaped above
    )
    table = _table(title, ["", value_label], [(b.label, figures[b.value]) for b in bars])
    return format_html('<figure class="chart-figure">{}{}</figure>', svg, table)


def heatmap(
    title: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    grid: Sequence[Sequence[int]],
    *,
    value_label: str,
    cell: int = 18,
) -> SafeString:
    """A grid of cells (rows × columns), each darker the larger its value, with the row labels
    on the left and every other column label below."""
    largest = max((v for row in grid for v in row), default=0) or 1
    left = 40
    width = left + len(column_labels) * (cell + GAP)
    height = len(row_labels) * (cell + GAP) + LABEL_HEIGHT
    figures = _figures(v for row in grid for v in row)
    unit = escape(value_label)
    columns = [escape(label) for label in column_labels]
    marks = []
    # As in bar_chart: the text escaped once, the rest numbers.
    for r, row_label in enumerate(row_labels):
        y = r * (cell + GAP)
        label = escape(row_label)
        marks.append(
            f'<text class="chart-label" x="{left - 6}" y="{y + cell - 5}"'
            f' text-anchor="end">{label}</text>'
        )
        for c, column in enumerate(columns):
            value = grid[r][c]
            x = left + c * (cell + GAP)
            strength = f"{value / largest:.2f}" if value else "0"
            marks.append(
                f'<g class="chart-mark"><title>{label} {column}: {figures[value]} {unit}</title>'
                f'<rect class="chart-slot" x="{x}" y="{y}" width="{cell}" height="{cell}"></rect>'
                f'<rect class="chart-cell" x="{x}" y="{y}" width="{cell}" height="{cell}"'
                f' fill-opacity="{strength}"></rect></g>'
            )
    for c, column in enumerate(columns):
        if c % 2 == 0:
            marks.append(
                f'<text class="chart-label" x="{left + c * (cell + GAP) + cell / 2}"'
                f' y="{height - 4}" text-anchor="middle">{column}</text>'
            )
    svg = format_html(
        '<svg class="chart chart-heatmap" viewBox="0 0 {} {}" role="img" aria-label="{}"'
        ' preserveAspectRatio="xMinYMin meet">{}</svg>',
        width,
        height,
        title,
        mark_safe("".join(marks)),  # each mark is escaped above
    )
    table = _table(
        title,
        ["", *column_labels],
        [(label, *(figures[v] for v in grid[r])) for r, label in enumerate(row_labels)],
    )
    return format_html('<figure class="chart-figure">{}{}</figure>', svg, table)


# Horizontal bars, for labels too long to stand under a column (the sales reports' stages).
ROW_HEIGHT = 22
HBAR_LABEL_WIDTH = 150
HBAR_WIDTH = 260
HBAR_VALUE_WIDTH = 90


@dataclass(frozen=True)
class HorizontalBar:
    label: str
    value: Decimal | int | float
    # A second, smaller figure drawn inside the first (the weighted value of a stage).
    part: Decimal | int | float | None = None


def _short(label: str, limit: int = 22) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _figure(value) -> str:
    """A figure in the reader's language: money with two decimals, a count whole, a rate with
    one."""
    if isinstance(value, Decimal):
        return display.number(value, 2)
    return display.number(value) if isinstance(value, int) else display.number(value, 1)


def horizontal_bar_chart(title: str, rows: Sequence[HorizontalBar]) -> SafeString:
    """One bar per row (stages, months, owners), the longest value full width, labels left and
    figures right; a row's `part` is drawn inside its bar (a weighted value). The page shows
    the same numbers in a table beside it."""
    largest = max((float(r.value or 0) for r in rows), default=0) or 1
    width = HBAR_LABEL_WIDTH + HBAR_WIDTH + HBAR_VALUE_WIDTH
    height = max(len(rows), 1) * ROW_HEIGHT + 4
    marks = []
    for index, row in enumerate(rows):
        y = index * ROW_HEIGHT + 2
        length = round(float(row.value or 0) / largest * HBAR_WIDTH)
        part = (
            format_html(
                '<rect class="chart-hbar-part" x="{}" y="{}" width="{}" height="{}"></rect>',
                HBAR_LABEL_WIDTH,
                y + 3,
                round(float(row.part or 0) / largest * HBAR_WIDTH),
                ROW_HEIGHT - 10,
            )
            if row.part is not None
            else ""
        )
        hover = _figure(row.value) + (f" / {_figure(row.part)}" if row.part is not None else "")
        marks.append(
            format_html(
                '<g class="chart-mark"><title>{}: {}</title>'
                '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="chart-hbar" x="{}" y="{}" width="{}" height="{}"></rect>{}'
                '<text class="chart-value" x="{}" y="{}">{}</text></g>',
                row.label,
                hover,
                HBAR_LABEL_WIDTH - 6,
                y + ROW_HEIGHT - 8,
                _short(row.label),
                HBAR_LABEL_WIDTH,
                y,
                length,
                ROW_HEIGHT - 4,
                part,
                HBAR_LABEL_WIDTH + length + 4,
                y + ROW_HEIGHT - 8,
                _figure(row.value),
            )
        )
    return format_html(
        '<svg class="chart chart-hbars" viewBox="0 0 {} {}" role="img" aria-label="{}"'
        ' preserveAspectRatio="xMinYMin meet">{}</svg>',
        width,
        height,
        title,
        mark_safe("".join(str(m) for m in marks)),  # each mark is escaped above
    )

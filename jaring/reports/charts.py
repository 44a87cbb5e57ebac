"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, a few hundred bytes each, sharp
in print. Each chart is followed on the page by its table (the accessible form of the same numbers),
so the SVG is labelled for screen readers but does not repeat every value.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 400
GREEN = "#1f6f50"
PALE = "#d7e9e0"
AMBER = "#b26a00"
GREY = "#6b7280"


def _num(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _nice_ceiling(value: int) -> int:
    """The smallest of 2, 4, 6, 8, 10 × 10^k at or above ``value``: the half-way gridline is a whole number."""
    scale = 1
    while True:
        for step in (2, 4, 6, 8, 10):
            if step * scale >= value:
                return step * scale
        scale *= 10


def bar_chart(*, title: str, rows: Sequence[tuple[str, int, int]], chart_id: str) -> SafeString:
    """Horizontal bars, one per row ``(label, value, total)``: the value dark, the total pale behind it.

    Labels sit above their bar so long names (distrik, occupations) fit a 360 px phone."""
    rows = list(rows)
    top = max([max(v, t) for _l, v, t in rows] + [1])
    row_h, bar_h = 34, 14
    height = max(1, len(rows)) * row_h + 4
    parts = [format_html('<svg class="chart bar-chart" id="{}" viewBox="0 0 {} {}" width="100%" role="img" '
                         'aria-labelledby="{}-t" preserveAspectRatio="xMinYMin meet">'
                         '<title id="{}-t">{}</title>', chart_id, WIDTH, height, chart_id, chart_id, title)]
    label_room = 330
    for i, (label, value, total) in enumerate(rows):
        y = i * row_h + 4
        total_w = round(label_room * total / top, 1)
        value_w = round(label_room * value / top, 1)
        parts.append(format_html(
            '<g class="bar"><text x="0" y="{}" font-size="12" fill="#1f2937">{}</text>'
            '<rect x="0" y="{}" width="{}" height="{}" fill="{}" rx="2"/>'
            '<rect x="0" y="{}" width="{}" height="{}" fill="{}" rx="2"/>'
            '<text x="{}" y="{}" font-size="11" fill="{}">{}</text></g>',
            y + 11, label, y + 15, total_w, bar_h, PALE, y + 15, value_w, bar_h, GREEN,
            max(total_w, value_w) + 4, y + 26, GREY, _num(value)))
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped by format_html


def line_chart(*, title: str, labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int | None]]],
               chart_id: str, target: int | None = None) -> SafeString:
    """A line per series ``(name, colour, values)`` over the months in ``labels``; ``None`` is a gap
    (a month without a snapshot). An optional dashed target line."""
    height, left, right, top_pad, bottom = 200, 44, 8, 10, 28
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    values = [v for _n, _c, vs in series for v in vs if v is not None]
    top = _nice_ceiling(max([*values, target or 0, 1]))
    count = max(1, len(labels) - 1)

    def x(i: int) -> float:
        return round(left + plot_w * i / count, 1)

    def y(v: int) -> float:
        return round(top_pad + plot_h * (1 - v / top), 1)

    parts = [format_html('<svg class="chart line-chart" id="{}" viewBox="0 0 {} {}" width="100%" role="img" '
                         'aria-labelledby="{}-t"><title id="{}-t">{}</title>',
                         chart_id, WIDTH, height, chart_id, chart_id, title)]
    for frac in (0, 0.5, 1):
        value = round(top * frac)
        parts.append(format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#e5e7eb"/>'
            '<text x="{}" y="{}" font-size="10" fill="{}" text-anchor="end">{}</text>',
            left, WIDTH - right, y(value), y(value), left - 4, y(value) + 3, GREY, _num(value)))
    step = max(1, len(labels) // 6)
    for i, label in enumerate(labels):
        if i % step == 0 or i == len(labels) - 1:
            anchor = "end" if i == len(labels) - 1 else "start" if i == 0 else "middle"
            parts.append(format_html('<text x="{}" y="{}" font-size="10" fill="{}" text-anchor="{}">{}</text>',
                                     x(i), height - 10, GREY, anchor, label))
    if target:
        parts.append(format_html('<line class="target" x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" '
                                 'stroke-dasharray="4 3"/>', left, WIDTH - right, y(target), y(target), GREY))
    for name, colour, vs in series:
        segments: list[list[str]] = [[]]
        for i, v in enumerate(vs):
            if v is None:
                segments.append([])
            else:
                segments[-1].append(f"{x(i)},{y(v)}")
        for points in segments:
            if len(points) > 1:
                parts.append(format_html('<polyline class="series" fill="none" stroke="{}" stroke-width="2" '
                                         'points="{}"><title>{}</title></polyline>', colour, " ".join(points), name))
            elif points:
                cx, cy = points[0].split(",")
                parts.append(format_html('<circle cx="{}" cy="{}" r="2.5" fill="{}"/>', cx, cy, colour))
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped by format_html


def legend(items: Sequence[tuple[str, str]]) -> SafeString:
    """Colour keys as SVG swatches: a fill attribute, not style="background", which the CSP refuses."""
    return mark_safe("".join(  # noqa: S308 - escaped below
        f'<span class="key"><svg viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" rx="2" '
        f'fill="{escape(colour)}"/></svg>{escape(name)}</span>'
        for name, colour in items))

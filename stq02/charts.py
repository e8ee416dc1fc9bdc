"""Small server-side SVG charts: no JavaScript, and they print in PDF reports too.

``bar_chart`` and ``line_chart`` take labels and one or more series and return
safe SVG markup for a template (``{{ chart }}``).
"""

from decimal import Decimal
from html import escape

from django.utils.safestring import mark_safe

PALETTE = ["#0b4f8a", "#d9822b", "#1e7b3b", "#b3261e", "#6b4fa0", "#5b6776"]


def _scale(series: dict[str, list]) -> float:
    peak = max((float(v or 0) for values in series.values() for v in values), default=0.0)
    return peak or 1.0


def _fmt(value) -> str:
    number = float(value or 0)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= limit:
            return f"{number / limit:.1f}{suffix}"
    return f"{number:.0f}" if number == int(number) else f"{number:.2f}"


def _frame(width, height, body, title):
    return mark_safe(  # noqa: S308 - every text inside was escaped by the builders
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{body}</svg>'
    )


def _legend(series_names, x, y):
    parts = []
    for index, name in enumerate(series_names):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<rect x="{x + index * 150}" y="{y}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + index * 150 + 14}" y="{y + 9}" font-size="11">{escape(str(name))}</text>'
        )
    return "".join(parts)


def bar_chart(labels: list, series: dict[str, list], *, title: str, width=720, height=240) -> str:
    """Grouped vertical bars, one group per label."""
    left, bottom, top = 56, 36, 22
    plot_h = height - bottom - top
    plot_w = width - left - 10
    peak = _scale(series)
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(2.0, group_w * 0.8 / max(len(series), 1))
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#aab4c0"/>'
    ]
    for tick in (0.5, 1.0):
        y = top + plot_h * (1 - tick)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#eef2f6"/>'
        )
        body.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{_fmt(peak * tick)}</text>'
        )
    for s_index, (name, values) in enumerate(series.items()):
        colour = PALETTE[s_index % len(PALETTE)]
        for index, value in enumerate(values):
            h = plot_h * float(value or 0) / peak
            x = left + index * group_w + group_w * 0.1 + s_index * bar_w
            body.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(str(labels[index]))} · {escape(str(name))}: {_fmt(value)}</title></rect>"
            )
    step = max(1, len(labels) // 12)
    for index, label in enumerate(labels):
        if index % step == 0:
            x = left + index * group_w + group_w / 2
            body.append(
                f'<text x="{x:.1f}" y="{height - bottom + 14}" font-size="10" text-anchor="middle">{escape(str(label))}</text>'
            )
    body.append(_legend(series.keys(), left, 4))
    return _frame(width, height, "".join(body), title)


def line_chart(labels: list, series: dict[str, list], *, title: str, width=720, height=240) -> str:
    left, bottom, top = 56, 36, 22
    plot_h = height - bottom - top
    plot_w = width - left - 10
    peak = _scale(series)
    dx = plot_w / max(len(labels) - 1, 1)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#aab4c0"/>'
    ]
    for tick in (0.5, 1.0):
        y = top + plot_h * (1 - tick)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#eef2f6"/>'
        )
        body.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{_fmt(peak * tick)}</text>'
        )
    for s_index, (name, values) in enumerate(series.items()):
        colour = PALETTE[s_index % len(PALETTE)]
        points = " ".join(
            f"{left + i * dx:.1f},{top + plot_h - plot_h * float(v or 0) / peak:.1f}"
            for i, v in enumerate(values)
        )
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(values):
            body.append(
                f'<circle cx="{left + i * dx:.1f}" cy="{top + plot_h - plot_h * float(v or 0) / peak:.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(str(labels[i]))} · {escape(str(name))}: {_fmt(v)}</title></circle>"
            )
    step = max(1, len(labels) // 12)
    for index, label in enumerate(labels):
        if index % step == 0:
            body.append(
                f'<text x="{left + index * dx:.1f}" y="{height - bottom + 14}" font-size="10" text-anchor="middle">{escape(str(label))}</text>'
            )
    body.append(_legend(series.keys(), left, 4))
    return _frame(width, height, "".join(body), title)


def as_float(values) -> list[float]:
    return [float(v) if isinstance(v, Decimal | int | float) else 0.0 for v in values]

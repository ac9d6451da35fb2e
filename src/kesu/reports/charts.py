"""Charts as SVG strings, drawn on the server: the same markup goes into the console page, the
standalone HTML file and the PDF (WeasyPrint draws SVG itself), so no script or chart library
is needed anywhere.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` named by
``aria-labelledby``; pages put a table with the same numbers beside it. All text passes
through :func:`_text` (XML escaping), so a category named ``<b>&`` stays text. A datum with an
``href`` becomes a link (the console's drill-down to the complaint list).

Sizes are in user units with a ``viewBox``; CSS scales them (``max-width: 100%``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif"
INK = "#1f2933"
MUTED = "#6b7280"
GRID = "#e5e7eb"
BAR = "#2f6fb3"
LINE = "#d9480f"
GOOD = "#2b8a3e"
BAD = "#c92a2a"

Format = Callable[[float], str]


def integer(value: float) -> str:
    return f"{value:,.0f}"


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


@dataclass(frozen=True)
class Datum:
    label: str
    value: float
    href: str | None = None


@dataclass(frozen=True)
class Series:
    """One line or set of bars of a trend chart, in the order of the chart's labels."""

    name: str
    values: Sequence[float | None]


def _text(value: object) -> str:
    return escape(str(value))


def _attr(value: object) -> str:
    return quoteattr(str(value))


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(uid: str, width: float, height: float, title: str, desc: str, body: list[str]) -> str:
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'width="{_num(width)}" height="{_num(height)}" '
            f'viewBox="0 0 {_num(width)} {_num(height)}" '
            f'aria-labelledby="{uid}-t {uid}-d" font-family={_attr(FONT)} font-size="12">',
            f'<title id="{uid}-t">{_text(title)}</title>',
            f'<desc id="{uid}-d">{_text(desc)}</desc>',
            *body,
            "</svg>",
        ]
    )


def _link(href: str | None, inner: str) -> str:
    return f"<a href={_attr(href)}>{inner}</a>" if href else inner


def _clip(label: str, limit: int) -> str:
    """Long labels are shortened on the chart; the table beside it has them whole."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def empty(uid: str, title: str, message: str) -> str:
    """A chart with nothing to draw still says so, with the same accessible frame."""
    body = [
        f'<text x="240" y="40" text-anchor="middle" fill="{MUTED}">{_text(message)}</text>',
    ]
    return _svg(uid, 480, 70, title, message, body)


# --- trend -----------------------------------------------------------------------------------


def trend(
    uid: str,
    *,
    title: str,
    desc: str,
    labels: Sequence[str],
    bars: Series | None = None,
    lines: Sequence[Series] = (),
    fmt: Format = integer,
    line_fmt: Format = percent,
    hrefs: Sequence[str | None] = (),
) -> str:
    """Bars (e.g. complaints received) by month with optional lines on a second 0–100 % axis
    (e.g. timeliness), the months on the x axis."""
    width, height = 640.0, 260.0
    left, right, top, bottom = 48.0, 48.0 if lines else 16.0, 16.0, 44.0
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    step = plot_w / n
    body: list[str] = []
    top_value = _nice_max(max((v or 0 for v in (bars.values if bars else [])), default=0))
    for i in range(5):  # grid and left axis
        y = top + plot_h * i / 4
        value = top_value * (4 - i) / 4
        body.append(
            f'<line x1="{_num(left)}" x2="{_num(width - right)}" y1="{_num(y)}" '
            f'y2="{_num(y)}" stroke="{GRID}"/>'
        )
        if bars:
            body.append(
                f'<text x="{_num(left - 6)}" y="{_num(y + 4)}" text-anchor="end" '
                f'fill="{MUTED}">{_text(fmt(value))}</text>'
            )
        if lines:
            body.append(
                f'<text x="{_num(width - right + 6)}" y="{_num(y + 4)}" fill="{MUTED}">'
                f"{(4 - i) * 25}%</text>"
            )
    for i, label in enumerate(labels):
        x = left + step * i
        if bars is not None:
            value = bars.values[i] or 0
            h = plot_h * value / top_value
            bar = (
                f'<rect x="{_num(x + step * 0.2)}" y="{_num(top + plot_h - h)}" '
                f'width="{_num(step * 0.6)}" height="{_num(h)}" fill="{BAR}">'
                f"<title>{_text(f'{label} {bars.name}: {fmt(value)}')}</title></rect>"
                f'<text x="{_num(x + step / 2)}" y="{_num(top + plot_h - h - 4)}" '
                f'text-anchor="middle" fill="{INK}">{_text(fmt(value))}</text>'
            )
            body.append(_link(hrefs[i] if i < len(hrefs) else None, bar))
        body.append(
            f'<text x="{_num(x + step / 2)}" y="{_num(height - bottom + 16)}" '
            f'text-anchor="middle" fill="{INK}">{_text(label)}</text>'
        )
    colors = (LINE, GOOD, "#7048e8", "#e67700")
    for k, series in enumerate(lines):
        color = colors[k % len(colors)]
        points = [
            (left + step * i + step / 2, top + plot_h * (1 - min(max(v, 0), 1)))
            for i, v in enumerate(series.values)
            if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        for (x, y), v in zip(points, [v for v in series.values if v is not None], strict=True):
            body.append(
                f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3" fill="{color}">'
                f"<title>{_text(f'{series.name}: {line_fmt(v)}')}</title></circle>"
            )
    # Legend under the axis labels.
    legend = [(BAR, bars.name)] if bars else []
    legend += [(colors[k % len(colors)], s.name) for k, s in enumerate(lines)]
    x = left
    for color, name in legend:
        body.append(
            f'<rect x="{_num(x)}" y="{_num(height - 16)}" width="10" height="10" '
            f'fill="{color}"/><text x="{_num(x + 14)}" y="{_num(height - 7)}" '
            f'fill="{INK}">{_text(name)}</text>'
        )
        x += 24 + 12 * len(name)
    return _svg(uid, width, height, title, desc, body)


# --- horizontal bars -------------------------------------------------------------------------


def hbars(
    uid: str,
    *,
    title: str,
    desc: str,
    data: Sequence[Datum],
    fmt: Format = integer,
    limit: int = 12,
) -> str:
    """One bar per label, largest first as given; at most ``limit`` bars."""
    data = list(data)[:limit]
    if not data:
        return empty(uid, title, desc)
    label_w, width, row = 150.0, 560.0, 24.0
    height = row * len(data) + 12
    top_value = _nice_max(max(d.value for d in data))
    plot_w = width - label_w - 60
    body: list[str] = []
    for i, d in enumerate(data):
        y = 6 + row * i
        w = plot_w * d.value / top_value if top_value else 0
        bar = (
            f'<rect x="{_num(label_w)}" y="{_num(y + 3)}" width="{_num(max(w, 1))}" '
            f'height="{_num(row - 8)}" fill="{BAR}">'
            f"<title>{_text(f'{d.label}: {fmt(d.value)}')}</title></rect>"
        )
        body.append(
            f'<text x="{_num(label_w - 6)}" y="{_num(y + row / 2 + 3)}" text-anchor="end" '
            f'fill="{INK}">{_text(_clip(d.label, 12))}</text>'
        )
        body.append(_link(d.href, bar))
        body.append(
            f'<text x="{_num(label_w + w + 6)}" y="{_num(y + row / 2 + 3)}" fill="{INK}">'
            f"{_text(fmt(d.value))}</text>"
        )
    return _svg(uid, width, height, title, desc, body)


# --- Pareto ----------------------------------------------------------------------------------


def pareto(
    uid: str,
    *,
    title: str,
    desc: str,
    data: Sequence[Datum],
    mark: float = 0.8,
    limit: int = 12,
) -> str:
    """Causes as bars, largest first, with the cumulative share as a line and the ``mark``
    (80 %) as a dashed rule: the causes left of where the line crosses it are the vital few."""
    data = sorted(data, key=lambda d: -d.value)[:limit]
    total = sum(d.value for d in data)
    if not data or total <= 0:
        return empty(uid, title, desc)
    width, height = 640.0, 280.0
    left, right, top, bottom = 44.0, 48.0, 16.0, 70.0
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / len(data)
    top_value = _nice_max(max(d.value for d in data))
    body: list[str] = []
    for i in range(5):
        y = top + plot_h * i / 4
        body.append(
            f'<line x1="{_num(left)}" x2="{_num(width - right)}" y1="{_num(y)}" '
            f'y2="{_num(y)}" stroke="{GRID}"/>'
            f'<text x="{_num(left - 6)}" y="{_num(y + 4)}" text-anchor="end" '
            f'fill="{MUTED}">{_text(integer(top_value * (4 - i) / 4))}</text>'
            f'<text x="{_num(width - right + 6)}" y="{_num(y + 4)}" fill="{MUTED}">'
            f"{(4 - i) * 25}%</text>"
        )
    mark_y = top + plot_h * (1 - mark)
    body.append(
        f'<line x1="{_num(left)}" x2="{_num(width - right)}" y1="{_num(mark_y)}" '
        f'y2="{_num(mark_y)}" stroke="{BAD}" stroke-dasharray="5 4"/>'
        f'<text x="{_num(width - right - 4)}" y="{_num(mark_y - 4)}" text-anchor="end" '
        f'fill="{BAD}">{_num(mark * 100)}%</text>'
    )
    running = 0.0
    points: list[tuple[float, float, float]] = []
    for i, d in enumerate(data):
        x = left + step * i
        h = plot_h * d.value / top_value
        running += d.value
        share = running / total
        bar = (
            f'<rect x="{_num(x + step * 0.15)}" y="{_num(top + plot_h - h)}" '
            f'width="{_num(step * 0.7)}" height="{_num(h)}" fill="{BAR}">'
            f"<title>{_text(f'{d.label}: {integer(d.value)} ({percent(share)})')}</title></rect>"
        )
        body.append(_link(d.href, bar))
        cx = x + step / 2
        body.append(
            f'<text x="{_num(cx)}" y="{_num(top + plot_h + 14)}" text-anchor="end" '
            f'transform="rotate(-35 {_num(cx)} {_num(top + plot_h + 14)})" '
            f'fill="{INK}">{_text(_clip(d.label, 10))}</text>'
        )
        points.append((cx, top + plot_h * (1 - share), share))
    path = " ".join(f"{_num(x)},{_num(y)}" for x, y, _s in points)
    body.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for x, y, share in points:
        body.append(
            f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3" fill="{LINE}">'
            f"<title>{_text(percent(share))}</title></circle>"
        )
    return _svg(uid, width, height, title, desc, body)


# --- heat map --------------------------------------------------------------------------------


def heatmap(
    uid: str,
    *,
    title: str,
    desc: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float]],
    hrefs: Sequence[Sequence[str | None]] | None = None,
) -> str:
    """A grid of counts (rows × columns), darker for more; each cell shows its number."""
    if not rows or not columns:
        return empty(uid, title, desc)
    label_w, head_h, cell_w, cell_h = 130.0, 70.0, 64.0, 26.0
    width = label_w + cell_w * len(columns) + 8
    height = head_h + cell_h * len(rows) + 8
    peak = max((v for row in values for v in row), default=0) or 1
    body: list[str] = []
    for j, name in enumerate(columns):
        cx = label_w + cell_w * j + cell_w / 2
        body.append(
            f'<text x="{_num(cx)}" y="{_num(head_h - 8)}" text-anchor="start" '
            f'transform="rotate(-35 {_num(cx)} {_num(head_h - 8)})" fill="{INK}">'
            f"{_text(_clip(name, 8))}</text>"
        )
    for i, name in enumerate(rows):
        y = head_h + cell_h * i
        body.append(
            f'<text x="{_num(label_w - 6)}" y="{_num(y + cell_h / 2 + 4)}" '
            f'text-anchor="end" fill="{INK}">{_text(_clip(name, 10))}</text>'
        )
        for j, _col in enumerate(columns):
            value = values[i][j]
            strength = value / peak
            # White to our bar blue; the number turns white on dark cells.
            r, g, b = (round(255 - (255 - c) * strength) for c in (0x2F, 0x6F, 0xB3))
            ink = "#ffffff" if strength > 0.55 else INK
            x = label_w + cell_w * j
            cell = (
                f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(cell_w - 2)}" '
                f'height="{_num(cell_h - 2)}" fill="#{r:02x}{g:02x}{b:02x}" stroke="{GRID}">'
                f"<title>{_text(f'{name} × {columns[j]}: {integer(value)}')}</title></rect>"
                f'<text x="{_num(x + cell_w / 2 - 1)}" y="{_num(y + cell_h / 2 + 4)}" '
                f'text-anchor="middle" fill="{ink}">{_text(integer(value)) if value else ""}'
                "</text>"
            )
            href = hrefs[i][j] if hrefs and value else None
            body.append(_link(href, cell))
    return _svg(uid, width, height, title, desc, body)


# --- KPI bullet ------------------------------------------------------------------------------


def bullet(
    uid: str,
    *,
    title: str,
    actual: float | None,
    target: float | None,
    higher_is_better: bool = True,
    scale: float | None = None,
    fmt: Format = percent,
    target_label: str = "",
) -> str:
    """One KPI as a bullet graph: a bar for the actual value on a scale, a tick for the
    target, green when the target is met and red when it is not. ``target_label`` ("目标")
    stands before the target's value."""
    width, height = 300.0, 52.0
    left, right = 8.0, 8.0
    plot_w = width - left - right
    top_scale = scale or _nice_max(max(actual or 0, target or 0) * 1.1)
    if actual is None:
        met_text = "—"
        desc = f"{title}: — / {fmt(target) if target is not None else '—'}"
    else:
        met_text = fmt(actual)
        desc = f"{title}: {met_text}" + (f" / {fmt(target)}" if target is not None else "")
    met = (
        None
        if actual is None or target is None
        else (actual >= target if higher_is_better else actual <= target)
    )
    color = MUTED if met is None else (GOOD if met else BAD)
    body = [
        f'<rect x="{_num(left)}" y="20" width="{_num(plot_w)}" height="16" fill="{GRID}"/>',
    ]
    if actual is not None:
        w = plot_w * min(actual / top_scale, 1) if top_scale else 0
        body.append(
            f'<rect x="{_num(left)}" y="23" width="{_num(max(w, 1))}" height="10" fill="{color}"/>'
        )
    if target is not None:
        tx = left + plot_w * min(target / top_scale, 1)
        body.append(
            f'<line x1="{_num(tx)}" x2="{_num(tx)}" y1="16" y2="40" stroke="{INK}" '
            f'stroke-width="2"/>'
        )
    body.append(f'<text x="{_num(left)}" y="13" fill="{INK}">{_text(_clip(title, 18))}</text>')
    body.append(
        f'<text x="{_num(width - right)}" y="13" text-anchor="end" fill="{color}" '
        f'font-weight="bold">{_text(met_text)}</text>'
    )
    if target is not None:
        body.append(
            f'<text x="{_num(width - right)}" y="50" text-anchor="end" fill="{MUTED}" '
            f'font-size="10">{_text(target_label)} {_text(fmt(target))}</text>'
        )
    return _svg(uid, width, height, title, desc, body)

"""Server-rendered SVG charts of priority results: dot-and-whisker and group × item heat map.

The charts draw plain data (scores and intervals, ranks) that ``analysis`` computed; they compute
no statistics. Each returns an SVG document fragment (``markupsafe.Markup``) meant to be put
inline in a page or a PDF, next to a data table with the same numbers (the accessible and
printable alternative; the chart itself is one ``role="img"`` with a ``<title>`` and a
``<desc>`` referenced by ``aria-labelledby``).

Rules: every text is escaped; no scripts, no ``style`` attributes or elements (the site's
Content-Security-Policy), no external fonts or URLs (text inherits the page's font); colours
are dark enough on white for text (at least 4.5:1) and print in grey scale readably (the rank
in each heat-map cell is written, not only coloured). ``rtl=True`` mirrors the layout: labels
on the right, the value axis growing leftwards, ``text-anchor`` flipped. The ``<svg>`` says
``direction="ltr"`` so that anchors mean the same physical side in browsers (which would
inherit ``dir="rtl"`` from the page) and in WeasyPrint; right-to-left labels are wrapped in
Unicode embedding marks (RLE … PDF) so that their own punctuation still reads right to left.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

__all__ = ["HEAT_COLOURS", "dot_whisker", "nice_ticks", "rank_heatmap", "wrap_label"]

TEXT = "#1a1a1a"
MUTED = "#4a4a4a"
GRID = "#b1b4b6"
AXIS = "#505a5f"
MARK = "#12355b"  # dots and whiskers: 12.6:1 on white
BAND = "#f3f5f8"  # every other row
#: Heat-map fills from the best rank to the worst, with the text colour that reads on each.
HEAT_COLOURS: tuple[tuple[str, str], ...] = (
    ("#08306b", "#ffffff"),
    ("#2166ac", "#ffffff"),
    ("#4393c3", "#000000"),
    ("#92c5de", "#000000"),
    ("#d1e5f0", "#000000"),
    ("#f7fbff", "#000000"),
)
FONT_SIZE = 14
SMALL_FONT = 12
LABEL_FONT = 13
WIDTH = 720  # the site's content column, so that 1 unit is about 1 pixel on a large screen
CHAR_WIDTH = 0.56  # rough average glyph width, in ems, to wrap labels
RLE = "\u202b"  # right-to-left embedding
PDF = "\u202c"  # pop directional formatting


def _num(value: float) -> str:
    """A coordinate with at most two decimals (compact, deterministic output)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attrs(**attributes: Any) -> str:
    parts = []
    for name, value in attributes.items():
        if value is None:
            continue
        key = name.rstrip("_").replace("_", "-")
        if isinstance(value, float):
            value = _num(value)
        parts.append(f'{key}="{escape(str(value))}"')
    return " ".join(parts)


def _el(tag: str, **attributes: Any) -> str:
    """An empty SVG element."""
    return f"<{tag} {_attrs(**attributes)}/>"


def wrap_label(text: str, max_chars: int, max_lines: int = 2) -> list[str]:
    """``text`` in at most ``max_lines`` lines of about ``max_chars`` characters (… if cut).

    Examples
    --------
    >>> wrap_label("Interpretation at municipal service points", 20)
    ['Interpretation at', 'municipal service…']
    >>> wrap_label("Short", 20)
    ['Short']
    """
    words = " ".join(str(text).split()).split(" ")
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if len(candidate) <= max_chars or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    lines = [line if len(line) <= max_chars else line[: max_chars - 1] + "…" for line in lines]
    if len(lines) > max_lines:
        kept = lines[:max_lines]
        last = kept[-1]
        kept[-1] = (last[: max_chars - 1] if len(last) >= max_chars else last).rstrip("…") + "…"
        return kept
    return lines


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``low``..``high`` (axis layout, not statistics).

    Examples
    --------
    >>> nice_ticks(1.2, 4.7)
    [1.0, 2.0, 3.0, 4.0, 5.0]
    >>> nice_ticks(0.0, 0.0)
    [-1.0, 0.0, 1.0]
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high < low:
        low, high = high, low
    if high == low:
        return [low - 1.0, low, low + 1.0]
    raw = (high - low) / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    stop = math.ceil(high / step) * step
    n = round((stop - start) / step)
    return [round(start + i * step, 10) for i in range(n + 1)]


def _text(
    x: float,
    y: float,
    lines: Sequence[str],
    *,
    anchor: str,
    rtl: bool,
    size: int = FONT_SIZE,
    fill: str = TEXT,
    weight: str | None = None,
    line_height: float = 1.2,
) -> str:
    """A ``<text>`` with one ``<tspan>`` per line, vertically centred on ``y``.

    ``anchor`` is physical (the ``<svg>`` is ``direction="ltr"``); with ``rtl`` each line is
    embedded right-to-left (U+202B … U+202C).
    """
    first = y - (len(lines) - 1) * size * line_height / 2
    spans = "".join(
        f"<tspan {_attrs(x=float(x), y=float(first + i * size * line_height))}>"
        f"{escape(RLE + line + PDF if rtl else line)}</tspan>"
        for i, line in enumerate(lines)
    )
    attributes = _attrs(
        text_anchor=anchor,
        dominant_baseline="central",
        font_size=size,
        fill=fill,
        font_weight=weight,
    )
    return f"<text {attributes}>{spans}</text>"


def _open_svg(chart_id: str, width: float, height: float, title: str, description: str) -> str:
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    attributes = _attrs(
        xmlns="http://www.w3.org/2000/svg",
        id=chart_id,
        class_="chart",
        role="img",
        aria_labelledby=f"{title_id} {desc_id}",
        direction="ltr",
        viewBox=f"0 0 {_num(width)} {_num(height)}",
        width="100%",
        preserveAspectRatio="xMidYMin meet",
    )
    return (
        f"<svg {attributes}>"
        f'<title id="{escape(title_id)}">{escape(title)}</title>'
        f'<desc id="{escape(desc_id)}">{escape(description)}</desc>'
    )


def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def dot_whisker(
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    description: str,
    chart_id: str = "dot-whisker",
    axis_label: str = "",
    rtl: bool = False,
    width: int = WIDTH,
    number_format: Callable[[float], str] | None = None,
) -> Markup:
    """A dot (the score) and whisker (its interval) per item, items top to bottom in order.

    Parameters
    ----------
    rows
        ``{"label", "score", "ci_low", "ci_high"}`` per item (intervals may be None).
    title, description
        The chart's accessible name and description (``<title>``, ``<desc>``).
    chart_id
        Unique id on the page (also prefixes the title and description ids).
    axis_label
        Caption under the value axis (e.g. the method's score and "higher is better").
    rtl
        Mirror the layout for right-to-left languages.
    number_format
        Formats tick values (default ``{:g}``).
    """
    fmt = number_format or (lambda v: f"{v:g}")
    label_width = width * 0.42
    margin, top, row_height = 12.0, 12.0, 36.0
    plot_start, plot_end = label_width + margin, width - margin * 2
    values: list[float] = []
    for row in rows:
        for key in ("score", "ci_low", "ci_high"):
            value = _finite(row.get(key))
            if value is not None:
                values.append(value)
    ticks = nice_ticks(min(values), max(values)) if values else [0.0, 1.0]
    lo, hi = ticks[0], ticks[-1]
    span = (hi - lo) or 1.0
    plot_top = top
    plot_bottom = plot_top + row_height * max(1, len(rows))
    height = plot_bottom + 30 + (22 if axis_label else 0) + margin

    def x_of(value: float) -> float:
        x = plot_start + (value - lo) / span * (plot_end - plot_start)
        return width - x if rtl else x

    def mirror(x: float) -> float:
        return width - x if rtl else x

    start_anchor = "start" if rtl else "end"
    max_chars = max(8, int((label_width - margin) / (LABEL_FONT * CHAR_WIDTH)))
    parts = [_open_svg(chart_id, width, height, title, description)]
    parts.append(_el("rect", x=0, y=0, width=width, height=_num(height), fill="#ffffff"))
    # bands and grid
    for i in range(len(rows)):
        if i % 2 == 1:
            y0 = plot_top + i * row_height
            parts.append(_el("rect", x=0, y=float(y0), width=width, height=row_height, fill=BAND))
    for tick in ticks:
        x = x_of(tick)
        parts.append(
            _el(
                "line",
                x1=x,
                y1=float(plot_top),
                x2=x,
                y2=float(plot_bottom),
                stroke=GRID,
                stroke_width=1,
            )
        )
        parts.append(
            _text(
                x,
                plot_bottom + 14,
                [fmt(tick)],
                anchor="middle",
                rtl=False,
                size=SMALL_FONT,
                fill=AXIS,
            )
        )
    parts.append(
        _el(
            "line",
            x1=x_of(lo),
            y1=float(plot_bottom),
            x2=x_of(hi),
            y2=float(plot_bottom),
            stroke=AXIS,
            stroke_width=1,
        )
    )
    if axis_label:
        middle = (x_of(lo) + x_of(hi)) / 2
        parts.append(
            _text(
                middle,
                plot_bottom + 36,
                [axis_label],
                anchor="middle",
                rtl=rtl,
                size=SMALL_FONT,
                fill=MUTED,
            )
        )
    # items
    for i, row in enumerate(rows):
        y = plot_top + (i + 0.5) * row_height
        label = str(row.get("label", ""))
        parts.append('<g class="chart__row">')
        parts.append(f"<title>{escape(label)}</title>")
        parts.append(
            _text(
                mirror(label_width),
                y,
                wrap_label(label, max_chars),
                anchor=start_anchor,
                rtl=rtl,
                size=LABEL_FONT,
            )
        )
        low, high, score = (_finite(row.get(k)) for k in ("ci_low", "ci_high", "score"))
        if low is not None and high is not None:
            parts.append(
                _el(
                    "line",
                    x1=x_of(low),
                    y1=float(y),
                    x2=x_of(high),
                    y2=float(y),
                    stroke=MARK,
                    stroke_width=2,
                )
            )
            for end in (low, high):
                parts.append(
                    _el(
                        "line",
                        x1=x_of(end),
                        y1=float(y - 6),
                        x2=x_of(end),
                        y2=float(y + 6),
                        stroke=MARK,
                        stroke_width=2,
                    )
                )
        if score is not None:
            parts.append(
                _el(
                    "circle",
                    cx=x_of(score),
                    cy=float(y),
                    r=5,
                    fill=MARK,
                    stroke="#ffffff",
                    stroke_width=1,
                )
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text and attribute escaped)


def _heat_colour(rank: int, n_items: int) -> tuple[str, str]:
    if n_items <= 1:
        return HEAT_COLOURS[0]
    position = (rank - 1) / (n_items - 1)  # 0 = best, 1 = worst
    index = min(len(HEAT_COLOURS) - 1, int(position * len(HEAT_COLOURS)))
    return HEAT_COLOURS[index]


def rank_heatmap(
    items: Sequence[Mapping[str, Any]],
    groups: Sequence[Mapping[str, Any]],
    *,
    title: str,
    description: str,
    chart_id: str = "rank-heatmap",
    rtl: bool = False,
    label_width: int = 200,
    column_width: float | None = None,
    missing: str = "–",
) -> Markup:
    """Each group's rank of each item: items in rows (in the given order), groups in columns.

    Parameters
    ----------
    items
        ``{"code", "label"}`` per row.
    groups
        ``{"name", "ranks": {item code: rank}}`` per column (only groups that may be shown).
    title, description, chart_id, rtl
        As for :func:`dot_whisker`.
    label_width, column_width
        Width of the item labels and of each group's column (default: fit 720 units).
    missing
        Written where a group has no rank for an item.

    The darker the cell, the better the rank; the rank is written in every cell.
    """
    n_items = len(items)
    margin = 12.0
    header_lines, header_font = 4, 11
    header = header_lines * header_font * 1.2 + 8
    row_height = 34.0
    if column_width is None:
        column_width = min(
            120.0, max(64.0, (WIDTH - label_width - 2 * margin) / max(1, len(groups)))
        )
    width = label_width + margin + column_width * max(1, len(groups)) + margin
    height = header + row_height * max(1, n_items) + margin

    def mirror(x: float) -> float:
        return width - x if rtl else x

    start_anchor = "start" if rtl else "end"
    max_chars = max(8, int((label_width - margin) / (LABEL_FONT * CHAR_WIDTH)))
    column_chars = max(6, int((column_width - 6) / (header_font * 0.5)))
    parts = [_open_svg(chart_id, width, height, title, description)]
    parts.append(_el("rect", x=0, y=0, width=float(width), height=float(height), fill="#ffffff"))
    for j, group in enumerate(groups):
        centre = label_width + margin + (j + 0.5) * column_width
        parts.append(
            _text(
                mirror(centre),
                header / 2,
                wrap_label(str(group.get("name", "")), column_chars, max_lines=header_lines),
                anchor="middle",
                rtl=rtl,
                size=header_font,
                weight="bold",
            )
        )
    for i, item in enumerate(items):
        y0 = header + i * row_height
        label = str(item.get("label", ""))
        parts.append('<g class="chart__row">')
        parts.append(f"<title>{escape(label)}</title>")
        parts.append(
            _text(
                mirror(label_width),
                y0 + row_height / 2,
                wrap_label(label, max_chars),
                anchor=start_anchor,
                rtl=rtl,
                size=LABEL_FONT,
            )
        )
        parts.append("</g>")
        for j, group in enumerate(groups):
            x0 = label_width + margin + j * column_width
            left = mirror(x0 + column_width) if rtl else x0
            rank = (group.get("ranks") or {}).get(item.get("code"))
            if rank is None:
                fill, ink, text = "#ffffff", MUTED, missing
            else:
                fill, ink = _heat_colour(int(rank), n_items)
                text = str(int(rank))
            parts.append(
                _el(
                    "rect",
                    x=float(left + 1),
                    y=float(y0 + 1),
                    width=float(column_width - 2),
                    height=float(row_height - 2),
                    fill=fill,
                    stroke=GRID,
                    stroke_width=0.5,
                )
            )
            parts.append(
                _text(
                    mirror(x0 + column_width / 2),
                    y0 + row_height / 2,
                    [text],
                    anchor="middle",
                    rtl=False,
                    fill=ink,
                    weight="bold" if rank is not None and int(rank) <= 3 else None,
                )
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text and attribute escaped)

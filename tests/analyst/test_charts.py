"""The SVG charts: well-formed, accessible, escaped, self-contained and mirrored right to left."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from consult.reports import charts

SVG = "{http://www.w3.org/2000/svg}"
ROWS = [
    {
        "label": "Interpretation at municipal service points",
        "score": 4.2,
        "ci_low": 3.9,
        "ci_high": 4.5,
    },
    {"label": "<script>alert('x')</script> & more", "score": 3.1, "ci_low": 2.5, "ci_high": 3.6},
    {
        "label": "حملات لمكافحة التمييز وخطاب الكراهية",
        "score": 2.0,
        "ci_low": None,
        "ci_high": None,
    },
]


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def check_self_contained(svg: str) -> None:
    assert "style" not in svg  # no style attribute or element (Content-Security-Policy)
    assert "<script" not in svg
    assert "href" not in svg
    assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]
    assert "font-family" not in svg  # text inherits the page's (shipped) fonts


def test_dot_whisker_is_an_accessible_image():
    svg = charts.dot_whisker(
        ROWS, title="Scores & intervals", description="Dots <and> lines", chart_id="c1"
    )
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").get("id") == "c1-title"
    assert root.find(f"{SVG}title").text == "Scores & intervals"
    assert root.find(f"{SVG}desc").text == "Dots <and> lines"
    assert root.get("direction") == "ltr"
    check_self_contained(str(svg))
    # every label is there (escaped in the markup, intact in the document), with a tooltip
    rows = [g for g in root.iter(f"{SVG}g") if g.get("class") == "chart__row"]
    assert [g.find(f"{SVG}title").text for g in rows] == [r["label"] for r in ROWS]
    assert "&lt;script&gt;" in svg
    # one dot per scored item, whiskers (3 lines each) only where there is an interval
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    marks = [ln for ln in root.iter(f"{SVG}line") if ln.get("stroke") == charts.MARK]
    assert len(marks) == 2 * 3


def test_dot_whisker_positions_follow_the_scores():
    root = parse(charts.dot_whisker(ROWS, title="t", description="d"))
    xs = [float(c.get("cx")) for c in root.iter(f"{SVG}circle")]
    assert xs[0] > xs[1] > xs[2]  # higher score further along the axis (to the right)
    rtl = parse(charts.dot_whisker(ROWS, title="t", description="d", rtl=True))
    mirrored = [float(c.get("cx")) for c in rtl.iter(f"{SVG}circle")]
    width = float(rtl.get("viewBox").split()[2])
    assert mirrored == pytest.approx([width - x for x in xs], abs=0.01)
    assert mirrored[0] < mirrored[1] < mirrored[2]  # right to left: the axis grows leftwards


def test_right_to_left_flips_the_anchors_and_embeds_the_labels():
    ltr = parse(charts.dot_whisker(ROWS, title="t", description="d"))
    rtl = parse(charts.dot_whisker(ROWS, title="t", description="d", rtl=True))

    def label_texts(root):
        return [
            g.find(f"{SVG}text") for g in root.iter(f"{SVG}g") if g.get("class") == "chart__row"
        ]

    assert {t.get("text-anchor") for t in label_texts(ltr)} == {"end"}
    assert {t.get("text-anchor") for t in label_texts(rtl)} == {"start"}
    first_rtl = "".join(label_texts(rtl)[2].itertext())
    assert first_rtl.startswith(charts.RLE)
    assert first_rtl.endswith(charts.PDF)
    assert charts.RLE not in "".join(label_texts(ltr)[2].itertext())
    # label x: the edge next to the plot, mirrored
    width = float(ltr.get("viewBox").split()[2])
    x_ltr = float(label_texts(ltr)[0].find(f"{SVG}tspan").get("x"))
    x_rtl = float(label_texts(rtl)[0].find(f"{SVG}tspan").get("x"))
    assert x_rtl == pytest.approx(width - x_ltr)


def test_axis_ticks_cover_every_interval_and_use_the_formatter():
    root = parse(
        charts.dot_whisker(
            ROWS,
            title="t",
            description="d",
            axis_label="Score",
            number_format=lambda v: f"[{v:.1f}]",
        )
    )
    ticks = [t.text for t in root.iter(f"{SVG}tspan") if t.text and t.text.startswith("[")]
    values = [float(t.strip("[]")) for t in ticks]
    assert values[0] <= 2.0
    assert values[-1] >= 4.5
    assert "Score" in [t.text for t in root.iter(f"{SVG}tspan")]


def test_empty_and_missing_values_still_draw():
    root = parse(charts.dot_whisker([], title="t", description="d"))
    assert list(root.iter(f"{SVG}circle")) == []
    root = parse(
        charts.dot_whisker(
            [{"label": "x", "score": None, "ci_low": None, "ci_high": None}],
            title="t",
            description="d",
        )
    )
    assert list(root.iter(f"{SVG}circle")) == []


def test_heat_map_writes_every_rank_and_colours_by_rank():
    items = [{"code": c, "label": f"Item {c}"} for c in "abcdef"]
    groups = [
        {"name": "National NGO", "ranks": dict(zip("abcdef", [1, 2, 3, 4, 5, 6], strict=True))},
        {"name": "Academic <x>", "ranks": dict(zip("abcde", [6, 5, 4, 3, 2], strict=True))},
    ]
    svg = charts.rank_heatmap(items, groups, title="Ranks", description="By group", chart_id="h")
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "h-title h-desc"
    check_self_contained(str(svg))
    assert "Academic &lt;x&gt;" in svg
    children = list(root)
    cells = [
        (element, children[i + 1])
        for i, element in enumerate(children)
        if element.tag == f"{SVG}rect" and element.get("stroke") == charts.GRID
    ]
    assert len(cells) == 12  # 6 items x 2 groups, row by row
    written = ["".join(text.itertext()) for _rect, text in cells]
    assert written == ["1", "6", "2", "5", "3", "4", "4", "3", "5", "2", "6", "–"]
    for rect, text in cells:  # the ink that reads on the cell's fill
        if "".join(text.itertext()) != "–":
            assert (rect.get("fill"), text.get("fill")) in charts.HEAT_COLOURS
    fills = {rect.get("fill") for rect, _text in cells}
    assert charts.HEAT_COLOURS[0][0] in fills  # rank 1
    assert charts.HEAT_COLOURS[-1][0] in fills  # rank 6 of 6


def test_heat_map_mirrors_right_to_left():
    items = [{"code": "a", "label": "أ"}, {"code": "b", "label": "ب"}]
    groups = [{"name": "g1", "ranks": {"a": 1, "b": 2}}, {"name": "g2", "ranks": {"a": 2, "b": 1}}]
    ltr = parse(charts.rank_heatmap(items, groups, title="t", description="d"))
    rtl = parse(charts.rank_heatmap(items, groups, title="t", description="d", rtl=True))
    width = float(ltr.get("viewBox").split()[2])
    first_ltr = next(r for r in ltr.iter(f"{SVG}rect") if r.get("stroke") == charts.GRID)
    first_rtl = next(r for r in rtl.iter(f"{SVG}rect") if r.get("stroke") == charts.GRID)
    right_edge = float(first_rtl.get("x")) + float(first_rtl.get("width"))
    assert right_edge == pytest.approx(width - float(first_ltr.get("x")))


@pytest.mark.parametrize(("fill", "ink"), charts.HEAT_COLOURS)
def test_heat_map_text_has_enough_contrast(fill, ink):
    assert contrast(fill, ink) >= 4.5


@pytest.mark.parametrize("colour", [charts.TEXT, charts.MUTED, charts.AXIS, charts.MARK])
def test_chart_ink_has_enough_contrast_on_white_and_on_bands(colour):
    assert contrast(colour, "#ffffff") >= 4.5
    assert contrast(colour, charts.BAND) >= 4.5


def test_wrap_label_keeps_at_most_two_lines():
    lines = charts.wrap_label("one two three four five six seven eight nine ten", 10)
    assert len(lines) == 2
    assert lines[-1].endswith("…")
    assert all(len(line) <= 10 for line in lines)
    assert charts.wrap_label("Supercalifragilistic", 8) == ["Superca…"]

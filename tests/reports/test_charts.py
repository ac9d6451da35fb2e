"""Charts are well-formed SVG with escaped text, accessible names and drill-down links."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from kesu.reports import charts

SVG = "{http://www.w3.org/2000/svg}"
NASTY = '<b onclick="x">&破损</b>'


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    ids = root.get("aria-labelledby").split()
    found = {el.get("id") for el in root.iter() if el.get("id")}
    assert set(ids) <= found  # the title and desc it names exist
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]


CHARTS = {
    "trend": lambda: charts.trend(
        "t",
        title=NASTY,
        desc="趋势",
        labels=["26-09", NASTY],
        bars=charts.Series("受理", [3, 5]),
        lines=[charts.Series("及时率", [0.5, None])],
        hrefs=["/x?a=1&b=2", None],
    ),
    "hbars": lambda: charts.hbars(
        "h", title="分类", desc="d", data=[charts.Datum(NASTY, 4, "/list?category=a&x=1")]
    ),
    "pareto": lambda: charts.pareto(
        "p", title="原因", desc="d", data=[charts.Datum("包装", 8), charts.Datum(NASTY, 2)]
    ),
    "heatmap": lambda: charts.heatmap(
        "m",
        title="热力",
        desc="d",
        rows=[NASTY, "延误"],
        columns=["运营部", "客服部"],
        values=[[3, 0], [1, 7]],
        hrefs=[["/a?x=1&y=2", None], [None, "/b"]],
    ),
    "bullet": lambda: charts.bullet("k", title=NASTY, actual=0.85, target=0.9),
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_is_well_formed_and_text_stays_text(name):
    svg = CHARTS[name]()
    root = parse(svg)
    assert "<b " not in svg  # escaped, never markup
    everything = "".join(root.itertext())
    assert NASTY in everything or "&破" in everything or name == "pareto"


def test_links_are_escaped_attributes():
    root = parse(CHARTS["hbars"]())
    links = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert links == ["/list?category=a&x=1"]


def test_pareto_marks_eighty_percent_and_the_cumulative_line():
    root = parse(
        charts.pareto(
            "p",
            title="原因",
            desc="d",
            data=[charts.Datum("a", 6), charts.Datum("b", 3), charts.Datum("c", 1)],
        )
    )
    assert "80%" in texts(root)
    (line,) = list(root.iter(f"{SVG}polyline"))
    points = line.get("points").split()
    assert len(points) == 3
    tips = ["".join(c.itertext()) for c in root.iter(f"{SVG}circle")]
    assert tips == ["60.0%", "90.0%", "100.0%"]


def test_heatmap_cells_show_counts_and_link_only_non_empty_cells():
    root = parse(CHARTS["heatmap"]())
    assert [a.get("href") for a in root.iter(f"{SVG}a")] == ["/a?x=1&y=2", "/b"]
    assert {"3", "1", "7"} <= set(texts(root))


def test_bullet_colours_a_missed_target_and_handles_no_data():
    missed = charts.bullet("k", title="满意度", actual=0.85, target=0.9)
    assert charts.BAD in missed
    met = charts.bullet("k", title="响应", actual=1.5, target=2, higher_is_better=False, fmt=str)
    assert charts.GOOD in met
    parse(charts.bullet("k", title="投诉率", actual=None, target=0.05))


def test_empty_data_draws_a_message():
    root = parse(charts.hbars("e", title="空", desc="本月没有投诉", data=[]))
    assert texts(root) == ["本月没有投诉"]

"""The report page shell: escaped text, inlined plotly, tables."""

from __future__ import annotations

import plotly.graph_objects as go

from detente.report._html import figure_html, page, table_html


def test_page_is_self_contained_and_escaped() -> None:
    html = page("Talks <A&B>", ["<p>body</p>"], subtitle="x < y")
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>Talks &lt;A&amp;B&gt;</title>" in html
    assert '<p class="note">x &lt; y</p>' in html
    assert "<p>body</p>" in html
    assert "<script src=" not in html  # nothing fetched from a CDN
    assert "<script>" in html
    assert len(html) > 1_000_000


def test_page_without_plots_has_no_script() -> None:
    html = page("t", [], with_plots=False)
    assert "<script>" not in html
    assert 'class="note"' not in html


def test_figure_uses_the_page_script() -> None:
    div = figure_html(go.Figure(go.Scatter(x=[0, 1], y=[1, 0])), "frontier")
    assert 'id="frontier"' in div
    assert "<script src=" not in div


def test_table_cells() -> None:
    html = table_html(["party", "u"], [["<east>", 0.5], ["west", 1234]], caption="a & b")
    assert "<caption>a &amp; b</caption>" in html
    assert "<td>&lt;east&gt;</td>" in html
    assert '<td class="num">0.500</td>' in html
    assert '<td class="num">1,234</td>' in html
    assert "<caption>" not in table_html(["x"], [])

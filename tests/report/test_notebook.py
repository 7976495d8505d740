"""Result objects render in a notebook: their HTML reports, as fragments, escaped."""

from __future__ import annotations

import html
import pickle
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from detente import display, durability
from detente.analysis import analyze
from detente.assess import assess
from detente.brief import build_briefing
from detente.forecast.scenario import forecast_scenario
from detente.negotiation import Trace, load_trace, negotiate, save_trace, session_metrics
from detente.negotiation.tournament import run_tournament
from detente.precedents import find_precedents, load_ethprio
from detente.report._html import (
    NOTEBOOK_CLASS,
    _scoped_css,
    figure_html,
    notebook_fragment,
    page,
)
from detente.report.negotiation import session_report
from detente.scenario import Scenario, load_scenario
from detente.space import OutcomeSpace

DATA = Path(__file__).resolve().parents[1] / "data" / "precedents"
#: A party name that breaks the page if it is not escaped.
HOSTILE = 'Rebels <script>alert("x")</script> & co'
_VOID = {"meta", "br", "img", "input", "hr", "link", "col", "wbr", "source", "area", "base"}


class _Balance(HTMLParser):
    """Checks that every element opened is closed, in order; records the text."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            self.stack.append(tag)
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"</{tag}> closes nothing"
        opened = self.stack.pop()
        assert opened == tag, f"<{opened}> closed by </{tag}>"
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


def _parsed(fragment: str) -> _Balance:
    parser = _Balance()
    parser.feed(fragment)
    parser.close()
    assert parser.stack == [], f"unclosed: {parser.stack}"
    return parser


def _hostile() -> Scenario:
    model = load_scenario("ceasefire-2025")
    data = model.model_dump(mode="json")
    for party in data["parties"]:
        if party["name"] == "Ukraine":
            party["name"] = HOSTILE
    for issue in data["issues"]:
        if issue["name"] == "sanctions_relief":
            issue["label"] = "Sanctions <b>relief</b>"
    return Scenario.model_validate(data)


@pytest.fixture(scope="module")
def space() -> OutcomeSpace:
    return OutcomeSpace.from_scenario(_hostile())


def _plain_ids(fragment: str) -> str:
    """``fragment`` with the plots' per-fragment id suffixes taken off."""
    return re.sub(r'"(\w+)-[0-9a-f]{12}"', r'"\1"', fragment)


def _check(obj: Any, *figures: str) -> str:
    fragment = obj._repr_html_()
    assert isinstance(fragment, str)
    assert fragment.startswith(f'<div class="{NOTEBOOK_CLASS}">')
    assert "<!DOCTYPE" not in fragment
    assert "<body" not in fragment
    assert "<html" not in fragment
    parsed = _parsed(fragment)
    text = html.unescape("".join(parsed.text))
    for wanted in figures:
        assert wanted in text, wanted
    assert "<script>alert" not in fragment
    assert "Sanctions <b>relief</b>" not in fragment
    return text


@pytest.mark.slow
def test_an_analysis_and_its_assessment_show_the_analysis_report(space: OutcomeSpace) -> None:
    result = analyze(space, rng=0, sensitivity_samples=100)
    text = _check(result, f"{result.zopa.count:,} deals", HOSTILE)
    assert "Recommended deal" not in text
    answer = assess(result, paths=200, seed=0)
    assert answer.recommended is not None
    survival = f"{100 * answer.recommended.survival_1y:.1f}%"
    _check(answer, f"{result.zopa.count:,} deals", "Recommended deal", survival, HOSTILE)


def test_a_durability_run_shows_its_survival(space: OutcomeSpace) -> None:
    run = durability.run(space, "nash", paths=200, seed=1)
    assert run.survival_1y is not None
    _check(run, "Durability of the nash deal", f"At one year: {100 * run.survival_1y:.1f}%")


def test_a_tournament_shows_its_ranking() -> None:
    scenario = load_scenario("ceasefire-2025")
    result = run_tournament([scenario], ["boulware", "conceder"], rounds=20, seed=0)
    score = result.by_strategy[0]
    _check(result, "By strategy", score.strategy, f"{score.mean_utility:.3f}")


#: What a trace's page says when the trace lacks its outcome space.
NO_SPACE = "does not hold its scenario's outcome space"


@pytest.fixture(scope="module")
def trace(space: OutcomeSpace) -> Trace:
    return negotiate(space, ["boulware", "conceder"], rounds=60, seed=4)


def test_a_fresh_trace_shows_its_session_report(space: OutcomeSpace, trace: Trace) -> None:
    assert trace.agreement_deal is not None, "the set-up should reach a deal"
    metrics = session_metrics(space, trace)
    text = _check(
        trace,
        "distance to Nash",
        f"{metrics.nash_distance:.3f}",
        f"{metrics.pareto_distance:.3f}",
        f"{metrics.welfare:.3f}",
        "Agreement",
        HOSTILE,
    )
    assert NO_SPACE not in text
    fragment = trace._repr_html_()
    again = notebook_fragment(session_report(space, trace))  # the --html page
    assert _plain_ids(fragment) == _plain_ids(again)
    assert '"name":"Pareto frontier"' in fragment


@pytest.mark.parametrize("how", ["jsonl", "parquet", "pickle"])
def test_a_trace_without_its_space_says_what_is_missing(
    tmp_path: Path, trace: Trace, how: str
) -> None:
    if how == "pickle":
        alone = pickle.loads(pickle.dumps(trace))
    else:
        alone = load_trace(save_trace(trace, tmp_path / f"t.{how}"))
    assert alone.space is None
    assert trace.agreement_deal is not None
    welfare = f"{sum(trace.final_utilities):.3f}"
    option = str(next(iter(trace.agreement_deal.values())))
    text = _check(alone, "Result", welfare, "Who plays what", "Agreement", option, NO_SPACE)
    assert HOSTILE in text
    assert "distance to Nash" not in text
    fragment = alone._repr_html_()
    assert fragment is not None
    assert '"name":"Pareto frontier"' not in fragment
    assert '"name":"offers of Russia"' in fragment  # the offers in the plane are drawn


def test_a_single_text_trace_draws_the_mediators_texts(space: OutcomeSpace) -> None:
    trace = negotiate(space, None, protocol="single-text", rounds=10, seed=0)
    assert (trace.proposers < 0).any()
    fragment = trace._repr_html_()
    assert fragment is not None
    assert f'"name":"texts of {trace.chair or "the mediator"}"' in fragment


def test_a_trace_without_plotly_shows_its_repr(
    monkeypatch: pytest.MonkeyPatch, trace: Trace
) -> None:
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)  # import fails
    assert trace._repr_html_() is None


def test_a_forecast_and_a_scenario_forecast_show_the_outcome(space: OutcomeSpace) -> None:
    result = forecast_scenario(space)
    _check(result.forecast, "Forecast outcome")
    _check(result, "Forecast outcome", HOSTILE)


@pytest.mark.slow
def test_a_briefing_shows_the_recommended_deal() -> None:
    briefing = build_briefing(
        OutcomeSpace.from_scenario(load_scenario("ceasefire-2025")), seed=2, paths=200, rounds=40
    )
    _check(briefing, briefing.title)


def test_a_precedent_search_shows_its_matches() -> None:
    records = load_ethprio(DATA / "ethprio-sample.csv")
    profile = {"written": True, "mediated": True, "international_mission": False}
    search = find_precedents(records, profile, threshold=0.5)
    assert search.precedents
    _check(search, "Precedents of the deal", search.precedents[0].country)


def test_the_fragment_keeps_the_page_and_confines_its_styles() -> None:
    document = page("T <1>", ["<p>body &amp; text</p>"], subtitle="sub", with_plots=False)
    fragment = notebook_fragment(document)
    assert fragment == (
        f'<div class="{NOTEBOOK_CLASS}"><style>{_scoped_css()}</style>'
        '<h1>T &lt;1&gt;</h1><p class="note">sub</p><p>body &amp; text</p></div>'
    )
    for rule in _scoped_css().split("}")[:-1]:
        selectors = rule.split("{")[0].split(",")
        assert all(s.startswith(f".{NOTEBOOK_CLASS}") for s in selectors), rule
    assert f".{NOTEBOOK_CLASS}{{font-family" in _scoped_css()  # what the page set on <body>


def test_an_object_without_a_renderer_has_no_html() -> None:
    class Plain(display.HTMLRepr):
        pass

    assert Plain()._repr_html_() is None


def test_without_plotly_the_notebook_shows_the_plain_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    class Drawn(display.HTMLRepr):
        pass

    def needs_plotly(obj: object) -> str:
        raise ImportError("No module named 'plotly'")

    monkeypatch.setitem(display._RENDERERS, Drawn, needs_plotly)
    assert Drawn()._repr_html_() is None


def test_without_the_renderers_module_nothing_is_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(display, "RENDERER_MODULE", "detente.no_such_module")
    monkeypatch.setitem(display._STATE, "loaded", False)
    assert load_scenario("ceasefire-2025") is not None
    assert display.html_of(object()) is None


def test_two_fragments_of_one_page_draw_each_in_its_own_cell() -> None:
    """A notebook holds many fragments in one page: a plot's id is unique to its fragment."""
    go = pytest.importorskip("plotly.graph_objects")
    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name="timeline"))  # a trace named as a plot
    document = page("T", [figure_html(figure, "timeline"), figure_html(figure, "plane")])
    first, second = notebook_fragment(document), notebook_fragment(document)
    ids = [re.findall(r'<div id="([^"]+)" class="plotly-graph-div"', f) for f in (first, second)]
    assert [len(i) for i in ids] == [2, 2]
    assert not set(ids[0]) & set(ids[1])
    for fragment, names in zip((first, second), ids, strict=True):
        for name in names:  # each plot's script draws into its own element
            assert f'getElementById("{name}")' in fragment
            assert re.search(rf'Plotly\.newPlot\(\s*"{name}"', fragment)
        assert '"name":"timeline"' in fragment  # data is left alone
    assert _plain_ids(first) == _plain_ids(second)

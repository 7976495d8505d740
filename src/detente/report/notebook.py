"""The HTML reports as notebook output: each result class's ``_repr_html_`` renders here.

Importing this module registers one renderer per result class with
:func:`detente.display.register_html`; each is the class's HTML report (the page that
``--html`` writes) made into a notebook fragment by
:func:`~detente.report._html.notebook_fragment`.
"""

from __future__ import annotations

from detente.analysis import Analysis
from detente.assess import Assessment
from detente.brief import Briefing
from detente.display import register_html
from detente.durability import DurabilityRun
from detente.forecast.result import Forecast
from detente.forecast.scenario import ScenarioForecast
from detente.negotiation import Trace
from detente.negotiation.tournament import TournamentResult
from detente.precedents.search import PrecedentSearch
from detente.report._html import notebook_fragment
from detente.report.analysis import analysis_html
from detente.report.brief import briefing_html
from detente.report.durability import durability_report
from detente.report.forecast import forecast_report
from detente.report.negotiation import tournament_report, trace_report
from detente.report.precedents import precedents_report

__all__: list[str] = []


@register_html(Analysis)
def _analysis(result: Analysis) -> str:
    return notebook_fragment(analysis_html(result))


@register_html(Assessment)
def _assessment(result: Assessment) -> str:
    return notebook_fragment(analysis_html(result.analysis, assessment=result))


@register_html(DurabilityRun)
def _durability(run: DurabilityRun) -> str:
    return notebook_fragment(durability_report(run))


@register_html(Trace)
def _trace(trace: Trace) -> str:
    return notebook_fragment(trace_report(trace))


@register_html(TournamentResult)
def _tournament(result: TournamentResult) -> str:
    return notebook_fragment(tournament_report(result))


@register_html(Forecast)
def _forecast(result: Forecast) -> str:
    return notebook_fragment(forecast_report(result))


@register_html(ScenarioForecast)
def _scenario_forecast(result: ScenarioForecast) -> str:
    return notebook_fragment(forecast_report(result.forecast, scenario=result))


@register_html(Briefing)
def _briefing(briefing: Briefing) -> str:
    return notebook_fragment(briefing_html(briefing))


@register_html(PrecedentSearch)
def _precedents(search: PrecedentSearch) -> str:
    return notebook_fragment(precedents_report(search, title="Precedents of the deal"))

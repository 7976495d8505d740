"""Stakeholder forecasting: where will talks settle, and who moves toward whom?

Models: KTAB's Spatial Model of Politics (:func:`run_smp`), the classic expected-utility model
(:func:`run_bdm`) and the compromise baseline (:func:`run_compromise`); :func:`evaluate` tests
them on the DEU III data set of EU decisions. :func:`forecast_scenario` forecasts a negotiation
scenario and reports the forecast as a deal in its own terms. See ``docs/explanation/forecast.md``.
"""

from detente.forecast.bdm import run_bdm
from detente.forecast.compromise import run_compromise
from detente.forecast.evaluate import MODELS, evaluate
from detente.forecast.inputs import Stakeholders, load_stakeholders
from detente.forecast.placement import Placement, place
from detente.forecast.result import Forecast, forecast_json
from detente.forecast.scenario import (
    ForecastDeal,
    ScenarioForecast,
    forecast_scenario,
    load_forecast_input,
    scenario_forecast_json,
)
from detente.forecast.smp import run_smp

__all__ = [
    "MODELS",
    "Forecast",
    "ForecastDeal",
    "Placement",
    "ScenarioForecast",
    "Stakeholders",
    "evaluate",
    "forecast_json",
    "forecast_scenario",
    "load_forecast_input",
    "load_stakeholders",
    "place",
    "run_bdm",
    "run_compromise",
    "run_smp",
    "scenario_forecast_json",
]

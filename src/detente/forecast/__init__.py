"""Stakeholder forecasting: where will talks settle, and who moves toward whom?

Models: KTAB's Spatial Model of Politics (:func:`run_smp`), the classic expected-utility model
(:func:`run_bdm`) and the compromise baseline (:func:`run_compromise`); :func:`evaluate` tests
them on the DEU III data set of EU decisions. See ``docs/explanation/forecast.md``.
"""

from detente.forecast.bdm import run_bdm
from detente.forecast.compromise import run_compromise
from detente.forecast.evaluate import MODELS, evaluate
from detente.forecast.inputs import Stakeholders, load_stakeholders
from detente.forecast.result import Forecast, forecast_json
from detente.forecast.smp import run_smp

__all__ = [
    "MODELS",
    "Forecast",
    "Stakeholders",
    "evaluate",
    "forecast_json",
    "load_stakeholders",
    "run_bdm",
    "run_compromise",
    "run_smp",
]

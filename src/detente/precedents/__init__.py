"""Precedents: the record of real ceasefires and agreements, a survival model fitted to it.

Loaders read a user's own copies of the ETH/PRIO Civil Conflict Ceasefire data, PA-X and the
UCDP Peace Agreement and Conflict Termination data (detente ships none of them); a Cox model of
ceasefire duration is fitted to ETH/PRIO and shipped as figures with their provenance
(``fitted.json``); a search lists the past ceasefires most like a deal, with the Kaplan-Meier
curve of the matched set. Needs the ``precedents`` extra (pandas, lifelines).
Model, sources and the out-of-sample check: ``docs/explanation/precedents.md``.
"""

from detente.precedents.model import (
    COVARIATES,
    CeasefireModel,
    fit_ceasefire_model,
    fit_ethprio_file,
    shipped_model,
)
from detente.precedents.predict import PredictionResult, predict_file
from detente.precedents.records import (
    load_ethprio,
    load_pax,
    load_ucdp_agreements,
    load_ucdp_termination,
)
from detente.precedents.search import PrecedentSearch, deal_features, find_precedents
from detente.precedents.validation import Validation, out_of_sample

__all__ = [
    "COVARIATES",
    "CeasefireModel",
    "PrecedentSearch",
    "PredictionResult",
    "Validation",
    "deal_features",
    "find_precedents",
    "fit_ceasefire_model",
    "fit_ethprio_file",
    "load_ethprio",
    "load_pax",
    "load_ucdp_agreements",
    "load_ucdp_termination",
    "out_of_sample",
    "predict_file",
    "shipped_model",
]

"""Shared paths and helpers of the forecast tests."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from detente.forecast.inputs import Stakeholders

DATA = Path(__file__).parent / "data"
KTAB_INPUTS = DATA / "ktab" / "inputs"
KTAB_REFERENCE = DATA / "ktab" / "reference"
EC_EMISSIONS = DATA / "stakeholders" / "ExampleActors_EC_emissions.csv"
DEU3 = DATA / "stakeholders" / "deu3_with_gdp.tsv"


def ec_emissions() -> Stakeholders:
    """The EC emissions example (positions 4-10, salience 0-1 read as 0-100)."""
    with EC_EMISSIONS.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return Stakeholders(
        name="ec-emissions",
        actors=tuple(r["Actor"] for r in rows),
        dimensions=("emissions",),
        capability=np.array([float(r["Capability"]) for r in rows]),
        position=np.array([[float(r["Position"])] for r in rows]),
        salience=np.array([[float(r["Salience"]) * 100] for r in rows]),
    )


@pytest.fixture
def ec() -> Stakeholders:
    return ec_emissions()

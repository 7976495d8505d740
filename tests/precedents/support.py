"""Synthetic ceasefire records with known effects, for the model and validation tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic(n: int, seed: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """Ceasefires with exponential durations and known hazard ratios, censored at 2014."""
    rng = np.random.default_rng(seed)
    codes = {
        "side": rng.choice([1, 2, 3], n),
        "written": rng.choice([0, 1, 2, -1], n, p=[0.45, 0.25, 0.2, 0.1]),
        "ceasefire_class": rng.choice([1, 2, 3], n),
        "timing": rng.choice([0, 1, 2, 3], n),
        "mediator_nego": rng.choice([0, 1], n),
        "implement": rng.choice([0, 1], n, p=[0.6, 0.4]),
        "enforcement": rng.choice([0, 1, 2], n, p=[0.7, 0.1, 0.2]),
        "ddr": rng.choice([0, 1], n),
    }
    truth = {"written": np.log(0.6), "implementation": np.log(0.5), "mediated": np.log(1.3)}
    linear = (
        truth["written"] * np.isin(codes["written"], [1, 2])
        + truth["implementation"] * (codes["implement"] == 1)
        + truth["mediated"] * (codes["mediator_nego"] == 1)
    )
    days = rng.exponential(200.0 / np.exp(linear)).round() + 1
    start = pd.Timestamp("1990-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24, n), "D")
    end = start + pd.to_timedelta(days, "D")
    end = end.where(end <= pd.Timestamp("2014-12-31"))
    records = pd.DataFrame(
        {
            "cc": np.arange(n),
            "cf_id": 1,
            **codes,
            "year": start.year,
            "start": start,
            "end": end,
            "end_year_only": False,
        }
    )
    return records, truth

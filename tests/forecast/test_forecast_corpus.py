"""The forecast runs on every GENIUS domain of the corpus (tests/data/corpus/genius).

Bilateral and multilateral domains, discrete and numeric issues: every model's deal is a valid
deal of the scenario, valued as the outcome space values it, and every reported gap between the
models splits exactly into the actors' parts. A domain with a single profile is refused with a
clear error (there is no one to bargain with); a folder the reader refuses is one of
``REFUSED``. Domains with many parties (SMP's cost grows with the cube of the number of actors)
and the full sweep are marked slow; a fast sample stays in the default run.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from detente import OutcomeSpace
from detente.errors import DetenteError
from detente.forecast import forecast_scenario
from detente.forecast.inputs import StakeholderError
from detente.scenario.formats.genius import load_genius
from detente.scenario.model import NumericIssue, Scenario
from tests.forecast.test_forecast_scenario import _check_deals, _check_gaps

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus" / "genius"
FOLDERS = sorted({p.parent for p in CORPUS.rglob("*.xml")})
#: Domains run in the default (fast) selection: bilateral, multilateral, numeric issues.
FAST = {
    "anac/y2010/EnglandZimbabwe",
    "anac/y2011/Energy",
    "anac/y2012/BarbecueA",
    "anac/y2013/Wholesaler",
    "anac/y2016/Caduceus",
    "anac/y2016/Grandma",
    "other/laptopdomainNoBayes",
}
#: Folders the GENIUS reader refuses (tests/formats/test_corpus.py checks why): this one's agent
#: list names a buyer profile the folder does not hold.
REFUSED = {"other/laptopdomainNoBayes"}


def _load(folder: Path) -> Scenario | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # repairs are checked in tests/formats/test_corpus.py
        try:
            return load_genius(folder)
        except DetenteError:  # refused constructs are checked there too
            return None


def _id(folder: Path) -> str:
    return str(folder.relative_to(CORPUS))


PARAMS = [
    pytest.param(f, id=_id(f), marks=() if _id(f) in FAST else pytest.mark.slow) for f in FOLDERS
]


@pytest.mark.parametrize("folder", PARAMS)
def test_forecast_runs_on_the_domain(folder: Path) -> None:
    scenario = _load(folder)
    if scenario is None:
        assert _id(folder) in REFUSED
        return
    assert _id(folder) not in REFUSED
    space = OutcomeSpace.from_scenario(scenario)
    if space.n_parties < 2:
        with pytest.raises(StakeholderError, match="at least two parties"):
            forecast_scenario(space)
        return
    result = forecast_scenario(space)
    assert result.placement.stakeholders.actors == space.party_names
    for issue, line in zip(scenario.issues, result.placement.lines, strict=True):
        assert line.rule == ("numeric" if isinstance(issue, NumericIssue) else "axis")
        assert 0.0 <= line.positions.min() <= line.positions.max() <= 100.0
    _check_deals(space, result)
    _check_gaps(result)


def test_the_corpus_has_bilateral_multilateral_and_numeric_domains() -> None:
    loaded = [s for f in FOLDERS if (s := _load(f)) is not None]
    assert len(loaded) >= 120
    assert any(len(s.parties) == 2 for s in loaded)
    assert any(len(s.parties) > 2 for s in loaded)
    assert any(isinstance(i, NumericIssue) for s in loaded for i in s.issues)
    fast = [f for f in FOLDERS if _id(f) in FAST]
    assert len(fast) == len(FAST)

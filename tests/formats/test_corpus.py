"""Every GENIUS domain of the shared corpus imports, matches GENIUS's rules and round-trips.

The corpus ships with the tests (``tests/data/corpus/genius``: ANAC 2010-2016 and other
published domains, see its SOURCES.md). Each folder is imported; every outcome (or a sample of
1,000 for big spaces) is scored by detente, the first 100 also by the plain-Python GENIUS
reference; then the scenario is exported to GENIUS XML and to GeniusWeb JSON and read back,
and the utilities must be identical.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from detente.errors import FormatError, RepairWarning, UnsupportedError
from detente.scenario.formats._xml import parse_xml
from detente.scenario.formats.genius import classify, load_genius, save_genius
from detente.scenario.formats.geniusweb import load_geniusweb, save_geniusweb
from detente.scenario.model import Scenario
from detente.space import OutcomeSpace
from tests.genius_reference import Profile

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus" / "genius"
FOLDERS = sorted({p.parent for p in CORPUS.rglob("*.xml")})
ENUMERATE_UP_TO = 20_000
#: Folders that are incomplete as published: they must be refused, naming what is missing.
INCOMPLETE = {"other/laptopdomainNoBayes": "names the profile laptop_buyer_utility.xml"}


def test_the_corpus_is_there() -> None:
    assert len(FOLDERS) >= 130


def _load(folder: Path) -> Scenario:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario = load_genius(folder)
    for w in caught:  # every warning is a repair that names a file of this folder
        assert issubclass(w.category, RepairWarning), w.message
        assert str(folder) in str(w.message), w.message
    return scenario


def _options(space: OutcomeSpace) -> np.ndarray:
    if space.size <= ENUMERATE_UP_TO:
        return space.unravel(np.arange(space.size))
    return space.sample(1_000, np.random.default_rng(7))


def _profile_files(folder: Path) -> dict[str, Path]:
    """Party name -> profile file: the name is the file's stem (the analysis JSON contract)."""
    files: dict[str, Path] = {}
    for file in folder.glob("*.xml"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RepairWarning)
            root = parse_xml(file.read_bytes(), file)
        if classify(root) == "profile":
            files[file.stem] = file
    return files


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_domain_imports_and_round_trips(folder: Path, tmp_path: Path) -> None:
    missing = INCOMPLETE.get(str(folder.relative_to(CORPUS)))
    if missing is not None:
        with pytest.raises(FormatError, match=missing):
            _load(folder)
        return
    scenario = _load(folder)
    space = OutcomeSpace.from_scenario(scenario)
    options = _options(space)
    utilities = space.utilities_of_options(options)

    # detente agrees with GENIUS's rules on the first 100 of these outcomes
    files = _profile_files(folder)
    for p, name in enumerate(space.party_names):
        reference = Profile(files[name])
        want = [reference.utility(space.deal(row)) for row in options[:100]]
        np.testing.assert_allclose(utilities[:100, p], want, rtol=0, atol=1e-9)

    # GENIUS XML round trip: identical utilities
    save_genius(scenario, tmp_path / "genius")
    back = _load(tmp_path / "genius")
    assert back.party_names == scenario.party_names
    again = OutcomeSpace.from_scenario(back).utilities_of_options(options)
    np.testing.assert_array_equal(again, utilities)

    # GeniusWeb round trip, where GeniusWeb can express the profiles
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RepairWarning)  # reservation values are left out
            save_geniusweb(scenario, tmp_path / "web.geniusweb")
    except UnsupportedError:
        assert any(i.kind != "discrete" for i in scenario.issues)  # a clipped numeric line
        return
    web = load_geniusweb(tmp_path / "web.geniusweb")
    assert sorted(web.party_names) == sorted(scenario.party_names)
    order = [web.party_names.index(n) for n in scenario.party_names]
    web_utilities = OutcomeSpace.from_scenario(web).utilities_of_options(options)[:, order]
    np.testing.assert_allclose(web_utilities, utilities, rtol=0, atol=1e-12)


def test_the_corpus_has_what_the_tests_claim() -> None:
    assert len(FOLDERS) >= 130
    assert any("y2016" in str(f) for f in FOLDERS)  # multilateral domains

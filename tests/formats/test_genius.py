"""GENIUS XML: import against GENIUS's own rules, quirk repairs, unsupported constructs, export."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from detente.errors import FormatError, RepairWarning, ScenarioError, UnsupportedError
from detente.scenario.formats._common import clipped_line
from detente.scenario.formats.genius import load_genius, save_genius
from detente.scenario.io import load_scenario, save_scenario
from detente.scenario.model import NumericIssue, RuleBasedPreferences, Scenario
from detente.space import OutcomeSpace
from tests.genius_reference import Profile
from tests.strategies import scenario_dicts, scenarios, weights

DATA = Path(__file__).parents[1] / "data" / "genius"


def _load_quietly(path: Path) -> tuple[Scenario, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario = load_genius(path)
    assert all(issubclass(w.category, RepairWarning) for w in caught)
    return scenario, [str(w.message) for w in caught]


def _check_against_genius(folder: Path, scenario: Scenario, profiles: dict[str, str]) -> None:
    """Every outcome's utility equals GENIUS's, computed from the XML by the reference."""
    space = OutcomeSpace.from_scenario(scenario)
    got = space.utilities(np.arange(space.size))
    for p, name in enumerate(space.party_names):
        reference = Profile(folder / profiles[name])
        want = [reference.utility(space.deal(k)) for k in range(space.size)]
        np.testing.assert_allclose(got[:, p], want, rtol=0, atol=1e-12)


def test_clean_folder_matches_genius_rules() -> None:
    scenario, caught = _load_quietly(DATA / "clean")
    assert caught == []
    assert scenario.name == "talks"
    assert scenario.party_names == ["talks-east", "talks-west"]
    east, west = scenario.parties
    assert east.reservation_value == 0.4
    assert east.discount_factor == 0.9
    assert west.discount_factor == 1.0
    troops = scenario.issue("troops")
    assert troops.kind == "integer"
    assert troops.values == [0, 1, 2, 3, 4]
    _check_against_genius(
        DATA / "clean",
        scenario,
        {"talks-east": "talks-east.xml", "talks-west": "talks-west.xml"},
    )


@pytest.mark.parametrize(
    ("folder", "stems", "agents"),
    [
        (
            "AMPOvsCity",
            ["ampo_vs_city_ampo_space", "ampo_vs_city_city_space"],
            ["AMPO", "City"],
        ),
        ("inheritancedomain", ["inheritance_Janet", "inheritance_Marty"], ["Janet", "Marty"]),
    ],
)
def test_parties_are_named_by_profile_stem_and_agent_names_become_descriptions(
    folder: str, stems: list[str], agents: list[str]
) -> None:
    scenario, _ = _load_quietly(DATA.parent / "corpus" / "genius" / "other" / folder)
    assert scenario.party_names == stems
    assert [p.description for p in scenario.parties] == agents


def test_a_name_no_file_can_hold_survives_the_round_trip(tmp_path: Path) -> None:
    scenario, _ = _load_quietly(DATA / "clean")
    raw = scenario.model_dump()
    raw["parties"][0]["name"] = "East / Ost?"
    renamed = Scenario.model_validate(raw)
    written = save_genius(renamed, tmp_path)
    assert sorted(p.name for p in written) == ["East_Ost.xml", "talks-west.xml", "talks.xml"]
    assert load_genius(tmp_path).party_names == ["East / Ost?", "talks-west"]
    assert 'detente_name="East / Ost?"' in (tmp_path / "East_Ost.xml").read_text()
    assert "detente_name" not in (tmp_path / "talks-west.xml").read_text()


def test_a_clipped_line_becomes_piecewise() -> None:
    scenario, _ = _load_quietly(DATA / "clean")
    prefs = scenario.party("talks-west").preferences
    assert not isinstance(prefs, RuleBasedPreferences)
    function = prefs.issues["troops"].function
    assert function is not None
    assert function.kind == "piecewise"  # 1 - 0.3 x leaves [0, 1] at x = 10/3


def test_a_domain_file_or_a_profile_file_is_a_scenario_path() -> None:
    folder_scenario, _ = _load_quietly(DATA / "clean")
    by_domain = load_scenario(DATA / "clean" / "talks-domain.xml")
    assert by_domain == folder_scenario
    one = load_scenario(DATA / "clean" / "talks-east.xml")
    assert one.party_names == ["talks-east"]


@pytest.mark.parametrize(
    ("quirk", "needle", "file"),
    [
        ("text-before-declaration", "text before the XML declaration", "talks-east.xml"),
        ("unescaped-ampersand", "unescaped '&'", "talks-domain.xml"),
        ("cp1252-bytes", "Windows-1252", "talks-domain.xml"),
        ("duplicate-values", "duplicate value 'joint'", "talks-domain.xml"),
        ("duplicate-values", "evaluated twice", "talks-east.xml"),
        ("bad-discount", "discount factor '1.5'", "talks-east.xml"),
        ("bad-discount", "discount factor 'n/a'", "talks-west.xml"),
        ("weights-not-one", "weights sum to 10", "talks-east.xml"),
    ],
)
def test_each_quirk_is_repaired_with_a_warning_naming_the_file(
    quirk: str, needle: str, file: str
) -> None:
    folder = DATA / quirk
    scenario, caught = _load_quietly(folder)
    assert any(needle in m and str(folder / file) in m for m in caught), caught
    _check_against_genius(
        folder, scenario, {"talks-east": "talks-east.xml", "talks-west": "talks-west.xml"}
    )


def test_repaired_values_are_what_genius_reads() -> None:
    cp1252, _ = _load_quietly(DATA / "cp1252-bytes")
    assert cp1252.issue("scope").values[0] == "essai \u2013 pr\u00e9liminaire"
    ampersand, _ = _load_quietly(DATA / "unescaped-ampersand")
    assert "joint & international" in ampersand.issue("monitors").values
    duplicates, _ = _load_quietly(DATA / "duplicate-values")
    assert duplicates.issue("monitors").values == ["none", "joint"]
    discount, _ = _load_quietly(DATA / "bad-discount")
    assert [p.discount_factor for p in discount.parties] == [1.0, 1.0]


def test_older_files_with_ranges_parameters_and_real_issues() -> None:
    scenario, caught = _load_quietly(DATA / "old-format")
    assert scenario.name == "web"
    delay = scenario.issue("delay")
    assert delay.kind == "real"
    assert len(delay.values) == 11
    # the seller's constant 0.5 on delay peaks below 1 and is rescaled, with a warning
    assert any("'delay' peak at 0.5" in m and "web-seller.xml" in m for m in caught)
    space = OutcomeSpace.from_scenario(scenario)
    got = space.utilities(np.arange(space.size))
    buyer = Profile(DATA / "old-format" / "web-buyer.xml")
    want = [buyer.utility(space.deal(k)) for k in range(space.size)]
    np.testing.assert_allclose(got[:, 0], want, atol=1e-12)
    deals = [space.deal(k) for k in range(space.size)]
    seller = [0.9 * 0.05 * d["revenue"] + 0.1 * 1.0 for d in deals]  # constant rescaled to 1
    np.testing.assert_allclose(got[:, 1], seller, atol=1e-12)
    assert scenario.party("web-buyer").discount_factor == 1.0  # 0 means no discounting


def test_hyper_rectangles_import_as_rules_and_match_genius() -> None:
    scenario, caught = _load_quietly(DATA / "anac2014")
    assert caught == []
    assert scenario.party_names == ["grid-util1", "grid-util2"]  # the log file is skipped
    for party in scenario.parties:
        assert isinstance(party.preferences, RuleBasedPreferences)
    _check_against_genius(
        DATA / "anac2014",
        scenario,
        {"grid-util1": "grid-util1.xml", "grid-util2": "grid-util2.xml"},
    )


def test_a_log_file_named_explicitly_is_refused() -> None:
    with pytest.raises(FormatError, match=r"tournament-log\.xml.*not a GENIUS domain or profile"):
        load_genius(DATA / "anac2014" / "tournament-log.xml")


def _variant(tmp_path: Path, old: str, new: str, file: str = "talks-east.xml") -> Path:
    folder = tmp_path / "variant"
    shutil.copytree(DATA / "clean", folder)
    target = folder / file
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new))
    return folder


@pytest.mark.parametrize(
    ("file", "old", "new", "construct"),
    [
        (
            "talks-east.xml",
            'ftype="linear" offset="0.2" slope="0.2"',
            'ftype="triangular"',
            "ftype 'triangular'",
        ),
        (
            "talks-domain.xml",
            '<issue index="1" name="scope" type="discrete" etype="discrete" vtype="discrete">',
            '<issue index="1" name="scope" type="set">',
            "issue type 'set'",
        ),
        (
            "talks-domain.xml",
            "</objective>\n</utility_space>",
            "<objective/></objective>\n</utility_space>",
            "nested <objective>",
        ),
    ],
)
def test_unsupported_constructs_fail_naming_them(
    tmp_path: Path, file: str, old: str, new: str, construct: str
) -> None:
    folder = _variant(tmp_path, old, new, file)
    with pytest.raises(UnsupportedError, match=construct) as info:
        load_genius(folder)
    assert file in str(info.value)


@pytest.mark.parametrize(
    ("construct", "xml"),
    [
        ("EXCLUDES", '<hyperRectangle utility="1"><EXCLUDES index="1" min="1" max="2"/>'),
        (
            "aggregation='max'",
            '<ufun type="PlainUfun" aggregation="max"><hyperRectangle utility="1">',
        ),
    ],
)
def test_unsupported_hyper_rectangles(tmp_path: Path, construct: str, xml: str) -> None:
    folder = tmp_path / "grid"
    shutil.copytree(DATA / "anac2014", folder)
    target = folder / "grid-util1.xml"
    text = target.read_text()
    old = (
        '<ufun type="PlainUfun" weight="1" aggregation="sum">\n'
        '<hyperRectangle utility_function="1" utility="40.0">'
    )
    assert old in text
    if construct == "EXCLUDES":
        xml = '<ufun type="PlainUfun" weight="1" aggregation="sum">\n' + xml
    target.write_text(text.replace(old, xml))
    with pytest.raises(UnsupportedError, match=construct):
        load_genius(folder)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('name="monitors"', 'name="observers"', "issue 'observers': not in the domain file"),
        ('value="joint" evaluation', 'value="mixed" evaluation', "'mixed' is not an option"),
        ('<weight index="2" value="0.3"/>', "", "no <weight> for issue 'monitors'"),
        ('<weight index="2" value="0.3"/>', '<weight index="9" value="0.3"/>', "index='9'"),
        ('evaluation="8"', 'evaluation="-8"', "negative evaluation"),
        ('<reservation value="0.4"/>', '<reservation value="1.4"/>', "reservation_value"),
        ('<reservation value="0.4"/>', '<reservation value="lots"/>', "reservation"),
        ('<weight index="1" value="0.5"/>', '<weight index="1" value="-0.5"/>', "weight"),
    ],
)
def test_profile_errors_name_the_profile(tmp_path: Path, old: str, new: str, message: str) -> None:
    folder = _variant(tmp_path, old, new)
    with pytest.raises(ScenarioError, match=message) as info:
        load_genius(folder)
    assert str(folder / "talks-east.xml") in str(info.value)


def test_a_domain_named_explicitly_wins_over_others_beside_it(tmp_path: Path) -> None:
    shutil.copytree(DATA / "clean", tmp_path / "talks")
    shutil.copy(DATA / "anac2014" / "grid-domain.xml", tmp_path / "talks" / "other-domain.xml")
    scenario = load_genius(tmp_path / "talks" / "talks-domain.xml")
    assert scenario.party_names == ["talks-east", "talks-west"]
    with pytest.raises(FormatError, match="several GENIUS domain files"):
        load_genius(tmp_path / "talks")


def test_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no GENIUS domain file"):
        load_genius(tmp_path)
    shutil.copy(DATA / "clean" / "talks-domain.xml", tmp_path / "a.xml")
    with pytest.raises(FormatError, match="no GENIUS profile"):
        load_genius(tmp_path)
    shutil.copy(DATA / "clean" / "talks-domain.xml", tmp_path / "b.xml")
    with pytest.raises(FormatError, match="several GENIUS domain files"):
        load_genius(tmp_path)


def test_entity_bomb_is_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
        "<negotiation_template>&lol2;</negotiation_template>\n"
    )
    (tmp_path / "bomb.xml").write_text(bomb)
    with pytest.raises(FormatError, match="unsafe XML refused"):
        load_genius(tmp_path / "bomb.xml")


# -- export ---------------------------------------------------------------------------------


def _same_utilities(a: Scenario, b: Scenario) -> None:
    space_a, space_b = OutcomeSpace.from_scenario(a), OutcomeSpace.from_scenario(b)
    assert space_a.party_names == space_b.party_names
    indices = np.arange(space_a.size)
    np.testing.assert_array_equal(space_a.utilities(indices), space_b.utilities(indices))
    options = space_a.unravel(indices)
    np.testing.assert_array_equal(
        space_a.acceptable_options(options), space_b.acceptable_options(options)
    )
    np.testing.assert_array_equal(space_a.reservation, space_b.reservation)


@given(scenarios(real=True, steps=True))
@settings(max_examples=40, deadline=None)
def test_native_genius_native_keeps_every_utility_exactly(scenario: Scenario) -> None:
    import tempfile  # noqa: PLC0415 - hypothesis reuses no fixtures across examples

    with tempfile.TemporaryDirectory() as folder:
        save_genius(scenario, Path(folder))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            back = load_genius(Path(folder))
    _same_utilities(scenario, back)
    assert back.name == scenario.name
    assert [p.red_lines for p in back.parties] == [p.red_lines for p in scenario.parties]


@st.composite
def rich_scenarios(draw: st.DrawFn) -> Scenario:
    """Random scenarios with a real issue, clipped lines and a rule-based party."""
    raw = draw(scenario_dicts(max_parties=2))
    low = draw(st.floats(-5, 5))
    high = low + draw(st.floats(0.5, 10))
    real = {
        "kind": "real",
        "name": "r",
        "low": low,
        "high": high,
        "points": draw(st.integers(2, 6)),
    }
    raw["issues"].append(real)
    issue = NumericIssue.model_validate(real)
    for party in raw["parties"]:
        line = clipped_line(draw(st.floats(-1, 2)), draw(st.floats(-3, 3)), low, issue)
        peak = (
            max(p[1] for p in line["points"])
            if "points" in line
            else max(line["at_low"], line["at_high"])
        )
        assume(peak == 0 or peak > 1e-3)  # a value function peaking at ~0 is all noise
        party["preferences"]["issues"]["r"] = {"weight": draw(weights), "function": line}
    integers = [i for i in raw["issues"] if i.get("kind") == "integer"]
    if integers:
        constraints = []
        for _ in range(draw(st.integers(1, 3))):
            bounded = draw(st.sampled_from(integers))
            a = draw(st.integers(bounded["low"], bounded["high"]))
            b = draw(st.integers(a, bounded["high"]))
            utility = draw(st.floats(-2, 10))
            constraints.append({"utility": utility, "bounds": {bounded["name"]: [a, b]}})
        rules = {"kind": "rules", "constraints": constraints}
        raw["parties"].append({"name": "rules", "reservation_value": 0.0, "preferences": rules})
    return Scenario.model_validate(raw)


@given(rich_scenarios())
@settings(max_examples=40, deadline=None)
def test_real_issues_clipped_lines_and_rules_round_trip_exactly(scenario: Scenario) -> None:
    import tempfile  # noqa: PLC0415 - hypothesis reuses no fixtures across examples

    with tempfile.TemporaryDirectory() as folder:
        save_genius(scenario, Path(folder))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            back = load_genius(Path(folder))
    _same_utilities(scenario, back)


def test_builtin_round_trips_through_genius(tmp_path: Path) -> None:
    scenario = load_scenario("ceasefire-2025")
    written = save_scenario(scenario, tmp_path / "out")
    assert len(written) == 1 + len(scenario.parties)
    back = load_scenario(tmp_path / "out")
    _same_utilities(scenario, back)
    assert [p.role for p in back.parties] == [p.role for p in scenario.parties]
    assert back.issues == scenario.issues


def test_rule_based_round_trip(tmp_path: Path) -> None:
    scenario, _ = _load_quietly(DATA / "anac2014")
    save_genius(scenario, tmp_path)
    _same_utilities(scenario, load_genius(tmp_path))


def test_real_issues_and_clipped_lines_round_trip(tmp_path: Path) -> None:
    for name in ("old-format", "clean"):
        scenario, _ = _load_quietly(DATA / name)
        save_genius(scenario, tmp_path / name)
        back, _ = _load_quietly(tmp_path / name)
        _same_utilities(scenario, back)


def test_export_refuses_what_genius_cannot_hold_and_writes_nothing(tmp_path: Path) -> None:
    raw = load_scenario("ceasefire-2025").model_dump()
    raw["issues"].append({"kind": "integer", "name": "days", "low": 0, "high": 4})
    curve = {"kind": "piecewise", "points": [(0, 0.0), (2, 1.0), (4, 0.0)]}
    for party in raw["parties"]:
        party["preferences"]["issues"]["days"] = {"weight": 1.0, "function": curve}
    scenario = Scenario.model_validate(raw)
    with pytest.raises(UnsupportedError, match="piecewise"):
        save_genius(scenario, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_exported_text_declares_utf8_and_reads_back_with_tampered_extras(tmp_path: Path) -> None:
    scenario, _ = _load_quietly(DATA / "clean")
    save_genius(scenario, tmp_path)
    profile = tmp_path / "talks-west.xml"
    text = profile.read_text()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    start = text.index("detente_points=")
    end = text.index('"', start + len('detente_points="'))
    profile.write_text(text[:start] + 'detente_points="0:0 4:1' + text[end:])
    back, caught = _load_quietly(tmp_path)
    assert any("disagree with the GENIUS evaluator" in m for m in caught)
    _same_utilities(scenario, back)

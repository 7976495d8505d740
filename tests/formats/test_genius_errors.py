"""Every way a GENIUS file can be wrong gives one precise error naming the file."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from detente import OutcomeSpace
from detente.errors import DetenteError, FormatError, RepairWarning, ScenarioError
from detente.errors import UnsupportedError as Unsupported
from detente.scenario.formats._xml import parse_xml
from detente.scenario.formats.genius import load_genius
from detente.scenario.model import RuleBasedPreferences

DATA = Path(__file__).parents[1] / "data" / "genius"
EAST = "talks-east.xml"
DOMAIN = "talks-domain.xml"
UTIL1 = "grid-util1.xml"
GRID = "grid-domain.xml"
RECT = '<hyperRectangle utility_function="1" utility="35.0">\n<INCLUDES index="3" min="3" max="4"/>'

#: Each case: folder, file edited, text replaced, replacement, error, message.
CASES = [
    ("clean", DOMAIN, 'name="scope" type', "type", ScenarioError, "without a name"),
    (
        "clean",
        DOMAIN,
        '<item index="1" value="none"/>',
        '<item index="1"/>',
        ScenarioError,
        "<item>",
    ),
    (
        "clean",
        DOMAIN,
        '<item index="1" value="none"/>\n<item index="2" value="joint"/>',
        "",
        ScenarioError,
        "without <item>s",
    ),
    ("clean", DOMAIN, 'upperbound="4"', 'upperbound="4.5"', ScenarioError, "integer bounds"),
    ("clean", DOMAIN, 'upperbound="4"', 'upperbound="many"', ScenarioError, "upperbound"),
    (
        "clean",
        EAST,
        'type="integer" etype="integer"',
        'type="real" etype="real"',
        ScenarioError,
        "real here but integer in the domain",
    ),
    (
        "clean",
        EAST,
        (
            '<issue index="2" name="monitors" type="discrete" etype="discrete" vtype="discrete">\n'
            '<item index="1" value="none" evaluation="2"/>\n'
            '<item index="2" value="joint" evaluation="8"/>\n</issue>'
        ),
        "",
        ScenarioError,
        "no valuation of issue 'monitors'",
    ),
    (
        "clean",
        EAST,
        '<item index="1" value="none" evaluation="2"/>',
        '<item index="1" value="none"/>',
        ScenarioError,
        "'none' has no evaluation",
    ),
    (
        "clean",
        EAST,
        '<item index="1" value="none" evaluation="2"/>',
        "",
        ScenarioError,
        "no evaluation for value(s) ['none']",
    ),
    (
        "clean",
        EAST,
        '<evaluator ftype="linear" offset="0.2" slope="0.2"/>',
        "",
        ScenarioError,
        "no <evaluator>",
    ),
    (
        "clean",
        EAST,
        'offset="0.2" slope="0.2"',
        'offset="0.2" slope="steep"',
        ScenarioError,
        "slope",
    ),
    (
        "clean",
        EAST,
        "</objective>",
        '<utility maxutility="1"><ufun/></utility></objective>',
        Unsupported,
        "mixing hyper-rectangles with weighted issues",
    ),
    (
        "anac2014",
        UTIL1,
        "</utility>",
        '</utility><utility maxutility="1"/>',
        Unsupported,
        "several <utility>",
    ),
    (
        "anac2014",
        UTIL1,
        "</ufun>\n</utility>",
        "<oops/></ufun>\n</utility>",
        Unsupported,
        "<oops> inside",
    ),
    ("anac2014", UTIL1, 'maxutility="100.0"', 'maxutility="0"', ScenarioError, "must be positive"),
    (
        "anac2014",
        UTIL1,
        '<INCLUDES index="3" min="3"',
        '<INCLUDES index="7" min="3"',
        ScenarioError,
        "INCLUDES index '7'",
    ),
    (
        "anac2014",
        UTIL1,
        '<INCLUDES index="3" min="3"',
        '<INCLUDES index="3" min="low"',
        ScenarioError,
        "min",
    ),
    (
        "anac2014",
        UTIL1,
        '<hyperRectangle utility_function="1" utility="35.0">',
        "<hyperRectangle>",
        Unsupported,
        "hyperRectangle[2]: a hyper-rectangle without a utility",
    ),
    (
        "anac2014",
        UTIL1,
        '<hyperRectangle utility_function="1" utility="35.0">',
        '<hyperRectangle utility_function="many">',
        ScenarioError,
        "hyperRectangle[2].utility_function: expected a number, got 'many'",
    ),
]


def _variant(tmp_path: Path, folder: str, file: str, old: str, new: str) -> Path:
    target = tmp_path / folder
    shutil.copytree(DATA / folder, target)
    text = (target / file).read_text()
    assert old in text, old
    (target / file).write_text(text.replace(old, new, 1))
    return target


@pytest.mark.parametrize(("folder", "file", "old", "new", "error", "message"), CASES)
def test_genius_errors(  # noqa: PLR0917 - one argument per column of CASES
    tmp_path: Path,
    folder: str,
    file: str,
    old: str,
    new: str,
    error: type[DetenteError],
    message: str,
) -> None:
    target = _variant(tmp_path, folder, file, old, new)
    with pytest.raises(error) as info:
        load_genius(target)
    assert message in str(info.value)
    assert file in str(info.value)


def test_a_rectangle_may_carry_its_utility_as_utility_function(tmp_path: Path) -> None:
    """NegMAS writes ``utility_function="40"`` alone; it must not import as utility 0."""
    target = tmp_path / "anac2014"
    shutil.copytree(DATA / "anac2014", target)
    for file in (UTIL1, "grid-util2.xml"):
        text = (target / file).read_text()
        assert text.count('utility_function="1" utility="') >= 3
        (target / file).write_text(
            text.replace('utility_function="1" utility="', 'utility_function="')
        )
    plain = OutcomeSpace.from_scenario(load_genius(DATA / "anac2014"))
    negmas = OutcomeSpace.from_scenario(load_genius(target))
    every = np.arange(plain.size)
    assert plain.utilities(every).max() > 0
    np.testing.assert_array_equal(negmas.utilities(every), plain.utilities(every))


def test_a_ufun_without_rectangles(tmp_path: Path) -> None:
    target = tmp_path / "anac2014"
    shutil.copytree(DATA / "anac2014", target)
    text = (target / UTIL1).read_text()
    start, end = text.index("<hyperRectangle "), text.index("</ufun>")
    (target / UTIL1).write_text(text[:start] + text[end:])
    with pytest.raises(ScenarioError, match="utility: no <hyperRectangle> constraints"):
        load_genius(target)


def test_a_folder_named_like_xml_and_issues_without_index(tmp_path: Path) -> None:
    """A sub-folder called ``*.xml`` is no file to read; profile issues may omit ``index``."""
    target = tmp_path / "clean"
    shutil.copytree(DATA / "clean", target)
    (target / "notes.xml").mkdir()
    east = target / EAST
    east.write_text(
        east.read_text().replace('<issue index="2" name="monitors"', '<issue name="monitors"')
    )
    assert load_genius(target) == load_genius(DATA / "clean")


def test_a_utility_without_ufun(tmp_path: Path) -> None:
    target = tmp_path / "anac2014"
    shutil.copytree(DATA / "anac2014", target)
    text = (target / UTIL1).read_text()
    start, end = text.index("<ufun "), text.index("</utility>")
    (target / UTIL1).write_text(text[:start] + text[end:])
    with pytest.raises(Unsupported, match="without <ufun>"):
        load_genius(target)


def test_a_domain_without_issues(tmp_path: Path) -> None:
    target = tmp_path / "t"
    target.mkdir()
    (target / "d.xml").write_text("<negotiation_template><utility_space/></negotiation_template>")
    with pytest.raises(FormatError, match="no <objective>"):
        load_genius(target)
    (target / "d.xml").write_text(
        '<negotiation_template><utility_space><objective name="x"/></utility_space>'
        "</negotiation_template>"
    )
    with pytest.raises(ScenarioError, match="no <issue> elements"):
        load_genius(target)


def test_a_rectangle_without_bounds_holds_everywhere_and_discrete_bounds_are_refused(
    tmp_path: Path,
) -> None:
    target = _variant(tmp_path, "anac2014", UTIL1, RECT, '<hyperRectangle utility="35.0">')
    scenario = load_genius(target)
    prefs = scenario.party("grid-util1").preferences
    assert isinstance(prefs, RuleBasedPreferences)
    assert prefs.constraints[1].bounds == {"i1": [1, 5]}
    domain = (target / GRID).read_text()
    (target / GRID).write_text(
        domain.replace(
            '<issue index="1" name="i1" type="integer" etype="integer" vtype="integer" '
            'lowerbound="1" upperbound="5"/>',
            '<issue index="1" name="i1" type="discrete"><item value="a"/><item value="b"/></issue>',
        )
    )
    for file in ("grid-util1.xml", "grid-util2.xml"):
        text = (target / file).read_text()
        (target / file).write_text(text.replace('<INCLUDES index="1" min="2" max="4"/>', ""))
    (target / "grid-util2.xml").unlink()
    with pytest.raises(Unsupported, match="bound on discrete issue 'i1'"):
        load_genius(target)
    (target / UTIL1).write_text(
        (target / UTIL1).read_text().replace('<INCLUDES index="1" min="5" max="5"/>', "")
    )
    scenario = load_genius(target)
    prefs = scenario.parties[0].preferences
    assert isinstance(prefs, RuleBasedPreferences)
    assert prefs.constraints[1].bounds == {"i1": ["a", "b"]}


def test_xml_reader_edge_cases(tmp_path: Path) -> None:
    source = tmp_path / "x.xml"
    with pytest.raises(FormatError, match="no tag found"):
        parse_xml(b"just text", source)
    with pytest.raises(FormatError, match="unknown declared encoding 'klingon'"):
        parse_xml(b'<?xml version="1.0" encoding="klingon"?><a/>', source)
    with pytest.raises(FormatError, match="not valid in the declared encoding ascii"):
        parse_xml('<?xml version="1.0" encoding="ascii"?><a>\u00e9</a>'.encode(), source)
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><a v="\u00e9"/>'.encode("latin-1")
    assert parse_xml(latin, source).get("v") == "\u00e9"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RepairWarning, match="Windows-1252"):
            parse_xml(
                '<?xml version="1.0" encoding="UTF-8"?><a v="\u00e9"/>'.encode("cp1252"), source
            )


def test_junk_in_detente_attributes_is_a_clear_error(tmp_path: Path) -> None:
    target = _variant(
        tmp_path,
        "clean",
        EAST,
        '<evaluator ftype="linear" offset="0.2" slope="0.2"/>',
        '<evaluator ftype="linear" offset="0.2" slope="0.2" detente_at_low="x"/>',
    )
    text = (target / EAST).read_text()
    (target / EAST).write_text(
        text.replace(
            'vtype="integer" lowerbound="0"',
            'vtype="integer" detente_red_lines="4 four" lowerbound="0"',
        )
    )
    with pytest.raises(ScenarioError, match="detente_red_lines") as info:
        load_genius(target)
    assert "'four'" in str(info.value)


CORPUS = Path(__file__).parents[1] / "data" / "corpus" / "genius"
AGENTS = (
    '<agent name="East" utility_space="etc/templates/talks/talks-east.xml"/>\n'
    '<agent name="West" utility_space="talks-west.xml"/>\n'
    '<agent name="North" utility_space="talks-north.xml"/>\n'
)


def test_a_profile_the_agent_list_names_must_be_there(tmp_path: Path) -> None:
    folder = _variant(
        tmp_path, "clean", DOMAIN, "</negotiation_template>", AGENTS + "</negotiation_template>"
    )
    with pytest.raises(FormatError) as info:
        load_genius(folder)
    assert str(info.value) == (
        f"{folder / DOMAIN}: the domain's <agent> list names the profile talks-north.xml, "
        f"which is not in {folder}"
    )
    # naming one profile explicitly reads the domain with that profile only, as before
    assert load_genius(folder / EAST).party_names == ["talks-east"]
    # with every profile there, the list sets the order and the descriptions
    (folder / "talks-north.xml").write_bytes((folder / EAST).read_bytes())
    scenario = load_genius(folder)
    assert scenario.party_names == ["talks-east", "talks-west", "talks-north"]
    assert [p.description for p in scenario.parties] == ["East", "West", "North"]


def test_a_real_folder_missing_a_profile_is_refused() -> None:
    # the corpus's laptopdomainNoBayes names the buyer's profile but holds only the seller's
    folder = CORPUS / "other" / "laptopdomainNoBayes"
    with pytest.raises(FormatError, match=r"names the profile laptop_buyer_utility\.xml"):
        load_genius(folder)


def test_an_agent_list_naming_none_of_the_profiles_is_set_aside() -> None:
    # ANAC 2012 Car kept the agent list of ANAC 2011 Car (ABMP_car_*_utilityspace.xml)
    folder = CORPUS / "anac" / "y2012" / "CarA"
    with pytest.warns(RepairWarning, match="none of which is here: the list is ignored"):
        scenario = load_genius(folder)
    assert scenario.party_names == ["Car-A-prof1", "Car-A-prof2"]


CONSTRAINT_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<utility_space type="constraint" number_of_issues="2">
<objective index="0" name="talks" type="objective" etype="objective">
<issue index="1" name="scope" type="discrete" etype="discrete" vtype="discrete">
<item index="1" value="trial"/><item index="2" value="extended"/>
<item index="3" value="indefinite"/>
</issue>
<rules>
<ranks><issue index="1">
<item value="trial" rank="1"/><item value="extended" rank="2"/><item value="indefinite" rank="3"/>
</issue></ranks>
<constraints><constraint type="zeroConstraint" index="1"/></constraints>
</rules>
</objective>
<reservation value="0.2"/>
</utility_space>
"""


@pytest.mark.parametrize("named", [False, True])
def test_a_constraint_utility_space_is_refused_by_name(tmp_path: Path, *, named: bool) -> None:
    # GENIUS's ConstraintUtilitySpace (the Railway domain): ranks and constraints, no weights
    folder = tmp_path / "railway"
    shutil.copytree(DATA / "clean", folder)
    (folder / "talks-rail.xml").write_text(CONSTRAINT_PROFILE)
    with pytest.raises(Unsupported) as info:
        load_genius(folder / "talks-rail.xml" if named else folder)
    message = str(info.value)
    assert message.startswith(f"{folder / 'talks-rail.xml'}: a GENIUS constraint utility space")
    assert "Railway" in message
    assert "several GENIUS domain files" not in message

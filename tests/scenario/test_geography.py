"""A scenario's line of contact: validated, round-tripped, and the monitor's sectors."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.errors import ScenarioError
from detente.monitor.geo import validate_geometry
from detente.monitor.lines import agreement_sectors, line_note
from detente.scenario import load_scenario
from detente.scenario.formats.native import dump_native, native_document, parse_native

#: Ukraine's extent in WGS 84 degrees (longitude 22.1-40.2 E, latitude 44.4-52.4 N).
UKRAINE = (22.1, 40.2, 44.4, 52.4)
#: Settlements a sector's rationale names, at their approximate positions (lon, lat), looked up
#: independently of the line: each must lie within 25 km of its sector's polyline.
NAMED = {
    "Kharkiv-Kupiansk": {"Vovchansk": (36.94, 50.29), "Kupiansk": (37.61, 49.71)},
    "Lyman-Siversk": {"Siversk": (38.10, 48.87)},
    "Chasiv Yar-Toretsk": {"Chasiv Yar": (37.85, 48.59), "Toretsk": (37.85, 48.39)},
    "Pokrovsk": {"Pokrovsk": (37.18, 48.28)},
    "South Donetsk": {"Velyka Novosilka": (36.83, 47.84)},
    "Zaporizhzhia": {"Huliaipole": (36.26, 47.66), "Robotyne": (35.84, 47.44)},
    "Dnipro": {"Nova Kakhovka": (33.37, 46.76), "Kherson": (32.62, 46.64)},
}


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine, Earth radius 6371 km)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


def _km_to_polyline(p: tuple[float, float], line: list[tuple[float, float]]) -> float:
    """Distance from ``p`` to the polyline, sampling each segment every ~0.5 km."""
    best = math.inf
    for a, b in itertools.pairwise(line):
        steps = max(1, int(_km(a, b) / 0.5))
        for k in range(steps + 1):
            t = k / steps
            best = min(best, _km(p, (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))))
    return best


def test_ceasefire_2025_carries_an_approximate_line_in_named_sectors() -> None:
    line = load_scenario("ceasefire-2025").line_of_contact
    assert line is not None
    assert line.approximate
    assert "approximate" in line.label.lower()
    assert "illustrative" in line.label.lower()
    assert line.rationale
    assert [s.name for s in line.sectors] == list(NAMED)
    west, east, south, north = UKRAINE
    for before, after in zip(line.sectors, line.sectors[1:], strict=False):
        assert before.coordinates[-1] == after.coordinates[0]  # one continuous line
    for sector in line.sectors:
        assert sector.rationale
        assert all(west <= lon <= east and south <= lat <= north for lon, lat in sector.coordinates)
        for place, where in NAMED[sector.name].items():
            assert _km_to_polyline(where, sector.coordinates) < 25, (sector.name, place)


def test_the_line_round_trips_through_yaml_and_json() -> None:
    scenario = load_scenario("ceasefire-2025")
    for as_json in (False, True):
        again = parse_native(dump_native(scenario, as_json=as_json), source="x", is_json=as_json)
        assert again == scenario
    doc = native_document(scenario)
    assert doc["line_of_contact"]["sectors"][0]["coordinates"][0] == [36.94, 50.29]


def _doc(line: Any) -> dict[str, Any]:
    """The smallest scenario, with ``line`` as its line of contact."""
    return {
        "name": "line",
        "issues": [{"name": "scope", "options": ["partial", "full"]}],
        "parties": [
            {"name": "A", "reservation_value": 0.2, "preferences": {"issues": {
                "scope": {"weight": 1, "values": {"partial": 0.5, "full": 1}}}}},
        ],
        "line_of_contact": line,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"sectors": []}, "line_of_contact.sectors"),
        ({"sectors": [{"name": "A", "coordinates": [[30.0, 48.0]]}]}, "line_of_contact.sectors"),
        ({"sectors": [{"name": "A", "coordinates": [[48.0, 130.0], [30, 48]]}]},
         "line_of_contact.sectors"),
        ({"sectors": [{"name": "A", "coordinates": [[30, 48], [31, 48]]},
                      {"name": "A", "coordinates": [[30, 48], [31, 48]]}]},
         "line_of_contact.sectors"),
        ({"sectors": [{"name": "A", "coordinates": [[30, 48], [31, 48]], "colour": "red"}]},
         "line_of_contact.sectors"),
        ({"as_of": "March", "sectors": [{"name": "A", "coordinates": [[30, 48], [31, 48]]}]},
         "line_of_contact.as_of"),
    ],
)  # fmt: skip
def test_a_bad_line_is_refused_naming_its_field(line: Any, field: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_native(json.dumps(_doc(line)), source="bad.json", is_json=True)
    assert (err.value.field or "").startswith(field), err.value
    if "duplicate" in str(err.value) or "130" in json.dumps(line):
        assert "sectors" in str(err.value)


def test_the_sectors_become_the_monitors_sectors() -> None:
    scenario = load_scenario("ceasefire-2025")
    sectors = agreement_sectors(scenario)
    line = scenario.line_of_contact
    assert line is not None
    assert [s.name for s in sectors] == [s.name for s in line.sectors]
    for mine, theirs in zip(sectors, line.sectors, strict=True):
        assert mine.geometry["type"] == "LineString"
        assert validate_geometry(mine.geometry) == mine.geometry
        assert [tuple(p) for p in mine.geometry["coordinates"]] == theirs.coordinates
    assert line_note(scenario) == (
        "Sectors: Illustrative line of contact, March 2025 (approximate) as of 2025-03-11 "
        "(7 sectors, approximate and illustrative)."
    )
    bare = scenario.model_copy(update={"line_of_contact": None})
    assert (agreement_sectors(bare), line_note(bare)) == ([], "")
    exact = scenario.model_copy(
        update={"line_of_contact": line.model_copy(update={"approximate": False, "as_of": None,
                                                           "label": ""})}
    )  # fmt: skip
    assert line_note(exact) == "Sectors: the line of contact (7 sectors, as given in the scenario)."


positions = st.tuples(st.floats(-180, 180, allow_nan=False), st.floats(-90, 90, allow_nan=False))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(positions, min_size=2, max_size=6), min_size=1, max_size=4))
def test_any_valid_line_round_trips(polylines: list[list[tuple[float, float]]]) -> None:
    line = {
        "label": "generated",
        "sectors": [
            {"name": f"S{k}", "coordinates": [list(p) for p in coords]}
            for k, coords in enumerate(polylines)
        ],
    }
    scenario = parse_native(json.dumps(_doc(line)), source="gen.json", is_json=True)
    assert scenario.line_of_contact is not None
    again = parse_native(dump_native(scenario), source="gen.yaml")
    assert again == scenario
    assert [s.coordinates for s in again.line_of_contact.sectors] == [
        [tuple(p) for p in coords] for coords in polylines
    ]

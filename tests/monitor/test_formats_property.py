"""Property: export then import gives back the same incidents, in every format.

The incidents are generated (times to the microsecond, any Unicode text a database stores,
formula-like text, points or sectors, clauses, attachments) and stored through the service;
each format's export is imported into the same agreement and the copies compared field by
field with the originals. GeoJSON and GED write coordinates to 6 decimal places (RFC 7946,
section 11.2), so generated points have at most 6; a separate check shows what happens to more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import exchange, ged, service
from detente.monitor.db import make_engine, migrate
from detente.monitor.models import Incident, User
from detente.monitor.schemas import AttachmentIn, IncidentIn
from tests.monitor_support import World, make_world

Exporter = Callable[[Session, User, service.IncidentFilter], Iterator[str]]
Importer = Callable[[Session, User, int, str], list[Incident]]
FORMATS: dict[str, tuple[Exporter, Importer]] = {
    "csv": (exchange.csv_chunks, exchange.import_csv),
    "hxl": (lambda s, u, f: exchange.csv_chunks(s, u, f, hxl=True), exchange.import_csv),
    "geojson": (exchange.geojson_chunks, exchange.import_geojson),
    "ged": (ged.ged_chunks, ged.import_ged),
}


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[sessionmaker[Session], World]]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('formats') / 'monitor.db'}")
    migrate(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    yield factory, make_world(factory)
    engine.dispose()


def _text(max_size: int) -> st.SearchStrategy[str]:
    """Text a database stores (no NUL, no lone surrogate), often formula-like or quoted."""
    alphabet = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
    tricky = st.sampled_from(["=1+1", " =A1", "'=x", "''-2", "\n@SUM", 'a "b", c', "\r\n", "'"])
    return st.one_of(st.text(alphabet, max_size=max_size), tricky, st.just(""))


def _degree(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.integers(int(lo * 1e6), int(hi * 1e6)).map(lambda n: n / 1e6)


@st.composite
def incidents(draw: st.DrawFn, world: World) -> dict[str, Any]:
    """One incident's fields as the service takes them."""
    start = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    occurred = start + dt.timedelta(microseconds=draw(st.integers(0, 300 * 86_400 * 10**6)))
    sector = draw(st.sampled_from([None, *world.sector_ids]))
    point = draw(st.booleans()) or sector is None
    files = draw(
        st.lists(
            st.builds(
                AttachmentIn,
                sha256=st.text("0123456789abcdef", min_size=64, max_size=64),
                filename=_text(40).filter(lambda t: t.strip()).map(lambda t: t[:255]),
                size_bytes=st.none() | st.integers(0, 2**53),
            ),
            max_size=2,
            unique_by=lambda a: a.sha256,
        )
    )
    return {
        "agreement_id": world.agreement_id,
        "occurred_at": occurred,
        "type": draw(st.sampled_from(["shelling", "drone_strike", "civilian_harm", "other"])),
        "sector_id": sector,
        "longitude": draw(_degree(-180, 180)) if point else None,
        "latitude": draw(_degree(-90, 90)) if point else None,
        "sources": draw(_text(60)),
        "confidence": draw(st.sampled_from(["low", "medium", "high"])),
        "description": draw(_text(80)),
        "clause_ids": draw(st.lists(st.sampled_from(world.clause_ids), unique=True)),
        "attachments": files,
    }


def _carried(i: Incident) -> tuple[Any, ...]:
    return (
        i.occurred_at,
        i.type,
        i.sector_id,
        i.longitude,
        i.latitude,
        i.confidence,
        i.sources,
        i.description,
        [c.id for c in i.clauses],
        sorted((a.sha256, a.filename, a.size_bytes) for a in i.attachments),
    )


def _round_trip(
    factory: sessionmaker[Session], world: World, fmt: str, items: list[dict[str, Any]]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Store ``items``, export them in ``fmt``, import the file; return originals and copies."""
    export, load = FORMATS[fmt]
    with factory() as s:  # rolled back when it closes: examples do not see each other
        monitor = s.get(User, world.users["monitor"])
        assert monitor is not None
        originals = [service.create_incident(s, monitor, IncidentIn(**item)) for item in items]
        ids = {i.id for i in originals}
        text = "".join(export(s, monitor, service.IncidentFilter(world.agreement_id)))
        copies = load(s, monitor, world.agreement_id, text)
        assert {i.id for i in originals} == ids
        return [_carried(i) for i in originals], [_carried(i) for i in copies]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", list(FORMATS))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_export_then_import_gives_the_same_incidents(
    store: tuple[sessionmaker[Session], World], fmt: str, data: st.DataObject
) -> None:
    factory, world = store
    items = data.draw(st.lists(incidents(world), min_size=1, max_size=4))
    originals, copies = _round_trip(factory, world, fmt, items)
    # The export lists newest first; the import creates in file order.
    assert sorted(copies, key=repr) == sorted(originals, key=repr)


@pytest.mark.parametrize("fmt", ["geojson", "ged"])
def test_points_beyond_six_decimals_come_back_rounded(
    store: tuple[sessionmaker[Session], World], fmt: str
) -> None:
    factory, world = store
    item = {
        "agreement_id": world.agreement_id,
        "occurred_at": dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        "type": "shelling",
        "longitude": 20.12345678,
        "latitude": -45.00000049,
    }
    _originals, copies = _round_trip(factory, world, fmt, [item])
    assert copies[0][3:5] == (20.123457, -45.0)


def test_the_csv_formula_guard_round_trips() -> None:
    """Every text comes back from its guarded cell, and no guarded cell starts a formula."""

    @given(_text(30))
    def check(text: str) -> None:
        cell = exchange.outgoing_cell(text)
        assert exchange.incoming_cell(cell) == text
        assert cell.lstrip()[:1] not in set("=+-@") or cell.startswith("'")

    check()

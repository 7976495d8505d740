"""The monitor's map draws Natural Earth's borders and coasts with no network and no tiles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from detente.monitor import service
from detente.monitor.db import make_engine
from detente.monitor.enums import BreachMechanism, IncidentType
from detente.monitor.lines import agreement_sectors
from detente.monitor.models import User
from detente.monitor.schemas import AgreementIn, IncidentIn
from detente.scenario import load_scenario
from tests.monitor_support import PASSWORD, make_world
from tests.web.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_map_draws_borders_and_coasts_offline(
    live_server: tuple[str, str], browser: Any
) -> None:
    base, url = live_server
    eng = make_engine(url)
    world = make_world(sessionmaker(eng, expire_on_commit=False))
    eng.dispose()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def only_this_site(route: Any) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:  # no network beyond the server itself
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_site)
    page = context.new_page()
    page.goto(f"{base}/incidents")  # the login page, which returns there
    page.fill("input[name=username]", "analyst")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/incidents")

    page.goto(f"{base}/map?agreement_id={world.agreement_id}")
    page.wait_for_selector("#map[data-basemap-ready='natural-earth']")
    assert page.locator(".leaflet-tile").count() == 0
    # One land path (coasts) and one mesh of borders between countries, below the sectors.
    basemap = page.locator(".leaflet-basemap-pane path")
    assert basemap.count() == 2
    _land, borders = (len(p.get_attribute("d") or "") for p in basemap.all())
    assert borders > 300, borders  # Serbia's and Romania's borders cross the view
    assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == 2
    # Zoomed to the sectors (around 20.2 E, 45 N): the countries there are named.
    names = set(page.locator(".country-label span").all_inner_texts())
    assert {"Serbia", "Romania"} <= names, sorted(names)
    assert "Natural Earth" in page.inner_text(".leaflet-control-attribution")
    page.screenshot(path=str(ARTIFACTS / "map-natural-earth.png"), full_page=True)

    # Zoomed out to the world, names are hidden and the outlines remain.
    zoom_out = page.locator(".leaflet-control-zoom-out")
    for _ in range(20):  # out until the names go (below zoom 5), however close the map opened
        zoom_out.click()
        page.wait_for_timeout(400)
        if page.locator(".country-label").count() == 0:
            break
    assert page.locator(".country-label").count() == 0
    lengths = [len(p.get_attribute("d") or "") for p in basemap.all()]
    assert min(lengths) > 10_000, lengths  # every continent's coast and every border
    page.screenshot(path=str(ARTIFACTS / "map-natural-earth-world.png"), full_page=True)
    assert outside == []
    context.close()


def test_the_line_of_contact_of_ceasefire_2025_is_drawn_on_the_map(
    live_server: tuple[str, str], browser: Any
) -> None:
    base, url = live_server
    eng = make_engine(url)
    factory = sessionmaker(eng, expire_on_commit=False)
    make_world(factory)
    scenario = load_scenario("ceasefire-2025")
    with factory() as s, s.begin():
        admin = s.scalars(select(User).where(User.username == "admin")).one()
        agreement = service.create_agreement(
            s,
            admin,
            AgreementIn(
                name="Line of contact",
                mechanism=BreachMechanism.JOINT_COMMISSION,
                parties=["Russia", "Ukraine"],
                sectors=agreement_sectors(scenario),
            ),
        )
        pokrovsk = next(x.id for x in agreement.sectors if x.name == "Pokrovsk")
        service.create_incident(
            s,
            admin,
            IncidentIn(
                agreement_id=agreement.id,
                occurred_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
                type=IncidentType.SHELLING,
                sector_id=pokrovsk,
            ),
        )
        agreement_id = agreement.id
    eng.dispose()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
    page = context.new_page()
    page.goto(f"{base}/incidents")  # the login page, which returns there
    page.fill("input[name=username]", "monitor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/incidents")
    page.goto(f"{base}/map?agreement_id={agreement_id}")
    page.wait_for_selector("#map[data-basemap-ready='natural-earth']")
    page.wait_for_selector("#map[data-ready='1']")
    # Seven sectors as polylines and the incident at its sector's representative point.
    assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == 7 + 1
    labels = page.locator(".leaflet-tooltip.sector-label").all_inner_texts()
    assert labels == [s.name for s in scenario.line_of_contact.sectors]  # type: ignore[union-attr]
    names = set(page.locator(".country-label span").all_inner_texts())
    assert "Ukraine" in names, sorted(names)
    page.screenshot(path=str(ARTIFACTS / "map-line-of-contact.png"), full_page=True)
    context.close()

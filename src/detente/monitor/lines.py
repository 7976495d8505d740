"""A scenario's line of contact as the sectors of the agreement a deal becomes."""

from __future__ import annotations

from detente.monitor.schemas import SectorIn
from detente.scenario.model import Scenario

__all__ = ["agreement_sectors", "line_note"]


def agreement_sectors(scenario: Scenario) -> list[SectorIn]:
    """One monitor sector per sector of the scenario's line of contact (none without a line).

    Each sector's polyline becomes a GeoJSON LineString, the geometry the monitor maps and
    places sector-only incidents by.
    """
    line = scenario.line_of_contact
    if line is None:
        return []
    return [
        SectorIn(
            name=sector.name,
            geometry={
                "type": "LineString",
                "coordinates": [[lon, lat] for lon, lat in sector.coordinates],
            },
        )
        for sector in line.sectors
    ]


def line_note(scenario: Scenario) -> str:
    """One sentence for the agreement's text: where its sectors come from and how exact they are.

    Empty when the scenario has no line of contact.
    """
    line = scenario.line_of_contact
    if line is None:
        return ""
    what = line.label or "the line of contact"
    when = f" as of {line.as_of.isoformat()}" if line.as_of else ""
    exact = "approximate and illustrative" if line.approximate else "as given in the scenario"
    return f"Sectors: {what}{when} ({len(line.sectors)} sectors, {exact})."

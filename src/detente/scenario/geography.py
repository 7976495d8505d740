"""Where the ceasefire would hold: a line of contact split into named sectors.

Positions are ``[longitude, latitude]`` in WGS 84 degrees, the order of GeoJSON (RFC 7946), so a
sector's ``coordinates`` are a GeoJSON LineString's. The monitor makes each sector one of an
agreement's sectors when a deal is put into force.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["LineOfContact", "LineSector", "Position"]

Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
#: A ``[longitude, latitude]`` pair in WGS 84 degrees.
Position = tuple[Longitude, Latitude]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class LineSector(_Model):
    """A named stretch of the line: a polyline of at least two positions."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    label: str = ""
    coordinates: list[Position] = Field(
        min_length=2,
        max_length=10_000,
        description="The sector's polyline: [longitude, latitude] pairs in WGS 84 degrees.",
    )
    rationale: str = ""


class LineOfContact(_Model):
    """The line the ceasefire would freeze, as named sectors, with its date and provenance."""

    label: str = ""
    approximate: bool = Field(
        default=True,
        description="Whether the line is approximate (drawn by hand, not surveyed); default true.",
    )
    as_of: dt.date | None = Field(default=None, description="The day the line depicts.")
    description: str = ""
    rationale: str = ""
    sectors: list[LineSector] = Field(min_length=1, max_length=200)

    @field_validator("sectors")
    @classmethod
    def _unique_names(cls, sectors: list[LineSector]) -> list[LineSector]:
        seen: set[str] = set()
        for k, sector in enumerate(sectors):
            if sector.name in seen:
                raise ValueError(f"sectors[{k}]: duplicate sector name {sector.name!r}")
            seen.add(sector.name)
        return sectors

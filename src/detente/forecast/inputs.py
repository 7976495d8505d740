"""Stakeholder data: KTAB's CSV and XML formats and the native YAML stakeholder file.

Every reader returns :class:`Stakeholders`: actors with a capability and, per dimension, a position
and a salience on 0-100. Bad input raises :class:`StakeholderError` (or
:class:`~detente.errors.FormatError` for unparsable text) naming the file, the field and, where
the parser knows it, the line.
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from defusedxml import DefusedXmlException, ElementTree
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from detente.errors import DetenteError, FormatError, RepairWarning
from detente.files import read_bytes
from detente.scenario.formats.native import nearest_line, parse_yaml

__all__ = [
    "StakeholderError",
    "StakeholderFile",
    "Stakeholders",
    "builtin_stakeholder_names",
    "load_stakeholders",
    "parse_ktab_csv",
    "parse_ktab_xml",
    "parse_stakeholder_yaml",
]

_BUILTIN = Path(__file__).parent / "builtin"
#: Saliences of one actor may add up to 100 (KTAB's rule); this slack absorbs rounded inputs.
_SALIENCE_SLACK = 1e-6


class StakeholderError(DetenteError):
    """Stakeholder data is invalid (missing numbers, out-of-range values, unknown names...)."""


@dataclass(frozen=True, eq=False)
class Stakeholders:
    """Actors, their capability and, per dimension, their position and salience (0-100).

    Attributes:
        name: short name of the data set.
        actors: actor names, in input order (the order breaks ties).
        dimensions: dimension names.
        capability: raw capability (clout) per actor, shape ``(N,)``, positive.
        position: positions on 0-100, shape ``(N, K)``.
        salience: saliences on 0-100, shape ``(N, K)``; each row adds up to at most 100.
        description: one line on what the data describe.
        disclaimer: caveat shown with every forecast (e.g. "illustrative assumptions").
        dimension_labels: what 0 and 100 mean on each dimension, when the file says.
    """

    name: str
    actors: tuple[str, ...]
    dimensions: tuple[str, ...]
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray
    description: str = ""
    disclaimer: str = ""
    dimension_labels: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        """Check shapes and ranges; the readers report problems with file and field first."""
        n, k = len(self.actors), len(self.dimensions)
        if n < 2 or k < 1:
            raise StakeholderError("needs at least two actors and one dimension", field="actors")
        if len(set(self.actors)) != n:
            raise StakeholderError("actor names must be unique", field="actors")
        if self.capability.shape != (n,) or self.position.shape != (n, k):
            raise StakeholderError("capability/position arrays do not match the actors")
        if self.salience.shape != (n, k):
            raise StakeholderError("salience array does not match the actors")
        _check_values(self.capability, self.position, self.salience, self.actors)


def _check_values(
    capability: np.ndarray, position: np.ndarray, salience: np.ndarray, actors: tuple[str, ...]
) -> None:
    for i, actor in enumerate(actors):
        if not capability[i] > 0 or not math.isfinite(capability[i]):
            raise StakeholderError("capability must be a positive number", field=f"{actor}")
        if not np.all((position[i] >= 0) & (position[i] <= 100)):
            raise StakeholderError("positions must lie on 0-100", field=f"{actor}")
        if not np.all((salience[i] >= 0) & (salience[i] <= 100)):
            raise StakeholderError("saliences must lie on 0-100", field=f"{actor}")
        total = float(salience[i].sum())
        if not 0 < total <= 100 + _SALIENCE_SLACK:
            raise StakeholderError(
                f"saliences add up to {total:g}; they must add up to more than 0 and at most 100",
                field=f"{actor}",
            )


def _number(text: str, *, source: Path | str, field: str, line: int | None) -> float:
    try:
        value = float(text)
    except ValueError:
        raise StakeholderError(
            f"expected a number, found {text!r}", source=source, field=field, line=line
        ) from None
    if not math.isfinite(value):
        raise StakeholderError("expected a finite number", source=source, field=field, line=line)
    return value


def _checked(source: Path | str, build: Any) -> Stakeholders:
    try:
        result: Stakeholders = build()
    except StakeholderError as exc:
        raise StakeholderError(exc.message, source=source, field=exc.field, line=exc.line) from None
    return result


# -- KTAB CSV --------------------------------------------------------------------------------


def parse_ktab_csv(data: bytes | str, *, source: Path | str) -> Stakeholders:
    """Parse KTAB's SMP CSV: a title row, a header row, then one row per actor.

    Title row: scenario name, description, number of actors, number of dimensions. Actor rows:
    name, description, capability, then (position, salience) per dimension on 0-100.
    """
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text (byte {exc.start})", source=source) from None
    rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    if len(rows) < 3:
        raise FormatError(
            "a KTAB CSV holds a title row, a header row and actor rows", source=source
        )
    title = rows[0]
    if len(title) < 4:
        raise StakeholderError(
            "title row needs name, description, actors, dimensions", source=source, line=1
        )
    n = int(_number(title[2], source=source, field="number of actors", line=1))
    k = int(_number(title[3], source=source, field="number of dimensions", line=1))
    header = rows[1]
    if len(header) < 3 + 2 * k:
        raise StakeholderError(
            f"header has {len(header)} columns, {3 + 2 * k} needed for {k} dimensions",
            source=source,
            line=2,
        )
    dimensions = tuple(_dimension_name(header[3 + 2 * d], d) for d in range(k))
    actor_rows = [(i + 3, row) for i, row in enumerate(rows[2:]) if any(row)]
    if len(actor_rows) != n:
        raise StakeholderError(
            f"title row announces {n} actors, the file has {len(actor_rows)}",
            source=source,
            field="number of actors",
            line=1,
        )
    names, caps = [], []
    pos = np.zeros((n, k))
    sal = np.zeros((n, k))
    for a, (line, row) in enumerate(actor_rows):
        if len(row) < 3 + 2 * k or any(not row[c] for c in range(3 + 2 * k)):
            raise StakeholderError(
                f"actor row needs {3 + 2 * k} filled columns", source=source, line=line
            )
        names.append(row[0])
        cell = _CsvCell(row, header, source, line)
        caps.append(cell.number(2, "capability must be a positive number", low=0, open_low=True))
        for d in range(k):
            pos[a, d] = cell.number(3 + 2 * d, "positions must lie on 0-100", low=0, high=100)
            sal[a, d] = cell.number(4 + 2 * d, "saliences must lie on 0-100", low=0, high=100)
    return _checked(
        source,
        lambda: Stakeholders(
            name=title[0],
            description=title[1],
            actors=tuple(names),
            dimensions=dimensions,
            capability=np.array(caps),
            position=pos,
            salience=sal,
        ),
    )


@dataclass(frozen=True)
class _CsvCell:
    """Numbers of one actor row, each checked against its range with its line and column."""

    row: list[str]
    header: list[str]
    source: Path | str
    line: int

    def number(
        self,
        column: int,
        rule: str,
        *,
        low: float,
        high: float = math.inf,
        open_low: bool = False,
    ) -> float:
        field = f"{self.row[0]}.{self.header[column]}"
        value = _number(self.row[column], source=self.source, field=field, line=self.line)
        if value < low or value > high or (open_low and value == low):
            raise StakeholderError(
                f"{rule} (column {column + 1}, found {value:g})",
                source=self.source,
                field=field,
                line=self.line,
            )
        return value


def _dimension_name(header: str, d: int) -> str:
    name = header.removesuffix("Position").strip()
    return name or f"Dim{d}"


# -- KTAB XML --------------------------------------------------------------------------------


def parse_ktab_xml(data: bytes | str, *, source: Path | str) -> Stakeholders:
    """Parse KTAB's SMP XML (``smpSchema.xsd``); model parameters in the file are ignored.

    An empty ``dCoord`` (as in KTAB's own ``smpExample.xml``) is repaired to the mean of the
    other actors' positions on that dimension, with a :class:`~detente.errors.RepairWarning`.
    """
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise FormatError(f"malformed XML: {exc}", source=source, line=line) from None
    except DefusedXmlException as exc:
        raise FormatError(f"unsafe XML refused: {exc}", source=source) from None
    if root.tag != "Scenario":
        raise StakeholderError("root element must be <Scenario>", source=source)
    actors_el = root.find("Actors")
    if actors_el is None:
        raise StakeholderError("missing <Actors>", source=source, field="Scenario.Actors")
    dims = [(d.text or "").strip() for d in root.findall("Dimensions/dName")]
    parsed = [_xml_actor(a, actor, source) for a, actor in enumerate(actors_el.findall("Actor"))]
    if len(parsed) < 2:
        raise StakeholderError("needs at least two actors and one dimension", source=source)
    k = len(dims) or len(parsed[0][2])
    for a, (_, _, row, srow) in enumerate(parsed):
        if len(row) != k or len(srow) != k:
            raise StakeholderError(
                f"{len(row)} coordinates and {len(srow)} saliences for {k} dimensions",
                source=source,
                field=f"Actors.Actor[{a}]",
            )
    pos = np.array([p[2] for p in parsed], dtype=float)
    for a, d in zip(*np.nonzero(np.isnan(pos)), strict=True):
        pos[a, d] = float(np.nanmean(np.delete(pos[:, d], a)))
        warnings.warn(
            f"{source}: Actors.Actor[{a}].Position.dCoord[{d}] is empty; set to the mean of the "
            f"other actors' positions, {pos[a, d]:.2f}",
            RepairWarning,
            stacklevel=2,
        )
    return _checked(
        source,
        lambda: Stakeholders(
            name=(root.findtext("name") or "").strip() or Path(str(source)).stem,
            description=(root.findtext("desc") or "").strip(),
            actors=tuple(p[0] for p in parsed),
            dimensions=tuple(dims) if dims else tuple(f"Dim{d}" for d in range(k)),
            capability=np.array([p[1] for p in parsed]),
            position=pos,
            salience=np.array([p[3] for p in parsed], dtype=float),
        ),
    )


def _xml_actor(
    a: int, actor: Any, source: Path | str
) -> tuple[str, float, list[float], list[float]]:
    """One ``<Actor>``: name, capability, coordinates (NaN when empty) and saliences."""
    where = f"Actors.Actor[{a}]"

    def number(text: str | None, field: str) -> float:
        return _number((text or "").strip(), source=source, field=f"{where}.{field}", line=None)

    coords = [
        number(c.text, f"Position.dCoord[{d}]") if (c.text or "").strip() else math.nan
        for d, c in enumerate(actor.findall("Position/dCoord"))
    ]
    saliences = [
        number(s.text, f"Salience.dSal[{d}]") for d, s in enumerate(actor.findall("Salience/dSal"))
    ]
    name = (actor.findtext("name") or "").strip() or f"Actor{a}"
    return name, number(actor.findtext("capability"), "capability"), coords, saliences


# -- native YAML -----------------------------------------------------------------------------

_Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DimensionSpec(_Strict):
    """One dimension: its name and what its two ends mean."""

    name: _Text
    label: str = ""
    low: _Text = Field(description="what position 0 means")
    high: _Text = Field(description="what position 100 means")


class StanceSpec(_Strict):
    """An actor's position and salience on one dimension, each with its rationale."""

    position: float = Field(ge=0, le=100)
    position_rationale: _Text
    salience: float = Field(ge=0, le=100)
    salience_rationale: _Text


class ActorSpec(_Strict):
    """One actor: its capability and its stance on every dimension."""

    name: _Text
    description: str = ""
    capability: float = Field(gt=0)
    capability_rationale: _Text
    stances: dict[str, StanceSpec]

    @model_validator(mode="after")
    def _saliences_add_up(self) -> ActorSpec:
        total = sum(s.salience for s in self.stances.values())
        if not 0 < total <= 100 + _SALIENCE_SLACK:
            raise ValueError(f"saliences add up to {total:g}; allowed: more than 0, at most 100")
        return self


class StakeholderFile(_Strict):
    """The native stakeholder file (YAML): every number carries a one-line rationale."""

    name: _Text
    title: str = ""
    description: str = ""
    disclaimer: str = ""
    dimensions: list[DimensionSpec] = Field(min_length=1)
    actors: list[ActorSpec] = Field(min_length=2)

    def problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Cross-field problems (duplicate names, missing or unknown stances) with locations."""
        found: list[tuple[tuple[str | int, ...], str]] = []
        dims = [d.name for d in self.dimensions]
        for i, name in enumerate(dims):
            if name in dims[:i]:
                found.append((("dimensions", i, "name"), f"duplicate dimension {name!r}"))
        actors = [a.name for a in self.actors]
        for i, actor in enumerate(self.actors):
            if actor.name in actors[:i]:
                found.append((("actors", i, "name"), f"duplicate actor {actor.name!r}"))
            missing = [d for d in dims if d not in actor.stances]
            unknown = [d for d in actor.stances if d not in dims]
            if missing or unknown:
                what = f"no stance on {missing}" if missing else f"unknown dimensions {unknown}"
                found.append((("actors", i, "stances"), f"actor {actor.name!r}: {what}"))
        return found

    def to_stakeholders(self) -> Stakeholders:
        """The numbers, as arrays in file order."""
        for loc, message in self.problems():
            raise StakeholderError(message, field=".".join(map(str, loc)))
        dims = [d.name for d in self.dimensions]
        return Stakeholders(
            name=self.name,
            description=self.title or self.description,
            disclaimer=self.disclaimer.strip(),
            actors=tuple(a.name for a in self.actors),
            dimensions=tuple(dims),
            capability=np.array([a.capability for a in self.actors]),
            position=np.array([[a.stances[d].position for d in dims] for a in self.actors]),
            salience=np.array([[a.stances[d].salience for d in dims] for a in self.actors]),
            dimension_labels=tuple(
                f"{d.label or d.name}: 0 = {d.low}, 100 = {d.high}" for d in self.dimensions
            ),
        )


def parse_stakeholder_yaml(data: bytes | str, *, source: Path | str) -> StakeholderFile:
    """Parse and validate a native stakeholder file; errors name file, field and line."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    raw, lines = parse_yaml(text, source)
    if not isinstance(raw, dict):
        raise FormatError("a stakeholder file holds a mapping at the top level", source=source)
    try:
        spec = StakeholderFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise StakeholderError(
            message + extra,
            source=source,
            field=".".join(str(x) for x in loc) or None,
            line=nearest_line(lines, loc),
        ) from None
    for loc, message in spec.problems():
        raise StakeholderError(
            message, source=source, field=".".join(map(str, loc)), line=nearest_line(lines, loc)
        )
    return spec


# -- dispatch --------------------------------------------------------------------------------


def builtin_stakeholder_names() -> list[str]:
    """Names of the stakeholder files shipped with detente."""
    return sorted(p.stem for p in _BUILTIN.glob("*.yaml"))


def load_stakeholders(path: str | Path) -> Stakeholders:
    """Read stakeholder data by file extension (.csv, .xml, .yaml/.yml) or built-in name."""
    candidate = Path(path)
    if not candidate.exists() and str(path) in builtin_stakeholder_names():
        candidate = _BUILTIN / f"{path}.yaml"
    suffix = candidate.suffix.lower()
    if suffix not in {".csv", ".xml", ".yaml", ".yml"}:
        raise FormatError(
            "unknown stakeholder format; use .csv or .xml (KTAB) or .yaml (native)",
            source=candidate,
        )
    data = read_bytes(candidate)
    if suffix == ".csv":
        return parse_ktab_csv(data, source=candidate)
    if suffix == ".xml":
        return parse_ktab_xml(data, source=candidate)
    spec = parse_stakeholder_yaml(data, source=candidate)
    return _checked(candidate, spec.to_stakeholders)

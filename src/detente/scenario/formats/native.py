"""The native scenario format: YAML or JSON mirroring :class:`~detente.scenario.model.Scenario`.

Documented in ``docs/reference/scenario-format.md``; its JSON Schema is generated from the model
by :func:`json_schema`. YAML goes through PyYAML's safe loader only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from detente.errors import FormatError, ScenarioError
from detente.files import read_bytes
from detente.scenario.formats._files import dumps_json, loads_json
from detente.scenario.model import Scenario

_MODEL_PATH = re.compile(
    r"^((issues|parties)(?:\[(\d+)\] \([^)]*\))?((?:\.[^:]+)?)): (.*)$", re.DOTALL
)

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "dump_native",
    "json_schema",
    "load_native",
    "native_document",
    "nearest_line",
    "parse_native",
    "parse_yaml",
    "scenario_problems",
]

#: YAML aliases may add at most this many nodes to those written in the file. A scenario rarely
#: needs an alias at all; the bound refuses "billion laughs" alias bombs before they expand.
MAX_ALIAS_NODES = 100_000

#: Deepest nesting of YAML collections accepted (a scenario needs fewer than ten levels; the
#: bound keeps PyYAML's recursive composer and its quadratic scanner away from hostile files).
MAX_DEPTH = 50

_MERGE_TAG = "tag:yaml.org,2002:merge"


def load_native(path: Path) -> Scenario:
    """Read a native YAML (``.yaml``/``.yml``) or JSON (``.json``) scenario file."""
    return parse_native(read_bytes(path), source=path, is_json=path.suffix.lower() == ".json")


def parse_native(data: bytes | str, *, source: str | Path, is_json: bool = False) -> Scenario:
    """Parse native scenario text; errors name ``source``, the field and the line.

    Duplicate keys in a mapping, recursive or exploding YAML aliases and nesting too deep to
    parse are refused with a :class:`FormatError`.
    """
    text = _decode(data, source)
    if is_json:
        raw = loads_json(text, source)
        lines: dict[tuple[str | int, ...], int] = {}
    else:
        raw, lines = parse_yaml(text, source)
    if not isinstance(raw, dict):
        raise FormatError("a scenario file holds a mapping at the top level", source=source)
    return validate_scenario(raw, source=source, lines=lines)


def validate_scenario(
    raw: dict[str, Any],
    *,
    source: str | Path,
    lines: dict[tuple[str | int, ...], int] | None = None,
) -> Scenario:
    """Validate a plain mapping into a :class:`Scenario`, turning errors into ``ScenarioError``."""
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = scenario_problems(raw, exc)
        loc, field, message = problems[0]
        line = nearest_line(lines or {}, loc)
        extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ScenarioError(message + extra, source=source, field=field, line=line) from None


def scenario_problems(
    raw: dict[str, Any], exc: ValidationError
) -> list[tuple[tuple[str | int, ...], str | None, str]]:
    """Every error of a scenario's validation as ``(path, field, message)``, in the CLI's words.

    ``path`` locates the field in ``raw`` (keys and list indices); ``field`` is the dotted name
    the CLI prints before the message (a cross-check names the party, as in
    ``parties[0] (Red).red_lines``).
    """
    out: list[tuple[tuple[str | int, ...], str | None, str]] = []
    for error in exc.errors():
        loc: tuple[str | int, ...] = tuple(x for x in error["loc"] if not _is_union_tag(x))
        field = ".".join(str(x) for x in loc) or None
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing" and loc[-1:] == ("reservation_value",):
            message = _no_reservation(raw, loc)
        if error["type"] == "union_tag_not_found":
            message = "no 'kind' given (it selects the type: see the scenario format reference)"
        found = _MODEL_PATH.match(message) if not loc else None
        if found:  # a cross-check error: its message starts with the path it concerns
            field, message = found.group(1), found.group(5)
            index = (int(found.group(3)),) if found.group(3) else ()
            loc = (found.group(2), *index, *[x for x in found.group(4).split(".") if x])
        out.append((loc, field, message))
    return out


def _no_reservation(raw: dict[str, Any], loc: tuple[Any, ...]) -> str:
    """What to say of a party that gives no reservation value (``loc``: parties, k, field)."""
    name = raw["parties"][loc[1]].get("name")  # a missing name would have been reported first
    return (
        f"party {name!r} has no reservation_value: give the utility (0 to 1) of its best "
        "alternative to a deal, or write 'reservation_value: 0' if it has none (a missing value "
        "is never taken as 0)"
    )


def dump_native(scenario: Scenario, *, as_json: bool = False) -> str:
    """Native text of ``scenario`` (YAML by default), omitting defaults."""
    data = native_document(scenario)
    if as_json:
        return dumps_json(data)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def native_document(scenario: Scenario) -> dict[str, Any]:
    """The mapping :func:`dump_native` writes: plain JSON values, defaults omitted."""
    data: dict[str, Any] = scenario.model_dump(mode="json", exclude_defaults=True)
    _keep_kinds(data, scenario.model_dump(mode="json"))
    return data


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the native format, generated from the model."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "detente scenario"
    return schema


def _decode(data: bytes | str, source: str | Path) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text (byte {exc.start})", source=source) from None


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing keys given twice in one mapping and deep nesting."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """Compose one node, refusing nesting deeper than :data:`MAX_DEPTH`."""
        if self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"nested too deeply (over {MAX_DEPTH} levels)",
                self.peek_event().start_mark,  # type: ignore[no-untyped-call]
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Construct a mapping; a duplicate key is an error naming both lines."""
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:  # keys merged in by "<<: *base" may be overridden
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                earlier = first.get(key)
            except TypeError:  # an unhashable key: PyYAML's own check names it
                continue
            if earlier is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first given on line {earlier})",
                    key_node.start_mark,
                )
            first[key] = line
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, source: str | Path) -> tuple[Any, dict[tuple[str | int, ...], int]]:
    """YAML text through the strict safe loader, and the line of every field path.

    Keys given twice in one mapping, recursive or exploding aliases and nesting deeper than
    :data:`MAX_DEPTH` are refused with a :class:`FormatError` naming ``source`` and the line.
    """
    try:
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise FormatError("empty file", source=source)
            lines = _index_nodes(node, source)
            return loader.construct_document(node), lines
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise FormatError(f"malformed YAML: {problem}", source=source, line=line) from None
    except yaml.YAMLError as exc:  # the reader refuses control characters before parsing
        first_line = str(exc).splitlines()[0]
        raise FormatError(f"malformed YAML: {first_line}", source=source) from None


def _index_nodes(root: yaml.Node, source: str | Path) -> dict[tuple[str | int, ...], int]:
    """Line of every field path, refusing recursive aliases and alias bombs.

    A node reached again through an alias is counted (its expanded size is remembered) but not
    walked again, so the walk is linear in the file's size whatever its aliases.
    """
    lines: dict[tuple[str | int, ...], int] = {}
    expanded: dict[int, int] = {}  # id(node) -> number of nodes once its aliases are expanded
    open_nodes: set[int] = set()

    def walk(node: yaml.Node, path: tuple[str | int, ...] | None) -> int:
        line = node.start_mark.line + 1
        if path is not None:
            lines.setdefault(path, line)
        if id(node) in expanded:
            return expanded[id(node)]
        if id(node) in open_nodes:
            raise FormatError(
                "a YAML alias refers to a node that contains it (a recursive structure)",
                source=source,
                line=line,
            )
        open_nodes.add(id(node))
        total = 1
        for child_path, child in _children(node, path):
            total += walk(child, child_path)
            # a subtree's excess over the distinct nodes seen so far bounds the file's excess
            if total - len(expanded) - len(open_nodes) > MAX_ALIAS_NODES:
                raise FormatError(
                    f"YAML aliases expand to more than {MAX_ALIAS_NODES:,} extra values "
                    "(an alias bomb?)",
                    source=source,
                    line=line,
                )
        open_nodes.discard(id(node))
        expanded[id(node)] = total
        return total

    walk(root, ())
    return lines


def _children(
    node: yaml.Node, path: tuple[str | int, ...] | None
) -> list[tuple[tuple[str | int, ...] | None, yaml.Node]]:
    """Child nodes with their field paths (``None``: not a field, such as a mapping's key)."""
    if isinstance(node, yaml.MappingNode):
        out: list[tuple[tuple[str | int, ...] | None, yaml.Node]] = []
        for key, value in node.value:
            field = None
            if path is not None and isinstance(key, yaml.ScalarNode):
                field = (*path, key.value)
            out += [(None, key), (field, value)]
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            ((*path, i) if path is not None else None, item) for i, item in enumerate(node.value)
        ]
    return []


def nearest_line(lines: dict[tuple[str | int, ...], int], loc: tuple[Any, ...]) -> int | None:
    """The line of field path ``loc``, or of its nearest enclosing field (``None``: unknown)."""
    for end in range(len(loc), -1, -1):
        key = tuple(str(x) if not isinstance(x, int) else x for x in loc[:end])
        if key in lines:
            return lines[key]
    return None


def _is_union_tag(x: object) -> bool:
    tags = {"discrete", "integer", "real", "additive", "rules", "linear", "piecewise"}
    return isinstance(x, str) and (x in tags or x.startswith(("function-", "tuple[")))


def _keep_kinds(data: Any, full: Any) -> None:
    """Put back the ``kind`` tags that ``exclude_defaults`` dropped (they select the type)."""
    if isinstance(data, dict) and isinstance(full, dict):
        if "kind" in full and "kind" not in data:
            data["kind"] = full["kind"]
        for key, value in data.items():
            _keep_kinds(value, full.get(key))
    elif isinstance(data, list) and isinstance(full, list):
        for a, b in zip(data, full, strict=False):
            _keep_kinds(a, b)

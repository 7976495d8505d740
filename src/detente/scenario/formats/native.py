"""The native scenario format: YAML or JSON mirroring :class:`~detente.scenario.model.Scenario`.

Documented in ``docs/reference/scenario-format.md``; its JSON Schema is generated from the model
by :func:`json_schema`. YAML goes through PyYAML's safe loader only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from detente.errors import FormatError, ScenarioError
from detente.scenario.formats._files import atomic_write_text, read_bytes
from detente.scenario.model import Scenario

_MODEL_PATH = re.compile(
    r"^((issues|parties)(?:\[(\d+)\] \([^)]*\))?((?:\.[^:]+)?)): (.*)$", re.DOTALL
)

__all__ = ["dump_native", "json_schema", "load_native", "parse_native", "save_native"]


def load_native(path: Path) -> Scenario:
    """Read a native YAML (``.yaml``/``.yml``) or JSON (``.json``) scenario file."""
    return parse_native(read_bytes(path), source=path, is_json=path.suffix.lower() == ".json")


def parse_native(data: bytes | str, *, source: str | Path, is_json: bool = False) -> Scenario:
    """Parse native scenario text; errors name ``source``, the field and the line."""
    text = _decode(data, source)
    if is_json:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FormatError(
                f"malformed JSON: {exc.msg}", source=source, line=exc.lineno
            ) from None
        lines: dict[tuple[str | int, ...], int] = {}
    else:
        raw, lines = _load_yaml(text, source)
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
        first = exc.errors()[0]
        loc = tuple(x for x in first["loc"] if not _is_union_tag(x))
        field = ".".join(str(x) for x in loc) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        found = _MODEL_PATH.match(message) if not loc else None
        if found:  # a cross-check error: its message starts with the path it concerns
            field, message = found.group(1), found.group(5)
            index = (int(found.group(3)),) if found.group(3) else ()
            loc = (found.group(2), *index, *[x for x in found.group(4).split(".") if x])
        line = _nearest_line(lines or {}, loc)
        extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ScenarioError(message + extra, source=source, field=field, line=line) from None


def dump_native(scenario: Scenario, *, as_json: bool = False) -> str:
    """Native text of ``scenario`` (YAML by default), omitting defaults."""
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    _keep_kinds(data, scenario.model_dump(mode="json"))
    if as_json:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def save_native(scenario: Scenario, path: Path) -> None:
    """Write ``scenario`` to ``path`` (JSON for ``.json``, else YAML), atomically."""
    atomic_write_text(path, dump_native(scenario, as_json=path.suffix.lower() == ".json"))


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


def _load_yaml(text: str, source: str | Path) -> tuple[Any, dict[tuple[str | int, ...], int]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise FormatError("empty file", source=source)
        lines: dict[tuple[str | int, ...], int] = {}
        _record_lines(node, (), lines)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise FormatError(f"malformed YAML: {problem}", source=source, line=line) from None
    except yaml.YAMLError as exc:
        raise FormatError(f"malformed YAML: {exc}", source=source) from None
    finally:
        loader.dispose()


def _record_lines(node: yaml.Node, path: tuple[str | int, ...], out: dict[Any, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                _record_lines(value, (*path, key.value), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _record_lines(item, (*path, i), out)


def _nearest_line(lines: dict[tuple[str | int, ...], int], loc: tuple[Any, ...]) -> int | None:
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

"""A deal written by a person: ``issue=option`` pairs, a JSON object or a YAML/JSON file.

Every command that takes a deal (``analyze --deal``, ``durability --deal``...) reads it here,
so a typo gets the same answer everywhere: the unknown issue or option, and the names that
would have worked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import yaml

from detente.errors import ScenarioError
from detente.scenario.model import DiscreteIssue, NumericIssue, Scenario

__all__ = ["check_deal", "parse_deal"]

#: Names listed in an error before the rest are summed up as "... N more".
LISTED_NAMES = 30

_SUFFIXES = {".yaml", ".yml", ".json"}


def parse_deal(
    spec: str | Mapping[str, object],
    scenario: Scenario,
    *,
    complete: bool = True,
    field: str = "--deal",
) -> dict[str, str]:
    """The deal ``{issue: option name}`` that ``spec`` writes, checked against ``scenario``.

    Args:
        spec: a mapping; ``"issue=option,issue=option"``; a JSON object; or the path of a
            YAML/JSON file holding one.
        scenario: the scenario whose issue and option names the deal must use.
        complete: whether every issue must be given (else some may be left out).
        field: what the errors name (the command-line option or request field).

    Returns:
        The options given, in the scenario's issue order.

    Raises:
        ScenarioError: the text cannot be read as a deal, or it names an unknown issue or
            option (the message lists the valid names), or (``complete``) leaves an issue out.
    """
    raw = spec if isinstance(spec, Mapping) else _parse_text(spec.strip(), field)
    deal = {str(k).strip(): _option_name(v) for k, v in raw.items()}
    return check_deal(scenario, deal, complete=complete, field=field)


def check_deal(
    scenario: Scenario,
    deal: Mapping[str, object],
    *,
    complete: bool = True,
    field: str = "deal",
) -> dict[str, str]:
    """``deal`` with option names as the scenario writes them, in issue order.

    Raises:
        ScenarioError: an unknown issue or option (listing the valid names), or (``complete``)
            an issue left out.
    """
    issues = {issue.name: issue for issue in scenario.issues}
    for name in deal:
        if name not in issues:
            raise ScenarioError(
                f"unknown issue {name!r}; the issues are {_listed(list(issues))}", field=field
            )
    out: dict[str, str] = {}
    for name, issue in issues.items():
        if name not in deal:
            if complete:
                raise ScenarioError(f"no option given for issue {name!r}", field=field)
            continue
        out[name] = _known_option(issue, deal[name], field)
    return out


def _known_option(issue: DiscreteIssue | NumericIssue, option: object, field: str) -> str:
    try:
        position = issue.option_index(_option_name(option))
    except (KeyError, ValueError):
        names = [str(v) for v in issue.values]
        raise ScenarioError(
            f"unknown option {option!r} of issue {issue.name!r}; its options are {_listed(names)}",
            field=f"{field} {issue.name}" if field.startswith("-") else f"{field}.{issue.name}",
        ) from None
    return str(issue.values[position])


def _option_name(value: object) -> str:
    # YAML reads 'full_30' as text but '5' as a number: an integer option is still its name
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:LISTED_NAMES])
    if len(names) > LISTED_NAMES:
        shown += f", ... ({len(names) - LISTED_NAMES} more)"
    return shown


def _parse_text(text: str, field: str) -> Mapping[str, object]:
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"not a JSON object: {exc.msg}", field=field) from None
        return dict(loaded)  # JSON text opening with "{" is an object
    path = Path(text)
    if path.suffix.lower() in _SUFFIXES and "=" not in text:
        return _read_file(path)
    pairs: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        issue, sep, option = part.partition("=")
        if not sep or not issue.strip() or not option.strip():
            raise ScenarioError(
                f"expected issue=option, got {part.strip()!r} (write the deal as "
                "issue=option,issue=option, a JSON object or a YAML/JSON file)",
                field=field,
            )
        pairs[issue.strip()] = option.strip()
    if not pairs:
        raise ScenarioError("an empty deal (write issue=option,issue=option)", field=field)
    return pairs


def _read_file(path: Path) -> Mapping[str, object]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror or exc}", source=path) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"not valid YAML/JSON: {exc}", source=path) from None
    if not isinstance(loaded, dict):
        raise ScenarioError("a deal is a mapping of issue to option", source=path)
    return loaded

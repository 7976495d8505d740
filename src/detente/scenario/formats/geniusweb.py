"""GeniusWeb JSON: a domain (``issuesValues``) and ``LinearAdditiveUtilitySpace`` profiles.

A domain is ``{"name": ..., "issuesValues": {issue: {"values": [...]}}}``, or for a numeric
issue ``{"range": {"low": ..., "high": ..., "step": ...}}``. A profile is
``{"LinearAdditiveUtilitySpace": {"name", "domain", "issueWeights", "issueUtilities",
"reservationBid"}}`` where each issue's utilities are ``{"DiscreteValueSetUtilities" |
"discreteutils": {"valueUtilities": {value: u}}}`` or ``{"NumberValueSetUtilities" |
"numberutils": {"lowValue", "lowUtility", "highValue", "highUtility"}}``.

GeniusWeb has a reservation *bid*, not a value: on import the reservation value is that bid's
utility; on export it is left out (with a warning). GeniusWeb has no red lines either.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from detente.errors import FormatError, RepairWarning, ScenarioError, UnsupportedError
from detente.files import atomic_write_text, read_bytes
from detente.scenario.formats._common import (
    clipped_line_function,
    number,
    unique_stems,
    validate_party,
    warn_if_not_normalised,
    warn_if_peak_below_one,
)
from detente.scenario.formats._files import loads_json
from detente.scenario.formats.native import validate_scenario
from detente.scenario.model import (
    AdditivePreferences,
    DiscreteIssue,
    IssueValuation,
    LinearFunction,
    NumericIssue,
    Scenario,
    issue_value_table,
    normalized_weights,
)

__all__ = [
    "geniusweb_texts",
    "is_geniusweb_file",
    "is_geniusweb_folder",
    "load_geniusweb",
    "save_geniusweb",
]

_SPACE = "LinearAdditiveUtilitySpace"
_DISCRETE = ("DiscreteValueSetUtilities", "discreteutils")
_NUMBER = ("NumberValueSetUtilities", "numberutils")


def _read_json(path: Path) -> Any:
    try:
        text = read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text (byte {exc.start})", source=path) from None
    return loads_json(text, path)


def _kind(data: Any) -> str:
    if isinstance(data, dict) and _SPACE in data:
        return "profile"
    if isinstance(data, dict) and "issuesValues" in data:
        return "domain"
    if isinstance(data, dict) and len(data) == 1 and next(iter(data)).endswith("UtilitySpace"):
        return "unsupported"
    return "other"


def is_geniusweb_file(path: Path) -> bool:
    """Whether ``path`` is a GeniusWeb domain or profile JSON file (peeks at its start)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b'"issuesValues"' in head or b"UtilitySpace" in head


def is_geniusweb_folder(path: Path) -> bool:
    """Whether ``path`` is a folder of GeniusWeb JSON files (and holds no GENIUS XML)."""
    if any(path.glob("*.xml")):
        return False
    return any(is_geniusweb_file(p) for p in path.glob("*.json"))


def load_geniusweb(path: Path) -> Scenario:
    """Read a GeniusWeb folder, a domain file (with the profiles beside it) or one profile.

    Raises:
        FormatError: malformed JSON, or no domain/profile found.
        ScenarioError: a profile does not match its domain, or invalid numbers.
        UnsupportedError: a profile type other than ``LinearAdditiveUtilitySpace``.
    """
    folder = path if path.is_dir() else path.parent
    files = [path] if not path.is_dir() else sorted(folder.glob("*.json"))
    if not path.is_dir() and _kind(_read_json(path)) == "domain":
        files = sorted(folder.glob("*.json"))
    domain: tuple[Path, dict[str, Any]] | None = None
    profiles: list[tuple[Path, dict[str, Any]]] = []
    for file in files:
        data = _read_json(file)
        kind = _kind(data)
        if kind == "unsupported":
            raise UnsupportedError(
                f"profile type {next(iter(data))} is not supported ({_SPACE} is)", source=file
            )
        if kind == "domain":
            if domain is not None:
                raise FormatError(
                    f"several GeniusWeb domains ({domain[0].name}, {file.name}); keep one",
                    source=folder,
                )
            domain = (file, data)
        elif kind == "profile":
            profiles.append((file, data[_SPACE]))
    if not profiles:
        raise FormatError("no GeniusWeb profile (LinearAdditiveUtilitySpace) here", source=path)
    if domain is None:
        first = profiles[0]
        if not isinstance(first[1].get("domain"), dict):
            raise FormatError("no GeniusWeb domain here nor in the profile", source=first[0])
        domain = (first[0], first[1]["domain"])
    issues = _read_domain(*domain)
    parties = [_read_profile(file, data, domain, issues) for file, data in profiles]
    raw = {"name": str(domain[1].get("name") or folder.name), "issues": issues, "parties": parties}
    return validate_scenario(raw, source=domain[0])


def _read_domain(source: Path, data: dict[str, Any]) -> list[dict[str, Any]]:
    values = data.get("issuesValues")
    if not isinstance(values, dict) or not values:
        raise ScenarioError("issuesValues must map issues to value sets", source=source)
    issues = []
    for name, spec in values.items():
        where = f"issuesValues.{name}"
        if isinstance(spec, dict) and isinstance(spec.get("values"), list):
            options = [str(v) for v in spec["values"]]
            issues.append({"kind": "discrete", "name": name, "options": options})
        elif isinstance(spec, dict) and "range" in spec:
            issues.append(_numeric_issue(name, spec["range"], source, where))
        else:
            raise ScenarioError(
                "expected {'values': [...]} or {'range': ...}", source=source, field=where
            )
    return issues


def _numeric_issue(name: str, spec: Any, source: Path, where: str) -> dict[str, Any]:
    if isinstance(spec, list) and len(spec) == 3:
        spec = {"low": spec[0], "high": spec[1], "step": spec[2]}
    if not isinstance(spec, dict):
        raise ScenarioError("a range is {low, high, step}", source=source, field=where)
    low = number(str(spec.get("low")), source, f"{where}.range.low")
    high = number(str(spec.get("high")), source, f"{where}.range.high")
    step = number(str(spec.get("step")), source, f"{where}.range.step")
    if step <= 0 or high < low:
        raise ScenarioError("a range needs low <= high and step > 0", source=source, field=where)
    count = math.floor((high - low) / step + 1e-9) + 1
    if all(float(x).is_integer() for x in (low, high, step)):
        last = int(low) + (count - 1) * int(step)
        return {"kind": "integer", "name": name, "low": int(low), "high": last, "step": int(step)}
    top = low + (count - 1) * step
    if abs(top - high) <= 1e-9 * max(1.0, high - low):
        top = high
    if count < 2:
        raise ScenarioError("a real range needs at least two values", source=source, field=where)
    return {"kind": "real", "name": name, "low": low, "high": top, "points": count}


def _read_profile(
    source: Path,
    data: dict[str, Any],
    domain: tuple[Path, dict[str, Any]],
    issues: list[dict[str, Any]],
) -> dict[str, Any]:
    embedded = data.get("domain")
    if isinstance(embedded, dict) and embedded.get("issuesValues") != domain[1]["issuesValues"]:
        raise ScenarioError(
            f"the profile's domain differs from {domain[0].name} (the profile does not match "
            "its domain)",
            source=source,
            field="domain",
        )
    weights = data.get("issueWeights")
    utilities = data.get("issueUtilities")
    if not isinstance(weights, dict) or not isinstance(utilities, dict):
        raise ScenarioError("needs issueWeights and issueUtilities", source=source)
    valuations: dict[str, Any] = {}
    for issue in issues:
        name = issue["name"]
        if name not in weights or name not in utilities:
            raise ScenarioError(
                f"no weight or utilities for issue {name!r} of the domain", source=source
            )
        weight = number(str(weights[name]), source, f"issueWeights.{name}")
        valuations[name] = _valuation(utilities[name], issue, weight, source)
    unknown = sorted((set(weights) | set(utilities)) - {i["name"] for i in issues})
    if unknown:
        raise ScenarioError(
            f"issue(s) {unknown} not in the domain (the profile does not match its domain)",
            source=source,
        )
    warn_if_not_normalised({k: float(v) for k, v in weights.items()}, source)
    party: dict[str, Any] = {
        "name": str(data.get("name") or source.stem),
        # GeniusWeb's default: a profile without a reservationBid has no alternative (0)
        "reservation_value": 0.0,
        "preferences": {"kind": "additive", "issues": valuations},
    }
    validate_party(party, source)
    bid = data.get("reservationBid")
    if isinstance(bid, dict):
        party["reservation_value"] = _bid_utility(bid, party, issues, source)
    return party


def _valuation(spec: Any, issue: dict[str, Any], weight: float, source: Path) -> dict[str, Any]:
    name = issue["name"]
    where = f"issueUtilities.{name}"
    if not isinstance(spec, dict) or len(spec) != 1:
        raise ScenarioError("expected one value-set utilities object", source=source, field=where)
    key, body = next(iter(spec.items()))
    if key in _DISCRETE and issue["kind"] == "discrete":
        values = body.get("valueUtilities") if isinstance(body, dict) else None
        if not isinstance(values, dict):
            raise ScenarioError("valueUtilities missing", source=source, field=where)
        unknown = [v for v in values if v not in issue["options"]]
        if unknown:
            raise ScenarioError(
                f"value(s) {unknown} not in the domain (the profile does not match its domain)",
                source=source,
                field=where,
            )
        parsed = {str(v): number(str(u), source, f"{where}.{v}") for v, u in values.items()}
        warn_if_peak_below_one(max(parsed.values(), default=0.0), name, source)
        return {"weight": weight, "values": parsed}
    if key in _NUMBER and issue["kind"] != "discrete":
        if not isinstance(body, dict):
            raise ScenarioError("expected an object", source=source, field=where)
        low = number(str(body.get("lowValue")), source, f"{where}.lowValue")
        high = number(str(body.get("highValue")), source, f"{where}.highValue")
        at_low = number(str(body.get("lowUtility")), source, f"{where}.lowUtility")
        at_high = number(str(body.get("highUtility")), source, f"{where}.highUtility")
        if abs(low - issue["low"]) > 1e-9 or abs(high - issue["high"]) > 1e-9:
            raise ScenarioError(
                f"utilities span [{low}, {high}] but the domain range is "
                f"[{issue['low']}, {issue['high']}] (the profile does not match its domain)",
                source=source,
                field=where,
            )
        warn_if_peak_below_one(max(at_low, at_high), name, source)
        return {
            "weight": weight,
            "function": {"kind": "linear", "at_low": at_low, "at_high": at_high},
        }
    raise UnsupportedError(
        f"value-set utilities {key!r} for a {issue['kind']} issue are not supported",
        source=source,
        field=where,
    )


def _bid_utility(
    bid: dict[str, Any], party: dict[str, Any], issues: list[dict[str, Any]], source: Path
) -> float:
    values = bid.get("issuevalues", bid)
    prefs = AdditivePreferences.model_validate(party["preferences"])
    names = [i["name"] for i in issues]
    weights = normalized_weights(prefs, names)
    total = 0.0
    for k, raw_issue in enumerate(issues):
        issue = (
            DiscreteIssue.model_validate(raw_issue)
            if raw_issue["kind"] == "discrete"
            else NumericIssue.model_validate(raw_issue)
        )
        name = issue.name
        if name not in values:
            raise ScenarioError(
                f"no value for issue {name!r}", source=source, field="reservationBid"
            )
        try:
            position = issue.option_index(values[name])
        except (KeyError, ValueError):
            raise ScenarioError(
                f"{values[name]!r} is not a value of issue {name!r}",
                source=source,
                field="reservationBid",
            ) from None
        table = issue_value_table(prefs.issues[name], issue)
        total += float(weights[k] * table[position])
    return min(max(total, 0.0), 1.0)


# -- writing ------------------------------------------------------------------------------


def geniusweb_texts(scenario: Scenario) -> dict[str, str]:
    """File name -> JSON text of the domain and of every profile."""
    domain = {"name": scenario.name, "issuesValues": _issues_values(scenario)}
    stems = unique_stems([scenario.name, *scenario.party_names], set())
    texts = {f"{stems[0]}.json": json.dumps(domain, indent=2, ensure_ascii=False) + "\n"}
    for party, stem in zip(scenario.parties, stems[1:], strict=True):
        prefs = party.preferences
        if not isinstance(prefs, AdditivePreferences):
            raise UnsupportedError(
                "GeniusWeb has no rule-based (hyper-rectangle) profiles",
                source=party.name,
                field="preferences",
            )
        names = [i.name for i in scenario.issues]
        weights = normalized_weights(prefs, names)
        utilities = {
            issue.name: _utilities(issue, prefs.issues[issue.name], party.name)
            for issue in scenario.issues
        }
        space = {
            "name": party.name,
            "domain": domain,
            "issueWeights": {n: float(w) for n, w in zip(names, weights, strict=True)},
            "issueUtilities": utilities,
        }
        lost = [
            x
            for x, on in (
                ("reservation value", party.reservation_value > 0),
                ("red lines", bool(party.red_lines)),
            )
            if on
        ]
        if lost:
            warnings.warn(
                f"{party.name}: not exported: GeniusWeb profiles have no {' or '.join(lost)}",
                RepairWarning,
                stacklevel=2,
            )
        texts[f"{stem}.json"] = json.dumps({_SPACE: space}, indent=2, ensure_ascii=False) + "\n"
    return texts


def _issues_values(scenario: Scenario) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for issue in scenario.issues:
        if isinstance(issue, DiscreteIssue):
            out[issue.name] = {"values": [str(v) for v in issue.values]}
        elif issue.kind == "integer":
            high = int(issue.grid[-1])
            out[issue.name] = {"range": {"low": int(issue.low), "high": high, "step": issue.step}}
        else:
            step = (issue.high - issue.low) / (issue.points - 1)
            out[issue.name] = {"range": {"low": issue.low, "high": issue.high, "step": step}}
    return out


def _utilities(
    issue: DiscreteIssue | NumericIssue, valuation: IssueValuation, party: str
) -> dict[str, Any]:
    if isinstance(issue, DiscreteIssue):
        table = issue_value_table(valuation, issue)
        values = {str(v): float(u) for v, u in zip(issue.values, table, strict=True)}
        return {"DiscreteValueSetUtilities": {"valueUtilities": values}}
    function = valuation.function or LinearFunction(at_low=0.0, at_high=0.0)
    low, high = issue.low, float(issue.grid[-1])
    peak = function.maximum(issue.low, issue.high)
    ends = function(np.array([low, high]), issue.low, issue.high) / (peak if peak > 0 else 1.0)
    line = clipped_line_function(function, issue)
    if not isinstance(function, LinearFunction) and (
        line is None or not all(0.0 <= line[0] + line[1] * (x - low) <= 1.0 for x in (low, high))
    ):
        raise UnsupportedError(
            "GeniusWeb number utilities are linear; this value function is not",
            source=party,
            field=f"preferences.issues.{issue.name}.function",
        )
    return {
        "NumberValueSetUtilities": {
            "lowValue": low,
            "lowUtility": float(ends[0]),
            "highValue": high,
            "highUtility": float(ends[1]),
        }
    }


def save_geniusweb(scenario: Scenario, folder: Path) -> list[Path]:
    """Write ``scenario`` into ``folder`` as GeniusWeb JSON; returns the files written.

    Raises:
        UnsupportedError: a preference GeniusWeb cannot express (nothing is written then).
    """
    texts = geniusweb_texts(scenario)
    written = []
    for name, text in texts.items():
        atomic_write_text(folder / name, text)
        written.append(folder / name)
    return written

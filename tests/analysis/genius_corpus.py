"""A minimal reader of the discrete GENIUS domains of the shared corpus, for cross-checks only.

It reads a folder's domain file and its linear-additive profiles (``<item evaluation=..>`` and
``<weight index=.. value=..>``), and returns a native scenario mapping; folders with anything
else (integer or real issues, several domains, unreadable files) are skipped.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from defusedxml import ElementTree

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "genius"


def _issues(root: Any) -> list[Any]:
    return list(root.iter("issue"))


def _read(path: Path) -> Any | None:
    try:
        return ElementTree.parse(path).getroot()
    except Exception:  # noqa: BLE001 - a file we cannot read is simply not used
        return None


def _is_profile(root: Any) -> bool:
    return any(True for _ in root.iter("weight")) or any(
        item.get("evaluation") is not None for item in root.iter("item")
    )


def scenario_dict(folder: Path) -> dict[str, Any] | None:  # noqa: PLR0911 - one exit per unsupported case
    """The native mapping of a folder's domain and profiles, or None when unsupported."""
    roots = {p: _read(p) for p in sorted(folder.glob("*.xml"))}
    if any(r is None for r in roots.values()):
        return None
    domains = [p for p, r in roots.items() if not _is_profile(r)]
    if len(domains) != 1:
        return None
    domain = roots[domains[0]]
    issues = []
    for issue in _issues(domain):
        if issue.get("type", issue.get("vtype")) != "discrete":
            return None
        values = [item.get("value") for item in issue.iter("item")]
        if not values or len(set(values)) != len(values):
            return None
        issues.append({"name": issue.get("name"), "index": issue.get("index"), "options": values})
    names = {i["name"] for i in issues}
    parties = []
    for path, root in roots.items():
        if path == domains[0]:
            continue
        profile_issues = {i.get("name"): i for i in _issues(root)}
        if set(profile_issues) != names:
            continue
        weights = {w.get("index"): float(w.get("value")) for w in root.iter("weight")}
        valuations = {}
        for issue in issues:
            node = profile_issues[issue["name"]]
            evaluations = {
                item.get("value"): float(item.get("evaluation") or 0) for item in node.iter("item")
            }
            valuations[issue["name"]] = {
                "weight": weights.get(node.get("index"), 0.0),
                "values": {o: max(0.0, evaluations.get(o, 0.0)) for o in issue["options"]},
            }
        reservation = root.find("reservation")
        r = float(reservation.get("value")) if reservation is not None else 0.0
        if not math.isfinite(r) or not 0.0 <= r <= 1.0:
            return None
        parties.append(
            {"name": path.stem, "reservation_value": r, "preferences": {"issues": valuations}}
        )
    if len(parties) < 2:
        return None
    return {
        "name": folder.name,
        "issues": [{"name": i["name"], "options": i["options"]} for i in issues],
        "parties": parties,
    }


def folders() -> list[Path]:
    """Every folder of the corpus that holds XML files."""
    if not CORPUS.is_dir():
        return []
    return sorted({p.parent for p in CORPUS.rglob("*.xml")})

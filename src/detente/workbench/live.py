"""Live analysis of a scenario document as the analyst edits it.

The editor sends the document it holds (the native mapping, saved or not) and two parties for
the axes of the plot. Two calls answer, so the plot never waits for the slow part:

* :func:`live_analysis`: the deal-space analysis (``detente.analysis.analyze``, the call
  ``detente analyze`` makes, less its sensitivity analysis, which changes no other figure):
  the ZOPA, the Pareto frontier and a cloud of deals in the plane of the two parties, the
  four bargaining solutions, the sweeteners and the talking points. Some 20 to 50 ms on
  ``ceasefire-2025``.
* :func:`live_survival`: the whole analysis assessed (``detente.assess.assess``, again the
  CLI's calls, with its paths and seed; the sensitivity analysis's most robust deal is one of
  the candidates): each deal's margins and one-year survival, the sweeteners re-ranked with
  survival in view and the recommended deal. About a second: the durability model simulates
  every distinct deal put forward.

Both are pure functions of (document, seed) and keep their last answers in small caches keyed
by the document's SHA-256, so the second call reuses the first one's analysis and an analyst
who moves a slider back finds the answer ready. Every figure is the CLI's: for the same
scenario and seed, ``detente analyze --json`` prints the same numbers.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from detente.analysis import Analysis, analyze
from detente.assess import (
    DEFAULT_PATHS,
    AssessedSweetener,
    Assessment,
    DealAssessment,
    assess,
    sweetener_group,
)
from detente.monitor.auth import require_role
from detente.monitor.enums import READERS
from detente.monitor.errors import InputError
from detente.monitor.models import User
from detente.space import OutcomeSpace
from detente.workbench.documents import FieldError, canonical_json, parsed_document
from detente.workbench.errors import InvalidDocumentError

__all__ = [
    "CLOUD_POINTS",
    "LiveAnalysis",
    "LiveSurvival",
    "analyze_document",
    "document_key",
    "document_space",
    "live_analysis",
    "live_survival",
]

#: At most this many deals of the sampled cloud go to the plot (the frontier goes whole).
CLOUD_POINTS = 2_000
_DIGITS = 6  # utilities are rounded to 1e-6 in the payload; the plot needs far less

T = TypeVar("T")


class _Cache:
    """A small thread-safe least-recently-used cache of computed answers."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer for ``key``, computed by ``compute`` on a miss."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                found: T = self._items[key]
                return found
        value = compute()  # outside the lock: other documents are not held up
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._items.clear()


_ANALYSES = _Cache(64)
_ASSESSMENTS = _Cache(64)


def document_key(document: Mapping[str, Any]) -> str:
    """The SHA-256 of the document's canonical JSON (key order and spacing do not matter)."""
    try:
        text = canonical_json(dict(document))
    except (TypeError, ValueError) as exc:
        raise InvalidDocumentError([FieldError("", f"not plain JSON data: {exc}")]) from None
    return hashlib.sha256(text.encode()).hexdigest()


def document_space(document: Mapping[str, Any]) -> OutcomeSpace:
    """The outcome space of a native document.

    Raises:
        InvalidDocumentError: the document is not a valid scenario (every field's problem).
    """
    scenario = parsed_document(dict(document))
    if isinstance(scenario, list):
        raise InvalidDocumentError(scenario)
    return OutcomeSpace.from_scenario(scenario)


def _analysis(document: Mapping[str, Any], key: str, seed: int, points: int) -> Analysis:
    """``analyze`` without the sensitivity analysis, sampling ``points`` deals for the plot.

    Every other field is the CLI's (its plot sample is larger, and is only drawn).
    """
    return _ANALYSES.get(
        (key, seed, points),
        lambda: analyze(
            document_space(document), rng=seed, with_sensitivity=False, plot_samples=points
        ),
    )


def _assessment(
    document: Mapping[str, Any], key: str, seed: int, checkpoint: Callable[[], None] | None
) -> Assessment:
    """``detente analyze``'s two calls, with its defaults (the robust deal is a candidate)."""

    def compute() -> Assessment:
        analysis = analyze(document_space(document), rng=seed)
        if checkpoint is not None:
            checkpoint()
        return assess(analysis, paths=DEFAULT_PATHS, seed=seed, checkpoint=checkpoint)

    return _ASSESSMENTS.get((key, seed), compute)


def _rounded(values: np.ndarray) -> list[float]:
    rounded: list[float] = np.round(np.asarray(values, dtype=np.float64), _DIGITS).tolist()
    return rounded


@dataclass(frozen=True)
class LiveAnalysis:
    """The fast part of the live panel: everything but survival.

    Attributes:
        key: the document's SHA-256 (:func:`document_key`), to match the survival answer.
        seed: the seed of every Monte Carlo estimate.
        analysis: the deal-space analysis (``detente analyze``'s object).
        x: the party on the plot's x axis.
        y: the party on the plot's y axis.
        cloud_points: how many sampled deals the plot shows at most.
    """

    key: str
    seed: int
    analysis: Analysis
    x: str
    y: str
    cloud_points: int = CLOUD_POINTS

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data for the page (see ``docs/reference/workbench-api.md``)."""
        result = self.analysis
        space = result.space
        px, py = space.party_index(self.x), space.party_index(self.y)
        zopa = result.zopa
        frontier = result.frontier
        sample = result.sample_utilities  # at most cloud_points deals (see _analysis)
        solutions: dict[str, Any] = {}
        for name, solution in result.solutions.items():
            solutions[name] = (
                None
                if solution.deal is None
                else {
                    "deal": {k: str(v) for k, v in solution.deal.items()},
                    "utilities": dict(solution.utilities),
                    "gains": dict(solution.gains),
                    "outcome": solution.outcome,
                    "description": result.describe({k: str(v) for k, v in solution.deal.items()}),
                }
            )
        advice = result.sweeteners
        return {
            "key": self.key,
            "seed": self.seed,
            "scenario": space.scenario.name,
            "title": space.scenario.title or space.scenario.name,
            "parties": list(space.party_names),
            "x": self.x,
            "y": self.y,
            "reservation": dict(zip(space.party_names, map(float, space.reservation), strict=True)),
            "outcome_count": space.size,
            "zopa": {
                "count": zopa.count,
                "exact": zopa.exact,
                "fraction": zopa.fraction,
                "interval": list(zopa.interval),
                "feasible_count": zopa.feasible_count,
            },
            "frontier": {
                "x": _rounded(frontier.utilities[:, px]),
                "y": _rounded(frontier.utilities[:, py]),
                "options": np.asarray(frontier.options).tolist(),
            },
            "cloud": {
                "x": _rounded(sample[:, px]),
                "y": _rounded(sample[:, py]),
                "in_zopa": np.asarray(result.sample_in_zopa, dtype=bool).tolist(),
                "of": len(sample),
                "every_deal": bool(len(sample) >= space.size),
            },
            "solutions": solutions,
            "reference": result.reference,
            "reference_deal": None if advice is None else dict(advice.deal),
            "sweeteners": None
            if advice is None
            else {
                party: {
                    "headline": advice.headlines.get(party, ""),
                    "reason": advice.reasons.get(party, ""),
                    "sweeteners": [
                        {
                            "sentence": s.sentence,
                            "changes": [
                                {"issue": c.issue, "before": c.before, "after": c.after}
                                for c in s.changes
                            ],
                            "gain": s.gain,
                            "cost": s.cost,
                            "loses": list(s.loses),
                            "acceptable_to_all": s.acceptable_to_all,
                        }
                        for s in found
                    ],
                }
                for party, found in advice.by_party.items()
            },
            "talking_points": [
                {
                    "party": tp.party,
                    "utility": tp.utility,
                    "reservation": tp.reservation,
                    "summary": tp.summary,
                    "points": [p.sentence for p in tp.points],
                }
                for tp in result.talking_points
            ],
            "concessions": {
                "by_party": dict(result.concessions.by_party),
                "joint": result.concessions.joint,
            },
        }


def _survival(a: DealAssessment) -> dict[str, Any]:
    return {
        "margins": dict(a.margins),
        "survival_1y": a.survival_1y,
        "survival_1y_se": a.survival_1y_se,
        "fragile": a.fragile,
    }


def _sweetener(row: AssessedSweetener) -> dict[str, Any]:
    return {"sentence": row.sweetener.sentence, "group": sweetener_group(row)} | _survival(
        row.assessment
    )


@dataclass(frozen=True)
class LiveSurvival:
    """The slow part of the live panel: margins, survival and the recommended deal.

    Attributes:
        key: the document's SHA-256 (:func:`document_key`).
        assessment: the assessed analysis (``detente analyze``'s recommendation).
    """

    key: str
    assessment: Assessment

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data for the page (see ``docs/reference/workbench-api.md``)."""
        answer = self.assessment
        recommended = answer.recommended
        return {
            "key": self.key,
            "seed": answer.seed,
            "paths": answer.paths,
            "days": 365,
            "fragile_margin": answer.fragile_margin,
            "reference": answer.reference,
            "solutions": {
                name: None if a is None else _survival(a) for name, a in answer.solutions.items()
            },
            "sweeteners": {
                party: [_sweetener(row) for row in rows]
                for party, rows in answer.sweeteners.items()
            },
            "headlines": dict(answer.headlines),
            "recommended": None
            if recommended is None
            else recommended.to_dict()
            | {
                "from": answer.recommended_from,
                "description": answer.analysis.describe(recommended.deal),
                "score": recommended.score,
            },
        }


def live_analysis(
    document: Mapping[str, Any],
    *,
    x: str | None = None,
    y: str | None = None,
    seed: int = 0,
    cloud_points: int = CLOUD_POINTS,
) -> LiveAnalysis:
    """The fast part of the live panel for ``document`` (see the module docstring).

    Args:
        document: the native scenario mapping (as ``scenario/formats/native`` reads it).
        x: the party on the plot's x axis (default: the first party).
        y: the party on the plot's y axis (default: the second party).
        seed: the seed of every Monte Carlo estimate (``detente analyze --seed``).
        cloud_points: how many sampled deals the plot shows at most.

    Raises:
        InvalidDocumentError: the document is not a valid scenario (its ``errors`` name every
            field, in the CLI's words).
        InputError: ``x`` or ``y`` names no party, or both name the same one.
    """
    key = document_key(document)
    result = _analysis(document, key, seed, cloud_points)
    names = result.space.party_names
    x = x or names[0]
    y = y or next(n for n in names if n != x)
    for axis, name in (("x", x), ("y", y)):
        if name not in names:
            raise InputError(
                f"unknown party {name!r}; the parties are {', '.join(names)}", field=axis
            )
    if x == y:
        raise InputError(f"x and y both name {x!r}; choose two different parties", field="y")
    return LiveAnalysis(key=key, seed=seed, analysis=result, x=x, y=y, cloud_points=cloud_points)


def live_survival(
    document: Mapping[str, Any], *, seed: int = 0, checkpoint: Callable[[], None] | None = None
) -> LiveSurvival:
    """The slow part of the live panel for ``document`` (see the module docstring).

    Args:
        document: the native scenario mapping.
        seed: the seed of every Monte Carlo estimate.
        checkpoint: called between the computation's steps (after the analysis, before each
            deal's simulation); whatever it raises stops the computation there, nothing cached.
            It never changes the figures of a computation it lets finish.

    Raises:
        InvalidDocumentError: the document is not a valid scenario.
    """
    key = document_key(document)
    return LiveSurvival(key=key, assessment=_assessment(document, key, seed, checkpoint))


def analyze_document(
    actor: User,
    document: Mapping[str, Any],
    *,
    x: str | None = None,
    y: str | None = None,
    seed: int = 0,
) -> LiveAnalysis:
    """:func:`live_analysis` for a signed-in user who may read scenarios."""
    require_role(actor, *READERS)
    return live_analysis(document, x=x, y=y, seed=seed)

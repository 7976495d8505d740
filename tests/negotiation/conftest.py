from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pytest

from detente.negotiation import REGISTRY, Strategy, Trace, negotiate
from detente.scenario.model import Scenario
from detente.space import OutcomeSpace


def pie(
    steps: int = 100, reservation: tuple[float, float] = (0.0, 0.0), red_line: int | None = None
) -> Scenario:
    """Two parties splitting one divisible issue: u_A = x, u_B = 1 - x on a grid of ``steps``.

    ``red_line``: a share B refuses outright.
    """
    data: dict[str, Any] = {
        "name": "pie",
        "issues": [{"kind": "integer", "name": "share", "low": 0, "high": steps}],
        "parties": [
            {
                "name": "A",
                "reservation_value": reservation[0],
                "preferences": {
                    "issues": {
                        "share": {
                            "weight": 1,
                            "function": {"kind": "linear", "at_low": 0, "at_high": 1},
                        }
                    }
                },
            },
            {
                "name": "B",
                "reservation_value": reservation[1],
                "preferences": {
                    "issues": {
                        "share": {
                            "weight": 1,
                            "function": {"kind": "linear", "at_low": 1, "at_high": 0},
                        }
                    }
                },
            },
        ],
    }
    if red_line is not None:
        data["parties"][1]["red_lines"] = {"share": [red_line]}
    return Scenario.model_validate(data)


def table_scenario(n_parties: int = 2, seed: int = 3, red_lines: bool = True) -> Scenario:
    """A random-but-fixed 3-issue scenario with red lines."""
    rng = np.random.default_rng(seed)
    issues = [{"name": f"i{i}", "options": [f"o{k}" for k in range(5)]} for i in range(3)]
    parties: list[dict[str, Any]] = []
    for p in range(n_parties):
        prefs = {
            issue["name"]: {
                "weight": float(rng.uniform(0.2, 1.0)),
                "values": {o: float(rng.uniform(0, 1)) for o in issue["options"]},
            }
            for issue in issues
        }
        party: dict[str, Any] = {
            "name": f"P{p}",
            "reservation_value": 0.3,
            "preferences": {"issues": prefs},
        }
        if red_lines:
            party["red_lines"] = {"i0": [f"o{p}"]}
        parties.append(party)
    return Scenario.model_validate({"name": "table", "issues": issues, "parties": parties})


@pytest.fixture(scope="session")
def pie_space() -> OutcomeSpace:
    return OutcomeSpace.from_scenario(pie())


@pytest.fixture(scope="session")
def table_space() -> OutcomeSpace:
    return OutcomeSpace.from_scenario(table_scenario())


@pytest.fixture(scope="session")
def trio_space() -> OutcomeSpace:
    return OutcomeSpace.from_scenario(table_scenario(3, seed=5))


NEGOTIATORS = sorted(n for n, c in REGISTRY.items() if c.family != "mediator")
MEDIATORS = sorted(n for n, c in REGISTRY.items() if c.family == "mediator")


def versus(
    space: OutcomeSpace,
    player: str | Strategy,
    opponent: str | Strategy,
    *,
    rounds: int,
    seed: int = 0,
    expected: list[int] | None = None,
    **kwargs: Any,
) -> Trace:
    """Play ``player`` (first seat) against ``opponent``.

    ``expected``: the deals (flat indices) ``player`` must offer, in order (Axelrod's
    ``versus_test``); the session is checked against it before it is returned.
    """
    trace = negotiate(space, [player, opponent], rounds=rounds, seed=seed, **kwargs)
    if expected is not None:
        assert trace.outcomes[trace.proposers == 0].tolist() == expected
    return trace


class Script(Strategy):
    """A fixed opponent: offers ``offers`` in turn (then the last one again), accepts nothing."""

    name: ClassVar[str] = "script"
    family: ClassVar[str] = "test"
    offers: ClassVar[tuple[int, ...]] = ()

    def setup(self) -> None:
        self.turn = 0

    def propose(self, time: float) -> int:
        self.turn += 1
        return self.offers[min(self.turn, len(self.offers)) - 1]

    def accepts(self, time: float, offer: int) -> bool:
        return False


def script(*offers: int) -> Strategy:
    """A :class:`Script` opponent playing ``offers`` (clones play them too)."""
    return type("Scripted", (Script,), {"offers": tuple(offers)})()


@pytest.fixture
def dask_scheduler() -> Iterator[str]:
    """The ``tcp://`` address of a light Dask cluster (one in-process worker, one thread)."""
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        dashboard_address=None,
    )
    try:
        yield str(cluster.scheduler_address)
    finally:
        cluster.close()

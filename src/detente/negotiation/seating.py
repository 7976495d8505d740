"""Seating: every party of a scenario at the table, and who plays what.

A session seats every party of the scenario. Strategies are given in one of three ways:

* none: each party plays the default of its role (:data:`ROLE_DEFAULTS`);
* a list: cycled over the parties in table order (party ``i`` plays ``strategies[i % k]``), so
  ``["boulware", "conceder"]`` on four parties seats boulware, conceder, boulware, conceder; a
  list longer than the table is refused;
* a mapping from a party's name, or from a role (``belligerent``, ``mediator``, ``guarantor``,
  ``other``), to a strategy: a party's own entry comes before its role's, and a party named by
  neither plays the default of its role.

A tournament seats every party too (:func:`seatings`): every assignment of its ``k``
strategies to the ``n`` parties while ``k ** n`` is at most :data:`MAX_ASSIGNMENTS`, else the
``k`` rotations of the list cycled over the parties.

In the single-text protocol the scenario's mediator (its first party whose role is
``mediator``) chairs the text, drafting it by the mediator rule (``single-text``) while still
answering it as a party; a scenario without one has an outside mediator chair.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from detente.errors import DetenteError
from detente.negotiation.strategies import Mediator, Strategy, make_strategy
from detente.scenario.model import Role, Scenario
from detente.space import OutcomeSpace

__all__ = [
    "MAX_ASSIGNMENTS",
    "ROLE_DEFAULTS",
    "ScenarioSeating",
    "Seat",
    "Seating",
    "StrategyChoice",
    "parse_strategies",
    "seat_parties",
    "seatings",
]

#: The strategy each role plays when none is given: belligerents hold out until late
#: (Boulware), a mediator, whose stake is that a deal is made at all, concedes early
#: (Conceder), guarantors and others concede at a steady pace (Linear).
ROLE_DEFAULTS: Mapping[Role, str] = {
    Role.BELLIGERENT: "boulware",
    Role.MEDIATOR: "conceder",
    Role.GUARANTOR: "linear",
    Role.OTHER: "linear",
}

#: What :func:`seat_parties` takes: nothing, a list cycled over the parties, or a mapping
#: from party names and roles to strategies (specs or instances).
StrategyChoice = Sequence[str | Strategy] | Mapping[str, str | Strategy] | str | None


@dataclass(frozen=True)
class Seat:
    """One party at the table.

    Attributes:
        party: the party's name.
        role: its role in the scenario.
        strategy: the spec of the strategy it plays (``name`` or ``name:key=value``).
        player: the strategy itself (a fresh instance, cloned by every session).
        source: how the strategy was chosen: ``"party"`` (named), ``"role"`` (its role
            named), ``"list"`` (the list, cycled) or ``"default"`` (its role's default).
    """

    party: str
    role: str
    strategy: str
    player: Strategy
    source: str


@dataclass(frozen=True)
class Seating:
    """Every party of a scenario with its strategy, in table order.

    Attributes:
        seats: one per party, in table order.
        chair: the party chairing the single-text protocol (the scenario's mediator), or
            ``None`` (the alternating protocol, or an outside mediator).
    """

    seats: tuple[Seat, ...]
    chair: str | None = None

    @property
    def players(self) -> tuple[Strategy, ...]:
        """The strategy of every party, in table order (what :func:`negotiate` takes)."""
        return tuple(s.player for s in self.seats)

    @property
    def strategies(self) -> dict[str, str]:
        """``{party: strategy spec}``."""
        return {s.party: s.strategy for s in self.seats}


def _parties(model: Scenario | OutcomeSpace) -> tuple[tuple[str, ...], tuple[Role, ...]]:
    scenario = model.scenario if isinstance(model, OutcomeSpace) else model
    return (
        tuple(p.name for p in scenario.parties),
        tuple(Role(p.role) for p in scenario.parties),
    )


def _player(spec: str | Strategy, party: str) -> Strategy:
    player = make_strategy(spec)
    if isinstance(player, Mediator):
        raise DetenteError(
            f"{player.spec!r} is a mediator and cannot sit as party {party!r}; the single-text "
            "protocol seats the mediator",
            field="strategies",
        )
    return player


def seat_parties(
    model: Scenario | OutcomeSpace,
    strategies: StrategyChoice = None,
    *,
    protocol: str = "alternating",
) -> Seating:
    """Seat every party of ``model`` with a strategy (see the module docstring for the rules).

    Args:
        model: the scenario, or its outcome space.
        strategies: ``None`` (role defaults), a spec or a list of specs or strategies (cycled
            over the parties), or a mapping from party names and roles to them.
        protocol: the protocol; ``"single-text"`` makes the scenario's mediator the chair.

    Raises:
        DetenteError: an unknown strategy, party or role; a list longer than the table; a
            mediator strategy at a party's seat.
    """
    names, roles = _parties(model)
    chosen: list[tuple[str | Strategy, str]]
    if strategies is None:
        chosen = [(ROLE_DEFAULTS[role], "default") for role in roles]
    elif isinstance(strategies, Mapping):
        chosen = _from_mapping(strategies, names, roles)
    else:
        specs = [strategies] if isinstance(strategies, str | Strategy) else list(strategies)
        if not specs:
            raise DetenteError("give at least one strategy", field="strategies")
        if len(specs) > len(names):
            raise DetenteError(
                f"{len(specs)} strategies for {len(names)} parties ({', '.join(names)}); give "
                "at most one per party",
                field="strategies",
            )
        chosen = [(specs[i % len(specs)], "list") for i in range(len(names))]
    seats = []
    for name, role, (spec, source) in zip(names, roles, chosen, strict=True):
        player = _player(spec, name)
        seats.append(Seat(name, role.value, player.spec, player, source))
    chair = None
    if protocol == "single-text":
        chair = next((n for n, r in zip(names, roles, strict=True) if r == Role.MEDIATOR), None)
    return Seating(seats=tuple(seats), chair=chair)


def _from_mapping(
    strategies: Mapping[str, str | Strategy], names: tuple[str, ...], roles: tuple[Role, ...]
) -> list[tuple[str | Strategy, str]]:
    by_party: dict[str, str | Strategy] = {}
    by_role: dict[Role, str | Strategy] = {}
    folded = {n.casefold(): n for n in names}
    role_names = {r.value: r for r in Role}
    for key, spec in strategies.items():
        name = folded.get(key.strip().casefold())
        if name is not None:
            by_party[name] = spec
        elif key.strip().casefold() in role_names:
            by_role[role_names[key.strip().casefold()]] = spec
        else:
            raise DetenteError(
                f"{key!r} is neither a party ({', '.join(names)}) nor a role "
                f"({', '.join(role_names)})",
                field="strategies",
            )
    out: list[tuple[str | Strategy, str]] = []
    for name, role in zip(names, roles, strict=True):
        if name in by_party:
            out.append((by_party[name], "party"))
        elif role in by_role:
            out.append((by_role[role], "role"))
        else:
            out.append((ROLE_DEFAULTS[role], "default"))
    return out


def parse_strategies(text: str, model: Scenario | OutcomeSpace) -> StrategyChoice:
    """Read a command line's ``--strategies``: a list, or ``party=spec`` / ``role=spec`` pairs.

    ``"boulware,conceder"`` is a list; ``"Russia=boulware,ukraine=conceder:e=3,mediator=linear"``
    a mapping (party names and roles in any case). A spec's own parameters also use commas and
    ``=`` (``boulware:e=0.1,band=2``): a part ``key=value`` whose key is not a party or a role
    continues the spec before it. Mixing pairs and a bare list is refused.

    Raises:
        DetenteError: nothing given, or a list mixed with pairs.
    """
    names, _ = _parties(model)
    keys = {n.casefold() for n in names} | {r.value for r in Role}
    items: list[tuple[str | None, str]] = []
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        key, eq, value = part.partition("=")
        if eq and key.strip().casefold() in keys:
            items.append((key.strip(), value.strip()))
        elif eq and ":" not in key and items:  # a parameter of the spec before
            previous_key, previous = items[-1]
            items[-1] = (previous_key, f"{previous},{part}")
        else:
            items.append((None, part))
    if not items:
        raise DetenteError("give at least one strategy", field="--strategies")
    named = [k is not None for k, _ in items]
    if all(named):
        return {str(k): v for k, v in items}
    if any(named):
        raise DetenteError(
            "give either a list of strategies or party=strategy pairs, not both",
            field="--strategies",
        )
    return [v for _, v in items]


#: A tournament plays every assignment of strategies to parties while there are at most this
#: many per scenario (7 strategies on 4 parties: 2,401); beyond, the rotations of the list.
MAX_ASSIGNMENTS = 2500


def seatings(n_parties: int, strategies: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """The seatings of a tournament: a strategy spec per party, in table order.

    Every assignment of ``strategies`` to the ``n_parties`` seats (``k ** n``, in
    ``itertools.product`` order) while that is at most :data:`MAX_ASSIGNMENTS`; otherwise the
    ``k`` rotations of the list cycled over the seats: in rotation ``s`` party ``p`` plays
    ``strategies[(p + s) % k]``, so every party plays every strategy once.
    """
    k = len(strategies)
    if k**n_parties <= MAX_ASSIGNMENTS:
        return tuple(itertools.product(strategies, repeat=n_parties))
    return tuple(tuple(strategies[(p + s) % k] for p in range(n_parties)) for s in range(k))


@dataclass(frozen=True)
class ScenarioSeating:
    """Who sits at a scenario's table in a tournament.

    Attributes:
        scenario: scenario name.
        parties: every party, in table order.
        roles: each party's role.
        rule: ``"every assignment"`` or ``"rotations"`` (see :func:`seatings`).
        seatings: the seatings played (each ``repetitions`` times).
    """

    scenario: str
    parties: tuple[str, ...]
    roles: tuple[str, ...]
    rule: str
    seatings: int

    @classmethod
    def of(cls, scenario: Scenario, strategies: Sequence[str], played: int) -> ScenarioSeating:
        """The seating of ``scenario`` for ``strategies``, ``played`` seatings of them."""
        every = len(strategies) ** len(scenario.parties) <= MAX_ASSIGNMENTS
        return cls(
            scenario=scenario.name,
            parties=tuple(p.name for p in scenario.parties),
            roles=tuple(Role(p.role).value for p in scenario.parties),
            rule="every assignment" if every else "rotations",
            seatings=played,
        )

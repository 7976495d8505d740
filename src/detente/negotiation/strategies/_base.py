"""The strategy interface, the registry and the parameter handling every strategy shares."""

from __future__ import annotations

import enum
import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, TypeVar

import numpy as np

from detente.errors import DetenteError
from detente.negotiation._arena import Arena, PartyView
from detente.space import ACCEPT_TOLERANCE

__all__ = [
    "REGISTRY",
    "Mediator",
    "RegistryWarning",
    "Response",
    "Strategy",
    "StrategyInfo",
    "make_strategy",
    "parse_spec",
    "register",
    "strategy_catalogue",
]


class Response(enum.Enum):
    """A party's answer to an offer."""

    ACCEPT = "accept"
    REJECT = "reject"  #: reject and counter-offer
    END = "end"  #: walk away: everyone gets its reservation value


S = TypeVar("S", bound="type[Strategy]")

#: A party's random stream, the seed sequence to make it from, or a function making that.
Stream = np.random.Generator | np.random.SeedSequence | Callable[[], np.random.SeedSequence]

#: Every registered strategy class by name.
REGISTRY: dict[str, type[Strategy]] = {}


class RegistryWarning(UserWarning):
    """A strategy name was registered again: the new class replaces the old one."""


def register(cls: S) -> S:
    """Class decorator: add a strategy to :data:`REGISTRY` under its ``name``.

    Registering another class under a name already taken replaces the old class, with a
    :class:`RegistryWarning` (a notebook cell run again defines the class anew); registering
    the same class again changes nothing.

    Raises:
        ValueError: the name is empty.
    """
    if not cls.name:
        raise ValueError(f"strategy class {cls.__qualname__} has no name")
    old = REGISTRY.get(cls.name)
    if old is not None and old is not cls:
        warnings.warn(
            f"strategy {cls.name!r} registered again: {cls.__module__}.{cls.__qualname__} "
            f"replaces {old.__module__}.{old.__qualname__}",
            RegistryWarning,
            stacklevel=2,
        )
    REGISTRY[cls.name] = cls
    return cls


class Strategy:
    """A negotiating party's behaviour: what it proposes and what it accepts.

    Subclasses set the class attributes and implement :meth:`propose` and :meth:`accepts`;
    they may override :meth:`setup` (after every reset), :meth:`observe` (every offer received)
    and :meth:`walks_away`. :meth:`respond` never accepts a deal below the party's reservation
    value or across one of its red lines, whatever :meth:`accepts` says
    (:meth:`PartyView.acceptable <detente.negotiation._arena.PartyView.acceptable>`). Compare
    utilities with :func:`detente.space.meets`, the acceptance rule of the ZOPA.

    Args:
        **parameters: values of the class's :attr:`parameters` (the others keep their defaults).

    Attributes:
        name: the registry name.
        family: the family of strategies (e.g. ``"time-dependent"``).
        source: the publication the strategy follows.
        parameters: default value of every parameter.
    """

    name: ClassVar[str] = ""
    family: ClassVar[str] = ""
    source: ClassVar[str] = ""
    parameters: ClassVar[Mapping[str, float]] = {}

    def __init__(self, **parameters: float) -> None:
        unknown = sorted(set(parameters) - set(self.parameters))
        if unknown:
            known = ", ".join(self.parameters) or "none"
            raise DetenteError(
                f"unknown parameter(s) {', '.join(unknown)} of strategy {self.name!r} "
                f"(known: {known})",
                field="strategies",
            )
        self.params: dict[str, float] = {
            k: float(parameters.get(k, v)) for k, v in self.parameters.items()
        }
        self.check_parameters()
        self.view: PartyView
        self.arena: Arena
        self._rng: Stream | None = None
        self.discounts: tuple[float, ...] = ()

    def check_parameters(self) -> None:
        """Raise :class:`DetenteError` when a parameter value is out of range."""

    @property
    def rng(self) -> np.random.Generator:
        """The party's random stream (made on first use when given as a seed sequence)."""
        stream = self._rng
        if callable(stream):
            stream = stream()
        if not isinstance(stream, np.random.Generator):
            stream = self._rng = np.random.default_rng(stream)
        return stream

    @rng.setter
    def rng(self, stream: Stream) -> None:
        self._rng = stream

    @property
    def spec(self) -> str:
        """``name`` or ``name:key=value,...`` for the non-default parameters."""
        changed = {k: v for k, v in self.params.items() if v != float(self.parameters[k])}
        if not changed:
            return self.name
        return self.name + ":" + ",".join(f"{k}={v:g}" for k, v in changed.items())

    def __eq__(self, other: object) -> bool:
        """Same class and same parameters."""
        return (
            isinstance(other, Strategy)
            and type(other) is type(self)
            and other.params == self.params
        )

    def __hash__(self) -> int:
        """Hash of the class and parameters."""
        return hash((type(self), tuple(sorted(self.params.items()))))

    def __repr__(self) -> str:
        """``Name(key=value, ...)``."""
        args = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    def clone(self) -> Strategy:
        """A fresh copy with the same parameters and no memory of past sessions."""
        return type(self)(**self.params)

    def reset(
        self,
        arena: Arena,
        party: int,
        rng: Stream,
        discounts: tuple[float, ...],
        turns: int | None = None,
    ) -> None:
        """Start a session as ``party`` of ``arena`` (forgets every earlier session).

        ``rng`` is the party's random stream, or the seed sequence to make it from (or a
        function making that sequence) when a strategy first draws: most never do, and a
        stream costs more to make than a session of a time-dependent strategy.

        ``turns`` is the number of rounds when the deadline is in rounds: round ``r`` then
        happens at relative time ``r / (turns - 1)`` (1 when ``turns`` is 1), which lets a
        strategy plan its whole schedule in one vectorised step.
        """
        self.arena = arena
        self.view = arena.views[party]
        self.rng = rng
        self.discounts = discounts
        self.turns = turns
        self.setup()

    def setup(self) -> None:
        """Prepare for a session (called by :meth:`reset`)."""

    # -- behaviour ------------------------------------------------------------------------

    def propose(self, time: float) -> int:
        """The deal (flat index) to offer at relative ``time`` in [0, 1]; -1 to walk away."""
        raise NotImplementedError

    def accepts(self, time: float, offer: int) -> bool:
        """Whether to accept ``offer`` at relative ``time`` (red lines are checked apart)."""
        raise NotImplementedError

    def observe(self, time: float, offer: int, proposer: int) -> None:
        """Learn from an offer received (called before :meth:`accepts`)."""

    def walks_away(self, time: float, offer: int) -> bool:
        """Whether to end the talks instead of answering ``offer``."""
        return False

    def plan_arrays(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The whole play of the session, for a party whose play depends on time alone.

        Returns ``(offers, thresholds)``, one entry per round of the deadline: the deal the
        party proposes in round ``r`` (-1: it walks away) and the utility from which it accepts
        an offer in round ``r``: it accepts ``u`` when ``meets(u, threshold)`` (its red lines
        and reservation value are checked apart, as in :meth:`respond`). When every
        party has a plan the alternating-offers protocol computes
        the session at once instead of turn by turn; the plan must be exactly what
        :meth:`propose` and :meth:`accepts` would answer. ``None`` (the default): the party
        reacts to the session, or the deadline is in seconds.
        """
        return None

    def plays_as(self, owner: type[Strategy], *methods: str) -> bool:
        """Whether the party still plays as class ``owner`` does.

        False when a subclass replaced a method of play (:meth:`propose`, :meth:`accepts`,
        :meth:`observe`, :meth:`walks_away`, :meth:`respond`, or one of ``methods``), so that a
        plan of ``owner`` no longer describes it.
        """
        cls = type(self)
        return all(getattr(cls, m) is getattr(owner, m) for m in (*_PLAY, *methods))

    def respond(self, time: float, offer: int, proposer: int) -> Response:
        """Accept, reject (then counter-offer) or walk away."""
        self.observe(time, offer, proposer)
        if self.walks_away(time, offer):
            return Response.END
        if self.view.acceptable(offer) and self.accepts(time, offer):
            return Response.ACCEPT
        return Response.REJECT

    def request(self, text: np.ndarray) -> tuple[int, int] | None:
        """The single change ``(issue, option)`` to a text that raises this party's utility most.

        Used by the single-text protocol. A text crossing a red line of the party is first
        moved off that line. A change helps when it raises the utility by more than
        ``ACCEPT_TOLERANCE``, the same rule the mediator applies. Returns ``None`` when no single
        change helps.
        """
        space = self.arena.space
        p = self.view.party
        issues = np.repeat(np.arange(space.n_issues), space.cardinalities)
        options = np.concatenate([np.arange(c) for c in space.cardinalities])
        rows = np.vstack([text[None, :], np.broadcast_to(text, (issues.size, space.n_issues))])
        rows[np.arange(1, issues.size + 1), issues] = options
        utility = space.utilities_of_options(rows)[:, p]
        crossings = (~space.allowed[p, np.arange(space.n_issues), rows]).sum(axis=1)
        better = (crossings[1:] < crossings[0]) | (
            (crossings[1:] == crossings[0]) & (utility[1:] > utility[0] + ACCEPT_TOLERANCE)
        )
        if not better.any():
            return None
        candidates = np.flatnonzero(better)
        best = candidates[np.lexsort((-utility[1:][candidates], crossings[1:][candidates]))[0]]
        return int(issues[best]), int(options[best])


#: The methods that decide a party's play turn by turn.
_PLAY = ("propose", "accepts", "observe", "walks_away", "respond")


class Mediator(Strategy):
    """A mediator of the single-negotiating-text protocol: drafts and revises one text."""

    def first_text(self) -> np.ndarray:
        """Option positions ``(n_issues,)`` of the first draft."""
        raise NotImplementedError

    def revise(self, text: np.ndarray, requests: list[tuple[int, int] | None]) -> np.ndarray | None:
        """The next draft, given each party's requested change (``None``: accepts / no change).

        Returns ``None`` when the mediator has no new text to offer (the talks end in an
        impasse).
        """
        raise NotImplementedError


def parse_spec(spec: str) -> tuple[str, dict[str, float]]:
    """Split ``"name"`` or ``"name:key=value,key=value"`` into name and parameters.

    Raises:
        DetenteError: a malformed parameter.
    """
    name, _, rest = spec.strip().partition(":")
    params: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, _, value = part.partition("=")
        try:
            params[key.strip()] = float(value)
        except ValueError:
            raise DetenteError(
                f"bad parameter {part!r} in strategy {spec!r} (use name:key=value)",
                field="strategies",
            ) from None
    return name.strip(), params


def make_strategy(spec: str | Strategy) -> Strategy:
    """A strategy from a registry spec such as ``"boulware"`` or ``"boulware:e=0.1"``.

    Raises:
        DetenteError: unknown name or parameter.
    """
    if isinstance(spec, Strategy):
        return spec.clone()
    name, params = parse_spec(spec)
    cls = REGISTRY.get(name)
    if cls is None:
        from detente.negotiation.plugins import load_entry_points  # noqa: PLC0415 - cycle

        load_entry_points()
        cls = REGISTRY.get(name)
    if cls is None:
        known = ", ".join(sorted(REGISTRY))
        raise DetenteError(f"unknown strategy {name!r} (known: {known})", field="strategies")
    return cls(**params)


@dataclass(frozen=True)
class StrategyInfo:
    """What the registry says of one strategy.

    Attributes:
        name: the registry name (the spec's first part).
        family: the family of strategies.
        parameters: each parameter's default value (set as ``name:key=value``).
        summary: the first line of the class docstring.
        source: the publication it follows.
    """

    name: str
    family: str
    parameters: dict[str, float]
    summary: str
    source: str


def strategy_catalogue() -> tuple[StrategyInfo, ...]:
    """Every registered strategy (plugins included), by family then name."""
    from detente.negotiation.plugins import load_entry_points  # noqa: PLC0415 - cycle

    load_entry_points()
    infos = [
        StrategyInfo(
            name=name,
            family=cls.family,
            parameters={k: float(v) for k, v in cls.parameters.items()},
            summary=(inspect.getdoc(cls) or "").split("\n", 1)[0],
            source=cls.source,
        )
        for name, cls in REGISTRY.items()
    ]
    return tuple(sorted(infos, key=lambda i: (i.family, i.name)))

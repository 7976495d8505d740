"""Protocols: stacked alternating offers (two or more parties) and the mediated single text.

Alternating offers (Rubinstein 1982; the stacked alternating offers protocol of ANAC, Aydogan
et al. 2017): the first party proposes; in table order each next party accepts, walks away or
rejects and counter-offers; an offer stands when every other party has accepted it in turn.
With two parties this is the bilateral protocol. A round is one turn of every party.

Single negotiating text (Raiffa 1982, ch. 14): a mediator drafts a text; each round every party
accepts it or names the one change it needs most, and the mediator revises the text; the talks
end on unanimous acceptance, at the deadline, or in an impasse when the mediator has no new text.

Relative time is :func:`~detente.negotiation.timing.relative_time` of the round (every turn of
a round shares it, and it reaches 1 in the last round) with a deadline in rounds, or the
elapsed fraction of the deadline in seconds. A party with discount factor ``d``
values an agreement reached in round ``r`` (from 0) at ``d ** r`` times its utility.
"""

from __future__ import annotations

import functools
import math
import time as clock
from collections.abc import Callable, Sequence

import numpy as np

from detente._rng import check_seed
from detente.errors import DetenteError
from detente.negotiation._arena import Arena, arena_of
from detente.negotiation._order import space_first
from detente.negotiation.seating import StrategyChoice, seat_parties
from detente.negotiation.strategies import Mediator, Response, Strategy, make_strategy
from detente.negotiation.timing import relative_time
from detente.negotiation.trace import Trace
from detente.space import OutcomeSpace, meets

__all__ = ["PROTOCOLS", "Progress", "negotiate", "replay"]

#: Protocol names.
PROTOCOLS = ("alternating", "single-text")

#: Progress callback: ``(rounds played, rounds of the deadline)``; 0 rounds of the deadline
#: when the deadline is in seconds. An exception it raises stops the session.
Progress = Callable[[int, int], None]


def negotiate(
    space: OutcomeSpace,
    strategies: StrategyChoice = None,
    *,
    protocol: str = "alternating",
    rounds: int | None = 100,
    seconds: float | None = None,
    discounts: Sequence[float] | float | None = None,
    mediator: str | Strategy | None = None,
    seed: int | np.random.Generator | None = None,
    progress: Progress | None = None,
) -> Trace:
    """Run one session and return its trace (which keeps ``space``, for its report).

    Args:
        space: the outcome space of the scenario.
        strategies: the strategies of the parties, every party seated
            (:func:`~detente.negotiation.seating.seat_parties`): ``None`` for each role's
            default, a list (specs or instances, which are cloned) cycled over the parties in
            table order, or a mapping from party names and roles to strategies.
        protocol: ``"alternating"`` or ``"single-text"``.
        rounds: deadline in rounds (``None``: only ``seconds``).
        seconds: deadline in wall-clock seconds (not reproducible offer by offer).
        discounts: per-round discount factor, one per party or one for all (default 1).
        mediator: the rule of the single-text protocol's chair (default ``"single-text"``);
            the scenario's mediator party chairs when it has one.
        seed: root seed; every party's random stream is spawned from it (``None``: fresh;
            a generator: a seed drawn from it). The trace records it, for replay.
        progress: called as each round begins and when the session ends, with the rounds
            played and the deadline's rounds; it changes nothing in the play (an exception it
            raises stops the session and propagates).

    Raises:
        DetenteError: more strategies than parties, an unknown protocol, strategy, party or
            role, a bad deadline or discount, or a strategy that offers a deal outside the
            space.
    """
    _check(protocol, rounds, seconds)
    seating = seat_parties(space, strategies, protocol=protocol)
    n = space.n_parties
    factors = _discounts(discounts, n)
    players = list(seating.players)  # fresh instances, made by the seating
    check_seed(seed)
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**63))
    elif seed is None:
        seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
    # Party p's stream is child p of the root seed's sequence (SeedSequence(seed).spawn), made
    # only when the party first draws.
    streams = [
        functools.partial(np.random.SeedSequence, seed, spawn_key=(p,)) for p in range(n + 1)
    ]
    arena = arena_of(space)
    turns = rounds if seconds is None else None
    for p, player in enumerate(players):
        player.reset(arena, p, streams[p], factors, turns)
    if protocol == "alternating":
        planned = None if turns is None else _planned(arena, players, turns)
        log, result, ended_by, last_round = planned or _alternating(
            arena, players, rounds, seconds, progress
        )
        chair = None
    else:
        chair_strategy = make_strategy(mediator or "single-text")
        if not isinstance(chair_strategy, Mediator):
            raise DetenteError(f"{chair_strategy.name!r} is not a mediator", field="mediator")
        chair_strategy.reset(arena, -1, streams[n], factors, turns)
        log, result, ended_by, last_round = _single_text(
            arena, players, chair_strategy, (rounds, seconds), progress
        )
        chair = chair_strategy.spec
    if progress is not None:
        progress(last_round + 1, rounds or 0)
    outcomes = np.array(log[3], dtype=np.int64)
    utilities = arena.utilities[outcomes]
    agreement = int(outcomes[-1]) if result == "agreement" else None
    if agreement is None:
        final = tuple(float(r) for r in space.reservation)
        deal = None
    else:
        final = tuple(float(u) * factors[p] ** last_round for p, u in enumerate(utilities[-1]))
        deal = space.deal(_options_of(agreement, space.cardinalities))
    return Trace(
        scenario=space.scenario.name,
        protocol=protocol,
        parties=space.party_names,
        strategies=tuple(p.spec for p in players),
        roles=tuple(s.role for s in seating.seats),
        chair=seating.chair,
        mediator=chair,
        seed=seed,
        deadline_rounds=rounds,
        deadline_seconds=seconds,
        discounts=factors,
        offer_rounds=np.array(log[0], dtype=np.int64),
        offer_times=np.array(log[1], dtype=np.float64),
        proposers=np.array(log[2], dtype=np.int64),
        outcomes=outcomes,
        utilities=utilities,
        result=result,
        agreement=agreement,
        agreement_deal=deal,
        final_utilities=final,
        rounds=last_round + 1,
        ended_by=ended_by,
        space=space,
    )


def replay(space: OutcomeSpace, trace: Trace) -> Trace:
    """Run the session of ``trace`` on ``space`` again from its set-up and seed (same play).

    The old order ``(trace, space)`` still works, with a :class:`DeprecationWarning`, until the
    next release.

    Raises:
        DetenteError: the trace had a deadline in seconds (wall-clock play cannot be replayed),
            or ``space`` is not the trace's scenario.
    """
    space, trace = space_first(space, trace, "replay")
    if trace.deadline_seconds is not None:
        raise DetenteError("a session with a deadline in seconds cannot be replayed")
    if space.scenario.name != trace.scenario or space.party_names != trace.parties:
        raise DetenteError(
            f"the trace is of scenario {trace.scenario!r}, not {space.scenario.name!r}"
        )
    return negotiate(
        space,
        list(trace.strategies),
        protocol=trace.protocol,
        rounds=trace.deadline_rounds,
        discounts=trace.discounts,
        mediator=trace.mediator,
        seed=trace.seed,
    )


def _options_of(index: int, cardinalities: np.ndarray) -> np.ndarray:
    """Option positions of one flat index (the last issue varies fastest)."""
    row = []
    for c in cardinalities[::-1].tolist():
        index, k = divmod(index, c)
        row.append(k)
    return np.array(row[::-1], dtype=np.int64)


def _check(protocol: str, rounds: int | None, seconds: float | None) -> None:
    if protocol not in PROTOCOLS:
        raise DetenteError(
            f"unknown protocol {protocol!r} (use {', '.join(PROTOCOLS)})", field="protocol"
        )
    if rounds is None and seconds is None:
        raise DetenteError("give a deadline in rounds or in seconds", field="deadline")
    if rounds is not None and rounds < 1:
        raise DetenteError(f"the deadline must be at least one round, got {rounds}", field="rounds")
    if seconds is not None and not (0 < seconds < math.inf):
        raise DetenteError(
            f"the deadline in seconds must be a positive number, got {seconds:g}", field="seconds"
        )


def _discounts(discounts: Sequence[float] | float | None, n: int) -> tuple[float, ...]:
    if discounts is None:
        return (1.0,) * n
    values = [float(discounts)] * n if isinstance(discounts, int | float) else list(discounts)
    if len(values) != n or not all(0.0 < d <= 1.0 for d in values):
        raise DetenteError(
            f"discount factors must be {n} numbers in (0, 1], got {values}", field="discounts"
        )
    return tuple(float(d) for d in values)


#: Round, time, proposer and deal of every offer, as the loops record them.
_Log = tuple[list[int], list[float], list[int], list[int]]
#: The same, as arrays when computed at once.
_Offers = _Log | tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class _Clock:
    """Relative time of a turn: :func:`relative_time` of its round, or by wall clock."""

    def __init__(self, rounds: int | None, per_round: int, seconds: float | None) -> None:
        self.rounds = rounds
        self.turns = None if rounds is None else rounds * per_round
        self.per_round = per_round
        self.seconds = seconds
        self.start = clock.perf_counter()

    def time(self, turn: int) -> float:
        """Relative time of ``turn``, or -1 when the deadline has passed."""
        if self.turns is not None and turn >= self.turns:
            return -1.0
        if self.seconds is None:  # a deadline in rounds (negotiate checks there is one)
            return relative_time(turn // self.per_round, self.rounds or 1)
        elapsed = (clock.perf_counter() - self.start) / self.seconds
        return -1.0 if elapsed >= 1.0 else elapsed


def _checked(offer: int, player: Strategy, size: int) -> int:
    if offer >= size:
        raise DetenteError(f"strategy {player.spec!r} offered deal {offer} outside the space")
    return offer


def _alternating(
    arena: Arena,
    players: list[Strategy],
    rounds: int | None,
    seconds: float | None,
    progress: Progress | None = None,
) -> tuple[_Log, str, int, int]:
    n = len(players)
    timer = _Clock(rounds, n, seconds)
    log: _Log = ([], [], [], [])
    size = arena.size
    start = timer.time(0)
    first = _checked(players[0].propose(start), players[0], arena.size)
    if first < 0:
        return log, "walk-away", 0, 0
    offer, proposer, accepted, turn = first, 0, 0, 1
    log[0].append(0)
    log[1].append(start)
    log[2].append(0)
    log[3].append(first)
    while True:
        now = timer.time(turn)
        if now < 0:
            return log, "deadline", -1, (turn - 1) // n
        i = turn % n
        if progress is not None and i == 0:
            progress(turn // n, rounds or 0)
        player = players[i]
        answer = player.respond(now, offer, proposer)
        if answer is Response.ACCEPT:
            accepted += 1
            if accepted == n - 1:
                return log, "agreement", i, turn // n
        elif answer is Response.END:
            return log, "walk-away", i, turn // n
        else:
            offer = player.propose(now)
            if offer >= size:
                _checked(offer, player, size)
            if offer < 0:
                return log, "walk-away", i, turn // n
            proposer, accepted = i, 0
            log[0].append(turn // n)
            log[1].append(now)
            log[2].append(i)
            log[3].append(offer)
        turn += 1


def _planned(
    arena: Arena, players: list[Strategy], rounds: int
) -> tuple[_Offers, str, int, int] | None:
    """:func:`_alternating` computed at once, when every party's play is planned.

    Turn ``m`` belongs to party ``m % n`` in round ``m // n``. With every party's offer and
    acceptance threshold of each round known in advance (:meth:`Strategy.plan_arrays`), the
    deal a party would propose at each turn is known, and so is whether each of the ``n - 1``
    parties after it would accept it: a party accepts when the deal crosses none of its red
    lines and its utility :func:`~detente.space.meets` its reservation value and its threshold
    of the round, the comparisons of :meth:`Strategy.respond` (``meets(u, max(a, b))`` exactly
    when ``meets(u, a)`` and ``meets(u, b)``: subtracting the tolerance is monotone). An offer
    made at turn ``k`` then stands when all of turns ``k + 1 ... k + n - 1`` accept it;
    otherwise the first to refuse proposes in turn, or walks away when its plan says -1, and a
    turn past the deadline ends the talks. With two parties every turn but the last is an
    offer; with more, the offers are followed one to the next (a step per offer, not per
    turn). ``None`` when a party has no plan.
    """
    n = len(players)
    plans = [plan for plan in (p.plan_arrays() for p in players) if plan is not None]
    if len(plans) < n:
        return None
    turns = rounds * n
    offers = np.empty(turns + 1, dtype=np.int64)  # what each turn's party would propose
    offers[-1] = -1  # the turn after the deadline ends the talks (told apart below)
    # floor[p, r]: the least utility p accepts in round r: the larger of its reservation
    # value and its threshold (u >= max(a, b) exactly when u >= a and u >= b); no offer
    # is accepted in the round after the deadline.
    floor = np.full((n, rounds + 1), np.inf)
    for i, (planned_offers, thresholds) in enumerate(plans):
        offers[i:turns:n] = planned_offers
        np.maximum(thresholds, arena.views[i].reservation, out=floor[i, :rounds])
    if int(offers.max()) >= arena.size:
        return None  # the loop names the party offering a deal outside the space
    if offers[0] < 0:
        empty = np.empty(0, dtype=np.int64)
        return (empty, empty.astype(np.float64), empty, empty), "walk-away", 0, 0
    # (n, turns): each party's utility of each turn's offer, -inf across its red lines (a -1
    # offer reads the last deal: it ends the talks, and nobody answers it).
    utility = arena.utilities[offers[:turns]].T
    for view in arena.views:
        if view.order.size < arena.size:  # the party has red lines
            utility[view.party, ~view.allowed[offers[:turns]]] = -np.inf
    first = np.arange(turns)
    stop = np.full(turns, n)  # lag of the first turn refusing each turn's offer (n: none)
    for lag in range(n - 1, 0, -1):
        turn = first + lag
        party = turn % n
        accepts = meets(utility[party, first], floor[party, turn // n])
        stop = np.where(accepts, stop, lag)
    made, result, ended_by, last_turn = _follow(stop, offers, n)
    round_of = made // n
    times = relative_time(round_of, rounds)
    log = (round_of, times, made % n, offers[made])
    return log, result, ended_by, last_turn // n


def _follow(stop: np.ndarray, offers: np.ndarray, n: int) -> tuple[np.ndarray, str, int, int]:
    """The turns of the offers made from turn 0 on, and how and at which turn the talks end.

    ``stop[k]`` is the lag of the first turn after ``k`` that refuses the offer of turn ``k``
    (``n``: every other party accepts it), ``offers[m]`` what turn ``m``'s party proposes when
    it refuses (-1: it walks away; the turn after the deadline is -1 too).
    """
    turns = stop.size
    if n == 2:  # every refusal is the next turn: the offers are turns 0, 1, 2, ...
        ends = (stop == n) | (offers[1:] < 0)
        made = np.arange(int(ends.argmax()) + 1)
    else:
        steps, proposals = stop.tolist(), offers.tolist()
        k, chain = 0, [0]
        while steps[k] < n and proposals[k + steps[k]] >= 0:
            k += steps[k]
            chain.append(k)
        made = np.array(chain, dtype=np.int64)
    last = int(made[-1])
    end = last + int(stop[last])
    if end == last + n:
        return made, "agreement", (end - 1) % n, end - 1
    if end >= turns:
        return made, "deadline", -1, turns - 1
    return made, "walk-away", end % n, end


def _single_text(
    arena: Arena,
    players: list[Strategy],
    chair: Mediator,
    deadline: tuple[int | None, float | None],
    progress: Progress | None = None,
) -> tuple[_Log, str, int, int]:
    rounds, seconds = deadline
    space = arena.space
    timer = _Clock(rounds, 1, seconds)
    log: _Log = ([], [], [], [])
    text = chair.first_text()
    r = 0
    while True:
        now = timer.time(r)
        if now < 0:
            return log, "deadline", -1, r - 1
        if progress is not None:
            progress(r, rounds or 0)
        index = int(space.ravel(text[None, :])[0])
        log[0].append(r)
        log[1].append(now)
        log[2].append(-1)
        log[3].append(index)
        answers = [p.respond(now, index, -1) for p in players]
        if Response.END in answers:
            return log, "walk-away", answers.index(Response.END), r
        if all(a is Response.ACCEPT for a in answers):
            return log, "agreement", -1, r
        requests = [
            None if a is Response.ACCEPT else p.request(text)
            for p, a in zip(players, answers, strict=True)
        ]
        revised = chair.revise(text, requests)
        if revised is None:
            return log, "impasse", -1, r
        text = revised
        r += 1

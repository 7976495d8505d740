"""Negotiation simulation: protocols, strategies, sessions and traces, tournaments.

See ``docs/explanation/negotiation.md``.
"""

from detente.negotiation.metrics import SessionMetrics, session_metrics
from detente.negotiation.protocols import PROTOCOLS, negotiate, replay
from detente.negotiation.rehearsal import Rehearsal, rehearse
from detente.negotiation.seating import (
    ROLE_DEFAULTS,
    Seat,
    Seating,
    parse_strategies,
    seat_parties,
)
from detente.negotiation.strategies import REGISTRY, Response, Strategy, make_strategy, register
from detente.negotiation.trace import Trace, load_trace, save_trace

__all__ = [
    "PROTOCOLS",
    "REGISTRY",
    "ROLE_DEFAULTS",
    "Rehearsal",
    "Response",
    "Seat",
    "Seating",
    "SessionMetrics",
    "Strategy",
    "Trace",
    "load_trace",
    "make_strategy",
    "negotiate",
    "parse_strategies",
    "register",
    "rehearse",
    "replay",
    "save_trace",
    "seat_parties",
    "session_metrics",
]

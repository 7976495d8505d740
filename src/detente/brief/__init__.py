"""The mediator's briefing: one scenario, one answer from every lens.

:func:`build_briefing` returns a :class:`Briefing`: the recommended deal with each party's margin,
why each side can say yes, the sweeteners and mechanism swaps with their effect on acceptance and
survival, the survival curve, the forecast, a rehearsal with every party seated and the
assumptions. The terminal, ``--json``, HTML and PDF renderings read that one object.
"""

from detente.brief.build import FRAGILE_MARGIN, REHEARSAL_ROUNDS, build_briefing, terms_of
from detente.brief.result import (
    Briefing,
    BriefingSweetener,
    Forecasted,
    PastCeasefire,
    Precedents,
    Rehearsal,
    Stake,
    Survival,
    Swap,
    Term,
    briefing_json,
)

__all__ = [
    "FRAGILE_MARGIN",
    "REHEARSAL_ROUNDS",
    "Briefing",
    "BriefingSweetener",
    "Forecasted",
    "PastCeasefire",
    "Precedents",
    "Rehearsal",
    "Stake",
    "Survival",
    "Swap",
    "Term",
    "briefing_json",
    "build_briefing",
    "terms_of",
]

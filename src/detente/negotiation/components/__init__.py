"""Components that compose into strategies: bidding, acceptance, opponent models (BOA).

See :mod:`detente.negotiation.components.boa` and ``docs/how-to/write-a-strategy.md``.
"""

from detente.negotiation.components.acceptance import (
    ACCombi,
    ACConst,
    ACNext,
    ACTarget,
    ACTime,
    AnyOf,
)
from detente.negotiation.components.bidding import TimeDependentBidding
from detente.negotiation.components.boa import (
    BOA,
    AcceptanceStrategy,
    BiddingStrategy,
    Component,
)
from detente.negotiation.components.opponent import FrequencyOpponentModel, OpponentModel

__all__ = [
    "BOA",
    "ACCombi",
    "ACConst",
    "ACNext",
    "ACTarget",
    "ACTime",
    "AcceptanceStrategy",
    "AnyOf",
    "BiddingStrategy",
    "Component",
    "FrequencyOpponentModel",
    "OpponentModel",
    "TimeDependentBidding",
]

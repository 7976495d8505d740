"""Negotiation strategies, each a small class registered by name.

``REGISTRY`` maps names to classes; :func:`make_strategy` builds one from a spec such as
``"boulware"`` or ``"boulware:e=0.1"``. See ``docs/how-to/write-a-strategy.md``.
"""

from detente.negotiation.strategies._base import (
    REGISTRY,
    Mediator,
    RegistryWarning,
    Response,
    Strategy,
    StrategyInfo,
    make_strategy,
    parse_spec,
    register,
    strategy_catalogue,
)
from detente.negotiation.strategies.anac import AgentK, HardHeaded, NiceTitForTat
from detente.negotiation.strategies.mediator import SingleText
from detente.negotiation.strategies.reactive import (
    FrequencyModel,
    RandomBaseline,
    Rubinstein,
    TitForTat,
    rubinstein_share,
)
from detente.negotiation.strategies.time_dependent import (
    Boulware,
    Conceder,
    HardLiner,
    Linear,
    TimeDependent,
    concession_target,
)

__all__ = [
    "REGISTRY",
    "AgentK",
    "Boulware",
    "Conceder",
    "FrequencyModel",
    "HardHeaded",
    "HardLiner",
    "Linear",
    "Mediator",
    "NiceTitForTat",
    "RandomBaseline",
    "RegistryWarning",
    "Response",
    "Rubinstein",
    "SingleText",
    "Strategy",
    "StrategyInfo",
    "TimeDependent",
    "TitForTat",
    "concession_target",
    "make_strategy",
    "parse_spec",
    "register",
    "rubinstein_share",
    "strategy_catalogue",
]

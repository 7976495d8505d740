"""detente: model ceasefire and peace negotiations with numbers instead of hunches."""

from detente.errors import DetenteError
from detente.scenario import Scenario, load_scenario, save_scenario
from detente.space import OutcomeSpace

__all__ = ["DetenteError", "OutcomeSpace", "Scenario", "load_scenario", "save_scenario"]
__version__ = "0.1.0"

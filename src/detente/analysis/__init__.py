"""Deal-space analysis: ZOPA, the exact Pareto frontier, bargaining solutions and advice.

See ``docs/explanation/analysis.md`` for the definitions and algorithms.
"""

from detente.analysis.overview import Analysis, analyze
from detente.analysis.pareto import ParetoFrontier, opposition, pareto_frontier
from detente.analysis.sensitivity import Sensitivity, sensitivity
from detente.analysis.solutions import Solution, bargaining_solutions
from detente.analysis.sweeteners import LogrollPair, Sweetener, Sweeteners, logrolling, sweeteners
from detente.analysis.talking import TalkingPoints, talking_points
from detente.analysis.zopa import Concessions, Zopa, concessions, zopa

__all__ = [
    "Analysis",
    "Concessions",
    "LogrollPair",
    "ParetoFrontier",
    "Sensitivity",
    "Solution",
    "Sweetener",
    "Sweeteners",
    "TalkingPoints",
    "Zopa",
    "analyze",
    "bargaining_solutions",
    "concessions",
    "logrolling",
    "opposition",
    "pareto_frontier",
    "sensitivity",
    "sweeteners",
    "talking_points",
    "zopa",
]

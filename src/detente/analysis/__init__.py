"""Deal-space analysis: ZOPA, the exact Pareto frontier, bargaining solutions and advice."""

from detente.analysis.pareto import ParetoFrontier, opposition, pareto_frontier
from detente.analysis.solutions import Solution, bargaining_solutions

__all__ = [
    "ParetoFrontier",
    "Solution",
    "bargaining_solutions",
    "opposition",
    "pareto_frontier",
]

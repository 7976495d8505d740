"""One argument order: the space first, as in ``negotiate`` and ``pareto_frontier``."""

from __future__ import annotations

import warnings

from detente.negotiation.trace import Trace
from detente.space import OutcomeSpace

__all__ = ["space_first"]


def space_first(
    first: OutcomeSpace | Trace, second: OutcomeSpace | Trace, function: str
) -> tuple[OutcomeSpace, Trace]:
    """``(space, trace)`` from arguments given in either order.

    The old order ``(trace, space)`` still works, with a :class:`DeprecationWarning`, until the
    next release.

    Raises:
        TypeError: the arguments are not a space and a trace.
    """
    if isinstance(first, OutcomeSpace) and isinstance(second, Trace):
        return first, second
    if isinstance(first, Trace) and isinstance(second, OutcomeSpace):
        warnings.warn(
            f"{function}(trace, space) is deprecated: pass the space first, "
            f"{function}(space, trace); the old order will stop working in the next release",
            DeprecationWarning,
            stacklevel=3,
        )
        return second, first
    raise TypeError(
        f"{function} takes an OutcomeSpace and a Trace, not {type(first).__name__} and "
        f"{type(second).__name__}"
    )

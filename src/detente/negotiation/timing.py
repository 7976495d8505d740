"""Relative time: the one rule that turns a round into a time in [0, 1], and back.

With a deadline of ``R`` rounds, every turn of round ``r`` (from 0) happens at relative time
``t = r / (R - 1)``, so the last round is at ``t = 1`` (as in GENIUS and NegMAS); a one-round
session is at ``t = 1``. The protocols stamp every offer with it, the strategies plan their
concession on it, and :func:`round_at` reads a time back as its round.
"""

from __future__ import annotations

from typing import overload

import numpy as np

__all__ = ["relative_time", "round_at"]


@overload
def relative_time(round_: int, rounds: int) -> float: ...
@overload
def relative_time(round_: np.ndarray, rounds: int) -> np.ndarray: ...
def relative_time(round_: int | np.ndarray, rounds: int) -> float | np.ndarray:
    """``round_ / (rounds - 1)``, or 1 when ``rounds`` is 1 (rounds counted from 0).

    Scalars and arrays give the same bits (one correctly rounded division each).
    """
    if rounds <= 1:
        return np.ones(np.shape(round_)) if isinstance(round_, np.ndarray) else 1.0
    if isinstance(round_, np.ndarray):
        return round_ / float(rounds - 1)
    return round_ / (rounds - 1)


def round_at(time: float, rounds: int) -> int:
    """The round whose relative time is ``time`` (the nearest one): the inverse of the rule."""
    return int(time * (rounds - 1) + 0.5) if rounds > 1 else 0

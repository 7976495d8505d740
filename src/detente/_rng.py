"""Seeds: one ``rng`` argument everywhere, child streams from ``SeedSequence.spawn``."""

from __future__ import annotations

import numpy as np

from detente.errors import DetenteError

__all__ = ["RNGLike", "as_generator", "check_seed", "spawn_seeds"]

RNGLike = np.random.Generator | np.random.SeedSequence | int | None


def check_seed(rng: RNGLike) -> None:
    """Refuse a seed numpy cannot take (a negative or non-integer number), naming the field.

    Raises:
        DetenteError: ``rng`` is a negative integer or not a seed at all.
    """
    if rng is None or isinstance(rng, np.random.Generator | np.random.SeedSequence):
        return
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer) or rng < 0:
        raise DetenteError(f"a seed is a whole number >= 0, got {rng!r}", field="seed")


def as_generator(rng: RNGLike) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``rng`` (a generator, a seed or ``None``)."""
    if isinstance(rng, np.random.Generator):
        return rng
    check_seed(rng)
    return np.random.default_rng(rng)


def spawn_seeds(seed: int | np.random.SeedSequence | None, n: int) -> list[np.random.SeedSequence]:
    """Derive ``n`` independent child seed sequences from ``seed``.

    The same ``seed`` always gives the same children, whichever executor later consumes them,
    which is what makes serial, process-pool and Dask runs agree.
    """
    check_seed(seed)
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return root.spawn(n)

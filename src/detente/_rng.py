"""Seeds: one ``rng`` argument everywhere, child streams from ``SeedSequence.spawn``."""

from __future__ import annotations

import numpy as np

__all__ = ["RNGLike", "as_generator", "spawn_seeds"]

RNGLike = np.random.Generator | np.random.SeedSequence | int | None


def as_generator(rng: RNGLike) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``rng`` (a generator, a seed or ``None``)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def spawn_seeds(seed: int | np.random.SeedSequence | None, n: int) -> list[np.random.SeedSequence]:
    """Derive ``n`` independent child seed sequences from ``seed``.

    The same ``seed`` always gives the same children, whichever executor later consumes them,
    which is what makes serial, process-pool and Dask runs agree.
    """
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return root.spawn(n)

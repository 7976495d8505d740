"""Run the benchmark modules: every ``benchmarks/bench_*.py`` has a ``main()``.

Usage: ``python -m benchmarks`` (all) or ``python -m benchmarks analysis negotiation``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    here = Path(__file__).parent
    names = sorted(p.stem.removeprefix("bench_") for p in here.glob("bench_*.py"))
    chosen = argv or names
    for name in chosen:
        if name not in names:
            sys.exit(f"unknown benchmark {name!r} (have: {', '.join(names)})")
        print(f"\n=== {name} ===", flush=True)
        importlib.import_module(f"benchmarks.bench_{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])

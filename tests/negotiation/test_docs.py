"""The code of the how-to runs as written."""

from __future__ import annotations

import re
from pathlib import Path

from detente.negotiation import REGISTRY

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_write_a_strategy_example_runs(capsys) -> None:  # type: ignore[no-untyped-def]
    text = (DOCS / "how-to" / "write-a-strategy.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks
    try:
        exec(compile(blocks[0], "write-a-strategy.md", "exec"), {"__name__": "docs"})
        out = capsys.readouterr().out.split()
        assert out[0] in {"agreement", "deadline", "walk-away"}
        assert 1 <= int(out[1]) <= 50
    finally:
        REGISTRY.pop("split-the-difference", None)

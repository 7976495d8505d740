"""The briefing printed to PDF by a real headless Chromium: pages, text, figures."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from detente.cli import app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_pdf_has_pages_text_and_the_figures(tmp_path: Path) -> None:
    target = tmp_path / "brief.pdf"
    result = CliRunner().invoke(
        app, ["brief", "ceasefire-2025", "--pdf", str(target), "--paths", "500"]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.stdout
    reader = PdfReader(target)
    assert len(reader.pages) >= 3
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    words = unicodedata.normalize("NFKC", " ".join(text.split()))  # "fi" ligatures to letters
    for needle in (
        "Briefing: Russia-Ukraine",
        "The recommended deal",
        "Why each side can say yes",
        "Will it hold?",
        "Sweeteners",
        "Mechanism swaps",
        "Rehearsal",
        "Assumptions",
        "a binding collective-defence commitment",
    ):
        assert needle in words, needle
    assert "P(ceasefire holding)" in words  # the survival figure was drawn before printing
    assert "day after signature" in words
    assert "alternative (no deal)" in words  # and the margins figure
    assert not list(tmp_path.glob(".*"))  # the temporary file was renamed, not left

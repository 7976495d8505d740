"""``detente brief``: terminal, JSON, offline HTML, PDF; bad input is one line and exit 2."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.cli._common import err_console
from detente.errors import DetenteError
from detente.report import pdf
from detente.report.pdf import PdfEngineError, find_chromium, write_pdf

runner = CliRunner()
FAST = ("--paths", "500", "--rounds", "60")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _fails(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 2, out + err
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error:")
    return lines[0]


def test_the_terminal_briefing_has_every_section() -> None:
    code, out, _ = run("brief", "ceasefire-2025", *FAST)
    assert code == 0
    for heading in (
        "The recommended deal.",
        "Why each side can say yes",
        "Will it hold?",
        "Sweeteners",
        "Mechanism swaps",
        "Forecast",
        "Rehearsal",
        "Assumptions",
    ):
        assert heading in out, heading
    assert "Reference class: ceasefires agreed during civil conflicts" in out
    assert "United States plays" in out


def test_json_is_the_documented_contract() -> None:
    code, out, _ = run("brief", "ceasefire-2025", "--json", *FAST)
    assert code == 0
    doc = json.loads(out)
    assert doc["deal"]["oversight"] == "hotline"
    assert 0.0 <= doc["survival_1y"] <= 1.0
    assert list(doc["rehearsal"]["strategies"]) == [
        "Russia",
        "Ukraine",
        "United States",
        "European states",
    ]


def _leaves(doc: object, path: tuple[object, ...] = ()) -> list[tuple[tuple[object, ...], object]]:
    """(path, value) of every leaf of a JSON document, skipping the example's "..." parts."""
    if isinstance(doc, dict):
        return [
            leaf
            for k, v in doc.items()
            if k != "..." and v != "..."
            for leaf in _leaves(v, (*path, k))
        ]
    if isinstance(doc, list):
        return [leaf for k, v in enumerate(doc) if v != "..." for leaf in _leaves(v, (*path, k))]
    return [(path, doc)]


def test_the_json_reference_example_matches_a_real_run() -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "reference" / "brief-json.md"
    example = json.loads(page.read_text(encoding="utf-8").split("```json")[1].split("```")[0])
    code, out, _ = run("brief", "ceasefire-2025", "--json", "--seed", "0")
    assert code == 0
    real = json.loads(out)
    assert set(real) == set(example)
    leaves = _leaves(example)
    assert len(leaves) >= 30
    for path, value in leaves:
        got: object = real
        for key in path:
            got = got[key]  # type: ignore[index]
        if isinstance(value, float):
            assert got == pytest.approx(value, abs=5e-4), path
        else:
            assert got == value, path


def test_the_html_page_is_offline_and_holds_the_briefing(tmp_path: Path) -> None:
    target = tmp_path / "brief.html"
    code, out, _ = run("brief", "ceasefire-2025", "--html", str(target), *FAST)
    assert code == 0
    assert f"wrote {target}" in out
    text = target.read_text(encoding="utf-8")
    # nothing is fetched: no external script, style sheet, image or font (the inlined
    # plotly.js holds links of its own, to credit map tiles, which the page never shows)
    assert not re.search(r"<script[^>]*\bsrc\s*=", text)
    markup = re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.DOTALL)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup)
    assert "<link" not in markup
    assert "@import" not in markup
    assert "url(" not in markup
    assert "Plotly.newPlot" in text  # plotly.js is inlined, with both figures
    assert 'id="survival"' in text
    assert 'id="margins"' in text
    for heading in ("Why each side can say yes", "Mechanism swaps", "Rehearsal", "Assumptions"):
        assert heading in text
    assert "a European reassurance force behind the line" in text
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("no-such-scenario",), "no-such-scenario"),
        (("ceasefire-2025", "--html", "missing/brief.html"), "--html"),
        (("ceasefire-2025", "--pdf", "missing/brief.pdf"), "--pdf"),
        (("ceasefire-2025", "--pdf", "brief.html"), "use a .pdf file"),
        (("ceasefire-2025", "--html", "brief.txt"), "use a .html or .htm file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], needle: str) -> None:
    assert needle in _fails("brief", *args)


def test_an_output_path_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "out.pdf"
    folder.mkdir()
    assert "is a folder" in _fails("brief", "ceasefire-2025", "--pdf", str(folder))


def test_without_chromium_the_pdf_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser on it
    target = tmp_path / "brief.pdf"
    line = _fails("brief", "ceasefire-2025", "--pdf", str(target))
    assert "Chromium" in line
    assert "apt-get install chromium" in line
    assert "--html" in line
    assert not target.exists()
    with pytest.raises(PdfEngineError):
        find_chromium()


def _fake_browser(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-chromium"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("echo 'cannot open display' >&2; exit 1", "Chromium failed to print: cannot open display"),
        ("exit 3", "Chromium failed to print: exit status 3"),
        ("exit 0", "Chromium printed nothing"),
    ],
)
def test_a_browser_that_does_not_print_leaves_nothing(
    tmp_path: Path, body: str, message: str
) -> None:
    target = tmp_path / "brief.pdf"
    with pytest.raises(PdfEngineError, match=re.escape(message)):
        write_pdf("<html></html>", target, chromium=_fake_browser(tmp_path, body))
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["fake-chromium"]


def test_a_browser_that_cannot_run_is_one_error(tmp_path: Path) -> None:
    not_executable = tmp_path / "chromium"
    not_executable.write_text("", encoding="utf-8")
    with pytest.raises(DetenteError, match="cannot run"):
        write_pdf("<html></html>", tmp_path / "x.pdf", chromium=str(not_executable))


def test_a_browser_that_hangs_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "_TIMEOUT", 0.5)
    target = tmp_path / "brief.pdf"
    with pytest.raises(PdfEngineError, match=r"did not finish printing within 0\.5 s"):
        write_pdf("<html></html>", target, chromium=_fake_browser(tmp_path, "exec sleep 5"))
    assert not target.exists()


def test_a_terminal_sees_that_work_is_under_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(err_console, "_force_terminal", True)
    code, out, err = run("brief", "ceasefire-2025", *FAST)
    assert code == 0
    assert "The recommended deal." in out
    assert "\x1b[?25l" in err  # a transient status line ran (it hides the cursor meanwhile)

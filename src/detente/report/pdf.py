"""HTML pages printed to PDF by headless Chromium (its own print engine: plots and all).

Chromium runs the page's scripts before printing, so the plotly figures of a report print as
they show on screen. The browser is found on ``PATH`` (Debian's ``chromium`` package; Google
Chrome also works); without one, :func:`write_pdf` raises a one-line error that says what to
install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from detente.errors import DetenteError

__all__ = ["CHROMIUM_NAMES", "PdfEngineError", "find_chromium", "write_pdf"]

#: Executable names tried on ``PATH``, in order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Seconds Chromium may take to print one page set before it is stopped.
_TIMEOUT = 180


class PdfEngineError(DetenteError):
    """No PDF engine (Chromium) is available, or it failed to print."""


def find_chromium() -> str:
    """The path of a Chromium (or Chrome) executable on ``PATH``.

    Raises:
        PdfEngineError: none is installed; the message says how to install one.
    """
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise PdfEngineError(
        "a PDF is printed by Chromium, which is not installed (looked for "
        f"{', '.join(CHROMIUM_NAMES)} on PATH): install it (Debian/Ubuntu: apt-get install "
        "chromium) or write --html FILE and print that page from a browser",
        field="--pdf",
    )


def write_pdf(page: str, target: Path, *, chromium: str | None = None) -> None:
    """Print the HTML document ``page`` to the PDF file ``target``.

    The PDF appears at ``target`` whole or not at all: Chromium prints into a temporary file
    beside it, which then replaces ``target``.

    Args:
        page: a whole, self-contained HTML document.
        target: the PDF to write.
        chromium: the browser executable (default: :func:`find_chromium`).

    Raises:
        PdfEngineError: no Chromium, or it did not print.
        OSError: ``target``'s folder cannot be written.
    """
    browser = chromium or find_chromium()
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with tempfile.TemporaryDirectory(prefix="detente-pdf-") as work:
            source = Path(work) / "page.html"
            source.write_text(page, encoding="utf-8")
            command = [
                browser,
                "--headless",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                f"--user-data-dir={Path(work) / 'profile'}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={partial}",
                source.as_uri(),
            ]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                command.insert(1, "--no-sandbox")  # Chromium refuses to run as root otherwise
            _run(command)
        if Path(partial).stat().st_size == 0:
            raise PdfEngineError("Chromium printed nothing", source=target, field="--pdf")
        Path(partial).replace(target)
    finally:
        Path(partial).unlink(missing_ok=True)


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
            command, capture_output=True, text=True, timeout=_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise PdfEngineError(
            f"Chromium did not finish printing within {_TIMEOUT} s", field="--pdf"
        ) from None
    except OSError as exc:
        raise PdfEngineError(
            f"cannot run {command[0]}: {exc.strerror or exc}", field="--pdf"
        ) from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit status {done.returncode}"
        raise PdfEngineError(f"Chromium failed to print: {last}", field="--pdf")

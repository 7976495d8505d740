"""The briefing of a chosen deal from the workbench: the command's JSON, the page and the PDF."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from detente.monitor.enums import Role
from detente.monitor.errors import InputError, NotFoundError, PermissionDeniedError
from detente.report import pdf
from detente.workbench import briefing as briefing_module
from detente.workbench.briefing import BriefingRequest, start_briefing
from detente.workbench.jobs import JobRegistry, JobState
from tests.workbench.support import ceasefire_document, cli_json, stored, user

ANALYST = user(1, Role.ANALYST)
MONITOR = user(2, Role.MONITOR)
HOTLINE = {"oversight": "hotline"}


@pytest.fixture
def jobs() -> Iterator[JobRegistry]:
    registry = JobRegistry(workers=1)
    yield registry
    registry.close()


@pytest.mark.slow
def test_the_html_briefing_is_the_brief_command_on_the_deal(
    jobs: JobRegistry, tmp_path: Path
) -> None:
    request = BriefingRequest(deal=HOTLINE, formats=["html"], paths=300, rounds=40, seed=1)
    job = start_briefing(jobs, ANALYST, stored(), request)
    jobs.wait(job.id, 300)
    done = jobs.get(MONITOR, job.id)  # a reader downloads it
    assert done.state is JobState.DONE, done.error
    cli = cli_json(
        tmp_path,
        ceasefire_document(),
        "brief",
        "--deal",
        "oversight=hotline",
        "--paths",
        "300",
        "--rounds",
        "40",
        "--seed",
        "1",
    )
    assert done.result == cli
    assert list(done.files) == ["briefing-ceasefire-2025.html"]
    media, page = jobs.file(MONITOR, job.id, "briefing-ceasefire-2025.html")
    assert media.startswith("text/html")
    assert b"<h2>The chosen deal</h2>" in page
    assert b"a bilateral military hotline" in page
    with pytest.raises(NotFoundError, match="no file"):
        jobs.file(MONITOR, job.id, "briefing-ceasefire-2025.pdf")


@pytest.mark.slow
@pytest.mark.browser
def test_the_pdf_briefing_prints_the_chosen_deal(jobs: JobRegistry) -> None:
    request = BriefingRequest(deal=HOTLINE, formats=["pdf"], paths=300, rounds=40)
    job = start_briefing(jobs, ANALYST, stored(), request)
    jobs.wait(job.id, 300)
    done = jobs.get(ANALYST, job.id)
    assert done.state is JobState.DONE, done.error
    media, content = jobs.file(ANALYST, job.id, "briefing-ceasefire-2025.pdf")
    assert media == "application/pdf"
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    words = unicodedata.normalize("NFKC", " ".join(text.split()))
    assert "The chosen deal" in words
    assert "a bilateral military hotline" in words


def test_a_bad_deal_is_refused_before_queuing(jobs: JobRegistry) -> None:
    with pytest.raises(InputError, match="drones") as caught:
        start_briefing(jobs, ANALYST, stored(), BriefingRequest(deal={"oversight": "drones"}))
    assert caught.value.status == 422
    assert jobs.list(ANALYST) == []


def test_a_pdf_without_chromium_is_refused_before_queuing(
    jobs: JobRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf.shutil, "which", lambda _name: None)
    with pytest.raises(InputError, match="Chromium") as caught:
        start_briefing(jobs, ANALYST, stored(), BriefingRequest())
    assert caught.value.field == "formats"
    assert jobs.list(ANALYST) == []


def test_only_analysts_and_admins_brief(jobs: JobRegistry) -> None:
    with pytest.raises(PermissionDeniedError):
        start_briefing(jobs, MONITOR, stored(), BriefingRequest())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ceasefire-2025", "briefing-ceasefire-2025"),
        ("../ a/b ", "briefing-a-b"),
        ("..", "briefing-scenario"),
    ],
)
def test_file_names_are_safe(name: str, expected: str) -> None:
    assert briefing_module._filename(name) == expected

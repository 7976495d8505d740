"""The briefing of any deal of a stored scenario, as an offline HTML page and a PDF.

The briefing is ``detente brief SCENARIO --deal DEAL``'s (the recommended deal when none is
named): :func:`detente.brief.build_briefing`, drawn by :func:`detente.report.brief.briefing_html`
and printed by headless Chromium (:mod:`detente.report.pdf`). Building it runs every lens
(seconds on ``ceasefire-2025``), so it is a job; the files it makes are downloads of the job.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field

from detente.brief import REHEARSAL_ROUNDS, briefing_json, build_briefing
from detente.monitor.auth import require_role
from detente.monitor.models import User
from detente.report.brief import briefing_html
from detente.report.pdf import find_chromium, write_pdf
from detente.workbench.jobs import Job, JobOutput, JobRegistry, Report
from detente.workbench.library import EDITORS, StoredScenario
from detente.workbench.runs import (
    Deal,
    RunRequest,
    as_input_error,
    queue_run,
    scenario_space,
)

__all__ = ["BriefingRequest", "start_briefing"]


class BriefingRequest(RunRequest):
    """A briefing (``detente brief``) of one deal, as HTML and, if asked, PDF."""

    deal: Deal | None = Field(
        default=None, description="The deal to brief (default: the recommended deal)."
    )
    formats: list[Literal["html", "pdf"]] = Field(default=["html", "pdf"], min_length=1)
    paths: int = Field(default=5_000, ge=100, le=200_000)
    rounds: int = Field(default=REHEARSAL_ROUNDS, ge=1, le=10_000)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)


def _filename(title: str) -> str:
    """A safe file name stem from a scenario's name."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", title).strip("-.")[:80]
    return f"briefing-{stem or 'scenario'}"


def start_briefing(
    jobs: JobRegistry, actor: User, scenario: StoredScenario, request: BriefingRequest
) -> Job:
    """Queue the briefing of a deal of ``scenario`` (analysts and admins).

    The job's result is ``detente brief --json`` of the same scenario, deal, seed, paths and
    rounds; its files are ``briefing.html`` (offline page) and ``briefing.pdf``.

    Raises:
        PermissionDeniedError: the actor may not run it.
        InputError: the scenario or the deal is invalid, or a PDF is asked for and no
            Chromium is installed (nothing is queued).
    """
    require_role(actor, *EDITORS)
    space = scenario_space(scenario)
    if request.deal is not None:
        from detente.durability.deal import complete_deal  # noqa: PLC0415 - validation only

        with as_input_error("deal"):
            complete_deal(space, request.deal)
    chromium = None
    if "pdf" in request.formats:
        with as_input_error("formats"):
            chromium = find_chromium()
    stem = _filename(scenario.name or f"scenario-{scenario.id}")

    def work(report: Report) -> JobOutput:
        report(0.05, "analysing, simulating, forecasting, rehearsing")
        briefing = build_briefing(
            space,
            seed=request.seed,
            paths=request.paths,
            rounds=request.rounds,
            deal=request.deal,
        )
        files: dict[str, tuple[str, bytes]] = {}
        if "html" in request.formats:
            page = briefing_html(briefing).encode("utf-8")
            files[f"{stem}.html"] = ("text/html; charset=utf-8", page)
        if chromium is not None:
            report(0.8, "printing the PDF")
            with tempfile.TemporaryDirectory(prefix="detente-brief-") as folder:
                target = Path(folder) / "briefing.pdf"
                write_pdf(briefing_html(briefing, for_print=True), target, chromium=chromium)
                files[f"{stem}.pdf"] = ("application/pdf", target.read_bytes())
        return JobOutput(result=briefing_json(briefing), files=files)

    return queue_run(jobs, actor, scenario, "briefing", work)

"""Live-analysis latency of the scenario editor, measured in Chromium with 20 analysts at once.

A fresh SQLite database holding ``ceasefire-2025`` and 20 analysts; ``detente serve`` in its
own process; one headless Chromium (Playwright) with one context per analyst, each signed in
on the editor page. Every analyst, in its page, moves the slider of Russia's weight on
sanctions relief to a new random value (seeded per analyst), waits for the plot, thinks for
0.3 to 1.2 s, and again, for the run's duration; the analysis of survival runs whenever an
analyst pauses, as in real use. The latency of one edit is measured in the page with
``performance.now()``: from the slider's input event to the end of ``Plotly.react`` drawing
the answer (the editor's ``live:updated`` event). Reported per run: edits answered, p50, p95
and p99, the median time the server computed an answer (its ``Server-Timing``) and the median
time a request spent in the network and the server's queues, survival answers received; then
the median of each over the runs, and the machine's load.

Usage: ``python -m benchmarks workbench`` (``DETENTE_BENCH_ANALYSTS``,
``DETENTE_BENCH_SECONDS`` and ``DETENTE_BENCH_RUNS`` change the analysts, the duration of a
run and the number of runs). Target: p95 under 300 ms.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from playwright.sync_api import sync_playwright
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from detente.monitor import service
from detente.monitor.db import MonitorSettings, make_engine, sessions
from detente.monitor.enums import Role
from detente.monitor.models import User
from detente.monitor.schemas import UserIn
from detente.workbench import library

ANALYSTS = int(os.environ.get("DETENTE_BENCH_ANALYSTS", "20"))
SECONDS = int(os.environ.get("DETENTE_BENCH_SECONDS", "30"))
RUNS = int(os.environ.get("DETENTE_BENCH_RUNS", "3"))
PASSWORD = "bench quiet river lantern"
TARGET_MS = 300.0
SLIDER = '.weights[data-party="Russia"] input[data-issue="sanctions_relief"]'

#: The analyst's loop, run in its page: move, wait for the plot, think, again.
_LOOP = """
([selector, seed, seconds]) => {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const root = document.getElementById("editor");
  const input = document.querySelector(selector);
  const out = { latencies: [], server: [], waited: [], survival: 0, done: false };
  window.__bench = out;
  root.addEventListener("live:survival", () => { out.survival += 1; });
  const end = performance.now() + 1000 * seconds;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  (async () => {
    while (performance.now() < end) {
      const drawn = new Promise((r) => {
        root.addEventListener("live:updated", (e) => r(e.detail), { once: true });
      });
      const value = 0.05 + 0.6 * random();
      input.value = String(value);
      performance.clearResourceTimings();
      const t0 = performance.now();
      input.dispatchEvent(new Event("input", { bubbles: true }));
      const detail = await drawn;
      out.latencies.push(detail.drawn - t0);
      const asked = performance.getEntriesByType("resource")
        .filter((e) => e.name.endsWith("/analyze"));
      for (const e of asked) {
        const computed = (e.serverTiming.find((t) => t.name === "compute") || {}).duration || 0;
        out.server.push(computed);
        out.waited.push(e.responseStart - e.requestStart - computed);
      }
      await sleep(300 + 900 * random());
    }
    out.done = true;
  })();
  return true;
}
"""


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(url: str, env: dict[str, str]) -> int:
    """The schema, the analysts and ceasefire-2025 in the library; the scenario's id."""
    cmd = [sys.executable, "-c", "from detente.cli import main; main()", "monitor", "init"]
    subprocess.run([*cmd, "--db", url], env=env, check=True, capture_output=True, text=True)
    engine = make_engine(url)
    with (
        sessions(
            engine, MonitorSettings(db_url=url, audit_key=env["DETENTE_MONITOR_AUDIT_KEY"])
        )() as s,
        s.begin(),
    ):
        admin = s.scalars(select(User).where(User.username == "admin")).one()
        for k in range(ANALYSTS):
            data = UserIn(username=f"analyst{k}", password=PASSWORD, role=Role.ANALYST)
            service.create_user(s, admin, data)
        scenario_id = library.create_scenario(s, admin, builtin="ceasefire-2025").id
    engine.dispose()
    return scenario_id


@contextlib.contextmanager
def _server(url: str, env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    cmd = [sys.executable, "-c", "from detente.cli import main; main()", "serve"]
    proc = subprocess.Popen(
        [*cmd, "--db", url, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                break
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit("the server did not start")
        time.sleep(0.2)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(30)


def _sign_in(browser: Any, base: str, who: str, scenario_id: int) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", who)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}/workbench/scenarios/{scenario_id}")
    page.wait_for_selector("#plot .main-svg", timeout=120_000)
    return page


def run(browser: Any, base: str, scenario_id: int, index: int) -> dict[str, float]:
    """One run: every analyst editing for ``SECONDS``; latency percentiles in milliseconds."""
    pages = [_sign_in(browser, base, f"analyst{k}", scenario_id) for k in range(ANALYSTS)]
    load_before = os.getloadavg()[0]
    for k, page in enumerate(pages):
        page.evaluate(_LOOP, [SLIDER, 1000 * index + k + 1, SECONDS])
    time.sleep(SECONDS)
    latencies: list[float] = []
    server: list[float] = []
    waited: list[float] = []
    survival = 0
    for page in pages:
        deadline = time.monotonic() + 60
        while not page.evaluate("window.__bench.done") and time.monotonic() < deadline:
            time.sleep(0.2)
        found = page.evaluate("window.__bench")
        latencies += found["latencies"]
        server += found["server"]
        waited += found["waited"]
        survival += found["survival"]
    load_after = os.getloadavg()[0]
    for page in pages:
        page.context.close()
    values = np.asarray(latencies)
    return {
        "count": float(len(values)),
        "p50": float(np.percentile(values, 50)),
        "p95": float(np.percentile(values, 95)),
        "p99": float(np.percentile(values, 99)),
        "survival": float(survival),
        "server": float(np.median(server)) if server else float("nan"),
        "waited": float(np.median(waited)) if waited else float("nan"),
        "load": max(load_before, load_after),
    }


def main() -> None:
    console = Console()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("install Debian's chromium package (apt-get install chromium)")
    env = {
        **os.environ,
        "DETENTE_MONITOR_SECRET": "bench-secret",
        "DETENTE_MONITOR_AUDIT_KEY": "bench-audit-key",
        "DETENTE_MONITOR_ADMIN_PASSWORD": PASSWORD,
    }
    rows: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="detente-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        scenario_id = _prepare(url, env)
        with _server(url, env) as base, sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium,
                headless=True,
                # every analyst's page is in view, as on the analyst's own screen: no throttling
                # of pages Chromium would otherwise treat as background tabs
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-background-timer-throttling",
                    "--disable-backgrounding-occluded-windows",
                    "--disable-renderer-backgrounding",
                ],
            )
            rows.extend(run(browser, base, scenario_id, index) for index in range(RUNS))
            browser.close()
    table = Table(
        title=f"Editor live analysis: {ANALYSTS} analysts moving a slider for {SECONDS} s "
        "(ceasefire-2025; slider input to plot drawn, in Chromium)"
    )
    columns = ("run", "edits", "p50 ms", "p95 ms", "p99 ms", "server ms", "queued ms", "survival")
    for column in (*columns, "load"):
        table.add_column(column, justify="right")
    for k, f in enumerate(rows, 1):
        table.add_row(
            str(k),
            f"{f['count']:.0f}",
            f"{f['p50']:.0f}",
            f"{f['p95']:.0f}",
            f"{f['p99']:.0f}",
            f"{f['server']:.0f}",
            f"{f['waited']:.0f}",
            f"{f['survival']:.0f}",
            f"{f['load']:.1f}",
        )
    median = {key: statistics.median(f[key] for f in rows) for key in rows[0]}
    table.add_row(
        "median",
        f"{median['count']:.0f}",
        f"{median['p50']:.0f}",
        f"{median['p95']:.0f}",
        f"{median['p99']:.0f}",
        f"{median['server']:.0f}",
        f"{median['waited']:.0f}",
        f"{median['survival']:.0f}",
        f"{median['load']:.1f}",
    )
    console.print(table)
    verdict = "meets" if median["p95"] < TARGET_MS else "misses"
    console.print(
        f"p95 {median['p95']:.0f} ms {verdict} the {TARGET_MS:.0f} ms target; load average "
        f"(1 min) up to {median['load']:.1f} on {os.cpu_count()} cores, the browser included."
    )


if __name__ == "__main__":
    main()

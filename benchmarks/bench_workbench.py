"""Live-analysis latency of the scenario editor with 20 analysts at once, in two modes.

A fresh SQLite database holding ``ceasefire-2025`` and 20 analysts; ``detente serve`` in its
own process. Every analyst moves the slider of Russia's weight on sanctions relief to a new
random value (seeded per analyst), waits for the answer, thinks for 0.3 to 1.2 s, and again, for
the run's duration; the analysis of survival is asked whenever an analyst pauses (600 ms
without an edit) and cancelled by the next edit, as in real use. An edit's latency is measured
in a Chromium page (Playwright) with ``performance.now()``: from the slider's input event to the
page updated with the answer, the plot drawn and the panel's text set (the editor's
``live:updated`` event).

* ``mixed`` (the mode the target refers to): ``DETENTE_BENCH_BROWSERS`` analysts (2) are
  Chromium pages, measured as above; the others (18) are HTTP clients
  (``benchmarks/workbench_clients.py``, asyncio and httpx in a process of their own) that send
  the server exactly what the editor page sends, when it sends it: the same requests, headers,
  session cookie and CSRF token, one analysis in flight, survival on the pause and cancelled by
  the next edit, the same think time and the same seeded moves. In use, every analyst's page
  draws on the analyst's own computer; only the server is shared. This mode loads the server
  with 20 analysts and the machine with the drawing of two, so its latency is what one analyst
  sees while 19 others edit.
* ``browsers``: all 20 analysts are Chromium pages (one context each) on the machine that also
  runs the server, so the 2 cores draw 20 analysts' plots besides serving them. It is reported
  beside the other as the cost of drawing on a shared machine, not as an analyst's latency.

Reported per run and mode: edits measured in Chromium, their p50, p95 and p99; the median time
the server computed an analysis (its ``Server-Timing``) and the median time a request spent in
the network and the server's queues (time to the first byte less the compute), over every
analyst's requests; survival answers received; in the mixed mode, the HTTP analysts' edits,
their round trip's p50 and p95 (no drawing) and their failed requests; the one-minute load
average before and after. Then the median of each over the runs. With 2 measured pages a 30 s
run has some 60 measured edits, so its p99 is close to its maximum.

Usage: ``python -m benchmarks workbench``. ``DETENTE_BENCH_MODE`` (``both``, ``mixed`` or
``browsers``), ``DETENTE_BENCH_ANALYSTS`` (20), ``DETENTE_BENCH_BROWSERS`` (2),
``DETENTE_BENCH_SECONDS`` (30) and ``DETENTE_BENCH_RUNS`` (3) change the modes, the analysts,
the browsers of the mixed mode, the duration of a run and the number of runs; the modes take
turns within each run. Target: p95 under 300 ms in the mixed mode.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from playwright.sync_api import sync_playwright
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from benchmarks.servers import serving
from benchmarks.workbench_clients import PASSWORD
from detente.monitor import service
from detente.monitor.db import MonitorSettings, make_engine, sessions
from detente.monitor.enums import Role
from detente.monitor.models import User
from detente.monitor.schemas import UserIn
from detente.workbench import library

ANALYSTS = int(os.environ.get("DETENTE_BENCH_ANALYSTS", "20"))
SECONDS = int(os.environ.get("DETENTE_BENCH_SECONDS", "30"))
RUNS = int(os.environ.get("DETENTE_BENCH_RUNS", "3"))
BROWSERS = int(os.environ.get("DETENTE_BENCH_BROWSERS", "2"))
MODE = os.environ.get("DETENTE_BENCH_MODE", "both")
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


def _clients(base: str, scenario_id: int, first: int, seed: int) -> subprocess.Popen[str]:
    """The HTTP analysts ``first`` to the last, in their own process; signing in."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "benchmarks.workbench_clients", base, str(scenario_id)),
            *(str(first), str(ANALYSTS - first), str(seed), str(SECONDS)),
        ],
        cwd=Path(__file__).parents[1],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _percentiles(values: list[float], prefix: str = "") -> dict[str, float]:
    if not values:
        return {f"{prefix}{q}": float("nan") for q in ("p50", "p95", "p99")}
    found = np.percentile(np.asarray(values), [50, 95, 99])
    return {f"{prefix}p50": found[0], f"{prefix}p95": found[1], f"{prefix}p99": found[2]}


def run(browser: Any, base: str, scenario_id: int, index: int, mode: str) -> dict[str, float]:
    """One run of one mode, every analyst editing for ``SECONDS``; times in milliseconds."""
    browsers = ANALYSTS if mode == "browsers" else min(BROWSERS, ANALYSTS)
    seed = 1000 * index + 1
    clients = _clients(base, scenario_id, browsers, seed) if browsers < ANALYSTS else None
    pages = [_sign_in(browser, base, f"analyst{k}", scenario_id) for k in range(browsers)]
    if clients is not None and (clients.stdout is None or clients.stdout.readline() != "ready\n"):
        sys.exit("the HTTP analysts did not sign in")
    load_before = os.getloadavg()[0]
    if clients is not None and clients.stdin is not None:
        clients.stdin.write("go\n")
        clients.stdin.flush()
    for k, page in enumerate(pages):
        page.evaluate(_LOOP, [SLIDER, seed + k, SECONDS])
    time.sleep(SECONDS)
    found: dict[str, Any] = {"latencies": [], "server": [], "waited": [], "survival": 0}
    for page in pages:
        deadline = time.monotonic() + 60
        while not page.evaluate("window.__bench.done") and time.monotonic() < deadline:
            time.sleep(0.2)
        measured = page.evaluate("window.__bench")
        for key in found:
            found[key] += measured[key]
    http: dict[str, Any] = {"latencies": [], "server": [], "waited": [], "survival": 0}
    http["failed"] = 0
    if clients is not None:
        out, _ = clients.communicate(timeout=120)
        http = json.loads(out)
    load_after = os.getloadavg()[0]
    for page in pages:
        page.context.close()
    server = found["server"] + http["server"]
    waited = found["waited"] + http["waited"]
    return {
        "count": float(len(found["latencies"])),
        **_percentiles(found["latencies"]),
        "server": float(np.median(server)) if server else float("nan"),
        "waited": float(np.median(waited)) if waited else float("nan"),
        "survival": float(found["survival"] + http["survival"]),
        "http_count": float(len(http["latencies"])) if clients is not None else float("nan"),
        "http_failed": float(http["failed"]) if clients is not None else float("nan"),
        **_percentiles(http["latencies"], "http_"),
        "load_before": load_before,
        "load_after": load_after,
    }


def _table(mode: str, rows: list[dict[str, float]]) -> tuple[Table, dict[str, float]]:
    if mode == "mixed":
        who = f"{min(BROWSERS, ANALYSTS)} in Chromium, {ANALYSTS - BROWSERS} over HTTP"
    else:
        who = f"all {ANALYSTS} in Chromium on this machine"
    table = Table(
        title=f"Editor live analysis, {mode} mode: {ANALYSTS} analysts ({who}) moving a slider "
        f"for {SECONDS} s (ceasefire-2025; slider input to plot drawn, in Chromium)"
    )
    columns = ("run", "edits", "p50 ms", "p95 ms", "p99 ms", "server ms", "queued ms")
    more = (
        "survival",
        "HTTP edits",
        "HTTP p50",
        "HTTP p95",
        "HTTP failed",
        "load before",
        "load after",
    )
    for column in (*columns, *more):
        table.add_column(column, justify="right")
    keys = ("count", "p50", "p95", "p99", "server", "waited", "survival")
    keys += ("http_count", "http_p50", "http_p95", "http_failed")
    median = {key: statistics.median(f[key] for f in rows) for key in rows[0]}
    for label, f in [*((str(k), f) for k, f in enumerate(rows, 1)), ("median", median)]:
        cells = ["-" if math.isnan(f[key]) else f"{f[key]:.0f}" for key in keys]
        table.add_row(label, *cells, f"{f['load_before']:.1f}", f"{f['load_after']:.1f}")
    return table, median


def main() -> None:
    console = Console(width=160)
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("install Debian's chromium package (apt-get install chromium)")
    env = {
        **os.environ,
        "DETENTE_MONITOR_SECRET": "bench-secret",
        "DETENTE_MONITOR_AUDIT_KEY": "bench-audit-key",
        "DETENTE_MONITOR_ADMIN_PASSWORD": PASSWORD,
    }
    modes = ("mixed", "browsers") if MODE == "both" else (MODE,)
    if MODE not in {"both", "mixed", "browsers"}:
        sys.exit(f"DETENTE_BENCH_MODE is {MODE!r}: use both, mixed or browsers")
    rows: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory(prefix="detente-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        scenario_id = _prepare(url, env)
        with serving(["serve"], url, env, ready="/login") as server, sync_playwright() as p:
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
            for index in range(RUNS):
                for mode in modes:
                    rows[mode].append(run(browser, server.base, scenario_id, index, mode))
            browser.close()
    for mode in modes:
        table, median = _table(mode, rows[mode])
        console.print(table)
        verdict = "meets" if median["p95"] < TARGET_MS else "misses"
        what = "the target's figure" if mode == "mixed" else "not the target's figure"
        console.print(
            f"{mode}: p95 {median['p95']:.0f} ms {verdict} the {TARGET_MS:.0f} ms target "
            f"({what}); load average (1 min) {median['load_before']:.1f} before, "
            f"{median['load_after']:.1f} after, on {os.cpu_count()} cores."
        )


if __name__ == "__main__":
    main()

"""The workbench benchmark's analysts without a browser: they load the server as the page does.

``benchmarks/bench_workbench.py`` runs this in a process of its own (its event loop shares no
interpreter lock with the driver of the Chromium pages):
``python -m benchmarks.workbench_clients BASE SCENARIO_ID FIRST COUNT SEED SECONDS``, for
analysts ``analyst{FIRST}`` to ``analyst{FIRST + COUNT - 1}``. Each analyst has its own
connection pool and cookie jar, as its own browser would, and does what
``src/detente/web/static/workbench-editor.js`` does. In use each analyst is on a computer of
their own; here they share the server's two cores, so the client is made cheap: aiohttp (its
HTTP parser is compiled) and orjson, about a third of the CPU per edit that httpx and the
standard JSON decoder took, which left that much more to the server:

* signs in through the login form (its CSRF token, then the session cookie), opens the editor
  page and reads from it the scenario's document and the page's CSRF token, and asks for the
  first analysis as the page does on load (``x`` and ``y`` null; the answer names the axes);
* then, until ``SECONDS`` have passed, moves the slider of Russia's weight on sanctions relief
  to a random value (the page's benchmark generator and rule: the other weights rescaled to keep
  the sum, every weight rounded to 1e-6), cancels any survival request under way, and POSTs
  ``/api/workbench/analyze`` with the edited document, the axes and seed 0 (headers
  ``Content-Type``, ``Accept`` and ``X-CSRF-Token``); it waits for the answer (one request in
  flight) and, once 600 ms pass without an edit, POSTs ``/api/workbench/analyze/survival``
  with the document and seed 0, which the next edit cancels; it thinks 0.3 to 1.2 s between
  edits.

It prints ``ready`` once every analyst is signed in with its first answer, starts on a line
``go`` on its standard input, and prints one JSON object: the round trips of the analysis
requests (send to answer read, in ms), the server's compute time (``Server-Timing``), the time
to the first byte less the compute time (network and the server's queues), survival answers
received, and failed requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import math
import re
import sys
import time
from typing import Any

import aiohttp
import orjson

PASSWORD = "bench quiet river lantern"
PARTY = "Russia"
ISSUE = "sanctions_relief"
SURVIVAL_PAUSE_S = 0.6


class Generator:
    """The page's benchmark generator (a 32-bit linear congruential one), so moves match it."""

    def __init__(self, seed: int) -> None:
        self.state = seed & 0xFFFFFFFF

    def __call__(self) -> float:
        self.state = (self.state * 1664525 + 1013904223) & 0xFFFFFFFF
        return self.state / 2**32


class Slider:
    """The weights of one party that keep their sum, moved by the page's rule."""

    def __init__(self, document: dict[str, Any]) -> None:
        party = next(p for p in document["parties"] if p["name"] == PARTY)
        self.issues: dict[str, Any] = party["preferences"]["issues"]
        self.names = [i["name"] for i in document["issues"] if i["name"] in self.issues]
        self.total = sum(float(self.issues[n].get("weight") or 0) for n in self.names) or 1.0

    def move(self, value: float) -> None:
        v = min(max(value, 0.0), self.total)
        others = [n for n in self.names if n != ISSUE]
        rest = sum(float(self.issues[n].get("weight") or 0) for n in others)
        left = self.total - v
        for n in others:
            weight = float(self.issues[n]["weight"])
            self.issues[n]["weight"] = weight * left / rest if rest > 0 else left / len(others)
        self.issues[ISSUE]["weight"] = v
        for n in self.names:  # Math.round(w * 1e6) / 1e6
            self.issues[n]["weight"] = math.floor(self.issues[n]["weight"] * 1e6 + 0.5) / 1e6


def _compute_ms(response: aiohttp.ClientResponse) -> float:
    found = re.search(r"compute;dur=([0-9.]+)", response.headers.get("server-timing", ""))
    return float(found.group(1)) if found else 0.0


class Analyst:
    """One analyst's session on the editor page, without the page's drawing."""

    def __init__(self, base: str, who: str, scenario_id: int, seed: int) -> None:
        self.base = base
        self.client = aiohttp.ClientSession(
            base_url=base,
            timeout=aiohttp.ClientTimeout(total=120),
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # the server is at an IP address
        )
        self.who = who
        self.scenario_id = scenario_id
        self.random = Generator(seed)
        self.headers: dict[str, str] = {}
        self.document: dict[str, Any] = {}
        self.axes: dict[str, Any] = {"x": None, "y": None}
        self.out: dict[str, Any] = {
            "latencies": [],
            "server": [],
            "waited": [],
            "survival": 0,
            "failed": 0,
        }

    async def open(self) -> None:
        """Sign in, open the editor page and ask for the first analysis, as the page does."""
        async with self.client.get("/login") as response:
            login = await response.text()
        token = re.search(r'name="csrf" value="([^"]*)"', login)
        form = {"username": self.who, "password": PASSWORD, "csrf": token.group(1) if token else ""}
        async with self.client.post("/login", data=form, allow_redirects=False) as signed:
            if signed.status != 303:
                sys.exit(f"{self.who} could not sign in ({signed.status})")
        async with self.client.get(f"/workbench/scenarios/{self.scenario_id}") as response:
            page = await response.text()
        csrf = re.search(r'data-csrf="([^"]*)"', page)
        script = re.search(r'id="scenario-document">(.*?)</script>', page, re.DOTALL)
        if csrf is None or script is None:
            sys.exit(f"{self.who}: the editor page has no document or CSRF token")
        self.headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-CSRF-Token": html.unescape(csrf.group(1)),
        }
        self.document = json.loads(script.group(1))
        first = await self.analyze()
        self.axes = {"x": first["x"], "y": first["y"]}
        self.out = {**self.out, "latencies": [], "server": [], "waited": []}

    async def analyze(self) -> dict[str, Any]:
        body = {"document": self.document, **self.axes, "seed": 0}
        t0 = time.perf_counter()
        async with self.client.post(
            "/api/workbench/analyze", data=orjson.dumps(body), headers=self.headers
        ) as response:
            first_byte = time.perf_counter()
            text = await response.read()
        answer: dict[str, Any] = orjson.loads(text) if response.status == 200 else {}
        if not answer:
            self.out["failed"] += 1
            return answer
        computed = _compute_ms(response)
        self.out["latencies"].append(1000 * (time.perf_counter() - t0))
        self.out["server"].append(computed)
        self.out["waited"].append(1000 * (first_byte - t0) - computed)
        return answer

    async def survival(self, key: str) -> None:
        await asyncio.sleep(SURVIVAL_PAUSE_S)
        body = {"document": self.document, "seed": 0}
        async with self.client.post(
            "/api/workbench/analyze/survival", data=orjson.dumps(body), headers=self.headers
        ) as response:
            text = await response.read()
        if response.status == 200 and orjson.loads(text).get("key") == key:
            self.out["survival"] += 1
        elif response.status != 200:
            self.out["failed"] += 1

    async def edit(self, seconds: float) -> None:
        """Move, wait for the answer, let survival start on the pause, think; again."""
        slider = Slider(self.document)
        pending: asyncio.Task[None] | None = None
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            slider.move(0.05 + 0.6 * self.random())
            if pending is not None:
                pending.cancel()
            answer = await self.analyze()
            if answer:
                pending = asyncio.create_task(self.survival(str(answer.get("key"))))
            await asyncio.sleep(0.3 + 0.9 * self.random())
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
                await pending
        await self.client.close()


async def _main(argv: list[str]) -> None:
    base, scenario, first, count, seed = argv[0], *map(int, argv[1:5])
    seconds = float(argv[5])
    who = range(first, first + count)
    analysts = [Analyst(base, f"analyst{k}", scenario, seed + k) for k in who]
    await asyncio.gather(*(a.open() for a in analysts))
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    await asyncio.gather(*(a.edit(seconds) for a in analysts))
    found: dict[str, Any] = {
        "latencies": [],
        "server": [],
        "waited": [],
        "survival": 0,
        "failed": 0,
    }
    for a in analysts:
        for key in found:
            found[key] += a.out[key]
    print(json.dumps(found), flush=True)


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:7]))

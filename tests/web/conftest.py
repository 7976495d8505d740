from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import sync_playwright

from detente.monitor.db import MonitorSettings, make_engine, migrate
from detente.web import create_app
from tests.monitor_support import (  # noqa: F401 - fixtures used by name
    backend,
    db_url,
    engine,
    factory,
    fast_password_hashing,
    pg_server,
    world,
)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The whole app served by uvicorn in a thread on a SQLite file; yields (base URL, db URL)."""
    url = f"sqlite:///{tmp_path / 'web.db'}"
    eng = make_engine(url)
    migrate(eng)
    eng.dispose()
    app = create_app(MonitorSettings(db_url=url, secret_key="browser-test"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}", url
    server.should_exit = True
    thread.join(10)
    app.state.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright."""
    executable = shutil.which("chromium")
    assert executable, "install Debian's chromium package (apt-get install chromium)"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()

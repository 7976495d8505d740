"""``detente monitor``: init, seed-demo, verify-audit (serve is exercised by the server tests)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from starlette.middleware.sessions import SessionMiddleware
from typer.testing import CliRunner

from detente.cli import app
from detente.cli import monitor as monitor_cli
from detente.monitor.db import display_url, make_engine, migrate
from detente.monitor.enums import State
from detente.monitor.models import AuditEntry, Incident, User
from tests.monitor_support import PASSWORD, _free_port

runner = CliRunner()


@pytest.mark.parametrize(
    "command", ["init", "serve", "seed-demo", "verify-audit", "rates", "export", "import"]
)
def test_help(command: str) -> None:
    result = runner.invoke(app, ["monitor", command, "--help"])
    assert result.exit_code == 0
    assert "--db" in result.output


def test_init_seed_verify(db_url: str, tmp_path: Path) -> None:
    r = runner.invoke(app, ["monitor", "seed-demo", "--db", db_url])
    assert r.exit_code == 2
    assert "detente monitor init" in r.output
    r = runner.invoke(app, ["monitor", "init", "--db", db_url, "--password", "short"])
    assert r.exit_code == 2
    assert "10 characters" in r.output
    r = runner.invoke(app, ["monitor", "init", "--db", db_url], input="night patrol ledger\n")
    assert r.exit_code == 2  # no terminal: say how to give the password instead of waiting
    assert "--password or set DETENTE_MONITOR_ADMIN_PASSWORD" in r.output
    r = runner.invoke(
        app,
        ["monitor", "init", "--db", db_url],
        env={"DETENTE_MONITOR_ADMIN_PASSWORD": "night patrol ledger"},
    )
    assert r.exit_code == 0, r.output
    assert "sqlite:" not in r.output
    r = runner.invoke(app, ["monitor", "init", "--db", db_url, "--password", "other-pass"])
    assert r.exit_code == 0
    assert "users exist" in r.output
    r = runner.invoke(app, ["monitor", "seed-demo", "--db", db_url, "--incidents", "30", "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    assert summary["incidents"] == 30
    assert set(summary["users"].values()) == {"monitor", "analyst", "liaison"}
    r = runner.invoke(app, ["monitor", "seed-demo", "--db", db_url])
    assert r.exit_code == 2
    assert "exists already" in r.output
    engine = make_engine(db_url)
    with Session(engine) as s:
        states = set(s.scalars(select(Incident.state)))
        assert len(states) >= 6
        assert State.RESOLVED in states
        assert s.scalar(select(func.count(User.id))) == 5
    r = runner.invoke(app, ["monitor", "verify-audit", "--db", db_url])
    assert r.exit_code == 0
    assert "intact" in r.output
    with Session(engine) as s, s.begin():
        s.execute(update(AuditEntry).where(AuditEntry.seq == 10).values(actor="mallory"))
    r = runner.invoke(app, ["monitor", "verify-audit", "--db", db_url, "--json"])
    assert r.exit_code == 1
    assert json.loads(r.output)["first_bad_seq"] == 10
    r = runner.invoke(app, ["monitor", "verify-audit", "--db", db_url])
    assert r.exit_code == 1
    assert "broken at entry 10" in r.output
    engine.dispose()


def test_init_asks_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(monitor_cli, "_stdin_is_terminal", lambda: True)
    db = tmp_path / "asked.db"
    typed = "night patrol ledger\nnight patrol ledger\n"
    r = runner.invoke(app, ["monitor", "init", "--db", str(db)], input=typed)
    assert r.exit_code == 0, r.output
    assert f"Database ready at {db};" in " ".join(r.output.split())


def test_serve_warns_without_a_secret_and_sets_secure_cookies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "s.db")
    assert (
        runner.invoke(app, ["monitor", "init", "--db", db, "--password", PASSWORD]).exit_code == 0
    )
    served: list[Any] = []

    def run(server: uvicorn.Server, sockets: list[socket.socket]) -> None:
        served.append((server.config.app, {"port": sockets[0].getsockname()[1]}))
        for sock in sockets:
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", run)
    port = _free_port()
    monkeypatch.delenv("DETENTE_MONITOR_SECRET", raising=False)
    r = runner.invoke(
        app,
        [
            "monitor",
            "serve",
            "--db",
            db,
            "--secure-cookies",
            "--port",
            str(port),
            "--tiles",
            "http://t/{z}/{x}/{y}.png",
            "--live-workers",
            "3",
        ],
    )
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "DETENTE_MONITOR_SECRET is not set" in out
    assert f"(database {db})" in out
    web, kw = served[0]
    assert kw["port"] == port
    assert "http://t" in web.state.settings.tile_url
    assert web.state.settings.live_workers == 3
    sessions = [m for m in web.user_middleware if m.cls is SessionMiddleware]
    assert sessions[0].kwargs["https_only"] is True
    monkeypatch.setenv("DETENTE_MONITOR_SECRET", "a-long-secret")
    r = runner.invoke(app, ["monitor", "serve", "--db", db])
    assert "DETENTE_MONITOR_SECRET is not set" not in r.output
    web, _ = served[1]
    sessions = [m for m in web.user_middleware if m.cls is SessionMiddleware]
    assert sessions[0].kwargs["https_only"] is False
    web.state.engine.dispose()
    served[0][0].state.engine.dispose()


def test_write_atomically_leaves_nothing_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "params.yaml"

    def fail(self: Path, other: Path) -> None:
        raise OSError(28, "No space left on device", str(other))

    monkeypatch.setattr(Path, "replace", fail)
    with pytest.raises(OSError, match="No space"):
        monitor_cli._write_atomically(target, "x: 1\n")
    assert list(tmp_path.iterdir()) == []


def test_rates_needs_an_admin(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(db)
    migrate(engine)
    engine.dispose()
    r = runner.invoke(app, ["monitor", "rates", "--db", db])
    assert r.exit_code == 2
    assert "no admin user" in r.output


def test_display_url() -> None:
    assert display_url("sqlite:////tmp/x.db") == "/tmp/x.db"
    assert display_url("postgresql://u:pw@h/db") == "postgresql+psycopg://u:***@h/db"
    assert display_url("sqlite://") == ":memory:"


def _one_line_exit_2(args: list[str], expected: str) -> None:
    r = runner.invoke(app, ["monitor", *args])
    assert r.exit_code == 2, r.output
    assert len(r.output.strip().splitlines()) == 1, r.output  # no traceback
    assert expected in r.output
    assert "Serving on" not in r.output


def test_operator_faults_end_in_one_line_and_leave_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "m.db"
    _one_line_exit_2(["init", "--db", str(missing), "--password", PASSWORD], "folder")
    for command in ("serve", "verify-audit", "seed-demo", "rates"):
        _one_line_exit_2([command, "--db", str(missing)], "folder")
    for command in ("serve", "verify-audit", "seed-demo", "rates"):
        _one_line_exit_2([command, "--db", str(tmp_path / "misspelt.db")], "monitor init")
    empty = tmp_path / "empty.db"
    empty.touch()
    _one_line_exit_2(["serve", "--db", str(empty)], "not initialised")
    weak = tmp_path / "weak.db"
    _one_line_exit_2(["init", "--db", str(weak), "--password", "password123"], "guess")
    read_only = f"sqlite:///file:{tmp_path / 'ro.db'}?mode=ro&uri=true"
    _one_line_exit_2(["init", "--db", read_only, "--password", PASSWORD], "cannot use")
    pg = f"postgresql://u:p@127.0.0.1:{_free_port()}/nothing"
    _one_line_exit_2(["init", "--db", pg, "--password", PASSWORD], "cannot use the database")
    _one_line_exit_2(["serve", "--db", pg], "cannot use the database")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]  # nothing created


def test_serve_says_serving_only_once_the_port_is_bound(tmp_path: Path) -> None:
    db = str(tmp_path / "m.db")
    r = runner.invoke(app, ["monitor", "init", "--db", db, "--password", PASSWORD])
    assert r.exit_code == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        _one_line_exit_2(["serve", "--db", db, "--port", str(port)], f"127.0.0.1:{port}")
    _one_line_exit_2(["serve", "--db", db, "--host", "no-such-host.invalid"], "cannot listen")


def test_serve_refuses_a_bad_number_of_live_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "w.db")
    r = runner.invoke(app, ["monitor", "init", "--db", db, "--password", PASSWORD])
    assert r.exit_code == 0
    monkeypatch.setenv("DETENTE_WORKBENCH_LIVE_WORKERS", "many")
    _one_line_exit_2(["serve", "--db", db], "DETENTE_WORKBENCH_LIVE_WORKERS")
    monkeypatch.delenv("DETENTE_WORKBENCH_LIVE_WORKERS")
    r = runner.invoke(app, ["serve", "--db", db, "--live-workers", "-1"])
    assert r.exit_code == 2
    assert "Invalid value for '--live-workers'" in " ".join(r.output.split())


def test_seed_demo_text_output(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    assert (
        runner.invoke(app, ["monitor", "init", "--db", db, "--password", PASSWORD]).exit_code == 0
    )
    r = runner.invoke(app, ["monitor", "seed-demo", "--db", db, "--incidents", "5"])
    assert r.exit_code == 0, r.output
    assert "Demo agreement 1 with 5 incidents" in r.output
    assert "demo-liaison2" in r.output


def test_bad_db_url() -> None:
    r = runner.invoke(app, ["monitor", "verify-audit", "--db", "mysql://x/y"])
    assert r.exit_code == 2
    assert "unsupported database" in r.output
    r = runner.invoke(app, ["monitor", "init", "--db", "sqlite+nothing:://"])
    assert r.exit_code == 2

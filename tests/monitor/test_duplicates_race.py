"""Two monitors deciding one proposed pair at once: the first decides, the second gets a 409.

Each monitor works through a server of their own (two apps on one database, as two server
processes would be), through the JSON API or through the incident page's forms. The first
request's transaction is held open just after its write until the second request has come
as far as it can (on PostgreSQL: until it waits for a lock), so the two overlap every time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import audit, duplicates, service
from detente.monitor.db import MonitorSettings
from detente.monitor.enums import IncidentType, State
from detente.monitor.models import AuditEntry, DuplicateDismissal, Incident, User
from detente.monitor.schemas import IncidentIn
from detente.web import create_app
from tests.monitor_support import PASSWORD, World

T0 = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
#: What the first monitor did, as the second one's refusal says it ("... by admin at <time>").
BY_ADMIN = r"by admin at \d{4}-\d\d-\d\d \d\d:\d\d UTC"
DECISIONS = {"incident.merge", "duplicate.dismiss", "incident.unmerge", "duplicate.restore"}


def _pair(factory: sessionmaker[Session], world: World) -> tuple[int, int]:
    """Two reports of one shelling, 100 m and 5 minutes apart."""
    with factory() as s, s.begin():
        monitor = s.get(User, world.users["monitor"])
        assert monitor is not None
        ids = []
        for minutes, latitude in ((0, 45.2), (5, 45.2009)):
            body = IncidentIn(
                agreement_id=world.agreement_id,
                occurred_at=T0 + dt.timedelta(minutes=minutes),
                type=IncidentType.SHELLING,
                sector_id=world.sector_ids[0],
                latitude=latitude,
                longitude=20.2,
            )
            ids.append(service.create_incident(s, monitor, body).id)
    return ids[0], ids[1]


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


class Desk:
    """One monitor at a server of their own: decides through the API or the page's forms."""

    def __init__(self, client: TestClient, who: str, *, pages: bool) -> None:
        self.client = client
        self.pages = pages
        if pages:
            token = _csrf(client.get("/login").text)
            client.post("/login", data={"csrf": token, "username": who, "password": PASSWORD})
            self.csrf = _csrf(client.get("/incidents").text)
        else:
            r = client.post("/api/token", json={"username": who, "password": PASSWORD})
            self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    def decide(self, what: str, incident: int, other: int) -> Any:
        """Merge ``other`` into ``incident``, dismiss or restore the pair, or undo the merge
        of ``other``, as a monitor would."""
        path = {
            "merge": "merge",
            "dismiss": "dismiss-duplicate",
            "restore": "restore-duplicate",
            "unmerge": "unmerge",
        }[what]
        if what == "unmerge":
            incident = other
        if self.pages:
            form = {"csrf": self.csrf, "reason": "seen it"}
            form |= {} if what == "unmerge" else {"other_id": str(other)}
            return self.client.post(
                f"/incidents/{incident}/{path}", data=form, follow_redirects=False
            )
        body: dict[str, Any] = {"reason": "seen it"}
        if what != "unmerge":
            body |= {"duplicate_ids": [other]} if what == "merge" else {"other_id": other}
        return self.client.post(
            f"/api/incidents/{incident}/{path}", json=body, headers=self.headers
        )


def _waiting_for_a_lock(factory: sessionmaker[Session]) -> Callable[[], None]:
    """Return once another transaction waits for a lock (PostgreSQL), or after a moment (SQLite).

    SQLite lets one writer at a time in, so the second request waits for the first
    transaction's end whichever way; a moment gives it the time to come that far.
    """
    engine = factory.kw["bind"]

    def wait() -> None:
        if engine.dialect.name != "postgresql":
            time.sleep(0.3)
            return
        deadline = time.monotonic() + 10
        with engine.connect() as conn:
            while time.monotonic() < deadline:
                waiting = conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
                if waiting.scalar_one():
                    return
                conn.rollback()
                time.sleep(0.01)
        pytest.fail("the second request never waited for the first one's locks")

    return wait


@pytest.fixture
def desks(db_url: str, world: World) -> Iterator[Callable[[bool], tuple[Desk, Desk]]]:
    """The admin and the monitor, each at a server of their own on the one database."""
    with ExitStack() as stack:

        def make(pages: bool) -> tuple[Desk, Desk]:
            made = []
            for who in ("admin", "monitor"):
                app = create_app(MonitorSettings(db_url=db_url, secret_key="race"))
                stack.callback(app.state.engine.dispose)
                client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
                made.append(Desk(client, who, pages=pages))
            return made[0], made[1]

        yield make


def _detail(r: Any) -> str:
    """The refusal's message (JSON) or page; the status and location of a redirect."""
    if r.headers.get("content-type", "").startswith("application/json"):
        return str(r.json()["detail"])
    return r.text or f"{r.status_code} {r.headers.get('location')}"


@dataclasses.dataclass(frozen=True)
class Race:
    """What the two monitors do, where, and how the second is refused (``{a}``, ``{b}``)."""

    first: str
    second: str
    refusal: str
    pages: bool


RACES = [
    pytest.param(Race(first, second, refusal, pages), id=f"{first}-{second}-{where}")
    for first, second, refusal in [
        ("dismiss", "dismiss", "incidents {a} and {b} were already judged different events"),
        ("merge", "merge", "merge incident {b} into incident {a}: it was already merged into"),
        ("merge", "dismiss", "incident {b} was merged into incident {a}"),
        ("dismiss", "merge", "merge incident {b} into incident {a}: they were judged different"),
    ]
    for pages, where in [(False, "api"), (True, "pages")]
]


def _race(
    desks: tuple[Desk, Desk],
    factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    first: Callable[[Desk], Any],
    second: Callable[[Desk], Any],
) -> tuple[Any, Any]:
    """The admin's decision and the monitor's, the second sent while the first is held open."""
    admin, monitor = desks
    inside = threading.Event()
    second_waits = _waiting_for_a_lock(factory)
    record = audit.record

    def record_then_hold(session: Session, **entry: Any) -> AuditEntry:
        written = record(session, **entry)
        if entry["action"] in DECISIONS and not inside.is_set():
            inside.set()  # the first decision is written, not yet committed
            second_waits()
        return written

    monkeypatch.setattr(audit, "record", record_then_hold)
    answers: dict[str, Any] = {}

    def run(name: str, call: Callable[[], Any]) -> None:
        answers[name] = call()

    one = threading.Thread(target=run, args=("first", lambda: first(admin)))
    two = threading.Thread(target=run, args=("second", lambda: second(monitor)))
    one.start()
    assert inside.wait(30), "the first decision never reached the audit log"
    two.start()
    one.join(60)
    two.join(60)
    return answers["first"], answers["second"]


@pytest.mark.parametrize("race", RACES)
def test_the_second_of_two_simultaneous_decisions_is_a_conflict(
    desks: Callable[[bool], tuple[Desk, Desk]],
    factory: sessionmaker[Session],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    race: Race,
) -> None:
    first, second, pages = race.first, race.second, race.pages
    a, b = _pair(factory, world)
    # The second monitor acts from the other report's page (the same pair either way), and
    # merges the way the first did.
    answers = dict(
        zip(
            ("first", "second"),
            _race(
                desks(pages),
                factory,
                monkeypatch,
                lambda admin: admin.decide(first, a, b),
                lambda monitor: monitor.decide(second, *((a, b) if second == "merge" else (b, a))),
            ),
            strict=True,
        )
    )

    ok = {"merge": 200, "dismiss": 201} if not pages else {"merge": 303, "dismiss": 303}
    assert answers["first"].status_code == ok[first], _detail(answers["first"])
    late = answers["second"]
    assert late.status_code == 409, _detail(late)
    message = race.refusal.format(a=a, b=b)
    assert re.search(re.escape(message) + r".* " + BY_ADMIN, _detail(late)), _detail(late)
    if not pages:
        body = late.json()
        assert body["decided_by"] == "admin"
        decided = dt.datetime.fromisoformat(body["decided_at"])
        assert abs(dt.datetime.now(dt.UTC) - decided) < dt.timedelta(minutes=5)

    # One decision stored, the refused one left nothing; the log replays to the rows.
    with factory() as s:
        merged = s.scalars(select(Incident.id).where(Incident.state == State.MERGED)).all()
        dismissed = s.scalar(select(func.count()).select_from(DuplicateDismissal))
        decisions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.action.in_(DECISIONS))
        ).all()
        assert (list(merged), dismissed) == (([b], 0) if first == "merge" else ([], 1))
        assert list(decisions) == ["incident.merge" if first == "merge" else "duplicate.dismiss"]
        assert audit.verify_chain(s).ok


@dataclasses.dataclass(frozen=True)
class Undo:
    """A decision taken beforehand, then two at once; the second refused with ``refusal``."""

    before: tuple[str, ...]
    first: str
    second: str
    refusal: str | None
    pages: bool


UNDOS = [
    pytest.param(Undo(before, first, second, refusal, pages), id=f"{first}-{second}-{where}")
    for before, first, second, refusal in [
        (
            ("merge",),
            "unmerge",
            "unmerge",
            "incident {b} is not merged: its merge was already undone",
        ),
        (
            ("dismiss",),
            "restore",
            "restore",
            "the dismissal of incidents {a} and {b} was already undone",
        ),
        (("dismiss", "restore"), "merge", "restore", "incident {b} was merged into incident {a}"),
        # Restored first, the pair may be merged: the merge goes through.
        (("dismiss",), "restore", "merge", None),
    ]
    for pages, where in [(False, "api"), (True, "pages")]
]


def _decide_before(factory: sessionmaker[Session], world: World, what: str, a: int, b: int) -> None:
    with factory() as s, s.begin():
        monitor = s.get(User, world.users["monitor"])
        assert monitor is not None
        if what == "merge":
            duplicates.merge(s, monitor, a, [b], "same event")
        elif what == "dismiss":
            duplicates.dismiss(s, monitor, a, b, "two events")
        else:
            duplicates.restore(s, monitor, a, b, "one event after all")


@pytest.mark.parametrize("race", UNDOS)
def test_undoing_a_decision_twice_at_once_is_a_conflict(
    desks: Callable[[bool], tuple[Desk, Desk]],
    factory: sessionmaker[Session],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    race: Undo,
) -> None:
    a, b = _pair(factory, world)
    for what in race.before:
        _decide_before(factory, world, what, a, b)
    with factory() as s:
        seq = s.scalar(select(func.max(AuditEntry.seq)))
    # The second monitor acts from the other report's page, merging the way the first would.
    first, late = _race(
        desks(race.pages),
        factory,
        monkeypatch,
        lambda admin: admin.decide(race.first, a, b),
        lambda monitor: monitor.decide(
            race.second, *((a, b) if race.second in {"merge", "unmerge"} else (b, a))
        ),
    )
    assert first.status_code == (303 if race.pages else 200), _detail(first)
    if race.refusal is None:
        assert late.status_code == (303 if race.pages else 200), _detail(late)
    else:
        assert late.status_code == 409, _detail(late)
        message = race.refusal.format(a=a, b=b)
        assert re.search(re.escape(message) + r".* " + BY_ADMIN, _detail(late)), _detail(late)
        if not race.pages:
            assert late.json()["decided_by"] == "admin"
            decided = dt.datetime.fromisoformat(late.json()["decided_at"])
            assert abs(dt.datetime.now(dt.UTC) - decided) < dt.timedelta(minutes=5)

    # What each decision leaves, once: the refused one left nothing; the log replays.
    audited = {"unmerge": "incident.unmerge", "restore": "duplicate.restore"}
    audited |= {"merge": "incident.merge"}
    done = [race.first] if race.refusal else [race.first, race.second]
    with factory() as s:
        merged = s.scalars(select(Incident.id).where(Incident.state == State.MERGED)).all()
        dismissed = s.scalar(select(func.count()).select_from(DuplicateDismissal))
        decisions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.seq > seq).order_by(AuditEntry.seq)
        ).all()
        assert list(decisions) == [audited[what] for what in done]
        assert (list(merged), dismissed) == (([b], 0) if "merge" in done else ([], 0))
        assert audit.verify_chain(s).ok

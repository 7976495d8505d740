"""The library's services: versions, conflicts, roles, imports, deletes, and the audit log."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import audit
from detente.monitor.errors import InputError, NotFoundError, PermissionDeniedError
from detente.monitor.models import AuditEntry, User
from detente.scenario.formats.native import dump_native, load_native, native_document
from detente.scenario.io import builtin_path
from detente.workbench import library as lib
from detente.workbench.diff import ChangeKind, diff_documents
from detente.workbench.errors import InvalidDocumentError, VersionConflictError
from detente.workbench.models import ScenarioRecord, ScenarioVersion
from detente.workbench.transfer import ExportFormat, UploadError
from tests.monitor_support import World


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """SQLite unless a test asks for both backends."""
    return str(request.param)


Factory = sessionmaker[Session]


def run(factory: Factory, who: str, work: Callable[[Session, User], Any]) -> Any:
    """One transaction as the user called ``who``."""
    with factory() as s, s.begin():
        actor = s.scalars(select(User).where(User.username == who)).one()
        return work(s, actor)


def ceasefire() -> dict[str, Any]:
    return native_document(load_native(builtin_path("ceasefire-2025")))


def heavier(document: dict[str, Any], weight: float) -> dict[str, Any]:
    """Russia's weight on sanctions relief set to ``weight``."""
    out = copy.deepcopy(document)
    out["parties"][0]["preferences"]["issues"]["sanctions_relief"]["weight"] = weight
    return out


def count(factory: Factory, table: type) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_create_save_and_read_any_version(factory: Factory, world: World) -> None:
    made = run(factory, "analyst", lambda s, a: lib.create_scenario(s, a, builtin="ceasefire-2025"))
    assert (made.version, made.latest_version, made.name) == (1, 1, "ceasefire-2025")
    assert made.document == ceasefire()
    saved = run(
        factory,
        "admin",
        lambda s, a: lib.save_scenario(
            s, a, made.id, heavier(made.document, 0.3), base_version=1, message=" more weight "
        ),
    )
    assert (saved.version, saved.saved_by, saved.message) == (2, "admin", "more weight")
    first = run(factory, "monitor", lambda s, a: lib.get_scenario(s, a, made.id, 1))
    latest = run(factory, "monitor", lambda s, a: lib.get_scenario(s, a, made.id))
    assert (first.version, first.latest_version, first.document) == (1, 2, made.document)
    assert latest.document == heavier(made.document, 0.3)
    versions = run(factory, "analyst", lambda s, a: lib.history(s, a, made.id))
    assert [(v.version, v.saved_by) for v in versions] == [(2, "admin"), (1, "analyst")]
    listed = run(factory, "monitor", lib.list_scenarios)
    assert [(x.id, x.version, x.saved_by, x.created_by) for x in listed] == [
        (made.id, 2, "admin", "analyst")
    ]
    changes = run(factory, "analyst", lambda s, a: lib.diff_versions(s, a, made.id, 1, 2))
    assert [(c.kind, c.before, c.after) for c in changes] == [(ChangeKind.WEIGHT, 0.15, 0.3)]
    with pytest.raises(NotFoundError, match="no version 3 \\(its versions are 1 to 2\\)"):
        run(factory, "analyst", lambda s, a: lib.get_scenario(s, a, made.id, 3))


def test_a_stale_save_is_a_conflict_naming_who_saved(factory: Factory, world: World) -> None:
    made = run(factory, "analyst", lambda s, a: lib.create_scenario(s, a, builtin="ceasefire-2025"))
    run(
        factory,
        "admin",
        lambda s, a: lib.save_scenario(s, a, made.id, heavier(made.document, 0.3), base_version=1),
    )
    entries = count(factory, AuditEntry)
    with pytest.raises(VersionConflictError) as info:
        run(
            factory,
            "analyst",
            lambda s, a: lib.save_scenario(
                s, a, made.id, heavier(made.document, 0.9), base_version=1
            ),
        )
    err = info.value
    assert (err.status, err.current_version, err.saved_by) == (409, 2, "admin")
    assert "saved as version 2 by admin since version 1" in err.message
    assert count(factory, ScenarioVersion) == 2
    assert count(factory, AuditEntry) == entries
    for base in (0, 3):
        with pytest.raises(VersionConflictError):
            run(factory, "analyst", lambda s, a, b=base: lib.save_scenario(
                s, a, made.id, made.document, base_version=b))  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_saves_from_one_version_let_exactly_one_through(
    factory: Factory, world: World
) -> None:
    made = run(factory, "analyst", lambda s, a: lib.create_scenario(s, a, builtin="ceasefire-2025"))
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def save(k: int) -> None:
        start.wait()
        try:
            run(factory, "analyst", lambda s, a: lib.save_scenario(
                s, a, made.id, heavier(made.document, 0.2 + k / 10), base_version=1))  # fmt: skip
            outcomes.append("saved")
        except VersionConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 5 + ["saved"]
    assert count(factory, ScenarioVersion) == 2
    with factory() as s:
        assert audit.verify_chain(s).ok


def test_an_invalid_save_lists_every_problem_and_stores_nothing(
    factory: Factory, world: World
) -> None:
    made = run(factory, "analyst", lambda s, a: lib.create_scenario(s, a, name="Talks"))
    bad = copy.deepcopy(made.document)
    bad["parties"][0]["reservation_value"] = 2
    bad["parties"][1]["preferences"]["issues"]["issue_1"]["weight"] = -1
    with pytest.raises(InvalidDocumentError) as info:
        run(factory, "analyst", lambda s, a: lib.save_scenario(
            s, a, made.id, bad, base_version=1))  # fmt: skip
    err = info.value
    assert err.status == 422
    assert [e.path for e in err.errors] == [
        "parties.0.reservation_value",
        "parties.1.preferences.issues.issue_1.weight",
    ]
    assert err.field == "document.parties.0.reservation_value"
    assert err.message == "Input should be less than or equal to 1 (and 1 more)"
    assert count(factory, ScenarioVersion) == 1
    with factory() as s:
        assert s.get(ScenarioRecord, made.id).version == 1  # type: ignore[union-attr]


def test_create_blank_named_or_refused(factory: Factory, world: World) -> None:
    blank = run(factory, "admin", lambda s, a: lib.create_scenario(s, a, name="Talks", message="m"))
    assert blank.document["name"] == "Talks"
    assert len(blank.document["parties"]) == 2
    named = run(factory, "admin", lambda s, a: lib.create_scenario(
        s, a, builtin="ceasefire-2025", name="Ours"))  # fmt: skip
    assert named.name == "Ours"
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({}, InputError, "a blank scenario needs a name"),
        ({"name": ""}, InvalidDocumentError, "at least 1 character"),
        ({"builtin": "nope"}, InputError, "no built-in scenario 'nope' (built-ins: ceasefire-2025"),
        ({"name": "x", "message": "m" * 2001}, InputError, "at most 2000 characters"),
        ({"name": "x", "message": "a\x00"}, InputError, "NUL"),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error, match=message.replace("(", "\\(")):
            run(factory, "admin", lambda s, a, k=kwargs: lib.create_scenario(s, a, **k))
    assert count(factory, ScenarioRecord) == 2


def test_duplicate_copies_a_version_under_a_new_name(factory: Factory, world: World) -> None:
    made = run(factory, "analyst", lambda s, a: lib.create_scenario(s, a, builtin="ceasefire-2025"))
    run(factory, "analyst", lambda s, a: lib.save_scenario(
        s, a, made.id, heavier(made.document, 0.3), base_version=1))  # fmt: skip
    copied = run(factory, "analyst", lambda s, a: lib.duplicate_scenario(s, a, made.id, version=1))
    assert copied.id != made.id
    assert (copied.version, copied.name) == (1, "ceasefire-2025 (copy)")
    assert copied.message == f"copy of scenario {made.id} version 1"
    assert diff_documents(made.document, copied.document)[0].path == "name"
    assert len(diff_documents(made.document, copied.document)) == 1
    renamed = run(factory, "analyst", lambda s, a: lib.duplicate_scenario(s, a, made.id, name="B"))
    assert renamed.document == {**heavier(made.document, 0.3), "name": "B"}


def test_delete_is_soft_and_final_for_the_library(factory: Factory, world: World) -> None:
    made = run(factory, "analyst", lambda s, a: lib.create_scenario(s, a, name="Talks"))
    run(factory, "analyst", lambda s, a: lib.delete_scenario(s, a, made.id))
    assert run(factory, "analyst", lib.list_scenarios) == []
    for work in (
        lambda s, a: lib.get_scenario(s, a, made.id),
        lambda s, a: lib.history(s, a, made.id),
        lambda s, a: lib.delete_scenario(s, a, made.id),
        lambda s, a: lib.save_scenario(s, a, made.id, made.document, base_version=1),
        lambda s, a: lib.duplicate_scenario(s, a, made.id),
    ):
        with pytest.raises(NotFoundError, match=f"no scenario {made.id}"):
            run(factory, "analyst", work)
    with factory() as s:
        record = s.get(ScenarioRecord, made.id)
        assert record is not None
        assert record.deleted_at is not None
    assert count(factory, ScenarioVersion) == 1


def test_import_stores_the_scenario_or_nothing(factory: Factory, world: World) -> None:
    text = dump_native(load_native(builtin_path("ceasefire-2025")))
    done = run(factory, "analyst", lambda s, a: lib.import_scenario(s, a, "c.yaml", text.encode()))
    assert (done.format, done.repairs, done.scenario.document) == ("native", (), ceasefire())
    before = (count(factory, ScenarioRecord), count(factory, AuditEntry))
    with pytest.raises(UploadError, match="malformed YAML"):
        run(factory, "analyst", lambda s, a: lib.import_scenario(s, a, "c.yaml", b"name: [x"))
    assert (count(factory, ScenarioRecord), count(factory, AuditEntry)) == before


def test_export_is_the_stored_version(factory: Factory, world: World) -> None:
    made = run(factory, "analyst", lambda s, a: lib.create_scenario(s, a, builtin="ceasefire-2025"))
    run(factory, "analyst", lambda s, a: lib.save_scenario(
        s, a, made.id, heavier(made.document, 0.3), base_version=1))  # fmt: skip
    old = run(factory, "monitor", lambda s, a: lib.export_scenario(
        s, a, made.id, ExportFormat.JSON, version=1))  # fmt: skip
    new = run(factory, "monitor", lambda s, a: lib.export_scenario(
        s, a, made.id, ExportFormat.JSON))  # fmt: skip
    assert json.loads(old.content) == made.document
    assert json.loads(new.content) == heavier(made.document, 0.3)
    assert new.filename == "ceasefire-2025.json"


def test_every_write_is_in_the_audit_chain_with_the_documents_checksum(
    factory: Factory, world: World
) -> None:
    made = run(factory, "analyst", lambda s, a: lib.create_scenario(s, a, name="Talks"))
    run(factory, "admin", lambda s, a: lib.save_scenario(
        s, a, made.id, {**made.document, "title": "t"}, base_version=1, message="why"))  # fmt: skip
    run(factory, "admin", lambda s, a: lib.delete_scenario(s, a, made.id))
    with factory() as s:
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "scenario").order_by(AuditEntry.seq)
        ).all()
        rows = s.scalars(select(ScenarioVersion).order_by(ScenarioVersion.version)).all()
        assert [(e.action, e.actor, e.object_id) for e in entries] == [
            ("scenario.create", "analyst", made.id),
            ("scenario.save", "admin", made.id),
            ("scenario.delete", "admin", made.id),
        ]
        payloads = [json.loads(e.payload) for e in entries]
        assert [p.get("sha256") for p in payloads[:2]] == [r.sha256 for r in rows]
        assert payloads[0]["source"] == "blank"
        assert (payloads[1]["version"], payloads[1]["base_version"]) == (2, 1)
        assert payloads[1]["message"] == "why"
        assert audit.verify_chain(s).ok


READS: list[Callable[[Session, User, int], Any]] = [
    lambda s, a, i: lib.list_scenarios(s, a),
    lib.get_scenario,
    lib.history,
    lambda s, a, i: lib.diff_versions(s, a, i, 1, 1),
    lambda s, a, i: lib.export_scenario(s, a, i, ExportFormat.YAML),
]
WRITES: list[Callable[[Session, User, int], Any]] = [
    lambda s, a, i: lib.create_scenario(s, a, name="x"),
    lambda s, a, i: lib.import_scenario(s, a, "x.yaml", b"name: x"),
    lib.duplicate_scenario,
    lambda s, a, i: lib.save_scenario(s, a, i, {}, base_version=1),
    lambda s, a, i: lib.delete_scenario(s, a, 10**6),
]


def test_who_may_read_and_edit(factory: Factory, world: World) -> None:
    made = run(factory, "analyst", lambda s, a: lib.create_scenario(s, a, name="Talks"))
    allowed = {
        "admin": (True, True),
        "analyst": (True, True),
        "monitor": (True, False),
        "liaison_red": (False, False),
    }
    for who, (reads, writes) in allowed.items():
        for works, ops in ((reads, READS), (writes, WRITES)):
            for op in ops:
                if works:
                    try:
                        run(factory, who, lambda s, a, o=op: o(s, a, made.id))
                    except PermissionDeniedError:  # pragma: no cover - the failure to report
                        pytest.fail(f"{who} was refused")
                    except (InputError, NotFoundError, UploadError):
                        pass  # allowed to try: refused for the input, not the role
                else:
                    with pytest.raises(PermissionDeniedError, match="may not do this"):
                        run(factory, who, lambda s, a, o=op: o(s, a, made.id))


def test_a_document_over_the_size_limit_is_refused(
    factory: Factory, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lib, "MAX_DOCUMENT_BYTES", 100)
    with pytest.raises(InputError, match="bytes as JSON, over the 100-byte limit"):
        run(factory, "analyst", lambda s, a: lib.create_scenario(s, a, name="Talks"))
    assert count(factory, ScenarioRecord) == 0

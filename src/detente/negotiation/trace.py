"""Traces: every offer of a session and its result; saved as JSON lines or Parquet.

A JSON-lines trace has one header line (``{"kind": "session", ...}``: the set-up and the
result) followed by one line per offer (``{"kind": "offer", ...}``). A Parquet trace holds the
offers as columns and the header as JSON in the schema metadata under ``detente``.

A trace fresh from a session also holds the session's outcome space, for its report (the
distances to the Nash solution and to the Pareto frontier); the space is neither written to a
file nor pickled, so a trace read back or sent to another process has none.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from detente.display import HTMLRepr
from detente.errors import DetenteError, FormatError
from detente.files import atomic_path
from detente.space import OutcomeSpace

__all__ = ["Trace", "load_trace", "save_trace"]

_HEADER_FIELDS = (
    "scenario",
    "protocol",
    "parties",
    "strategies",
    "mediator",
    "seed",
    "deadline_rounds",
    "deadline_seconds",
    "discounts",
    "result",
    "agreement",
    "agreement_deal",
    "final_utilities",
    "rounds",
    "ended_by",
    "roles",
    "chair",
)


@dataclass(frozen=True, eq=False)
class Trace(HTMLRepr):
    """One session, offer by offer, with its result.

    In a notebook a trace shows itself as the session's HTML report.

    Attributes:
        scenario: the scenario's name.
        protocol: ``"alternating"`` or ``"single-text"``.
        parties: party names, in table order.
        strategies: each party's strategy spec (``name`` or ``name:key=value``).
        mediator: the mediator's spec (single-text protocol), else ``None``.
        seed: the root seed (every party's stream is spawned from it).
        deadline_rounds: the deadline in rounds, if any.
        deadline_seconds: the deadline in seconds, if any.
        discounts: each party's per-round discount factor.
        offer_rounds: ``(k,)`` round of each offer (from 0).
        offer_times: ``(k,)`` relative time of each offer, in [0, 1].
        proposers: ``(k,)`` party position of each proposer (-1: the mediator).
        outcomes: ``(k,)`` flat index of each offered deal.
        utilities: ``(k, n_parties)`` each party's (undiscounted) utility of each offer.
        result: ``"agreement"``, ``"walk-away"``, ``"deadline"`` or ``"impasse"`` (the
            single-text mediator has no new text).
        agreement: flat index of the agreed deal, else ``None``.
        agreement_deal: ``{issue: option}`` of the agreed deal, else ``None``.
        final_utilities: each party's payoff: its discounted utility of the agreement, or its
            reservation value without one.
        rounds: rounds played.
        ended_by: the party that accepted last or walked away (-1 at the deadline).
        roles: each party's role in the scenario (empty in traces written before roles were
            recorded).
        chair: the party that chaired the single text (the scenario's mediator), else
            ``None`` (alternating offers, or an outside mediator).
        space: the outcome space the session was played on, kept by
            :func:`~detente.negotiation.protocols.negotiate` for the report; ``None`` in a
            trace read from a file or unpickled. Not part of the trace's data: not written,
            not pickled, not in the ``repr``; copies share it.
    """

    scenario: str
    protocol: str
    parties: tuple[str, ...]
    strategies: tuple[str, ...]
    mediator: str | None
    seed: int
    deadline_rounds: int | None
    deadline_seconds: float | None
    discounts: tuple[float, ...]
    offer_rounds: np.ndarray
    offer_times: np.ndarray
    proposers: np.ndarray
    outcomes: np.ndarray
    utilities: np.ndarray
    result: str
    agreement: int | None
    agreement_deal: dict[str, Any] | None
    final_utilities: tuple[float, ...]
    rounds: int
    ended_by: int
    roles: tuple[str, ...] = ()
    chair: str | None = None
    space: OutcomeSpace | None = field(default=None, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        """The pickled state: every field, without the outcome space."""
        return {**vars(self), "space": None}

    def __copy__(self) -> Trace:
        """A shallow copy that keeps the outcome space."""
        return Trace(**{f.name: getattr(self, f.name) for f in fields(self)})

    def __deepcopy__(self, memo: dict[int, Any]) -> Trace:
        """A deep copy of the data that shares the (read-only) outcome space."""
        data = {
            f.name: copy.deepcopy(getattr(self, f.name), memo)
            for f in fields(self)
            if f.name != "space"
        }
        return Trace(**data, space=self.space)

    def __repr__(self) -> str:
        """A summary: scenario, protocol, who played what, and the outcome."""
        seats = ", ".join(f"{p}={s}" for p, s in zip(self.parties, self.strategies, strict=True))
        payoffs = ", ".join(
            f"{p} {u:.3f}" for p, u in zip(self.parties, self.final_utilities, strict=True)
        )
        return (
            f"<Trace {self.scenario!r} {self.protocol} ({seats}): {self.result} after "
            f"{self.rounds} rounds, {len(self)} offers; payoffs {payoffs}>"
        )

    def __len__(self) -> int:
        """Number of offers."""
        return int(self.outcomes.shape[0])

    def header(self) -> dict[str, Any]:
        """The set-up and result as plain JSON values."""
        out = {name: getattr(self, name) for name in _HEADER_FIELDS}
        out["parties"] = list(self.parties)
        out["strategies"] = list(self.strategies)
        out["discounts"] = list(self.discounts)
        out["roles"] = list(self.roles)
        out["final_utilities"] = list(self.final_utilities)
        return out

    def summary(self) -> dict[str, Any]:
        """The machine contract of ``detente negotiate --json``."""
        return {
            "agreement": self.agreement_deal,
            "utilities": dict(zip(self.parties, self.final_utilities, strict=True)),
            "rounds": self.rounds,
            "protocol": self.protocol,
            "strategies": dict(zip(self.parties, self.strategies, strict=True)),
            "roles": dict(zip(self.parties, self.roles, strict=True)) if self.roles else {},
            "chair": self.chair,
        }

    def same_play(self, other: Trace) -> bool:
        """Same set-up, same offers and same result (times aside for deadlines in seconds)."""
        return (
            self.header() == other.header()
            and np.array_equal(self.offer_rounds, other.offer_rounds)
            and np.array_equal(self.proposers, other.proposers)
            and np.array_equal(self.outcomes, other.outcomes)
            and np.array_equal(self.utilities, other.utilities)
            and (
                self.deadline_seconds is not None
                or np.allclose(self.offer_times, other.offer_times)
            )
        )


def save_trace(trace: Trace, path: str | Path, deals: list[dict[str, Any]] | None = None) -> Path:
    """Write ``trace`` as JSON lines (``*.jsonl``) or Parquet (``*.parquet``).

    Args:
        trace: the trace.
        path: the file; its suffix chooses the format.
        deals: optional ``{issue: option}`` of each offer, written beside the index (JSON lines).

    Raises:
        FormatError: unknown suffix.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in {".jsonl", ".parquet"}:
        raise FormatError("unknown trace format (use .jsonl or .parquet)", source=target)
    with atomic_path(target) as tmp:
        if suffix == ".jsonl":
            with tmp.open("w", encoding="utf-8") as out:
                out.write(json.dumps({"kind": "session", **trace.header()}, ensure_ascii=False))
                out.write("\n")
                for k in range(len(trace)):
                    line: dict[str, Any] = {
                        "kind": "offer",
                        "round": int(trace.offer_rounds[k]),
                        "time": float(trace.offer_times[k]),
                        "proposer": int(trace.proposers[k]),
                        "outcome": int(trace.outcomes[k]),
                        "utilities": [float(u) for u in trace.utilities[k]],
                    }
                    if deals is not None:
                        line["deal"] = deals[k]
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")
        else:
            pa, pq = _pyarrow()
            columns: dict[str, Any] = {
                "round": pa.array(trace.offer_rounds, pa.int64()),
                "time": pa.array(trace.offer_times, pa.float64()),
                "proposer": pa.array(trace.proposers, pa.int64()),
                "outcome": pa.array(trace.outcomes, pa.int64()),
            }
            for p, party in enumerate(trace.parties):
                columns[f"utility:{party}"] = pa.array(trace.utilities[:, p], pa.float64())
            table = pa.table(columns).replace_schema_metadata(
                {"detente": json.dumps(trace.header(), ensure_ascii=False)}
            )
            pq.write_table(table, tmp)
    return target


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa  # noqa: PLC0415 - optional 'parquet' extra
        import pyarrow.parquet as pq  # noqa: PLC0415
    except ImportError:  # pragma: no cover - depends on the install
        raise DetenteError(
            "Parquet needs the 'parquet' extra: pip install 'detente[parquet]'"
        ) from None
    return pa, pq


def load_trace(path: str | Path) -> Trace:
    """Read a trace written by :func:`save_trace`.

    Raises:
        FormatError: the file is missing, of unknown format or malformed.
    """
    source = Path(path)
    if not source.is_file():
        raise FormatError("no such trace file", source=source)
    suffix = source.suffix.lower()
    if suffix == ".jsonl":
        return _load_jsonl(source)
    if suffix == ".parquet":
        pa, pq = _pyarrow()
        try:
            table = pq.read_table(source)
            header = json.loads((table.schema.metadata or {})[b"detente"])
        except (KeyError, ValueError, pa.ArrowException) as exc:
            raise FormatError(f"not a detente trace: {exc}", source=source) from None
        n = table.num_rows
        utilities = np.column_stack(
            [table.column(f"utility:{p}").to_numpy() for p in header["parties"]]
        ).reshape(n, len(header["parties"]))
        return _build(
            header,
            rounds=table.column("round").to_numpy(),
            times=table.column("time").to_numpy(),
            proposers=table.column("proposer").to_numpy(),
            outcomes=table.column("outcome").to_numpy(),
            utilities=utilities,
            source=source,
        )
    raise FormatError("unknown trace format (use .jsonl or .parquet)", source=source)


def _load_jsonl(source: Path) -> Trace:
    header: dict[str, Any] | None = None
    offers: list[dict[str, Any]] = []
    with source.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                kind = record["kind"]
            except (ValueError, KeyError, TypeError):
                raise FormatError("malformed trace line", source=source, line=number) from None
            if kind == "session" and header is None:
                header = record
            elif kind == "offer" and header is not None:
                offers.append(record)
            else:
                raise FormatError(f"unexpected {kind!r} record", source=source, line=number)
    if header is None:
        raise FormatError("empty trace (no session header)", source=source)
    n_parties = len(header.get("parties", []))
    try:
        return _build(
            header,
            rounds=np.array([o["round"] for o in offers], dtype=np.int64),
            times=np.array([o["time"] for o in offers], dtype=np.float64),
            proposers=np.array([o["proposer"] for o in offers], dtype=np.int64),
            outcomes=np.array([o["outcome"] for o in offers], dtype=np.int64),
            utilities=np.array([o["utilities"] for o in offers], dtype=np.float64).reshape(
                len(offers), n_parties
            ),
            source=source,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise FormatError(f"malformed offer record: {exc}", source=source) from None


def _build(header: dict[str, Any], *, source: Path, **arrays: np.ndarray) -> Trace:
    try:
        seconds = header["deadline_seconds"]
        return Trace(
            scenario=str(header["scenario"]),
            protocol=str(header["protocol"]),
            parties=tuple(header["parties"]),
            strategies=tuple(header["strategies"]),
            mediator=header["mediator"],
            seed=int(header["seed"]),
            deadline_rounds=header["deadline_rounds"],
            deadline_seconds=None if seconds is None else float(seconds),
            discounts=tuple(float(d) for d in header["discounts"]),
            offer_rounds=arrays["rounds"].astype(np.int64),
            offer_times=arrays["times"].astype(np.float64),
            proposers=arrays["proposers"].astype(np.int64),
            outcomes=arrays["outcomes"].astype(np.int64),
            utilities=arrays["utilities"].astype(np.float64),
            result=str(header["result"]),
            agreement=header["agreement"],
            agreement_deal=header["agreement_deal"],
            final_utilities=tuple(
                math.nan if u is None else float(u) for u in header["final_utilities"]
            ),
            rounds=int(header["rounds"]),
            ended_by=int(header["ended_by"]),
            roles=tuple(str(r) for r in header.get("roles", ())),
            chair=header.get("chair"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(
            f"malformed session header: missing or bad {exc}", source=source
        ) from None

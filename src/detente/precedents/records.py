"""Loaders for the records of real ceasefires and agreements, from a user's own copies.

detente ships none of these data sets (their terms do not allow it): download them from their
authors and point these functions at the files. Each loader checks the columns it reads, turns
codes into whole numbers (a bad cell is an error naming file, column and row) and returns one
record per ceasefire or agreement as a :class:`pandas.DataFrame`.

Sources:
    ETH/PRIO Civil Conflict Ceasefire data: Clayton, Nygård, Strand, Rustad et al. (2022),
    "Introducing the ETH/PRIO Civil Conflict Ceasefire Dataset", Journal of Conflict Resolution,
    doi:10.1177/00220027221129195. PA-X: Bell, Badanjak et al., PA-X Peace Agreements Database,
    University of Edinburgh. UCDP Peace Agreement Dataset (Högbladh 2012) and UCDP Conflict
    Termination dataset (Kreutz 2010), Uppsala Conflict Data Program.

Dates: a date is known when its year and month are; a missing day is taken as the 15th (the
middle of the month: the error is at most about 15 days either way) and a day past the month's
end as its last day.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from detente.errors import DetenteError
from detente.precedents._tables import check_codes, integer_columns, read_table

__all__ = [
    "ETHPRIO_CODES",
    "UCDP_FOLLOW_UP_END",
    "agreement_durations",
    "ethprio_ceasefires",
    "load_ethprio",
    "load_pax",
    "load_ucdp_agreements",
    "load_ucdp_termination",
    "read_ethprio_rows",
]

_KEYS = ["cc", "cf_id"]

#: The codes each ETH/PRIO design column may hold (-1: unclear). The meanings detente uses are
#: in ``codes.yaml``; codes without a documented meaning are kept as codes.
ETHPRIO_CODES: dict[str, tuple[int, ...]] = {
    "side": (-1, 1, 2, 3),
    "written": (-1, 0, 1, 2),
    "ceasefire_class": (-1, 1, 2, 3),
    "timing": (-1, 0, 1, 2, 3),
    "mediator_nego": (-1, 0, 1),
    "implement": (-1, 0, 1),
    "enforcement": (-1, 0, 1, 2, 3),
    "ddr": (-1, 0, 1),
}
_DATES = {
    "declared": ("cf_dec_yr", "cf_dec_month", "cf_dec_day"),
    "effect": ("cf_effect_yr", "cf_effect_month", "cf_effect_day"),
    "end": ("end_yr", "end_month", "end_day"),
}
_DATE_COLUMNS = [c for parts in _DATES.values() for c in parts]
_ETHPRIO_TEXT = ["location", "actor_name"]
_ETHPRIO_IDS = ["ucdp_acd_id", "pax_id", "ended"]


def read_ethprio_rows(path: str | Path, *, dates: bool = True) -> pd.DataFrame:
    """The rows of an ETH/PRIO CF file (one per ceasefire and actor), validated.

    Args:
        path: the user's copy of the ETH/PRIO CF CSV file.
        dates: whether the date columns are required (a file given only for prediction needs
            the design columns alone).

    Raises:
        DetenteError: a column is missing, a cell is not a whole number, or a design code is
            outside its column's codes; the message names the file, column and row.
    """
    required = [*_KEYS, *ETHPRIO_CODES]
    if dates:
        required += _DATE_COLUMNS + _ETHPRIO_TEXT + _ETHPRIO_IDS
    rows = read_table(path, required, what="ETH/PRIO CF", only_required=not dates)
    rows = integer_columns(rows, _KEYS, source=path)
    rows = integer_columns(rows, ETHPRIO_CODES, source=path, blank=-1)
    check_codes(rows, ETHPRIO_CODES, source=path)
    if dates:
        rows = integer_columns(rows, _DATE_COLUMNS + _ETHPRIO_IDS, source=path, blank=-1)
    return rows


def load_ethprio(path: str | Path) -> pd.DataFrame:
    """One record per ceasefire (``cc`` + ``cf_id``) from an ETH/PRIO CF file.

    See :func:`ethprio_ceasefires` for the record's columns and the merging rules.
    """
    return ethprio_ceasefires(read_ethprio_rows(path))


def _dates(rows: pd.DataFrame, year: str, month: str, day: str) -> pd.Series:
    y, m, d = (rows[c].to_numpy() for c in (year, month, day))
    known = (y > 0) & (m >= 1) & (m <= 12)
    first = pd.to_datetime(
        pd.DataFrame({"year": np.where(known, y, 2000), "month": np.where(known, m, 1), "day": 1})
    )
    last_day = first.dt.days_in_month.to_numpy()
    chosen = np.minimum(np.where((d >= 1) & (d <= 31), d, 15), last_day)
    dates = first + pd.to_timedelta(chosen - 1, unit="D")
    return dates.where(known)


def _mode(rows: pd.DataFrame, column: str) -> pd.Series:
    """Per ceasefire: the most frequent known code of ``column`` (ties: the lower), else -1."""
    known = rows.loc[rows[column] != -1, [*_KEYS, column]]
    counts = known.groupby([*_KEYS, column]).size().rename("n").reset_index()
    counts = counts.sort_values([*_KEYS, "n", column], ascending=[True, True, False, True])
    return counts.drop_duplicates(_KEYS).set_index(_KEYS)[column]


def _joined(values: pd.Series) -> str:
    return "; ".join(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))


def _ids(values: pd.Series) -> tuple[int, ...]:
    return tuple(sorted({int(v) for v in values if v >= 0}))


def _codes(values: pd.Series) -> tuple[int, ...]:
    return tuple(sorted({int(v) for v in values}))


def ethprio_ceasefires(rows: pd.DataFrame) -> pd.DataFrame:
    """Merge ETH/PRIO's actor rows into one record per ceasefire (``cc`` + ``cf_id``).

    Rules (an actor row is one party's part in a ceasefire):
      - design codes (``ETHPRIO_CODES``): the most frequent known code among the actor rows,
        ties to the lower code; -1 (unclear) only when no row knows it;
      - start: the earliest date the ceasefire came into effect, else the earliest declared
        date (``start_basis`` says which); the year is the earliest declared year;
      - end: the earliest recorded end among the actors (the first party to leave ends a
        bilateral ceasefire); ``end_year_only`` marks an end whose month is not recorded;
      - ``ended``: the actor rows' ``ended`` codes, kept as codes: their meaning is not
        documented in the data's release, so detente does not interpret them.

    Without date columns (a file for prediction) the record has the keys and design codes.
    """
    design = pd.concat([_mode(rows, c) for c in ETHPRIO_CODES], axis=1)
    keys = rows[_KEYS].drop_duplicates().set_index(_KEYS)
    records = keys.join(design).fillna(-1).astype("int64")
    if not set(_DATE_COLUMNS).issubset(rows.columns):
        return records.reset_index()
    dated = rows.assign(
        _declared=_dates(rows, *_DATES["declared"]),
        _effect=_dates(rows, *_DATES["effect"]),
        _end=_dates(rows, *_DATES["end"]),
        _end_year=rows["end_yr"].where(rows["end_yr"] > 0),
    )
    group = dated.groupby(_KEYS, sort=False)
    effect, declared = group["_effect"].min(), group["_declared"].min()
    end = group["_end"].min()
    extra = pd.DataFrame(
        {
            "location": group["location"].first().astype(str),
            "actors": group["actor_name"].agg(_joined),
            "conflicts": group["ucdp_acd_id"].agg(_ids),
            "pax_ids": group["pax_id"].agg(_ids),
            "year": group["cf_dec_yr"].min().where(lambda y: y > 0),
            "start": effect.fillna(declared),
            "start_basis": np.where(
                effect.notna(), "in effect", np.where(declared.notna(), "declared", "")
            ),
            "end": end,
            "end_year_only": end.isna() & group["_end_year"].max().notna(),
            "ended": group["ended"].agg(_codes),
        }
    )
    return records.join(extra).reset_index()


def _check_unique(frame: pd.DataFrame, column: str, source: str | Path) -> None:
    repeated = frame[column].duplicated(keep=False).to_numpy()
    if repeated.any():
        row = int(np.flatnonzero(repeated)[0])
        raise DetenteError(
            f"row {row + 1}: {frame[column].iloc[row]} identifies more than one record",
            source=source,
            field=column,
        )


def _parse_dates(
    frame: pd.DataFrame, column: str, source: str | Path, date_format: str | None = None
) -> pd.Series:
    text = frame[column]
    parsed = pd.to_datetime(text, errors="coerce", format=date_format)
    bad = (parsed.isna() & text.notna()).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DetenteError(
            f"row {row + 1}: {text.iloc[row]!r} is not a date", source=source, field=column
        )
    return parsed


#: PA-X provision columns detente reads (coded 0-3: absent to most detailed).
PAX_PROVISIONS = ("Ce", "ImPK", "ImUN", "ImE", "ImOth", "SsrDdr", "SsrGua", "MpsJt", "CeProv")
_PAX_TEXT = ["Con", "Contp", "PPName", "Agt", "Stage", "Part"]


def load_pax(path: str | Path) -> pd.DataFrame:
    """One record per agreement (``AgtId``) from a PA-X Peace Agreements Database file.

    Adds ``date`` (parsed from ``Dat``, day first). Provision columns (``PAX_PROVISIONS``) are
    whole numbers; blank cells are 0.

    Raises:
        DetenteError: a column is missing, an id repeats, a date or code is malformed.
    """
    frame = read_table(path, ["AgtId", "Dat", "Year", *_PAX_TEXT, *PAX_PROVISIONS], what="PA-X")
    frame = integer_columns(frame, ["AgtId", "Year"], source=path)
    frame = integer_columns(frame, PAX_PROVISIONS, source=path, blank=0)
    check_codes(frame, dict.fromkeys(PAX_PROVISIONS, range(4)), source=path)
    _check_unique(frame, "AgtId", path)
    return frame.assign(date=_parse_dates(frame, "Dat", path, "%d/%m/%Y"))


#: UCDP Peace Agreement provision columns detente reads (0/1).
UCDP_PROVISIONS = ("cease", "ddr", "pko", "co_impl", "withd")


def load_ucdp_agreements(path: str | Path) -> pd.DataFrame:
    """One record per agreement (``paid``) from a UCDP Peace Agreement Dataset file.

    Adds ``date`` (from ``pa_date``), ``end`` (from ``duration``, the date the agreement ended
    where it did), ``ended`` as True / False / missing as coded, and ``days`` to the end.

    Raises:
        DetenteError: a column is missing, an id repeats, a date or code is malformed.
    """
    required = ["paid", "pa_name", "pa_date", "year", "conflict_id", "ended", "duration"]
    frame = read_table(path, [*required, *UCDP_PROVISIONS], what="UCDP Peace Agreement")
    frame = integer_columns(frame, ["paid", "year"], source=path)
    frame = integer_columns(frame, UCDP_PROVISIONS, source=path, blank=0)
    check_codes(frame, dict.fromkeys(UCDP_PROVISIONS, (0, 1)), source=path)
    _check_unique(frame, "paid", path)
    ended = frame["ended"].map({True: True, False: False, "True": True, "False": False})
    bad = (ended.isna() & frame["ended"].notna()).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DetenteError(
            f"row {row + 1}: {frame['ended'].iloc[row]!r} is not True or False",
            source=path,
            field="ended",
        )
    date = _parse_dates(frame, "pa_date", path)
    end = _parse_dates(frame, "duration", path)
    return frame.assign(
        date=date, end=end, ended=ended.astype("boolean"), days=(end - date).dt.days
    )


#: The end of follow-up of the UCDP Peace Agreement Dataset v22.1 (agreements to 2021).
UCDP_FOLLOW_UP_END = dt.date(2021, 12, 31)


def agreement_durations(
    agreements: pd.DataFrame, follow_up_end: dt.date = UCDP_FOLLOW_UP_END
) -> pd.DataFrame:
    """The agreements signed by ``follow_up_end``, with ``days`` and ``event``.

    An agreement ended (``event``) when UCDP codes it as ended with an end date on or before
    ``follow_up_end``; every other one is right-censored at that date (an end after it is not
    yet seen). ``days`` runs from ``date`` to the end or to censoring. An agreement coded as
    ended without an end date cannot be timed and is left out. ``agreements`` is the table of
    :func:`load_ucdp_agreements`.
    """
    censor = pd.Timestamp(follow_up_end)
    signed = agreements[agreements["date"].notna() & (agreements["date"] <= censor)]
    coded = signed["ended"].fillna(value=False).astype(bool)
    event = coded & signed["end"].notna() & (signed["end"] <= censor)
    days = (signed["end"].where(event, censor) - signed["date"]).dt.days
    timed = ~(coded & signed["end"].isna())
    return signed.assign(days=days, event=event.to_numpy())[timed.to_numpy()]


def _ucdp_dates(frame: pd.DataFrame, column: str, source: str | Path) -> pd.Series:
    """The first date in each cell: ``7/21/46`` (two-digit years, none in the future) or ISO.

    Some cells list several dates (one per signatory); the first is taken. ``0`` and ``-1``
    mean no date.
    """
    text = frame[column].astype("string").str.strip()
    text = text.mask(text.isin(["", "0", "-1", "."]))
    iso = pd.to_datetime(text.str.extract(r"(\d{4}-\d{1,2}-\d{1,2})")[0], errors="coerce")
    short = pd.to_datetime(
        text.str.extract(r"(\d{1,2}/\d{1,2}/\d{2})(?!\d)")[0], errors="coerce", format="%m/%d/%y"
    )
    short = short.where(short.dt.year <= pd.Timestamp.now().year, short - pd.DateOffset(years=100))
    parsed = iso.fillna(short)
    bad = (parsed.isna() & text.notna()).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DetenteError(
            f"row {row + 1}: {text.iloc[row]!r} holds no date", source=source, field=column
        )
    return parsed


def load_ucdp_termination(path: str | Path) -> pd.DataFrame:
    """One record per dyad episode from a UCDP Conflict Termination (dyad) file.

    ``outcome`` is kept as UCDP's code (see the UCDP Conflict Termination codebook for what each
    code means); ``end``, ``ceasefire`` and ``agreement`` are the parsed ``ependdate``,
    ``cfiredate`` and ``peagdate``. The file has a row per dyad and year: an episode's record
    is its last year's row (where its end and outcome are coded); rows without a
    ``dyadep_id`` are dropped.

    Raises:
        DetenteError: a column is missing, an id repeats, a date or code is malformed.
    """
    required = ["dyadep_id", "conflict_id", "dyad_id", "location", "side_a", "side_b"]
    dates = ["ependdate", "cfiredate", "peagdate", "start_date"]
    frame = read_table(
        path, [*required, *dates, "year", "outcome", "recur"], what="UCDP Termination"
    )
    frame = frame[frame["dyadep_id"].notna()].reset_index(drop=True)
    frame = integer_columns(frame, ["dyadep_id", "conflict_id", "dyad_id", "year"], source=path)
    frame = integer_columns(frame, ["outcome", "recur"], source=path, blank=-1)
    frame = frame.sort_values(["dyadep_id", "year"], kind="stable")
    frame = frame.drop_duplicates("dyadep_id", keep="last").reset_index(drop=True)
    parsed = {c: _ucdp_dates(frame, c, path) for c in dates}
    return frame.assign(
        start=parsed["start_date"],
        end=parsed["ependdate"],
        ceasefire=parsed["cfiredate"],
        agreement=parsed["peagdate"],
    )

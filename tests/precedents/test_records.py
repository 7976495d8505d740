"""Loaders of the ceasefire and agreement records, on hand-made fixtures (tests/data/precedents)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from detente.errors import DetenteError
from detente.precedents import load_ethprio, load_pax, load_ucdp_agreements, load_ucdp_termination
from detente.precedents.records import agreement_durations, ethprio_ceasefires, read_ethprio_rows

DATA = Path(__file__).resolve().parents[1] / "data" / "precedents"
ETHPRIO = DATA / "ethprio-sample.csv"


def by_key(records: pd.DataFrame) -> dict[tuple[int, int], pd.Series]:
    return {(int(r.cc), int(r.cf_id)): r for _, r in records.iterrows()}


def test_actor_rows_merge_into_one_ceasefire_each() -> None:
    records = by_key(load_ethprio(ETHPRIO))
    assert sorted(records) == [(100, 1), (100, 2), (100, 3), (200, 1), (200, 2)]
    first = records[100, 1]
    # the unclear code of one actor gives way to the other actor's known code
    assert first.written == 1
    assert first.actors == "Government of Atlantis; Atlantis Liberation Front"
    assert first.conflicts == (9001,)
    assert first.pax_ids == (501,)
    # in effect in March 2000, day not recorded: the 15th
    assert first.start == pd.Timestamp("2000-03-15")
    assert first.start_basis == "in effect"
    # the first actor to leave ends it
    assert first.end == pd.Timestamp("2000-04-20")
    assert first.ended == (4,)
    third = records[200, 1]
    assert third.side == 3
    assert third.enforcement == 1  # two actors say 1, one is unclear
    assert third.conflicts == (9003, 9004)
    # 30 February is the last day of February
    assert third.end == pd.Timestamp("2010-02-28")
    assert third.ended == (2, 4)


def test_start_falls_back_to_the_declared_date_and_unknown_ends_stay_unknown() -> None:
    records = by_key(load_ethprio(ETHPRIO))
    declared = records[100, 2]
    assert declared.start == pd.Timestamp("2001-06-01")
    assert declared.start_basis == "declared"
    assert pd.isna(declared.end)
    year_only = records[100, 3]
    assert year_only.end_year_only
    assert pd.isna(year_only.end)
    assert year_only.enforcement == 3
    assert year_only.ddr == -1


def test_a_tie_between_actors_goes_to_the_lower_code() -> None:
    rows = pd.DataFrame(
        {
            "cc": [1, 1, 1],
            "cf_id": [7, 7, 7],
            "side": [2, 3, 3],
            "written": [2, 1, -1],
            "ceasefire_class": [1, 1, 1],
            "timing": [-1, -1, -1],
            "mediator_nego": [0, 1, 0],
            "implement": [0, 0, 0],
            "enforcement": [0, 0, 0],
            "ddr": [0, 0, 0],
        }
    )
    (record,) = ethprio_ceasefires(rows).itertuples()
    assert (record.side, record.written, record.timing, record.mediator_nego) == (3, 1, -1, 0)


def write(tmp_path: Path, text: str, name: str = "copy.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_column_names_file_and_column(tmp_path: Path) -> None:
    text = ETHPRIO.read_text(encoding="utf-8").replace("implement,", "implemented,", 1)
    path = write(tmp_path, text)
    with pytest.raises(DetenteError) as caught:
        load_ethprio(path)
    assert str(caught.value) == f"{path}: implement: missing column in this ETH/PRIO CF file"


def test_a_code_outside_its_column_names_file_column_and_row(tmp_path: Path) -> None:
    lines = ETHPRIO.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",2001,6,1,-1,-1,-1,1,", ",2001,6,1,-1,-1,-1,7,")
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(DetenteError, match=r"copy\.csv: side: row 3: code 7 is not one of"):
        load_ethprio(path)


def test_a_cell_that_is_no_number_names_file_column_and_row(tmp_path: Path) -> None:
    text = ETHPRIO.read_text(encoding="utf-8").replace("\n200,2,", "\nx,2,")
    path = write(tmp_path, text)
    with pytest.raises(DetenteError, match=r"cc: row 8: 'x' is not a whole-number code"):
        read_ethprio_rows(path)


def test_unreadable_and_absent_files(tmp_path: Path) -> None:
    with pytest.raises(DetenteError, match="no such ETH/PRIO CF file"):
        load_ethprio(tmp_path / "absent.csv")
    empty = write(tmp_path, "")
    with pytest.raises(DetenteError, match="cannot read as a ETH/PRIO CF CSV file"):
        load_ethprio(empty)


def test_pax_agreements() -> None:
    pax = load_pax(DATA / "pax-sample.csv")
    assert list(pax["AgtId"]) == [501, 502, 503]
    assert list(pax["date"]) == [
        pd.Timestamp(d) for d in ("2000-03-15", "2010-01-31", "2011-07-01")
    ]
    assert list(pax["CeProv"]) == [2, 1, 0]  # a blank provision is absent


def test_pax_repeated_id_and_bad_date(tmp_path: Path) -> None:
    text = (DATA / "pax-sample.csv").read_text(encoding="utf-8")
    repeated = write(tmp_path, text.replace("\n503,", "\n502,"))
    with pytest.raises(DetenteError, match=r"AgtId: row 2: 502 identifies more than one record"):
        load_pax(repeated)
    bad = write(tmp_path, text.replace("31/01/2010", "2010-01-31"), "bad.csv")
    with pytest.raises(DetenteError, match=r"bad\.csv: Dat: row 2: '2010-01-31' is not a date"):
        load_pax(bad)


def test_ucdp_agreements() -> None:
    agreements = load_ucdp_agreements(DATA / "ucdp-agreements-sample.csv")
    assert list(agreements["days"].fillna(-1)) == [365, -1, -1]
    assert agreements["ended"].tolist() == [True, pd.NA, False]


def test_agreement_durations_follow_the_stated_rules(tmp_path: Path) -> None:
    text = (DATA / "ucdp-agreements-sample.csv").read_text(encoding="utf-8")
    # a fourth agreement coded as ended without an end date cannot be timed
    path = write(tmp_path, text + "4,Mu Accord,2005-05-05,2005,9004,True,,0,0,0,0,0\n")
    agreements = load_ucdp_agreements(path)
    full = agreement_durations(agreements)  # follow-up to the end of 2021
    censor = pd.Timestamp("2021-12-31")
    assert full["paid"].tolist() == [1, 2, 3]
    assert full["event"].tolist() == [True, False, False]
    assert full["days"].tolist() == [
        365,
        (censor - pd.Timestamp("2010-01-31")).days,
        (censor - pd.Timestamp("2011-07-01")).days,
    ]
    # follow-up to mid-2000: the end in 2001 is not yet seen; later agreements are left out
    early = agreement_durations(agreements, dt.date(2000, 12, 31))
    assert early["paid"].tolist() == [1]
    assert (bool(early["event"].iloc[0]), int(early["days"].iloc[0])) == (False, 291)


def test_ucdp_agreements_ended_must_be_true_or_false(tmp_path: Path) -> None:
    text = (DATA / "ucdp-agreements-sample.csv").read_text(encoding="utf-8")
    path = write(tmp_path, text.replace(",True,", ",maybe,"))
    with pytest.raises(DetenteError, match=r"ended: row 1: 'maybe' is not True or False"):
        load_ucdp_agreements(path)


def test_ucdp_termination_one_record_per_episode() -> None:
    episodes = load_ucdp_termination(DATA / "ucdp-termination-sample.csv")
    assert list(episodes["dyadep_id"]) == [90011, 90031]
    first, second = episodes.itertuples()
    assert (first.year, first.outcome) == (2000, 2)
    assert first.start == pd.Timestamp("1999-03-02")
    assert first.end == pd.Timestamp("2000-04-20")
    # two-digit years are never in the future; the first of several listed dates is taken
    assert second.start == pd.Timestamp("1948-01-05")
    assert second.ceasefire == pd.Timestamp("1949-02-24")
    assert pd.isna(second.agreement)


def test_ucdp_termination_cell_without_a_date(tmp_path: Path) -> None:
    text = (DATA / "ucdp-termination-sample.csv").read_text(encoding="utf-8")
    path = write(tmp_path, text.replace("4/20/00", "soon"))
    with pytest.raises(DetenteError, match=r"ependdate: row 1: 'soon' holds no date"):
        load_ucdp_termination(path)

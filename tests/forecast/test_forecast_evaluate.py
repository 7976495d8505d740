"""DEU III: reading the table and the error figures of each model."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from detente.compute import LocalExecutor, batched, make_executor
from detente.errors import DetenteError, FormatError
from detente.forecast.evaluate import evaluate, forecast_issue, read_deu3
from detente.forecast.inputs import StakeholderError
from tests.forecast.conftest import DEU3


def _independent_compromise() -> tuple[float, float, int]:
    """Compromise errors computed straight from the raw table, without detente's reader."""
    with DEU3.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    head, gdp = rows[0], rows[1]
    codes = [h[1:] for h in head if h.startswith("s") and "p" + h[1:] in head]
    errors = []
    for row in rows[2:]:
        if not row[head.index("out")].strip():
            continue
        num = den = 0.0
        for c in codes:
            x, s = row[head.index("p" + c)].strip(), row[head.index("s" + c)].strip()
            if x and s:
                w = float(gdp[head.index("p" + c)]) * float(s)
                num, den = num + w * float(x), den + w
        errors.append(abs(num / den - float(row[head.index("out")])))
    return float(np.mean(errors)), float(np.median(errors)), len(errors)


def test_reads_every_issue_with_an_outcome() -> None:
    issues = read_deu3(DEU3)
    assert len(issues) == 353
    first = issues[0]
    assert first.issue == "d00032i1"
    assert first.actors[:2] == ("com", "ep")
    assert first.capability[0] == pytest.approx(4.1)
    assert first.outcome == 100.0
    assert first.reference_point == 0.0


def test_compromise_errors_match_the_published_baseline() -> None:
    result = evaluate(DEU3, models=("compromise",))
    mean, median, n = _independent_compromise()
    (row,) = result.errors
    assert row.issues == n == 353
    assert row.mean_absolute_error == pytest.approx(mean, abs=1e-9)
    assert row.median_absolute_error == pytest.approx(median, abs=1e-9)
    assert round(row.mean_absolute_error, 1) == 23.2
    assert round(row.median_absolute_error, 1) == 18.8


@pytest.mark.parametrize("model", ["smp", "bdm", "compromise"])
def test_each_model_forecasts_inside_the_range_of_positions(model: str) -> None:
    for issue in read_deu3(DEU3)[:25]:
        value = forecast_issue(issue, model)
        assert issue.position.min() - 1e-9 <= value <= issue.position.max() + 1e-9


def test_issue_with_fewer_than_two_salient_actors_falls_back_to_compromise() -> None:
    issue = read_deu3(DEU3)[0]
    lonely = type(issue)(
        issue="x",
        actors=("a", "b"),
        capability=np.array([1.0, 3.0]),
        position=np.array([0.0, 100.0]),
        salience=np.array([0.0, 50.0]),
        reference_point=None,
        outcome=50.0,
    )
    assert forecast_issue(lonely, "smp") == 100.0
    silent = type(lonely)("y", ("a", "b"), lonely.capability, lonely.position, np.zeros(2), None, 1)
    assert forecast_issue(silent, "bdm") == 75.0


def test_bad_tables_fail_clearly(tmp_path: Path) -> None:
    lines = DEU3.read_text("utf-8").splitlines()
    no_outcome = next(line for line in lines[2:] if line.split("\t")[74] == "")
    with pytest.raises(FormatError, match="header row"):
        read_deu3(_write(tmp_path, lines[:2]))
    with pytest.raises(StakeholderError) as info:
        read_deu3(
            _write(tmp_path, [*lines[:2], lines[2].replace("\t100\t100\t40", "\tx\t100\t40", 1)])
        )
    assert info.value.line == 3
    assert info.value.field == "pcom"
    with pytest.raises(StakeholderError, match="missing column 'out'"):
        read_deu3(_write(tmp_path, [lines[0].replace('"out"', '"outcome"'), *lines[1:4]]))
    with pytest.raises(StakeholderError, match="GDP weight"):
        read_deu3(_write(tmp_path, [lines[0], lines[1].replace('"4.1"', '"0"', 1), lines[2]]))
    with pytest.raises(StakeholderError, match="columns"):
        read_deu3(_write(tmp_path, [*lines[:2], "\t".join(lines[2].split("\t")[:20])]))
    with pytest.raises(StakeholderError, match="no issue"):
        read_deu3(_write(tmp_path, [*lines[:2], no_outcome, ""]))
    with pytest.raises(StakeholderError, match="finite"):
        read_deu3(
            _write(tmp_path, [*lines[:2], lines[2].replace("\t100\t100\t40", "\tinf\t100\t40", 1)])
        )
    head = '"isnr"\t"pcom"\t"scom"\t"rp"\t"out"'
    with pytest.raises(StakeholderError, match="two actors"):
        read_deu3(_write(tmp_path, [head, '\t"4.1"\t\t\t', "x\t1\t2\t3\t4"]))


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "deu.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_process_pool_gives_the_same_table(tmp_path: Path) -> None:
    lines = DEU3.read_text("utf-8").splitlines()[:14]
    small = _write(tmp_path, lines)
    serial = evaluate(small)
    pool = LocalExecutor(workers=2)
    try:
        parallel = evaluate(small, executor=pool)
    finally:
        pool.close()
    assert parallel.errors == serial.errors
    for model, values in serial.forecasts.items():
        np.testing.assert_array_equal(parallel.forecasts[model], values)


def test_executor_helpers() -> None:
    assert list(batched(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert isinstance(make_executor("local", workers=1), LocalExecutor)
    with pytest.raises(DetenteError, match="unknown executor"):
        make_executor("cloud")

"""Mechanisms: data checks, and each one never lowers survival, everything else fixed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.durability import apply_mechanisms, default_parameters, load_mechanisms, simulate
from detente.durability.mechanisms import (
    SAFER_WHEN_HIGHER,
    Effect,
    provided_mechanisms,
    resolve_mechanism,
)
from detente.durability.parameters import ParameterError, validate_parameters
from detente.scenario import load_scenario

NAMES = [m.name for m in load_mechanisms()]
p01 = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def parameter_sets(draw: st.DrawFn) -> dict[str, Any]:
    """Random parameters: every field drawn, so mechanisms meet varied situations.

    Two exceptions keep the property exact: ``false_reports`` stays 0 (with false reports a
    monitor's higher credibility also makes true reports answered more readily) and the policy
    is never win-stay lose-shift (it retaliates after a mixed day, so an answer the commission
    defuses today can mean one more tomorrow). There mechanisms help on average, not path by
    path (``test_reports.py`` and ``test_each_mechanism_helps_win_stay_lose_shift``).
    """
    n = draw(st.integers(2, 3))
    parties = []
    for k in range(n):
        deal = draw(st.floats(0.3, 1.0))
        shift = draw(st.sampled_from([0.0, draw(st.floats(0.0, 0.3))]))
        parties.append(
            {
                "name": f"p{k}",
                "deal_value": deal,
                "deferred_value": draw(st.floats(-0.2, 0.2)),
                "phase_in_days": draw(st.integers(0, 150)),
                "power_shift": shift,
                "power_shift_day": draw(st.integers(0, 150)),
                "patience": draw(st.floats(0.9, 1.0)),
                "alternative": deal - draw(st.floats(0.0, 0.2)),
                "drift": draw(st.floats(-2e-4, 4e-4)),
                "volatility": draw(st.floats(0.0, 0.01)),
                "first_strike": draw(st.floats(0.0, 0.05)),
                "reputation_cost": draw(st.floats(0.0, 0.05)),
                "sanction": draw(st.floats(0.0, 0.05)),
                "decision_noise": draw(st.sampled_from([0.0, 0.002, 0.01])),
                "incident_rate": draw(st.floats(0.0, 0.05)),
                "policy": draw(st.sampled_from(["tft", "gtft", "grim"])),
                "forgiveness": draw(p01),
                "trust_prior": draw(p01),
                "trust_gain": draw(st.floats(0.0, 0.05)),
                "trust_loss": draw(p01),
            }
        )
    attribution = draw(p01)
    return {
        "parties": parties,
        "detection": draw(p01),
        "attribution": attribution,
        "misattribution": draw(st.floats(0.0, 1.0 - attribution)),
        "false_report_rate": draw(st.floats(0.0, 0.05)),
        "resolution": draw(p01),
        "escalation_threshold": draw(st.integers(1, 8)),
    }


@given(raw=parameter_sets(), name=st.sampled_from(NAMES), seed=st.integers(0, 2**31))
@settings(max_examples=40, deadline=None)
def test_each_mechanism_never_lowers_survival_on_any_day(
    raw: dict[str, Any], name: str, seed: int
) -> None:
    # common random numbers make this exact, path by path, not just on average
    base = validate_parameters(raw)
    with_it = apply_mechanisms(base, [name])
    before = np.array(simulate(base, paths=300, days=120, rng=seed).survival)
    after = np.array(simulate(with_it, paths=300, days=120, rng=seed).survival)
    assert (after >= before).all()


@pytest.mark.parametrize("name", NAMES)
def test_each_mechanism_strictly_helps_the_calibrated_reference(name: str) -> None:
    base = default_parameters()
    before = simulate(base, paths=3000, days=365, rng=1)
    after = simulate(apply_mechanisms(base, [name]), paths=3000, days=365, rng=1)
    assert after.final > before.final


@pytest.mark.parametrize("name", NAMES)
def test_each_mechanism_helps_win_stay_lose_shift(name: str) -> None:
    # its echoes last two days, so spirals matter only with a short escalation threshold
    base = default_parameters().replace_parties(policy="wsls").replace(escalation_threshold=2)
    before = simulate(base, paths=3000, days=365, rng=1)
    after = simulate(apply_mechanisms(base, [name]), paths=3000, days=365, rng=1)
    assert after.final > before.final


def test_every_preset_is_documented_with_a_source() -> None:
    for mechanism in load_mechanisms():
        assert mechanism.what.strip()
        assert mechanism.why.strip()
        assert mechanism.source.strip()
    assert set(NAMES) == {
        "monitoring",
        "commission",
        "hotline",
        "dmz",
        "guarantees",
        "snapback",
        "peacekeepers",
    }


def test_aliases_and_case_resolve() -> None:
    assert resolve_mechanism("Joint-Commission").name == "commission"
    assert resolve_mechanism("monitors").name == "monitoring"
    with pytest.raises(ParameterError, match="unknown mechanism 'drones'"):
        resolve_mechanism("drones")


def test_applying_twice_changes_nothing_and_is_recorded() -> None:
    base = default_parameters()
    once = apply_mechanisms(base, ["commission"])
    twice = apply_mechanisms(once, ["joint-commission"])
    assert once == twice
    assert once.mechanisms == ("commission",)
    assert once.resolution == pytest.approx(0.15)


@pytest.mark.parametrize(
    ("effect", "message"),
    [
        ({"field": "detection", "op": "at_most", "value": 0.1}, "less safe"),
        ({"field": "incident_rate", "op": "scale", "value": 2.0}, "less safe"),
        ({"field": "sanction", "op": "add", "value": -0.1}, "less safe"),
        ({"field": "misattribution", "op": "either", "value": 0.5}, "less safe"),
        ({"field": "colour", "op": "add", "value": 1.0}, "unknown parameter"),
    ],
)
def test_effects_that_would_make_things_worse_are_refused(
    effect: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Effect.model_validate(effect)


def test_a_user_mechanism_file_is_validated(tmp_path: Path) -> None:
    good = tmp_path / "mine.yaml"
    good.write_text(
        "mechanisms:\n  - name: drones\n    label: Drone surveillance\n    what: w\n    why: y\n"
        "    source: s\n    effects:\n      - {field: detection, op: at_least, value: 0.95}\n"
    )
    presets = load_mechanisms(good)
    applied = apply_mechanisms(default_parameters(), ["drones"], presets)
    assert applied.detection == 0.95
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("at_least", "at_most"))
    with pytest.raises(ParameterError, match="less safe") as info:
        load_mechanisms(bad)
    assert str(bad) in str(info.value)
    dup = tmp_path / "dup.yaml"
    dup.write_text(good.read_text() + good.read_text().split("mechanisms:\n")[1])
    with pytest.raises(ParameterError, match="unique"):
        load_mechanisms(dup)
    with pytest.raises(ParameterError, match="cannot read"):
        load_mechanisms(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("mechanisms: [")
    with pytest.raises(ParameterError, match="not valid YAML"):
        load_mechanisms(broken)


def test_the_options_a_deal_picks_provide_their_presets() -> None:
    scenario = load_scenario("ceasefire-2025")
    deal = {
        "oversight": "international_mission",
        "breach_mechanism": "joint_commission",
        "security_guarantees": "none",
    }
    assert provided_mechanisms(scenario, deal) == {"monitoring": 1.0, "commission": 1.0}
    assert provided_mechanisms(scenario, {"oversight": "none"}) == {}
    # two options providing snap-back: it is applied once
    twice = {"sanctions_relief": "phased", "breach_mechanism": "arbitration_snapback"}
    assert provided_mechanisms(scenario, twice) == {"snapback": 1.0}


@given(
    field=st.sampled_from(sorted(SAFER_WHEN_HIGHER)),
    value=p01,
    strength=st.floats(0.0, 1.0, exclude_min=True),
    target=p01,
)
def test_a_partial_effect_moves_its_parameter_part_of_the_way(
    field: str, value: float, strength: float, target: float
) -> None:
    op = "at_least" if SAFER_WHEN_HIGHER[field] else "at_most"
    effect = Effect(field=field, op=op, value=target)
    full, part = effect.apply(value), effect.apply(value, strength)
    assert min(value, full) - 1e-12 <= part <= max(value, full) + 1e-12
    assert part == pytest.approx(value + strength * (full - value), abs=1e-12)
    assert effect.apply(value, 1.0) == full

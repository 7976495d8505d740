"""Shared builders for the durability tests."""

from __future__ import annotations

from typing import Any

from detente.durability.parameters import Parameters, validate_parameters


def quiet(n_parties: int = 2, **shared: Any) -> dict[str, Any]:
    """A mapping of parameters with nothing random: no walk, no noise, no incidents."""
    party = {
        "deal_value": 0.7,
        "alternative": 0.5,
        "drift": 0.0,
        "volatility": 0.0,
        "decision_noise": 0.0,
        "incident_rate": 0.0,
        "trust_prior": 1.0,
    }
    parties = [{**party, "name": f"p{k}"} for k in range(n_parties)]
    return {"parties": parties, **shared}


def build(raw: dict[str, Any], **party_changes: Any) -> Parameters:
    """Validate ``raw`` with ``party_changes`` applied to every party."""
    parties = [{**p, **party_changes} for p in raw["parties"]]
    return validate_parameters({**raw, "parties": parties})

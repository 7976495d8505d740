"""A parameters file's party of the same name is each party's template (observed rates)."""

from __future__ import annotations

from detente.durability import default_parameters, parameters_for_deal
from detente.scenario import load_scenario
from detente.space import OutcomeSpace


def test_each_party_keeps_its_own_numbers_and_others_take_the_first() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    base = default_parameters({"Ukraine": 0.5, "Atlantis": 0.5}, {"Ukraine": 0.4, "Atlantis": 0.4})
    deal = {i.name: str(i.values[0]) for i in space.scenario.issues}
    base = base.replace(
        parties=[
            {**base.parties[1].model_dump(), "name": "Atlantis", "incident_rate": 0.022},
            {**base.parties[0].model_dump(), "name": "Ukraine", "incident_rate": 0.033},
        ]
    )
    params = parameters_for_deal(space, deal, base=base, deal_terms=False)
    # Ukraine is named in the file and keeps its own rate; Russia is not, and takes the first
    assert {p.name: p.incident_rate for p in params.parties} == {"Russia": 0.022, "Ukraine": 0.033}
    utilities = space.utilities_of_options(space.options_of(deal)[None, :])[0]
    assert params.parties[0].deal_value == float(utilities[space.party_index("Russia")])

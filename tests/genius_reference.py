"""GENIUS's evaluation rules in plain Python, straight from the XML, for tests to compare with.

Written from GENIUS's evaluators (EvaluatorDiscrete, EvaluatorInteger, EvaluatorReal,
NonlinearUtilitySpace), independently of detente's reader: test data is trusted, so the
standard library parser is used on it directly.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET


def _clip(x: float) -> float:
    return min(max(x, 0.0), 1.0)


class Profile:
    """One GENIUS profile, evaluated the way GENIUS does."""

    def __init__(self, path: Path) -> None:
        text = path.read_bytes()
        start = text.find(b"<?xml")
        text = text[start:] if start >= 0 else text[text.find(b"<") :]
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError:
            decoded = text.decode("cp1252")
        decoded = decoded.split("?>", 1)[1] if decoded.startswith("<?xml") else decoded
        decoded = decoded.replace(" & ", " &amp; ")
        self.root = ET.fromstring(decoded)
        found = self.root.find("objective")
        self.objective = found if found is not None else self.root

    def utility(self, deal: dict[str, Any]) -> float:
        """GENIUS's utility of ``deal`` ({issue name: value}), weights normalised to sum 1."""
        objective = self.objective
        assert objective is not None
        utility = objective.find("utility")
        if utility is not None:
            return self._rules(utility, deal)
        index_to_name = {i.get("index"): i.get("name") for i in objective.findall("issue")}
        weights = {
            index_to_name[w.get("index")]: float(w.get("value", "0"))
            for w in objective.findall("weight")
            if w.get("index") in index_to_name
        }
        total_weight = math.fsum(weights.values())
        u = 0.0
        for issue in objective.findall("issue"):
            name = issue.get("name", "")
            u += weights[name] / total_weight * self._evaluate(issue, deal[name.strip()])
        return u

    @staticmethod
    def _evaluate(issue: ET.Element, value: Any) -> float:
        evaluator = issue.find("evaluator")
        if evaluator is None:
            evaluations: dict[str, float] = {}
            for item in issue.findall("item"):
                evaluations[item.get("value", "").strip()] = float(item.get("evaluation", "0"))
            best = max(evaluations.values())
            return evaluations[str(value).strip()] / best if best > 0 else 0.0
        x = float(value)
        if evaluator.get("ftype") == "constant":
            return _clip(float(evaluator.get("parameter0", "0")))
        if evaluator.get("slope") is not None:
            low = float(issue.get("lowerbound", "0"))
            return _clip(
                float(evaluator.get("offset", "0")) + float(evaluator.get("slope", "0")) * (x - low)
            )
        return _clip(
            float(evaluator.get("parameter0", "0")) + float(evaluator.get("parameter1", "0")) * x
        )

    def _rules(self, utility: ET.Element, deal: dict[str, Any]) -> float:
        assert self.objective is not None
        names = {i.get("index"): i.get("name") for i in self.objective.findall("issue")}

        def ufun_value(ufun: ET.Element) -> float:
            weight = float(ufun.get("weight", "1"))
            total = 0.0
            for child in ufun:
                if child.tag == "ufun":
                    total += ufun_value(child)
                    continue
                inside = all(
                    float(b.get("min", "0"))
                    <= float(deal[str(names[b.get("index")]).strip()])
                    <= float(b.get("max", "0"))
                    for b in child.findall("INCLUDES")
                )
                if inside:
                    total += float(child.get("utility", "0")) * float(child.get("weight", "1"))
            return weight * total

        raw = sum(ufun_value(u) for u in utility.findall("ufun"))
        return _clip(raw / float(utility.get("maxutility", "1")))

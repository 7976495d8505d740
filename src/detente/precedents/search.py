"""The past ceasefires most like a deal, and how long they lasted.

A deal becomes a profile of yes/no features (``provisions.yaml``): what its mechanisms and
context imply (written, bilateral, mediated, an implementation mechanism...). Each ETH/PRIO
ceasefire gets the same features from its codes, and from the PA-X agreement it links to
(``pax_id``). A ceasefire's similarity is the share of the features known for it on which it
agrees with the deal; ceasefires knowing fewer than half the features are not compared. The
matched set (similarity at least ``threshold``) gives a Kaplan-Meier curve with its 95% band
(lifelines, Greenwood's exponential interval); the most similar are listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from detente.display import HTMLRepr
from detente.errors import DetenteError
from detente.precedents.model import FOLLOW_UP_END, survival_data

__all__ = [
    "Feature",
    "Precedent",
    "PrecedentSearch",
    "SurvivalCurve",
    "deal_features",
    "find_precedents",
    "load_features",
]


@dataclass(frozen=True)
class Feature:
    """A yes/no property of a deal and of past ceasefires (see ``provisions.yaml``)."""

    name: str
    label: str
    context: str | None
    mechanisms: tuple[str, ...]
    ethprio: tuple[str, tuple[int, ...]] | None
    pax: tuple[str, ...]


def load_features() -> tuple[Feature, ...]:
    """The features of the shipped ``provisions.yaml``."""
    raw = yaml.safe_load(
        resources.files("detente.precedents").joinpath("provisions.yaml").read_text("utf-8")
    )
    out = []
    for item in raw["features"]:
        eth = item.get("ethprio")
        out.append(
            Feature(
                name=item["name"],
                label=item["label"],
                context=item.get("context"),
                mechanisms=tuple(item.get("mechanisms", ())),
                ethprio=(eth["column"], tuple(eth["codes"])) if eth else None,
                pax=tuple(item.get("pax", ())),
            )
        )
    return tuple(out)


def deal_features(
    features: Sequence[Feature],
    *,
    mechanisms: Iterable[str],
    context: Iterable[str],
) -> dict[str, bool]:
    """Which features a deal has, from its mechanisms and context flags."""
    mech, ctx = set(mechanisms), set(context)
    return {
        f.name: bool(
            (f.context is not None and f.context in ctx) or mech.intersection(f.mechanisms)
        )
        for f in features
    }


@dataclass(frozen=True)
class SurvivalCurve:
    """A Kaplan-Meier curve: share still holding after ``days``, with a 95% band."""

    days: tuple[float, ...]
    survival: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    median_days: float | None


@dataclass(frozen=True)
class Precedent:
    """A past ceasefire like the deal.

    Attributes:
        country: where it was.
        year: the year it was declared.
        parties: the actors of its rows.
        similarity: share of the known features on which it agrees with the deal.
        matched: the deal's features it had.
        missing: the deal's features it lacked.
        days: how long it lasted, when its end is recorded.
        end: the recorded end (ISO date), if any.
        ended_codes: ETH/PRIO's ``ended`` codes: how it ended, in codes the release does not
            document (so not interpreted here).
        pax_ids: the PA-X agreements it links to.
    """

    country: str
    year: int | None
    parties: str
    similarity: float
    matched: tuple[str, ...]
    missing: tuple[str, ...]
    days: float | None
    end: str | None
    ended_codes: tuple[int, ...]
    pax_ids: tuple[int, ...]


@dataclass(frozen=True)
class PrecedentSearch(HTMLRepr):
    """The precedents of a deal.

    Attributes:
        features: the deal's profile, feature name -> has it.
        labels: feature name -> what it means.
        unmapped: the deal's mechanisms without a counterpart in the records.
        compared: ceasefires that know at least half the features.
        matched: ceasefires in the matched set (similarity >= threshold).
        threshold: the similarity of the matched set.
        precedents: the most similar, best first.
        curve: Kaplan-Meier curve of the matched set (None when it is empty).
        source: the records searched.
    """

    features: dict[str, bool]
    labels: dict[str, str]
    unmapped: tuple[str, ...]
    compared: int
    matched: int
    threshold: float
    precedents: tuple[Precedent, ...]
    curve: SurvivalCurve | None
    source: str


def _record_features(
    features: Sequence[Feature], records: pd.DataFrame, pax: pd.DataFrame | None
) -> np.ndarray:
    """(n, k) array: 1 has it, 0 has not, nan unknown."""
    out = np.full((len(records), len(features)), np.nan)
    by_id = pax.set_index("AgtId") if pax is not None else None
    for j, feat in enumerate(features):
        if feat.ethprio is not None:
            column, codes = feat.ethprio
            values = records[column].to_numpy()
            unclear = np.isin(values, (-1, 3) if column == "enforcement" else (-1,))
            out[:, j] = np.where(unclear, np.nan, np.isin(values, codes))
        elif feat.pax and by_id is not None:
            has = (by_id[list(feat.pax)] > 0).any(axis=1)
            for i, ids in enumerate(records["pax_ids"]):
                known = [bool(has[a]) for a in ids if a in has.index]
                if known:
                    out[i, j] = float(any(known))
    return out


def _curve(days: np.ndarray, events: np.ndarray) -> SurvivalCurve:
    from lifelines import KaplanMeierFitter  # noqa: PLC0415 - optional 'precedents' extra

    km = KaplanMeierFitter().fit(days, events)
    band = km.confidence_interval_survival_function_
    median = float(km.median_survival_time_)
    return SurvivalCurve(
        days=tuple(float(t) for t in km.survival_function_.index),
        survival=tuple(float(v) for v in km.survival_function_.iloc[:, 0]),
        lower=tuple(float(v) for v in band.iloc[:, 0]),
        upper=tuple(float(v) for v in band.iloc[:, 1]),
        median_days=median if np.isfinite(median) else None,
    )


def find_precedents(
    records: pd.DataFrame,
    profile: Mapping[str, bool],
    *,
    pax: pd.DataFrame | None = None,
    unmapped: Iterable[str] = (),
    threshold: float = 0.8,
    limit: int = 10,
    follow_up_end: dt.date = FOLLOW_UP_END,
    source: str = "ETH/PRIO CF",
) -> PrecedentSearch:
    """The ceasefires of ``records`` most like ``profile`` (see :func:`deal_features`).

    Raises:
        DetenteError: ``profile`` names a feature that does not exist, or a bad threshold.
    """
    features = load_features()
    names = [f.name for f in features]
    unknown = [k for k in profile if k not in names]
    if unknown:
        raise DetenteError(f"unknown feature {unknown[0]!r}", field="profile")
    if not 0 <= threshold <= 1:
        raise DetenteError("the threshold is a share between 0 and 1", field="threshold")
    wanted = np.array([float(profile.get(n, False)) for n in names])
    have = _record_features(features, records, pax)
    known = ~np.isnan(have)
    agree = (have == wanted[None, :]) & known
    n_known = known.sum(axis=1)
    compared = n_known * 2 >= len(features)
    similarity = np.where(compared, agree.sum(axis=1) / np.maximum(n_known, 1), 0.0)
    data = survival_data(records, follow_up_end)
    in_set = compared & (similarity >= threshold) & data["usable"].to_numpy()
    year = records["year"].fillna(0).to_numpy()
    order = np.lexsort((-year, -n_known, -similarity))
    order = order[compared[order]][:limit]
    labels = {f.name: f.label for f in features}
    precedents = []
    for i in order:
        row = data.iloc[i]
        precedents.append(
            Precedent(
                country=str(row["location"]),
                year=int(row["year"]) if pd.notna(row["year"]) else None,
                parties=str(row["actors"]),
                similarity=round(float(similarity[i]), 3),
                matched=tuple(n for j, n in enumerate(names) if wanted[j] and agree[i, j]),
                missing=tuple(n for j, n in enumerate(names) if wanted[j] and have[i, j] == 0),
                days=float(row["days"]) if row["event"] and row["usable"] else None,
                end=row["end"].date().isoformat() if pd.notna(row["end"]) else None,
                ended_codes=tuple(row["ended"]),
                pax_ids=tuple(row["pax_ids"]),
            )
        )
    curve = (
        _curve(data["days"][in_set].to_numpy(float), data["event"][in_set].to_numpy())
        if in_set.any()
        else None
    )
    return PrecedentSearch(
        features={n: bool(w) for n, w in zip(names, wanted, strict=True)},
        labels=labels,
        unmapped=tuple(unmapped),
        compared=int(compared.sum()),
        matched=int(in_set.sum()),
        threshold=threshold,
        precedents=tuple(precedents),
        curve=curve,
        source=source,
    )

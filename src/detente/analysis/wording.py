"""Plain-English helpers for the advice sentences: names, articles, agreement and figures.

A scenario names its parties as they are written in a heading ("United States", "European
states"); in a sentence some take the article ("for the United States") and some are plural
("European states gain"). The rules here are deliberately small and predictable:

* **article**: names whose first word is "United", that contain a word such as "Republic",
  "Union" or "Federation", or that are one of a few acronyms ("UN", "EU") take "the";
* **plural**: a name ending in a lower-case plural noun ("European states", "armed forces"), or
  a capitalised one ending in "s" that is not a singular name ("Kurds" but not "Hamas",
  "Cyprus", "the United States").

Figures are rounded half away from zero after a nudge of ``1e-9``: utilities are sums of binary
fractions, so a value written as 0.665 is stored as 0.66499999...; without the nudge it would
print as 0.66 while 0.665 - 0.6 printed as 0.07.
"""

from __future__ import annotations

import math
from collections.abc import Set as AbstractSet

__all__ = [
    "figure",
    "is_clause",
    "is_plural",
    "lower_first",
    "party_name",
    "possessive",
    "pronoun",
    "upper_first",
    "verb",
]

_NUDGE = 1e-9
_ARTICLE_WORDS = frozenset(
    {
        "Alliance",
        "Coalition",
        "Commission",
        "Council",
        "Emirates",
        "Federation",
        "Islands",
        "Kingdom",
        "Netherlands",
        "Philippines",
        "Republic",
        "Union",
    }
)
_ARTICLE_ACRONYMS = frozenset({"AU", "EU", "OSCE", "UAE", "UK", "UN", "US", "USA"})
_SINGULAR_ENDINGS = ("as", "ss", "us", "os", "is")
_SINGULAR_NAMES = frozenset({"Netherlands", "Philippines", "Bahamas", "Maldives", "Seychelles"})
#: Verbs that make an option label a clause ("the line is frozen") rather than a noun phrase.
_CLAUSE_VERBS = frozenset(
    {
        "are",
        "continue",
        "continues",
        "is",
        "remain",
        "remains",
        "stay",
        "stays",
        "was",
        "were",
        "withdraw",
        "withdraws",
    }
)


def figure(value: float, places: int = 2, *, sign: bool = False) -> str:
    """``value`` to ``places`` decimals, half away from zero after a tiny nudge (see above)."""
    spec = f"{'+' if sign else ''}.{places}f"
    text = format(value + math.copysign(_NUDGE, value), spec)
    return format(0.0, spec) if float(text) == 0 else text  # no "-0.00"


def _needs_article(name: str) -> bool:
    words = name.split()
    if not words or words[0] in {"the", "The"}:
        return False
    return words[0] == "United" or name in _ARTICLE_ACRONYMS or bool(_ARTICLE_WORDS & set(words))


def party_name(name: str, *, start: bool = False) -> str:
    """The party as written inside a sentence ("the United States"); ``start`` capitalises it."""
    if not _needs_article(name):
        return name
    return f"{'The' if start else 'the'} {name}"


def is_plural(name: str) -> bool:
    """Whether a party name takes a plural verb ("European states gain")."""
    words = name.split()
    last = words[-1] if words else ""
    if words[:1] == ["United"] or last in _SINGULAR_NAMES or not last.endswith("s"):
        return False
    if last[:1].islower():
        return not last.endswith("ss")
    return not last.endswith(_SINGULAR_ENDINGS)


def verb(name: str, singular: str, plural: str) -> str:
    """``singular`` or ``plural``, agreeing with the party name."""
    return plural if is_plural(name) else singular


def pronoun(name: str) -> str:
    """The possessive for a party: "its" or "their"."""
    return "their" if is_plural(name) else "its"


def is_clause(label: str) -> bool:
    """Whether an option label is a clause ("only defensive systems are supplied")."""
    return bool(_CLAUSE_VERBS & set(label.lower().replace(",", " ").split()[1:]))


def possessive(name: str) -> str:
    """``name``'s, or ``name``' when it ends in "s" ("the United States' priorities")."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def upper_first(text: str) -> str:
    """Capitalise the first letter only."""
    return text[:1].upper() + text[1:]


def lower_first(text: str, names: AbstractSet[str]) -> str:
    """Lower-case the first letter of a label unless its first word is a name."""
    word = text.split(" ", 1)[0].removesuffix("'s").removesuffix("\u2019s")
    if len(text) > 1 and text[0].isupper() and text[1].islower() and word not in names:
        return text[0].lower() + text[1:]
    return text

"""What changed between two versions of a scenario, as a list of named changes.

Both documents are read as validated scenarios and compared in their full form (every default
filled in), so two spellings of the same scenario (``options: [a]`` and
``options: [{name: a}]``) have no difference. Issues, options and parties are matched by name:
a renamed one is removed and added. What belongs to an added or removed thing is part of that
change (a new party's weights, the values and red lines of a removed option) and is not
listed again.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from detente.scenario.model import Scenario

__all__ = ["Change", "ChangeKind", "diff_documents", "diff_scenarios"]


class ChangeKind(enum.StrEnum):
    """The kinds of change a diff names."""

    FIELD = "field"  #: any other field (titles, descriptions, roles, ranges, positions...)
    ISSUE_ADDED = "issue_added"
    ISSUE_REMOVED = "issue_removed"
    ISSUES_REORDERED = "issues_reordered"
    OPTION_ADDED = "option_added"
    OPTION_REMOVED = "option_removed"
    OPTION_RELABELLED = "option_relabelled"
    OPTIONS_REORDERED = "options_reordered"
    MECHANISM_ADDED = "mechanism_added"
    MECHANISM_REMOVED = "mechanism_removed"
    MECHANISM_STRENGTH = "mechanism_strength"
    PARTY_ADDED = "party_added"
    PARTY_REMOVED = "party_removed"
    PARTIES_REORDERED = "parties_reordered"
    WEIGHT = "weight"
    VALUE = "value"
    VALUE_FUNCTION = "value_function"
    RESERVATION_VALUE = "reservation_value"
    RED_LINE_ADDED = "red_line_added"
    RED_LINE_REMOVED = "red_line_removed"
    RATIONALE = "rationale"


@dataclasses.dataclass(frozen=True)
class Change:
    """One difference between two versions.

    Attributes:
        kind: what kind of change.
        path: the field, as dotted names (``parties.Russia.preferences.issues.sanctions.weight``).
        party: the party concerned, if any.
        issue: the issue concerned, if any.
        option: the option concerned, if any.
        before: the old value (None for an addition).
        after: the new value (None for a removal).
    """

    kind: ChangeKind
    path: str
    party: str | None = None
    issue: str | None = None
    option: str | None = None
    before: Any = None
    after: Any = None

    @property
    def summary(self) -> str:
        """The change in one line of words."""
        whose = f" for {self.party}" if self.party else ""
        of_issue = f" of issue {self.issue!r}" if self.issue else ""
        k = ChangeKind
        words = {
            k.ISSUE_ADDED: f"issue {self.issue!r} added",
            k.ISSUE_REMOVED: f"issue {self.issue!r} removed",
            k.ISSUES_REORDERED: "issues reordered",
            k.OPTION_ADDED: f"option {self.option!r}{of_issue} added",
            k.OPTION_REMOVED: f"option {self.option!r}{of_issue} removed",
            k.OPTIONS_REORDERED: f"options{of_issue} reordered",
            k.PARTY_ADDED: f"party {self.party!r} added",
            k.PARTY_REMOVED: f"party {self.party!r} removed",
            k.PARTIES_REORDERED: "parties reordered",
            k.RED_LINE_ADDED: f"red line{whose}: option {self.option!r}{of_issue} now refused",
            k.RED_LINE_REMOVED: f"red line{whose}: option {self.option!r}{of_issue} no longer "
            "refused",
        }
        if self.kind in words:
            return words[self.kind]
        what = {
            k.OPTION_RELABELLED: f"label of option {self.option!r}{of_issue}",
            k.WEIGHT: f"weight{of_issue}{whose}",
            k.VALUE: f"value of option {self.option!r}{of_issue}{whose}",
            k.VALUE_FUNCTION: f"value function{of_issue}{whose}",
            k.RESERVATION_VALUE: f"reservation value{whose}",
            k.MECHANISM_ADDED: f"mechanisms of option {self.option!r}{of_issue}",
            k.MECHANISM_REMOVED: f"mechanisms of option {self.option!r}{of_issue}",
            k.MECHANISM_STRENGTH: f"mechanism strength of option {self.option!r}{of_issue}",
        }.get(self.kind, self.path)
        return f"{what}: {_show(self.before)} -> {_show(self.after)}"


def _show(value: Any) -> str:
    return "(none)" if value is None else repr(value)


def diff_documents(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """The changes from one valid native document to another (see the module's docstring).

    Raises:
        pydantic.ValidationError: a document is not a valid scenario.
    """
    return diff_scenarios(Scenario.model_validate(before), Scenario.model_validate(after))


def diff_scenarios(before: Scenario, after: Scenario) -> list[Change]:
    """The changes from one scenario to another, in document order."""
    a, b = before.model_dump(mode="json"), after.model_dump(mode="json")
    out: list[Change] = []
    delta = _Delta()
    for key in b:  # the model's order: issues before parties
        if key == "context":
            for name, value in b["context"].items():
                kind = ChangeKind.RATIONALE if name == "rationale" else ChangeKind.FIELD
                _leaf(out, f"context.{name}", a["context"][name], value, kind=kind)
        elif key == "issues":
            delta = _issues(out, a["issues"], b["issues"])
        elif key == "parties":
            _parties(out, a["parties"], b["parties"], delta)
        else:  # name, title, description, disclaimer, line_of_contact...
            _leaf(out, key, a[key], b[key])
    return out


def _leaf(
    out: list[Change],
    path: str,
    old: Any,
    new: Any,
    *,
    kind: ChangeKind = ChangeKind.FIELD,
    party: str | None = None,
    issue: str | None = None,
    option: str | None = None,
) -> None:
    if old != new:
        out.append(Change(kind, path, party, issue, option, before=old, after=new))


def _by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(item["name"]): item for item in items}


def _matched(
    out: list[Change],
    old: list[dict[str, Any]],
    new: list[dict[str, Any]],
    reordered: Change,
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], list[str], list[str]]:
    """Old and new items by name, the names removed and added; notes a change of order."""
    a, b = _by_name(old), _by_name(new)
    kept_a = [n for n in a if n in b]
    kept_b = [n for n in b if n in a]
    if kept_a != kept_b:
        out.append(dataclasses.replace(reordered, before=kept_a, after=kept_b))
    return a, b, [n for n in a if n not in b], [n for n in b if n not in a]


@dataclasses.dataclass
class _Delta:
    """What the issues' changes imply for the parties' fields that refer to them."""

    whole: set[str] = dataclasses.field(default_factory=set)
    """Issues added, removed or changed in kind: every valuation and red line of theirs."""
    options: dict[str, set[str]] = dataclasses.field(default_factory=dict)
    """Options added or removed, by issue: the values and red lines that name them."""

    def covers(self, issue: str, option: str | None = None) -> bool:
        """Whether a change to ``issue`` (or to its ``option``) is part of a listed change."""
        return issue in self.whole or (option is not None and option in self.options.get(issue, ()))


def _issues(out: list[Change], old: list[dict[str, Any]], new: list[dict[str, Any]]) -> _Delta:
    a, b, removed, added = _matched(out, old, new, Change(ChangeKind.ISSUES_REORDERED, "issues"))
    delta = _Delta(whole=set(removed) | set(added))
    out.extend(Change(ChangeKind.ISSUE_REMOVED, f"issues.{n}", issue=n) for n in removed)
    for name, issue in b.items():
        path = f"issues.{name}"
        if name in added:
            out.append(Change(ChangeKind.ISSUE_ADDED, path, issue=name))
            continue
        was = a[name]
        if was["kind"] != issue["kind"]:
            delta.whole.add(name)
            out.append(Change(ChangeKind.ISSUE_REMOVED, path, issue=name, before=was["kind"]))
            out.append(Change(ChangeKind.ISSUE_ADDED, path, issue=name, after=issue["kind"]))
            continue
        for key in issue:
            if key not in {"name", "kind", "options"}:
                _leaf(out, f"{path}.{key}", was[key], issue[key], issue=name)
        if issue["kind"] == "discrete":
            delta.options[name] = _options(out, name, was["options"], issue["options"])
    return delta


def _options(
    out: list[Change], issue: str, old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> set[str]:
    """Compare the options of a discrete issue; return those added or removed."""
    path = f"issues.{issue}.options"
    reordered = Change(ChangeKind.OPTIONS_REORDERED, path, issue=issue)
    a, b, removed, added = _matched(out, old, new, reordered)
    out.extend(
        Change(ChangeKind.OPTION_REMOVED, f"{path}.{n}", issue=issue, option=n) for n in removed
    )
    for name, option in b.items():
        here = f"{path}.{name}"
        who = {"issue": issue, "option": name}
        if name in added:
            out.append(Change(ChangeKind.OPTION_ADDED, here, after=option["label"], **who))
            continue
        was = a[name]
        for key in (k for k in option if k not in {"name", "provides"}):
            kind = ChangeKind.OPTION_RELABELLED if key == "label" else ChangeKind.FIELD
            _leaf(out, f"{here}.{key}", was[key], option[key], kind=kind, issue=issue, option=name)
        _provisions(out, f"{here}.provides", was["provides"], option["provides"], who)
    return set(removed) | set(added)


def _provisions(
    out: list[Change],
    path: str,
    old: list[dict[str, Any]],
    new: list[dict[str, Any]],
    who: dict[str, str],
) -> None:
    a = {p["mechanism"]: p["strength"] for p in old}
    b = {p["mechanism"]: p["strength"] for p in new}
    out.extend(Change(ChangeKind.MECHANISM_REMOVED, path, before=m, **who) for m in a if m not in b)
    for mechanism, strength in b.items():
        if mechanism not in a:
            out.append(Change(ChangeKind.MECHANISM_ADDED, path, after=mechanism, **who))
        elif a[mechanism] != strength:
            out.append(
                Change(
                    ChangeKind.MECHANISM_STRENGTH,
                    f"{path}.{mechanism}",
                    before=a[mechanism],
                    after=strength,
                    **who,
                )
            )
    if [m for m in a if m in b] != [m for m in b if m in a]:
        out.append(Change(ChangeKind.FIELD, path, before=list(a), after=list(b), **who))


_PARTY_KINDS = {
    "reservation_value": ChangeKind.RESERVATION_VALUE,
    "reservation_rationale": ChangeKind.RATIONALE,
    "clout_rationale": ChangeKind.RATIONALE,
}


def _parties(
    out: list[Change], old: list[dict[str, Any]], new: list[dict[str, Any]], delta: _Delta
) -> None:
    a, b, removed, added = _matched(out, old, new, Change(ChangeKind.PARTIES_REORDERED, "parties"))
    out.extend(Change(ChangeKind.PARTY_REMOVED, f"parties.{n}", party=n) for n in removed)
    for name, party in b.items():
        path = f"parties.{name}"
        if name in added:
            out.append(Change(ChangeKind.PARTY_ADDED, path, party=name))
            continue
        was = a[name]
        for key in (k for k in party if k not in {"name", "preferences", "red_lines"}):
            kind = _PARTY_KINDS.get(key, ChangeKind.FIELD)
            _leaf(out, f"{path}.{key}", was[key], party[key], kind=kind, party=name)
        _preferences(out, name, was["preferences"], party["preferences"], delta)
        _red_lines(out, name, was["red_lines"], party["red_lines"], delta)


def _preferences(
    out: list[Change], party: str, old: dict[str, Any], new: dict[str, Any], delta: _Delta
) -> None:
    path = f"parties.{party}.preferences"
    if old["kind"] != "additive" or new["kind"] != "additive":
        _leaf(out, path, old, new, party=party)
        return
    for issue, valuation in new["issues"].items():
        if delta.covers(issue):
            continue
        was = old["issues"][issue]
        here = f"{path}.issues.{issue}"
        who = {"party": party, "issue": issue}
        for key, kind in (
            ("weight", ChangeKind.WEIGHT),
            ("rationale", ChangeKind.RATIONALE),
            ("function", ChangeKind.VALUE_FUNCTION),
        ):
            _leaf(out, f"{here}.{key}", was[key], valuation[key], kind=kind, **who)
        values_a, values_b = was["values"] or {}, valuation["values"] or {}
        for option in [*values_a, *(o for o in values_b if o not in values_a)]:
            if not delta.covers(issue, option):
                _leaf(
                    out,
                    f"{here}.values.{option}",
                    values_a.get(option),
                    values_b.get(option),
                    kind=ChangeKind.VALUE,
                    option=option,
                    **who,
                )


def _red_lines(
    out: list[Change],
    party: str,
    old: dict[str, list[Any]],
    new: dict[str, list[Any]],
    delta: _Delta,
) -> None:
    path = f"parties.{party}.red_lines"
    for issue in [*old, *(i for i in new if i not in old)]:
        a = [str(o) for o in old.get(issue, [])]
        b = [str(o) for o in new.get(issue, [])]
        who = {"party": party, "issue": issue, "path": f"{path}.{issue}"}
        out.extend(
            Change(ChangeKind.RED_LINE_REMOVED, option=o, **who)
            for o in a
            if o not in b and not delta.covers(issue, o)
        )
        out.extend(
            Change(ChangeKind.RED_LINE_ADDED, option=o, **who)
            for o in b
            if o not in a and not delta.covers(issue, o)
        )

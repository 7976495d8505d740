"""One error hierarchy: every error names the file, field or request it concerns."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DetenteError", "FormatError", "RepairWarning", "ScenarioError", "UnsupportedError"]


class DetenteError(Exception):
    """Base class of every error detente raises on bad input or bad configuration.

    Args:
        message: what is wrong, in one sentence.
        source: the file (or request) concerned, if any.
        field: the dotted path of the offending field, if known.
        line: the line in ``source``, when the parser gives one.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | Path | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.source = str(source) if source is not None else None
        self.field = field
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        """One line: ``file:line: field: message``."""
        where = ""
        if self.source:
            where = self.source + (f":{self.line}" if self.line is not None else "") + ": "
        what = f"{self.field}: " if self.field else ""
        return f"{where}{what}{self.message}"


class ScenarioError(DetenteError):
    """A scenario is invalid (unknown names, bad weights, out-of-range values...)."""


class FormatError(DetenteError):
    """A file cannot be parsed in its format (malformed YAML/JSON/XML, too large, unsafe)."""


class UnsupportedError(DetenteError):
    """A file uses a construct detente does not support; the message names the construct."""


class RepairWarning(UserWarning):
    """A file had a known quirk that was repaired on import; the message names file and quirk."""

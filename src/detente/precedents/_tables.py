"""Reading a user's copy of a record file: present columns, codes of the right kind.

Every failure is one :class:`~detente.errors.DetenteError` naming the file and the column (and,
for a bad value, the data row counted from 1 after the header).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from detente.errors import DetenteError

__all__ = ["check_codes", "integer_columns", "read_table"]


def read_table(
    path: str | Path, required: Iterable[str], *, what: str, only_required: bool = False
) -> pd.DataFrame:
    """The CSV file at ``path`` with every ``required`` column present.

    Args:
        path: the user's copy of the file.
        required: columns the caller reads.
        what: the data set's name, for messages ("ETH/PRIO CF", "PA-X"...).
        only_required: read only the ``required`` columns (faster on wide files).

    Raises:
        DetenteError: the file cannot be read or parsed, or a column is missing.
    """
    source = Path(path)
    wanted = list(required)
    try:
        header = pd.read_csv(source, nrows=0, encoding_errors="replace")
        names = [str(c).strip() for c in header.columns]
        missing = [c for c in wanted if c not in names]
        if missing:
            raise DetenteError(
                f"missing column in this {what} file"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
                source=source,
                field=missing[0],
            )
        keep = set(wanted)
        frame = pd.read_csv(
            source,
            low_memory=False,
            encoding_errors="replace",
            usecols=(lambda c: str(c).strip() in keep) if only_required else None,
        )
    except FileNotFoundError:
        raise DetenteError(f"no such {what} file", source=source) from None
    except (OSError, UnicodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DetenteError(f"cannot read as a {what} CSV file: {exc}", source=source) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def integer_columns(
    frame: pd.DataFrame, columns: Iterable[str], *, source: str | Path, blank: int | None = None
) -> pd.DataFrame:
    """``frame`` with ``columns`` as int64; a blank cell becomes ``blank`` when it is given.

    Raises:
        DetenteError: a cell is not a whole number (or is blank where no ``blank`` is given),
            naming the column and the data row.
    """
    out = frame.copy()
    for column in columns:
        values = pd.to_numeric(out[column], errors="coerce")
        if blank is not None:
            values = values.where(out[column].notna(), blank)
        bad = values.isna().to_numpy() | (values.to_numpy(dtype=float) % 1 != 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DetenteError(
                f"row {row + 1}: {out[column].iloc[row]!r} is not a whole-number code",
                source=source,
                field=column,
            )
        out[column] = values.astype("int64")
    return out


def check_codes(
    frame: pd.DataFrame, codes: Mapping[str, Iterable[int]], *, source: str | Path
) -> None:
    """Raise unless every column of ``codes`` holds only the codes listed for it.

    Raises:
        DetenteError: a code outside its column's list, naming the column and the data row.
    """
    for column, allowed in codes.items():
        known = sorted(set(allowed))
        bad = ~frame[column].isin(known).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DetenteError(
                f"row {row + 1}: code {frame[column].iloc[row]} is not one of "
                f"{', '.join(map(str, known))}",
                source=source,
                field=column,
            )

"""Scenario files in and out of the library: uploads read safely, exports as bytes.

An upload is one file: a native YAML or JSON scenario, a GeniusWeb profile (JSON, with its
domain inside), or a zip of a GENIUS folder (a domain and its profiles) or a GeniusWeb folder.
Every reader is the one the CLI uses (YAML through the strict safe loader, XML through
defusedxml); before any of them runs, a zip is checked whole: its size, the number of its
members, their names (no absolute path, no ``..``, no link) and their uncompressed sizes, which
are never trusted but counted while reading (so a "zip bomb" stops at the limit). A refused
upload raises :class:`UploadError` naming the file, the member and the problem; nothing of it is
kept.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import stat
import tempfile
import warnings
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from detente.errors import DetenteError, RepairWarning
from detente.files import MAX_FILE_BYTES
from detente.monitor.errors import InputError
from detente.scenario.formats import genius, geniusweb
from detente.scenario.formats._common import safe_file_stem
from detente.scenario.formats.native import dump_native, parse_native
from detente.scenario.io import load_scenario
from detente.scenario.model import Scenario

__all__ = [
    "MAX_MEMBERS",
    "MAX_RATIO",
    "MAX_UNPACKED_BYTES",
    "MAX_UPLOAD_BYTES",
    "ExportFile",
    "ExportFormat",
    "ImportedScenario",
    "UploadError",
    "UploadTooLargeError",
    "export_file",
    "read_upload",
]

#: An uploaded file may be at most this large (5 MiB; a scenario is kilobytes, ANAC's largest
#: GENIUS domains zip to a few hundred).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: A zip may unpack to at most this much in all (the CLI's limit for one input file).
MAX_UNPACKED_BYTES = MAX_FILE_BYTES
#: A zip may hold at most this many members.
MAX_MEMBERS = 500
#: A member over 1 MiB may be at most this many times larger than its compressed size (XML
#: compresses about tenfold; a zip bomb a thousandfold and more).
MAX_RATIO = 100
_RATIO_FLOOR = 1024 * 1024
_SCENARIO_SUFFIXES = (".xml", ".json")
_CHUNK = 64 * 1024


class UploadError(InputError):
    """An uploaded file is refused: unsafe, malformed, or not a scenario (422).

    The message starts with the file (``talks.zip/talks-east.xml:12: ...``), as the CLI's
    errors do, so that every rendering of it names the file; ``file`` holds it alone.
    """

    def __init__(
        self, message: str, *, file: str, field: str | None = None, line: int | None = None
    ) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {message}", field=field, line=line)
        self.file = file

    def details(self) -> dict[str, Any]:
        """The file (or zip member) refused."""
        return {"file": self.file}


class UploadTooLargeError(UploadError):
    """An upload, or what it unpacks to, is over a size limit (413)."""

    status = 413


@dataclasses.dataclass(frozen=True)
class ImportedScenario:
    """A scenario read from an upload.

    Attributes:
        scenario: the validated scenario.
        format: ``native``, ``genius`` or ``geniusweb``.
        repairs: the quirks repaired on the way (the CLI's repair warnings), one line each.
    """

    scenario: Scenario
    format: str
    repairs: tuple[str, ...]


class ExportFormat(enum.StrEnum):
    """The formats a scenario is exported in."""

    YAML = "yaml"
    JSON = "json"
    GENIUS = "genius"  #: a zip of the GENIUS domain and one profile per party
    GENIUSWEB = "geniusweb"  #: a zip of the GeniusWeb domain and one profile per party


@dataclasses.dataclass(frozen=True)
class ExportFile:
    """An exported scenario file.

    Attributes:
        filename: a safe file name for it.
        media_type: its MIME type.
        content: its bytes.
        notes: what the format could not hold (the writer's warnings), one line each.
    """

    filename: str
    media_type: str
    content: bytes
    notes: tuple[str, ...] = ()


def _shown(filename: str) -> str:
    """The client's file name, printable and short, for messages."""
    name = "".join(c if c.isprintable() else "?" for c in PurePosixPath(filename).name)
    return (name[:80] or "upload").strip() or "upload"


def read_upload(filename: str, data: bytes) -> ImportedScenario:
    """Read an uploaded scenario file (see the module's docstring for what is accepted).

    Raises:
        UploadTooLargeError: the file, or what a zip unpacks to, is over a limit.
        UploadError: the file is unsafe, malformed or not a valid scenario; the message names
            the file (and the zip member) and, for a scenario error, the field.
    """
    shown = _shown(filename)
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadTooLargeError(
            f"the file is {len(data):,} bytes, over the {MAX_UPLOAD_BYTES:,}-byte limit",
            file=shown,
        )
    suffix = PurePosixPath(shown).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="detente-upload-") as tmp:
        folder = Path(tmp)
        if suffix == ".zip" or data.startswith(b"PK\x03\x04"):
            _unpack(data, shown, folder)
            target, kind = folder, "genius"
        elif suffix in {".yaml", ".yml", ".json"}:
            target = folder / f"upload{suffix}"
            target.write_bytes(data)
            kind = "geniusweb" if geniusweb.is_geniusweb_file(target) else "native"
        else:
            raise UploadError(
                "not a scenario file: upload a .yaml, .yml or .json scenario, a GeniusWeb "
                ".json profile, or a .zip of a GENIUS or GeniusWeb folder",
                file=shown,
            )
        if kind == "genius" and geniusweb.is_geniusweb_folder(folder):
            kind = "geniusweb"
        return _read(target, kind, shown)


def _read(target: Path, kind: str, shown: str) -> ImportedScenario:
    def where(text: str) -> str:  # a zip's member is "upload.zip/member.xml"
        return text.replace(str(target), shown)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RepairWarning)
        try:
            scenario = (
                parse_native(target.read_bytes(), source=shown, is_json=target.suffix == ".json")
                if kind == "native"
                else load_scenario(target)
            )
        except DetenteError as exc:
            file = where(exc.source) if exc.source else shown
            raise UploadError(
                where(exc.message), file=file, field=exc.field, line=exc.line
            ) from None
    repairs = tuple(where(str(w.message)) for w in caught if issubclass(w.category, RepairWarning))
    return ImportedScenario(scenario=scenario, format=kind, repairs=repairs)


def _member_path(info: zipfile.ZipInfo, shown: str) -> PurePosixPath | None:
    """The member's path, refusing one that could land outside the folder; None for a folder."""
    name = info.filename
    path = PurePosixPath(name.replace("\\", "/"))
    unsafe = (
        name.startswith(("/", "\\"))
        or (len(name) > 1 and name[1] == ":")
        or ".." in path.parts
        or "\x00" in name
    )
    if unsafe:
        raise UploadError(
            f"the zip member {name!r} points outside the folder (an absolute path or '..'): "
            "refused",
            file=shown,
        )
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UploadError(f"the zip member {name!r} is a symbolic link: refused", file=shown)
    if info.flag_bits & 0x1:
        raise UploadError(f"the zip member {name!r} is encrypted: refused", file=shown)
    return None if info.is_dir() else path


def _unpack(data: bytes, shown: str, folder: Path) -> None:
    """Check a zip whole, then write its scenario files (flat) into ``folder``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise UploadError(f"not a readable zip file ({exc})", file=shown) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UploadError(
                f"the zip holds {len(infos):,} members, over the limit of {MAX_MEMBERS}",
                file=shown,
            )
        wanted: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
        for info in infos:
            path = _member_path(info, shown)
            if path is None or path.parts[0] == "__MACOSX" or path.name.startswith("."):
                continue
            if path.suffix.lower() in _SCENARIO_SUFFIXES:
                wanted.append((info, path))
        if not wanted:
            raise UploadError(
                "the zip holds no .xml or .json file (a GENIUS or GeniusWeb folder)", file=shown
            )
        parents = {p.parent for _, p in wanted}
        if len(parents) > 1:
            shown_parents = ", ".join(sorted(str(p) for p in parents)[:3])
            raise UploadError(
                f"the zip holds scenario files in several folders ({shown_parents}): zip one "
                "GENIUS or GeniusWeb folder",
                file=shown,
            )
        total = 0
        for info, path in wanted:
            total = _extract(archive, info, path, folder / path.name, total=total, shown=shown)


def _extract(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    path: PurePosixPath,
    target: Path,
    *,
    total: int,
    shown: str,
) -> int:
    """Copy one member, counting what it really unpacks to; returns the running total."""
    if target.exists():
        raise UploadError(f"the zip holds {path.name!r} twice", file=shown)
    written = 0
    try:
        with archive.open(info) as src, target.open("wb") as dst:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if total + written > MAX_UNPACKED_BYTES:
                    raise UploadTooLargeError(
                        f"the zip unpacks to more than {MAX_UNPACKED_BYTES:,} bytes (a zip "
                        "bomb?): refused",
                        file=shown,
                    )
                if written > _RATIO_FLOOR and written > MAX_RATIO * max(info.compress_size, 1):
                    raise UploadTooLargeError(
                        f"the zip member {info.filename!r} unpacks to over {MAX_RATIO} times "
                        "its compressed size (a zip bomb?): refused",
                        file=shown,
                    )
                dst.write(chunk)
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
        raise UploadError(
            f"the zip member {info.filename!r} cannot be read ({exc})", file=shown
        ) from None
    return total + written


def _zip(texts: dict[str, str]) -> bytes:
    """A zip of ``name -> text`` with fixed dates, so the same scenario zips to the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in texts.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode(), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def export_file(scenario: Scenario, fmt: ExportFormat) -> ExportFile:
    """The scenario as a file in ``fmt`` (GENIUS and GeniusWeb: a zip of their folder).

    Raises:
        InputError: the format cannot express the scenario (the writer's message; 422).
    """
    stem = safe_file_stem(scenario.name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RepairWarning)
        try:
            if fmt is ExportFormat.YAML:
                content = dump_native(scenario).encode()
                name, media = f"{stem}.yaml", "application/yaml"
            elif fmt is ExportFormat.JSON:
                content = dump_native(scenario, as_json=True).encode()
                name, media = f"{stem}.json", "application/json"
            elif fmt is ExportFormat.GENIUS:
                content = _zip(genius.genius_texts(scenario))
                name, media = f"{stem}-genius.zip", "application/zip"
            else:
                content = _zip(geniusweb.geniusweb_texts(scenario))
                name, media = f"{stem}-geniusweb.zip", "application/zip"
        except DetenteError as exc:
            raise InputError(
                f"cannot export as {fmt.value}: {exc.message}", field="format"
            ) from None
    notes = tuple(str(w.message) for w in caught if issubclass(w.category, RepairWarning))
    return ExportFile(filename=name, media_type=media, content=content, notes=notes)

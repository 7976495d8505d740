"""Uploads are read with the CLI's readers after the zip is checked whole; exports round-trip."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path

import pytest
import yaml

from detente.monitor.errors import InputError
from detente.scenario.formats.native import dump_native, native_document
from detente.scenario.io import load_scenario
from detente.workbench import transfer
from detente.workbench.transfer import (
    ExportFormat,
    UploadError,
    UploadTooLargeError,
    export_file,
    read_upload,
)

DATA = Path(__file__).parents[1] / "data"
CLEAN = DATA / "genius" / "clean"
JOBS = DATA / "geniusweb" / "jobs"

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<negotiation_template><objective name="x">&lol2;</objective></negotiation_template>
"""


def zipped(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def folder_files(folder: Path, prefix: str = "") -> dict[str, bytes]:
    return {prefix + p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_native_yaml_and_json_are_read_as_the_cli_reads_them() -> None:
    scenario = load_scenario("ceasefire-2025")
    for name, text in [
        ("c.yaml", dump_native(scenario)),
        ("c.JSON", dump_native(scenario, as_json=True)),
    ]:
        got = read_upload(name, text.encode())
        assert (got.scenario, got.format, got.repairs) == (scenario, "native", ())


def test_a_genius_folder_zip_is_read_as_the_folder_is() -> None:
    expected = load_scenario(CLEAN)
    flat = read_upload("talks.zip", zipped(folder_files(CLEAN)))
    nested = read_upload(
        "talks.zip",
        zipped({"talks/": b"", **folder_files(CLEAN, "talks/"), "__MACOSX/._x.xml": b"junk"}),
    )
    assert flat.scenario == nested.scenario == expected
    assert flat.format == "genius"


def test_geniusweb_a_profile_alone_or_a_zipped_folder() -> None:
    expected = load_scenario(JOBS)
    got = read_upload("jobs.zip", zipped(folder_files(JOBS)))
    assert (got.scenario, got.format) == (expected, "geniusweb")
    profile = json.loads((JOBS / "jobs1.json").read_text())
    profile["LinearAdditiveUtilitySpace"]["domain"] = json.loads((JOBS / "jobs.json").read_text())
    alone = read_upload("jobs1.json", json.dumps(profile).encode())
    assert alone.format == "geniusweb"
    assert alone.scenario.party_names == [expected.party_names[0]]


def test_repairs_are_reported_with_the_uploaded_names() -> None:
    got = read_upload("amp.zip", zipped(folder_files(DATA / "genius" / "unescaped-ampersand")))
    assert got.repairs
    assert all(r.startswith("amp.zip/talks-") for r in got.repairs)
    assert "detente-upload" not in " ".join(got.repairs)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("x.exe", b"MZ", "not a scenario file"),
        ("x.zip", b"not a zip", "not a readable zip file"),
        ("x.zip", zipped({"readme.txt": b"hi"}), "holds no .xml or .json file"),
        ("x.zip", zipped({"a/d.xml": b"<a/>", "b/p.xml": b"<a/>"}), "in several folders"),
        ("x.zip", zipped({"../evil.xml": b"<a/>"}), "points outside the folder"),
        ("x.zip", zipped({"/etc/evil.xml": b"<a/>"}), "points outside the folder"),
        ("x.zip", zipped({"C:\\evil.xml": b"<a/>"}), "points outside the folder"),
        ("x.zip", zipped({"d.xml": BOMB, "p.xml": b"<a/>"}), "unsafe XML refused"),
        ("x.yaml", b"a: &a [1]\nb: *a\nname: [", "malformed YAML"),
        ("x.json", b'{"name": "x", "name": "y"}', "duplicate key 'name'"),
    ],
)
def test_a_bad_upload_is_one_clear_error_naming_the_file(
    name: str, data: bytes, message: str
) -> None:
    with pytest.raises(UploadError) as info:
        read_upload(name, data)
    assert message in info.value.message
    assert info.value.status == 422
    assert info.value.file.startswith(name.split(".", maxsplit=1)[0])
    assert info.value.message.startswith(info.value.file)
    assert info.value.details() == {"file": info.value.file}
    assert "detente-upload" not in str(info.value)


def test_an_xml_bomb_names_the_zip_member() -> None:
    with pytest.raises(UploadError) as info:
        read_upload("talks.zip", zipped({"talks/d.xml": BOMB}))
    assert info.value.file == "talks.zip/d.xml"


def test_an_invalid_scenario_names_the_field() -> None:
    document = native_document(load_scenario("ceasefire-2025"))
    document["parties"][0]["reservation_value"] = 3.5
    with pytest.raises(UploadError) as info:
        read_upload("c.yaml", yaml.safe_dump(document, sort_keys=False).encode())
    assert info.value.field == "parties.0.reservation_value"
    assert info.value.line is not None
    assert info.value.message.startswith(f"c.yaml:{info.value.line}: Input should be less")


def test_a_link_or_an_encrypted_member_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("d.xml")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(UploadError, match="symbolic link"):
        read_upload("x.zip", buffer.getvalue())
    data = bytearray(zipped({"d.xml": b"<a/>"}))
    data[6] |= 0x1  # the local header's "encrypted" flag
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x1
    with pytest.raises(UploadError, match="encrypted"):
        read_upload("x.zip", bytes(data))


def test_a_file_twice_or_too_many_members_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UploadError, match=r"holds 'd\.xml' twice"):
        read_upload("x.zip", _twice())
    monkeypatch.setattr(transfer, "MAX_MEMBERS", 2)
    with pytest.raises(UploadError, match="3 members, over the limit of 2"):
        read_upload("x.zip", zipped({f"{k}.xml": b"<a/>" for k in range(3)}))


def _twice() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("d.xml", b"<a/>")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("d.xml", b"<b/>")
    return buffer.getvalue()


def test_zip_bombs_stop_at_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer, "MAX_UNPACKED_BYTES", 3 * 1024 * 1024)
    big = zipped(
        {"d.xml": b"<a>" + b" " * (4 * 1024 * 1024) + b"</a>"}, compression=zipfile.ZIP_STORED
    )
    with pytest.raises(UploadTooLargeError, match="unpacks to more than 3,145,728 bytes") as info:
        read_upload("bomb.zip", big)
    assert info.value.status == 413
    ratio = zipped({"d.xml": b"<a>" + b" " * (2 * 1024 * 1024) + b"</a>"})
    with pytest.raises(UploadTooLargeError, match="over 100 times its compressed size"):
        read_upload("bomb.zip", ratio)


def test_a_lying_size_header_does_not_help_a_bomb() -> None:
    data = bytearray(zipped({"d.xml": b"<a>" + b" " * 100_000 + b"</a>"}))
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")  # uncompressed size: 10
    data[22:26] = (10).to_bytes(4, "little")
    with pytest.raises(UploadError, match="cannot be read"):
        read_upload("lie.zip", bytes(data))


def test_an_upload_over_the_size_limit_is_refused_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer, "MAX_UPLOAD_BYTES", 10)
    with pytest.raises(UploadTooLargeError, match="11 bytes, over the 10-byte limit"):
        read_upload("x.yaml", b"name: abcde")


@pytest.mark.parametrize(
    ("fmt", "spec"),
    [
        (ExportFormat.YAML, "ceasefire-2025"),
        (ExportFormat.JSON, "ceasefire-2025"),
        (ExportFormat.GENIUS, CLEAN),
        (ExportFormat.GENIUSWEB, "ceasefire-2025"),
    ],
)
def test_every_export_reads_back(fmt: ExportFormat, spec: str | Path) -> None:
    scenario = load_scenario(spec)
    exported = export_file(scenario, fmt)
    back = read_upload(exported.filename, exported.content)
    if fmt is not ExportFormat.GENIUSWEB:
        assert back.scenario == scenario
    else:  # GeniusWeb has no reservation value, no red lines, no labels
        assert sorted(back.scenario.party_names) == sorted(scenario.party_names)
        assert [i.values for i in back.scenario.issues] == [i.values for i in scenario.issues]
    assert exported.content == export_file(scenario, fmt).content  # reproducible bytes
    assert exported.filename.startswith(scenario.name)


def test_an_export_says_what_the_format_cannot_hold() -> None:
    ceasefire = load_scenario("ceasefire-2025")
    exported = export_file(ceasefire, ExportFormat.GENIUSWEB)
    assert any("reservation" in n for n in exported.notes)
    assert exported.media_type == "application/zip"
    assert export_file(ceasefire, ExportFormat.YAML).notes == ()


def test_an_export_the_format_cannot_express_is_refused() -> None:
    with pytest.raises(InputError, match="cannot export as geniusweb: GeniusWeb number") as info:
        export_file(load_scenario(CLEAN), ExportFormat.GENIUSWEB)
    assert (info.value.status, info.value.field) == (422, "format")

"""Scanned page originals through real bundles (caseworker.sync.originals): with the district's
setting on, an office's export carries the kept page of each confirmed scanned form once, and
the district keeps it byte for byte (never sending it to an office); with it off nothing goes;
a page that is not a JPEG, too large, printed by another office or for another office's record
refuses the bundle whole and changes nothing; a bundle without originals still imports."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from caseworker.district import service
from caseworker.domain import form_code
from caseworker.scan.reader import PageReading
from caseworker.services import paper, scans, settings
from caseworker.services.elderly import visits
from caseworker.sync import office, originals
from caseworker.sync import photos as sync_photos
from caseworker.workspace import Workspace
from db.photo_store import sha256_of
from tests.sync.helpers import ADMIN, World, make_world, snapshot
from tests.sync.test_edit_paths import TODAY, _resident
from tests.sync.test_photo_transfer import _craft, _frame, _Frames, _jpeg, _png


@pytest.fixture
def world(tmp_path: Path):
    w = make_world(tmp_path, ["A", "B"])
    yield w
    w.close()


def _page_image(seed: int) -> Image.Image:
    """A page at the working resolution (150 dpi A4) with some ink on it."""
    img = Image.new("L", (1240, 1754), 250)
    d = ImageDraw.Draw(img)
    for i in range(40):
        y = 80 + i * 40
        d.line((100, y, 1140, y), fill=30, width=2)
        d.rectangle(
            (120 + (seed * 37 + i * 53) % 900, y + 6, 150 + (seed * 37 + i * 53) % 900, y + 30),
            outline=0,
            width=3,
        )
    return img


def _entered_form(ws: Workspace, name: str, serial: int) -> tuple[str, str, Path]:
    """A visit form printed for a new resident, its visit saved and its scanned page kept as
    `services.scans.keep_original` keeps it; returns (form id, visit id, kept file)."""
    rid = _resident(ws, name, serial)
    stamp = paper.issue_one(ws.engine, ADMIN, "elderly_visit", rid, f"{TODAY:%Y-%m}")
    with ws.writer(ADMIN) as s:
        vid = visits.complete(
            s, ADMIN, visits.VisitDraft(rid, TODAY, visitors=("李专干",)), today=TODAY
        ).id
    with ws.reader() as s:
        found = paper.resolve(s, ADMIN, stamp.code(1))
    rel = scans.keep_original(ws, ADMIN, found, PageReading(_page_image(serial)), vid)
    assert rel
    return stamp.form_id, vid, ws.paths.root / rel


def _switch(world: World, on: bool) -> None:
    """The district clerk's setting, carried to the offices by their next import."""
    with world.hub.writer(ADMIN) as s:
        settings.set_value(s, ADMIN, originals.KEY, "是" if on else "否")
    for code in world.offices:
        office.import_bundle(world.offices[code], ADMIN, world.district_to_office(code))


def _hub_originals(world: World, code: str = "A") -> dict[str, bytes]:
    folder = service.photo_store(world.hub).root / originals.FOLDER
    return {p.name: p.read_bytes() for p in folder.rglob("*.jpg")} if folder.exists() else {}


def test_the_setting_is_off_by_default_and_an_office_sends_no_original(world: World) -> None:
    _entered_form(world.offices["A"], "张大爷", 11)
    with world.offices["A"].reader() as s:
        assert settings.get(s, originals.KEY) is False
    up = world.path("A-up")
    sent = office.export_bundle(world.offices["A"], ADMIN, up)
    assert sent.photos == 0 and sent.photo_bytes == 0
    [got] = service.ingest(world.hub, [up])
    assert got.refused == "" and got.photos == 0
    assert _hub_originals(world) == {}


def test_originals_reach_the_district_once_byte_equal_and_go_nowhere_else(
    tmp_path: Path, district_db: str | None
) -> None:
    world = make_world(tmp_path, ["A", "B"], db_url=district_db)
    try:
        a = world.offices["A"]
        # the offices' first bundles, so the district knows them; then the clerk switches it on
        service.ingest(world.hub, [world.office_to_district("A"), world.office_to_district("B")])
        _switch(world, True)
        kept = [_entered_form(a, "张大爷", 11), _entered_form(a, "李奶奶", 12)]
        up = world.path("A-up")
        sent = office.export_bundle(a, ADMIN, up)
        assert sent.photos == 2 and sent.photo_bytes == sum(p.stat().st_size for *_, p in kept)
        assert sent.originals == 2
        [got] = service.ingest(world.hub, [up])
        assert got.refused == "" and got.photos == 2
        held = _hub_originals(world)
        assert held == {f"{fid}-01.jpg": path.read_bytes() for fid, _, path in kept}
        assert not (service.photo_store(world.hub).root / sync_photos.INCOMING).exists()

        # never sent to an office: not back to A, not to B
        for code in ("A", "B"):
            down = world.path(f"{code}-down")
            assert service.export_for(world.hub, code, down).photos == 0
            office.import_bundle(world.offices[code], ADMIN, down)
        assert not (world.offices["B"].paths.root / "scans").exists()
        # acknowledged with that bundle: A's next one carries none again
        assert office.export_bundle(a, ADMIN, world.path("A-up2")).photos == 0
        # a newly entered form goes with the next bundle, alone
        _entered_form(a, "王奶奶", 13)
        assert office.export_bundle(a, ADMIN, world.path("A-up3")).photos == 1
    finally:
        world.close()


def test_an_unacknowledged_original_goes_again_and_switching_off_stops_it(world: World) -> None:
    service.ingest(world.hub, [world.office_to_district("A")])
    _switch(world, True)
    _entered_form(world.offices["A"], "张大爷", 11)
    lost = world.path("A-lost")
    assert office.export_bundle(world.offices["A"], ADMIN, lost).photos == 1  # never imported
    assert office.export_bundle(world.offices["A"], ADMIN, world.path("A-again")).photos == 1
    _switch(world, False)
    assert office.export_bundle(world.offices["A"], ADMIN, world.path("A-off")).photos == 0


def test_a_held_page_is_not_read_again_and_a_page_kept_anew_goes_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = world.offices["A"]
    service.ingest(world.hub, [world.office_to_district("A")])
    _switch(world, True)
    fid, _, path = _entered_form(a, "张大爷", 11)
    up = world.path("A-up")
    assert office.export_bundle(a, ADMIN, up).photos == 1
    service.ingest(world.hub, [up])
    office.import_bundle(a, ADMIN, world.district_to_office("A"))  # acknowledged
    reads: list[Path] = []
    real = originals._loader
    monkeypatch.setattr(
        originals, "_loader", lambda p: lambda: (reads.append(p), real(p)())[1]
    )  # records each file read
    assert office.export_bundle(a, ADMIN, world.path("A-up2")).photos == 0
    assert reads == []  # the district holds it: the file is not even read
    buf = io.BytesIO()
    _page_image(99).save(buf, "JPEG", quality=60)
    path.write_bytes(buf.getvalue())  # the page kept again (another scan of the same form)
    up3 = world.path("A-up3")
    assert office.export_bundle(a, ADMIN, up3).photos == 1 and reads == [path]
    assert service.ingest(world.hub, [up3])[0].refused == ""
    assert _hub_originals(world) == {f"{fid}-01.jpg": buf.getvalue()}


def test_every_kept_page_of_a_form_goes(world: World) -> None:
    """A form of two pages, both scanned and kept (the row names the last one kept)."""
    a = world.offices["A"]
    service.ingest(world.hub, [world.office_to_district("A")])
    _switch(world, True)
    fid, vid, first = _entered_form(a, "张大爷", 11)
    with a.reader() as s:
        found = paper.resolve(s, ADMIN, _code(world, "A", fid, page=2))
    second = a.paths.root / scans.keep_original(a, ADMIN, found, PageReading(_page_image(2)), vid)
    up = world.path("A-up")
    assert office.export_bundle(a, ADMIN, up).originals == 2
    assert service.ingest(world.hub, [up])[0].refused == ""
    assert _hub_originals(world) == {
        f"{fid}-01.jpg": first.read_bytes(),
        f"{fid}-02.jpg": second.read_bytes(),
    }


# -- a doctored page -----------------------------------------------------------------------------


def _known(world: World) -> tuple[str, str]:
    """A's own printed form and entered visit, known to the district (no original sent)."""
    fid, vid, _ = _entered_form(world.offices["A"], "张大爷", 11)
    service.ingest(world.hub, [world.office_to_district("A")])
    return fid, vid


def _code(world: World, office_code: str, form_id: str, page: int = 1) -> str:
    ws = world.offices[office_code]
    with ws.reader() as s:
        return form_code.encode(paper._office_tag(s), form_id, page)


def _original(data: bytes, form: str, record: str, size: int | None = None) -> dict:
    return {**_frame(sha256_of(data), data, size), "form": form, "record": record}


def _refused(world: World, path: Path, expected: str) -> None:
    before = snapshot(world.hub.engine)
    [got] = service.ingest(world.hub, [path])
    assert expected in got.refused, got.refused
    assert "未做任何改动" in got.refused and "\n" not in got.refused
    assert snapshot(world.hub.engine) == before
    assert _hub_originals(world) == {}


@pytest.mark.parametrize(
    "data",
    [_png(), b"%PDF-1.4 not an image at all", _jpeg((5000, 4000))],
    ids=["png", "pdf", "huge"],
)
def test_a_page_that_is_not_a_bounded_jpeg_refuses_the_bundle(world: World, data: bytes) -> None:
    fid, vid = _known(world)
    part = _Frames([_original(data, _code(world, "A", fid), vid)], 1)
    _refused(world, _craft(world, part, "not-image"), "不是可用的图片")


def test_a_page_over_the_size_cap_refuses_the_bundle(world: World) -> None:
    fid, vid = _known(world)
    data = _jpeg()
    frame = _original(data, _code(world, "A", fid), vid, size=sync_photos.MAX_BYTES + 1)
    _refused(world, _craft(world, _Frames([frame], 1), "too-big"), "不是可用的图片")


def test_another_offices_form_or_record_refuses_the_bundle(world: World) -> None:
    fid, vid = _known(world)
    b_fid, b_vid, _ = _entered_form(world.offices["B"], "赵爷爷", 21)
    service.ingest(world.hub, [world.office_to_district("B")])
    page = _jpeg()
    # B's printed form (B's office tag) sent by A, even for A's own visit
    b_form = _Frames([_original(page, _code(world, "B", b_fid), vid)], 1)
    _refused(world, _craft(world, b_form, "b-form"), "不是本街道打印的表格")
    # a code with A's tag that does not check, and A's form claimed for B's visit
    bad = _code(world, "A", fid)
    broken = bad[:-1] + str((int(bad[-1]) + 1) % 10)
    _refused(
        world,
        _craft(world, _Frames([_original(page, broken, vid)], 1), "broken"),
        "不是本街道打印的表格",
    )
    b_record = _Frames([_original(page, _code(world, "A", fid), b_vid)], 1)
    _refused(world, _craft(world, b_record, "b-record"), "不属于本街道")


def test_a_bundle_with_a_good_original_among_photos_frames_is_taken(world: World) -> None:
    """The crafted path itself takes a good page (so the refusals above are the checks')."""
    fid, vid = _known(world)
    page = io.BytesIO()
    _page_image(3).save(page, "JPEG", quality=60)
    data = page.getvalue()
    part = _Frames([_original(data, _code(world, "A", fid), vid)], 1)
    [got] = service.ingest(world.hub, [_craft(world, part, "good")])
    assert got.refused == "" and got.photos == 1
    assert _hub_originals(world) == {f"{fid}-01.jpg": data}


def test_a_bundle_written_before_originals_still_imports(world: World) -> None:
    """An office bundle as every earlier release wrote it (photo frames without form names,
    no setting known) imports at the district as before."""
    _entered_form(world.offices["A"], "张大爷", 11)
    up = world.path("A-old")
    office.export_bundle(world.offices["A"], ADMIN, up)
    [got] = service.ingest(world.hub, [up])
    assert got.refused == "" and got.applied > 0


def test_a_malformed_form_name_in_a_frame_is_refused(world: World) -> None:
    fid, vid = _known(world)
    frame = {**_original(_jpeg(), _code(world, "A", fid), vid), "form": 7}
    _refused(world, _craft(world, _Frames([frame], 1), "bad-name"), "格式不对")


def test_the_district_command_sets_the_switch_with_yes_or_no(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    from caseworker.district import cli as district_cli

    home = ["--home", str(world.hub.home)]
    bad = district_cli.main([*home, "settings", "--set", f"{originals.KEY}=也许"])
    err = capsys.readouterr().err
    assert bad == 2 and err.count("\n") == 1 and "应为“是”或“否”" in err
    with world.hub.reader() as s:
        assert settings.get(s, originals.KEY) is False
    assert district_cli.main([*home, "settings", "--set", f"{originals.KEY}=是"]) == 0
    out = capsys.readouterr().out
    assert (
        f"已设置：{originals.KEY} = 是" in out and "扫描原件随数据包上报区里：是（默认 否）" in out
    )
    assert district_cli.main([*home, "settings", "--json"]) == 0
    [row] = [
        r for r in json.loads(capsys.readouterr().out)["settings"] if r["key"] == originals.KEY
    ]
    assert (row["value"], row["default"]) == (True, False)

"""An office whose last child-role account lost its password gets its child-data key back from
the district: `caseworker-district children recover` writes the file, `caseworker children
recover` takes it in; real workspaces, real files, both command lines. A file for another
office, from another district, altered, or not a recovery file at all is refused with one
Chinese line and nothing written."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from caseworker.cli import main as office_main
from caseworker.district import service
from caseworker.district.cli import main as district_main
from caseworker.district.hub import Hub
from caseworker.domain import idnumber
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.services.children import keys, register
from caseworker.workspace import Workspace
from db.children import ChildKeyHolder
from tests.sync.helpers import World, child_supervisor, make_world

SECRET = "孩子说晚上常常一个人在家害怕"
PASSWORD = "Child2026x"
NEW_PASSWORD = "Reset2026y"
SYSTEM = Actor.system("test")


def _login(ws: Workspace, username: str, password: str) -> Actor:
    with ws.writer(Actor.system("login")) as s:
        actor = accounts.authenticate(s, username, password).actor
    assert actor is not None
    return actor


def _notes(ws: Workspace, actor: Actor, child_id: str) -> str:
    with ws.writer(actor) as s:
        return register.detail(s, actor, child_id).child.notes


ADMIN_LOGIN = "guanli"


@pytest.fixture
def lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Office A with one child supervisor whose key reached the district, then whose password an
    administrator reset: nobody at the office can read the narratives any more. Each office has
    an administrator, who takes the recovery file in with their password."""
    world = make_world(tmp_path, ["A", "B"])
    for office in world.offices.values():
        with office.writer(SYSTEM) as s:
            accounts.create_staff(
                s,
                SYSTEM,
                accounts.StaffDraft(ADMIN_LOGIN, "张管理", Role.ADMIN),
                PASSWORD,
                force_password_change=False,
            )
    monkeypatch.setenv("CASEWORKER_PASSWORD", PASSWORD)
    ws = world.offices["A"]
    sup, community = child_supervisor(ws, password=PASSWORD)
    with ws.writer(sup) as s:
        child = register.register(
            s,
            sup,
            register.ChildDraft(
                "韩小雪", idnumber.make("110105", date(2015, 9, 9), 51), community, notes=SECRET
            ),
        ).child
    service.ingest(world.hub, [world.office_to_district("A")])
    keys.forget_all()
    with ws.writer(SYSTEM) as s:
        accounts.reset_password(s, SYSTEM, sup.staff_id, NEW_PASSWORD)
    sup = _login(ws, "dudao", NEW_PASSWORD)
    assert keys.unlocked(sup) is None
    assert _notes(ws, sup, child.id) == keys.LOCKED_TEXT
    yield world, child.id, sup.staff_id
    keys.forget_all()
    world.close()


def _district(world: World, *args: str) -> int:
    return district_main(["--home", str(world.hub.home), "children", *args])


def _office(world: World, code: str, *args: str) -> int:
    root = world.offices[code].paths.root
    return office_main(
        ["children", "recover", "--workspace", str(root), "--user", ADMIN_LOGIN, *args]
    )


def _granted(world: World, code: str, staff_id: str) -> str | None:
    with world.offices[code].reader() as s:
        return s.scalar(
            select(ChildKeyHolder.data_key_sealed).where(ChildKeyHolder.staff_id == staff_id)
        )


def _one_chinese_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert any("\u4e00" <= ch <= "\u9fff" for ch in lines[0]), err
    return lines[0]


def test_the_district_sends_the_key_back_and_the_supervisor_reads_again(lost, capsys) -> None:
    world, child_id, _staff_id = lost
    out = world.root / "stick"
    assert _district(world, "recover", "--office", "A", "--out", str(out)) == 0
    files = list(out.glob("*.cwchildkey"))
    assert len(files) == 1
    text = files[0].read_text(encoding="utf-8")
    assert SECRET not in text and "韩小雪" not in text
    assert "儿童档案密钥恢复文件" in capsys.readouterr().out

    assert _office(world, "A", str(files[0])) == 0
    assert "王督导" in capsys.readouterr().out
    keys.forget_all()
    sup = _login(world.offices["A"], "dudao", NEW_PASSWORD)
    assert keys.unlocked(sup) is not None
    assert _notes(world.offices["A"], sup, child_id) == SECRET


def test_a_file_for_another_office_or_altered_or_foreign_is_refused(
    lost, tmp_path: Path, capsys
) -> None:
    world, _child_id, staff_id = lost
    good = world.root / "stick" / "a.cwchildkey"
    assert _district(world, "recover", "--office", "A", "--out", str(good)) == 0
    capsys.readouterr()

    # another office: B has no child key at all, and A's file names A
    assert _office(world, "B", str(good)) == 2
    assert "不是本街道" in _one_chinese_line(capsys.readouterr().err)

    doc = json.loads(good.read_text(encoding="utf-8"))
    cases = {
        "garbage": b"\x00\x01not json at all",
        "json-list": b"[1, 2, 3]",
        "wrong-format": json.dumps({**doc, "format": "something-else"}).encode(),
        "key-swapped": json.dumps({**doc, "key_id": "0" * 36}).encode(),
        "sealed-altered": json.dumps({**doc, "sealed": doc["sealed"][:-8] + "AAAAAAA="}).encode(),
        "bad-signature": json.dumps({**doc, "signature": "zz"}).encode(),
    }
    for name, content in cases.items():
        path = tmp_path / f"{name}.cwchildkey"
        path.write_bytes(content)
        assert _office(world, "A", str(path)) == 2, name
        _one_chinese_line(capsys.readouterr().err)
        assert _granted(world, "A", staff_id) is None, name

    # a district that is not the one office A enrolled with signs its own file for "A"
    other = Hub.open(tmp_path / "other-district", None)
    try:
        service.init(other, "别的区")
        service.add_office(
            other,
            code="A",
            name="冒名街道",
            communities=["X社区"],
            out=tmp_path / "x.cwenroll",
            passphrase="pass-2026-x",
        )
        assert (
            district_main(
                [
                    "--home",
                    str(other.home),
                    "children",
                    "recover",
                    "--office",
                    "A",
                    "--out",
                    str(tmp_path / "foreign.cwchildkey"),
                ]
            )
            == 2
        )
        assert "无法恢复" in _one_chinese_line(capsys.readouterr().err)
    finally:
        other.close()
    forged = {**doc, "district_device": "0" * 36}
    path = tmp_path / "forged.cwchildkey"
    path.write_text(json.dumps(forged), encoding="utf-8")
    assert _office(world, "A", str(path)) == 2
    assert "区级平台" in _one_chinese_line(capsys.readouterr().err)
    assert _granted(world, "A", staff_id) is None

    assert _office(world, "A", str(tmp_path / "missing.cwchildkey")) == 2
    assert "不存在" in _one_chinese_line(capsys.readouterr().err)
    assert _district(world, "recover", "--office", "ZZ", "--out", str(tmp_path / "z")) == 2
    _one_chinese_line(capsys.readouterr().err)

    # --to an account that is not a child role
    assert _office(world, "A", str(good), "--to", "nobody") == 2
    _one_chinese_line(capsys.readouterr().err)
    assert _granted(world, "A", staff_id) is None
    assert _office(world, "A", str(good), "--to", "dudao") == 0
    assert _granted(world, "A", staff_id)


def test_only_the_administrator_takes_a_recovery_file_in(lost, tmp_path: Path, capsys) -> None:
    from caseworker.domain.errors import PermissionDenied
    from caseworker.services.children.recovery import take_recovery_file
    from caseworker.sync.identity import KEY_FILE, load_identity

    world, _child_id, staff_id = lost
    good = tmp_path / "a.cwchildkey"
    assert _district(world, "recover", "--office", "A", "--out", str(good)) == 0
    ws = world.offices["A"]
    sup = _login(ws, "dudao", NEW_PASSWORD)
    with ws.writer(sup) as s:
        me = load_identity(s.connection(), ws.paths.root / KEY_FILE)
        with pytest.raises(PermissionDenied):
            take_recovery_file(s, sup, me, good)
    assert _granted(world, "A", staff_id) is None

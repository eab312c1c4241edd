"""End to end through the command lines only: the district enrolls two offices, they fill
themselves with demo data, bundles go both ways on a "stick" folder, and the counts agree."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from caseworker.district.hub import normalise_url
from db.journal_packing import id_to_disk


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )
    assert r.returncode == 0, f"{args}: {r.stderr}"
    return r


def _run_raw(*args: str) -> subprocess.CompletedProcess[str]:
    """Like run(), for calls that are meant to be refused."""
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, timeout=600
    )


def count(url: str, sql: str, **params: object) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


@pytest.mark.slow
def test_two_offices_and_the_district_by_command_line(
    tmp_path: Path, district_db: str | None
) -> None:
    home, stick = tmp_path / "district", tmp_path / "stick"
    stick.mkdir()
    d = ["caseworker.district", "--home", str(home)] + (
        ["--db", district_db] if district_db else []
    )
    run(*d, "init", "--name", "示范区民政局")
    offices = {"110105001": "和平里街道", "110105002": "安贞街道"}
    for code, name in offices.items():
        r = run(
            *d,
            "office",
            "add",
            "--code",
            code,
            "--name",
            name,
            "--communities",
            "一社区,二社区,三村",
            "--out",
            str(stick / f"{code}.cwenroll"),
        )
        passphrase = re.search(r"登记口令：(\S+)", r.stdout).group(1)
        ws = str(tmp_path / code)
        run(
            "caseworker",
            "init",
            "--workspace",
            ws,
            "--enrollment",
            str(stick / f"{code}.cwenroll"),
            env={"CASEWORKER_ENROLL_PASSPHRASE": passphrase},
        )
        run("caseworker", "demo", "--workspace", ws, "--residents", "30", "--seed", code[-1])
        run(
            "caseworker",
            "sync",
            "export",
            "--workspace",
            ws,
            "--out",
            str(stick / f"{code}-up.cwbundle"),
        )
    r = run(*d, "ingest", *(str(stick / f"{c}-up.cwbundle") for c in offices))
    assert "新" in r.stdout
    for code in offices:
        run(*d, "export", "--office", code, "--out", str(stick / f"{code}-down.cwbundle"))
        r = run(
            "caseworker",
            "sync",
            "import",
            "--workspace",
            str(tmp_path / code),
            str(stick / f"{code}-down.cwbundle"),
        )
        r = run(
            "caseworker",
            "sync",
            "import",
            "--workspace",
            str(tmp_path / code),
            str(stick / f"{code}-down.cwbundle"),
        )
        assert "没有新内容" in r.stdout
        r = run("caseworker", "sync", "status", "--workspace", str(tmp_path / code))
        assert "等待区里确认的变更：0 条" in r.stdout
    status = run(*d, "status").stdout
    assert "110105001" in status and "110105002" in status
    assert "冲突：0 条" in run(*d, "conflicts").stdout

    hub_url = (
        normalise_url(district_db) if district_db else f"sqlite:///{home / 'district.sqlite3'}"
    )
    tables = ["office", "community", "staff"]
    for table in tables:
        at_offices = sum(
            count(
                f"sqlite:///{tmp_path / c / 'caseworker.sqlite3'}", f"SELECT count(*) FROM {table}"
            )
            for c in offices
        )
        assert count(hub_url, f"SELECT count(*) FROM {table}") == at_offices, table
    office_journal = sum(
        count(
            f"sqlite:///{tmp_path / c / 'caseworker.sqlite3'}",
            "SELECT count(*) FROM journal WHERE source='local'",
        )
        for c in offices
    )
    hub_device = count(hub_url, "SELECT value FROM local_meta WHERE key='device_id'")
    district_local = count(  # the journal holds the device id as 16 bytes (migration 0025)
        hub_url, "SELECT count(*) FROM journal WHERE device_id = :d", d=id_to_disk(hub_device)
    )
    assert count(hub_url, "SELECT count(*) FROM journal") == office_journal + district_local
    r = run("caseworker", "check", "--workspace", str(tmp_path / "110105001"))
    assert "完整性检查：通过" in r.stdout
    # the district corrects a record; the correction reaches its office
    engine = create_engine(hub_url)
    with engine.connect() as conn:
        cid = conn.execute(
            text(
                "SELECT c.id FROM community c JOIN office o ON o.id = c.office_id "
                "WHERE o.code = '110105002' AND c.name = '二社区'"
            )
        ).scalar()
    engine.dispose()
    run(*d, "correct", "--table", "community", "--id", cid, "--set", "code=110105002-02")
    run(*d, "export", "--office", "110105002", "--out", str(stick / "fix.cwbundle"))
    r = run(
        "caseworker",
        "sync",
        "import",
        "--workspace",
        str(tmp_path / "110105002"),
        str(stick / "fix.cwbundle"),
    )
    assert "更新：社区/村 1" in r.stdout
    assert (
        count(
            f"sqlite:///{tmp_path / '110105002' / 'caseworker.sqlite3'}",
            f"SELECT count(*) FROM community WHERE id='{cid}' AND code='110105002-02'",
        )
        == 1
    )


def test_district_refuses_an_unreachable_database_with_one_line(tmp_path: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "caseworker.district",
            "--home",
            str(tmp_path),
            "--db",
            "postgresql://nobody@127.0.0.1:9/none",
            "status",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "无法打开区级平台的数据库" in r.stderr


def test_district_without_the_postgresql_driver_says_how_to_install_it(tmp_path: Path) -> None:
    """The URL is right, the driver (the `district` extra) is missing: say so, with the pip
    command, instead of calling the URL unrecognised (issue 26); nothing is created."""
    blocked = (
        "import sys; sys.modules['psycopg'] = None; sys.modules['psycopg2'] = None\n"
        "from caseworker.district.cli import main\n"
        "sys.exit(main(sys.argv[1:]))"
    )
    home = tmp_path / "hub"
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            blocked,
            "--home",
            str(home),
            "--db",
            "postgresql://caseworker@127.0.0.1:5432/district",
            "status",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    line = r.stderr.strip()
    assert line.count("\n") == 0 and "Traceback" not in line
    assert "没有安装 PostgreSQL 的驱动" in line and 'pip install "caseworker[district]"' in line
    assert "无法识别" not in line
    assert not home.exists()


def test_district_commands_before_init_say_what_to_do(tmp_path: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "caseworker.district",
            "--home",
            str(tmp_path),
            "export",
            "--office",
            "X",
            "--out",
            str(tmp_path / "x.cwbundle"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and "caseworker-district init" in r.stderr


def test_district_settings_command_sets_and_refuses(tmp_path: Path) -> None:
    d = ["caseworker.district", "--home", str(tmp_path / "hub")]
    assert _run_raw(*d, "init", "--name", "测试区民政局").returncode == 0
    r = _run_raw(*d, "settings", "--set", "visit.interval_days.key=21")
    assert r.returncode == 0, r.stderr
    assert "重点老人探访间隔：21天（默认 30）" in r.stdout
    for bad, why in (("visit.interval_days.key=0", "不能小于"), ("nonsense=1", "未知的设置项")):
        r = _run_raw(*d, "settings", "--set", bad)
        assert r.returncode == 2 and why in r.stderr and r.stderr.count("\n") == 1
    assert "21天" in _run_raw(*d, "settings").stdout

"""`db.local_meta`: a workspace's own facts read from the closed database file (the number
floors before a restore, the round trip a restored office owes the district), one reader for
both since issue 22."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from caseworker.sync import restored
from db.local_meta import meta_of_file
from db.numbers import FLOOR_KEY


def _file(path: Path, **values: str) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE local_meta (key TEXT PRIMARY KEY, value TEXT)")
    con.executemany("INSERT INTO local_meta VALUES (?, ?)", list(values.items()))
    con.commit()
    con.close()
    return path


def test_a_value_is_read_from_the_closed_file_and_nothing_else_is_invented(
    tmp_path: Path,
) -> None:
    db = _file(tmp_path / "ws.sqlite3", device_id="abc")
    assert meta_of_file(db, "device_id") == "abc"
    assert meta_of_file(db, "other") is None
    assert meta_of_file(tmp_path / "missing.sqlite3", "device_id") is None
    assert not (tmp_path / "missing.sqlite3").exists()  # read-only: never created
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database at all" * 100)
    assert meta_of_file(garbage, "device_id") is None


def test_the_round_trip_owed_after_a_restore_is_read_before_the_workspace_opens(
    tmp_path: Path,
) -> None:
    owed = _file(
        tmp_path / "owed.sqlite3",
        **{
            restored.RESTORE: json.dumps({"id": "x"}),
            FLOOR_KEY: json.dumps({"case_no": {"A-": 7}}),
        },
    )
    assert restored.waiting_in(owed)
    assert not restored.waiting_in(_file(tmp_path / "done.sqlite3"))
    assert not restored.waiting_in(tmp_path / "missing.sqlite3")

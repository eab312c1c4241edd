"""`caseworker-district settings|catalogue … --effective YYYY-MM-DD` (issue 24) on a real hub: a
change scheduled for a later day is listed as pending (text and --json) and can be cancelled; a
past day, a day that is not one, or cancelling what is not pending exits 2 with one Chinese line
and changes nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from caseworker.district import cli as district_cli
from caseworker.district import service
from caseworker.district.hub import Hub
from caseworker.services import settings
from caseworker.services.retrofit import catalogue
from tests.cli.conftest import assert_clean_refusal, run_main
from tests.sync.helpers import snapshot

KEY = "visit.interval_days.high_risk"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    with Hub.open(tmp_path / "hub") as hub:
        service.init(hub, "测试区民政局")
    return tmp_path / "hub"


def _hub_snapshot(home: Path) -> dict:
    with Hub.open(home) as hub:
        return snapshot(hub.engine)


def test_settings_scheduled_listed_and_cancelled(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = (date.today() + timedelta(days=25)).isoformat()
    base = ["--home", str(home), "settings"]
    code, out, err = run_main(
        district_cli.main, [*base, "--set", f"{KEY}=5", "--effective", later], capsys
    )
    assert code == 0, err
    assert f"自 {later} 起生效" in out and f"{later} 起 {KEY}" in out
    code, out, err = run_main(district_cli.main, [*base, "--json"], capsys)
    found = json.loads(out)
    [waiting] = found["pending"]
    assert (waiting["key"], waiting["value"], waiting["effective_from"]) == (KEY, 5, later)
    assert {s["key"]: s["value"] for s in found["settings"]}[KEY] == 7  # still today's
    with Hub.open(home) as hub, hub.reader() as s:
        assert settings.get(s, KEY, date.fromisoformat(later)) == 5
    code, out, err = run_main(
        district_cli.main, [*base, "--cancel", KEY, "--effective", later, "--json"], capsys
    )
    assert code == 0, err
    assert json.loads(out)["pending"] == []


@pytest.mark.parametrize(
    "argv",
    [
        ["settings", "--set", f"{KEY}=5", "--effective", "2020-01-01"],
        ["settings", "--set", f"{KEY}=5", "--effective", "明年"],
        ["settings", "--cancel", KEY, "--effective", "2099-01-01"],
        ["settings", "--cancel", KEY],
        ["catalogue", "set-price", "R01", "--price", "90", "--effective", "2020-01-01"],
        ["catalogue", "retire", "R01", "--effective", "2020-13-01"],
        ["catalogue", "cancel", "R01", "--effective", "2099-01-01"],
    ],
)
def test_refusals_are_one_chinese_line_and_change_nothing(
    home: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = _hub_snapshot(home)
    code, out, err = run_main(district_cli.main, ["--home", str(home), *argv], capsys)
    assert_clean_refusal(code, out, err)
    assert _hub_snapshot(home) == before


def test_catalogue_price_and_retirement_on_a_later_day(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = (date.today() + timedelta(days=10)).isoformat()
    h = ["--home", str(home), "catalogue"]
    code, out, err = run_main(
        district_cli.main,
        [*h, "set-price", "R13", "--price", "350", "--effective", later, "--json"],
        capsys,
    )
    assert code == 0, err
    assert json.loads(out)["price_fen"] == 35000 and json.loads(out)["effective_from"] == later
    code, out, err = run_main(
        district_cli.main, [*h, "retire", "R26", "--effective", later], capsys
    )
    assert code == 0 and f"自 {later} 起生效" in out, err
    code, out, err = run_main(district_cli.main, [*h, "pending", "--json"], capsys)
    assert [(p["code"], p["effective_from"]) for p in json.loads(out)["pending"]] == [
        ("R13", later),
        ("R26", later),
    ]
    code, out, err = run_main(district_cli.main, [*h, "list", "--json"], capsys)
    today_items = {i["code"]: i for i in json.loads(out)["items"]}
    assert len(json.loads(out)["pending"]) == 2
    assert today_items["R13"]["price_fen"] == 28000 and "R26" in today_items
    code, out, err = run_main(
        district_cli.main, [*h, "cancel", "R26", "--effective", later], capsys
    )
    assert code == 0 and "已取消" in out, err
    with Hub.open(home) as hub, hub.reader() as s:
        then = {i.code: i for i in catalogue.items(s, on=date.fromisoformat(later))}
    assert then["R13"].price_fen == 35000 and "R26" in then

"""A workspace or hub closed lets its log file go: no handler left on the `caseworker` logger and
the file closed, however many a process opens (the application after a restore, the suite). A
command still writes its failure to the log of the workspace it had already closed."""

from __future__ import annotations

import argparse
import logging
import shutil
from pathlib import Path

import pytest

from caseworker import cli
from caseworker.clikit import open_hub
from caseworker.commands import sync
from caseworker.workspace import Workspace, restore
from tests.cli.conftest import Case, run_main


def _file_handlers() -> list[logging.FileHandler]:
    return [
        h for h in logging.getLogger("caseworker").handlers if isinstance(h, logging.FileHandler)
    ]


def _attached_to(folder: Path) -> logging.FileHandler:
    (handler,) = [h for h in _file_handlers() if Path(h.baseFilename).parent == folder]
    return handler


def test_closing_workspaces_and_hubs_leaves_no_handler_and_no_open_file(
    case: Case, tmp_path: Path
) -> None:
    before = _file_handlers()
    seen: list[logging.FileHandler] = []
    for i in range(3):
        root = tmp_path / f"ws{i}"
        shutil.copytree(case.ws, root)
        for _again in range(2):  # the same workspace reopened attaches again, closes again
            ws = Workspace.open(root)
            seen.append(_attached_to(root / "logs"))
            ws.close()
            assert _file_handlers() == before
    hub = open_hub(argparse.Namespace(home=case.hub, db=None))
    seen.append(_attached_to(case.hub / "logs"))
    hub.close()
    assert _file_handlers() == before
    assert all(h.stream is None for h in seen)  # each log file closed, not only detached


def test_two_open_on_one_log_keep_it_until_the_last_closes(case: Case) -> None:
    before = _file_handlers()
    first = open_hub(argparse.Namespace(home=case.hub, db=None))
    second = open_hub(argparse.Namespace(home=case.hub, db=None))
    handler = _attached_to(case.hub / "logs")
    first.close()
    assert _attached_to(case.hub / "logs") is handler and handler.stream is not None
    second.close()
    assert _file_handlers() == before and handler.stream is None


def test_a_workspace_used_on_after_a_refused_restore_logs_again(case: Case) -> None:
    before = _file_handlers()
    ws = Workspace.open(case.ws)
    try:
        ws.close()
        with pytest.raises(Exception, match="找不到备份文件"):
            restore(case.ws, case.root / "no-such-backup.gz")
        ws.relock()
        logging.getLogger("caseworker.ui").warning("after the refused restore")
        assert "after the refused restore" in (case.ws / "logs" / "caseworker.log").read_text(
            encoding="utf-8"
        )
    finally:
        ws.close()
    assert _file_handlers() == before


def test_a_command_logs_its_failure_after_its_workspace_closed_then_lets_the_log_go(
    case: Case, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _file_handlers()

    def broken(args: argparse.Namespace) -> int:
        with Workspace.open(args.workspace):
            pass
        raise RuntimeError("bug after closing")

    monkeypatch.setattr(sync, "_cmd_status", broken)
    code, _out, err = run_main(cli.main, ["sync", "status", "--workspace", str(case.ws)], capsys)
    assert code == 2 and "caseworker.log" in err
    logged = (case.ws / "logs" / "caseworker.log").read_text(encoding="utf-8")
    assert "RuntimeError: bug after closing" in logged
    assert _file_handlers() == before

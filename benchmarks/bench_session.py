"""Cold start and an hour's use (issue 9): the real application started cold and warm to a usable
login and to the roster, and its memory through an hour's typical work compressed.

Cold start. This container may not drop the page cache (/proc/sys/vm/drop_caches), but
`posix_fadvise(POSIX_FADV_DONTNEED)` evicts a file's clean pages: before each cold run the
workspace's files, the project's code, the virtual environment (PySide6's Qt libraries,
shiboken, SQLAlchemy, ...), Python's standard library, the font configuration and every other
file the application had mapped are evicted (pages another process has mapped stay). The real
`caseworker gui` then starts in a fresh interpreter, offscreen; a 2 ms timer on the UI thread
notes when the login window is shown, when it is usable (登录 enabled), types the demo
supervisor's password and clicks 登录, notes 工作台 shown, clicks 老年人台账 and notes the
roster shown with its first rows (each milestone also records the process's CPU time, and
CASEWORKER_BENCH_TYPING_MS delays the click). The floor is bench_startup's bare PySide6 window
started the same way, cold and warm. The disk's own cold read speed is measured beside it.

An hour's use. One process, offscreen, the real Controller and the real threaded runner, on an
enrolled office (bench_sync_scale's): log in, then per cycle open the roster, type three
searches, open residents, type and complete ten visits through the visit form, print one
resident's visit form and the month's route sheet of a community to PDF through the preview's
另存为 PDF, export a sync bundle from 数据同步, open 操作日志 and scroll, back to 工作台. Memory
(VmRSS, peak VmHWM) after login and after every cycle; tracemalloc's top growers between the
second cycle and the last.

    python -m benchmarks --only session                       # 2,000 and 20,000
    python -m benchmarks.bench_session cold --residents 2000 20000 100000
    python -m benchmarks.bench_session hour --residents 20000 --cycles 6
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from benchmarks import Result
from benchmarks.workspaces import office_for, working_copy, workspace_for

HERE = Path(__file__).resolve().parent.parent
USER, PASSWORD = "kezhang", "demo1234"  # the demo's supervisor: roster, visits, audit, sync
LOGIN_TARGET_S, ROSTER_TARGET_S = 1.0, 1.5
MEMORY_BUDGET_MB = 4096  # an office PC's whole memory, shared with Windows and other programs

# -- the page cache ---------------------------------------------------------------------------


def _files(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            for folder, _dirs, names in os.walk(root):
                for name in names:
                    yield Path(folder) / name


def code_roots() -> list[Path]:
    """What a start loads besides the workspace: this project's code and resources, the virtual
    environment (PySide6's Qt, shiboken, SQLAlchemy, ...), Python and the fonts' configuration."""
    paths = sysconfig.get_paths()
    roots = [HERE / name for name in ("caseworker", "ui", "db", "resources")]
    roots += [Path(sys.prefix), Path(paths["stdlib"]), Path(paths["platstdlib"])]
    roots += [Path(sys.base_prefix) / "lib", Path(sys.executable).resolve()]
    roots += [Path("/etc/fonts"), Path("/var/cache/fontconfig"), Path("/usr/share/fonts")]
    return [r for r in dict.fromkeys(roots) if r.exists()]


def evict(paths: Iterable[Path], *, sync: bool = False) -> tuple[int, int]:
    """Drop the cached pages of these files (written out first when `sync`: only clean pages
    can be dropped); (files, bytes) asked."""
    files = size = 0
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            if sync:
                os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            size += os.fstat(fd).st_size
            files += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    return files, size


def resident_share(path: Path) -> float | None:
    """The share of the file in the page cache (vmtouch), None when vmtouch is missing."""
    try:
        out = subprocess.run(["vmtouch", str(path)], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    for line in out.stdout.splitlines():
        if "Resident Pages" in line:
            return float(line.split()[-1].rstrip("%")) / 100
    return None


def disk_speed(folder: Path, mb: int = 600) -> dict[str, float]:
    """This disk read cold (after fadvise) and warm: sequential MB/s and random 4 KB reads."""
    path = folder / "disk-speed.bin"
    block = os.urandom(1 << 20)
    with path.open("wb") as f:
        for _ in range(mb):
            f.write(block)
        f.flush()
        os.fsync(f.fileno())

    def sequential() -> float:
        t0 = time.perf_counter()
        with path.open("rb", buffering=0) as f:
            while f.read(8 << 20):
                pass
        return mb / (time.perf_counter() - t0)

    def random_reads(n: int = 2000) -> float:
        rng = random.Random(1)
        fd = os.open(path, os.O_RDONLY)
        try:
            t0 = time.perf_counter()
            for _ in range(n):
                os.pread(fd, 4096, rng.randrange(mb * 256) * 4096)
            return (time.perf_counter() - t0) / n * 1000
        finally:
            os.close(fd)

    try:
        evict([path])
        resident = resident_share(path)
        cold = sequential()
        warm = max(sequential(), sequential())
        evict([path])
        random_ms = random_reads()
        return {
            "cold_mb_s": cold,
            "warm_mb_s": warm,
            "cold_random_4k_ms": random_ms,
            "resident_after_evict": -1.0 if resident is None else resident,
        }
    finally:
        path.unlink()


# -- cold start: the child --------------------------------------------------------------------

START_CHILD = r"""
import json, os, sys, time
marks = {}
root, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
# How long the person takes to type the name and password once the login is usable (0: the
# click comes at once, so anything the start leaves for later is counted after the click; -1:
# the click comes when the runner has finished what the start queued on it).
typing_s = float(os.environ.get("CASEWORKER_BENCH_TYPING_MS", "0")) / 1000


def mark(name):  # wall time, and this process's processor time (every thread), at a milestone
    marks[name] = time.time()
    marks["cpu_" + name] = time.process_time()


def read_mb():  # what this process has fetched from the disk so far
    for line in open("/proc/self/io"):
        if line.startswith("read_bytes:"):
            return int(line.split()[1]) / 1e6
    return 0.0


import ui.app as app
from PySide6.QtCore import QTimer

app.Controller._auto_backup = lambda self: None  # measured with the backups, on its own thread
original_start = app.Controller.start


def start(self):
    original_start(self)
    state = {"step": 0, "page": None}
    timer = QTimer(self)
    timer.setInterval(2)

    def poll():
        login, step = self.login, state["step"]
        if step == 0 and login.isVisible():
            mark("login_shown")
            state["step"] = step = 1
        if step == 1 and login.login_button.isEnabled():
            mark("login_usable")
            marks["read_mb_usable"] = read_mb()
            login.username.setText(user)
            login.password.setText(password)
            state["click_at"] = time.time() + max(typing_s, 0.0)
            if typing_s < 0:  # types slower than the start's work behind the login window
                state["click_at"] = float("inf")
                idle = lambda _result: state.update(click_at=0.0)  # noqa: E731
                self.runner.submit(lambda: None, on_done=idle)  # runs after the queued jobs
            state["step"] = step = 15
        if step == 15 and time.time() >= state["click_at"]:
            mark("login_clicked")
            login.login_button.click()
            state["step"] = 2
        elif step == 2 and self.window is not None and self.window.isVisible():
            mark("main_shown")
            marks["read_mb_main"] = read_mb()
            state["page"] = self.window.page("elderly")  # 老年人台账 clicked at once
            state["step"] = 3
        elif step == 3:
            roster = state["page"].roster
            if roster.isVisible() and roster.model.rowCount() > 0:
                mark("roster_shown")
                timer.stop()
                import resource

                marks["read_mb"] = read_mb()
                marks["major_faults"] = resource.getrusage(resource.RUSAGE_SELF).ru_majflt
                maps = os.environ.get("CASEWORKER_BENCH_MAPS")
                if maps:
                    seen = set()
                    for line in open("/proc/self/maps"):
                        parts = line.split()
                        if len(parts) >= 6 and parts[5].startswith("/"):
                            seen.add(parts[5])
                    with open(maps, "w") as f:
                        f.write("\n".join(sorted(seen)))
                self.quit()

    timer.timeout.connect(poll)
    timer.start()


app.Controller.start = start
from caseworker.cli import main

code = main(["gui", "--workspace", root])
print("MARKS " + json.dumps(marks), flush=True)
sys.exit(code)
"""


def _start_once(root: Path, env: dict[str, str]) -> dict[str, float]:
    """One start of the real application; seconds from process start to each milestone."""
    t0 = time.time()
    out = subprocess.run(
        [sys.executable, "-c", START_CHILD, str(root), USER, PASSWORD],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("MARKS ")), None)
    if line is None:
        raise RuntimeError(f"the application did not reach the roster: {out.stderr[-3000:]}")
    marks = json.loads(line[len("MARKS ") :])
    counts = {
        k: marks.pop(k) for k in list(marks) if k.startswith(("read_mb", "major_faults", "cpu_"))
    }
    return {**{k: v - t0 for k, v in marks.items()}, **counts}


def _bare_once(env: dict[str, str]) -> float:
    from benchmarks.bench_startup import BARE, _once

    return _once([sys.executable, "-c", BARE], env)


def _prepare(root: Path) -> None:
    """Unmeasured: the schema current, and the weekly full check recorded as done (an office PC
    runs it once a week in the background; here it would read the whole file during the start)."""
    code = (
        "import sys; from caseworker.workspace import Workspace\n"
        "ws = Workspace.open(sys.argv[1]); ws.mark_checked(); ws.close()"
    )
    subprocess.run([sys.executable, "-c", code, str(root)], check=True, capture_output=True)


def cold_start(residents: int, runs: int = 3) -> dict[str, Any]:
    """Warm and cold figures (median of `runs`) for the demo workspace of this size."""
    cached = workspace_for(residents)
    figures: dict[str, Any] = {"residents": residents}
    with tempfile.TemporaryDirectory(prefix="cw-session-") as tmp:
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="offscreen",
            XDG_CONFIG_HOME=str(Path(tmp) / "config"),  # the person's settings stay untouched
            CASEWORKER_BENCH_MAPS=str(Path(tmp) / "maps.txt"),
        )
        with working_copy(cached, Path(tmp)) as root:
            _prepare(root)
            _start_once(root, env)  # what the application maps, for the eviction
            mapped = [Path(p) for p in (Path(tmp) / "maps.txt").read_text().split()]
            env.pop("CASEWORKER_BENCH_MAPS")
            roots = [*code_roots(), root]
            figures["evicted_roots"] = [str(r) for r in roots]
            warm: list[dict[str, float]] = []
            cold: list[dict[str, float]] = []
            loads: list[float] = []
            for _ in range(runs):
                evict(_files([root]), sync=True)
                files, size = evict([*_files(roots), *mapped])
                figures["evicted_files"], figures["evicted_mb"] = files, size / 1e6
                figures["db_resident_after_evict"] = resident_share(root / "caseworker.sqlite3")
                loads.append(os.getloadavg()[0])
                cold.append(_start_once(root, env))
                loads.append(os.getloadavg()[0])
                warm.append(_start_once(root, env))
            bare_cold, bare_warm = [], []
            for _ in range(runs):
                evict([*_files(code_roots()), *mapped])
                bare_cold.append(_bare_once(env))
                bare_warm.append(_bare_once(env))
            figures["db_mb"] = (root / "caseworker.sqlite3").stat().st_size / 1e6
    for name, samples in (("cold", cold), ("warm", warm)):
        figures[name] = {
            "login_shown": statistics.median(s["login_shown"] for s in samples),
            "login_usable": statistics.median(s["login_usable"] for s in samples),
            "main_after_login": statistics.median(
                s["main_shown"] - s["login_clicked"] for s in samples
            ),
            "roster_after_login": statistics.median(
                s["roster_shown"] - s["login_clicked"] for s in samples
            ),
            "read_mb": statistics.median(s.get("read_mb", 0.0) for s in samples),
            "major_faults": statistics.median(s.get("major_faults", 0) for s in samples),
            "runs": samples,
        }
    figures["bare"] = {"cold": statistics.median(bare_cold), "warm": statistics.median(bare_warm)}
    figures["load"] = [min(loads), statistics.median(loads), max(loads)]
    return figures


def cold_results(f: dict[str, Any]) -> list[Result]:
    n = f"{f['residents']:,}"
    load = f"load {f['load'][1]:.1f} ({f['load'][0]:.1f}-{f['load'][2]:.1f})"
    out = []
    for kind in ("warm", "cold"):
        c, bare = f[kind], f["bare"][kind] * 1000
        out += [
            Result(
                f"start {kind}: login shown ({n})", c["login_shown"] * 1000, bare, "", True, load
            ),
            Result(
                f"start {kind}: login usable ({n})",
                c["login_usable"] * 1000,
                bare,
                f"< {LOGIN_TARGET_S:.0f} s cold" if kind == "cold" else "",
                kind == "warm" or c["login_usable"] < LOGIN_TARGET_S,
                load,
            ),
            Result(
                f"start {kind}: login → 工作台 ({n})", c["main_after_login"] * 1000, None, "", True
            ),
            Result(
                f"start {kind}: login → roster ({n})",
                c["roster_after_login"] * 1000,
                None,
                f"< {ROSTER_TARGET_S} s cold" if kind == "cold" else "",
                kind == "warm" or c["roster_after_login"] < ROSTER_TARGET_S,
                f"start to roster read {c['read_mb']:.0f} MB from the disk",
            ),
        ]
    return out


# -- an hour's use: the driver (also used by tests/ui/test_session_bench.py) -----------------

SEARCHES = ("王", "李", "张")
VISITS_PER_CYCLE = 10
PROBLEMS = "血压偏高，已提醒按时服药"
ACTIONS = "联系社区医生上门随访"


def memory() -> dict[str, float]:
    """This process's resident memory and its peak, MB (/proc/self/status)."""
    out: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


class HourOfUse:
    """A caseworker's hour, compressed, through the real widgets: see the module's docstring.
    Modal dialogs are answered by an autopilot as a person would (fill, save, close)."""

    def __init__(self, controller: Any, out: Path) -> None:
        from PySide6.QtCore import QTimer

        self.controller = controller
        self.out = out
        self.cycle_no = 0
        self.saved: list[str] = []  # visit ids completed through the form
        self.pdfs: list[Path] = []
        self.bundles: list[Path] = []
        self.messages: list[str] = []
        self.residents_done: set[str] = set()
        self._pilot = QTimer()
        self._pilot.setInterval(20)
        self._pilot.timeout.connect(self._answer_dialog)

    # -- waiting ---------------------------------------------------------------------------
    @staticmethod
    def wait(ms: int) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def until(self, ready: Callable[[], bool], what: str, timeout_s: float = 600) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out: {what}")
            self.wait(10)

    def settle(self) -> None:
        """Until the runner has nothing queued and no busy note is shown, twice in a row."""
        from ui.widgets.busy import BusyOverlay

        def quiet() -> bool:
            window = self.controller.window
            return window is None or not any(
                b.isVisible() for b in window.findChildren(BusyOverlay)
            )

        for _ in range(2):
            drained: list[bool] = []
            self.controller.runner.submit(lambda: None, on_done=drained.append)
            self.until(lambda d=drained: bool(d), "the runner to drain")  # type: ignore[misc]
            self.until(quiet, "busy notes to go")
            self.wait(30)

    # -- dialogs -----------------------------------------------------------------------------
    def _answer_dialog(self) -> None:
        from PySide6.QtWidgets import QApplication, QDialog, QProgressDialog

        dialog = QApplication.activeModalWidget()
        if (
            not isinstance(dialog, QDialog)
            or isinstance(dialog, QProgressDialog)
            or not dialog.isVisible()
            or dialog.property("bench_answered")
        ):
            return
        dialog.setProperty("bench_answered", True)
        from ui.elderly.print_jobs import PrintOptions
        from ui.elderly.visit_form import VisitForm
        from ui.widgets.print_preview import PrintPreview

        if isinstance(dialog, VisitForm):
            self._fill_visit(dialog)
        elif isinstance(dialog, PrintOptions):
            dialog.community.setCurrentIndex(1 + self.cycle_no % (dialog.community.count() - 1))
            dialog._ok()
        elif isinstance(dialog, PrintPreview):
            dialog.save_button.click()  # 另存为 PDF… (the file dialog answers self.next_path)
            dialog.accept()
        else:
            self.messages.append(f"unexpected dialog {type(dialog).__name__}")
            dialog.reject()

    def _type(self, widget: Any, text: str) -> None:
        from PySide6.QtCore import QEvent, Qt
        from PySide6.QtGui import QKeyEvent
        from PySide6.QtWidgets import QApplication

        widget.setFocus()
        for ch in text:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(
                    widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch)
                )

    def _fill_visit(self, form: Any) -> None:
        """As from a signed paper form: the first box of every row ticked (key 1), the problems
        found and what was done typed, then 完成并锁定 (its confirmation answered Yes)."""
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        for row in form.choices.values():
            QTest.keyClick(row, Qt.Key.Key_1)
        self._type(form.problems, PROBLEMS)
        self._type(form.actions, ACTIONS)
        form.complete_button.click()
        if form.isVisible():  # refused: say why, do not hang
            self.messages.append("visit not saved: " + form.general_error.text())
            form.done(0)
        elif form.saved is not None:
            self.saved.append(form.saved.id)

    # -- the hour --------------------------------------------------------------------------------
    def log_in(self, user: str = USER, password: str = PASSWORD) -> None:
        login = self.controller.login
        self.until(login.login_button.isEnabled, "the login to be usable")
        login.username.setText(user)
        self._type(login.password, password)
        login.login_button.click()
        self.until(lambda: self.controller.window is not None, "the main window")
        self._pilot.start()
        self.settle()

    def cycle(self) -> dict[str, float]:
        """One pass of the hour's work; seconds of each part."""
        from ui.admin.audit import AuditPage

        self.cycle_no += 1
        window = self.controller.window
        assert window is not None
        times: dict[str, float] = {}
        t = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal t
            self.settle()
            now = time.perf_counter()
            times[name] = now - t
            t = now

        elderly = window.page("elderly")
        roster = elderly.roster
        lap("open roster")
        for text in SEARCHES:
            roster.search.clear()
            self._type(roster.search, text)
            self.until(lambda: not roster.timer.isActive(), "the search's debounce")
            self.settle()
        lap("search")
        typed = 0
        while typed < VISITS_PER_CYCLE:
            resident_id, name = self._next_resident(roster)
            # Typing back a paper form: the name into the search, then that person's row.
            roster.search.clear()
            self._type(roster.search, name)
            self.until(lambda: not roster.timer.isActive(), "the search's debounce")
            self.settle()
            self.residents_done.add(resident_id)
            rows = [i for i, r in enumerate(roster.model.rows) if r.id == resident_id]
            if not rows:
                continue
            roster._open_row(rows[0])
            self.settle()
            page = elderly.resident
            if page.resident is None or not page.visit_button.isEnabled():
                elderly.show_roster()
                continue
            before = len(self.saved)
            page.visit_button.click()  # the visit form, filled by the autopilot
            self.settle()
            if len(self.saved) > before:
                typed += 1
                if typed == 1:
                    self.next_path = self.out / f"form-{self.cycle_no}.pdf"
                    page.print_button.click()  # 打印探访表: this resident's form
                    self.settle()
                    self.pdfs.append(self.next_path)
            elderly.show_roster()
            self.settle()
        lap("ten visits and a form printed")
        self.next_path = self.out / f"route-{self.cycle_no}.pdf"
        roster.print_requested.emit("route")  # 打印 → 本月探访路线表
        self.settle()
        self.pdfs.append(self.next_path)
        lap("route sheet printed")
        folder = self.out / f"bundle-{self.cycle_no}"
        folder.mkdir()
        self.next_folder = folder
        window.page("sync").choose_export()
        self.settle()
        self.bundles += sorted(folder.glob("*.cwbundle"))
        lap("bundle exported")
        system = window.page("system")
        audit = system.findChild(AuditPage)
        system.tabs.setCurrentWidget(audit)
        self.settle()
        for _ in range(3):
            audit.model.fetchMore()
            self.settle()
        lap("audit opened and scrolled")
        window.page("home")
        lap("back to 工作台")
        return times

    next_path: Path
    next_folder: Path

    def _next_resident(self, roster: Any) -> tuple[str, str]:
        """The next person on the whole roster (in its order) not visited in this session."""
        from caseworker.domain.elderly import Status

        if roster.search.text():
            roster.search.clear()
            self.until(lambda: not roster.timer.isActive(), "the search's debounce")
            self.settle()
        i = 0
        while True:
            while i >= len(roster.model.rows):
                if not roster.model.canFetchMore():
                    raise RuntimeError("nobody left to visit: " + "; ".join(self.messages))
                roster.model.fetchMore()  # scrolling down
                self.settle()
            r = roster.model.rows[i]
            i += 1
            if r.id not in self.residents_done and r.status == Status.ACTIVE:
                return r.id, r.name

    def stop(self) -> None:
        self._pilot.stop()


class answered_dialogs:
    """Message boxes answer Yes (their text is kept), file dialogs answer the session's next
    path or folder: what a person would click. Everything is put back on exit."""

    def __init__(self, session: HourOfUse) -> None:
        self.session = session
        self.saved: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> answered_dialogs:
        from PySide6.QtWidgets import QMessageBox

        from ui.widgets import file_dialogs

        session = self.session

        def answer(*args: Any, **_kw: Any) -> Any:
            session.messages.append(str(args[2]) if len(args) > 2 else "")
            return QMessageBox.StandardButton.Yes

        patches: list[tuple[Any, str, Any]] = [
            (QMessageBox, name, answer)
            for name in ("information", "warning", "critical", "question")
        ]
        for owner, name, fn in patches:
            self.saved.append((owner, name, owner.__dict__[name]))
            setattr(owner, name, staticmethod(fn))

        def chosen(_parent: Any, request: file_dialogs.Request) -> list[Path]:
            folder = request.mode is file_dialogs.Mode.FOLDER
            return [session.next_folder if folder else session.next_path]

        # The one place file dialogs run (ui/widgets/file_dialogs.py): a plain function.
        self.saved.append((file_dialogs, "ask", file_dialogs.ask))
        file_dialogs.ask = chosen  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in self.saved:
            setattr(owner, name, original)


def _growers(before: Any, after: Any, top: int = 12) -> list[dict[str, Any]]:
    stats = after.compare_to(before, "lineno")
    return [
        {"where": str(s.traceback[0]), "kb": s.size_diff / 1024, "blocks": s.count_diff}
        for s in stats[:top]
    ]


def drive_hour(office: Path, out: Path, cycles: int, *, trace: bool = True) -> dict[str, Any]:
    """In this process: the application on `office`, logged in, `cycles` cycles; figures."""
    import gc
    import tracemalloc
    from collections import Counter

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from caseworker.workspace import Workspace
    from ui.app import Controller, make_app
    from ui.tasks import TaskRunner

    saved_backup = Workspace.auto_backup_if_due
    Workspace.auto_backup_if_due = lambda self, *a, **k: None  # type: ignore[method-assign]
    make_app([])
    figures: dict[str, Any] = {"cycles": []}
    settings = QSettings(str(out / "settings.ini"), QSettings.Format.IniFormat)
    controller = Controller(office, TaskRunner(), settings)
    session = HourOfUse(controller, out)
    try:
        with answered_dialogs(session):
            controller.start()
            session.log_in()
            gc.collect()
            figures["after_login"] = memory()
            figures["widgets_after_login"] = len(QApplication.allWidgets())
            snapshots = []
            widget_kinds: list[Counter[str]] = []
            t0 = time.perf_counter()
            for n in range(cycles):
                times = session.cycle()
                gc.collect()
                m = memory()
                if os.environ.get("CASEWORKER_BENCH_TRIM"):  # a diagnosis: see "end_after_trim"
                    import ctypes

                    ctypes.CDLL("libc.so.6").malloc_trim(0)
                    m["VmRSS_trimmed"] = memory()["VmRSS"]
                if trace and n == 1:
                    tracemalloc.start(1)
                if tracemalloc.is_tracing():
                    m["tracemalloc_own"] = tracemalloc.get_tracemalloc_memory() / 2**20
                    snapshots.append(tracemalloc.take_snapshot())
                kinds = Counter(type(w).__name__ for w in QApplication.allWidgets())
                m["widgets"] = sum(kinds.values())
                m["previews_alive"] = kinds["PrintPreview"] + kinds["PrintOptions"]
                widget_kinds.append(kinds)
                m["seconds"] = sum(times.values())
                figures["cycles"].append({"memory": m, "times": times})
                print(
                    f"    cycle {n + 1}: RSS {m['VmRSS']:.0f} MB, peak {m['VmHWM']:.0f} MB, "
                    f"{m['widgets']} widgets, {m['seconds']:.0f} s",
                    flush=True,
                )
            figures["seconds"] = time.perf_counter() - t0
            if len(widget_kinds) >= 2:  # widgets still alive that the first cycle did not leave
                grown = widget_kinds[-1] - widget_kinds[0]
                figures["widgets_grown"] = dict(grown.most_common(12))
            if len(snapshots) >= 2:
                figures["growers"] = _growers(snapshots[0], snapshots[-1])
                tracemalloc.stop()
            session.stop()
            controller._close_main()
            controller.login.close()
            gc.collect()
            figures["end"] = memory()
            # Memory freed but kept by the C allocator (per-thread arenas: the runner's export
            # and queries) shows as RSS; handing it back tells it apart from live objects.
            with contextlib.suppress(OSError, AttributeError):
                import ctypes

                ctypes.CDLL("libc.so.6").malloc_trim(0)
                figures["end_after_trim"] = memory()
    finally:
        controller.shutdown()
        Workspace.auto_backup_if_due = saved_backup  # type: ignore[method-assign]
    figures["visits_saved"] = len(session.saved)
    figures["pdfs"] = [str(p) for p in session.pdfs]
    figures["bundles"] = [str(p) for p in session.bundles]
    figures["messages"] = session.messages[-20:]
    return figures


def _idle_floor(office: Path, out: Path) -> dict[str, float]:
    """The idle main window's memory after login (no cycle): the floor of the hour."""
    return drive_hour(office, out, 0, trace=False)["after_login"]


def hour(residents: int, cycles: int) -> dict[str, Any]:
    """The hour in a fresh interpreter on a copy of the enrolled office of this size."""
    cached = office_for(residents) / "office"
    with (
        tempfile.TemporaryDirectory(prefix="cw-hour-") as tmp,
        working_copy(cached, Path(tmp)) as root,
    ):
        _prepare(root)
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        result: dict[str, Any] = {"residents": residents}
        for what, n in (("floor", 0), ("hour", cycles)):
            out = Path(tmp) / what
            out.mkdir()
            load = os.getloadavg()[0]
            args = [str(root), str(out), str(n)]
            proc = subprocess.run(
                [sys.executable, "-m", "benchmarks.bench_session", "hour-child", *args],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            for line in proc.stdout.splitlines():
                if not line.startswith("RESULT "):
                    print(line, flush=True)
            if proc.returncode != 0:
                raise RuntimeError(f"the hour failed: {proc.stderr[-3000:]}")
            line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
            result[what] = json.loads(line[len("RESULT ") :])
            result[what]["load"] = [load, os.getloadavg()[0]]
    return result


def hour_results(h: dict[str, Any]) -> list[Result]:
    n = f"{h['residents']:,}"
    floor = h["floor"]["after_login"]["VmRSS"]
    run = h["hour"]
    cycles = run["cycles"]
    rss = [c["memory"]["VmRSS"] - c["memory"].get("tracemalloc_own", 0) for c in cycles]
    growth = rss[-1] - rss[1] if len(rss) > 2 else 0.0
    peak = run["end"]["VmHWM"]
    note = (
        f"after login {run['after_login']['VmRSS']:.0f} MB; per cycle "
        + " ".join(f"{r:.0f}" for r in rss)
        + f"; growth cycle 2→{len(rss)} {growth:+.0f} MB; peak {peak:.0f} MB"
    )
    return [
        Result(f"memory: idle main window, MB ({n})", floor, None, "", True, "floor"),
        Result(
            f"memory: after {len(cycles)} cycles, MB ({n})",
            rss[-1],
            floor,
            f"peak < {MEMORY_BUDGET_MB // 4} MB",
            peak < MEMORY_BUDGET_MB / 4,
            note,
        ),
    ]


def run() -> list[Result]:
    out: list[Result] = []
    for residents in (2000, 20000):
        out += cold_results(cold_start(residents))
        out += hour_results(hour(residents, 6))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_session")
    parser.add_argument("what", choices=("cold", "hour", "disk", "hour-child"))
    parser.add_argument("args", nargs="*")
    parser.add_argument("--residents", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--cycles", type=int, default=6)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    a = parser.parse_args(argv)
    if a.what == "hour-child":
        office, out, cycles = a.args
        figures = drive_hour(Path(office), Path(out), int(cycles), trace=int(cycles) > 2)
        print("RESULT " + json.dumps(figures, ensure_ascii=False), flush=True)
        return 0
    from benchmarks.__main__ import _table

    results: list[Result] = []
    everything: list[dict[str, Any]] = []
    if a.what == "disk":
        with tempfile.TemporaryDirectory() as tmp:
            everything.append(disk_speed(Path(tmp)))
        print(json.dumps(everything[-1], indent=1))
    for residents in a.residents if a.what in ("cold", "hour") else ():
        if a.what == "cold":
            f = cold_start(residents, a.runs)
            results += cold_results(f)
        else:
            f = hour(residents, a.cycles)
            results += hour_results(f)
        everything.append(f)
        print(_table(results), flush=True)
    if a.json:
        a.json.write_text(json.dumps(everything, ensure_ascii=False, indent=1))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

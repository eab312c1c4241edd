"""The test side of the real-window suite: start the application in a child process on the
desktop, ask its probe what is on screen, give it keys and clicks through the X server, and
check how it ended (a crash in Qt's native code is an exit code, not a Python error)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.screen.child_app import PROBE_ENV
from tests.screen.desktop import Desktop

ROOT = Path(__file__).resolve().parents[2]


class AppDied(AssertionError):
    """The application's process ended while the test still talked to it."""


class RunningApp:
    """One run of the application on `desktop`, on `workspace`, with its own Qt settings."""

    def __init__(
        self,
        desktop: Desktop,
        workspace: Path,
        home: Path,
        name: str = "app",
        district: bool = False,
    ) -> None:
        self.district = district  # the district console on a hub folder, not the office app
        self.desktop = desktop
        self.workspace = workspace
        self.home = home
        self.name = name
        self.log = home / f"{name}.log"
        self.sock_path = str(home / f"{name}.probe")
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self._buffer = b""

    # -- life --------------------------------------------------------------------------------
    def start(self, *, timeout: float = 30) -> RunningApp:
        env = self.desktop.env
        # The person's own settings (window geometry, last user name, last folders) live under
        # HOME/XDG_CONFIG_HOME: one per test, kept across restarts of the same test.
        (self.home / "config").mkdir(parents=True, exist_ok=True)
        runtime = self.home / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / "config"),
            XDG_RUNTIME_DIR=str(runtime),
            # A bare Linux machine's locale: the application makes its own dates Chinese.
            LANG="C.UTF-8",
            PYTHONPATH=str(ROOT),
        )
        env.pop("LC_ALL", None)
        env.pop("LC_TIME", None)
        env[PROBE_ENV] = self.sock_path
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-X",
                "faulthandler",
                "-m",
                "tests.screen.child_app",
                "--district-home" if self.district else "--workspace",
                str(self.workspace),
            ],
            cwd=ROOT,
            env=env,
            stdout=open(self.log, "ab"),  # noqa: SIM115 (the child keeps it)
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(self.sock_path)
                self.sock = sock
                break
            except OSError:
                sock.close()
                if time.monotonic() > deadline:
                    raise AssertionError(f"the probe did not answer: {self.log_tail()}") from None
                time.sleep(0.1)
        return self

    def _check_alive(self) -> None:
        assert self.proc is not None
        code = self.proc.poll()
        if code is not None:
            raise AppDied(f"the application ended with exit code {code}: {self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def quit(self, timeout: float = 30) -> int:
        """Close the application as 文件 → 退出 does, wait, and return its exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            with contextlib.suppress(AppDied, OSError):
                self.ask("later(controller.quit)")
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("the application did not end after quit") from None
        finally:
            if self.sock is not None:
                self.sock.close()
                self.sock = None

    def wait_exit(self, timeout: float = 30) -> int:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.sock is not None:
                self.sock.close()
                self.sock = None

    @property
    def exit_code(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    # -- asking ------------------------------------------------------------------------------
    def ask(self, code: str, timeout: float = 30) -> Any:
        """Run `code` (an expression, or statements that set `result`) in the probe."""
        self._check_alive()
        assert self.sock is not None
        self.sock.settimeout(timeout)
        self.sock.sendall((json.dumps({"code": code}) + "\n").encode())
        while b"\n" not in self._buffer:
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                self._check_alive()
                raise AssertionError(
                    f"the probe did not answer within {timeout} s: {code}"
                ) from None
            except OSError:
                chunk = b""
            if not chunk:
                time.sleep(0.3)
                self._check_alive()
                raise AppDied(f"the probe's connection closed: {self.log_tail()}")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        reply = json.loads(line)
        if not reply["ok"]:
            raise AssertionError(f"probe error for {code!r}:\n{reply['error']}")
        return reply["value"]

    def wait_for(
        self, code: str, timeout: float = 20, what: str = "", accept: Callable[[Any], bool] = bool
    ) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.ask(code)
            if accept(value):
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"waited {timeout} s for {what or code}; last: {value!r}; "
                    f"windows: {self.ask('windows()')}"
                )
            time.sleep(0.15)

    def wait_window(self, cls: str | None = None, title: str | None = None, **kw: Any) -> dict:
        """Wait until a window of class `cls` (or titled `title`) is up and active; its facts."""
        code = (
            f"[w for w in windows() if (({cls!r} is None or w['cls'] == {cls!r}) and "
            f"({title!r} is None or {title!r} in w['title']))]"
        )
        found = self.wait_for(code, what=f"window {cls or title}", **kw)
        return found[0]

    def wait_active(self, cls: str, timeout: float = 20) -> dict:
        code = f"[w for w in windows() if w['cls'] == {cls!r} and w['active']]"
        return self.wait_for(code, timeout=timeout, what=f"{cls} active")[0]

    def windows(self) -> list[dict]:
        return self.ask("windows()")

    # -- input -------------------------------------------------------------------------------
    def key(self, *keys: str) -> None:
        self._check_alive()
        self.desktop.key(*keys)

    def type(self, text: str) -> None:
        self._check_alive()
        self.desktop.type(text)

    def click(self, code: str) -> None:
        """Click the middle of the widget the probe expression `code` names."""
        x, y = self.ask(f"center({code})")
        self.desktop.click(x, y)

    def click_button(self, text: str, timeout: float = 10) -> None:
        self.wait_for(f"button({text!r}) is not None", timeout=timeout, what=f"button {text}")
        self.click(f"button({text!r})")

    def shot(self, path: Path, window: dict | None = None) -> Path:
        """A screenshot of the screen, or of one window with its frame."""
        time.sleep(0.3)  # let the last paint reach the X server
        crop = None
        if window is not None:
            x, y, w, h = window["frame"]
            crop = (max(x, 0), max(y, 0), w, h)
        return self.desktop.screenshot(path, crop)


def inside(frame: list[int], area: list[int]) -> bool:
    x, y, w, h = frame
    ax, ay, aw, ah = area
    return x >= ax and y >= ay and x + w <= ax + aw and y + h <= ay + ah


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")

"""A real X desktop for the real-window suite: Xvfb at the office PC's 1366x768, and openbox
reserving a 40 px bottom panel as a Windows taskbar does, so Qt's available geometry is
1366x728. Keys and clicks go through the X server with xdotool, screenshots with ImageMagick.

Needs Debian's xvfb, openbox, xdotool, imagemagick and libxcb-cursor0 (`.ci/run` installs them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

WIDTH, HEIGHT, PANEL = 1366, 768, 40
TOOLS = ("Xvfb", "openbox", "xdotool", "import", "xprop")
REQUIRE_ENV = "CASEWORKER_REQUIRE_SCREEN"  # .ci/run sets it: a missing tool fails, not skips

# openbox's own rc.xml with only what matters here: a bottom margin (the "taskbar"), focus that
# follows new windows, no desktop switching by the mouse wheel.
_RC = """<?xml version="1.0" encoding="UTF-8"?>
<openbox_config xmlns="http://openbox.org/3.4/rc">
  <focus><focusNew>yes</focusNew><followMouse>no</followMouse></focus>
  <placement><policy>Smart</policy><center>yes</center></placement>
  <theme><name>Clearlooks</name><titleLayout>NLIMC</titleLayout></theme>
  <desktops><number>1</number></desktops>
  <margins><top>0</top><bottom>{panel}</bottom><left>0</left><right>0</right></margins>
  <keyboard/><mouse/>
</openbox_config>
"""


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


@dataclass
class Desktop:
    """A running Xvfb + openbox; `env` is what a child process needs to draw on it."""

    display: str
    xvfb: subprocess.Popen[bytes]
    wm: subprocess.Popen[bytes]
    folder: Path

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM",)}
        env["DISPLAY"] = self.display
        env["QT_QPA_PLATFORM"] = "xcb"
        return env

    def run(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            list(args), env=self.env, capture_output=True, text=True, timeout=30, check=False
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    # -- input, as a person gives it ---------------------------------------------------------
    def key(self, *keys: str) -> None:
        """Key chords as xdotool names them: "Return", "ctrl+l", "Tab"."""
        self.run("xdotool", "key", "--clearmodifiers", "--delay", "40", *keys)
        time.sleep(0.15)

    def type(self, text: str) -> None:
        self.run("xdotool", "type", "--clearmodifiers", "--delay", "25", text)
        time.sleep(0.15)

    def click(self, x: int, y: int, button: int = 1) -> None:
        self.run("xdotool", "mousemove", "--sync", str(x), str(y), "click", str(button))
        time.sleep(0.2)

    def workarea(self) -> tuple[int, int, int, int]:
        out = self.run("xprop", "-root", "_NET_WORKAREA")
        values = [int(v) for v in out.split("=", 1)[1].replace(",", " ").split()[:4]]
        return values[0], values[1], values[2], values[3]

    def screenshot(self, path: Path, crop: tuple[int, int, int, int] | None = None) -> Path:
        """The screen as the person sees it (window frames included), or the rectangle `crop`
        (x, y, width, height)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        args = ["import", "-window", "root"]
        if crop is not None:
            x, y, w, h = crop
            args += ["-crop", f"{w}x{h}+{x}+{y}", "+repage"]
        self.run(*args, str(path))
        return path

    def stop(self) -> None:
        for proc in (self.wm, self.xvfb):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def start(folder: Path) -> Desktop:
    """Start Xvfb on a free display and openbox with the taskbar margin; wait until the work
    area says 1366x728."""
    folder.mkdir(parents=True, exist_ok=True)
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_fd),
            "-screen",
            "0",
            f"{WIDTH}x{HEIGHT}x24",
            "-nolisten",
            "tcp",
            "-noreset",
        ],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "xvfb.log", "wb"),  # noqa: SIM115 (kept open for the process)
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        xvfb.kill()
        raise RuntimeError("Xvfb did not start: " + (folder / "xvfb.log").read_text())
    display = f":{number}"
    rc = folder / "rc.xml"
    rc.write_text(_RC.format(panel=PANEL))
    env = dict(os.environ, DISPLAY=display)
    wm = subprocess.Popen(
        ["openbox", "--config-file", str(rc)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "openbox.log", "wb"),  # noqa: SIM115
    )
    desktop = Desktop(display, xvfb, wm, folder)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if desktop.workarea() == (0, 0, WIDTH, HEIGHT - PANEL):
                return desktop
        except (RuntimeError, ValueError, IndexError):
            pass
        time.sleep(0.2)
    desktop.stop()
    raise RuntimeError("openbox did not reserve the taskbar margin")

"""Open a window the way its button does, measure it with its frame on the real screen, take
its picture, close it with Esc: the steps of the window tour (test_every_window_fits.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.screen.driver import RunningApp, inside

# Read from the workspace inside the application, as the page would.
PRELUDE = """
from sqlalchemy import text as _text
def one(sql, **params):
    return controller.ctx.read(lambda s: s.execute(_text(sql), params).scalar())
def page(key):
    return controller.window.page(key)
"""


@dataclass(frozen=True)
class Stop:
    """One window of the tour: `prepare` (statements) runs first, then `open` (an expression
    run after the probe has answered, as a click's slot would run)."""

    name: str
    open: str
    prepare: str = ""
    window: str | None = None  # the class of the window expected (None: any new one)
    close_keys: tuple[str, ...] = ("Escape",)


def settled(app: RunningApp, find: Callable[[], list[dict]], timeout: float = 5) -> dict:
    """The window `find()` returns once the window manager has placed it: active, and the same
    frame on two looks 0.3 s apart (a picture taken sooner shows it half-placed)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        time.sleep(0.3)
        found = find()
        window = found[0] if found else last
        steady = window is not None and last is not None and window["frame"] == last["frame"]
        if steady and window["active"]:
            return window
        if time.monotonic() > deadline and window is not None:
            return window
        last = window


def visit(app: RunningApp, stop: Stop, shots: Path) -> dict:
    """Open `stop`'s window, check it fits, screenshot it, close it; its facts."""
    before = {(w["cls"], w["title"]) for w in app.windows()}
    if stop.prepare:
        app.ask(stop.prepare)
    app.ask(f"later(lambda: {stop.open})")

    def new_windows() -> list[dict]:
        return [
            w
            for w in app.windows()
            if (w["cls"], w["title"]) not in before
            and (stop.window is None or w["cls"] == stop.window)
        ]

    deadline = time.monotonic() + 20
    while not new_windows():
        if time.monotonic() > deadline:
            raise AssertionError(f"{stop.name}: no window opened; windows: {app.windows()}")
        time.sleep(0.15)
    window = settled(app, new_windows)
    app.shot(shots / f"{stop.name}.png", window)
    area = app.ask("available()")
    problems = []
    if not inside(window["frame"], area):
        problems.append(f"frame {window['frame']} is not inside the usable area {area}")
    if window["min"][1] > window["geo"][3] or window["min"][0] > window["geo"][2]:
        problems.append(f"needs {window['min']} but has {window['geo'][2:]} (cut off)")
    if not stop.close_keys:  # the caller closes it
        return {"name": stop.name, "window": window, "problems": problems}
    for key in stop.close_keys:
        app.key(key)
    deadline = time.monotonic() + 10
    while any((w["cls"], w["title"]) == (window["cls"], window["title"]) for w in app.windows()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{stop.name}: {stop.close_keys} did not close the window")
        time.sleep(0.15)
    return {"name": stop.name, "window": window, "problems": problems}

"""The application exactly as `caseworker gui` runs it, plus a probe the real-window tests talk to.

Run as `python -X faulthandler -m tests.screen.child_app --workspace DIR` with CASEWORKER_PROBE
set to a socket path. The probe is a QLocalServer on the UI thread: each request is one JSON line
`{"code": "..."}`, run in a namespace with the helpers below, answered with one JSON line. It only
looks and schedules; input comes from the X server (xdotool), as a person gives it. Nothing here
is in the product: the tests start this module instead of `caseworker`.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

PROBE_ENV = "CASEWORKER_PROBE"


def _text(widget: Any) -> str:
    for attr in ("text", "windowTitle", "title"):
        fn = getattr(widget, attr, None)
        if callable(fn):
            try:
                value = fn()
            except TypeError:
                continue
            if isinstance(value, str) and value:
                return value
    return ""


def _rect(r: Any) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]


class Probe:
    """What a test may ask: which windows are up, where a widget is, what has the focus."""

    def __init__(self) -> None:
        from PySide6.QtNetwork import QLocalServer

        self.controller: Any = None
        self.server = QLocalServer()
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        path = os.environ[PROBE_ENV]
        QLocalServer.removeServer(path)
        if not self.server.listen(path):
            raise RuntimeError(f"probe cannot listen on {path}: {self.server.errorString()}")
        self.server.newConnection.connect(self._accept)
        self.sockets: list[Any] = []
        self.namespace: dict[str, Any] = {"probe": self}
        for name in dir(self):
            if not name.startswith("_") and callable(getattr(self, name)):
                self.namespace[name] = getattr(self, name)

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            self.sockets.append(sock)
            sock.readyRead.connect(lambda s=sock: self._read(s))

    def _read(self, sock: Any) -> None:
        while sock.canReadLine():
            line = bytes(sock.readLine()).decode()
            try:
                code = json.loads(line)["code"]
                try:
                    value = eval(code, self.namespace)
                except SyntaxError:
                    exec(code, self.namespace)
                    value = self.namespace.get("result")
                reply = {"ok": True, "value": value}
            except Exception:
                reply = {"ok": False, "error": traceback.format_exc()}
            sock.write((json.dumps(reply, default=str, ensure_ascii=False) + "\n").encode())
            sock.flush()

    # -- helpers the tests call ----------------------------------------------------------------
    def app(self) -> Any:
        from PySide6.QtWidgets import QApplication

        return QApplication.instance()

    def available(self) -> list[int]:
        from PySide6.QtGui import QGuiApplication

        return _rect(QGuiApplication.primaryScreen().availableGeometry())

    def windows(self) -> list[dict[str, Any]]:
        """Every visible top-level window: class, title, frame and client rectangles."""
        from PySide6.QtWidgets import QApplication

        out = []
        for w in QApplication.topLevelWidgets():
            if not w.isVisible() or not w.isWindow():
                continue
            if w.windowType().name in ("Popup", "ToolTip", "SplashScreen", "Desktop"):
                continue
            out.append(
                {
                    "cls": type(w).__name__,
                    "title": w.windowTitle(),
                    "frame": _rect(w.frameGeometry()),
                    "geo": _rect(w.geometry()),
                    "min": [w.minimumSizeHint().width(), w.minimumSizeHint().height()],
                    "active": w.isActiveWindow(),
                    "modal": w.isModal(),
                }
            )
        return out

    def window(self, cls: str | None = None, title: str | None = None) -> Any:
        """The visible top-level window of class `cls` (or whose title contains `title`)."""
        from PySide6.QtWidgets import QApplication

        for w in QApplication.topLevelWidgets():
            if not w.isVisible():
                continue
            if cls is not None and type(w).__name__ != cls:
                continue
            if title is not None and title not in w.windowTitle():
                continue
            return w
        return None

    def widgets(self, cls: str, root: Any = None) -> list[Any]:
        from PySide6.QtWidgets import QApplication, QWidget

        roots = [root] if root is not None else QApplication.topLevelWidgets()
        found = []
        for r in roots:
            if not r.isVisible():
                continue
            for w in [r, *r.findChildren(QWidget)]:
                is_kind = any(c.__name__ == cls for c in type(w).__mro__)
                if is_kind and w.isVisible():
                    found.append(w)
        return found

    def button(self, text: str, root: Any = None) -> Any:
        """A visible, enabled button (or tab, or menu-less tool button) showing `text`
        (mnemonic ampersands ignored); the active window's first."""
        from PySide6.QtWidgets import QAbstractButton, QApplication

        roots = (
            [root]
            if root is not None
            else sorted(
                (w for w in QApplication.topLevelWidgets() if w.isVisible()),
                key=lambda w: not w.isActiveWindow(),
            )
        )
        for r in roots:
            for b in r.findChildren(QAbstractButton):
                if b.isVisible() and b.isEnabled() and b.text().replace("&", "") == text:
                    return b
        return None

    def center(self, widget: Any) -> list[int]:
        p = widget.mapToGlobal(widget.rect().center())
        return [p.x(), p.y()]

    def focus(self) -> dict[str, Any]:
        from PySide6.QtWidgets import QApplication

        w = QApplication.focusWidget()
        if w is None:
            return {}
        return {"cls": type(w).__name__, "name": w.objectName(), "text": _text(w)}

    def tree(self, widget: Any, depth: int = 4, min_height: int = 0) -> list[str]:
        """The widget tree under `widget` with each minimum size hint (finding what makes a
        window too tall)."""
        from PySide6.QtWidgets import QWidget

        lines: list[str] = []

        def walk(w: Any, level: int) -> None:
            hint = w.minimumSizeHint()
            if hint.height() >= min_height:
                lines.append(
                    f"{'  ' * level}{type(w).__name__} {w.objectName()!r} "
                    f"min={hint.width()}x{hint.height()} size={w.width()}x{w.height()} "
                    f"{_text(w)[:30]!r}"
                )
            if level < depth:
                children = w.findChildren(
                    QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly
                )
                for child in children:
                    if not child.isWindow():
                        walk(child, level + 1)

        from PySide6.QtCore import Qt

        walk(widget, 0)
        return lines

    def later(self, fn: Any) -> None:
        """Run `fn` after this request is answered (a slot that opens a modal dialog would
        otherwise hold the answer until the dialog closes)."""
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, fn)


def main() -> int:
    import faulthandler

    faulthandler.enable()
    import ui.app

    made: dict[str, Probe] = {}
    original_make_app = ui.app.make_app
    original_init = ui.app.Controller.__init__

    def make_app(argv: list[str] | None = None) -> Any:
        app = original_make_app(argv)
        made["probe"] = Probe()
        return app

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        made["probe"].controller = self
        made["probe"].namespace["controller"] = self

    ui.app.make_app = make_app
    ui.app.Controller.__init__ = init  # type: ignore[method-assign]
    if sys.argv[1:2] == ["--district-home"]:
        # the district console (区级平台), as `caseworker-district --home DIR gui` runs it
        import ui.district.app

        original_district = ui.district.app.DistrictController.__init__

        def district_init(self: Any, *args: Any, **kwargs: Any) -> None:
            original_district(self, *args, **kwargs)
            made["probe"].controller = self
            made["probe"].namespace["controller"] = self

        ui.district.app.DistrictController.__init__ = district_init  # type: ignore[method-assign]
        from caseworker.district.cli import main as district_main

        return district_main(["--home", sys.argv[2], "gui"])
    from caseworker.cli import main as cli_main

    return cli_main(["gui", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())

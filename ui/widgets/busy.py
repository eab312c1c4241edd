"""Reads that can grow run on the background runner while the view shows a busy state.

`BackgroundRead.start(fn, on_done)` runs `fn(session)` in a read session on one of the
runner's reader threads (beside the writer: it does not wait for a long write, nor for another
view's long read, queued before it); the result reaches `on_done` on the UI thread only if the view still lives and no newer read was
started since (a search typed again supersedes the last one). `BusyOverlay` is the busy state:
a "正在加载…" note over a table (or any widget) while its data is on its way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget

from caseworker.domain.errors import AccountChanged
from ui.messages import show_error

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ui.context import AppContext

T = TypeVar("T")


class BusyOverlay(QLabel):
    """A note centred over `target` while it waits for its data; `target` stays readable."""

    def __init__(self, target: QWidget, text: str = "") -> None:
        super().__init__(target)
        self.setText(text or self.tr("正在加载，请稍候…"))
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setObjectName("busy_overlay")
        self.setStyleSheet(
            "QLabel#busy_overlay { background: rgba(255, 255, 255, 225); color: #333;"
            " border: 1px solid #9aa5b1; border-radius: 4px; padding: 10px 18px;"
            " font-size: 11pt; }"
        )
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        self.adjustSize()
        self.move(
            (parent.width() - self.width()) // 2, max(8, (parent.height() - self.height()) // 3)
        )

    def set_busy(self, busy: bool) -> None:
        if busy:
            self._place()
            self.raise_()
        self.setVisible(busy)


class BackgroundRead(QObject):
    """One view's reads on the runner: the newest one wins, nothing arrives after the view."""

    def __init__(
        self,
        ctx: AppContext,
        owner: QWidget,
        on_busy: Callable[[bool], None] | None = None,
    ) -> None:
        super().__init__(owner)  # destroyed with its view
        self.ctx = ctx
        self.owner = owner
        self.on_busy = on_busy
        self.generation = 0
        self.busy = False
        self._alive = [True]  # a closure's flag: a slot of a dying object would not run
        alive = self._alive
        owner.destroyed.connect(lambda *_a: alive.__setitem__(0, False))

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        if self.on_busy is not None:
            self.on_busy(busy)

    def start(
        self,
        fn: Callable[[Session], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.generation += 1
        mine = self.generation
        ws = self.ctx.ws
        actor = self.ctx.actor  # the read checks the account as it is now (db.replica)
        self._set_busy(True)

        def job() -> T:
            with ws.reader(actor) as session:
                return fn(session)

        def done(result: Any) -> None:
            if not self._alive[0] or mine != self.generation:
                return  # the view is gone, or a newer read replaced this one
            self._set_busy(False)
            on_done(result)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, AccountChanged):
                self.ctx.account_changed.emit(str(exc))
            if not self._alive[0] or mine != self.generation:
                return
            self._set_busy(False)
            (on_error or (lambda e: show_error(self.owner, e)))(exc)

        # Beside the writer when the runner has reader threads (TaskRunner.submit_read): a
        # read does not wait for an import, a save or another view's long read.
        submit = getattr(self.ctx.runner, "submit_read", None) or self.ctx.runner.submit
        submit(job, on_done=done, on_error=failed)

"""工作台 (home): the office at a glance. Programme modules add their work lists here."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseworker.services import accounts
from db.models import Staff
from ui.context import AppContext


class HomePage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.greeting = QLabel()
        self.greeting.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.office_box = QGroupBox(self.tr("本街道"))
        grid = QGridLayout(self.office_box)
        self.office_name = QLabel()
        self.community_count = QLabel()
        self.staff_count = QLabel()
        grid.addWidget(QLabel(self.tr("街道：")), 0, 0)
        grid.addWidget(self.office_name, 0, 1)
        grid.addWidget(QLabel(self.tr("社区/村：")), 1, 0)
        grid.addWidget(self.community_count, 1, 1)
        grid.addWidget(QLabel(self.tr("工作人员：")), 2, 0)
        grid.addWidget(self.staff_count, 2, 1)
        grid.setColumnStretch(1, 1)
        # Everything scrolls inside the page: each programme adds its panels, and a supervisor
        # who sees three programmes must not make the window taller than an office screen.
        content = QWidget()
        self.layout_ = QVBoxLayout(content)
        self.layout_.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.layout_.addWidget(self.greeting)
        self.layout_.addWidget(self.office_box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        ctx.on_changed(self, self._on_changed)
        self._pending: list[Callable[[], QWidget]] = []  # panels built in later turns
        self.refresh()

    def add_panel(self, widget: QWidget) -> None:
        """Programme modules put their work lists on the home page (they take the free height)."""
        self.layout_.addWidget(widget, 1)

    def add_panel_later(self, build: Callable[[], QWidget]) -> None:
        """Build a panel in a later turn of the event loop, one panel a turn: the window shows
        after login without waiting for all of them (issue 9's stall when logging in)."""
        self._pending.append(build)
        if len(self._pending) == 1:
            QTimer.singleShot(0, self, self._build_next)

    def _build_next(self) -> None:
        if self.ctx.actor is None:  # the session ended before this turn came (切换用户, lock)
            self._pending.clear()
        if self._pending:
            from ui.widgets.app_filters import building

            with building():
                self.add_panel(self._pending.pop(0)())
        if self._pending:
            QTimer.singleShot(0, self, self._build_next)

    def finish_building(self) -> None:
        """Build at once the panels still waiting (the page was asked for by code)."""
        if self.ctx.actor is None:
            self._pending.clear()
        while self._pending:
            self.add_panel(self._pending.pop(0)())

    def _on_changed(self, tables: frozenset[str]) -> None:
        if tables & {"office", "community", "staff"}:
            self.refresh()

    def refresh(self) -> None:
        def load(s: Session) -> tuple[str, list[accounts.CommunityInfo], int]:
            office = accounts.office(s)
            staff = s.scalar(
                select(func.count()).where(Staff.disabled.is_(False), Staff.deleted_at.is_(None))
            )
            return (office.name if office else "", accounts.communities(s), staff or 0)

        name, communities, staff = self.ctx.read(load)
        who = self.ctx.actor.display_name if self.ctx.actor else ""
        self.greeting.setText(self.tr("{0}，您好").format(who))
        self.office_name.setText(name)
        self.community_count.setText(
            self.tr("{0} 个：").format(len(communities)) + "、".join(c.name for c in communities)
        )
        self.community_count.setWordWrap(True)
        self.staff_count.setText(self.tr("{0} 人（在用账号）").format(staff))

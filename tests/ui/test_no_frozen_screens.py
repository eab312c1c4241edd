"""Reads that grow run on the runner behind a busy note (issue 9's frozen screens): the audit
view, the 数据同步 page and the 工作台's elderly work lists show 正在… until their data
arrives, a newer read supersedes an older one, a page closed meanwhile is left alone, and the
open referrals come a page at a time with 加载更多."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from caseworker.domain.roles import Actor, Role
from caseworker.services.elderly import schedule, visits
from caseworker.workspace import Workspace
from db.elderly import ElderlyVisit
from ui.context import AppContext
from ui.tasks import Job

SUPERVISOR = Actor("s", "kezhang", "王科长", Role.SUPERVISOR)
DIRECTOR = Actor("d", "ertong", "刘主任", Role.CHILD_DIRECTOR)


class DeferredRunner:
    """The runner's interface, holding jobs until `run_all` (as the worker thread would run
    them later): lets a test see the busy state the user sees while a read is on its way."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def submit(
        self,
        fn: Callable[..., Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> Job:
        job = Job(fn, on_done, on_error, on_progress)
        self.jobs.append(job)
        return job

    def run_all(self) -> int:
        done = 0
        while self.jobs:
            job = self.jobs.pop(0)
            try:
                result = job.run()
            except BaseException as exc:
                assert job.on_error is not None
                job.on_error(exc)
            else:
                if job.on_done is not None:
                    job.on_done(result)
            done += 1
        return done

    def shutdown(self, wait_ms: int = 0) -> None:
        pass


@pytest.fixture
def ws(demo_root: Path) -> Iterator[Workspace]:
    w = Workspace.open(demo_root)
    yield w
    w.close()


def account(ws: Workspace, actor: Actor) -> Actor:
    """The demo workspace's real account for `actor`'s role (by its user name when there is
    one): every read checks that the account exists and is what it was at login."""
    from sqlalchemy import select

    from caseworker.services import accounts
    from db.models import Staff

    with ws.reader() as s:
        rows = s.scalars(
            select(Staff).where(Staff.role == actor.role.value).order_by(Staff.username)
        )
        found = list(rows)
        row = next((r for r in found if r.username == actor.username), found[0])
        return accounts.actor_for(row)


def _ctx(ws: Workspace, actor: Actor) -> tuple[AppContext, DeferredRunner]:
    runner = DeferredRunner()
    return AppContext(ws, runner, account(ws, actor)), runner


def test_the_audit_view_searches_on_the_runner(ws: Workspace, qtbot) -> None:
    from ui.admin.audit import AuditPage

    ctx, runner = _ctx(ws, SUPERVISOR)
    page = AuditPage(ctx)
    qtbot.addWidget(page)
    page.show()
    assert page.busy.isVisible() and page.count_label.text() == "正在查询…"
    assert page.model.rowCount() == 0  # nothing read on the UI thread
    assert runner.run_all() == 2  # the people filter and the first page
    assert not page.busy.isVisible()
    assert page.model.rowCount() > 0 and page.person.count() > 1
    assert page.count_label.text().startswith("共 ")
    # A second search typed before the first came back: only the newest is shown.
    page.search()
    page.record.setText("no-such-record")
    page.search()
    runner.run_all()
    assert page.model.rowCount() == 0 and page.count_label.text().startswith("共 0 条")


def test_scrolling_the_audit_view_reads_the_next_page_on_the_runner(ws: Workspace, qtbot) -> None:
    from ui.admin.audit import AuditPage

    ctx, runner = _ctx(ws, SUPERVISOR)
    page = AuditPage(ctx)
    qtbot.addWidget(page)
    page.model.PAGE = 50
    page.search()
    runner.run_all()
    first = list(page.model.rows)
    assert len(first) == 50 and page.model.canFetchMore()
    page.model.fetchMore()
    page.model.fetchMore()  # the view asks again while the page is on its way: one read
    assert len(page.model.rows) == 50 and runner.run_all() == 1
    seqs = [r.seq for r in page.model.rows]
    assert len(seqs) == 100 and len(set(seqs)) == 100  # no row twice, none skipped below
    keys = [(r.recorded_at, r.seq) for r in page.model.rows]
    assert keys == sorted(keys, reverse=True)


def test_the_sync_page_reads_on_the_runner(ws: Workspace, qtbot) -> None:
    from ui.sync.page import SyncPage

    ctx, runner = _ctx(ws, SUPERVISOR)
    page = SyncPage(ctx)
    qtbot.addWidget(page)
    page.show()
    assert page.busy.isVisible() and page.pending_label.text() == "正在读取同步状态…"
    runner.run_all()
    assert not page.busy.isVisible()
    assert "修改" in page.pending_label.text()
    assert page.tabs.tabText(1) == "冲突（0）" and page.conflicts_more.isHidden()


def test_a_child_director_sees_no_sync_data(ws: Workspace, qtbot) -> None:
    from ui.sync.page import SyncPage

    ctx, runner = _ctx(ws, DIRECTOR)
    page = SyncPage(ctx)
    qtbot.addWidget(page)
    runner.run_all()
    assert "没有数据同步权限" in page.pending_label.text()
    assert page.conflicts.rowCount() == 0 and page.history.rowCount() == 0


def test_a_page_closed_before_its_read_returns_is_left_alone(ws: Workspace, qtbot) -> None:
    from ui.sync.page import SyncPage

    ctx, runner = _ctx(ws, SUPERVISOR)
    page = SyncPage(ctx)
    page.deleteLater()
    QApplication.sendPostedEvents(None, 0)  # the deferred delete happens now
    assert runner.run_all() == 1  # the result arrives for a page that is gone: no error


def test_open_referrals_come_a_page_at_a_time(ws: Workspace, qtbot, monkeypatch) -> None:
    from ui.elderly import work_lists

    monkeypatch.setattr(work_lists, "REFERRAL_PAGE", 1)
    system = Actor.system("test")
    with ws.writer(system) as s:  # two more open referrals, on the demo's visits
        for i, vid in enumerate(s.scalars(select(ElderlyVisit.id).limit(2))):
            draft = visits.ReferralDraft("社会救助", date.today() + timedelta(days=i), "跟进")
            visits.add_referral(s, system, vid, draft)
    ctx, runner = _ctx(ws, SUPERVISOR)
    panel = work_lists.WorkListsPanel(ctx, lambda rid: None)
    qtbot.addWidget(panel)
    panel.visitor.setCurrentIndex(0)  # everyone's (a real account starts on its own)
    panel.show()
    assert panel.busy.isVisible() and panel.referral_model.rowCount() == 0
    runner.run_all()
    assert not panel.busy.isVisible()
    with ws.reader() as s:
        everything = schedule.open_referrals(s, ctx.actor)
    assert len(everything) >= 3
    assert panel.referral_model.rowCount() == 1
    referral_tab = panel.tabs.indexOf(panel.referral_view.parentWidget())
    assert panel.tabs.tabText(referral_tab).startswith(f"转介待跟进（{len(everything)}，")
    assert not panel.referral_more.isHidden()  # on its tab
    assert panel.referral_more.text() == f"加载更多（已显示 1 / {len(everything)}）"
    panel.referral_more.click()
    runner.run_all()
    shown = [r.referral_id for r in panel.referral_model.rows]
    assert shown == [r.referral_id for r in everything[:2]]


def test_the_sync_page_says_more_than_the_cap(ws: Workspace, qtbot, monkeypatch) -> None:
    from ui.sync import page as sync_page

    monkeypatch.setattr(sync_page, "PENDING_CAP", 3)
    ctx, runner = _ctx(ws, SUPERVISOR)
    page = sync_page.SyncPage(ctx)
    qtbot.addWidget(page)
    runner.run_all()
    assert page.pending_label.text().startswith("等待区里确认的修改：超过 3 条。")


def test_the_retrofit_work_lists_read_on_the_runner(ws: Workspace, qtbot) -> None:
    from caseworker.services.retrofit import search
    from caseworker.services.retrofit.search import CaseQuery
    from ui.retrofit.work_lists import RetrofitWorkListsPanel

    ctx, runner = _ctx(ws, SUPERVISOR)
    panel = RetrofitWorkListsPanel(ctx, lambda case_id: None)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.busy.isVisible() and all(m.rowCount() == 0 for m in panel.models.values())
    assert runner.run_all() == 1  # the four lists in one read
    assert not panel.busy.isVisible()
    with ws.reader() as s:
        waiting = search.count(s, ctx.actor, CaseQuery(work_list="approve"))
    assert panel.tabs.tabText(1).endswith(f"（{waiting}）")

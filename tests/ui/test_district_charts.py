"""Charts of the district console (issue 24): the shared `ui.widgets.charts.ChartView` draws a
report `Chart` (bars at the height of their values, a line with gaps, values on hover, by
keyboard and as text), 工作台 shows the visit rates of each office and of the last months from
the hub's figures, 统计报表 shows the report's own charts, and the district report's PDF
carries the same series (the chart's title and its bar values in the text layer)."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QEvent, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QColor, QHelpEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QToolTip

from caseworker.district import console, service
from caseworker.domain import idnumber
from caseworker.domain.roles import DistrictRole
from caseworker.services import accounts as office_accounts
from caseworker.services.elderly import roster, visits
from caseworker.services.reports import Chart
from tests.sync.helpers import ADMIN, make_world
from tests.ui.conftest import console_on
from tests.ui.test_district_console import _add, _log_in
from ui.district.app import DistrictController
from ui.widgets.charts import BAR, LOW, ChartView

CODES = ["110105001", "110105002"]


def _count(image, colour: QColor) -> int:
    """Pixels of exactly `colour` in a widget's grab (every 2nd pixel: enough to see a bar)."""
    rgb = colour.rgb()
    return sum(
        image.pixel(x, y) == rgb
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
    )


def test_bars_stand_at_their_values_and_say_them(qtbot) -> None:
    chart = Chart("bar", "各街道探访率", ("东街道", "西街道", "南街道"), (0.9, 0.5, None), 0.8)
    view = ChartView()
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.set_chart(chart)
    view.show()
    qtbot.waitExposed(view)
    image = view.grab().toImage()
    assert [(d.label, d.value) for d in view.drawn] == list(
        zip(chart.labels, chart.values, strict=True)
    )
    plot = view.plot
    for d in view.drawn:
        drawn = (plot.bottom() - d.mark.top()) / plot.height()
        assert drawn == pytest.approx(d.value or 0.0, abs=0.01)
    # the bar over the target in the report's blue, the one under it in red: not a blank grab
    assert _count(image, BAR) > 100 and _count(image, LOW) > 50
    # every value as text (screen readers, the tooltip), "—" where nobody was due
    assert view.values_text().splitlines() == [
        "各街道探访率",
        "东街道：90.0%",
        "西街道：50.0%",
        "南街道：—",
        "目标：80%",
    ]
    assert view.accessibleName() == "各街道探访率"
    # keyboard: Tab reaches it, Right/Left/End step through the values
    assert view.focusPolicy() == Qt.FocusPolicy.StrongFocus
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.current_text() == "东街道：90.0%"
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.current_text() == "西街道：50.0%"
    assert view.accessibleDescription() == "西街道：50.0%"
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.current_text() == "南街道：—"
    qtbot.keyClick(view, Qt.Key.Key_Right)  # round again
    assert view.current_text() == "东街道：90.0%"
    # the mouse over the second bar shows its value
    centre = view.drawn[1].rect.center()
    move = QMouseEvent(
        QMouseEvent.Type.MouseMove,
        centre,
        view.mapToGlobal(centre.toPoint()).toPointF(),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(view, move)
    assert QToolTip.text() == "西街道：50.0%"
    assert view.index_at(QPointF(-50, 10)) == -1
    # the mouse at rest (Qt's tooltip event): over a bar its value, elsewhere every value
    QToolTip.hideText()
    at = view.drawn[0].rect.center().toPoint()
    QApplication.sendEvent(view, QHelpEvent(QEvent.Type.ToolTip, at, view.mapToGlobal(at)))
    assert QToolTip.text() == "东街道：90.0%"
    off = QPoint(2, 2)
    QApplication.sendEvent(view, QHelpEvent(QEvent.Type.ToolTip, off, view.mapToGlobal(off)))
    assert QToolTip.text() == view.values_text()


def test_a_line_leaves_gaps_and_no_chart_says_so(qtbot) -> None:
    months = tuple(f"{m}月" for m in range(1, 13))
    values = (0.1, 0.2, None, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.95, 0.85)
    view = ChartView(empty_text="没有数据")
    qtbot.addWidget(view)
    view.resize(520, 240)  # a half of 工作台's width at 1366×728
    view.show()
    qtbot.waitExposed(view)
    view.grab()
    assert view.drawn == []  # nothing to draw yet
    view.set_chart(Chart("line", "近 12 个月探访率", months, values))
    view.grab()
    assert [d.value for d in view.drawn] == list(values)
    assert view.drawn[2].mark.isEmpty()  # the month without figures has no point
    for d in view.drawn:
        if d.value is not None:
            drawn = (view.plot.bottom() - d.mark.center().y()) / view.plot.height()
            assert drawn == pytest.approx(d.value, abs=0.01)
    assert _count(view.grab().toImage(), BAR) > 30
    # the labels' slots follow each other left to right within the widget
    lefts = [d.rect.left() for d in view.drawn]
    assert lefts == sorted(lefts) and view.drawn[-1].rect.right() <= view.width()


def _world_with_visits(tmp_path: Path):
    """Two offices: 3 and 4 residents enrolled this month, 2 of each visited, ingested."""
    world = make_world(tmp_path, CODES)
    today = date.today()
    for n, (code, ws) in enumerate(world.offices.items()):
        with ws.writer(ADMIN) as s:
            cids = [c.id for c in office_accounts.communities(s)]
            for i in range(3 + n):
                birth = date(1940 + i, 1 + n, 1 + i)
                r = roster.register(
                    s,
                    ADMIN,
                    roster.ResidentDraft(
                        f"老人{code[-1]}{i}",
                        idnumber.make("110105", birth, 10 + i),
                        cids[i % len(cids)],
                        enrolled_on=today.replace(day=1),
                    ),
                    today=today,
                ).resident
                if i % 2 == 0:
                    visits.complete(
                        s, ADMIN, visits.VisitDraft(r.id, today, visitors=("专干",)), today=today
                    )
        service.ingest(world.hub, [world.office_to_district(code)])
    return world


@pytest.fixture
def visited(tmp_path: Path):
    w = _world_with_visits(tmp_path)
    yield w
    w.close()


@pytest.fixture
def console_app(visited, qsettings: QSettings, qtbot) -> Iterator[DistrictController]:
    with console_on(visited.hub.home, qsettings) as c:
        yield c


def test_dashboard_charts_are_the_district_reports_visit_rates(visited, console_app, qtbot) -> None:
    _add(visited, "tongji", "赵统计", DistrictRole.STATISTICIAN)
    console_app.start()
    _log_in(console_app, qtbot, "tongji")
    window = console_app.window
    window.resize(1366, 728)
    dash = window.page("dashboard")
    by_office, trend = dash.office_chart.chart, dash.trend_chart.chart
    assert by_office is not None and trend is not None
    assert by_office.labels == ("第1街道办事处", "第2街道办事处")
    # 3 due and 2 visited; 4 due and 2 visited: the rates the district report prints
    assert by_office.values == pytest.approx((2 / 3, 0.5))
    today = date.today()  # this month so far, and it says so (on its last day it is whole)
    so_far = today.day < calendar.monthrange(today.year, today.month)[1]
    assert by_office.title == "各街道探访率" + (
        f"（截至{today.month}月{today.day}日）" if so_far else ""
    )
    report = console.district_report(visited.hub, console_app.ctx.actor, "")
    elderly = report.sections[0]
    assert (by_office, trend) == elderly.charts  # the same series as 统计报表 and the PDF
    visits_table = next(t for t in elderly.tables if t.key == "探访情况")
    assert by_office.values == tuple(r[5] for r in visits_table.rows[:-1])
    assert trend.values[-1] == pytest.approx(4 / 7)  # this month, the district as a whole
    window.show()
    qtbot.waitExposed(window)
    image = dash.office_chart.grab().toImage()
    assert [d.value for d in dash.office_chart.drawn] == list(by_office.values)
    assert _count(image, BAR) + _count(image, LOW) > 100  # bars were drawn
    assert "第1街道办事处：66.7%" in dash.office_chart.values_text()


def test_report_page_shows_each_programmes_charts(visited, console_app, qtbot) -> None:
    _add(visited, "tongji", "赵统计", DistrictRole.STATISTICIAN)
    console_app.start()
    _log_in(console_app, qtbot, "tongji")
    page = console_app.window.page("report")
    report = page.report
    assert report is not None
    view = page.view
    titles = [s.title for s in report.sections]
    assert [view.section.itemText(i) for i in range(view.section.count())] == titles
    assert (view.bar.chart, view.line.chart) == report.sections[0].charts
    view.section.setCurrentIndex(1)
    assert (view.bar.chart, view.line.chart) == report.sections[1].charts
    view.bar.resize(500, 260)
    view.bar.grab()
    assert [d.label for d in view.bar.drawn] == list(report.sections[1].charts[0].labels)


def test_the_district_report_pdf_carries_the_charts(visited, tmp_path: Path) -> None:
    report = console.district_report(visited.hub, service.DISTRICT, "")
    out = console.write_report(report, tmp_path / "全区.pdf")
    pages = PdfReader(out).pages
    text = "\n".join(p.extract_text() for p in pages)
    charts = report.sections[0].charts
    assert charts[0].title in text and charts[1].title.split("（")[0] in text
    # the bars' labels: each office's rate as the bar chart prints it
    for value in charts[0].values:
        assert f"{value * 100:.0f}%" in text
    assert "67%" in text and "50%" in text
    assert "目标" in text  # the target line's label


def test_twenty_offices_fit_at_the_consoles_size(qtbot) -> None:
    """20 offices' bars in 工作台's half of a 1366×728 screen: the labels are turned and cut
    where too long, and none runs off the left edge (the whole names stay in the text)."""
    names = tuple(
        f"朝阳门外第{i + 1}街道办事处" if i % 3 == 0 else f"第{i + 1}街道办事处" for i in range(20)
    )
    chart = Chart("bar", "各街道探访率", names, tuple(0.5 + (i % 6) * 0.09 for i in range(20)))
    view = ChartView()
    qtbot.addWidget(view)
    view.resize(730, 245)
    view.set_chart(chart)
    view.show()
    qtbot.waitExposed(view)
    image = view.grab().toImage()
    assert [d.label for d in view.drawn] == list(names)
    below = range(int(view.plot.bottom()) + 3, image.height())
    edge = [QColor(image.pixel(x, y)).lightness() for x in range(3) for y in below]
    assert min(edge) > 200  # nothing of a label drawn at the very left edge
    assert all(f"{n}：" in view.values_text() for n in names)

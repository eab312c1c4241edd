"""What typing back a stack of signed visit forms costs a caseworker, counted through the real
windows (offscreen): every key press and mouse click of the typed path against the scan path,
for the same forms, and both must end with the same answers entered.

- **Typed path** (老年人台账): Ctrl+F, the name's pinyin initials typed into the roster's search,
  Down into the list (and Down or Up to the right person when several share the initials),
  Ctrl+N for a new visit; in the visit form the handwritten date typed over today's (Ctrl+A
  and the date), then Tab from question to question in the paper's order with each answer's
  number key (1-9), the method's number key when it is not 入户, and Ctrl+S.
- **Scan path** (文件 → 导入扫描件, the batch's PDF chosen: four clicks once for the batch):
  Enter on each page of the list opens its visit form with the ticks set from the scan; the
  same date typed; each box marked unsure (yellow) that the scan got wrong or left empty is
  clicked right; Ctrl+S; Down to the next page.

Both paths type the same date and leave the visitors (filled in with the caseworker) and the
notes alone: the handwritten notes cost the same keys on both paths and are not part of this
count. The referral boxes are left unticked (a referral is entered in its own row with a
deadline and a person on both paths). `CASEWORKER_KEYSTROKE_FORMS` (default 40) sets how many
forms; the counts are printed and written to `keystrokes.json` in the test's folder (and to
`CASEWORKER_KEYSTROKE_OUT` when set): docs/paper_forms.md reports them.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from caseworker import demo
from caseworker.domain.pinyin import of_name
from caseworker.domain.visit_form import CHOICE_FIELDS
from caseworker.printing import visit_forms
from caseworker.services import paper
from caseworker.services.elderly import forms, visits
from caseworker.workspace import Workspace
from tests.scan.generator import TICKED_KINDS, choose_kinds, pdf_of_images, scan_of
from tests.ui.conftest import log_in
from tests.ui.test_admin_pages import no_popups, when_dialog_opens  # noqa: F401  (a fixture)
from ui.elderly.visit_form import VisitForm
from ui.paper_codes import UNSURE_STYLE, ScanImport
from ui.widgets.fields import ChoiceRow

FORMS = int(os.environ.get("CASEWORKER_KEYSTROKE_FORMS", "40"))
NO_MOD = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@dataclass
class Count:
    """Key presses and mouse clicks, each made through the real widgets (a key combination such
    as Ctrl+S is one key press; a menu or file dialog choice is one click)."""

    keys: int = 0
    clicks: int = 0
    by: dict[str, int] = field(default_factory=dict)  # what for: find, date, tab, tick, save…
    looked: int = 0  # questions marked unsure, looked at on the paper
    fixed: int = 0  # of those, answers the scan had not right

    def key(self, qtbot, key: Qt.Key, modifier: Qt.KeyboardModifier = NO_MOD, *, what: str) -> None:
        self._add(what, 1)
        qtbot.keyClick(_focus(), key, modifier)

    def type(self, qtbot, text: str, *, what: str) -> None:
        self._add(what, len(text))
        qtbot.keyClicks(_focus(), text)

    def click(self, qtbot, widget: QWidget, *, what: str) -> None:
        self.clicks += 1
        self.by[what + " (click)"] = self.by.get(what + " (click)", 0) + 1
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)

    def _add(self, what: str, n: int) -> None:
        self.keys += n
        self.by[what] = self.by.get(what, 0) + n


@dataclass
class PathCount:
    forms: list[Count] = field(default_factory=list)
    batch: tuple[int, int] = (0, 0)  # (keys, clicks) once for the stack (section, batch)

    @property
    def per_form(self) -> list[tuple[int, int]]:
        return [(c.keys, c.clicks) for c in self.forms]

    def totals(self) -> dict[str, object]:
        keys = sum(k for k, _ in self.per_form) + self.batch[0]
        clicks = sum(c for _, c in self.per_form) + self.batch[1]
        n = len(self.per_form)
        by: dict[str, int] = {}
        for c in self.forms:
            for what, k in c.by.items():
                by[what] = by.get(what, 0) + k
        return {
            "by": {what: round(k / n, 1) for what, k in by.items()},  # per form
            "unsure_questions_looked_at": sum(c.looked for c in self.forms),
            "answers_fixed": sum(c.fixed for c in self.forms),
            "forms": n,
            "keys": keys,
            "clicks": clicks,
            "actions": keys + clicks,
            "keys_per_form": round(keys / n, 1),
            "actions_per_form": round((keys + clicks) / n, 1),
            "max_keys_one_form": max(k for k, _ in self.per_form),
            "min_keys_one_form": min(k for k, _ in self.per_form),
        }


def _activate(qtbot, window: QWidget) -> None:
    """A dialog just shown is the active window (offscreen, once the event loop has said so):
    key presses go to its focus, as on a desktop."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)


def _focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "no widget has the keyboard focus"
    return widget


@dataclass
class Paper:
    """One signed form: who, the date written on it, and its ticks (field → choices joined
    by 、, as the entry stores them)."""

    resident_id: str
    name: str
    visit_date: date
    kinds: list[str]
    answers: dict[str, str]


def _answers(kinds: list[str]) -> dict[str, str]:
    boxes = visit_forms.geometry().boxes
    out: dict[str, list[str]] = {}
    for box, kind in zip(boxes, kinds, strict=True):
        out.setdefault(box.field, [])
        if kind in TICKED_KINDS:
            out[box.field].append(box.choice)
    return {name: "、".join(chosen) for name, chosen in out.items()}


def _kinds(rnd: random.Random) -> list[str]:
    """A visitor's ticks (the generator's, hard ways included), as the entry form can hold
    them: one method ticked, 无 not ticked beside another answer, no referral box ticked."""
    boxes = visit_forms.geometry().boxes
    kinds = choose_kinds(rnd)
    by_field: dict[str, list[int]] = {}
    for i, box in enumerate(boxes):
        by_field.setdefault(box.field, []).append(i)
    for i in by_field["referral"]:
        kinds[i] = "empty"
    method = by_field["method"]
    if not any(kinds[i] in TICKED_KINDS for i in method):
        kinds[rnd.choice(method)] = "tick"
    for idx in by_field.values():
        ticked = [i for i in idx if kinds[i] in TICKED_KINDS]
        none = [i for i in idx if boxes[i].choice == "无"]
        if none and none[0] in ticked and len(ticked) > 1:
            kinds[none[0]] = "empty"
    return kinds


def _session(root: Path, make_controller, qtbot):
    controller = make_controller(root)
    controller.start()
    log_in(controller, qtbot, "zhuangan1")
    window = controller.window
    assert window is not None
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return controller


def _visit_values(controller, resident_id: str) -> dict[str, object]:
    ctx, actor = controller.ctx, controller.ctx.actor
    today = date.today()
    month = [
        v
        for v in ctx.read(lambda s: visits.history(s, actor, resident_id))
        if v.visit_date.year == today.year and v.visit_date.month == today.month
    ]
    assert len(month) == 1, f"{resident_id}: {len(month)} visits entered this month"
    values = ctx.read(lambda s: visits.get(s, actor, month[0].id)).values
    out: dict[str, object] = {"visit_date": values.visit_date, "method": str(values.method)}
    out |= {cf.name: getattr(values, cf.name) for cf in CHOICE_FIELDS}
    return out


def _expected(p: Paper) -> dict[str, object]:
    out: dict[str, object] = {"visit_date": p.visit_date, "method": p.answers["method"]}
    out |= {cf.name: p.answers.get(cf.name, "") for cf in CHOICE_FIELDS}
    return out


def _date_text(day: date) -> str:
    return f"{day.month}.{day.day}"  # as a caseworker types this year's date: 12.3


def _guarded(form: VisitForm, act) -> None:
    """Run `act(form)`; if it fails, close the form (answering its question) so the test fails
    with the error instead of waiting for ever on an open modal form."""
    try:
        act(form)
    except BaseException:
        form.done(0)
        raise


def _type_form(qtbot, form: VisitForm, p: Paper, count: Count, errors: list) -> None:
    def act(form: VisitForm) -> None:
        assert form.resident.id == p.resident_id, (form.resident.name, p.name)
        _activate(qtbot, form)
        if _focus() is not form.visit_date:
            form.visit_date.setFocus()  # where the form puts it; offscreen it may not be yet
        count.key(qtbot, Qt.Key.Key_A, CTRL, what="date")
        count.type(qtbot, _date_text(p.visit_date), what="date")
        targets: list[tuple[ChoiceRow, str]] = []
        if p.answers["method"] != form.method.value():
            targets.append((form.method, p.answers["method"]))
        targets += [
            (form.choices[cf.name], p.answers.get(cf.name, ""))
            for cf in CHOICE_FIELDS
            if p.answers.get(cf.name)
        ]
        for row, wanted in targets:
            for _ in range(80):  # Tab along the paper's order to the question
                if _focus() is row:
                    break
                count.key(qtbot, Qt.Key.Key_Tab, what="tab")
            assert _focus() is row, f"Tab never reached {wanted}"
            for choice in wanted.split("、"):
                count.type(qtbot, str(row.choices.index(choice) + 1), what="tick")
            assert row.value() == wanted
        count.key(qtbot, Qt.Key.Key_S, CTRL, what="save")
        assert form.saved is not None, form.general_error.text()

    try:
        _guarded(form, act)
    except BaseException as exc:  # raised again by the test, not lost in the event loop
        errors.append(exc)


def _fix_form(qtbot, form: VisitForm, papers: dict[str, Paper], count: Count, errors) -> None:
    def act(form: VisitForm) -> None:
        p = papers[form.resident.id]
        _activate(qtbot, form)
        if _focus() is not form.visit_date:
            form.visit_date.setFocus()
        count.key(qtbot, Qt.Key.Key_A, CTRL, what="date")
        count.type(qtbot, _date_text(p.visit_date), what="date")
        rows = [("method", form.method), *form.choices.items()]
        for name, row in rows:
            if row.styleSheet() != UNSURE_STYLE:
                continue  # what the scan was sure of she leaves (a wrong one is caught below)
            wanted = set(filter(None, p.answers.get(name, "").split("、")))
            count.looked += 1
            count.fixed += row.value() != p.answers.get(name, "")
            for _ in range(len(row.boxes) + 1):  # click each box that differs from the paper
                wrong = [
                    box
                    for choice, box in zip(row.choices, row.boxes, strict=True)
                    if box.isChecked() != (choice in wanted)
                ]
                if not wrong:
                    break
                first = next((b for b in wrong if not b.isChecked()), wrong[0])
                count.click(qtbot, first, what="tick")
        count.key(qtbot, Qt.Key.Key_S, CTRL, what="save")
        assert form.saved is not None, form.general_error.text()

    try:
        _guarded(form, act)
    except BaseException as exc:
        errors.append(exc)


@pytest.fixture
def stack(tmp_path: Path) -> tuple[Path, Path]:
    """One office's workspace with enough residents, and a copy of it: the typed path and the
    scan path each enter the same stack of forms into their own copy."""
    root = tmp_path / "scan-ws"
    with Workspace.open(root) as ws:
        demo.build(ws, residents=max(120, 3 * FORMS), seed=3)
    typed = tmp_path / "typed-ws"
    shutil.copytree(root, typed)
    return root, typed


@pytest.mark.slow  # about a minute: 40 forms twice, and their scans generated
def test_forty_forms_take_fewer_keys_scanned_than_typed_and_end_the_same(  # noqa: C901
    stack,
    make_controller,
    qtbot,
    no_popups,  # noqa: F811
    monkeypatch,
    tmp_path: Path,
) -> None:
    scan_root, typed_root = stack
    rnd = random.Random(2025)
    today = date.today()
    month = today.replace(day=1)

    # -- the scan path's office prints the month's forms; the visitors tick them --------------
    scanner = _session(scan_root, make_controller, qtbot)
    ctx, actor = scanner.ctx, scanner.ctx.actor
    due = ctx.read(lambda s: forms.month_forms(s, actor, month))
    unvisited = [
        d
        for d in due
        if not any(
            v.visit_date >= month
            for v in ctx.read(lambda s, r=d.resident_id: visits.history(s, actor, r))
        )
    ]
    assert len(unvisited) >= FORMS, f"only {len(unvisited)} residents to visit this month"
    chosen = rnd.sample(unvisited, FORMS)
    stamps = paper.issue_visit_forms(ctx.ws.engine, actor, chosen, month)
    pdf = visit_forms.render_visit_forms(chosen, stamps)
    papers: list[Paper] = []
    images = []
    for i, data in enumerate(chosen):
        kinds = _kinds(rnd)
        papers.append(
            Paper(
                data.resident_id,
                data.resident_name,
                today.replace(day=rnd.randint(1, today.day)),
                kinds,
                _answers(kinds),
            )
        )
        images.append(scan_of(pdf, i, rnd, kinds=kinds).image)
    rnd.shuffle(images)  # the batch comes off the scanner in any order
    pdf_of_images(images, tmp_path / "batch.pdf")
    del images
    by_id = {p.resident_id: p for p in papers}

    # A visit that found the need for 适老化改造 asks whether to register an application now:
    # she answers No (Esc, one key) on both paths; the application is another day's work.
    current = [Count()]
    asked: dict[str, int] = {"scan": 0, "typed": 0}
    path = ["scan"]

    def answer_no(*args, **kwargs):
        assert "适老化改造" in str(args[2]), args[2]
        asked[path[0]] += 1
        current[0]._add("question", 1)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", staticmethod(answer_no))

    # -- scan path ------------------------------------------------------------------------------
    monkeypatch.setattr(
        "ui.widgets.file_dialogs.ask", lambda parent, request: [tmp_path / "batch.pdf"]
    )
    scanned = PathCount(batch=(0, 4))  # 文件, 导入扫描件, the PDF, 打开
    errors: list[BaseException] = []

    def drive(dialog: ScanImport) -> None:
        try:
            table = dialog.table
            _activate(qtbot, dialog)
            table.setFocus()
            assert table.rowCount() == FORMS
            for row in range(FORMS):
                assert table.currentRow() == row
                count = current[0] = Count()
                when_dialog_opens(qtbot, lambda f, c=count: _fix_form(qtbot, f, by_id, c, errors))
                count.key(qtbot, Qt.Key.Key_Return, what="open")
                _activate(qtbot, dialog)  # back from the form
                if errors:
                    break
                assert table.item(row, 3).text() == "已录入", table.item(row, 3).text()
                if row + 1 < FORMS:
                    count.key(qtbot, Qt.Key.Key_Down, what="open")
                scanned.forms.append(count)
        except BaseException as exc:
            errors.append(exc)
        finally:
            dialog.accept()  # 关闭: counted with the batch below

    when_dialog_opens(qtbot, drive)
    scanner.window.scan_action.trigger()
    if errors:
        raise errors[0]
    scanned.batch = (0, scanned.batch[1] + 1)  # 关闭
    scan_entered = {p.resident_id: _visit_values(scanner, p.resident_id) for p in papers}

    # -- typed path (the same forms, in the order printed, in the other copy) ------------------
    typist = _session(typed_root, make_controller, qtbot)
    window = typist.window
    window.show_section(window.section_index("elderly"))  # one click for the stack
    typed = PathCount(batch=(0, 1))
    roster = window.page("elderly").roster
    path[0] = "typed"
    for p in papers:
        count = current[0] = Count()
        _activate(qtbot, window)  # back from the last form
        if QApplication.focusWidget() is None:
            roster.view.setFocus()  # where the form left it (offscreen it may be nowhere)
        count.key(qtbot, Qt.Key.Key_F, CTRL, what="find")
        assert _focus() is roster.search
        count.type(qtbot, of_name(p.name).initials, what="find")
        count.key(qtbot, Qt.Key.Key_Down, what="find")
        assert _focus() is roster.view
        ids = [r.id for r in roster.model.rows]
        assert p.resident_id in ids, f"{p.name} not found by {of_name(p.name).initials}"
        for _ in range(len(ids)):
            here = roster.current_id()
            if here == p.resident_id:
                break
            up = ids.index(p.resident_id) < ids.index(here) if here in ids else False
            count.key(qtbot, Qt.Key.Key_Up if up else Qt.Key.Key_Down, what="find")
        assert roster.current_id() == p.resident_id
        when_dialog_opens(qtbot, lambda f, p=p, c=count: _type_form(qtbot, f, p, c, errors))
        count.key(qtbot, Qt.Key.Key_N, CTRL, what="open")
        if errors:
            raise errors[0]
        typed.forms.append(count)
    typed_entered = {p.resident_id: _visit_values(typist, p.resident_id) for p in papers}

    # -- the same answers on both paths, the paper's own ------------------------------------------
    for p in papers:
        assert typed_entered[p.resident_id] == _expected(p), p.name
        assert scan_entered[p.resident_id] == _expected(p), p.name
    assert not no_popups, no_popups
    # (asked only when the resident has no retrofit case under way: the same forms on both)
    assert asked["scan"] == asked["typed"]

    result = {"typed": typed.totals(), "scan": scanned.totals(), "retrofit_asked": asked}
    print("\nkeystrokes for", FORMS, "forms:", json.dumps(result, ensure_ascii=False))
    text = json.dumps(
        result | {"typed_per_form": typed.per_form, "scan_per_form": scanned.per_form}, indent=1
    )
    (tmp_path / "keystrokes.json").write_text(text, encoding="utf-8")
    if os.environ.get("CASEWORKER_KEYSTROKE_OUT"):
        Path(os.environ["CASEWORKER_KEYSTROKE_OUT"]).write_text(text, encoding="utf-8")
    assert result["scan"]["keys"] < result["typed"]["keys"]
    assert result["scan"]["actions"] < result["typed"]["actions"]

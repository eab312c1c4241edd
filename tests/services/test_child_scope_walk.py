"""Every public function of the children services and of the audit service, called as the child
director of another community (issue 20, item 3), found by introspection so that a function
added later is walked too: each refuses, or answers with nothing of the child — not its name,
full ID number, address, guardian or narrative — and writes no view-log row for it.

`audit.record_history` once returned another community's child (name, full ID, address,
guardian) and logged nothing: its docstring left the community check to the caller."""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

import caseworker.services.children as children_pkg
from caseworker.domain.errors import CaseworkerError, NotFound, PermissionDenied
from caseworker.domain.roles import Actor
from caseworker.services import audit
from caseworker.services.children import (
    cases,
    exports,
    forms,
    recovery,
    register_import,
    rotation,
    search,
)
from caseworker.services.children import worklists as wl
from db.children import (
    ChildCaseEvent,
    ChildOfficeKey,
    ChildViewLog,
)
from tests.services._children import SECRET, TODAY, child_id_number
from tests.services.test_children_access import World, calls, world  # noqa: F401  (fixture)

SECRETS = ("周小雨", child_id_number(date(2014, 6, 2)), "和平路12号3单元401", "周大", SECRET)


def _public_functions() -> set[str]:
    """`module.function` of every public service (a session and an actor) in the children
    services (every module, found by walking the package) and the audit service. The key
    helpers that take an actor but no session (`keys.read_text`, …) are given a stored text by
    a service that has already read the row in scope; they read nothing themselves."""
    names = [
        m.name for m in pkgutil.walk_packages(children_pkg.__path__, children_pkg.__name__ + ".")
    ]
    found: set[str] = set()
    for name in [*names, audit.__name__]:
        if name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(name)
        for fn_name, fn in vars(module).items():
            if fn_name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != name:
                continue
            params = list(inspect.signature(fn).parameters)
            if params[:1] in (["session"], ["ws"]) and "actor" in params:
                found.add(f"{name.rsplit('.', 1)[-1]}.{fn_name}")
    return found


def _more_calls(w: World) -> dict[str, list[Callable[[Any, Actor], Any]]]:
    """The calls `test_children_access.calls` has no row for, and the list functions asked for
    the other community by name; several calls per function where it reads several kinds."""
    ids = w.ids
    there = ids["hepingli"]
    child = ids["child"]
    flt = audit.AuditFilter(record_id=child)
    with w.ws.reader() as s:
        event = s.scalar(select(ChildCaseEvent.id))
        view = s.scalar(select(ChildViewLog.id))
        key = s.scalar(select(ChildOfficeKey.id))
    records = {
        "child": child,
        "child_guardian": ids["father"],
        "child_condition": ids["condition"],
        "child_case": ids["planned"],
        "child_case_event": event,
        "child_plan_service": ids["service"],
        "child_visit": ids["visit"],
        "child_view_log": view,
        "child_office_key": key,
    }

    sheet = Path(tempfile.mkdtemp()) / "children.csv"
    sheet.write_text(
        "儿童姓名,公民身份号码,性别,所属社区,现住址,保障类别,建档日期\n"
        f"吴新童,{child_id_number(date(2015, 3, 4), seq=77)},男,和平里,某路1号,留守,2025-03-01\n",
        encoding="utf-8",
    )

    def logger(s: Any, a: Actor) -> exports.ViewLogger:
        return exports.ViewLogger(s, a, "测试")

    return {
        "exports.register_rows": [
            lambda s, a: exports.register_rows(
                s, a, search.ChildQuery(community_id=there), TODAY, logger(s, a)
            )
        ],
        "exports.case_rows": [
            lambda s, a: exports.case_rows(s, a, there, False, logger(s, a)),
            lambda s, a: exports.case_rows(s, a, None, False, logger(s, a)),
        ],
        "exports.work_case_rows": [
            functools.partial(
                lambda s, a, k: exports.work_case_rows(s, a, k, there, TODAY, logger(s, a)), k=k
            )
            for k in wl.CASE_LISTS
        ],
        "exports.service_rows": [
            lambda s, a: exports.service_rows(s, a, there, TODAY, logger(s, a))
        ],
        "exports.category_rows": [
            lambda s, a: exports.category_rows(s, a, there, TODAY, logger(s, a))
        ],
        "audit.count": [lambda s, a: audit.count(s, a, flt)],
        "audit.page": [lambda s, a: audit.page(s, a, flt)],
        "audit.first_page": [lambda s, a: audit.first_page(s, a, flt)],
        "audit.stream": [lambda s, a: audit.stream(s, a, flt)],
        "audit.actor_names": [lambda s, a: audit.actor_names(s, a)],
        "audit.record_history": [
            functools.partial(audit.record_history, table_name=t, record_id=r)
            for t, r in records.items()
        ],
        "recovery.take_recovery_file": [
            lambda s, a: recovery.take_recovery_file(s, a, None, Path("x.cwchildkey"))  # type: ignore[arg-type]
        ],
        "rotation.rotate_office_key": [lambda _s, a: rotation.rotate_office_key(w.ws, a)],
        # A file whose row names the other community: refused, nothing of the register shown.
        "register_import.preview": [lambda s, a: register_import.preview(s, a, sheet, today=TODAY)],
        "register_import.apply": [lambda s, a: register_import.apply(s, a, sheet, today=TODAY)],
        "register_import.apply_file": [
            lambda _s, a: register_import.apply_file(w.ws, a, sheet, today=TODAY)
        ],
        "search.page": [
            lambda s, a: search.page(s, a, search.ChildQuery(community_id=there), 0, 50)
        ],
        "search.count": [lambda s, a: search.count(s, a, search.ChildQuery(community_id=there))],
        "search.first_page": [
            lambda s, a: search.first_page(s, a, search.ChildQuery(community_id=there), 50),
            lambda s, a: search.first_page(s, a, search.ChildQuery(text="小"), 50),
        ],
        "worklists.case_list": [
            functools.partial(wl.case_list, key=k, today=TODAY, community_id=there)
            for k in wl.CASE_LISTS
        ],
        "worklists.services_overdue": [
            lambda s, a: wl.services_overdue(s, a, today=TODAY, community_id=there)
        ],
        "worklists.view_log": [lambda s, a: wl.view_log(s, a, child_id=child)],
        "forms.visit_form_data": [
            lambda s, a: forms.visit_form_data(s, a, date(2026, 11, 1), community_id=there).forms,
            lambda s, a: forms.visit_form_data(s, a, date(2026, 12, 1), today=TODAY).forms,
        ],
        "cases.detail": [lambda s, a: cases.detail(s, a, ids["closed"])],
    }


def _text(result: Any) -> str:
    if isinstance(result, bytes) and result.startswith(b"%PDF"):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(result)
            f.flush()
            return subprocess.run(
                ["pdftotext", f.name, "-"], capture_output=True, text=True, check=True
            ).stdout
    if isinstance(result, Iterator):
        return repr(list(result))
    return repr(result)


class _Rollback(Exception):
    pass


def _walk(w: World, actor: Actor, fn: Callable[[Any, Actor], Any]) -> tuple[Any, str, int]:
    """(result or exception, what it showed, view-log rows it added for the child), rolled
    back."""
    out: list[Any] = []
    child = w.ids["child"]
    try:
        with w.ws.writer(actor) as s:

            def logged() -> int:
                return s.scalar(
                    select(func.count())
                    .select_from(ChildViewLog)
                    .where(ChildViewLog.child_id == child, ChildViewLog.staff_id == actor.staff_id)
                )

            before = logged()
            try:
                result: Any = fn(s, actor)
                shown = _text(result)
            except Exception as exc:
                result, shown = exc, str(exc)
            s.flush()
            out.extend([result, shown, logged() - before])
            raise _Rollback
    except _Rollback:
        pass
    return out[0], out[1], out[2]


def test_every_child_and_audit_function_as_another_communitys_director(world) -> None:  # noqa: F811
    w: World = world
    from tests.services.test_children_access import calls as matrix

    with w.ws.writer(w.actors["dudao"]) as s:
        w.ids["visit"] = cases.record_visit(
            s,
            w.actors["dudao"],
            cases.VisitDraft(w.ids["child"], TODAY, "入户", "王督导", "正常"),
            today=TODAY,
        ).id
    table: dict[str, list[Callable[[Any, Actor], Any]]] = {
        name: [fn] for name, (fn, _kind) in matrix(w.ids).items()
    }
    for name, fns in _more_calls(w).items():
        table.setdefault(name, []).extend(fns)
    walked = set(table)
    missing = _public_functions() - walked
    assert not missing, f"add these to the walk: {sorted(missing)}"
    director = w.actors["ertong2"]  # 安贞社区; the child lives in 和平里社区
    failures: list[str] = []
    n = 0
    for name, fns in sorted(table.items()):
        for fn in fns:
            n += 1
            result, shown, logged = _walk(w, director, fn)
            leaked = [x for x in SECRETS if x in shown]
            if leaked:
                failures.append(f"{name}: shows {leaked}")
            if logged:
                failures.append(f"{name}: logged a view of another community's child")
            if isinstance(result, Exception) and not isinstance(result, CaseworkerError):
                failures.append(f"{name}: {type(result).__name__}: {result}"[:200])
    assert not failures, "\n".join(failures)
    assert n > 60


def test_a_records_history_is_scoped_and_logged(world) -> None:  # noqa: F811
    """The director of the child's own community gets the history and a view-log row; one of
    another community is told it is not found."""
    w: World = world
    child = w.ids["child"]
    result, shown, logged = _walk(
        w,
        w.actors["ertong1"],
        lambda s, a: audit.record_history(s, a, "child_guardian", w.ids["father"]),
    )
    assert not isinstance(result, Exception) and "周大" in shown and logged == 1
    result, _shown, logged = _walk(
        w, w.actors["ertong2"], lambda s, a: audit.record_history(s, a, "child", child)
    )
    assert isinstance(result, NotFound) and logged == 0
    result, _shown, _logged = _walk(
        w, w.actors["ertong1"], lambda s, a: audit.record_history(s, a, "child_view_log", child)
    )
    assert isinstance(result, PermissionDenied)

"""Programme 3 at the top of a street office's range, ×40: 20,000 children, 4,000 cases.

Generated once (cached under the temp folder, or $CASEWORKER_BENCH_CACHE) through the ORM with
real encryption, then measured as a child supervisor and a child director see it: the register
(count + first page, searches, a sort), the work lists, opening a child's page including its
view-log write, a case page with its narrative decrypted, and (once, on a copy) a rotation of
the office key. The register's first page stands beside the same SQL replayed through raw
sqlite3.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from benchmarks import Result, median_ms
from benchmarks.workspaces import PASSWORD, generated, start_office

CHILDREN = 20_000
CASES = 4_000
VERSION = "v5"
REPEAT = 7  # runs of each figure, after a warm-up
TODAY = date.today()


def cache_dir() -> Path:
    return generated(f"children-{CHILDREN}-{CASES}-{VERSION}")


def _generate(root: Path) -> None:
    from caseworker.domain.roles import Actor
    from caseworker.workspace import Workspace

    system = Actor.system("demo")
    names = [f"社区{i:02d}" for i in range(30)]
    with Workspace.open(root) as ws:
        with ws.writer(system) as s:
            start_office(
                s, system, office_code="110105099", office_name="基准街道", communities=names
            )
        fill(ws)


def fill(ws: Any, children: int = CHILDREN, cases: int = CASES) -> None:
    """`children` children (two parents and a condition each) and `cases` cases with their
    timeline, services and visits, all narrative sealed with the office key, in the office's
    communities; the child supervisor `dudao` and a director of the first community."""
    from caseworker.demo.names import address, birth_for_age, person_name, phone
    from caseworker.domain import idnumber
    from caseworker.domain.children import ChildCategory, encode_categories
    from caseworker.domain.pinyin import of_name
    from caseworker.domain.roles import Actor, Role
    from caseworker.services import accounts
    from caseworker.services.children import keys
    from db.children import (
        Child,
        ChildCase,
        ChildCaseEvent,
        ChildCondition,
        ChildGuardian,
        ChildPlanService,
        ChildVisit,
    )
    from db.ids import new_id

    rng = random.Random(2026)
    system = Actor.system("demo")
    with ws.writer(system) as s:
        comms = accounts.communities(s)
        accounts.create_staff(
            s,
            system,
            accounts.StaffDraft("dudao", "督导", Role.CHILD_SUPERVISOR),
            PASSWORD,
            force_password_change=False,
        )
        accounts.create_staff(
            s,
            system,
            accounts.StaffDraft("ertong01", "主任", Role.CHILD_DIRECTOR, comms[0].id),
            PASSWORD,
            force_password_change=False,
        )
        key = keys.unlock_for_system(s)
        from db.models import Staff

        for sid in s.scalars(Staff.__table__.select().with_only_columns(Staff.id)):
            if s.get(Staff, sid).role.startswith("child"):
                keys.system_grant(s, sid, key)
    seen: set[str] = set()
    cats = list(ChildCategory)
    child_ids: list[str] = []
    for start in range(0, children, 2000):
        with ws.writer(system) as s:
            later: list[Any] = []
            for n in range(start, min(children, start + 2000)):
                sex = rng.choice("男女")
                birth = birth_for_age(rng, TODAY, 1, 16)
                idn = idnumber.make(rng.choice(("110105", "110106")), birth, rng.randrange(0, 999))
                while idn in seen:
                    idn = idnumber.make("110108", birth, rng.randrange(0, 999))
                seen.add(idn)
                community = comms[n % len(comms)]
                name = person_name(rng, sex)
                child = Child(
                    id=new_id(),
                    name=name,
                    name_pinyin=of_name(name).sort_key,
                    name_letters=of_name(name).letters,
                    id_number=idn,
                    birth_date=birth,
                    sex=sex,
                    community_id=community.id,
                    address=address(rng, community.name),
                    phone=phone(rng),
                    school="小学",
                    categories=encode_categories(rng.sample(cats, rng.randint(1, 2))),
                    registered_on=TODAY - timedelta(days=rng.randint(1, 900)),
                )
                child.notes = keys.seal_text(key, "child", "notes", child.id, "家庭情况说明" * 5)
                s.add(child)
                child_ids.append(child.id)
                father_name, mother_name = person_name(rng, "男"), person_name(rng, "女")
                father = ChildGuardian(
                    id=new_id(),
                    child_id=child.id,
                    relation="父亲",
                    name=father_name,
                    name_letters=of_name(father_name).letters,
                )
                s.add(father)
                s.add(
                    ChildGuardian(
                        id=new_id(),
                        child_id=child.id,
                        relation="母亲",
                        name=mother_name,
                        name_letters=of_name(mother_name).letters,
                    )
                )
                cond = ChildCondition(
                    id=new_id(),
                    child_id=child.id,
                    guardian_id=father.id,
                    kind=rng.choice(["外出务工", "服刑在押", "失联", "重病"]),
                    start_on=TODAY - timedelta(days=rng.randint(30, 900)),
                    evidence_kind="其他",
                    evidence_issuer="居委会",
                    evidence_date=TODAY - timedelta(days=20),
                )
                if rng.random() < 0.1:
                    cond.ended_on = TODAY - timedelta(days=rng.randint(1, 20))
                cond.evidence_description = keys.seal_text(
                    key, "child_condition", "evidence_description", cond.id, "证明材料说明"
                )
                later.append(cond)
            s.flush()
            s.add_all(later)
    steps = ["发现报告", "核实", "评估", "帮扶计划", "回访", "回访", "结案"]
    for start in range(0, cases, 1000):
        with ws.writer(system) as s:
            later = []
            for n in range(start, min(cases, start + 1000)):
                cid = child_ids[(n * 5) % len(child_ids)]
                step = steps[n % len(steps)]
                reported = TODAY - timedelta(days=rng.randint(5, 200))
                case = ChildCase(
                    id=new_id(),
                    child_id=cid,
                    step=step,
                    urgent=n % 23 == 0,
                    urgent_reasons="遭受虐待" if n % 23 == 0 else "",
                    source="学校",
                    reported_on=reported,
                    risk=rng.choice(["高", "中", "低"]) if step not in ("发现报告", "核实") else "",
                    planned_on=reported + timedelta(days=3)
                    if step in ("帮扶计划", "回访")
                    else None,
                )
                for col in ("seen_text", "verify_notes", "assessment_notes"):
                    setattr(case, col, keys.seal_text(key, "child_case", col, case.id, "情况" * 60))
                s.add(case)
                for e in range(8):
                    ev = ChildCaseEvent(
                        id=new_id(),
                        case_id=case.id,
                        action="回访",
                        step_after=step,
                        on_date=reported + timedelta(days=e),
                        actor_name="督导",
                    )
                    ev.note = keys.seal_text(
                        key, "child_case_event", "note", ev.id, "经过说明" * 10
                    )
                    later.append(ev)
                for e in range(4):
                    sv = ChildPlanService(
                        id=new_id(),
                        case_id=case.id,
                        kind="心理介入",
                        owner_name="督导",
                        due_on=reported + timedelta(days=20 + e),
                    )
                    sv.description = keys.seal_text(
                        key, "child_plan_service", "description", sv.id, "服务内容" * 8
                    )
                    later.append(sv)
                if step == "回访":
                    for e in range(6):
                        v = ChildVisit(
                            id=new_id(),
                            child_id=cid,
                            case_id=case.id,
                            visit_date=reported + timedelta(days=5 + 7 * e),
                            method="入户",
                            visitor_name="主任",
                        )
                        v.notes = keys.seal_text(key, "child_visit", "notes", v.id, "回访情况" * 20)
                        later.append(v)
                    case.last_visit_on = reported + timedelta(days=40)
            s.flush()
            s.add_all(later)
    keys.forget(None)


def ensure_workspace() -> Path:
    root = cache_dir()
    done = root / "ready"
    if not done.exists():
        import shutil

        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        started = time.perf_counter()
        _generate(root)
        done.write_text(f"{time.perf_counter() - started:.1f}s")
    return root


def run() -> list[Result]:
    from sqlalchemy import select

    from caseworker.domain.roles import Actor
    from caseworker.services import accounts
    from caseworker.services.children import cases, keys, register, search, worklists
    from caseworker.workspace import Workspace
    from db.children import ChildCase

    root = ensure_workspace()
    results: list[Result] = []
    with Workspace.open(root) as ws:
        with ws.writer(Actor.system("login")) as s:
            sup = accounts.authenticate(s, "dudao", PASSWORD).actor
            director = accounts.authenticate(s, "ertong01", PASSWORD).actor
        assert sup is not None and director is not None
        assert keys.unlocked(sup) is not None

        statements: list[tuple[str, Any]] = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, parameters))

        def page(q: search.ChildQuery, actor: Actor = sup) -> Callable[[], Any]:
            def go() -> Any:
                with ws.reader() as s:
                    return search.count(s, actor, q), search.page(s, actor, q, 0, 200)

            return go

        # Floor: the register's count + first page SQL replayed through raw sqlite3.
        event.listen(ws.engine, "before_cursor_execute", capture)
        page(search.ChildQuery())()
        event.remove(ws.engine, "before_cursor_execute", capture)
        raw = sqlite3.connect(ws.paths.db)
        sqls = [(st, p) for st, p in statements if "FROM child" in st]

        def floor() -> None:
            for st, p in sqls:
                raw.execute(st, p).fetchall()

        floor_ms = median_ms(floor, REPEAT)
        for label, q, actor, limit in (
            ("register: count + first page (supervisor)", search.ChildQuery(), sup, 150),
            ("register: one community (child director)", search.ChildQuery(), director, 60),
            ("register: search 1 character", search.ChildQuery(text="王"), sup, 150),
            ("register: search 2 characters", search.ChildQuery(text="和平"), sup, 150),
            ("register: ID last 4 digits", search.ChildQuery(text="1234"), sup, 150),
            ("register: pinyin initials (wxh)", search.ChildQuery(text="wxh"), sup, 150),
            ("register: full pinyin (wangxiao)", search.ChildQuery(text="wangxiao"), sup, 150),
            ("register: pinyin, child director", search.ChildQuery(text="wxh"), director, 60),
            ("register: sort by community", search.ChildQuery(sort="community"), sup, 200),
        ):
            ms = median_ms(page(q, actor), REPEAT)
            results.append(
                Result(
                    label,
                    ms,
                    floor_ms if "supervisor" in label else None,
                    f"< {limit} ms",
                    ms < limit,
                )
            )

        def lists() -> Any:
            with ws.reader() as s:
                return worklists.work_lists(s, sup, today=TODAY, with_categories=False)

        ms = median_ms(lists, 5)
        results.append(Result("work lists (six, on the runner)", ms, None, "< 500 ms", ms < 500))

        def review() -> Any:
            with ws.reader() as s:
                return worklists.category_items(s, sup, today=TODAY)

        ms = median_ms(review, 3)
        results.append(
            Result(
                "category review list (on the runner)",
                ms,
                None,
                "< 3000 ms",
                ms < 3000,
                f"{len(review())} items",
            )
        )

        def figures() -> Any:
            with ws.reader() as s:
                return worklists.figures(s, sup, today=TODAY)

        ms = median_ms(figures, 5)
        results.append(Result("figures (counts, on the runner)", ms, None, "< 800 ms", ms < 800))

        with ws.reader() as s:
            case_id = s.scalar(select(ChildCase.id).where(ChildCase.step == "回访").limit(1))
            child_id = s.scalar(select(ChildCase.child_id).where(ChildCase.id == case_id))

        def open_child() -> Any:
            with ws.writer(sup) as s:
                return register.detail(s, sup, child_id, today=TODAY)

        ms = median_ms(open_child, REPEAT)
        results.append(
            Result("open a child's page (+ view-log write)", ms, None, "< 150 ms", ms < 150)
        )

        def open_case() -> Any:
            with ws.writer(sup) as s:
                return cases.detail(s, sup, case_id)

        ms = median_ms(open_case, REPEAT)
        d = open_case()
        fields = 3 + len(d.events) + 2 * len(d.services) + len(d.visits)
        results.append(
            Result(
                "open a case page, decrypt its narrative",
                ms,
                None,
                "< 150 ms",
                ms < 150,
                f"{fields} fields decrypted",
            )
        )
        raw.close()
        keys.forget_all()
    results.append(_rotation(root))
    return results


def _rotation(root: Path) -> Result:
    """Key rotation on a copy of the workspace (once: it rewrites every narrative value)."""
    import shutil

    from caseworker.domain.roles import Actor
    from caseworker.services import accounts
    from caseworker.services.children import keys, rotation
    from caseworker.workspace import Workspace

    with tempfile.TemporaryDirectory(prefix="cw-rotate-") as tmp:
        copy = Path(tmp) / "ws"
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns("backups", "logs"))
        with Workspace.open(copy) as ws:
            with ws.writer(Actor.system("login")) as s:
                sup = accounts.authenticate(s, "dudao", PASSWORD).actor
            assert sup is not None
            started = time.perf_counter()
            result = rotation.rotate_office_key(ws, sup)
            ms = (time.perf_counter() - started) * 1000
        keys.forget_all()
    return Result(
        "rotate the key (backup + re-encrypt, once)",
        ms,
        None,
        "< 300000 ms",
        ms < 300_000,
        f"{result.values} values, {result.seconds:.0f} s in the transaction",
    )

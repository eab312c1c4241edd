"""Synthetic children for the demo: every category and condition, dates on both sides of the
6-month boundary, a lapsed condition waiting for review, cases at every step, urgent reports.

The first children (three rounds of the scenarios) go through the services, so the rules, the
journal and the encryption are the real ones, as the system actor holding the office key it
creates; every child-role demo account is granted the key, so `dudao` and `ertong01`… read the
narratives with the demo password. A district-sized demo's other children are copies of those
(`caseworker.demo.bulk`): a new child and new parents, the same conditions and case, narratives
sealed again with the services' own `keys.seal_text`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.demo import FILLERS, DemoReport, bulk
from caseworker.demo.names import address, birth_for_age, id_number, person_name, phone
from caseworker.domain import children as rules
from caseworker.domain.children import CloseReason, Risk, ServiceStatus
from caseworker.domain.person import name_columns
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.services.children import cases, keys, register
from caseworker.workspace import Workspace
from db.children import (
    ENCRYPTED_COLUMNS,
    ChildCase,
    ChildCaseEvent,
    ChildCondition,
    ChildGuardian,
    ChildPlanService,
    ChildVisit,
)
from db.children import Child as ChildRecord
from db.models import Staff

# (father, mother, child facts) per scenario; a condition is (kind, start offset in days from
# today, end offset or None, ended offset or None, extra). Negative offsets are in the past.
Cond = tuple[str, int, int | None, int | None, dict]


def _six_months_ago(today: date, plus_days: int) -> int:
    """Offset (negative) of the day 6 months before today, moved by `plus_days`."""
    return (rules.add_months(today, -6) + timedelta(days=plus_days) - today).days


def _scenarios(today: date) -> list[tuple[str, list[Cond], list[Cond], list[Cond]]]:
    six = _six_months_ago
    disabled = {"disability_kind": "肢体", "disability_grade": 1}
    return [
        ("孤儿：父母双亡", [("死亡", -900, None, None, {})], [("死亡", -400, None, None, {})], []),
        ("孤儿：查找不到生父母", [], [], [("查找不到生父母", -2000, None, None, {})]),
        (
            "事实无人抚养：服刑+重残",
            [("服刑在押", -365, 730, None, {})],
            [("重残", -700, None, None, disabled)],
            [],
        ),
        (
            "事实无人抚养：一方死亡+强制戒毒满6个月",
            [("强制隔离戒毒", six(today, -10), None, None, {})],
            [("死亡", -1500, None, None, {})],
            [],
        ),
        (
            "事实无人抚养：失联未满6个月（即将符合）",
            [("失联", six(today, 12), None, None, {})],
            [("重病", -300, None, None, {})],
            [],
        ),
        (
            "事实无人抚养：失联恰满6个月",
            [("重病", -500, None, None, {})],
            [("失联", six(today, 0), None, None, {})],
            [],
        ),
        (
            "刑期不足6个月（不符合）",
            [("服刑在押", -60, 60, None, {})],
            [("被遣送出境", -200, None, None, {})],
            [],
        ),
        (
            "已释放（待复核）",
            [("服刑在押", -500, 400, -20, {})],
            [("撤销监护资格", -450, None, None, {})],
            [],
        ),
        (
            "其他限制人身自由+宣告失踪",
            [("其他限制人身自由", -250, 200, None, {})],
            [("宣告失踪", -900, None, None, {})],
            [],
        ),
        (
            "精神残疾三级（重残）+重病",
            [("重残", -800, None, None, {"disability_kind": "精神", "disability_grade": 3})],
            [("重病", -100, None, None, {})],
            [],
        ),
        (
            "肢体残疾三级（不属重残）",
            [("重残", -800, None, None, {"disability_kind": "肢体", "disability_grade": 3})],
            [("撤销监护资格", -100, None, None, {})],
            [],
        ),
        ("困境：低保家庭", [], [], [("低保家庭", -700, None, None, {})]),
        ("困境：特困", [], [], [("特困供养", -700, None, None, {})]),
        (
            "困境：本人残疾",
            [],
            [],
            [("本人残疾", -900, None, None, {"disability_kind": "智力", "disability_grade": 2})],
        ),
        ("困境：本人重病", [], [], [("本人重病", -120, None, None, {})]),
        ("困境：遭受虐待", [], [], [("遭受虐待", -10, None, None, {})]),
        ("困境：监护缺失", [], [], [("监护缺失", -90, None, None, {})]),
        ("困境：被遗弃", [], [], [("被遗弃", -5, None, None, {})]),
        (
            "困境：低收入+监护不当",
            [],
            [],
            [("低收入家庭", -300, None, None, {}), ("监护不当", -40, None, None, {})],
        ),
        ("困境：意外伤害", [], [], [("意外伤害", -15, None, None, {})]),
        (
            "留守：父母均外出务工",
            [("外出务工", -800, None, None, {})],
            [("外出务工", -600, None, None, {})],
            [],
        ),
        (
            "留守：父亲外出、母亲无监护能力",
            [("外出务工", -500, None, None, {})],
            [("无监护能力", -500, None, None, {})],
            [],
        ),
        ("无类别（已登记观察）", [], [], []),
    ]


EVIDENCE = {
    "死亡": ("死亡证明", "县医院"),
    "宣告失踪": ("法院判决书/裁定书", "区人民法院"),
    "重残": ("残疾人证", "区残联"),
    "重病": ("医院诊断证明", "市第一人民医院"),
    "服刑在押": ("羁押/服刑证明", "市第二监狱"),
    "强制隔离戒毒": ("强制隔离戒毒决定书", "区公安分局"),
    "其他限制人身自由": ("羁押/服刑证明", "区看守所"),
    "失联": ("公安机关报案回执/证明", "城关派出所"),
    "撤销监护资格": ("法院判决书/裁定书", "区人民法院"),
    "被遣送出境": ("遣送出境证明", "出入境管理部门"),
    "外出务工": ("村（居）委会证明", "居委会"),
    "无监护能力": ("医院诊断证明", "市精神卫生中心"),
    "查找不到生父母": ("公安机关报案回执/证明", "城关派出所"),
    "低保家庭": ("低保/特困证", "街道民政科"),
    "特困供养": ("低保/特困证", "街道民政科"),
    "低收入家庭": ("村（居）委会证明", "居委会"),
    "本人残疾": ("残疾人证", "区残联"),
    "本人重病": ("医院诊断证明", "市儿童医院"),
    "遭受虐待": ("公安机关报案回执/证明", "城关派出所"),
    "监护缺失": ("村（居）委会证明", "居委会"),
    "被遗弃": ("公安机关报案回执/证明", "城关派出所"),
    "监护不当": ("村（居）委会证明", "居委会"),
    "意外伤害": ("医院诊断证明", "市儿童医院"),
}
SEEN = [
    "放学后长时间独自在家，冰箱里没有食物，孩子说已两天没见到大人。",
    "邻居反映夜里常听到孩子哭喊，孩子手臂有淤青。",
    "老师发现孩子近一个月多次缺课，衣着单薄，上课精神不振。",
    "祖母年迈多病，无力接送孩子上学，孩子常在街上游荡到深夜。",
    "孩子在医院就诊时头部有伤，陪同的大人说法前后不一。",
]
VISIT_NOTES = [
    "孩子在家，精神状态良好，作业已完成，祖母身体尚可。",
    "孩子情绪低落，说想念在外打工的父母，已联系学校心理老师。",
    "家中卫生较差，已协调社区志愿者每周上门一次。",
    "电话联系监护人，孩子已按时返校，未发现新的伤情。",
]


def _conditions(
    s: Session,
    system: Actor,
    child_id: str,
    guardian: str | None,
    items: list[Cond],
    today: date,
) -> list[tuple[str, date]]:
    """Record the conditions; return those that ended, to be ended once all are recorded."""
    ids = []
    for kind, start, end, ended, extra in items:
        ev_kind, issuer = EVIDENCE[kind]
        start_on = today + timedelta(days=start)
        info = register.add_condition(
            s,
            system,
            child_id,
            register.ConditionDraft(
                guardian,
                kind,
                start_on,
                ev_kind,
                issuer,
                start_on + timedelta(days=3) if start <= -3 else start_on,
                evidence_number=f"（{start_on.year}）第{abs(start) * 7 % 900 + 100}号",
                evidence_description=f"{issuer}出具的{ev_kind}，复印件已存档。",
                end_on=today + timedelta(days=end) if end is not None else None,
                disability_kind=str(extra.get("disability_kind", "")),
                disability_grade=extra.get("disability_grade"),  # type: ignore[arg-type]
            ),
            today=today,
        )
        if ended is not None:
            ids.append((info.id, today + timedelta(days=ended)))
    return ids


def _case(
    s: Session,
    system: Actor,
    rng: random.Random,
    child_id: str,
    stage: int,
    urgent: frozenset[str],
    supervisor: str,
    director: str,
    today: date,
) -> None:
    """A case taken to step `stage`: 0 reported … 4 follow-up, 5 closed, 6 reopened."""
    reported = today - timedelta(days=rng.randint(3, 8) if stage == 0 else rng.randint(40, 90))
    source = rng.choice(["入户走访", "学校", "公安", "热线", "邻居/群众", "医院"])
    case = cases.report(
        s,
        system,
        cases.ReportDraft(child_id, source, reported, rng.choice(SEEN), urgent, "匿名"),
        today=today,
    )
    if stage < 1:
        return
    cases.verify(
        s, system, case.id, reported + timedelta(days=1), True, "入户核实，情况属实。", today=today
    )
    if stage < 2:
        return
    risk = [Risk.HIGH, Risk.MEDIUM, Risk.LOW][rng.randint(0, 2)] if not urgent else Risk.HIGH
    cases.assess(
        s,
        system,
        case.id,
        reported + timedelta(days=3),
        risk,
        ["监护", "心理支持"] if urgent else ["基本生活", "就学"],
        "监护人履责不足，需要持续跟进，重点关注孩子的安全和上学情况。",
        today=today,
    )
    if stage < 3:
        return
    planned = reported + timedelta(days=5)
    services = cases.plan(
        s,
        system,
        case.id,
        planned,
        [
            cases.ServiceDraft(
                "心理介入",
                "联系学校心理老师每周谈话一次。",
                supervisor,
                planned + timedelta(days=30),
            ),
            cases.ServiceDraft(
                "转介公安" if urgent else "救助帮扶",
                "报告派出所并跟进处理。" if urgent else "申请临时救助。",
                supervisor,
                planned + timedelta(days=14),
            ),
        ],
        today=today,
    )
    if rng.random() < 0.6:
        cases.finish_service(
            s,
            system,
            services[1].id,
            ServiceStatus.DONE,
            planned + timedelta(days=10),
            "已办结。",
            today=today,
        )
    if stage < 4:
        return
    visit_day = planned + timedelta(days=rng.randint(7, 30))
    cases.record_visit(
        s,
        system,
        cases.VisitDraft(
            child_id,
            min(visit_day, today),
            "入户",
            director,
            rng.choice(VISIT_NOTES),
            case_id=case.id,
        ),
        today=today,
    )
    if stage < 5:
        return
    cases.close(
        s,
        system,
        case.id,
        today - timedelta(days=2),
        CloseReason.RISK_REMOVED,
        "监护人已履责。",
        today=today,
    )
    if stage < 6:
        return
    cases.reopen(
        s, system, case.id, today - timedelta(days=1), "学校再次报告孩子缺课。", today=today
    )


def _school(community: str, age: int) -> str:
    if age < 3:
        return ""
    kind = "幼儿园" if age < 6 else "小学" if age < 12 else "中学"
    return f"{community[:2]}{kind}"


def fill(ws: Workspace, rng: random.Random, residents: int, report: DemoReport) -> None:
    today = date.today()
    system = Actor.system("demo")
    with ws.writer(system) as s:
        data_key = keys.unlock_for_system(s)
        try:
            _fill(s, system, rng, residents, report, today, data_key)
        finally:
            keys.forget(None)


def _fill(
    s: Session,
    system: Actor,
    rng: random.Random,
    residents: int,
    report: DemoReport,
    today: date,
    data_key: keys.DataKey,
) -> None:
    child_staff = list(
        s.execute(
            select(Staff.id, Staff.display_name, Staff.role, Staff.community_id).where(
                Staff.role.in_([Role.CHILD_SUPERVISOR.value, Role.CHILD_DIRECTOR.value])
            )
        )
    )
    for staff_id, *_rest in child_staff:
        keys.system_grant(s, staff_id, data_key)
    supervisor = next(
        (n for _i, n, r, _c in child_staff if r == Role.CHILD_SUPERVISOR.value), "儿童督导员"
    )
    directors = {c: (i, n) for i, n, r, c in child_staff if r == Role.CHILD_DIRECTOR.value}
    comms = accounts.communities(s)
    scenarios = _scenarios(today)
    total = max(len(scenarios), residents // 40)
    seen: set[str] = set()
    case_count = 0
    templates: list[str] = []
    for n in range(min(total, SERVICE_CHILDREN)):
        label, father, mother, facts = scenarios[n % len(scenarios)]
        community = comms[n % len(comms)]
        director_id, director = directors.get(community.id, (None, supervisor))
        sex = rng.choice("男女")
        if n == 1:
            birth = rules.add_months(today, -12 * 17 - 10)  # 17, warned: 18 in two months
        elif "留守" in label:
            birth = birth_for_age(rng, today, 3, 15)
        else:
            birth = birth_for_age(rng, today, 1, 16)
        idn = id_number(rng, birth, sex)
        while idn in seen:
            idn = id_number(rng, birth, sex)
        seen.add(idn)
        surname = person_name(rng, "男")[0]
        child = register.register(
            s,
            system,
            register.ChildDraft(
                name=surname + person_name(rng, sex)[1:],
                id_number=idn,
                community_id=community.id,
                address=address(rng, community.name),
                phone=phone(rng) if rng.random() < 0.5 else "",
                school=_school(community.name, rules.check_age(birth, today).age),
                grade="",
                living_arrangement=rng.choice(rules.LIVING_ARRANGEMENTS[:7]),
                director_staff_id=director_id,
                notes=f"演示：{label}",
                registered_on=today - timedelta(days=rng.randint(30, 600)),
            ),
            today=today,
        ).child
        f = register.add_guardian(
            s,
            system,
            child.id,
            register.GuardianDraft("父亲", surname + person_name(rng, "男")[1:], phone=phone(rng)),
        )
        m = register.add_guardian(
            s,
            system,
            child.id,
            register.GuardianDraft("母亲", person_name(rng, "女"), phone=phone(rng)),
        )
        if rng.random() < 0.5:
            register.add_guardian(
                s,
                system,
                child.id,
                register.GuardianDraft(
                    rng.choice(["祖父", "祖母", "外祖母"]),
                    person_name(rng, "女"),
                    phone=phone(rng),
                    lives_with_child=True,
                    is_guardian=True,
                ),
            )
        ended = _conditions(s, system, child.id, f.id, father, today)
        ended += _conditions(s, system, child.id, m.id, mother, today)
        ended += _conditions(s, system, child.id, None, facts, today)
        for condition_id, on in ended:  # released after the category was recorded: review
            register.end_condition(s, system, condition_id, on, "刑满释放回家", today=today)
        urgent = frozenset()
        if any(k in ("遭受虐待", "被遗弃", "意外伤害") for k, *_ in facts):
            urgent = frozenset(
                {"遭受虐待" if "虐待" in label else "被遗弃" if "遗弃" in label else "受到伤害"}
            )
        if urgent or n % 3 != 2:
            stage = 0 if urgent and n < len(scenarios) else n % 7
            _case(s, system, rng, child.id, stage, urgent, supervisor, director, today)
            case_count += 1
        templates.append(child.id)
    if total > len(templates):
        case_count += _copies(s, rng, data_key, templates, total - len(templates), seen)
    report.counts["儿童"] = total
    report.counts["儿童个案"] = case_count


# The first children are made through the services (three rounds of the scenarios: every
# scenario with and without a case, cases at every step); the rest are copies of them
# (caseworker/demo/bulk.py) with a new child and new parents.
SERVICE_CHILDREN = 69
CHUNK = 10_000  # records per insert_many call
ORDER = (ChildRecord, ChildGuardian, ChildCondition, ChildCase, ChildCaseEvent, ChildPlanService)
ORDER += (ChildVisit,)


def _template(s: Session, key: keys.DataKey, child_id: str) -> bulk.Tree:
    """A child made by the services with every record hanging from it, narratives decrypted."""
    tree: bulk.Tree = [
        (ChildRecord, r) for r in bulk.load(s, ChildRecord, ChildRecord.id == child_id)
    ]
    for model in (ChildGuardian, ChildCondition, ChildCase):
        tree += [(model, r) for r in bulk.load(s, model, model.child_id == child_id)]
    for case_id in [r["id"] for m, r in tree if m is ChildCase]:
        for model in (ChildCaseEvent, ChildPlanService):
            tree += [(model, r) for r in bulk.load(s, model, model.case_id == case_id)]
    tree += [(ChildVisit, r) for r in bulk.load(s, ChildVisit, ChildVisit.child_id == child_id)]
    for model, record in tree:
        table = model.__tablename__
        for column in ENCRYPTED_COLUMNS.get(table, ()):
            record[column] = keys.open_text(key, table, column, record["id"], record[column])
    return tree


def _copies(
    s: Session,
    rng: random.Random,
    key: keys.DataKey,
    templates: list[str],
    count: int,
    seen: set[str],
) -> int:
    """`count` more children, each a copy of a template with a new child and new parents (its
    case, plan and visits as the template's); narratives sealed again for the new records
    with the services' own `keys.seal_text`. Returns how many cases were copied."""
    trees = [_template(s, key, child_id) for child_id in templates]
    places = {c.id: c.name for c in accounts.communities(s)}
    ids = bulk.IdPool()
    out = bulk.Batches(s, ORDER, CHUNK)
    cases_made = 0
    for n in range(count):
        tree = bulk.copy_tree(trees[n % len(trees)], ids)
        child = tree[0][1]
        sex, birth = child["sex"], child["birth_date"]
        idn = id_number(rng, birth, sex)
        while idn in seen:
            idn = id_number(rng, birth, sex)
        seen.add(idn)
        surname = person_name(rng, "男")[0]
        name = surname + person_name(rng, sex)[1:]
        child.update(
            name=name,
            **name_columns(name),
            id_number=idn,
            address=address(rng, places[child["community_id"]]),
            phone=phone(rng) if child["phone"] else "",
        )
        for model, record in tree:
            if model is ChildGuardian:
                if record["relation"] == "父亲":
                    record["name"] = surname + person_name(rng, "男")[1:]
                else:
                    record["name"] = person_name(
                        rng, "男" if record["relation"] == "祖父" else "女"
                    )
                record.update(name_columns(record["name"], sort_key=False))
                record["phone"] = phone(rng)
            elif model is ChildCase:
                cases_made += 1
            table = model.__tablename__
            for column in ENCRYPTED_COLUMNS.get(table, ()):
                record[column] = keys.seal_text(key, table, column, record["id"], record[column])
        out.add(tree)
    out.flush()
    return cases_made


FILLERS.append(fill)

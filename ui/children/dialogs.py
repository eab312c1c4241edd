"""The 儿童关爱 forms: child, guardian, condition with evidence, discovery report, verification,
assessment, plan with services, visit, service outcome, closing, reopening, category review.

Each is a `FormDialog` whose fields carry the service's field names, so a refusal is shown
beside the field at fault. Narrative fields are encrypted by the service before they are stored.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtWidgets import QCheckBox, QLineEdit, QSpinBox, QWidget

from caseworker.domain import children as rules
from caseworker.domain.children import (
    ChildFact,
    CloseReason,
    Need,
    ParentCondition,
    ReportSource,
    Risk,
    ServiceKind,
    ServiceStatus,
    UrgentReason,
    VisitMethod,
)
from caseworker.services import accounts
from caseworker.services.children import cases, register
from ui.children.common import Checks, FormDialog, combo
from ui.context import AppContext
from ui.messages import tr
from ui.widgets.fields import DateField, MultiLineField


def child_dialog(
    ctx: AppContext, parent: QWidget | None, info: register.ChildInfo | None = None
) -> FormDialog:
    """新增儿童 / 修改资料. A 儿童主任 can only choose their own community."""
    actor = ctx.actor
    assert actor is not None
    communities = ctx.read(accounts.communities)
    if actor.community_id:
        communities = [c for c in communities if c.id == actor.community_id]

    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        draft = register.ChildDraft(
            name=v["name"],
            id_number=v["id_number"],
            community_id=v["community_id"] or "",
            address=v["address"],
            phone=v["phone"],
            school=v["school"],
            grade=v["grade"],
            living_arrangement=v["living_arrangement"] or "",
            notes=v["notes"],
            registered_on=v["registered_on"],
            # Kept, or the community's director when the community changes: the service decides.
            director_staff_id=None,
        )
        if info is None:
            return register.register(s, a, draft)
        return register.update(s, a, info.id, draft)

    d = FormDialog(
        ctx,
        parent,
        tr("新增儿童") if info is None else tr("修改儿童资料"),
        submit,
        note=tr("身份证号决定出生日期和年龄：满 18 周岁不能登记，17 周岁会提示何日满 18。"),
    )
    d.add("name", tr("姓名"), QLineEdit(info.name if info else ""))
    d.add("id_number", tr("身份证号"), QLineEdit(info.id_number if info else ""))
    d.add(
        "community_id",
        tr("社区/村"),
        combo([(c.name, c.id) for c in communities], info.community_id if info else None),
    )
    d.add("address", tr("住址"), QLineEdit(info.address if info else ""))
    d.add("phone", tr("联系电话"), QLineEdit(info.phone if info else ""))
    d.add("school", tr("学校"), QLineEdit(info.school if info else ""))
    d.add("grade", tr("年级"), QLineEdit(info.grade if info else ""))
    d.add(
        "living_arrangement",
        tr("居住情况"),
        combo(
            [(tr("（未填）"), "")] + [(x, x) for x in rules.LIVING_ARRANGEMENTS],
            info.living_arrangement if info else None,
        ),
    )
    d.add("registered_on", tr("登记日期"), DateField(info.registered_on if info else date.today()))
    notes = "" if info is None or info.notes.startswith("（未授权") else info.notes
    d.add("notes", tr("备注（保密）"), MultiLineField(notes, 3))
    return d


def guardian_dialog(
    ctx: AppContext,
    parent: QWidget | None,
    child_id: str,
    info: register.GuardianInfo | None = None,
) -> FormDialog:
    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        draft = register.GuardianDraft(
            relation=v["relation"],
            name=v["guardian_name"],
            id_number=v["guardian_id_number"],
            phone=v["guardian_phone"],
            address=v["guardian_address"],
            lives_with_child=v["lives_with_child"],
            is_guardian=v["is_guardian"],
        )
        if info is None:
            return register.add_guardian(s, a, child_id, draft)
        return register.update_guardian(s, a, info.id, draft)

    d = FormDialog(ctx, parent, tr("父母/监护人"), submit)
    d.add("relation", tr("关系"), combo([(r, r) for r in rules.RELATIONS], info and info.relation))
    d.add("guardian_name", tr("姓名"), QLineEdit(info.name if info else ""))
    d.add("guardian_id_number", tr("身份证号（可不填）"), QLineEdit(info.id_number if info else ""))
    d.add("guardian_phone", tr("电话"), QLineEdit(info.phone if info else ""))
    d.add("guardian_address", tr("住址"), QLineEdit(info.address if info else ""))
    lives = QCheckBox(tr("与儿童同住"))
    lives.setChecked(bool(info and info.lives_with_child))
    d.add("lives_with_child", "", lives)
    guardian = QCheckBox(tr("是实际监护人"))
    guardian.setChecked(bool(info and info.is_guardian))
    d.add("is_guardian", "", guardian)
    return d


def condition_dialog(
    ctx: AppContext,
    parent: QWidget | None,
    child_id: str,
    parents: list[register.GuardianInfo],
) -> FormDialog:
    """登记情形: a parent's condition or a fact about the child, with its evidence and dates."""
    subjects = [
        (f"{g.relation}　{g.name}", g.id) for g in parents if g.relation in ("父亲", "母亲")
    ]
    subjects.append((tr("儿童本人/家庭"), None))

    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        return register.add_condition(
            s,
            a,
            child_id,
            register.ConditionDraft(
                guardian_id=v["guardian_id"],
                kind=v["kind"],
                start_on=v["start_on"],
                end_on=v["end_on"],
                evidence_kind=v["evidence_kind"],
                evidence_issuer=v["evidence_issuer"],
                evidence_number=v["evidence_number"],
                evidence_date=v["evidence_date"] or date.today(),
                evidence_description=v["evidence_description"],
                disability_kind=v["disability_kind"] or "",
                disability_grade=v["disability_grade"],
            ),
        )

    d = FormDialog(
        ctx,
        parent,
        tr("登记情形和证明材料"),
        submit,
        note=tr(
            "服刑、强制隔离戒毒、其他限制人身自由须 6 个月以上；失联自报案之日起满 6 个月认定。"
            "系统按日期计算何日起符合。"
        ),
    )
    subject = d.add("guardian_id", tr("对象"), combo(subjects))
    kinds = combo([])
    d.add("kind", tr("情形"), kinds)

    def fill_kinds() -> None:
        kinds.clear()
        values = ParentCondition if subject.currentData() else ChildFact  # type: ignore[attr-defined]
        for k in values:
            kinds.addItem(k.value, k.value)

    subject.currentIndexChanged.connect(lambda _i: fill_kinds())  # type: ignore[attr-defined]
    fill_kinds()
    d.add("start_on", tr("起始日期（死亡/判决/报案/证明日期）"), DateField())
    d.add("end_on", tr("截止日期（刑期、戒毒期限，可不填）"), DateField())
    d.add(
        "disability_kind",
        tr("残疾类别"),
        combo([("", "")] + [(k, k) for k in rules.DISABILITY_KINDS]),
    )
    grade = QSpinBox()
    grade.setRange(0, 4)
    grade.setSpecialValueText(tr("（无）"))
    d.add("disability_grade", tr("残疾等级"), grade)
    evidence = combo([])
    d.add("evidence_kind", tr("证明材料"), evidence)

    def fill_evidence() -> None:
        """Only the evidence that proves the chosen 情形 (rules.EVIDENCE_FOR) is offered."""
        evidence.clear()
        for k in rules.evidence_kinds_for(kinds.currentData() or ""):  # type: ignore[attr-defined]
            evidence.addItem(k, k)

    kinds.currentIndexChanged.connect(lambda _i: fill_evidence())  # type: ignore[attr-defined]
    fill_evidence()
    d.add("evidence_issuer", tr("出具单位"), QLineEdit())
    d.add("evidence_number", tr("文书编号"), QLineEdit())
    d.add("evidence_date", tr("证明日期"), DateField(date.today()))
    d.add("evidence_description", tr("说明（保密）"), MultiLineField("", 2))
    return d


def leave_dialog(
    ctx: AppContext,
    parent: QWidget | None,
    child_id: str,
    proposal: rules.LeaveProposal | None = None,
) -> FormDialog:
    """离册: the reason and the first day off the register; open cases are closed with it."""

    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        return register.leave(
            s, a, child_id, rules.LeaveReason(v["reason"]), v["on"] or date.today(), v["note"]
        )

    d = FormDialog(
        ctx,
        parent,
        tr("儿童离册"),
        submit,
        note=tr("离册后不再计入台账、工作台和统计；在办个案以同一原因结案；档案和历史保留。"),
    )
    d.add(
        "reason",
        tr("离册原因"),
        combo(
            [(r.value, r.value) for r in rules.LeaveReason],
            proposal.reason.value if proposal else None,
        ),
    )
    d.add(
        "on",
        tr("离册日期（离开台账的第一天）"),
        DateField(proposal.on if proposal else date.today()),
    )
    d.add("note", tr("说明"), QLineEdit())
    return d


def rejoin_dialog(ctx: AppContext, parent: QWidget | None, child_id: str) -> FormDialog:
    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        return register.rejoin(s, a, child_id, v["on"] or date.today(), v["note"])

    d = FormDialog(ctx, parent, tr("恢复在册"), submit)
    d.add("on", tr("恢复日期"), DateField(date.today()))
    d.add("note", tr("恢复原因"), QLineEdit())
    return d


def end_condition_dialog(ctx: AppContext, parent: QWidget | None, condition_id: str) -> FormDialog:
    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        return register.end_condition(
            s, a, condition_id, v["ended_on"] or date.today(), v["ended_reason"]
        )

    d = FormDialog(
        ctx,
        parent,
        tr("情形结束"),
        submit,
        note=tr("情形结束后，依据它认定的类别会列入“类别复核”，由您确认后再移除。"),
    )
    d.add("ended_on", tr("结束日期"), DateField(date.today()))
    d.add("ended_reason", tr("结束原因（如刑满释放、已找到）"), QLineEdit())
    return d


def remove_category_dialog(
    ctx: AppContext, parent: QWidget | None, child_id: str, category: str
) -> FormDialog:
    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        return register.remove_category(s, a, child_id, rules.ChildCategory(category), v["reason"])

    d = FormDialog(ctx, parent, tr("复核：移除类别“{0}”").format(category), submit)
    d.add("reason", tr("移除原因"), QLineEdit())
    return d


def report_dialog(ctx: AppContext, parent: QWidget | None, child_id: str) -> FormDialog:
    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        return cases.report(
            s,
            a,
            cases.ReportDraft(
                child_id=child_id,
                source=v["source"],
                reported_on=v["date"] or date.today(),
                seen_text=v["seen_text"],
                urgent_reasons=v["urgent"],
                reporter=v["reporter"],
            ),
        )

    d = FormDialog(
        ctx,
        parent,
        tr("发现报告"),
        submit,
        note=tr("遭受虐待、被遗弃、受到伤害为紧急情形：个案标为紧急，排在督导员工作台最前。"),
    )
    d.add("source", tr("报告来源"), combo([(x.value, x.value) for x in ReportSource]))
    d.add("date", tr("报告日期"), DateField(date.today()))
    d.add("reporter", tr("报告人及联系方式"), QLineEdit())
    d.add("urgent", tr("紧急情形"), Checks([u.value for u in UrgentReason]))
    d.add("seen_text", tr("发现的情况（保密）"), MultiLineField("", 4))
    return d


def verify_dialog(ctx: AppContext, parent: QWidget | None, case_id: str) -> FormDialog:
    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        return cases.verify(
            s, a, case_id, v["date"] or date.today(), v["founded"] == "yes", v["verify_notes"]
        )

    d = FormDialog(ctx, parent, tr("核实"), submit, note=tr("不属实的报告核实后直接结案。"))
    d.add("date", tr("核实日期"), DateField(date.today()))
    d.add("founded", tr("核实结果"), combo([(tr("属实"), "yes"), (tr("不属实（结案）"), "no")]))
    d.add("verify_notes", tr("核实情况（保密）"), MultiLineField("", 3))
    return d


def assess_dialog(ctx: AppContext, parent: QWidget | None, case_id: str) -> FormDialog:
    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        return cases.assess(
            s,
            a,
            case_id,
            v["date"] or date.today(),
            Risk(v["risk"]),
            v["needs"],
            v["assessment_notes"],
        )

    d = FormDialog(ctx, parent, tr("风险评估"), submit)
    d.add("date", tr("评估日期"), DateField(date.today()))
    d.add("risk", tr("风险等级"), combo([(r.value, r.value) for r in Risk]))
    d.add("needs", tr("需求"), Checks([n.value for n in Need]))
    d.add("assessment_notes", tr("评估意见（保密）"), MultiLineField("", 4))
    return d


def plan_dialog(ctx: AppContext, parent: QWidget | None, case_id: str) -> FormDialog:
    """帮扶计划: up to three services at once (more can be added later)."""
    actor = ctx.actor
    assert actor is not None

    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        items = []
        for i in (1, 2, 3):
            if not v[f"description{i}"].strip() and i > 1:
                continue
            items.append(
                cases.ServiceDraft(
                    kind=v[f"kind{i}"],
                    description=v[f"description{i}"],
                    owner_name=v[f"owner{i}"],
                    due_on=v[f"due{i}"] or date.today(),
                )
            )
        return cases.plan(s, a, case_id, v["date"] or date.today(), items)

    d = FormDialog(ctx, parent, tr("帮扶计划"), submit, note=tr("第 2、3 项不填内容即不添加。"))
    d.add("date", tr("计划日期"), DateField(date.today()))
    for i in (1, 2, 3):
        d.add(
            f"kind{i}", tr("服务 {0}").format(i), combo([(k.value, k.value) for k in ServiceKind])
        )
        d.add(f"description{i}", tr("　内容（保密）"), MultiLineField("", 2))
        d.add(f"owner{i}", tr("　责任人"), QLineEdit(actor.display_name))
        d.add(f"due{i}", tr("　完成期限"), DateField(date.today() + timedelta(days=14)))
    d.errors.fields["services"] = d.errors.fields["description1"]  # the service's field name
    return d


def finish_service_dialog(ctx: AppContext, parent: QWidget | None, service_id: str) -> FormDialog:
    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        return cases.finish_service(
            s, a, service_id, ServiceStatus(v["status"]), v["date"] or date.today(), v["outcome"]
        )

    d = FormDialog(ctx, parent, tr("服务办结"), submit)
    d.add(
        "status",
        tr("结果"),
        combo(
            [
                (ServiceStatus.DONE.value, ServiceStatus.DONE.value),
                (ServiceStatus.CANCELLED.value, ServiceStatus.CANCELLED.value),
            ]
        ),
    )
    d.add("date", tr("办理日期"), DateField(date.today()))
    d.add("outcome", tr("办理结果（保密）"), MultiLineField("", 3))
    return d


def visit_dialog(
    ctx: AppContext, parent: QWidget | None, child_id: str, case_id: str | None
) -> FormDialog:
    """回访登记, typed from the signed paper form."""
    actor = ctx.actor
    assert actor is not None

    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        return cases.record_visit(
            s,
            a,
            cases.VisitDraft(
                child_id=child_id,
                case_id=case_id,
                visit_date=v["visit_date"] or date.today(),
                method=v["method"],
                visitor_name=v["visitor_name"],
                child_seen=v["child_seen"],
                safety_concern=v["safety_concern"],
                notes=v["notes"],
                next_visit_on=v["next_visit_on"],
            ),
        )

    d = FormDialog(ctx, parent, tr("回访登记"), submit)
    d.add("visit_date", tr("回访日期"), DateField(date.today()))
    d.add("method", tr("方式"), combo([(m.value, m.value) for m in VisitMethod]))
    d.add("visitor_name", tr("回访人"), QLineEdit(actor.display_name))
    seen = QCheckBox(tr("见到儿童本人"))
    seen.setChecked(True)
    d.add("child_seen", "", seen)
    d.add("safety_concern", "", QCheckBox(tr("发现安全隐患")))
    d.add("notes", tr("回访情况（保密）"), MultiLineField("", 4))
    d.add("next_visit_on", tr("下次回访日期（可不填）"), DateField())
    return d


def close_dialog(ctx: AppContext, parent: QWidget | None, case_id: str) -> FormDialog:
    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        return cases.close(
            s, a, case_id, v["date"] or date.today(), CloseReason(v["reason"]), v["close_notes"]
        )

    d = FormDialog(ctx, parent, tr("结案"), submit)
    d.add("date", tr("结案日期"), DateField(date.today()))
    d.add(
        "reason",
        tr("结案原因"),
        combo([(r.value, r.value) for r in CloseReason if r is not CloseReason.UNFOUNDED]),
    )
    d.add("close_notes", tr("说明"), MultiLineField("", 2))
    return d


def reopen_dialog(ctx: AppContext, parent: QWidget | None, case_id: str) -> FormDialog:
    def submit(s: Any, a: Any, v: dict[str, Any]) -> Any:
        return cases.reopen(s, a, case_id, v["date"] or date.today(), v["notes"])

    d = FormDialog(ctx, parent, tr("重新开案"), submit)
    d.add("date", tr("开案日期"), DateField(date.today()))
    d.add("notes", tr("重新开案原因（保密）"), MultiLineField("", 3))
    return d

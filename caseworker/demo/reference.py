"""Demo office, communities and staff accounts (every demo password is DEMO_PASSWORD)."""

from __future__ import annotations

import random

from sqlalchemy.orm import Session

from caseworker.demo import DEMO_PASSWORD, DemoReport
from caseworker.demo.names import person_name
from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts

COMMUNITY_POOL = [
    "和平里社区",
    "安贞社区",
    "光明社区",
    "幸福家园社区",
    "枣林社区",
    "青年路社区",
    "东风社区",
    "育才社区",
    "建设社区",
    "文化路社区",
    "新华社区",
    "朝阳社区",
    "柳芳村",
    "南沙窝村",
    "大望村",
]


def fill(session: Session, rng: random.Random, report: DemoReport) -> None:
    system = Actor.system("demo")
    existing = accounts.office(session)
    if existing is None:
        count = rng.randint(8, 12)
        names = rng.sample(COMMUNITY_POOL[:12], count - 2) + rng.sample(COMMUNITY_POOL[12:], 2)
        info = accounts.initialise_office(
            session,
            system,
            office_code="110105001",
            office_name="示范街道办事处",
            district_name="示范区",
            community_names=names,
            admin=accounts.StaffDraft("admin", person_name(rng, "男"), Role.ADMIN),
            admin_password=DEMO_PASSWORD,
        )
        report.office_name = info.name
        report.staff.append(("admin", "管理员", Role.ADMIN.label))
    else:
        # An enrolled workspace has its office and communities but no staff and no records yet.
        if accounts.list_staff(session, system):
            raise ValidationError(
                "这个工作区已经有账号和数据，演示数据只能生成到新的或刚登记的空工作区"
            )
        report.office_name = existing.name
    comms = accounts.communities(session)
    report.communities = len(comms)
    plan: list[tuple[str, Role, str | None]] = [
        ("kezhang", Role.SUPERVISOR, None),
        ("zhuangan1", Role.CASEWORKER, None),
        ("zhuangan2", Role.CASEWORKER, None),
        ("zhuangan3", Role.CASEWORKER, None),
        ("dudao", Role.CHILD_SUPERVISOR, None),
    ]
    plan += [(f"ertong{i + 1:02d}", Role.CHILD_DIRECTOR, c.id) for i, c in enumerate(comms)]
    for username, role, community_id in plan:
        name = person_name(rng, rng.choice("男女"))
        accounts.create_staff(
            session,
            system,
            accounts.StaffDraft(username, name, role, community_id, phone=""),
            DEMO_PASSWORD,
            force_password_change=False,
        )
        report.staff.append((username, name, role.label))

"""A demo district for the console (区级平台, `python3 dev.py run --district`): a hub with its
bureau accounts, several enrolled demo offices (each a real workspace beside the hub), their
first bundles already ingested, a conflict and a cross-office duplicate to settle, and one
office's bundle left on a "stick" folder for 收件 to take in. Synthetic data only.

Every step goes through the real services (enrollment files, signed and encrypted bundles), so
the demo is what a bureau's first month would leave behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from caseworker import demo
from caseworker.district import accounts, service
from caseworker.district.hub import Hub
from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Actor, DistrictRole
from caseworker.sync import office
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident
from db.models import DistrictStaff, LocalMeta

HUB_NAME = "示范区民政局"
PASSPHRASE = "demo-enroll-2026"
OFFICES = (
    ("110105001", "朝阳门街道办事处", ["朝阳门社区", "竹杆社区", "南竹村"]),
    ("110105002", "建国门街道办事处", ["建国门社区", "赵家楼社区", "西总布村"]),
    ("110105003", "东华门街道办事处", ["东华门社区", "多福巷社区", "韶九村"]),
    ("110105004", "和平里街道办事处", ["和平里社区", "兴化社区", "安德村"]),
)
ACCOUNTS = (
    ("admin", "孙管理", DistrictRole.ADMIN),
    ("yewu", "李业务", DistrictRole.CLERK),
    ("tongji", "赵统计", DistrictRole.STATISTICIAN),
    ("weibao", "钱未保", DistrictRole.CHILD_CENTRE),
)
DEMO = Actor.system("demo")


@dataclass
class DistrictDemo:
    home: Path
    offices: list[str] = field(default_factory=list)
    ingested: list[str] = field(default_factory=list)
    stick: Path | None = None
    conflicts: int = 0
    duplicates: int = 0
    pending: list[str] = field(default_factory=list)  # dated changes not yet in force


def build(home: Path, *, residents: int = 120, seed: int = 11) -> DistrictDemo:
    """Build the demo into an empty folder `home` (refused when a hub is there already)."""
    home = Path(home)
    if (home / "district.sqlite3").exists():
        raise ValidationError(f"{home} 里已经有区级平台了，演示只能生成到新的文件夹。")
    out = DistrictDemo(home)
    offices_dir = home / "demo-offices"
    stick = home / "demo-stick"
    offices_dir.mkdir(parents=True, exist_ok=True)
    stick.mkdir(exist_ok=True)
    with Hub.open(home) as hub:
        service.init(hub, HUB_NAME)
        with hub.writer(accounts.SETUP) as s:
            s.merge(LocalMeta(key="demo", value=str(seed)))  # the login then names the accounts
            for username, name, role in ACCOUNTS:
                draft = accounts.AccountDraft(username, name, role)
                if role is DistrictRole.ADMIN:
                    accounts.create_first_admin(s, draft, demo.DEMO_PASSWORD)
                else:
                    info = accounts._new(s, draft, demo.DEMO_PASSWORD, must_change=False)
                    assert s.get(DistrictStaff, info.id) is not None
        workspaces: dict[str, Workspace] = {}
        try:
            for i, (code, name, communities) in enumerate(OFFICES):
                enroll = offices_dir / f"{code}.cwenroll"
                service.add_office(
                    hub,
                    code=code,
                    name=name,
                    communities=communities,
                    out=enroll,
                    passphrase=PASSPHRASE,
                )
                ws = Workspace.open(offices_dir / code)
                workspaces[code] = ws
                office.enroll(ws, enroll, PASSPHRASE)
                demo.build(ws, residents=residents, seed=seed + i)
                out.offices.append(code)
            codes = list(workspaces)
            # a person on two offices' rosters (moved without a transfer): a duplicate to settle
            with workspaces[codes[0]].reader() as s:
                shared = s.scalar(select(ElderlyResident.id_number).limit(1))
            with workspaces[codes[1]].writer(DEMO) as s:
                row = s.scalars(select(ElderlyResident).order_by(ElderlyResident.id)).first()
                assert row is not None
                row.id_number = shared
            # the first months: every office but the last sent its bundle and it was ingested
            for code in codes[:-1]:
                path = offices_dir / f"{code}-first.cwbundle"
                office.export_bundle(workspaces[code], DEMO, path)
                service.ingest(hub, [path])
                out.ingested.append(code)
            # a correction at the district and the office's own edit of the same field: a
            # conflict for the clerk to look at after the next ingest
            first = codes[0]
            with workspaces[first].reader() as s:
                rid = s.scalar(
                    select(ElderlyResident.id).where(ElderlyResident.id_number != shared).limit(1)
                )
            if rid is not None:
                service.correct(hub, "elderly_resident", rid, {"phone": "13800000001"})
                with workspaces[first].writer(DEMO) as s:
                    r = s.get(ElderlyResident, rid)
                    assert r is not None
                    r.phone = "13900000002"
                second = offices_dir / f"{first}-second.cwbundle"
                office.export_bundle(workspaces[first], DEMO, second)
                # the district's correction reached the office first: its edit came later
                done = service.ingest(hub, [second])
                out.conflicts = sum(r.conflicts for r in done)
            # the last office's first bundle waits on the stick for 收件
            last = codes[-1]
            office.export_bundle(workspaces[last], DEMO, stick / f"{last}-首次报送.cwbundle")
            out.stick = stick
        finally:
            for ws in workspaces.values():
                ws.close()
        from caseworker.district import duplicates

        out.duplicates = duplicates.count_cases(hub)
        out.pending = _pending_changes(hub)
    return out


# The bureau's decisions for next month, not yet in force: what 设置/目录 lists as 待生效 (and
# may cancel), and what reaches every office with its next bundle before its day.
PENDING_SETTING = ("visit.interval_days.high_risk", "5")
PENDING_RISE = 10  # per cent more for the catalogue's first item (its cap stays below)


def _pending_changes(hub: Hub) -> list[str]:
    """A setting and a catalogue price from the first day of next month, made by the clerk
    (李业务) through the console's own services, so 设置 and 目录 each show one pending
    change with who made it. Returns what was scheduled, in words."""
    from caseworker.district import rules
    from caseworker.services import dated

    with hub.writer(accounts.LOGIN) as s:
        clerk = accounts.authenticate(s, "yewu", demo.DEMO_PASSWORD).actor
    assert clerk is not None
    today = dated.today()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)  # next month's 1st
    key, value = PENDING_SETTING
    rules.set_setting(hub, clerk, key, value, effective=first)
    item = rules.catalogue_rows(hub, clerk)[0].item
    price = str(item.price_fen * (100 + PENDING_RISE) // 10_000)  # whole yuan
    rules.set_price(hub, clerk, item.code, price, effective=first)
    return [
        f"{first.isoformat()} 起 {key} = {value}",
        f"{first.isoformat()} 起 {item.code} {price} 元",
    ]

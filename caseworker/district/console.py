"""What the district console (区级平台, `ui/district/`) asks of the hub beyond the command line's
services: the 工作台 table of every office, a bundle's preview, ingesting many files one by one
(each its own transaction; a bad file never stops the others; cancel between files), and
writing several offices' bundles with names a clerk can tell apart on a stick.

Headless like every hub service: the console and tests call these with the logged-in actor,
whose role each checks first (`caseworker.district.accounts.require`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from caseworker.district import duplicates, service
from caseworker.district.accounts import check, require
from caseworker.district.hub import Hub
from caseworker.domain.errors import CaseworkerError, os_reason
from caseworker.domain.roles import Actor, DistrictPermission
from caseworker.sync import exchange
from caseworker.sync.errors import SyncRefused
from caseworker.sync.identity import peers as sync_peers
from db.base import utcnow
from db.sync_models import SyncBundle

if TYPE_CHECKING:
    from caseworker.services.audit import AuditFilter, AuditResult, AuditRow

BUNDLE_SUFFIX = ".cwbundle"
MAX_FILES = 500  # files taken from one folder: a month's sticks are twenty or so
SILENT_DAYS = 31  # an office that has sent nothing for longer is shown in red

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class OfficeRow:
    """One line of 工作台."""

    code: str
    name: str
    last_received: datetime | None
    last_received_file: str
    last_sent: datetime | None
    last_sent_file: str
    waiting: int  # changes the office has not acknowledged yet
    unacknowledged: int  # bundles sent and not yet acknowledged
    conflicts: int  # open conflicts
    duplicates: int  # open cross-office duplicates with one of the two records here

    def silent(self, now: datetime) -> bool:
        """Nothing received for more than a month (or never)."""
        return self.last_received is None or now - self.last_received > timedelta(days=SILENT_DAYS)


def dashboard(hub: Hub, actor: Actor) -> list[OfficeRow]:
    """Every enrolled office with its exchange state (read off the UI thread: it counts the
    journal rows each office still lacks). One pass of `service.status_detail`, which reads
    the file names and office records with the figures, and the duplicates by office."""
    check(hub, actor, DistrictPermission.STATUS)
    rows = service.status_detail(hub, actor=actor)
    dup = duplicates.open_by_office(hub)  # read as the hub: counts only, grouped in SQL
    out = [
        OfficeRow(
            d.status.code,
            d.status.name,
            d.status.last_received,
            d.received_file,
            d.status.last_sent,
            d.sent_file,
            d.status.pending,
            d.status.unacknowledged,
            d.status.conflicts,
            dup.get(d.office_id, 0) if d.office_id else 0,
        )
        for d in rows
    ]
    return sorted(out, key=lambda r: r.code)


# -- bundles in -----------------------------------------------------------------------------------


def bundle_files(folder: Path) -> list[Path]:
    """The bundle files in a folder on a stick (not its subfolders), by name; refused in one
    line when the folder cannot be read or holds more than a month's sticks would."""
    try:
        found = sorted(
            p for p in Path(folder).iterdir() if p.suffix.lower() == BUNDLE_SUFFIX and p.is_file()
        )
    except OSError as exc:
        raise CaseworkerError(f"无法读取文件夹 {folder}：{os_reason(exc)}") from None
    if len(found) > MAX_FILES:
        raise CaseworkerError(
            f"文件夹里有 {len(found)} 个数据包，一次最多导入 {MAX_FILES} 个；请分批选择。"
        )
    return found


@dataclass(frozen=True)
class Preview:
    """What a bundle file would bring, read without importing it."""

    path: Path
    office: str = ""
    created: datetime | None = None
    changes: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    photos: int = 0
    already: bool = False
    refused: str = ""  # why it would not be imported (nothing of it)


def preview(hub: Hub, actor: Actor, path: Path) -> Preview:
    """The file's envelope, signature and sender checked as an ingest would; its counts by
    table from the signed manifest. A file that would be refused says why."""
    require(actor, DistrictPermission.BUNDLES)
    path = Path(path)
    try:
        with hub.reader(actor) as s:
            conn = s.connection()
            me = service._me(conn, hub)
            rec = exchange.receive(conn, me, path)
    except (SyncRefused, OSError) as exc:
        reason = str(exc) if isinstance(exc, SyncRefused) else os_reason(exc)
        return Preview(path, refused=reason)
    m = rec.manifest
    if rec.sender.role != "office":
        return Preview(path, refused="不是街道发来的数据包")
    counts = m.get("counts") if isinstance(m.get("counts"), dict) else {}
    created = datetime.fromtimestamp(int(m["created_ms"]) / 1000) if m.get("created_ms") else None
    return Preview(
        path,
        office=rec.sender.name,
        created=created,
        changes=int(m["changes"]),
        counts={str(k): int(v) for k, v in counts.items() if isinstance(v, int)},
        photos=int(m.get("photos", 0) or 0),
        already=rec.already,
    )


@dataclass(frozen=True)
class FileResult:
    """One file of an ingest: what came in, or why nothing of it did."""

    path: Path
    office: str = ""
    already: bool = False
    changes: int = 0
    applied: int = 0
    conflicts: int = 0
    kept_out: int = 0  # changes kept out (scope, locked…), in the conflicts list
    refused: str = ""
    cancelled: bool = False

    @property
    def summary(self) -> str:
        if self.cancelled:
            return "已取消，未导入"
        if self.refused:
            return f"未导入：{self.refused}"
        if self.already:
            return "已导入过，没有新内容"
        text = f"已导入：{self.changes} 条变更，新 {self.applied} 条，冲突 {self.conflicts} 条"
        return text + (f"，未采用 {self.kept_out} 条" if self.kept_out else "")


def ingest_files(
    hub: Hub, actor: Actor, paths: list[Path], progress: Progress | None = None
) -> list[FileResult]:
    """Ingest each file in its own transaction, in order. A refused or unreadable file is
    reported in its row and the next one is taken; `progress(done, total, name)` may raise to
    cancel (the files not started are reported as cancelled; those done stay imported)."""
    check(hub, actor, DistrictPermission.BUNDLES)
    if hub.sqlite_file is not None and paths:
        from caseworker.outfile import check_room, database_size

        check_room(hub.home, database_size(hub.sqlite_file), "导入前的备份")
    results: list[FileResult] = []
    run = service.IngestRun(hub, actor)  # one backup for the folder, as the command line takes
    for i, path in enumerate(paths):
        try:
            if progress is not None:
                progress(i, len(paths), Path(path).name)
        except Exception:
            results += [FileResult(Path(p), cancelled=True) for p in paths[i:]]
            return results
        try:
            r = run.one(Path(path))
        except (CaseworkerError, OSError) as exc:
            reason = str(exc) if isinstance(exc, CaseworkerError) else os_reason(exc)
            results.append(FileResult(Path(path), refused=reason))
            continue
        results.append(
            FileResult(
                r.path,
                r.office,
                r.already,
                r.changes,
                r.applied,
                r.conflicts,
                r.refused_changes,
                r.refused,
            )
        )
    if progress is not None:
        progress(len(paths), len(paths), "")
    return results


# -- bundles out ----------------------------------------------------------------------------------


def export_name(code: str, name: str, when: datetime | None = None) -> str:
    """A file name a clerk can read on the stick: date, office code and name, direction."""
    when = when or datetime.now()
    safe = "".join(ch for ch in name if ch not in '\\/:*?"<>|' and ch.isprintable())[:30]
    return f"{when:%Y%m%d}_{code}_{safe}_区发街道{BUNDLE_SUFFIX}"


@dataclass(frozen=True)
class Written:
    code: str
    name: str
    path: Path | None = None
    changes: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    photos: int = 0
    refused: str = ""
    cancelled: bool = False


def export_offices(
    hub: Hub,
    actor: Actor,
    offices: list[tuple[str, str]],
    folder: Path,
    progress: Progress | None = None,
) -> list[Written]:
    """Write each office's bundle (code, name) into `folder`; an existing file of the same name
    gets a numbered name, never overwritten. One office's failure does not stop the others."""
    check(hub, actor, DistrictPermission.BUNDLES)
    folder = Path(folder)
    if not folder.is_dir():
        raise CaseworkerError(f"文件夹 {folder} 不存在（U 盘是否已拔出？）")
    now = datetime.now()
    out: list[Written] = []
    for i, (code, name) in enumerate(offices):
        try:
            if progress is not None:
                progress(i, len(offices), name)
        except Exception:
            out += [Written(c, n, cancelled=True) for c, n in offices[i:]]
            return out
        target = folder / export_name(code, name, now)
        n = 2
        while target.exists() or target.with_name(target.name + ".partial").exists():
            target = folder / export_name(code, name, now).replace(
                BUNDLE_SUFFIX, f"-{n}{BUNDLE_SUFFIX}"
            )
            n += 1
        try:
            r = service.export_for(hub, code, target, actor=actor)
        except (CaseworkerError, OSError) as exc:
            reason = str(exc) if isinstance(exc, CaseworkerError) else os_reason(exc)
            out.append(Written(code, name, refused=reason))
            continue
        out.append(Written(code, name, r.path, r.changes, dict(r.counts), r.photos))
    if progress is not None:
        progress(len(offices), len(offices), "")
    return out


def counts_text(counts: dict[str, int]) -> str:
    """ "老人 12，探访 30" from counts by table (the audit trail's table names)."""
    from caseworker.services.audit import TABLE_LABELS

    # the biggest first: a glance says what the bundle is mostly about
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return "，".join(f"{TABLE_LABELS.get(t, t)} {n}" for t, n in ordered if n)


def received_counts(hub: Hub, code: str) -> dict[str, int]:
    """Counts by table of the last bundle received from an office (for 工作台's detail)."""
    b = SyncBundle.__table__
    with hub.engine.connect() as conn:
        peer = {p.office_code: p.device_id for p in sync_peers(conn, "office")}.get(code)
        raw = conn.execute(
            select(b.c.counts)
            .where(b.c.peer == peer, b.c.direction == "received")
            .order_by(b.c.recorded_at.desc())
            .limit(1)
        ).scalar()
    try:
        found = json.loads(raw or "{}")
    except ValueError:
        return {}
    return {str(k): v for k, v in found.items() if isinstance(v, int)}


def now() -> datetime:
    """Naive UTC, as stored (the table shows local time)."""
    return utcnow()


def offices(hub: Hub, actor: Actor) -> list[tuple[str, str]]:
    """Every enrolled office (code, name), by code: whom 发件 can write a bundle for."""
    require(actor, DistrictPermission.BUNDLES)
    with hub.reader(actor) as s:
        found = sync_peers(s.connection(), "office")
    return sorted((p.office_code, p.name) for p in found)


def child_figures(hub: Hub, actor: Actor) -> list[Any]:
    """Each office's children's figures, numbers only (as `caseworker-district children`)."""
    from caseworker.services.children.worklists import office_figures

    require(actor, DistrictPermission.CHILD_FIGURES)
    with hub.reader(actor) as s:
        return list(office_figures(s))


# -- queues: conflicts and cross-office duplicates -----------------------------------------------

PAGE = 200  # conflicts shown at a time: an indexed page, whatever the list's length


@dataclass(frozen=True)
class ConflictPage:
    total: int
    offset: int
    rows: list[Any]  # caseworker.sync.conflicts.ConflictInfo, with `source` (the office)


def conflict_page(
    hub: Hub,
    actor: Actor,
    *,
    office: str | None = None,
    table: str | None = None,
    reason: str | None = None,
    status: str | None = "open",
    offset: int = 0,
    limit: int = PAGE,
) -> ConflictPage:
    """One page of the district's conflicts, newest first, filtered by office (its devices'
    values, lost or kept), table and reason; the count of the whole filtered list."""
    import dataclasses

    from sqlalchemy import func, or_

    from caseworker.sync import conflicts
    from caseworker.sync.identity import devices_of
    from db.sync_models import SyncConflict, SyncPeer

    require(actor, DistrictPermission.RECORDS)
    c = SyncConflict
    with hub.reader(actor) as s:
        q = select(c)
        if status is not None:
            q = q.where(c.status == status)
        if table:
            q = q.where(c.table_name == table)
        if reason:
            q = q.where(c.reason == reason)
        if office:
            peer = next(
                (p for p in sync_peers(s.connection(), "office") if p.office_code == office), None
            )
            devs = sorted(devices_of(s.connection(), peer.device_id)) if peer else []
            q = q.where(or_(c.lost_device.in_(devs), c.kept_device.in_(devs)))
        total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        found = s.scalars(q.order_by(c.id.desc()).limit(limit).offset(offset or None)).all()
        p = SyncPeer.__table__
        owners = dict(s.execute(select(p.c.device_id, p.c.alias_of)).all())
        names = dict(s.execute(select(p.c.device_id, p.c.name)).all())
    names[hub.device_id] = "区级平台"

    def source(device: str) -> str:
        return names.get(owners.get(device) or device, names.get(device, ""))

    # `source` is the office the conflict concerns: the one whose value lost, or, when the
    # district's own correction lost, the office whose later edit was kept
    rows = [
        dataclasses.replace(
            conflicts.info(r),
            source=source(r.kept_device if r.lost_device == hub.device_id else r.lost_device),
        )
        for r in found
    ]
    return ConflictPage(total, offset, rows)


def duplicate_pair(hub: Hub, actor: Actor, case_id: int) -> list[tuple[str, str, str]]:
    """The two records of a cross-office duplicate side by side: (field, earlier, later), the
    ID number masked; fields that are the same on both are shown once each side too."""
    from caseworker.domain import idnumber
    from caseworker.sync import tables
    from db.sync_models import SyncDuplicate

    require(actor, DistrictPermission.RECORDS)
    d = SyncDuplicate.__table__
    with hub.reader(actor) as s:
        case = s.execute(select(d).where(d.c.id == case_id)).first()
        if case is None:
            return []
        t = tables.info(case.table_name)
        if t is None:
            return []
        cols = t.table.c
        shown = [
            n
            for n in ("name", "id_number", "gender", "phone", "address", "community_id")
            if n in cols
        ]
        rows = {
            r.id: r
            for r in s.execute(
                select(cols.id, *(cols[n] for n in shown)).where(
                    cols.id.in_([case.record_id, case.other_id])
                )
            )
        }
        from db.models import Community

        comm_ids = [getattr(r, "community_id", None) for r in rows.values()]
        comms = dict(
            s.execute(
                select(Community.id, Community.name).where(
                    Community.id.in_([i for i in comm_ids if i])
                )
            ).all()
        )
    labels = {
        "name": "姓名",
        "id_number": "身份证号",
        "gender": "性别",
        "phone": "电话",
        "address": "地址",
        "community_id": "社区/村",
    }

    def value(rid: str, name: str) -> str:
        r = rows.get(rid)
        if r is None:
            return "（已不存在）"
        v = getattr(r, name)
        if name == "id_number" and v:
            return idnumber.mask(v)
        if name == "community_id":
            return comms.get(v, "")
        return "" if v is None else str(v)

    # the case's record_id is the later one (held), other_id the earlier (see duplicates.py)
    return [(labels[n], value(case.other_id, n), value(case.record_id, n)) for n in shown]


def offices_for_queues(hub: Hub, actor: Actor) -> list[tuple[str, str]]:
    """The offices to filter the conflicts list by."""
    require(actor, DistrictPermission.RECORDS)
    with hub.reader(actor) as s:
        found = sync_peers(s.connection(), "office")
    return sorted((p.office_code, p.name) for p in found)


# -- offices (区级管理员) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    device_id: str
    state: str  # 在用 / 已停用 (retired after a restore gave the office a new one, or by the hub)
    role: str = "enrollment"  # sync_peer.role of an alias: device / retired / revoked


@dataclass(frozen=True)
class OfficeEntry:
    code: str
    name: str
    enrolled_at: datetime | None
    communities: list[str]
    devices: list[Device]
    last_contact: datetime | None  # the last bundle received from it


def office_list(hub: Hub, actor: Actor) -> list[OfficeEntry]:
    """Every enrolled office with its communities, its devices and when it was last heard of."""
    from sqlalchemy import func

    from db.models import Community, Office
    from db.sync_models import SyncPeer

    require(actor, DistrictPermission.MANAGE_OFFICES)
    p, b = SyncPeer.__table__, SyncBundle.__table__
    out: list[OfficeEntry] = []
    with hub.reader(actor) as s:
        conn = s.connection()
        for peer in sync_peers(conn, "office"):
            added = conn.execute(
                select(p.c.added_at).where(p.c.device_id == peer.device_id)
            ).scalar()
            devices = [Device(peer.device_id, "登记时的设备")]
            for dev, role in conn.execute(
                select(p.c.device_id, p.c.role)
                .where(p.c.alias_of == peer.device_id)
                .order_by(p.c.added_at)
            ):
                devices.append(Device(dev, service.device_state(role), role))
            last = conn.execute(
                select(func.max(b.c.recorded_at)).where(
                    b.c.peer == peer.device_id, b.c.direction == "received"
                )
            ).scalar()
            names = s.scalars(
                select(Community.name)
                .join(Office, Office.id == Community.office_id)
                .where(Office.code == peer.office_code, Community.deleted_at.is_(None))
                .order_by(Community.sort_order)
            ).all()
            out.append(OfficeEntry(peer.office_code, peer.name, added, list(names), devices, last))
    return out


def enroll_office(
    hub: Hub, actor: Actor, code: str, name: str, communities: str, out: Path
) -> service.OfficeAdded:
    """`office add` from the console: communities typed one a line or separated by commas."""
    from caseworker.domain import office_code as office_codes
    from caseworker.domain.errors import ValidationError

    require(actor, DistrictPermission.MANAGE_OFFICES)
    try:
        code = office_codes.normalise(code)
    except office_codes.InvalidOfficeCode as exc:
        raise ValidationError(str(exc), field="code") from None
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("请填写街道名称", field="name")
    if len(name) > 100:
        raise ValidationError("街道名称不能超过 100 个字", field="name")
    names = [
        " ".join(n.split())
        for n in communities.replace("，", ",").replace("\n", ",").split(",")
        if n.strip()
    ]
    if len(set(names)) != len(names):
        raise ValidationError("社区或村的名称有重复", field="communities")
    return service.add_office(hub, code=code, name=name, communities=names, out=out, actor=actor)


# -- figures and audit ----------------------------------------------------------------------------


def district_report(hub: Hub, actor: Actor, period_text: str) -> Any:
    """The district's 统计报表 for a month (2026-12), quarter (2026-Q4) or year (2026): every
    office side by side with the district total, as `caseworker-district report` builds it.
    Built as the hub (its figures are counts across programmes; the role is checked here)."""
    from datetime import date

    from caseworker.domain import periods
    from caseworker.domain.errors import ValidationError
    from caseworker.services import reports

    require(actor, DistrictPermission.FIGURES)
    text = (period_text or "").strip()
    try:
        period = periods.parse(text) if text else periods.month(date.today())
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    with hub.reader(actor) as s:
        return reports.build(s, service.DISTRICT, period, by_office=True)


def visit_charts(hub: Hub, actor: Actor, day: date | None = None) -> tuple[Any, ...]:
    """工作台's charts: this month's visit rate of each office and the district's rate for each
    of the last 12 months. They are the district report's own 老年人探访关爱 charts (the same
    `reports.elderly.build` on the same offices, as the hub), so 工作台, 统计报表 and the PDF
    show the same numbers; only that section is built, not the whole report."""
    from caseworker.domain import periods
    from caseworker.services import reports
    from caseworker.services.reports import elderly

    require(actor, DistrictPermission.STATUS)
    today = day or date.today()
    with hub.reader(actor) as s:
        units = reports.units(s, by_office=True)
        if not units:
            return ()
        section = elderly.build(s, service.DISTRICT, periods.month(today), today, units, None)
    return section.charts


def write_report(report: Any, out: Path) -> Path:
    """The report as PDF or Excel (by the suffix), written whole or not at all."""
    from caseworker.outfile import check_out
    from caseworker.services.reports.output import write_xlsx

    out = check_out(out, (".pdf", ".xlsx"))
    if out.suffix.lower() == ".pdf":
        from caseworker.printing.report_pdf import write_pdf

        write_pdf(report, out)
    else:
        write_xlsx(report, out)
    return out


def audit_names(hub: Hub, actor: Actor) -> list[str]:
    """Who of the bureau appears in the hub's own journal, for the 操作记录 page's filter."""
    from db.models import JournalEntry as j

    require(actor, DistrictPermission.AUDIT)
    with hub.reader(actor) as s:
        q = select(j.actor_name).where(j.device_id == hub.device_id).distinct()
        return list(s.scalars(q.order_by(j.actor_name)))


def audit_first_page(hub: Hub, actor: Actor, flt: AuditFilter, limit: int = PAGE) -> AuditResult:
    """What the bureau's people did at the hub (its own journal rows, not the offices' changes
    it received), newest first, as the office's 操作日志 reads its own: the first page and
    the capped count. Password hashes never show."""
    from caseworker.services import audit

    require(actor, DistrictPermission.AUDIT)
    with hub.reader(actor) as s:
        return audit._first_page(s, replace(flt, device_id=hub.device_id), limit)


def audit_next_page(
    hub: Hub, actor: Actor, flt: AuditFilter, last: AuditRow, limit: int = PAGE
) -> list[AuditRow]:
    """The page after `last` (the last row shown) of `audit_first_page`'s list."""
    from caseworker.services import audit

    require(actor, DistrictPermission.AUDIT)
    with hub.reader(actor) as s:
        own = replace(flt, device_id=hub.device_id)
        return audit._page(s, own, 0, limit, audit.after_key(last))

"""Before/after photos of a case: import from files into the store, list, and say which photo
files a case (or the whole office) references, for printing and for photo transfer in sync."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain.errors import NotFound, ValidationError
from caseworker.domain.retrofit import PhotoStage, Step
from caseworker.domain.roles import Actor
from caseworker.services.elderly._common import clean
from caseworker.services.retrofit._common import can_edit, can_view
from caseworker.services.retrofit.cases import PhotoInfo, _load
from db.base import utcnow
from db.photo_store import PhotoStore
from db.retrofit import RetrofitAssessmentItem, RetrofitPhoto

# Before photos are taken at the assessment; after photos once construction has started.
STAGE_STEPS: dict[PhotoStage, frozenset[Step]] = {
    PhotoStage.BEFORE: frozenset({Step.APPLIED, Step.ELIGIBLE, Step.ASSESSED, Step.APPROVED}),
    PhotoStage.AFTER: frozenset({Step.CONSTRUCTION, Step.INSPECTION}),
}
MAX_PHOTOS_PER_CASE = 80
PAGE = 500


@dataclass(frozen=True)
class PhotoRequest:
    path: Path
    stage: PhotoStage
    item_id: str | None = None
    caption: str = ""


def add(
    session: Session, actor: Actor, store: PhotoStore, case_id: str, request: PhotoRequest
) -> PhotoInfo:
    """Import one photo file for a case (the file is normalised and stored outside the DB)."""
    can_edit(actor)
    row = _load(session, case_id)
    stage = PhotoStage(request.stage)
    step = Step(row.step)
    if step not in STAGE_STEPS[stage]:
        when = "、".join(s.value for s in Step if s in STAGE_STEPS[stage])
        raise ValidationError(
            f"这户现在是“{step.value}”，不能添加{stage.value}照片（{when}时可以）"
        )
    if request.item_id is not None:
        item = session.get(RetrofitAssessmentItem, request.item_id)
        if item is None or item.case_id != case_id or item.deleted_at is not None:
            raise ValidationError("所选的改造项目不属于这户", field="item_id")
    existing = session.scalars(
        select(RetrofitPhoto.sha256).where(
            RetrofitPhoto.case_id == case_id, RetrofitPhoto.deleted_at.is_(None)
        )
    ).all()
    if len(existing) >= MAX_PHOTOS_PER_CASE:
        raise ValidationError(f"每户最多 {MAX_PHOTOS_PER_CASE} 张照片")
    stored = store.import_file(request.path)
    if stored.sha256 in existing:
        raise ValidationError(f"{Path(request.path).name} 这张照片已经添加过了")
    photo = RetrofitPhoto(
        case_id=case_id,
        item_id=request.item_id,
        stage=stage.value,
        sha256=stored.sha256,
        thumb_sha256=stored.thumb_sha256,
        width=stored.width,
        height=stored.height,
        size_bytes=stored.size_bytes,
        taken_at=stored.taken_at,
        original_name=Path(request.path).name[:200],
        caption=clean(request.caption, "照片说明", "caption", 200),
    )
    session.add(photo)
    session.flush()
    return PhotoInfo.of(photo)


def remove(session: Session, actor: Actor, photo_id: str) -> None:
    """Take a photo off the case (tombstone; the file stays, other cases may share it)."""
    can_edit(actor)
    photo = session.get(RetrofitPhoto, photo_id)
    if photo is None or photo.deleted_at is not None:
        raise NotFound("找不到这张照片")
    row = _load(session, photo.case_id)
    if Step(row.step).closed:
        raise ValidationError("档案已结案，照片不能再删除")
    photo.deleted_at = utcnow()
    session.flush()


def of_case(session: Session, actor: Actor, case_id: str) -> list[PhotoInfo]:
    can_view(actor)
    rows = session.scalars(
        select(RetrofitPhoto)
        .where(RetrofitPhoto.case_id == case_id, RetrofitPhoto.deleted_at.is_(None))
        .order_by(RetrofitPhoto.stage, RetrofitPhoto.created_at, RetrofitPhoto.id)  # 改造前 first
    )
    return [PhotoInfo.of(p) for p in rows]


def hashes_of_case(session: Session, case_id: str) -> set[str]:
    """Every photo file (full and thumbnail) a case references, tombstoned photos excluded."""
    out: set[str] = set()
    for sha, thumb in session.execute(
        select(RetrofitPhoto.sha256, RetrofitPhoto.thumb_sha256).where(
            RetrofitPhoto.case_id == case_id, RetrofitPhoto.deleted_at.is_(None)
        )
    ):
        out.update((sha, thumb))
    return out


def referenced_hashes(session: Session) -> Iterator[tuple[str, str, str]]:
    """(photo id, sha256, thumb sha256) of every live photo in this replica, read a page at a
    time in id order: what a photo transfer walks (docs/retrofit.md)."""
    after = ""
    while True:
        rows = session.execute(
            select(RetrofitPhoto.id, RetrofitPhoto.sha256, RetrofitPhoto.thumb_sha256)
            .where(RetrofitPhoto.id > after, RetrofitPhoto.deleted_at.is_(None))
            .order_by(RetrofitPhoto.id)
            .limit(PAGE)
        ).all()
        if not rows:
            return
        yield from ((pid, sha, thumb) for pid, sha, thumb in rows)
        after = rows[-1][0]


def missing_files(session: Session, store: PhotoStore) -> list[str]:
    """Hashes referenced by photo rows whose files are absent or damaged here."""
    missing: list[str] = []
    for _pid, sha, thumb in referenced_hashes(session):
        missing.extend(h for h in (sha, thumb) if not store.verify(h))
    return missing

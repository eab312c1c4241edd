"""The public face every 台账 import shares (elderly roster, child register, retrofit
households): `preview`, `apply` and `apply_file`, made once from the programme's permission
check, its reading of a file and its writing of what was read.

The programme's module gives `read` (the file against the records as they stand: a preview and
whatever its writing needs besides) and `write` (what the preview says to write, in the
caller's transaction); here the permission is checked before the path is touched, the options
defaulted, the day fixed, a file changed since its preview refused, and `apply_file` takes the
preview (or the one the person just saw), a backup when something would be written, and the
apply in one transaction (`importing.apply_with_backup`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Actor
from caseworker.services.tabular import importing
from caseworker.services.tabular.preview import ImportOptions, ImportPreview, ImportResult

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from caseworker.workspace import Workspace

Progress = Callable[[int, int, str], None]
# The programme's reading: session, actor, path, options, the day, progress → the preview and
# what its writing needs besides it (the retrofit import's catalogue and firms; None elsewhere).
Read = Callable[..., "tuple[ImportPreview, Any]"]
# The programme's writing: session, actor, the preview, what `Read` gave besides, the day,
# progress → the result.
Write = Callable[..., "ImportResult"]


class Importer(NamedTuple):
    """The three public functions of an importer module (signatures as made in `importer`)."""

    preview: Callable[..., ImportPreview]
    apply: Callable[..., ImportResult]
    apply_file: Callable[..., ImportResult]


def _as_of(module: str, fn: Any) -> Any:
    """`fn` named as the importer module's own, so the services' walks list it with the
    module's other public functions."""
    fn.__module__ = module
    fn.__qualname__ = fn.__name__
    return fn


def importer(
    module: str, check: Callable[[Actor], object], read: Read, write: Write, writes: str
) -> Importer:
    """The importer module's `preview`, `apply` and `apply_file`, from its permission `check`,
    its `read` and `write` (see `Read`, `Write`); `writes` says, for `apply`'s docstring, what
    the programme writes."""

    def preview(
        session: Session,
        actor: Actor,
        path: Path | str,
        options: ImportOptions | None = None,
        *,
        today: date | None = None,
        progress: Progress | None = None,
    ) -> ImportPreview:
        """Read the file and say what importing it would do; writes nothing."""
        check(actor)  # before the path is touched
        day = today if today is not None else date.today()
        return read(session, actor, Path(path), options or ImportOptions(), day, progress)[0]

    def apply(
        session: Session,
        actor: Actor,
        path: Path | str,
        options: ImportOptions | None = None,
        *,
        today: date | None = None,
        progress: Progress | None = None,
        expect_fingerprint: str | None = None,
    ) -> ImportResult:
        check(actor)
        day = today if today is not None else date.today()
        result, extra = read(session, actor, Path(path), options or ImportOptions(), day, progress)
        if expect_fingerprint is not None and result.fingerprint != expect_fingerprint:
            raise ValidationError("文件在预览之后被修改过，请重新预览后再导入")
        return write(session, actor, result, extra, day, progress)

    apply.__doc__ = (
        "Read again against the records as they are now and write, in this transaction (all or"
        f" nothing): {writes}.\n\n"
        "`expect_fingerprint`: the preview's; the file is refused if it changed since."
    )

    def apply_file(
        ws: Workspace,
        actor: Actor,
        path: Path | str,
        options: ImportOptions | None = None,
        *,
        today: date | None = None,
        progress: Progress | None = None,
        expect_fingerprint: str | None = None,
        previewed: ImportPreview | None = None,
    ) -> ImportResult:
        """Preview (or take the preview the person just saw, `previewed`, when the file is
        still the same); when something would be written, back up the database, then apply in
        one transaction against the records as they stand then (all or nothing). Nothing to
        write: no backup, nothing changed, and the result says so. `expect_fingerprint`: the
        preview's; the file is refused if it changed since."""
        check(actor)  # before the path or the workspace is touched
        target = Path(path)
        return importing.apply_with_backup(
            ws,
            actor,
            target,
            preview=lambda s: preview(s, actor, target, options, today=today, progress=progress),
            apply=lambda s, first: apply(
                s,
                actor,
                target,
                options,
                today=today,
                progress=progress,
                expect_fingerprint=first.fingerprint,
            ),
            expect_fingerprint=expect_fingerprint,
            previewed=previewed,
        )

    return Importer(_as_of(module, preview), _as_of(module, apply), _as_of(module, apply_file))

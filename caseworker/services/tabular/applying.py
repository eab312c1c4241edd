"""The one `apply_file` of every 台账 import (elderly roster, child register, retrofit
households): the programme's permission checked first, then its preview (or the one the person
just saw), a backup when something would be written, and its apply in one transaction
(`importing.apply_with_backup`).

A module of its own because the elderly roster's import makes its `apply_file` here at import
time while `importing` imports the roster's types: nothing here imports either at load.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from caseworker.domain.roles import Actor

if TYPE_CHECKING:
    from caseworker.services.elderly.roster_import import (
        ImportOptions,
        ImportPreview,
        ImportResult,
    )
    from caseworker.workspace import Workspace

Progress = Callable[[int, int, str], None]


def file_importer(
    module: str,
    check: Callable[[Actor], object],
    preview: Callable[..., ImportPreview],
    apply: Callable[..., ImportResult],
) -> Callable[..., ImportResult]:
    """The importer module's `apply_file` (named as its own, so the services' walks list it
    with the module's other functions), made from its permission check, and its `preview` and
    `apply` (each taking session, actor, path, options, today=, progress=; `apply` also
    expect_fingerprint=)."""

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
        from caseworker.services.tabular import importing

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

    apply_file.__module__ = module
    apply_file.__qualname__ = "apply_file"
    return apply_file

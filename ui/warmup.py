"""Imports the main window's modules on the runner while the login window waits for a password.

Importing the programmes' screens took about 0.4 s of the UI thread between the password and
工作台 (issue 9); done on the runner while the person types, it is gone from both. Only modules
are imported here, no widget is made (widgets belong to the UI thread). The login is submitted
to the same single runner afterwards, so the UI thread never imports these at the same time as
the runner (two threads importing the same circle of modules could meet in the import lock).

`warm_reads` runs, on the runner after a successful login, the short reads the main window then
makes on the UI thread: SQLAlchemy compiles each statement the first time it meets it (tens of
milliseconds each) and keeps the result for every later session, whatever the thread.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caseworker.domain.roles import Actor
    from caseworker.workspace import Workspace

# What logging in and the first visit of each section import, in dependency order (cheapest
# first: a login typed quickly waits only for what is left of this list).
MAIN_WINDOW_MODULES: tuple[str, ...] = (
    "caseworker.services.settings",
    "caseworker.sync.office",
    "ui.idle",
    "ui.main_window",
    "ui.sections",
    "ui.pages.home",
    "caseworker.services.reports",
    "ui.elderly.work_lists",
    "ui.retrofit.work_lists",
    "ui.children.work_lists",
    "ui.elderly.page",
    "ui.elderly.resident_page",
    "ui.retrofit.elderly_link",
    "ui.retrofit.page",
    "ui.children.page",
    "ui.sync.page",
    "ui.admin.system_page",
    "ui.admin.audit",
)


# The sections' own pages other than 老年人台账 (the first a login usually opens): none is needed
# to show 工作台. When a login is already waiting behind the warm-up they are left out, so the
# login does not wait for them, and imported once the main window is shown (`Controller`).
SECTION_PAGES: frozenset[str] = frozenset(
    {
        "ui.retrofit.page",
        "ui.children.page",
        "ui.sync.page",
        "ui.admin.system_page",
        "ui.admin.audit",
    }
)


def import_main_window_modules(login_waiting: Callable[[], bool] = lambda: False) -> int:
    """Import what the main window needs (a job for the runner); returns how many were new.
    A module that fails to import is left for the UI thread, which shows the error as before.
    `login_waiting()` true leaves the section pages out (see SECTION_PAGES)."""
    import sys

    new = 0
    for name in MAIN_WINDOW_MODULES:
        if name in sys.modules or (name in SECTION_PAGES and login_waiting()):
            continue
        try:
            importlib.import_module(name)
        except Exception:  # the UI thread imports it again and reports the error
            logging.getLogger("caseworker.ui").warning("warm-up import of %s failed", name)
            continue
        new += 1
    return new


def warm_reads(ws: Workspace, actor: Actor) -> None:
    """Make the main window's first short reads once, off the UI thread (see above). Their
    results are dropped; a failure is logged and left for the UI thread to meet and report."""
    from caseworker.domain.roles import Permission
    from caseworker.services import accounts, settings
    from caseworker.services.elderly import roster

    try:
        with ws.reader(actor) as s:
            for key in ("security.idle_lock_minutes", "backup.keep_daily", "backup.keep_weekly"):
                settings.get(s, key)
            accounts.office(s)
            accounts.communities(s)
            if actor.can(Permission.ELDERLY_VIEW):
                roster.staff_choices(s, actor)
    except Exception:  # the same reads on the UI thread report it
        logging.getLogger("caseworker.ui").warning("warm-up reads failed", exc_info=True)

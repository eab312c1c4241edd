"""Imports the main window's modules on the runner while the login window waits for a password.

Importing the programmes' screens took about 0.4 s of the UI thread between the password and
工作台 (issue 9); done on the runner while the person types, it is gone from both. Only modules
are imported here, no widget is made (widgets belong to the UI thread). The login is submitted
to the same single runner afterwards, so the UI thread never imports these at the same time as
the runner (two threads importing the same circle of modules could meet in the import lock).
"""

from __future__ import annotations

import importlib
import logging

# What logging in and the first visit of each section import, in dependency order (cheapest
# first: a login typed quickly waits only for what is left of this list).
MAIN_WINDOW_MODULES: tuple[str, ...] = (
    "caseworker.services.settings",
    "caseworker.sync.office",
    "ui.idle",
    "ui.main_window",
    "ui.sections",
    "ui.pages.home",
    "ui.reports.charts",
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


def import_main_window_modules() -> int:
    """Import what the main window needs (a job for the runner); returns how many were new.
    A module that fails to import is left for the UI thread, which shows the error as before."""
    import sys

    new = 0
    for name in MAIN_WINDOW_MODULES:
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # the UI thread imports it again and reports the error
            logging.getLogger("caseworker.ui").warning("warm-up import of %s failed", name)
            continue
        new += 1
    return new

"""What one test leaves behind in the test process, taken away again.

Each workspace (and district hub) opened attaches its log file to the `caseworker` logger, and
since session 32 lets it go when closed (caseworker/logs.py). What a test does not close (a
failed open keeps its log for the failure's report, a workspace a test leaves open) stays
attached; a pytest worker meets hundreds, and left attached every record is formatted and
written once per log ever attached (7 ms a record at 256 of them, 2026-12-07), which made the
suite quadratic in its length, and one test's records landed in every other test's log file."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


@contextlib.contextmanager
def own_log_handlers() -> Iterator[None]:
    """The file logs attached inside the block are detached and closed at its end."""
    log = logging.getLogger("caseworker")
    before = list(log.handlers)
    try:
        yield
    finally:
        for handler in [h for h in log.handlers if h not in before]:
            log.removeHandler(handler)
            handler.close()

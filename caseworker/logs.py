"""The log file: attached without ever failing a command, and scrubbed of personal data.

A log file goes to support staff, so it must not carry what the workspace protects. Every line
written (messages and tracebacks alike) passes through `scrub`: ID numbers and mobile numbers
are replaced, SQL parameters that a database error may quote are removed (the engines are also
built with `hide_parameters=True`), and very long runs of text (a pasted search string) are cut.
A folder where no log can be written (a read-only workspace) means no file log, not a crash.

A file log is held by what attached it (a workspace, a hub, a restore) and detached and closed
when the last holder lets it go (`detach_file_log`), so a process that opens and closes many
workspaces (the suite, a restore and reopen) keeps no handler and no open file of a closed one.
A command holds every log attached while it runs until it has reported (`held_for_command`):
its unexpected error is written to the log of the workspace it had already closed.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import re
import threading
from collections.abc import Iterator
from pathlib import Path

LOGGER = "caseworker"
LOG_NAME = "caseworker.log"
MAX_LINE = 300  # characters kept of one logged line; tracebacks' own lines are far shorter

# Without any handler, Python's logging prints WARNING and above to stderr ("last resort"):
# a command must say one line there, never a logged traceback.
logging.getLogger(LOGGER).addHandler(logging.NullHandler())

_PARAMS = re.compile(r"\[parameters: .*?\](?=\s|$)|\[SQL parameters hidden[^\]]*\]", re.S)
_ID = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")
_FULLWIDTH_ID = re.compile(r"[０-９]{15,18}[ＸｘXx]?")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def scrub(text: str) -> str:
    """`text` without ID numbers, mobile numbers, SQL parameters or over-long lines."""
    text = _PARAMS.sub("[参数已隐藏]", text)
    text = _ID.sub("[身份证号已隐藏]", text)
    text = _FULLWIDTH_ID.sub("[身份证号已隐藏]", text)
    text = _MOBILE.sub("[电话已隐藏]", text)
    return "\n".join(
        line
        if len(line) <= MAX_LINE
        else line[:MAX_LINE] + f"…（已截去 {len(line) - MAX_LINE} 字）"
        for line in text.split("\n")
    )


class ScrubbingFormatter(logging.Formatter):
    """A formatter whose whole output (message, traceback, stack) is scrubbed."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


# Holders of each attached file log (by its file's name), and the commands running (each a list
# of the logs attached while it runs). The UI attaches from its worker thread: one lock for both.
_holders: dict[str, int] = {}
_commands: list[list[Path]] = []
_lock = threading.Lock()


def _handler_for(log: logging.Logger, target: Path) -> logging.Handler | None:
    for handler in log.handlers:
        if getattr(handler, "baseFilename", None) == str(target):
            return handler
    return None


def attach_file_log(folder: Path, *, name: str = LOG_NAME) -> Path | None:
    """Log `caseworker.*` to `folder/name` (rotating); returns the file, or None when the folder
    cannot take it (read-only, full, missing): logging is then skipped, the command goes on.
    Each call is one hold on the file log: `detach_file_log` with what it returned lets it go."""
    log = logging.getLogger(LOGGER)
    target = Path(folder) / name
    with _lock:
        if _handler_for(log, target) is None:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                handler = logging.handlers.RotatingFileHandler(
                    str(target), maxBytes=2_000_000, backupCount=5, encoding="utf-8"
                )
            except OSError:
                return None
            handler.setFormatter(
                ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
            # A write that fails later (disk full) must not print logging's own traceback.
            handler.handleError = lambda record: None  # type: ignore[method-assign]
            log.addHandler(handler)
            log.setLevel(logging.INFO)
            _holders[str(target)] = 0  # holds counted for a handler someone else removed
        _holders[str(target)] = _holders.get(str(target), 0) + 1
        if _commands and target not in _commands[-1]:
            _commands[-1].append(target)  # the running command's own hold, until it reports
            _holders[str(target)] += 1
    return target


def detach_file_log(target: Path | None) -> None:
    """Let go of one hold on the file log `attach_file_log` returned (None: nothing); the last
    hold's end detaches the handler and closes its file."""
    if target is None:
        return
    log = logging.getLogger(LOGGER)
    with _lock:
        left = _holders.get(str(target), 0) - 1
        if left > 0:
            _holders[str(target)] = left
            return
        _holders.pop(str(target), None)
        handler = _handler_for(log, target)
        if handler is not None:
            log.removeHandler(handler)
    if handler is not None:
        handler.close()


@contextlib.contextmanager
def held_for_command() -> Iterator[None]:
    """The file logs attached inside the block stay attached to its end, however early what
    attached them is closed: a command's failure, reported after its workspace closed, is
    still written to that workspace's log (and named in the message)."""
    attached: list[Path] = []
    with _lock:
        _commands.append(attached)
    try:
        yield
    finally:
        with _lock:
            del _commands[next(i for i, c in enumerate(_commands) if c is attached)]
        for target in attached:
            detach_file_log(target)


class _Forward(logging.Handler):
    """Hands other libraries' records (SQLAlchemy's "Error closing cursor", …) to the
    caseworker log's handlers: into the scrubbed file, never onto stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == LOGGER or record.name.startswith(LOGGER + "."):
            return  # already handled by its own logger
        for handler in logging.getLogger(LOGGER).handlers:
            if record.levelno >= handler.level:
                handler.handle(record)


def capture_library_logs() -> None:
    """Records of other loggers go to the file log only (idempotent)."""
    root = logging.getLogger()
    if not any(isinstance(h, _Forward) for h in root.handlers):
        root.addHandler(_Forward(logging.WARNING))


def file_log() -> Path | None:
    """The log file currently attached (the most recent), if any."""
    for handler in reversed(logging.getLogger(LOGGER).handlers):
        name = getattr(handler, "baseFilename", None)
        if name:
            return Path(name)
    return None

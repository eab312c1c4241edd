"""The log file: attached without ever failing a command, and scrubbed of personal data.

A log file goes to support staff, so it must not carry what the workspace protects. Every line
written (messages and tracebacks alike) passes through `scrub`: ID numbers and mobile numbers
are replaced, SQL parameters that a database error may quote are removed (the engines are also
built with `hide_parameters=True`), and very long runs of text (a pasted search string) are cut.
A folder where no log can be written (a read-only workspace) means no file log, not a crash.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
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


def attach_file_log(folder: Path, *, name: str = LOG_NAME) -> Path | None:
    """Log `caseworker.*` to `folder/name` (rotating); returns the file, or None when the folder
    cannot take it (read-only, full, missing): logging is then skipped, the command goes on."""
    log = logging.getLogger(LOGGER)
    target = Path(folder) / name
    for handler in log.handlers:
        if getattr(handler, "baseFilename", None) == str(target):
            return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            str(target), maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # A write that fails later (disk full) must not print logging's own traceback on stderr.
    handler.handleError = lambda record: None  # type: ignore[method-assign]
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return target


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

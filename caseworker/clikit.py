"""What both command lines (`caseworker`, `caseworker-district`) share: an argument parser that
speaks Chinese and the run loop that turns every failure into exit 2 and one Chinese line.

The run loop knows the refusals (CaseworkerError), files that cannot be read or written
(OSError), SQLite's own failures (full disk, read-only, locked) and, as a last resort, anything
unexpected: then the traceback goes to the log file only (scrubbed, `caseworker.logs`), never to
the screen, and the person reads that the command did not complete.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import re
import sqlite3
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from caseworker.domain.errors import CaseworkerError, os_reason, sqlite_reason
from caseworker.logs import LOGGER, capture_library_logs, file_log, held_for_command

EXIT_OK = 0
EXIT_REFUSED = 2
log = logging.getLogger(LOGGER)
T = TypeVar("T")


def typed(text: str | None, parse: Callable[[str], T]) -> T | None:
    """An option's value as `parse` reads it (None when it was not given). The parsers speak
    Chinese (a ValueError such as `InvalidDate`), so their reason refuses the command: exit 2
    before any work."""
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError as exc:
        raise CaseworkerError(str(exc)) from None


# -- argparse in Chinese -------------------------------------------------------------------------

_ARGUMENT = re.compile(r"^argument (?P<arg>.+?): (?P<rest>.*)$", re.S)
# argparse's messages and what to say instead: the named groups fill the template.
_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(pattern, re.S), say)
    for pattern, say in (
        (r"^invalid choice: (?P<v>.*?) \(choose from (?P<c>.*)\)$", "没有 {v} 这一项，可选：{c}"),
        (r"^invalid int value: (?P<v>.*)$", "应为整数，收到 {v}"),
        (r"^invalid float value: (?P<v>.*)$", "应为数字，收到 {v}"),
        (r"^invalid (?P<t>\S+) value: (?P<v>.*)$", "值无效：{v}"),
        (r"^the following arguments are required: (?P<a>.*)$", "缺少必需的参数：{a}"),
        (r"^unrecognized arguments: (?P<a>.*)$", "无法识别的参数：{a}"),
        (r"^expected one argument$", "后面应跟一个值"),
        (r"^expected at least one argument$", "后面应至少跟一个值"),
        (r"^expected at most one argument$", "后面最多跟一个值"),
        (r"^not allowed with argument (?P<a>.*)$", "不能与 {a} 同时使用"),
        (r"^ambiguous option: (?P<o>\S+) could match (?P<m>.*)$", "选项 {o} 不明确，可能是：{m}"),
        (r"^one of the arguments (?P<a>.*) is required$", "必须给出其中一个参数：{a}"),
        (r"^ignored explicit argument (?P<a>.*)$", "这个选项不接受值：{a}"),
    )
]


def translate_usage_error(message: str) -> str:
    """argparse's English error message in Chinese (unknown ones are kept, prefixed)."""
    prefix = ""
    m = _ARGUMENT.match(message)
    if m:
        prefix, message = f"参数 {m['arg']}：", m["rest"]
    for pattern, say in _MESSAGES:
        found = pattern.match(message)
        if found:
            return prefix + say.format_map(found.groupdict())
    return prefix + message


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)

    def format_help(self) -> str:
        # argparse ends a heading with an ASCII colon
        text = super().format_help()
        for heading in ("位置参数", "选项"):
            text = text.replace(f"\n{heading}:\n", f"\n{heading}：\n")
        return text


class ArgumentParser(argparse.ArgumentParser):
    """argparse with Chinese headings, and usage errors as one Chinese line and exit 2.

    Sub-command parsers are of the same class (argparse creates them with `type(self)`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = "显示这份帮助并退出"

    def error(self, message: str) -> NoReturn:
        line = translate_usage_error(message).replace("\n", " ")
        self.exit(EXIT_REFUSED, f"{self.prog}: 参数错误：{line}（用 --help 查看用法）\n")


# -- running a command ---------------------------------------------------------------------------


def _sqlite_error(exc: BaseException) -> sqlite3.Error | None:
    """The sqlite3 error itself, or the one SQLAlchemy wrapped."""
    if isinstance(exc, sqlite3.Error):
        return exc
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, sqlite3.Error) else None


def _database_message(exc: BaseException) -> str | None:
    """Chinese for SQLite's failures a person can act on (no SQL, no parameters)."""
    err = _sqlite_error(exc)
    return None if err is None else sqlite_reason(str(err))


def failure_message(exc: BaseException) -> tuple[str, bool]:
    """(one Chinese line, whether it was unexpected) for an exception a command raised."""
    if isinstance(exc, CaseworkerError):
        return str(exc), False
    if isinstance(exc, KeyboardInterrupt):
        return "已取消", False
    if isinstance(exc, MemoryError):
        return "内存不足，操作未完成。请关闭其他程序后再试。", True
    if isinstance(exc, BrokenPipeError):
        return "输出已中断：接收输出的程序先关闭了。", False
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else ""
        if exc.errno == errno.ENOSPC:
            return f"磁盘或 U 盘已满{'（' + str(where) + '）' if where else ''}，操作未完成。", True
        return f"无法读写 {where or '文件'}：{os_reason(exc)}。操作未完成。", True
    said = _database_message(exc)
    if said is not None:
        return said, True
    where = file_log()
    return (
        "发生了意外错误，操作未完成"
        + (f"（详情已记入日志 {where}）" if where else "")
        + "。请联系技术支持。",
        True,
    )


def _log_unraisable(unraisable: Any) -> None:
    with contextlib.suppress(Exception):
        log.warning("ignored %r in %r", unraisable.exc_value, unraisable.object)


def run(
    prog: str,
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    default: Callable[[argparse.Namespace], int] | None = None,
    compose: Callable[[Callable[[argparse.Namespace], int]], None] | None = None,
) -> int:
    """Parse `argv` and run the chosen command: its exit code, or 2 with one line on stderr.
    `compose` is called with the chosen command before it runs (to load what it needs)."""
    if not sys.warnoptions:
        # A library's warning on stderr would break "one line"; they are not for the person.
        warnings.simplefilter("ignore")
    # Nor is "Exception ignored in …" (a library's generator collected after a failed write),
    # nor a library's logged error: both go to the scrubbed log file only.
    sys.unraisablehook = _log_unraisable
    capture_library_logs()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2, already said)
        return stop.code if isinstance(stop.code, int) else EXIT_REFUSED
    func = getattr(args, "func", default)
    if func is None:
        print(f"{prog}: 参数错误：缺少命令（用 --help 查看用法）", file=sys.stderr)
        return EXIT_REFUSED
    # The logs the command attaches stay until it has reported: its workspace is closed (and
    # lets its log go) before an unexpected error reaches the `except` that logs it.
    with held_for_command():
        return _run_command(prog, func, args, compose)


def _run_command(
    prog: str,
    func: Callable[[argparse.Namespace], int],
    args: argparse.Namespace,
    compose: Callable[[Callable[[argparse.Namespace], int]], None] | None,
) -> int:
    try:
        if compose is not None:
            compose(func)
        return func(args)
    except BaseException as exc:
        if isinstance(exc, SystemExit):
            raise
        message, unexpected = failure_message(exc)
        if isinstance(exc, BrokenPipeError):
            # stdout's reader is gone: point stdout at nowhere so the exit's flush stays quiet
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if unexpected:
            command = " ".join(
                str(v) for k, v in sorted(vars(args).items()) if k.endswith("command")
            )
            log.error("command %s failed", command or prog, exc_info=exc)
        print(f"{prog}: {' '.join(message.split())}", file=sys.stderr)
        return EXIT_REFUSED


# -- what a command says ------------------------------------------------------------------------


def emit_json(obj: dict[str, Any]) -> None:
    """One machine-readable object on standard output (for `--json`): dates as ISO text."""
    print(json.dumps(obj, ensure_ascii=False, default=_plain, sort_keys=True))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value).__name__)


def answer(args: argparse.Namespace, facts: dict[str, Any], *lines: str) -> int:
    """A command's result and exit 0: its lines for people, or with `--json` one object."""
    if getattr(args, "json", False):
        emit_json(facts)
    else:
        for line in lines:
            print(line)
    return EXIT_OK


# -- declaring a sub-command ---------------------------------------------------------------------


def add_json_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="输出一个 JSON 对象（供脚本使用）")


@contextlib.contextmanager
def command(
    sub: Any,
    name: str,
    help: str,
    func: Callable[[argparse.Namespace], int],
    *,
    json: bool = True,
    first: Callable[[argparse.ArgumentParser], None] | None = None,
) -> Iterator[argparse.ArgumentParser]:
    """One sub-command, declared in one block: `first` (the office's `--workspace`), its own
    arguments inside the `with`; then, in that order (as `--help` lists them), `--json` and the
    function that runs it."""
    p = sub.add_parser(name, help=help)
    if first is not None:
        first(p)
    yield p
    if json:
        add_json_arg(p)
    p.set_defaults(func=func)


# -- opening what a command works on (shared by the command modules, so none imports a parser) --


def open_workspace(args: argparse.Namespace):  # -> Workspace
    """The office workspace `--workspace` names (opened lazily: `--help` loads no database)."""
    from caseworker.workspace import Workspace

    return Workspace.open(args.workspace)


def open_hub(args: argparse.Namespace):  # -> Hub
    """The district hub `--home`/`--db` name, with its log file attached (skipped if read-only)."""
    from caseworker.district.hub import Hub

    hub = Hub.open(args.home, args.db)
    hub.attach_log()
    return hub

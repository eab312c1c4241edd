"""`rows_checked_first`: a row generator whose permission check runs when it is called.

A generator function's body runs only at its first `next()`: without this, a caller without the
right would get a generator back (and an export file opened) before being refused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

from caseworker.domain.roles import Actor

P = ParamSpec("P")
T = TypeVar("T")


def rows_checked_first(
    check: Callable[[Actor], None],
) -> Callable[[Callable[P, Iterator[T]]], Callable[P, Iterator[T]]]:
    def wrap(rows: Callable[P, Iterator[T]]) -> Callable[P, Iterator[T]]:
        @functools.wraps(rows)
        def call(*args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
            actor: Any = kwargs["actor"] if "actor" in kwargs else args[1]
            check(actor)
            return rows(*args, **kwargs)

        return call

    return wrap

"""What the exports' row generators share: `rows_checked_first`, a row generator whose
permission check runs when it is called, and `paged`, every row of a paged query.

A generator function's body runs only at its first `next()`: without `rows_checked_first`, a
caller without the right would get a generator back (and an export file opened) before being
refused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
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


PAGE = 2000  # rows an export reads at a time


def paged(fetch: Callable[[int, int], Sequence[T]]) -> Iterator[T]:
    """Every row `fetch(offset, limit)` gives, a page of `PAGE` at a time, to the first page
    that is not full."""
    offset = 0
    while True:
        batch = fetch(offset, PAGE)
        yield from batch
        if len(batch) < PAGE:
            return
        offset += PAGE

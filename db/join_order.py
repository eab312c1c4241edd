"""A join whose left table drives the plan: `CROSS JOIN` on SQLite, a plain `JOIN` elsewhere.

SQLite picks the order of an inner join's tables itself and, to spare a GROUP BY its sort,
often walks the larger table through an index on the grouped column and probes the smaller
one per row (every child, to find the 4,000 cases; every resident, to find the referrals).
SQLite keeps the order of the tables on either side of `CROSS JOIN` as written, whatever the
statistics say (https://sqlite.org/optoverview.html#manual_control_of_query_plans_using_cross_join),
so a count over a small table joined to a large one reads as many rows as the small one has.
PostgreSQL has no such keyword with an ON clause and plans well from its statistics: it gets
the plain join.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import Join


class DrivenJoin(Join):
    """An inner join that SQLite must read left table first (see the module docstring)."""

    inherit_cache = True


@compiles(DrivenJoin)
def _plain(join: DrivenJoin, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.visit_join(join, **kw)


@compiles(DrivenJoin, "sqlite")
def _cross(join: DrivenJoin, compiler: SQLCompiler, **kw: Any) -> str:
    kw["asfrom"] = True
    assert join.onclause is not None  # driven_join always gives one
    return (
        join.left._compiler_dispatch(compiler, **kw)
        + " CROSS JOIN "
        + join.right._compiler_dispatch(compiler, **kw)
        + " ON "
        + join.onclause._compiler_dispatch(
            compiler, **{k: v for k, v in kw.items() if k != "asfrom"}
        )
    )


def driven_join(left: Any, right: Any, onclause: ColumnElement[bool]) -> FromClause:
    """`left JOIN right ON onclause`, read from `left` on SQLite (a `CROSS JOIN`)."""
    return DrivenJoin(left, right, onclause)

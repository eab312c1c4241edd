"""elderly_resident: fill the pinyin the roster import left empty

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 18:40:00

Until issue 21's import rework, `caseworker import roster` and 导入名单 wrote new residents with
`name_pinyin` and `name_letters` empty: a pinyin search did not find them and the roster sorted
them first. The import writes them now; this fills the rows already on file, as 0005 did, with a
Core update (not journaled: every replica runs this same migration on the same names and
computes the same values), in pages of 2,000 (bounded statements, bounded memory). The search
index's update trigger carries the new letters into it.
"""

from db import migration_kit as kit

revision: str = "0022"
down_revision: str | None = "0021"


def upgrade() -> None:
    kit.fill_pinyin("elderly_resident", only_empty=True)


def downgrade() -> None:
    # The filled values are what the import writes today: nothing to take back.
    pass

"""journal: ids as 16 bytes, the clock and time as integers, the record index without the table

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 21:15:00

A journal row named its change, transaction, device and person as 36-character text, its clock
as 22 characters and its time as 26; the record index repeated the table's name beside the id.
On disk they become a 16-byte blob each, two 64-bit integers and an index on the record id alone
(record ids are UUIDs, unique across tables): the file went from 2.29x its records to under 2x
(docs/performance.md, "Against the target of 2x"). The encodings are db/journal_packing.py's
(`id_to_disk`, `hlc_to_disk`, `time_to_disk`); every reader still sees text and datetimes and
bundles carry what they carried. Every row is rewritten (a change id looked up must be found the
same way in old rows and new), in this migration's one transaction: a failure leaves the journal
as it was, and `db.schema.ensure_schema` has taken the pre-migration backup before it runs.

- SQLite: the table is rebuilt (a column's affinity cannot change in place): one INSERT ... SELECT
  through the encoders registered as SQL functions, in `seq` order, so SQLite streams it (memory
  stays flat whatever the journal holds); the indexes are made after the rows, each in one sorted
  pass. The old table's pages go to the free list: the file does not shrink until `VACUUM`
  (`caseworker compact` does it, with a copy first), which this migration does not run.
- PostgreSQL (the district hub): one ALTER TABLE with a USING expression per column, the same
  encodings written in SQL (a single rewrite of the table; its indexes are rebuilt with it).

The downgrade gives back the text columns and the two-column record index.
"""

from typing import Any

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"

IDS = ("change_id", "tx_id", "device_id", "actor_id")
_OTHER_INDEXES = (
    ("ix_journal_device_hlc", "device_id, hlc"),
    ("ix_journal_actor_time", "actor_name, recorded_at"),
    ("ix_journal_recorded_at", "recorded_at"),
)


def _rebuild_sqlite(columns: dict[str, str], types: dict[str, str], record_index: str) -> None:
    """Copy the journal into a table with `types` for some columns, each value through the SQL
    expression `columns` gives, then put it in the old one's place with its indexes."""
    names = (
        "seq change_id tx_id hlc device_id actor_id actor_name table_name record_id op field "
        "old_value new_value recorded_at source"
    ).split()
    base = {
        "seq": "INTEGER NOT NULL",
        "change_id": "VARCHAR(36) NOT NULL",
        "tx_id": "VARCHAR(36) NOT NULL",
        "hlc": "VARCHAR(24) NOT NULL",
        "device_id": "VARCHAR(36) NOT NULL",
        "actor_id": "VARCHAR(36)",
        "actor_name": "VARCHAR(60) NOT NULL",
        "table_name": "VARCHAR(60) NOT NULL",
        "record_id": "VARCHAR(36) NOT NULL",
        "op": "VARCHAR(8) NOT NULL",
        "field": "VARCHAR(60)",
        "old_value": "TEXT",
        "new_value": "TEXT",
        "recorded_at": "DATETIME NOT NULL",
        "source": "VARCHAR(40) NOT NULL",
    }
    base.update(types)
    defs = ",\n  ".join(f"{n} {base[n]}" for n in names)
    op.execute(
        f"CREATE TABLE journal_0025 (\n  {defs},\n"
        "  CONSTRAINT pk_journal PRIMARY KEY (seq),\n"
        "  CONSTRAINT uq_journal_change_id UNIQUE (change_id)\n)"
    )
    select = ", ".join(columns.get(n, n) for n in names)
    op.execute(
        f"INSERT INTO journal_0025 ({', '.join(names)}) SELECT {select} FROM journal ORDER BY seq"
    )
    op.execute("DROP TABLE journal")
    op.execute("ALTER TABLE journal_0025 RENAME TO journal")
    op.execute(f"CREATE INDEX ix_journal_record ON journal ({record_index})")
    for name, cols in _OTHER_INDEXES:
        op.execute(f"CREATE INDEX {name} ON journal ({cols})")


def _sqlite_functions(raw: Any, functions: dict[str, Any]) -> None:
    for name, fn in functions.items():
        raw.create_function(name, 1, fn, deterministic=True)


def upgrade() -> None:
    from db.journal_packing import hlc_to_disk, id_to_disk, time_text_to_disk

    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        _sqlite_functions(
            raw,
            {
                "cw_id": lambda v: None if v is None else id_to_disk(v),
                "cw_hlc": lambda v: None if v is None else hlc_to_disk(v),
                "cw_time": lambda v: None if v is None else time_text_to_disk(v),
            },
        )
        _rebuild_sqlite(
            {
                **{n: f"cw_id({n})" for n in IDS},
                "hlc": "cw_hlc(hlc)",
                "recorded_at": "cw_time(recorded_at)",
            },
            {
                "change_id": "BLOB NOT NULL",
                "tx_id": "BLOB NOT NULL",
                "device_id": "BLOB NOT NULL",
                "actor_id": "BLOB",
                "hlc": "BIGINT NOT NULL",
                "recorded_at": "BIGINT NOT NULL",
            },
            "record_id",
        )
        return
    uuid = "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'"
    alters = [
        f"ALTER COLUMN {n} TYPE BYTEA USING CASE"
        f" WHEN {n} ~ {uuid} THEN decode(replace({n}, '-', ''), 'hex')"
        f" WHEN octet_length({n}) = 15 THEN '\\x0000'::bytea || convert_to({n}, 'UTF8')"
        f" ELSE '\\x00'::bytea || convert_to({n}, 'UTF8') END"
        for n in IDS
    ]
    # a clock that is not 15 + 6 digits, or past 2262, gives NULL: the NOT NULL column refuses
    # it and the whole upgrade rolls back (the hub's ingest never accepted one)
    alters.append(
        "ALTER COLUMN hlc TYPE BIGINT USING CASE WHEN hlc = '' THEN -1"
        " WHEN hlc ~ '^[0-9]{15}-[0-9]{6}$' AND left(hlc, 15)::numeric < 9223372036854"
        " THEN left(hlc, 15)::bigint * 1000000 + right(hlc, 6)::bigint END"
    )
    alters.append(
        "ALTER COLUMN recorded_at TYPE BIGINT USING"
        " extract(epoch FROM date_trunc('second', recorded_at))::bigint * 1000000"
        " + extract(microseconds FROM recorded_at)::bigint % 1000000"
    )
    op.execute("DROP INDEX ix_journal_record")
    op.execute(f"ALTER TABLE journal {', '.join(alters)}")
    op.execute("CREATE INDEX ix_journal_record ON journal (record_id)")


def downgrade() -> None:
    from db.journal_packing import hlc_from_disk, id_from_disk, time_from_disk

    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection

        def text_time(v: Any) -> str | None:
            t = time_from_disk(v)
            return None if t is None else t.strftime("%Y-%m-%d %H:%M:%S.%f")

        _sqlite_functions(
            raw,
            {"cw_id_text": id_from_disk, "cw_hlc_text": hlc_from_disk, "cw_time_text": text_time},
        )
        _rebuild_sqlite(
            {
                **{n: f"cw_id_text({n})" for n in IDS},
                "hlc": "cw_hlc_text(hlc)",
                "recorded_at": "cw_time_text(recorded_at)",
            },
            {},
            "table_name, record_id",
        )
        return
    alters = [
        f"ALTER COLUMN {n} TYPE VARCHAR(36) USING CASE WHEN octet_length({n}) = 16 THEN"
        f" regexp_replace(encode({n}, 'hex'), '^(.{{8}})(.{{4}})(.{{4}})(.{{4}})(.{{12}})$',"
        " '\\1-\\2-\\3-\\4-\\5')"
        f" WHEN octet_length({n}) = 17 AND get_byte({n}, 1) = 0"
        f" THEN convert_from(substring({n} FROM 3), 'UTF8')"
        f" ELSE convert_from(substring({n} FROM 2), 'UTF8') END"
        for n in IDS
    ]
    alters.append(
        "ALTER COLUMN hlc TYPE VARCHAR(24) USING CASE WHEN hlc < 0 THEN ''"
        " ELSE lpad((hlc / 1000000)::text, 15, '0') || '-' || lpad((hlc % 1000000)::text, 6, '0')"
        " END"
    )
    alters.append(
        "ALTER COLUMN recorded_at TYPE TIMESTAMP WITHOUT TIME ZONE USING"
        " timestamp '1970-01-01' + recorded_at * interval '1 microsecond'"
    )
    op.execute("DROP INDEX ix_journal_record")
    op.execute(f"ALTER TABLE journal {', '.join(alters)}")
    op.execute("CREATE INDEX ix_journal_record ON journal (table_name, record_id)")

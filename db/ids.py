"""Identifiers of records that travel between replicas: UUID v7 (time-ordered), as text."""

from __future__ import annotations

import os
import time
import uuid

import uuid6

# Namespace for deterministic ids of records every replica must agree on (e.g. settings by key).
NAMESPACE = uuid.UUID("6f1c2a52-8a4e-4b8e-9a51-3c0d7a1d5e10")


def new_id() -> str:
    return str(uuid6.uuid7())


def stable_id(kind: str, natural_key: str) -> str:
    """The same id on every replica for the same natural key."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{natural_key}"))


_last_batch_ms = 0


def new_ids(count: int) -> list[str]:
    """`count` UUID v7 ids at once, ascending (for bulk writers: a fraction of `new_id`'s cost).

    Each carries this millisecond (or one past the previous batch's) and 74 random bits from
    the OS, as `new_id` does; the batch is sorted, so its ids stay time-ordered among themselves.
    """
    global _last_batch_ms
    ms = max(time.time_ns() // 1_000_000, _last_batch_ms + 1)
    _last_batch_ms = ms
    head = (ms & 0xFFFFFFFFFFFF) << 80 | 0x7 << 76 | 0b10 << 62
    raw = os.urandom(10 * count)
    out = []
    for i in range(0, 10 * count, 10):
        r = int.from_bytes(raw[i : i + 10], "big")
        h = f"{head | (r >> 68 & 0xFFF) << 64 | r & 0x3FFFFFFFFFFFFFFF:032x}"
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    out.sort()
    return out

"""Identifiers of records that travel between replicas: UUID v7 (time-ordered), as text."""

from __future__ import annotations

import uuid

import uuid6

# Namespace for deterministic ids of records every replica must agree on (e.g. settings by key).
NAMESPACE = uuid.UUID("6f1c2a52-8a4e-4b8e-9a51-3c0d7a1d5e10")


def new_id() -> str:
    return str(uuid6.uuid7())


def stable_id(kind: str, natural_key: str) -> str:
    """The same id on every replica for the same natural key."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{natural_key}"))

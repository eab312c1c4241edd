"""Use cases. Each takes a Session and the acting user, does one thing a person would name, and
returns plain frozen dataclasses, never live ORM objects.

Importing the package registers each programme's after-merge hook with the sync layer
(`caseworker.sync.derived`), which knows no programme itself."""

from caseworker.services import _after_merge_hooks  # noqa: F401  (registers on import)

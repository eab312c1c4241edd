"""Errors of sync with messages a caseworker can act on; nothing was changed when one is raised."""

from __future__ import annotations

from caseworker.domain.errors import CaseworkerError


class SyncRefused(CaseworkerError):
    """A bundle or enrollment file was refused (damaged, forged, not for us, too new...)."""


class SyncCancelled(CaseworkerError):
    """The person cancelled an export; no file was left behind."""


class NotEnrolled(CaseworkerError):
    """This workspace has no sync identity yet (it has not been enrolled by the district)."""

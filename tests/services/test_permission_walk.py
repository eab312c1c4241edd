"""Every public service, called by every role (issue 8): whoever may not see a programme's
people is refused before the service touches a single argument or row.

The walk is generic: it finds the services by introspection, so a service added later is
walked too. A function that reads no personal data may go without an actor only when it is
listed below with the reason.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator

import pytest

import caseworker.services as services_pkg
from caseworker.domain.errors import PermissionDenied
from caseworker.domain.roles import PERMISSIONS, Actor, Permission, Role
from caseworker.workspace import Workspace
from tests.conftest import DemoCopy

EXTRA_MODULES = ("caseworker.sync.conflicts", "caseworker.sync.office")

# Public functions that take a session (or workspace) but no actor, and why that is safe.
NO_ACTOR_NEEDED: dict[str, str] = {
    "accounts.office": "the office's own name and code, shown on the login screen",
    "accounts.communities": "community names, needed before anyone logs in",
    "accounts.authenticate": "the login itself",
    "accounts.attempt": "one password try of a login or an unlock (office or district hub)",
    "accounts.check_password": "the password rules, applied by the services that set one",
    "children.cases.interval_for": "a district setting (visit interval per risk level)",
    "children.keys.on_login": "called by accounts at a login, with the password at hand",
    "children.keys.on_account_created": "called by accounts.create_staff (checked there)",
    "children.keys.on_password_changed": "called by accounts (checked there)",
    "children.keys.on_password_reset": "called by accounts.reset_password (checked there)",
    "children.keys.on_role_changed": "called by accounts.update_staff (checked there)",
    "children.keys.unlock_for_system": "the system's own key for sync and demo; no person",
    "children.keys.current_office_key": "the office key's record (sealed copies, no plaintext)",
    "children.keys.ensure_district_wrap": "seals the key for the district; called by checked code",
    "children.recovery.write_recovery_file": "the district's command (the hub has no accounts)",
    "children.keys.system_grant": "sealing the key to an account; called by checked services",
    "children.worklists.office_figures": "counts only, which every role may see",
    "elderly.schedule.intervals": "district settings",
    "elderly.schedule.intervals_on": "district settings (in force on given days)",
    "person_search.index_present": "whether the search index exists (the schema)",
    "person_search.plan": "a search's WHERE clause; called by list services that check first",
    "person_search.capped_count": "counts a statement a list service built after its check",
    "person_search.page_in_parts": "reads a statement a list service built after its check",
    "person_search.counted_page": "counts and pages a statement a list service built after its check",
    "elderly.schedule.recompute": "derived due dates, no result returned",
    "reports.units": "office and community names",
    "retrofit.catalogue.items": "the district's catalogue of items and prices",
    "retrofit.catalogue.item": "the district's catalogue of items and prices",
    "retrofit.catalogue.household_cap_fen": "a district setting",
    "retrofit.photos.hashes_of_case": "content hashes, used by the photo store's sweep",
    "retrofit.photos.referenced_hashes": "content hashes, used by the photo store's sweep",
    "retrofit.photos.missing_files": "content hashes, used by the photo store's check",
    "settings.get": "settings",
    "settings.pending": "settings scheduled for a later day (district reference data)",
    "dated.history": "the dated values of settings and the catalogue (reference data)",
    "dated.in_force_all": "the dated values of settings and the catalogue (reference data)",
    "dated.in_force": "the dated values of settings and the catalogue (reference data)",
    "dated.pending": "the dated values of settings and the catalogue (reference data)",
    "dated.cancel": "called by settings/catalogue.cancel_pending, which check first",
    "elderly.schedule.follow_intervals": "derived due dates (as recompute), no result returned",
    "retrofit.catalogue.pending": "the catalogue's changes scheduled for a later day",
    "settings.get_all": "settings",
    "settings.on_days": "settings (in force on given days)",
    "settings.managed_by_district": "settings",
    "sync.office.identity": "the office's device and district identity",
    "sync.office.enroll": "enrolling the PC, before any account exists",
    "sync.office.clock_status": "the PC's clock against the last bundle",
    "sync.office.bundles_in": "file names on the USB stick",
    "paper.layout_of": "where a printed form's tick boxes landed (geometry, no person)",
}

# What a role needs to see anything of a module's people (modules not listed: no check here).
NEEDS: dict[str, frozenset[Permission]] = {
    "elderly": frozenset({Permission.ELDERLY_VIEW}),
    "retrofit": frozenset({Permission.RETROFIT_VIEW}),
    "children": frozenset({Permission.CHILD_VIEW}),
    "audit": frozenset({Permission.VIEW_AUDIT}),
    "backups": frozenset({Permission.BACKUP_RESTORE}),
}


def _functions() -> Iterator[tuple[str, Callable]]:
    names = [m.name for m in pkgutil.walk_packages(services_pkg.__path__, "caseworker.services.")]
    for name in [*names, *EXTRA_MODULES]:
        module = importlib.import_module(name)
        short = name.removeprefix("caseworker.services.").removeprefix("caseworker.")
        if name.rsplit(".", 1)[-1].startswith("_"):
            continue  # a package's private helpers, called by services that check first
        for fn_name, fn in vars(module).items():
            if fn_name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != name:
                continue
            params = list(inspect.signature(fn).parameters)
            if params[:1] in (["session"], ["s"], ["ws"]):
                yield f"{short}.{fn_name}", fn


ALL = dict(_functions())


def test_the_walk_finds_the_services() -> None:
    assert len(ALL) > 80
    assert {"elderly.roster.get", "children.register.get", "audit.page"} <= ALL.keys()


def test_every_service_reading_people_takes_the_actor() -> None:
    missing = [
        name
        for name, fn in ALL.items()
        if "actor" not in inspect.signature(fn).parameters and name not in NO_ACTOR_NEEDED
    ]
    assert not missing, "\n".join(missing)
    stale = [name for name in NO_ACTOR_NEEDED if name not in ALL]
    assert stale == []  # the list follows the code


def _programme(name: str) -> str | None:
    head = name.split(".")[0]
    return head if head in NEEDS else None


# Functions whose right is not the programme's own (the administrator takes in a key recovery).
FUNCTION_NEEDS: dict[str, frozenset[Permission]] = {
    "children.recovery.take_recovery_file": frozenset({Permission.MANAGE_STAFF}),
    # a record's history is its programme's: the table named decides the right
    "audit.record_history": frozenset({Permission.ELDERLY_VIEW}),
}

# Arguments that decide which right applies, given real values (every other one is untouchable).
GIVEN: dict[str, dict[str, object]] = {
    "audit.record_history": {"table_name": "elderly_resident"},
}

# Services that answer every role, with counts only for those who may not see the people.
COUNTS_FOR_EVERYONE = {"children.worklists.figures"}


def _refused_cases() -> Iterator[tuple[str, Role]]:
    for name, fn in sorted(ALL.items()):
        programme = _programme(name)
        if programme is None or "actor" not in inspect.signature(fn).parameters:
            continue
        if name in COUNTS_FOR_EVERYONE:
            continue
        needs = FUNCTION_NEEDS.get(name, NEEDS[programme])
        for role in Role:
            if not PERMISSIONS[role] & needs:
                yield name, role


CASES = list(_refused_cases())


@pytest.fixture(scope="module")
def ws(demo_copy: DemoCopy) -> Iterator[Workspace]:
    # the demo test_reports_programmes and test_formula_injection read too: one build for all
    workspace = Workspace.open(demo_copy(60, 5))
    yield workspace
    workspace.close()


class Untouchable:
    """An argument that fails the test if a service uses it before checking the permission."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"argument used before the permission check (.{name})")

    def __iter__(self):
        raise AssertionError("argument iterated before the permission check")

    def __str__(self) -> str:
        raise AssertionError("argument read before the permission check")

    def __eq__(self, other: object) -> bool:
        raise AssertionError("argument compared before the permission check")

    __hash__ = None  # type: ignore[assignment]


def test_every_role_without_the_programme_is_refused_first(ws: Workspace) -> None:
    assert len(CASES) > 100
    from db.models import Staff

    with ws.reader() as s:
        staff = {
            Role(row.role): row for row in s.query(Staff).filter(Staff.deleted_at.is_(None)).all()
        }
    failures: list[str] = []
    for name, role in CASES:
        fn = ALL[name]
        row = staff.get(role)
        actor = Actor(
            row.id if row else None,
            row.username if row else role.value,
            row.display_name if row else role.label,
            role,
            row.community_id if row else None,
        )
        params = inspect.signature(fn).parameters
        kwargs: dict[str, object] = {}
        for pname, param in list(params.items())[1:]:
            if pname == "actor":
                kwargs[pname] = actor
            elif pname in GIVEN.get(name, {}):
                kwargs[pname] = GIVEN[name][pname]
            elif param.default is inspect.Parameter.empty and param.kind in (
                param.POSITIONAL_OR_KEYWORD,
                param.KEYWORD_ONLY,
            ):
                kwargs[pname] = Untouchable()
        first = ws if next(iter(params)) == "ws" else None
        try:
            if first is not None:
                fn(first, **kwargs)
            else:
                with ws.reader() as s:
                    fn(s, **kwargs)
        except PermissionDenied:
            continue
        except Exception as exc:
            failures.append(f"{name} as {role.value}: {type(exc).__name__}: {exc}"[:200])
        else:
            failures.append(f"{name} as {role.value}: not refused")
    assert not failures, "\n".join(failures)

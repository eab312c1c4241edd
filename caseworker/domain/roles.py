"""Staff roles and what each may do. The UI hides what a role may not do; services enforce it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    CASEWORKER = "caseworker"
    CHILD_SUPERVISOR = "child_supervisor"
    CHILD_DIRECTOR = "child_director"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "系统管理员",
    Role.SUPERVISOR: "科长（审批）",
    Role.CASEWORKER: "民政专干/社工",
    Role.CHILD_SUPERVISOR: "儿童督导员",
    Role.CHILD_DIRECTOR: "儿童主任",
}


class Permission(StrEnum):
    MANAGE_STAFF = "manage_staff"
    VIEW_AUDIT = "view_audit"
    EDIT_SETTINGS = "edit_settings"
    BACKUP_RESTORE = "backup_restore"
    ELDERLY_EDIT = "elderly_edit"
    ELDERLY_VIEW = "elderly_view"
    RETROFIT_EDIT = "retrofit_edit"
    RETROFIT_APPROVE = "retrofit_approve"
    RETROFIT_VIEW = "retrofit_view"
    CHILD_VIEW = "child_view"
    CHILD_EDIT = "child_edit"
    SYNC = "sync"
    RESOLVE_CONFLICTS = "resolve_conflicts"
    ELDERLY_VOID = "elderly_void"  # void a completed visit entered in error (supervisors)


_P = Permission
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            _P.MANAGE_STAFF,
            _P.VIEW_AUDIT,
            _P.EDIT_SETTINGS,
            _P.BACKUP_RESTORE,
            _P.SYNC,
            _P.ELDERLY_VIEW,
            _P.RETROFIT_VIEW,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            _P.ELDERLY_EDIT,
            _P.ELDERLY_VIEW,
            _P.RETROFIT_EDIT,
            _P.RETROFIT_APPROVE,
            _P.RETROFIT_VIEW,
            _P.SYNC,
            _P.RESOLVE_CONFLICTS,
            _P.VIEW_AUDIT,
            _P.BACKUP_RESTORE,
            _P.ELDERLY_VOID,
        }
    ),
    Role.CASEWORKER: frozenset(
        {_P.ELDERLY_EDIT, _P.ELDERLY_VIEW, _P.RETROFIT_EDIT, _P.RETROFIT_VIEW, _P.SYNC}
    ),
    # Child-protection records are seen only by child-protection roles (DOMAIN.md).
    Role.CHILD_SUPERVISOR: frozenset({_P.CHILD_VIEW, _P.CHILD_EDIT, _P.SYNC}),
    Role.CHILD_DIRECTOR: frozenset({_P.CHILD_VIEW, _P.CHILD_EDIT}),
}

# -- the district hub's own accounts (issue 24) ------------------------------------------------


class DistrictRole(StrEnum):
    """Roles of the district civil-affairs bureau's staff on the hub (never an office's)."""

    ADMIN = "district_admin"
    CLERK = "district_clerk"
    STATISTICIAN = "district_statistician"
    CHILD_CENTRE = "district_child_centre"

    @property
    def label(self) -> str:
        return DISTRICT_ROLE_LABELS[self]


DISTRICT_ROLE_LABELS: dict[DistrictRole, str] = {
    DistrictRole.ADMIN: "区级管理员",
    DistrictRole.CLERK: "区级业务员",
    DistrictRole.STATISTICIAN: "统计员",
    DistrictRole.CHILD_CENTRE: "区未保中心",
}


class DistrictPermission(StrEnum):
    MANAGE_OFFICES = "district_offices"  # enroll offices, devices, re-issue enrollment
    MANAGE_ACCOUNTS = "district_accounts"
    STATUS = "district_status"  # 工作台: every office's sync state
    BUNDLES = "district_bundles"  # ingest and export bundles
    RECORDS = "district_records"  # transfers, corrections, conflicts, duplicates
    CATALOGUE = "district_catalogue"  # settings and the retrofit catalogue
    FIGURES = "district_figures"  # the district report and retrofit figures
    CHILD_FIGURES = "district_child_figures"  # children's counts (numbers only)
    CHILD_RECOVERY = "district_child_recovery"  # an office's child-data key recovery file
    AUDIT = "district_audit"


_D = DistrictPermission
DISTRICT_PERMISSIONS: dict[DistrictRole, frozenset[Permission | DistrictPermission]] = {
    # The administrator runs the hub's structure and keys; the clerk its daily traffic. The
    # office-level permissions a role holds here are those of the shared services the hub
    # calls on its behalf (settings, resolving a conflict).
    DistrictRole.ADMIN: frozenset(
        {_D.MANAGE_OFFICES, _D.MANAGE_ACCOUNTS, _D.STATUS, _D.AUDIT, _P.VIEW_AUDIT}
    ),
    DistrictRole.CLERK: frozenset(
        {
            _D.STATUS,
            _D.BUNDLES,
            _D.RECORDS,
            _D.CATALOGUE,
            _D.FIGURES,
            _P.EDIT_SETTINGS,
            _P.RESOLVE_CONFLICTS,
            _P.SYNC,
        }
    ),
    DistrictRole.STATISTICIAN: frozenset({_D.FIGURES, _D.STATUS}),
    DistrictRole.CHILD_CENTRE: frozenset({_D.CHILD_FIGURES, _D.CHILD_RECOVERY}),
}

# Roles whose data view is limited to one community.
COMMUNITY_SCOPED: frozenset[Role] = frozenset({Role.CHILD_DIRECTOR})


@dataclass(frozen=True)
class Actor:
    """Who is acting: carried into every service call and every journal row."""

    staff_id: str | None
    username: str
    display_name: str
    role: Role | DistrictRole | None
    community_id: str | None = None

    def can(self, permission: Permission | DistrictPermission) -> bool:
        if self.role is None:  # the system actor (migrations, demo generation)
            return True
        if isinstance(self.role, DistrictRole):
            return permission in DISTRICT_PERMISSIONS[self.role]
        return permission in PERMISSIONS[self.role]

    @property
    def at_district(self) -> bool:
        """A person of the district bureau (an account of the hub, not of an office)."""
        return isinstance(self.role, DistrictRole)

    @staticmethod
    def system(reason: str = "system") -> Actor:
        """Changes made by the program itself; `reason` says on whose behalf (audit shows it)."""
        return Actor(None, reason, f"系统（{SYSTEM_REASONS.get(reason, reason)}）", None)


SYSTEM_REASONS = {
    "demo": "演示数据",
    "setup": "首次设置",
    "login": "登录",
    "sync": "数据同步",
    "district": "区民政局",
    "migration": "升级",
    "test": "测试",
}

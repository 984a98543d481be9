"""Named predicates for accounts and 三员分立 (等保 2.0 level 3, 安全管理中心).

The three administrator roles are exclusive (User.admin_role holds one) and none of them reaches
another's work: the system administrator runs users and org reference data, the security
administrator runs role and position assignment and the password/lockout policy, the audit
administrator only reads and exports the audit log. None holds a business position.
"""

from __future__ import annotations

import rules

from zhengwu.accounts.models import User


def _active_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and getattr(user, "kind", None) == User.Kind.STAFF)


def _role(role: str):
    @rules.predicate(name=f"is_{role}")
    def check(user) -> bool:
        return _active_staff(user) and user.admin_role == role

    return check


is_sysadmin = _role(User.AdminRole.SYSADMIN)
is_secadmin = _role(User.AdminRole.SECADMIN)
is_auditadmin = _role(User.AdminRole.AUDITADMIN)
is_admin = is_sysadmin | is_secadmin | is_auditadmin


@rules.predicate
def is_staff_member(user) -> bool:
    return _active_staff(user)


@rules.predicate
def is_business_staff(user) -> bool:
    """Staff who may hold business positions: not one of the three administrators."""
    return _active_staff(user) and not user.admin_role


@rules.predicate
def is_applicant(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.kind == User.Kind.APPLICANT)


@rules.predicate
def is_self(user, other) -> bool:
    return other is not None and getattr(user, "pk", None) is not None and user.pk == other.pk


@rules.predicate
def target_is_admin(user, other) -> bool:
    return other is not None and bool(other.admin_role)


can_manage_users = is_sysadmin
# Accounts of the three administrators are the security administrator's to look after, so the
# system administrator cannot take over the audit administrator's account by resetting its password.
can_manage_user = (is_sysadmin & ~target_is_admin) | (is_secadmin & target_is_admin & ~is_self)
can_reset_password = can_manage_user | is_self
can_assign_admin_roles = is_secadmin
can_manage_security_policy = is_secadmin
can_view_audit_log = is_auditadmin
can_export_audit_log = is_auditadmin

rules.add_perm("accounts.manage_users", can_manage_users)
rules.add_perm("accounts.manage_user", can_manage_user)
rules.add_perm("accounts.assign_admin_roles", can_assign_admin_roles)
rules.add_perm("accounts.manage_security_policy", can_manage_security_policy)
rules.add_perm("accounts.view_audit_log", can_view_audit_log)
rules.add_perm("accounts.export_audit_log", can_export_audit_log)

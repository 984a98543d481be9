"""Every write to accounts: atomic, permission-checked, audited in the same transaction.

Personal data (real names, phones) stays out of the audit rows: they carry usernames and ids.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhengwu.accounts import permissions as perms
from zhengwu.accounts.models import SecurityPolicy, User
from zhengwu.accounts.selectors import security_policy_get
from zhengwu.core.audit import audit_record
from zhengwu.core.errors import Conflict, PermissionDenied, ValidationFailed

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{3,150}$")


def _is_system(actor) -> bool:
    return actor is None or isinstance(actor, str)


def _authorise(actor, predicate, obj=None) -> None:
    if _is_system(actor):
        return
    allowed = predicate.test(actor, obj) if obj is not None else predicate.test(actor)
    if not allowed:
        raise PermissionDenied("您无权执行此操作", "you are not allowed to do this")


def _mobile(value: str | None) -> str:
    phone = re.sub(r"[\s\-]", "", value or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if phone and not _MOBILE.match(phone):
        raise ValidationFailed(f"手机号码格式不正确：{value}", "invalid mainland mobile number", field="phone")
    return phone


def _real_name(value: str | None) -> str:
    name = (value or "").strip()
    if len(name) > 50:
        raise ValidationFailed("姓名不能超过 50 个字", "real_name is longer than 50", field="real_name")
    return name


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed("；".join(exc.messages), "the password does not meet the password policy",
                               field="password") from None


def user_create(*, actor, username: str, password: str | None, real_name: str = "", phone: str = "",
                email: str = "", kind: str = User.Kind.STAFF, must_change_password: bool | None = None,
                password_never_expires: bool = False) -> User:
    """Create an account. Staff accounts made by an administrator must change their initial password.

    password=None provisions a staff account (e.g. from a personnel list) that cannot sign in until
    an administrator sets an initial password.
    """
    _authorise(actor, perms.can_manage_users)
    username = (username or "").strip()
    if not _USERNAME.match(username):
        raise ValidationFailed("用户名须为 3–150 位字母、数字或 _ . @ + -",
                               "username: 3–150 letters, digits or _ . @ + -", field="username")
    if kind not in User.Kind.values:
        raise ValidationFailed(f"账户类型无效：{kind}", f"invalid kind {kind}", field="kind")
    user = User(username=username, real_name=_real_name(real_name), phone=_mobile(phone),
                email=(email or "").strip(), kind=kind)
    if password is None and kind == User.Kind.STAFF:
        user.set_unusable_password()
    elif not password:
        raise ValidationFailed("请设置初始密码", "an initial password is required", field="password")
    else:
        _check_password(password, user)
        user.set_password(password)
    user.must_change_password = kind == User.Kind.STAFF if must_change_password is None else must_change_password
    user.password_changed_at = timezone.now()
    user.password_never_expires = password_never_expires
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(f"用户名 {username} 已被使用", f"username {username} is taken", field="username")
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise Conflict(f"用户名 {username} 已被使用", f"username {username} is taken",
                           field="username") from None
        audit_record(actor=actor, action="accounts.user.create", obj=user, object_repr=username,
                     data={"username": username, "kind": kind, "must_change_password": user.must_change_password,
                           "password_never_expires": password_never_expires})
    return user


_USER_FIELDS = ("real_name", "phone", "email")


def user_update(*, actor, user: User, **changes: Any) -> User:
    unknown = set(changes) - set(_USER_FIELDS)
    if unknown:
        raise ValidationFailed(f"不能修改字段：{', '.join(sorted(unknown))}", "fields not editable here",
                               field=sorted(unknown)[0])
    _authorise(actor, perms.can_manage_user, user)
    cleaned = {}
    if "real_name" in changes:
        cleaned["real_name"] = _real_name(changes["real_name"])
    if "phone" in changes:
        cleaned["phone"] = _mobile(changes["phone"])
    if "email" in changes:
        cleaned["email"] = (changes["email"] or "").strip()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        changed = [f for f, v in cleaned.items() if getattr(user, f) != v]
        if not changed:
            return user
        for field in changed:
            setattr(user, field, cleaned[field])
        user.save(update_fields=changed)
        # Which fields changed, not their values: names and phones are personal data.
        audit_record(actor=actor, action="accounts.user.update", obj=user, object_repr=user.username,
                     data={"fields": changed})
    return user


def user_set_active(*, actor, user: User, active: bool, reason: str = "") -> User:
    """Disable (or re-enable) an account; 等保 8.1.4.2 c: remove surplus and expired accounts."""
    _authorise(actor, perms.can_manage_user, user)
    if not _is_system(actor) and actor.pk == user.pk:
        raise PermissionDenied("不能停用自己的账户", "you cannot disable your own account")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active == active:
            raise Conflict("账户已是该状态", "the account is already in that state")
        if not active and user.admin_role == User.AdminRole.SECADMIN and not User.objects.filter(
                admin_role=User.AdminRole.SECADMIN, is_active=True).exclude(pk=user.pk).exists():
            raise ValidationFailed("不能停用最后一个安全管理员", "the last security administrator cannot be disabled")
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_record(actor=actor, action="accounts.user.activate" if active else "accounts.user.deactivate",
                     obj=user, object_repr=user.username, data={"reason": reason})
    return user


def user_set_password(*, actor, user: User, password: str) -> User:
    """Change a password. Set by someone else it is an initial password, to be changed at next login."""
    _authorise(actor, perms.can_reset_password, user)
    own = not _is_system(actor) and actor.pk == user.pk
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        _check_password(password, user)
        user.set_password(password)
        user.must_change_password = not own
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "must_change_password", "password_changed_at"])
        audit_record(actor=actor, action="accounts.user.password_change" if own else "accounts.user.password_reset",
                     obj=user, object_repr=user.username, data={"must_change_password": user.must_change_password})
    return user


def user_set_admin_role(*, actor, user: User, role: str) -> User:
    """Give or take one of the three administrator roles (三员分立), done by the security administrator.

    An administrator holds no business post, and admin-site access (is_staff) follows the role.
    """
    _authorise(actor, perms.can_assign_admin_roles)
    if role not in User.AdminRole.values:
        raise ValidationFailed(f"管理员角色无效：{role}", f"invalid admin role {role}", field="admin_role")
    if not _is_system(actor) and actor.pk == user.pk:
        raise PermissionDenied("不能修改自己的管理员角色", "you cannot change your own administrator role")
    from zhengwu.org.models import Position, StaffPost

    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.admin_role == role:
            return user
        if role and (user.kind != User.Kind.STAFF or not user.is_active):
            raise ValidationFailed("只有在用的工作人员账户可以担任管理员", "only active staff can be administrators",
                                   field="user")
        if role and StaffPost.objects.filter(user=user, is_active=True).exists():
            raise ValidationFailed(f"{user.username} 仍有业务岗位，三员不得兼任业务岗位，请先撤销岗位",
                                   "administrators cannot hold business posts; end the posts first",
                                   field="admin_role")
        if user.admin_role == User.AdminRole.SECADMIN and not User.objects.filter(
                admin_role=User.AdminRole.SECADMIN, is_active=True).exclude(pk=user.pk).exists():
            raise ValidationFailed("不能撤销最后一个安全管理员", "the last security administrator cannot be removed",
                                   field="admin_role")
        old = user.admin_role
        user.admin_role = role
        user.is_staff = bool(role) or StaffPost.objects.filter(
            user=user, position=Position.CENTRE_ADMIN, is_active=True).exists()
        user.is_superuser = False
        user.save(update_fields=["admin_role", "is_staff", "is_superuser"])
        audit_record(actor=actor, action="accounts.user.admin_role", obj=user, object_repr=user.username,
                     data={"admin_role": [old, role]})
    return user


# Bounds keep the policy within what 等保 assessors accept (RULES.md §10).
POLICY_BOUNDS = {
    "password_min_length": (8, 64),
    "password_min_classes": (2, 4),
    "password_max_age_days": (0, 365),
    "lockout_threshold": (1, 10),
    "lockout_seconds": (60, 86400),
    "session_idle_seconds": (60, 7200),
}


def security_policy_update(*, actor, **values: int) -> SecurityPolicy:
    _authorise(actor, perms.can_manage_security_policy)
    unknown = set(values) - set(POLICY_BOUNDS)
    if unknown:
        raise ValidationFailed(f"未知的策略项：{', '.join(sorted(unknown))}", "unknown policy values",
                               field=sorted(unknown)[0])
    for field, value in values.items():
        low, high = POLICY_BOUNDS[field]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            label = getattr(SecurityPolicy._meta.get_field(field), "verbose_name", field)
            raise ValidationFailed(f"{label}应在 {low}–{high} 之间", f"{field} must be between {low} and {high}",
                                   field=field)
    with transaction.atomic():
        policy = SecurityPolicy.objects.select_for_update().filter(pk=1).first() or security_policy_get()
        diff = {f: [getattr(policy, f), v] for f, v in values.items() if getattr(policy, f) != v}
        if not diff and policy._state.adding is False:
            return policy
        for field, value in values.items():
            setattr(policy, field, value)
        policy.save()
        audit_record(actor=actor, action="accounts.security_policy.update", obj=policy, data=diff)
    return policy


def user_login_failure_record(*, username: str) -> User | None:
    """Count a failed login; at the policy's threshold lock the account for the policy's time.

    等保 8.1.4.1 b: 登录失败处理 — limit illegal attempts. The count restarts after a lock.
    """
    policy = security_policy_get()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None:
            return None
        user.failed_login_count += 1
        fields = ["failed_login_count"]
        if user.failed_login_count >= policy.lockout_threshold:
            user.locked_until = timezone.now() + dt.timedelta(seconds=policy.lockout_seconds)
            user.failed_login_count = 0
            fields.append("locked_until")
            audit_record(actor=None, action="accounts.user.locked", obj=user, object_repr=user.username,
                         outcome="failure",
                         data={"locked_until": user.locked_until.isoformat(), "threshold": policy.lockout_threshold})
        user.save(update_fields=fields)
    return user


def user_login_success_record(*, user: User) -> None:
    """A successful login clears the failure count. Not audited here: the login itself is."""
    if user.failed_login_count or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
        user.failed_login_count, user.locked_until = 0, None


def user_unlock(*, actor, user: User) -> User:
    _authorise(actor, perms.can_manage_user | perms.is_secadmin, user)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_locked() and not user.failed_login_count:
            raise Conflict("该账户未被锁定", "the account is not locked")
        user.locked_until = None
        user.failed_login_count = 0
        user.save(update_fields=["locked_until", "failed_login_count"])
        audit_record(actor=actor, action="accounts.user.unlock", obj=user, object_repr=user.username)
    return user


def user_set_password_expiry(*, actor, user: User, never_expires: bool) -> User:
    """Exempt an account from the password's maximum age (or end the exemption): a security policy
    decision, so it is the security administrator's."""
    _authorise(actor, perms.can_manage_security_policy)
    if not _is_system(actor) and actor.pk == user.pk:
        raise PermissionDenied("不能修改自己账户的密码有效期设置", "you cannot exempt your own password")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.password_never_expires == never_expires:
            return user
        user.password_never_expires = never_expires
        user.save(update_fields=["password_never_expires"])
        audit_record(actor=actor, action="accounts.user.password_expiry", obj=user, object_repr=user.username,
                     data={"password_never_expires": never_expires})
    return user

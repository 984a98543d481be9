"""Second factor for staff: TOTP (RFC 6238) through django-otp's TOTP device.

等保 8.1.4.1 d asks for two or more factors, one of them cryptographic: the password plus a
time-based code from a key held on the staff member's phone. Required for the three
administrators and for supervisors; other staff may enrol, and must once enrolled, or all staff
must when settings.ZHENGWU["OTP_REQUIRED_FOR_ALL_STAFF"] is on.

Wrong codes count as failed logins, so the account lockout of the security policy applies to the
second step too (a stolen password cannot be used to guess six digits at leisure).
"""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengwu.accounts import permissions as perms
from zhengwu.accounts.models import User
from zhengwu.core.audit import audit_record
from zhengwu.core.errors import Conflict, PermissionDenied, ValidationFailed
from zhengwu.core.models import AuditEvent

PENDING_KEY = "zhengwu_otp_pending"
NEXT_KEY = "zhengwu_otp_next"
DEVICE_NAME = "TOTP"


def otp_required(user) -> bool:
    """Whether this account must pass the second factor at every login."""
    if not perms.is_staff_member(user):
        return False
    if user.admin_role or settings.ZHENGWU.get("OTP_REQUIRED_FOR_ALL_STAFF", False):
        return True
    from zhengwu.org.models import Position, StaffPost

    return StaffPost.objects.filter(user=user, position=Position.SUPERVISOR, is_active=True).exists()


def otp_device_get(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def otp_pending_device_get(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def otp_step_needed(user) -> bool:
    return otp_required(user) or otp_device_get(user) is not None


def _clean_token(token: str | None) -> str:
    token = (token or "").strip().replace(" ", "")
    if not (token.isdigit() and len(token) == 6):
        raise ValidationFailed("请输入 6 位数字动态口令", "enter the 6-digit code", field="token")
    return token


def otp_secret_base32(device: TOTPDevice) -> str:
    """The key as authenticator apps take it when typed in by hand."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def otp_qr_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1f2328", light="#ffffff",
                                                               title="动态口令绑定二维码")


def otp_device_start(*, actor: User) -> TOTPDevice:
    """A fresh, unconfirmed key for the actor's own phone; any earlier unconfirmed key is dropped."""
    if not perms.is_staff_member(actor):
        raise PermissionDenied("只有工作人员可以绑定动态口令", "only staff can enrol a second factor")
    with transaction.atomic():
        if otp_device_get(actor) is not None:
            raise Conflict("已绑定动态口令；如需更换手机，请联系安全管理员重置", "a device is already enrolled")
        TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=actor, name=DEVICE_NAME, confirmed=False)
        audit_record(actor=actor, action="accounts.otp.enrol_start", obj=actor, object_repr=actor.username)
    return device


def otp_device_confirm(*, actor: User, token: str, request=None) -> TOTPDevice:
    """Confirm enrolment with a first code from the phone, which proves the key was copied right."""
    token = _clean_token(token)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
        if device is None:
            raise Conflict("请先生成绑定二维码", "start the enrolment first")
        ok = device.verify_token(token)
        if ok:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        # The failed attempt is recorded too, so it commits rather than rolling back with an exception.
        audit_record(actor=actor, action="accounts.otp.enrol", obj=actor, object_repr=actor.username,
                     outcome=AuditEvent.Outcome.SUCCESS if ok else AuditEvent.Outcome.FAILURE)
    if not ok:
        raise ValidationFailed("动态口令不正确，请核对手机时间后重试", "the code is not correct", field="token")
    if request is not None:
        _verified(request, device)
    return device


def otp_verify(*, user: User, token: str, request=None) -> bool:
    """Check a login code. A wrong code is a failed login for the lockout policy; returns success."""
    from zhengwu.accounts.services import user_login_failure_record

    token = _clean_token(token)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk).is_locked()
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            raise Conflict("尚未绑定动态口令", "no device enrolled")
        # A locked account is refused before the code is looked at, as with the password step.
        ok = not locked and device.verify_token(token)
        if ok:
            audit_record(actor=user, action="accounts.otp.verify", obj=user, object_repr=user.username)
    if ok:
        if request is not None:
            _verified(request, device)
        return True
    with transaction.atomic():
        if not locked:
            user_login_failure_record(username=user.username)
        audit_record(actor=user, action="accounts.otp.verify", obj=user, object_repr=user.username,
                     outcome=AuditEvent.Outcome.FAILURE, data={"locked": locked})
    return False


def otp_device_reset(*, actor, user: User, reason: str = "") -> int:
    """Remove a user's keys (lost or changed phone); the next login enrols again."""
    system = actor is None or isinstance(actor, str)  # manage.py otp_reset, run by an operator
    if not system and not perms.can_manage_user.test(actor, user):
        raise PermissionDenied("您无权重置该账户的动态口令", "you cannot reset this account's second factor")
    with transaction.atomic():
        count, _ = TOTPDevice.objects.filter(user=user).delete()
        if not count:
            raise Conflict("该账户未绑定动态口令", "no device to reset")
        audit_record(actor=actor, action="accounts.otp.reset", obj=user, object_repr=user.username,
                     data={"reason": reason})
    return count


def _verified(request, device: TOTPDevice) -> None:
    otp_login(request, device)
    request.session.pop(PENDING_KEY, None)


@receiver(user_logged_in, dispatch_uid="zhengwu.accounts.otp.pending")
def _start_second_step(sender, request, user, **kwargs):
    # Any login made while serving a real request starts the second step, whichever login form
    # was used (a staff member signing in on the applicants' page included). The test client's
    # login()/force_login() build a bare HttpRequest with an empty path, like tokens would, and
    # are not asked for a code behind their back.
    if request is None or not getattr(request, "path", "") or not hasattr(request, "session"):
        return
    if otp_step_needed(user):
        request.session[PENDING_KEY] = True

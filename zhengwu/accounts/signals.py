"""Logins, logouts and failed logins go to the audit log (等保 8.1.4.3 a: important behaviour and
security events; b: time, user, event type, outcome)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from zhengwu.core.audit import audit_record
from zhengwu.core.models import AuditEvent


def _login_paths() -> set[str]:
    from django.urls import reverse

    return {reverse("accounts:login"), reverse("admin:login")}


@receiver(user_logged_in, dispatch_uid="zhengwu.accounts.login")
def _logged_in(sender, request, user, **kwargs):
    from zhengwu.accounts.services import user_login_success_record

    # Sessions opened on a login page carry the idle clock (see IdleTimeoutMiddleware).
    if request is not None and hasattr(request, "session") and request.path in _login_paths():
        import time

        from zhengwu.accounts.middleware import SEEN_KEY

        request.session[SEEN_KEY] = time.time()
    with transaction.atomic():
        user_login_success_record(user=user)
        audit_record(actor=user, action="accounts.login", obj=user, object_repr=user.get_username())


@receiver(user_logged_out, dispatch_uid="zhengwu.accounts.logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        with transaction.atomic():
            audit_record(actor=user, action="accounts.logout", obj=user, object_repr=user.get_username())


@receiver(user_login_failed, dispatch_uid="zhengwu.accounts.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    from zhengwu.accounts.services import user_login_failure_record

    username = str(credentials.get("username", ""))[:150]
    with transaction.atomic():
        user_login_failure_record(username=username)
        audit_record(actor=None, action="accounts.login_failed", object_type="accounts.user",
                     object_repr=username, outcome=AuditEvent.Outcome.FAILURE, data={"username": username})

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signs in: staff of a centre or department, or an applicant (citizen / enterprise).

    三员分立: `admin_role` holds at most one of the three administrator roles, so one account can
    never be system, security and audit administrator at once; services also refuse business
    positions to administrators.
    """

    class Kind(models.TextChoices):
        STAFF = "staff", "工作人员"
        APPLICANT = "applicant", "申请人"

    class AdminRole(models.TextChoices):
        NONE = "", "无"
        SYSADMIN = "sysadmin", "系统管理员"
        SECADMIN = "secadmin", "安全管理员"
        AUDITADMIN = "auditadmin", "审计管理员"

    kind = models.CharField("账户类型", max_length=10, choices=Kind.choices, default=Kind.STAFF)
    real_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号码", max_length=20, blank=True)
    admin_role = models.CharField("管理员角色", max_length=12, choices=AdminRole.choices, blank=True, default="")
    must_change_password = models.BooleanField("须修改初始密码", default=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    password_never_expires = models.BooleanField(
        "密码永不过期", default=False, help_text="仅用于演示账户等特殊账户；不受密码有效期约束")
    failed_login_count = models.PositiveSmallIntegerField("连续登录失败次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return self.real_name or self.username

    @property
    def display_name(self) -> str:
        return self.real_name or self.username

    def is_locked(self, now=None) -> bool:
        from django.utils import timezone

        return self.locked_until is not None and self.locked_until > (now or timezone.now())


class SecurityPolicy(models.Model):
    """Password and lockout policy values, set by the security administrator.

    GB/T 22239-2019 8.1.4.1 requires complexity, periodic change, failure handling and idle
    logout without fixing numbers; the defaults are common assessor practice (RULES.md §10).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    password_min_length = models.PositiveSmallIntegerField("密码最小长度", default=8)
    password_min_classes = models.PositiveSmallIntegerField(
        "密码字符类别数", default=3, help_text="大写字母、小写字母、数字、符号四类中至少包含几类")
    password_max_age_days = models.PositiveSmallIntegerField("密码有效期（天）", default=90,
                                                             help_text="0 表示不强制定期更换")
    lockout_threshold = models.PositiveSmallIntegerField("连续失败锁定次数", default=5)
    lockout_seconds = models.PositiveIntegerField("锁定时长（秒）", default=600)
    session_idle_seconds = models.PositiveIntegerField("会话空闲超时（秒）", default=600)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "密码与锁定策略"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return "密码与锁定策略"

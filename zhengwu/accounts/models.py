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

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return self.real_name or self.username

    @property
    def display_name(self) -> str:
        return self.real_name or self.username

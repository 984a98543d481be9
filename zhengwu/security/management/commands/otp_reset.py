from django.core.management.base import BaseCommand, CommandError

from zhengwu.accounts.models import User
from zhengwu.accounts.otp import otp_device_reset
from zhengwu.core.errors import DomainError


class Command(BaseCommand):
    help = "重置用户的动态口令（手机丢失或更换），下次登录重新绑定 / remove a user's TOTP device"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="原因，写入审计日志 / reason, audited")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户不存在：{options['username']} / no such user")
        try:
            otp_device_reset(actor="manage.py otp_reset", user=user, reason=options["reason"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已重置 {user.username} 的动态口令 / TOTP device removed")

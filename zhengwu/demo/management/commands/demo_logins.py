from django.core.management.base import BaseCommand

from zhengwu.accounts.models import User
from zhengwu.demo import data


class Command(BaseCommand):
    help = "列出演示账户：角色、用户名、密码（每个账户一行）。"

    def handle(self, *args, **options):
        present = set(User.objects.filter(username__in=[u for u, *_ in data.DEMO_LOGINS], is_active=True)
                      .values_list("username", flat=True))
        if not present:
            self.stdout.write("尚未载入演示数据，请先运行 manage.py seed_demo / run manage.py seed_demo first")
            return
        self.stdout.write(f"演示账户（{data.COUNTY[1]}，业务岗位在{data.DEMO_DEPARTMENT}）/ demo logins:")
        width = max(len(label) for _u, _n, label, _r in data.DEMO_LOGINS)
        for username, _name, label, _role in data.DEMO_LOGINS:
            if username in present:
                self.stdout.write(f"  {label.ljust(width, '　')}  {username:<14} {data.DEMO_PASSWORD}")

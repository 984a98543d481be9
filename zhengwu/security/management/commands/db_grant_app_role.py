"""Give the application's PostgreSQL role row access and nothing more (zhengwu/security/dbroles.py, docs/deploy.md §1)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from zhengwu.core.errors import DomainError
from zhengwu.security.dbroles import app_role_grant, app_role_statements


class Command(BaseCommand):
    help = ("以表所有者身份运行：授予应用角色对数据行的 SELECT/INSERT/UPDATE/DELETE 与序列 USAGE，"
            "审计表只读与追加 / run as the table owner: grant the application role row access only")

    def add_arguments(self, parser):
        parser.add_argument("role", help="应用连接数据库所用的角色 / the application's role")
        parser.add_argument("--print", action="store_true",
                            help="只打印 SQL（--owner 与 --database 指定所有者和库名），不执行 / print the SQL only")
        parser.add_argument("--owner", default="zhengwu_owner", help="仅 --print：表所有者角色 / table owner (with --print)")
        parser.add_argument("--database", default="zhengwu", help="仅 --print：数据库名 / database name (with --print)")

    def handle(self, *args, **options):
        try:
            if options["print"]:
                statements = app_role_statements(role=options["role"], owner=options["owner"],
                                                 database=options["database"])
            else:
                with transaction.atomic():
                    statements = app_role_grant(role=options["role"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for statement in statements:
            self.stdout.write(statement + ";")
        if not options["print"]:
            self.stdout.write(f"已授予 {options['role']}（数据库 {connection.settings_dict['NAME']}）/ granted")

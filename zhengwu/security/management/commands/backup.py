from django.core.management.base import BaseCommand, CommandError

from zhengwu.core.errors import DomainError
from zhengwu.security.backup import backup_create


class Command(BaseCommand):
    help = "备份数据库（SQLite 在线备份 / PostgreSQL pg_dump -Fc）/ back up the database"

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="备份目录 / output directory")
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        try:
            path = backup_create(actor="manage.py backup", out_dir=options["out"], alias=options["database"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"备份完成 / backup written: {path}")

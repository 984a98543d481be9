from django.core.management.base import BaseCommand, CommandError

from zhengwu.core.errors import DomainError
from zhengwu.security.backup import backup_restore, media_restore


class Command(BaseCommand):
    help = "从备份恢复数据库，覆盖现有数据；生产环境须加 --yes / restore the database from a backup"

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件 / backup file")
        parser.add_argument("--yes", action="store_true", help="确认覆盖（生产环境必需）/ confirm overwrite")
        parser.add_argument("--database", default="default")
        parser.add_argument("--media", help="附件备份 zhengwu-…-media.tar.gz / media archive to unpack into MEDIA_ROOT")

    def handle(self, *args, **options):
        try:
            backup_restore(actor="manage.py restore", path=options["file"], alias=options["database"],
                           confirmed=options["yes"])
            if options["media"]:
                count = media_restore(actor="manage.py restore", path=options["media"], confirmed=options["yes"])
                self.stdout.write(f"附件已恢复 {count} 个 / media files restored: {count}")
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write("恢复完成，请运行 manage.py verify_audit 校验审计链 / restored; run verify_audit")

from django.core.management.base import BaseCommand, CommandError

from zhengwu.core.audit import audit_lanes, audit_verify
from zhengwu.core.models import AuditArchive


class Command(BaseCommand):
    help = "校验审计日志的 SM3 哈希链（含归档文件）/ verify the audit log's SM3 hash chain, archives included"

    def add_arguments(self, parser):
        parser.add_argument("--archive-dir", default=None,
                            help="归档文件所在目录（默认 AUDIT_ARCHIVE_DIR），用于异地副本 / where the archive files are")

    def handle(self, *args, **options):
        checked, problems = audit_verify(archive_dir=options["archive_dir"])
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(f"审计链校验失败：{len(problems)} 处问题（共 {checked} 条）/ audit chain broken")
        archives = AuditArchive.objects.count()
        suffix = f"（含 {archives} 个归档文件）" if archives else ""
        lanes = len(audit_lanes())
        self.stdout.write(f"审计链完整：{lanes} 条链共 {checked} 条{suffix} / audit chain intact: {checked} events in {lanes} lane{'' if lanes == 1 else 's'}")

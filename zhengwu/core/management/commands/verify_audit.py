from django.core.management.base import BaseCommand, CommandError

from zhengwu.core.audit import audit_verify


class Command(BaseCommand):
    help = "校验审计日志的 SM3 哈希链 / verify the audit log's SM3 hash chain"

    def handle(self, *args, **options):
        checked, problems = audit_verify()
        for problem in problems:
            self.stderr.write(f"第 {problem.seq} 条：{problem.problem}")
        if problems:
            raise CommandError(f"审计链校验失败：{len(problems)} 处问题（共 {checked} 条）/ audit chain broken")
        self.stdout.write(f"审计链完整：{checked} 条 / audit chain intact: {checked} events")

"""Re-encrypt personal data at rest under a new ZHENGWU_DATA_KEY (zhengwu/core/keyrotation.py, docs/deploy.md §9)."""

from django.core.management.base import BaseCommand, CommandError

from zhengwu.core.crypto import key_id, previous_key_id
from zhengwu.core.errors import DomainError
from zhengwu.core.keyrotation import DEFAULT_BATCH, data_key_rotate, data_key_survey


class Command(BaseCommand):
    help = ("用新的 ZHENGWU_DATA_KEY 重新加密全部加密字段并重建索引（旧密钥放在 ZHENGWU_DATA_KEY_PREVIOUS）；"
            "分批提交，中断后重新运行即可继续 / re-encrypt every encrypted value and rebuild every keyed index "
            "under ZHENGWU_DATA_KEY, in batches; re-run to resume")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH,
                            help=f"每批（一个事务）的行数，默认 {DEFAULT_BATCH} / rows per transaction")
        parser.add_argument("--check", action="store_true",
                            help="只统计尚未在当前密钥下的数据，不修改 / only count what is left, change nothing")

    def handle(self, *args, **options):
        self.stdout.write(f"当前密钥标识 {key_id()}，旧密钥标识 {previous_key_id() or '未设置'} / "
                          f"current key id {key_id()}, previous {previous_key_id() or 'unset'}")
        if options["check"]:
            reports = data_key_survey()
            for report in reports:
                keys = ", ".join(f"{k}: {n}" for k, n in report.by_key.items()) or "-"
                self.stdout.write(f"{report.name}  待轮换 {report.pending} 条（{keys}）")
            if any(r.pending for r in reports):
                raise CommandError("仍有数据不在当前密钥下 / some values are not under the current key yet")
            self.stdout.write("全部数据已在当前密钥下 / every value is under the current key")
            return

        def progress(name: str, done: int) -> None:
            self.stdout.write(f"{name}  已重新加密 {done} 条")
            self.stdout.flush()

        try:
            reports = data_key_rotate(actor="manage.py rotate_data_key", batch_size=options["batch_size"],
                                      progress=progress)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for report in reports:
            self.stdout.write(f"{report.name}  重新加密 {report.rewritten} 条")
        left = {r.name: r.pending for r in data_key_survey() if r.pending}
        if left:
            raise CommandError(f"轮换期间又有数据以旧密钥写入：{left}。请确认所有应用服务器都已使用新密钥后再次运行 / "
                               "values were written under the old key meanwhile: restart every server with the new key "
                               "and run again")
        self.stdout.write("完成：全部数据已在当前密钥下，可以删除 ZHENGWU_DATA_KEY_PREVIOUS / "
                          "done: every value is under the current key; remove ZHENGWU_DATA_KEY_PREVIOUS")

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhengwu.core.errors import DomainError
from zhengwu.org.services import region_import

CODE_HEADERS = {"code", "区划代码", "统计用区划代码", "行政区划代码"}
NAME_HEADERS = {"name", "名称", "区划名称", "单位名称"}


def read_rows(path: Path) -> list[tuple[int, str, str]]:
    """(line, code, name) from a CSV or tab-separated file; the header names the two columns."""
    text = path.read_text(encoding="utf-8-sig")
    dialect = csv.excel_tab if "\t" in text.splitlines()[0] else csv.excel
    reader = csv.reader(text.splitlines(), dialect)
    header = [h.strip() for h in next(reader, [])]
    try:
        code_at = next(i for i, h in enumerate(header) if h in CODE_HEADERS)
        name_at = next(i for i, h in enumerate(header) if h in NAME_HEADERS)
    except StopIteration:
        raise CommandError("首行须有“区划代码”（code）和“名称”（name）两列 / the header needs code and name") from None
    return [(line, row[code_at], row[name_at]) for line, row in enumerate(reader, start=2)
            if len(row) > max(code_at, name_at) and row[code_at].strip()]


class Command(BaseCommand):
    help = "导入行政区划代码表（CSV 或制表符分隔，列：区划代码、名称）；全部成功才写入。"

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")

    def handle(self, *args, path: Path, dry_run: bool, **options):
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        try:
            result = region_import(actor="import_regions", rows=read_rows(path), dry_run=dry_run)
        except DomainError as exc:
            for problem in exc.details:
                self.stderr.write(f"第 {problem['line']} 行 {problem['code']}：{problem['message']}")
            raise CommandError(exc.message_zh) from exc
        prefix = "检查通过（未写入）" if dry_run else "导入完成"
        self.stdout.write(f"{prefix}：新建 {len(result.created)}，更名 {len(result.renamed)}，未变 {result.unchanged}")

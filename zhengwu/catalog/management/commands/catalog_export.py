from pathlib import Path

from django.core.management.base import BaseCommand

from zhengwu.catalog.excel import catalog_export_workbook
from zhengwu.catalog.selectors import items_for_export


class Command(BaseCommand):
    help = "导出事项目录为 Excel（版式见 docs/catalog.md）/ export the catalog to an Excel workbook"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        items = items_for_export()
        data = catalog_export_workbook(items)
        file.write_bytes(data)
        self.stdout.write(f"已导出 {len(items)} 个事项到 {file}")

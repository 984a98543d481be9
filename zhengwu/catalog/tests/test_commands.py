import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from zhengwu.catalog.models import ServiceItem
from zhengwu.catalog.tests import factories as f

pytestmark = pytest.mark.django_db


def test_export_then_import_round_trip(tmp_path, capsys):
    dept = f.department()
    path = tmp_path / "catalog.xlsx"
    with transaction.atomic():
        f.published_item(dept, basic_code="000000000501", name="取水许可")
        call_command("catalog_export", str(path))
        transaction.set_rollback(True)
    assert "已导出 1 个事项" in capsys.readouterr().out
    call_command("catalog_import", str(path), "--dry-run")
    assert not ServiceItem.objects.exists()
    call_command("catalog_import", str(path))
    assert "新增 1 项" in capsys.readouterr().out
    assert ServiceItem.objects.get().current.name == "取水许可"


def test_import_errors_fail_the_command(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"not excel")
    with pytest.raises(CommandError, match="导入失败"):
        call_command("catalog_import", str(path))
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("catalog_import", str(tmp_path / "missing.xlsx"))

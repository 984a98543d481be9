import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhengwu.core.errors import PermissionDenied, ValidationFailed
from zhengwu.org.models import Region
from zhengwu.org.services import region_import, region_retire

pytestmark = pytest.mark.django_db

ROWS = [(2, "330729100", "清溪镇"), (3, "330729", "清溪县"), (4, "330000", "浙江省"), (5, "330700", "金华市"),
        (6, "330729100201", "城东村")]


def test_rows_are_loaded_parents_first_whatever_the_order(sysadmin):
    result = region_import(actor=sysadmin, rows=ROWS)
    assert sorted(result.created) == sorted(code for _, code, _ in ROWS)
    village = Region.objects.select_related("parent").get(code="330729100201")
    assert village.parent is not None and village.parent.code == "330729100"
    again = region_import(actor=sysadmin, rows=[*ROWS[:4], (6, "330729100201", "城东社区")])
    assert again.created == [] and again.renamed == ["330729100201"] and again.unchanged == 4


def test_one_bad_row_writes_nothing_and_every_bad_line_is_reported(sysadmin):
    rows = [*ROWS, (7, "3307291002", "坏代码"), (8, "330729100", "重复镇"), (9, "330781100", "无县镇")]
    with pytest.raises(ValidationFailed) as err:
        region_import(actor=sysadmin, rows=rows)
    assert [p["line"] for p in err.value.details] == [7, 8, 9]
    assert not Region.objects.exists()


def test_retired_codes_are_refused(sysadmin):
    region_import(actor=sysadmin, rows=ROWS)
    region_retire(actor=sysadmin, region=Region.objects.get(code="330729100201"))
    with pytest.raises(ValidationFailed, match="不得重复使用"):
        region_import(actor=sysadmin, rows=ROWS)


def test_dry_run_checks_without_writing(sysadmin):
    result = region_import(actor=sysadmin, rows=ROWS, dry_run=True)
    assert len(result.created) == 5 and not Region.objects.exists()


def test_only_the_sysadmin_imports(secadmin):
    with pytest.raises(PermissionDenied):
        region_import(actor=secadmin, rows=ROWS)


def test_the_command_reads_csv_and_reports_bad_lines(tmp_path, capsys):
    good = tmp_path / "regions.csv"
    good.write_text("区划代码,名称\n330000,浙江省\n330700,金华市\n330729,清溪县\n", encoding="utf-8-sig")
    call_command("import_regions", str(good))
    assert Region.objects.count() == 3
    bad = tmp_path / "bad.tsv"
    bad.write_text("code\tname\n330729101\t白沙镇\n33072910X\t坏\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 行有误"):
        call_command("import_regions", str(bad))
    assert "第 3 行" in capsys.readouterr().err
    assert Region.objects.count() == 3

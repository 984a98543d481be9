import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhengwu.workcalendar.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_deadline_prints_the_due_date_alone_then_the_explanation(work_calendar):
    lines = run("deadline", "--start", "2025-09-26", "--working-days", "5").splitlines()
    assert lines[0] == "2025-10-10"
    assert any("调休上班" in line for line in lines[1:]) and len(lines) > 4


@pytest.mark.parametrize("args", [["--start", "2025-13-01", "--working-days", "5"],
                                  ["--start", "2025-09-26", "--working-days", "-3"],
                                  ["--start", "2025-09-26", "--working-days", "5", "--region", "999999"]])
def test_deadline_refuses_bad_input(work_calendar, args):
    with pytest.raises(CommandError):
        run("deadline", *args)


def test_calendar_seed_command_is_idempotent(db):
    assert "新建年度 23" in run("calendar_seed")
    assert "未做修改" in run("calendar_seed")


def test_import_holidays_command(db, tmp_path):
    out = run("import_holidays", str(DATA / "holiday-cn-2026.json"), str(DATA / "holiday-cn-2027.json"))
    assert "新建年度 2" in out
    assert CalendarYear.objects.get(year=2027).published is False
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"year": 2028, "papers": [], "days": [{"name": "x", "date": "2028-02-30",
                                                                        "isOffDay": True}]}))
    with pytest.raises(CommandError, match="2028-02-30"):
        run("import_holidays", str(bad))
    with pytest.raises(CommandError, match="不存在"):
        run("import_holidays", str(tmp_path / "missing.json"))
    assert CalendarDay.objects.filter(date__year=2028).count() == 0

"""W01 now follows the per-item-type thresholds and A10 reads the recorded 回访整改 (and counts a late one as
a hit): new wording and a new version for each, unless the office has already reworded the rule."""

from django.db import migrations

OLD = {
    "W01": "时钟进入预警期：默认剩余 2 个工作日或已用 80% 时限（取较早者），法定与承诺时限分别计算；"
           "阈值由工作日历的时钟预警设置（ZHENGWU_CLOCK_WARNINGS，按时钟类型）决定。",
    "A10": "“不满意”“非常不满意”评价超过规定工作日仍无回访或整改记录（实名差评回访整改率 100%）。",
}


def reword(apps, schema_editor):
    from django.db.models import F

    from zhengwu.supervision.defaults import DEFAULT_RULES

    Rule = apps.get_model("supervision", "SupervisionRule")
    new = {spec["code"]: spec["description"] for spec in DEFAULT_RULES}
    for code, old in OLD.items():
        Rule.objects.filter(code=code, description=old).update(description=new[code], version=F("version") + 1)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0005_card_revocation_and_appeal")]
    operations = [migrations.RunPython(reword, migrations.RunPython.noop)]

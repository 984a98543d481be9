from django.db import migrations


def load(apps, schema_editor):
    from zhengwu.supervision.defaults import DEFAULT_RULES

    Rule = apps.get_model("supervision", "SupervisionRule")
    existing = set(Rule.objects.values_list("code", flat=True))
    Rule.objects.bulk_create([Rule(**spec) for spec in DEFAULT_RULES if spec["code"] not in existing])


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

from django.conf import settings
from django.db import migrations, models

from zhengwu.core.append_only import drop_statements, install_statements
from zhengwu.core.append_only import run_in_migration as _run


class Migration(migrations.Migration):
    """The audit log becomes a few hash chains ("lanes", zhengwu/core/audit.py): a lane number on
    events and archives, sequence numbers unique per lane. The existing chain is lane 1, unchanged.

    SQLite alters a table by copying it, which drops its triggers: the append-only triggers are
    taken off first and put back last (zhengwu/core/append_only.py), on both databases.
    """

    dependencies = [
        ('core', '0003_audit_append_only_triggers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_run(drop_statements), _run(install_statements)),
        migrations.AlterModelOptions(
            name='auditarchive',
            options={'ordering': ['lane', 'first_seq'], 'verbose_name': '审计归档', 'verbose_name_plural': '审计归档'},
        ),
        migrations.AlterModelOptions(
            name='auditevent',
            options={'ordering': ['lane', 'seq'], 'verbose_name': '审计事件', 'verbose_name_plural': '审计事件'},
        ),
        migrations.AddField(
            model_name='auditarchive',
            name='lane',
            field=models.PositiveSmallIntegerField(default=1, verbose_name='链'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='lane',
            field=models.PositiveSmallIntegerField(default=1, verbose_name='链'),
        ),
        migrations.AlterField(
            model_name='auditarchive',
            name='first_seq',
            field=models.BigIntegerField(verbose_name='起始序号'),
        ),
        migrations.AlterField(
            model_name='auditarchive',
            name='last_seq',
            field=models.BigIntegerField(verbose_name='结束序号'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='seq',
            field=models.BigIntegerField(verbose_name='序号'),
        ),
        migrations.AlterField(
            model_name='audithead',
            name='id',
            field=models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False, verbose_name='链'),
        ),
        migrations.AddConstraint(
            model_name='auditarchive',
            constraint=models.UniqueConstraint(fields=('lane', 'first_seq'), name='core_auditarchive_lane_first'),
        ),
        migrations.AddConstraint(
            model_name='auditarchive',
            constraint=models.UniqueConstraint(fields=('lane', 'last_seq'), name='core_auditarchive_lane_last'),
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.UniqueConstraint(fields=('lane', 'seq'), name='core_auditevent_lane_seq'),
        ),
        migrations.RunPython(_run(install_statements), _run(drop_statements)),
    ]

from django.db import migrations

from zhengwu.core.append_only import drop_statements, install_statements


def _run(statements_for):
    def run(apps, schema_editor):
        for statement in statements_for(schema_editor.connection.vendor):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    """Refuse UPDATE and DELETE on the audit tables in the database itself (zhengwu/core/append_only.py)."""

    dependencies = [("core", "0002_auditarchive")]

    operations = [migrations.RunPython(_run(install_statements), _run(drop_statements))]

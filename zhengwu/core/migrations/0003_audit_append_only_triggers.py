from django.db import migrations

from zhengwu.core.append_only import drop_statements, install_statements
from zhengwu.core.append_only import run_in_migration as _run


class Migration(migrations.Migration):
    """Refuse UPDATE and DELETE on the audit tables in the database itself (zhengwu/core/append_only.py)."""

    dependencies = [("core", "0002_auditarchive")]

    operations = [migrations.RunPython(_run(install_statements), _run(drop_statements))]

"""Rate-limit counts on PostgreSQL in an UNLOGGED table: every public progress query upserts a row
here, and a logged table made each of those a WAL write flushed at commit (issue 5's load test).
A crash empties an unlogged table, which only restarts the current windows' counts; replicas do
not carry it, and they do not need it (writes go to the primary)."""

from django.db import migrations


def _logged(logged: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(apps.get_model("security", "RateLimitCounter")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET {'LOGGED' if logged else 'UNLOGGED'}")

    return run


class Migration(migrations.Migration):
    dependencies = [("security", "0001_ratelimitcounter")]

    operations = [migrations.RunPython(_logged(False), _logged(True))]

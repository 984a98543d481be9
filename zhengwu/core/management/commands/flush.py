"""Django's flush, which meets the audit tables' append-only triggers (zhengwu/core/append_only.py).

Only the test runner may empty them (transactional tests flush the database after each test); in
development and production `flush` stops at the audit log, which is what 等保 8.1.4.3 c asks.
"""

from django.conf import settings
from django.core.management.commands.flush import Command as FlushCommand

from zhengwu.core.append_only import archive_gate


class Command(FlushCommand):
    def handle(self, **options):
        if settings.ZHENGWU_ENV != "test":
            return super().handle(**options)
        with archive_gate(options["database"], purpose="flush"):
            return super().handle(**options)

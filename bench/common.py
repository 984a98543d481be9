"""What the standalone benchmarks share: Django set up on a database given by URL, in test mode."""

from __future__ import annotations

import os


def setup_django(url: str, *, migrate: bool = True) -> None:
    """Point Django at `url` (read once at set-up, so one database per process) and migrate it."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["ZHENGWU_ENV"] = "test"
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhengwu.org.models import Region

pytestmark = pytest.mark.django_db


def test_production_refuses_demo_data(settings):
    settings.ZHENGWU_ENV = "production"
    with pytest.raises(CommandError, match="生产模式"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Region.objects.exists()


def test_demo_logins_before_seeding_says_so():
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    assert "seed_demo" in out.getvalue()

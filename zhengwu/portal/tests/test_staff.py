from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from zhengwu.org.models import Position, StaffPost

pytestmark = pytest.mark.django_db


def test_staff_home_needs_login(client):
    response = client.get(reverse("portal:staff_home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_staff_home_shows_posts_and_tools(client, county):
    user = get_user_model().objects.create_user("clerk1", password="x-Secret-123", real_name="王小明")
    StaffPost.objects.create(user=user, position=Position.CLERK, department=county.market,
                             window=county.licence_window)
    client.force_login(user)
    html = client.get(reverse("portal:staff_home")).content.decode()
    assert "王小明" in html
    assert "窗口人员 · 广宗县行政审批局 · A01 号窗口" in html
    assert 'href="/calendar/deadline/"' in html and "期限计算器" in html
    assert reverse("admin:index") not in html  # not a Django staff user
    assert "工作台</a>" in html


def test_admin_link_for_django_staff(client, db):
    user = get_user_model().objects.create_user("admin1", password="x-Secret-123", is_staff=True)
    client.force_login(user)
    assert reverse("admin:index") in client.get(reverse("portal:staff_home")).content.decode()


def test_staff_tools_skip_urls_that_do_not_exist(client, db, monkeypatch):
    from zhengwu.portal import views

    monkeypatch.setattr(views, "STAFF_TOOLS", [*views.STAFF_TOOLS, ("nowhere:missing", "不存在", "")])
    user = get_user_model().objects.create_user("clerk2", password="x-Secret-123")
    client.force_login(user)
    html = client.get(reverse("portal:staff_home")).content.decode()
    assert "期限计算器" in html and "不存在" not in html

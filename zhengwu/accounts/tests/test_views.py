import csv
import io
import json

import pytest
from django.urls import reverse

from zhengwu.accounts.audit_display import mask_audit_data, mask_text
from zhengwu.accounts.models import User
from zhengwu.core.audit import audit_record
from zhengwu.core.models import AuditEvent

pytestmark = pytest.mark.django_db

AUDIT_URL = "/accounts/audit/"
EXPORT_URL = "/accounts/audit/export.csv"


@pytest.fixture
def personal_event(db):
    return audit_record(actor="system", action="cases.case.submit", object_type="cases.case", object_id="7",
                        object_repr="办件 QX2026-0007（13912345678）",
                        data={"applicant_name": "张三", "phone": "13912345678", "id_number": "11010519491231002X",
                              "department": {"name": "清溪县市场监督管理局"},
                              "note": "联系 13812341234，身份证 440524188001010014"})


def test_masking_keeps_surnames_and_hides_numbers():
    masked = mask_audit_data({"real_name": "欧阳娜娜", "phone": "13912345678", "id_number": "11010519491231002X",
                              "department": {"name": "清溪县教育局"}, "items": [{"contact_name": "李四"}]})
    assert masked == {"real_name": "欧***", "phone": "139****5678", "id_number": "110105********002X",
                      "department": {"name": "清溪县教育局"}, "items": [{"contact_name": "李*"}]}
    assert mask_text("电话13912345678") == "电话139****5678"


def test_the_audit_administrator_sees_the_masked_log(client, auditadmin, personal_event):
    client.force_login(auditadmin)
    response = client.get(AUDIT_URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "cases.case.submit" in body
    assert "13912345678" not in body and "11010519491231002X" not in body and "张三" not in body
    assert "139****5678" in body and "110105********002X" in body


def test_filters_narrow_the_list(client, auditadmin, personal_event):
    audit_record(actor="system", action="org.region.create", object_type="org.region", object_id="1")
    client.force_login(auditadmin)
    response = client.post(AUDIT_URL, {"action": "org."}, follow=True)
    assert response.redirect_chain == [(AUDIT_URL, 302)]
    assert [row["action"] for row in response.context["rows"]] == ["org.region.create"]
    response = client.post(AUDIT_URL, {"date_from": "2026-12-02", "date_to": "2026-12-01"})
    assert response.status_code == 200 and response.context["rows"] == [] and response.context["form"].errors
    # A bad filter changes nothing: the one before it still holds.
    assert [row["action"] for row in client.get(AUDIT_URL).context["rows"]] == ["org.region.create"]
    response = client.post(AUDIT_URL, {"clear": "1"}, follow=True)
    assert {"org.region.create", "cases.case.submit"} <= {row["action"] for row in response.context["rows"]}


def test_an_actor_filter_never_reaches_an_address(client, auditadmin):
    """An applicant's username is a phone number: the filter is posted and kept in the session, so
    neither the redirect, the paging links nor the export link carry it."""
    phone = "13912345678"
    for seq in range(55):
        audit_record(actor=phone, action="portal.applicant.login", object_type="accounts.user", object_id="9",
                     data={"n": seq})
    audit_record(actor="system", action="org.region.create", object_type="org.region", object_id="1")
    client.force_login(auditadmin)
    response = client.post(AUDIT_URL, {"actor": phone})
    assert response.status_code == 302 and response["Location"] == AUDIT_URL
    page = client.get(AUDIT_URL)
    assert page.context["page"].paginator.count == 55
    body = page.content.decode()
    assert 'method="post"' in body and "csrfmiddlewaretoken" in body
    assert 'href="?page=2"' in body and f'href="{EXPORT_URL}"' in body
    assert "actor=" not in body and f"={phone}" not in body
    second = client.get(AUDIT_URL, {"page": "2"})
    assert len(second.context["rows"]) == 5 and second.context["form"]["actor"].value() == phone
    export = client.get(EXPORT_URL)
    assert len(list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))) == 56
    logged = AuditEvent.objects.get(action="audit_log.export")
    assert logged.data["filters"] == {"actor": "139****5678"} and phone not in json.dumps(logged.data)


@pytest.mark.parametrize("url", [AUDIT_URL, EXPORT_URL])
def test_a_filter_in_the_address_is_not_run(client, auditadmin, url):
    audit_record(actor="13912345678", action="portal.applicant.login")
    audit_record(actor="system", action="org.region.create")
    client.force_login(auditadmin)
    response = client.get(url, {"actor": "13912345678"})
    assert response.status_code == 302 and response["Location"] == AUDIT_URL
    page = client.get(AUDIT_URL)
    assert "网址中的筛选条件不予执行" in page.content.decode()
    assert {"portal.applicant.login", "org.region.create"} <= {row["action"] for row in page.context["rows"]}
    assert not AuditEvent.objects.filter(action="audit_log.export").exists()


def test_the_filter_needs_the_csrf_token(auditadmin):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(auditadmin)
    assert client.post(AUDIT_URL, {"actor": "13912345678"}).status_code == 403
    assert client.session.get("accounts.audit_filter") is None


@pytest.mark.parametrize("persona", ["sysadmin", "secadmin", "clerk", "supervisor", "centre_admin", "applicant"])
def test_everyone_else_gets_403_and_the_attempt_is_logged(client, request, persona, personal_event):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get(AUDIT_URL).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403
    denied = AuditEvent.objects.filter(action="audit_log.access_denied", actor=user)
    assert denied.count() == 2 and {e.outcome for e in denied} == {"denied"}


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(AUDIT_URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_csv_export_is_masked_and_itself_audited(client, auditadmin, personal_event):
    client.force_login(auditadmin)
    client.post(AUDIT_URL, {"action": "cases."})
    response = client.get(EXPORT_URL)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "链-序号" and len(rows) == 2
    assert rows[1][3] == "cases.case.submit" and "13912345678" not in text and "张*" in text
    export = AuditEvent.objects.get(action="audit_log.export")
    assert export.actor_id == auditadmin.pk and export.data["rows"] == 1


def test_audit_rows_cannot_be_changed_through_the_admin(client, auditadmin, personal_event):
    client.force_login(auditadmin)
    assert client.get(reverse("admin:core_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:core_auditevent_change", args=[personal_event.pk])).status_code == 200
    assert client.get(reverse("admin:core_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:core_auditevent_delete", args=[personal_event.pk])).status_code == 403


def test_login_page_is_chinese_and_logs_success_and_failure(client, clerk, persona_password):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and "工作人员登录" in page.content.decode()
    bad = client.post("/accounts/login/", {"username": "clerk", "password": "wrong-password"})
    assert bad.status_code == 200 and "用户名或密码不正确" in bad.content.decode()
    ok = client.post("/accounts/login/", {"username": "clerk", "password": persona_password})
    assert ok.status_code == 302
    assert AuditEvent.objects.filter(action="accounts.login_failed", outcome="failure").count() == 1
    assert AuditEvent.objects.filter(action="accounts.login", actor=clerk).count() == 1


def test_a_user_with_an_initial_password_is_sent_to_change_it(client, clerk, persona_password):
    User.objects.filter(pk=clerk.pk).update(must_change_password=True)
    response = client.post("/accounts/login/", {"username": "clerk", "password": persona_password})
    assert response["Location"] == "/accounts/password/"
    response = client.post("/accounts/password/", {"old_password": persona_password,
                                                   "new_password1": "Qingxi#2027y", "new_password2": "Qingxi#2027y"})
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password("Qingxi#2027y") and not clerk.must_change_password


def test_a_weak_new_password_is_refused_on_the_form(client, clerk, persona_password):
    client.force_login(clerk)
    response = client.post("/accounts/password/", {"old_password": persona_password,
                                                   "new_password1": "abcdefgh", "new_password2": "abcdefgh"})
    assert response.status_code == 200 and response.context["form"].errors
    clerk.refresh_from_db()
    assert clerk.check_password(persona_password)


def test_an_expired_password_sends_the_user_to_change_it(client, clerk, persona_password):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    User.objects.filter(pk=clerk.pk).update(password_changed_at=timezone.now())
    with time_machine.travel(timezone.now() + dt.timedelta(days=89)):
        response = client.post("/accounts/login/", {"username": "clerk", "password": persona_password})
        assert response["Location"] != "/accounts/password/"
        client.logout()
    with time_machine.travel(timezone.now() + dt.timedelta(days=91)):
        response = client.post("/accounts/login/", {"username": "clerk", "password": persona_password})
        assert response["Location"] == "/accounts/password/"
        assert "有效期" in client.get("/accounts/password/").content.decode()


def test_a_never_expiring_password_is_not_sent_to_change(client, clerk, persona_password):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    User.objects.filter(pk=clerk.pk).update(password_changed_at=timezone.now(), password_never_expires=True)
    with time_machine.travel(timezone.now() + dt.timedelta(days=400)):
        response = client.post("/accounts/login/", {"username": "clerk", "password": persona_password})
        assert response.status_code == 302 and response["Location"] != "/accounts/password/"

import pytest
import time_machine
from django.urls import reverse

from zhengwu.accounts.models import User
from zhengwu.core.models import AuditEvent
from zhengwu.licences import services
from zhengwu.licences.models import Certificate

from .conftest import PERSON_ID

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2026-11-22 10:00 +08:00", tick=False):
        yield


def _page(client, certificate):
    return client.get(reverse("licences:verify", args=[certificate.identifier]))


def test_good_certificate_page_shows_pass_and_masked_holder(client, issue):
    certificate = issue()
    response = _page(client, certificate)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "验证通过" in html and "验证失败" not in html
    for expected in ("食品经营许可证", certificate.number, "城关县市场监督管理局", "张**", "110105********002X",
                     "2026年11月22日", "2031年11月21日", "有效", certificate.identifier):
        assert expected in html, expected
    assert "张三丰" not in html
    assert PERSON_ID not in html


def test_organisation_holder_name_is_shown_in_full(client, issue):
    certificate = issue(holder_name="城关县好味道餐饮有限公司", holder_id_type="uscc",
                        holder_id_number="91610800064834709T")
    html = _page(client, certificate).content.decode()
    assert "城关县好味道餐饮有限公司" in html
    assert "91610800064834709T" not in html
    assert "916108********709T" in html


def test_tampered_content_row_shows_failure(client, issue):
    certificate = issue()
    Certificate.objects.filter(pk=certificate.pk).update(content={"经营场所": "伪造地址"})
    html = _page(client, certificate).content.decode()
    assert "验证失败" in html and "验证通过" not in html
    assert "数据可能被篡改" in html


def test_revoked_certificate_shows_failure_with_reason(client, issue, clerk):
    certificate = issue()
    services.licence_revoke(actor=clerk, certificate=certificate, reason="申请人申请注销")
    html = _page(client, certificate).content.decode()
    assert "验证失败" in html and "已注销" in html


def test_unknown_identifier_is_a_404_with_failure(client):
    response = client.get(reverse("licences:verify", args=["1.2.156.3005.2.X.Y.Z.001.0"]))
    assert response.status_code == 404
    assert "验证失败" in response.content.decode()


def test_api_verify_reports_signature_and_masks_holder(client, issue):
    certificate = issue()
    response = client.get(f"/api/v1/licences/verify/{certificate.identifier}")
    assert response.status_code == 200
    body = response.json()
    assert body["verified"] is True and body["signature_valid"] is True and body["digest_valid"] is True
    assert body["holder_name"] == "张**" and body["holder_id"] == "110105********002X"
    assert body["status"] == "valid" and body["valid_until"] == "2031-11-21"
    assert PERSON_ID not in response.content.decode()

    Certificate.objects.filter(pk=certificate.pk).update(holder_name="李四")
    body = client.get(f"/api/v1/licences/verify/{certificate.identifier}").json()
    assert body["verified"] is False and body["signature_valid"] is False


def test_api_unknown_identifier_is_404(client):
    response = client.get("/api/v1/licences/verify/1.2.156.3005.2.X.Y.Z.001.0")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser(username="root", password="x-Secret-12345", email="root@example.org")
    client.force_login(user)
    return client


def test_admin_lists_masked_and_revokes_through_the_service(admin_client, issue):
    certificate = issue()
    listing = admin_client.get(reverse("admin:licences_certificate_changelist"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "张**" in html and "张三丰" not in html
    detail = admin_client.get(reverse("admin:licences_certificate_change", args=[certificate.pk]))
    assert detail.status_code == 200
    assert "验证通过" in detail.content.decode()
    assert PERSON_ID not in detail.content.decode()
    response = admin_client.post(reverse("admin:licences_certificate_changelist"),
                                 {"action": "revoke", "_selected_action": [certificate.pk]})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == "revoked"
    assert AuditEvent.objects.filter(action="licence.revoke", actor_label="root").exists()


def test_admin_creates_licence_types_through_the_service(admin_client):
    response = admin_client.post(reverse("admin:licences_licencetype_add"),
                                 {"code": "11100000000013338W011", "name": "建筑工程施工许可证", "ministry": "住房和城乡建设部"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="licence_type.create").count() == 1
    bad = admin_client.post(reverse("admin:licences_licencetype_add"),
                            {"code": "11100000000013338A011", "name": "x", "ministry": ""})
    assert bad.status_code == 200
    assert AuditEvent.objects.filter(action="licence_type.create").count() == 1

import pytest

from zhengwu.catalog import services
from zhengwu.catalog.models import ServiceItem, Theme
from zhengwu.catalog.tests import factories as f
from zhengwu.core.models import AuditEvent
from zhengwu.org.models import Position

pytestmark = pytest.mark.django_db
INLINES = ("materials", "steps", "fees", "special_procedures", "faqs")


@pytest.fixture
def admin_client(client):
    user = f.staff(Position.CENTRE_ADMIN, is_staff=True)
    client.force_login(user)
    return client


def _post_data(dept, **overrides):
    data = {
        "department": dept.pk, "name": "后台新增事项", "basic_code": "000000000901", "item_type": "01",
        "legal_basis": "《中华人民共和国行政许可法》", "exercise_level": "4", "power_source": "1",
        "implementer_nature": "1", "legal_limit_value": "20", "legal_limit_unit": "working_days",
        "promised_limit_value": "5", "promised_limit_unit": "working_days", "case_kind": "2",
        "result_type": "other", "handling_scope": "none", "service_objects": ["1"], "handling_forms": ["1", "2"],
        "in_hall": "on", "supports_online": "on", "online_depth": "3", "onsite_visits": "1",
        "onsite_reason": "核验原件", "consultation_phone": "0571-1", "complaint_phone": "12345",
        "themes": [Theme.objects.get(code="permits").pk],
    }
    for prefix in INLINES:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
                     f"{prefix}-MAX_NUM_FORMS": "1000"})
    data.update({"steps-TOTAL_FORMS": "1", "steps-0-order": "1", "steps-0-name": "审查决定",
                 "steps-0-role": "reviewer", "steps-0-budget_days": "3"})
    data.update({"materials-TOTAL_FORMS": "1", "materials-0-order": "1", "materials-0-name": "申请书",
                 "materials-0-source": "applicant", "materials-0-form": "paper", "materials-0-original_count": "1",
                 "materials-0-copy_count": "0", "materials-0-required": "on", "materials-0-paper_spec": "A4"})
    data.update(overrides)
    return data


def test_admin_add_runs_the_service_and_shows_rule_errors(admin_client):
    dept = f.department()
    response = admin_client.post("/admin/catalog/serviceitemversion/add/",
                                 _post_data(dept, complaint_phone="0571 1"))
    assert response.status_code == 200
    assert "咨询电话与监督投诉电话不能相同" in response.content.decode()
    assert not ServiceItem.objects.exists()

    response = admin_client.post("/admin/catalog/serviceitemversion/add/", _post_data(dept))
    assert response.status_code == 302, response.content.decode()[:2000]
    item = ServiceItem.objects.get(basic_code="000000000901")
    version = item.versions.get()
    assert version.status == "draft" and version.steps.get().name == "审查决定"
    assert version.implementation_code == f"{dept.uscc}4000000000901"
    assert list(AuditEvent.objects.filter(action__startswith="catalog.").values_list("action", flat=True)) == [
        "catalog.item_create"]


def test_published_version_is_read_only_in_admin(admin_client):
    item = f.published_item()
    url = f"/admin/catalog/serviceitemversion/{item.current.pk}/change/"
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"name": "改名"}).status_code == 403
    item.current.refresh_from_db()
    assert item.current.name != "改名"


def test_item_actions_publish_revise_and_suspend_with_reason(admin_client):
    item = f.published_item()
    changelist = "/admin/catalog/serviceitem/"
    admin_client.post(changelist, {"action": "start_draft", "_selected_action": [item.pk]})
    assert item.versions.filter(status="draft").count() == 1
    admin_client.post(changelist, {"action": "publish_draft", "_selected_action": [item.pk]})
    item.refresh_from_db()
    assert item.current.number == 2
    response = admin_client.post(changelist, {"action": "suspend", "_selected_action": [item.pk]})
    assert response.status_code == 200 and "原因" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "published"
    admin_client.post(changelist, {"action": "suspend", "_selected_action": [item.pk], "apply": "1",
                                   "reason": "系统维护"})
    item.refresh_from_db()
    assert item.status == "suspended" and item.cancelled_reason == "系统维护"


def test_theme_admin_writes_through_the_service(admin_client):
    response = admin_client.post("/admin/catalog/theme/add/", {"code": "Bad Code", "name": "x", "audience": "natural",
                                                               "kind": "topic", "order": "0"})
    assert response.status_code == 200 and not Theme.objects.filter(name="x").exists()
    response = admin_client.post("/admin/catalog/theme/add/", {"code": "tea_garden", "name": "茶园", "audience": "legal",
                                                               "kind": "topic", "order": "5"})
    assert response.status_code == 302
    assert Theme.objects.get(code="tea_garden").name == "茶园"
    assert AuditEvent.objects.filter(action="catalog.theme_create").count() == 1


def test_clerks_cannot_change_catalog_in_admin(client):
    clerk = f.staff(Position.CLERK, f.department(), is_staff=True)
    client.force_login(clerk)
    item = f.published_item()
    response = client.post("/admin/catalog/serviceitem/", {"action": "start_draft", "_selected_action": [item.pk]})
    assert response.status_code in (200, 302, 403)
    assert item.versions.count() == 1
    assert client.get("/admin/catalog/serviceitemversion/add/").status_code == 403


def test_item_start_draft_service_copies_current_version():
    item = f.published_item()
    draft = services.item_start_draft(actor="t", item=item)
    assert draft.number == 2 and draft.materials.count() == 2
    assert services.item_start_draft(actor="t", item=item).pk == draft.pk


def test_admin_uploads_blank_form_through_checked_storage(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    dept = f.department()
    fake = SimpleUploadedFile("表.pdf", b"not a pdf", content_type="application/pdf")
    response = admin_client.post("/admin/catalog/serviceitemversion/add/",
                                 {**_post_data(dept), "materials-0-blank_form": fake})
    assert response.status_code == 200 and "文件内容与扩展名不符" in response.content.decode()
    assert not ServiceItem.objects.exists()
    good = SimpleUploadedFile("申请表.pdf", b"%PDF-1.4 form", content_type="application/pdf")
    response = admin_client.post("/admin/catalog/serviceitemversion/add/",
                                 {**_post_data(dept), "materials-0-blank_form": good})
    assert response.status_code == 302
    material = ServiceItem.objects.get().versions.get().materials.get()
    assert material.blank_form.name.startswith("catalog/forms/") and material.blank_form.read() == b"%PDF-1.4 form"
    assert AuditEvent.objects.filter(action="catalog.upload_store").count() == 1

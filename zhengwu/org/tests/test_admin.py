import pytest
from django.urls import reverse

from zhengwu.core.models import AuditEvent
from zhengwu.org.models import Absence, BackupPost, Region, ServiceCentre, StaffPost, Window

pytestmark = pytest.mark.django_db


def test_the_admin_speaks_chinese_and_lists_org_data_for_the_sysadmin(client, sysadmin, dept_market):
    client.force_login(sysadmin)
    index = client.get(reverse("admin:index")).content.decode()
    assert "组织机构" in index and "行政区划" in index and "审计事件" not in index
    page = client.get(reverse("admin:org_department_changelist"), {"q": "市场"})
    assert page.status_code == 200 and dept_market.uscc in page.content.decode()


def test_an_admin_add_goes_through_the_service_and_is_audited(client, sysadmin, prefecture):
    client.force_login(sysadmin)
    response = client.post(reverse("admin:org_region_add"), {"code": "330781", "name": "兰溪市", "parent": "",
                                                              "valid_from": ""})
    assert response.status_code == 302, response.context["adminform"].form.errors
    region = Region.objects.get(code="330781")
    assert region.level == Region.Level.COUNTY and region.parent == prefecture
    assert AuditEvent.objects.filter(action="org.region.create", object_id=str(region.pk)).count() == 1


def test_a_service_refusal_shows_on_the_form_and_changes_nothing(client, sysadmin, prefecture):
    client.force_login(sysadmin)
    response = client.post(reverse("admin:org_region_add"), {"code": "330781100", "name": "无县镇"})
    assert response.status_code == 200
    assert "不存在" in str(response.context["adminform"].form.errors)
    assert not Region.objects.filter(code="330781100").exists()
    assert not AuditEvent.objects.filter(action__startswith="org.").exists()


def test_admin_change_renames_through_the_service(client, sysadmin, county):
    client.force_login(sysadmin)
    response = client.post(reverse("admin:org_region_change", args=[county.pk]), {"name": "清溪区"})
    assert response.status_code == 302
    county.refresh_from_db()
    assert county.name == "清溪区" and county.code == "330729"
    assert AuditEvent.objects.get(action="org.region.rename").data == {"name": ["清溪县", "清溪区"]}


def test_admin_department_uscc_errors_are_chinese(client, sysadmin, county, county_centre):
    client.force_login(sysadmin)
    response = client.post(reverse("admin:org_department_add"), {
        "name": "清溪县教育局", "uscc": "11330729002500033X", "nature": "1", "region": county.pk,
        "centre": county_centre.pk})
    assert response.status_code == 200 and "校验位" in str(response.context["adminform"].form.errors)


def test_retire_action_reports_refusals(client, sysadmin, village, township):
    client.force_login(sysadmin)
    response = client.post(reverse("admin:org_region_changelist"), {
        "action": "retire_selected", "_selected_action": [township.pk, village.pk]}, follow=True)
    village.refresh_from_db()
    township.refresh_from_db()
    assert village.valid_to is not None and township.valid_to is not None
    assert "已停用 2 项" in response.content.decode()


def test_the_centre_admin_adds_windows_in_their_centre_but_cannot_touch_regions(client, centre_admin,
                                                                                county_centre, dept_market):
    client.force_login(centre_admin)
    response = client.post(reverse("admin:org_window_add"), {
        "centre": county_centre.pk, "number": "08", "name": "市场监管三窗", "department": dept_market.pk})
    assert response.status_code == 302
    assert Window.objects.filter(number="08", centre=county_centre).exists()
    assert client.get(reverse("admin:org_region_add")).status_code == 403
    assert client.get(reverse("admin:org_region_changelist")).status_code == 200


def test_ab_posts_and_absences_are_created_and_removed_through_services(client, secadmin, centre_admin,
                                                                        reviewer, section_head):
    client.force_login(secadmin)
    a, b = StaffPost.objects.get(user=reviewer), StaffPost.objects.get(user=section_head)
    assert client.post(reverse("admin:org_backuppost_add"), {"primary": a.pk, "backup": b.pk}).status_code == 302
    pair = BackupPost.objects.get()
    client.get(reverse("admin:org_backuppost_changelist"))  # consumes the "added" message naming the post
    listing = client.get(reverse("admin:org_backuppost_changelist")).content.decode()
    assert "reviewer（赵**）" in listing and "赵审批" not in listing
    client.post(reverse("admin:org_backuppost_delete", args=[pair.pk]), {"post": "yes"})
    assert not BackupPost.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="org.backup_post.").count() == 2
    client.force_login(centre_admin)
    response = client.post(reverse("admin:org_absence_add"), {"user": reviewer.pk, "starts_on": "2026-12-01",
                                                               "ends_on": "2026-12-02", "reason": "年休假"})
    assert response.status_code == 302
    assert Absence.objects.get().user == reviewer


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "supervisor", "outsider"])
def test_business_staff_do_not_reach_the_admin(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("admin:org_region_changelist")).status_code == 302


def test_the_audit_administrator_sees_no_org_data_in_the_admin(client, auditadmin, county_centre):
    client.force_login(auditadmin)
    assert client.get(reverse("admin:org_servicecentre_changelist")).status_code == 403
    assert client.get(reverse("admin:org_servicecentre_change", args=[county_centre.pk])).status_code == 403
    assert ServiceCentre.objects.count() == 1

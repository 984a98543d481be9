from zhengwu.cases.models import CaseItemPolicy
from zhengwu.core.models import AuditEvent


def test_sysadmin_sets_the_item_policy_through_the_service(item, sysadmin, clerk, client):
    client.force_login(clerk)
    assert client.get("/admin/cases/caseitempolicy/add/").status_code in (302, 403)
    client.force_login(sysadmin)
    r = client.post("/admin/cases/caseitempolicy/add/", {
        "item": item.pk, "deemed_approval_enabled": "on", "licence_type_code": "", "validity_years": "0",
        "note": "本级规定超时默许"})
    assert r.status_code == 302, r.content.decode()[:2000]
    policy = CaseItemPolicy.objects.get(item=item)
    assert policy.deemed_approval_enabled and not policy.joint_handling
    assert AuditEvent.objects.filter(action="case_policy.set", actor=sysadmin).count() == 1
    r = client.post(f"/admin/cases/caseitempolicy/{policy.pk}/change/", {
        "deemed_approval_enabled": "on", "validity_years": "31", "licence_type_code": "", "note": ""})
    assert r.status_code == 200 and "0–30" in r.content.decode()
    policy.refresh_from_db()
    assert policy.validity_years == 0

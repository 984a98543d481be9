import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from zhengwu.catalog import services
from zhengwu.catalog.models import ServiceItem, ServiceItemVersion
from zhengwu.catalog.tests import factories as f
from zhengwu.core.errors import Conflict, ValidationFailed
from zhengwu.core.models import AuditEvent

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


def _actions(item):
    return list(AuditEvent.objects.filter(object_type="catalog.serviceitem", object_id=str(item.pk))
                .values_list("action", flat=True))


def test_create_makes_a_draft_item_with_version_one_and_derived_codes():
    dept = f.department()
    item = services.item_create(actor="tester", department=dept, spec=f.spec(basic_code="000104002000"))
    v = item.versions.get()
    assert (item.status, v.status, v.number) == ("draft", "draft", 1)
    assert v.implementation_code == f"{dept.uscc}4000104002000"
    assert v.materials.count() == 2 and v.steps.count() == 3
    assert sorted(v.themes.values_list("code", flat=True)) == ["food", "permits"]
    assert _actions(item) == ["catalog.item_create"]


def test_create_with_bad_input_changes_nothing():
    dept = f.department()
    with pytest.raises(ValidationFailed) as exc:
        services.item_create(actor="tester", department=dept, spec=f.spec(consultation_phone="12345"))
    assert exc.value.field == "complaint_phone"
    assert "不能相同" in exc.value.message_zh
    assert not ServiceItem.objects.exists()
    assert not AuditEvent.objects.exists()


def test_duplicate_basic_code_is_a_conflict():
    dept = f.department()
    services.item_create(actor="t", department=dept, spec=f.spec(basic_code="000000000001"))
    with pytest.raises(Conflict):
        services.item_create(actor="t", department=dept, spec=f.spec(basic_code="000000000001"))


def test_publish_then_edit_makes_a_new_version_and_keeps_the_old_one():
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ), tick=False):
        item = f.published_item()
    v1 = item.current
    assert (item.status, v1.status) == ("published", "published")
    assert v1.effective_from == dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    assert "shipin" in item.search_text and "|spjyxk" in item.search_text

    with time_machine.travel(dt.datetime(2026, 4, 1, 10, 0, tzinfo=TZ), tick=False):
        draft = services.item_edit(actor="t", item=item, changes={"acceptance_conditions": "已办理营业执照"},
                                   change_note="压缩时限")
        item.refresh_from_db()
        assert item.current_version_id == v1.pk
        assert draft.number == 2 and draft.status == "draft"
        assert draft.materials.count() == 2
        # A second edit continues the same draft.
        again = services.item_edit(actor="t", item=item, changes={"promised_limit_value": 3, "steps": [
            {"order": 1, "name": "受理", "role": "clerk", "budget_days": 1},
            {"order": 2, "name": "审查决定", "role": "chief_representative", "budget_days": 2}]})
        assert again.pk == draft.pk
        services.item_publish(actor="t", item=item)

    item.refresh_from_db()
    v1.refresh_from_db()
    v2 = item.current
    assert v2.number == 2 and v2.promised_limit_value == 3 and v2.steps.count() == 2
    assert v1.status == "superseded" and v1.promised_limit_value == 5 and v1.steps.count() == 3
    assert v1.effective_to == v2.effective_from == dt.datetime(2026, 4, 1, 10, 0, tzinfo=TZ)
    assert item.versions.count() == 2
    assert _actions(item) == ["catalog.item_create", "catalog.item_status_publish", "catalog.item_publish",
                              "catalog.item_edit", "catalog.item_edit", "catalog.item_publish"]


def test_edit_without_change_is_refused():
    item = f.published_item()
    with pytest.raises(ValidationFailed):
        services.item_edit(actor="t", item=item, changes={"promised_limit_value": 5})
    assert item.versions.count() == 1


def test_edit_that_breaks_a_rule_leaves_no_draft():
    item = f.published_item()
    with pytest.raises(ValidationFailed):
        services.item_edit(actor="t", item=item, changes={"case_kind": "1"})
    assert item.versions.count() == 1


def test_basic_code_cannot_change():
    item = f.published_item()
    with pytest.raises(ValidationFailed):
        services.item_edit(actor="t", item=item, changes={"basic_code": "009999999999"})


def test_published_version_is_immutable_at_model_level():
    item = f.published_item()
    v = item.current
    v.name = "改名"
    with pytest.raises(RuntimeError):
        v.save()
    with pytest.raises(RuntimeError):
        ServiceItemVersion.objects.get(pk=v.pk).delete()


def test_publish_without_draft_is_a_conflict():
    item = f.published_item()
    with pytest.raises(Conflict):
        services.item_publish(actor="t", item=item)


def test_lifecycle_suspend_resume_cancel():
    item = f.published_item()
    with pytest.raises(ValidationFailed):
        services.item_suspend(actor="t", item=item, reason=" ")
    services.item_suspend(actor="t", item=item, reason="法规修订中")
    item.refresh_from_db()
    assert item.status == "suspended" and item.cancelled_reason == "法规修订中"
    services.item_resume(actor="t", item=item)
    item.refresh_from_db()
    assert item.status == "published"
    services.item_cancel(actor="t", item=item, reason="上级取消")
    item.refresh_from_db()
    assert item.status == "cancelled"
    with pytest.raises(Conflict):
        services.item_resume(actor="t", item=item)
    with pytest.raises(Conflict):
        services.item_edit(actor="t", item=item, changes={"promised_limit_value": 4})
    assert _actions(item)[-3:] == ["catalog.item_status_suspend", "catalog.item_status_resume",
                                   "catalog.item_status_cancel"]


def test_draft_item_cannot_be_suspended():
    item = services.item_create(actor="t", department=f.department(), spec=f.spec())
    with pytest.raises(Conflict):
        services.item_suspend(actor="t", item=item, reason="x")


def test_discard_draft_keeps_published_version():
    item = f.published_item()
    services.item_edit(actor="t", item=item, changes={"promised_limit_value": 4})
    services.item_discard_draft(actor="t", item=item)
    assert list(item.versions.values_list("number", flat=True)) == [1]
    fresh = services.item_create(actor="t", department=f.department(), spec=f.spec())
    with pytest.raises(Conflict):
        services.item_discard_draft(actor="t", item=fresh)


def test_windows_of_other_departments_are_refused_unless_comprehensive():
    dept, other = f.department(), f.department()
    item = f.published_item(dept)
    own, foreign, comprehensive = f.window(dept), f.window(other), f.window(None, is_comprehensive=True)
    services.item_set_windows(actor="t", item=item, windows=[own, comprehensive])
    assert set(item.windows.all()) == {own, comprehensive}
    with pytest.raises(ValidationFailed):
        services.item_set_windows(actor="t", item=item, windows=[foreign])
    assert set(item.windows.all()) == {own, comprehensive}


def test_material_file_upload_checks_content_and_draft_status():
    item = services.item_create(actor="t", department=f.department(), spec=f.spec())
    material = item.versions.get().materials.get(order=1)
    fake = SimpleUploadedFile("form.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationFailed):
        services.material_file_attach(actor="t", material=material, field="blank_form", upload=fake)
    good = SimpleUploadedFile("form.pdf", b"%PDF-1.4\n%%EOF", content_type="application/pdf")
    services.material_file_attach(actor="t", material=material, field="blank_form", upload=good)
    material.refresh_from_db()
    assert material.blank_form.name.endswith(".pdf")
    services.item_publish(actor="t", item=item)
    with pytest.raises(Conflict):
        services.material_file_attach(actor="t", material=material, field="sample_file", upload=good)
    # The file travels with the next version's copy of the material.
    draft = services.item_edit(actor="t", item=item, changes={"promised_limit_value": 4})
    assert draft.materials.get(order=1).blank_form.name == material.blank_form.name

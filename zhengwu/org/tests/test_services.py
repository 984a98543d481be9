import datetime as dt

import pytest

from zhengwu.accounts.models import User
from zhengwu.core.errors import Conflict, PermissionDenied, ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.org.models import Department, Position, ServiceCentre, StaffPost, Window
from zhengwu.org.services import (
    absence_cancel,
    absence_create,
    backup_post_create,
    backup_post_delete,
    centre_create,
    centre_deactivate,
    centre_update,
    department_create,
    department_deactivate,
    department_update,
    staff_post_create,
    staff_post_deactivate,
    staff_post_update,
    window_create,
    window_deactivate,
    window_update,
)
from zhengwu.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

USCC_A = "113307290025000337"


def _valid_uscc():
    from zhengwu.org.identifiers import uscc_build

    return uscc_build(prefix="11", region_code="330729", org_body="00250003")


def test_fixture_uscc_is_the_built_one():
    assert _valid_uscc() == USCC_A


# --- centres ---------------------------------------------------------------------------------------

def test_centres_sit_at_the_level_their_kind_requires(sysadmin, county, township, village, county_centre):
    with pytest.raises(ValidationFailed, match="乡级行政区划"):
        centre_create(actor=sysadmin, name="错设中心", kind=ServiceCentre.Kind.TOWNSHIP, region=county)
    town = centre_create(actor=sysadmin, name="清溪镇便民服务中心", kind=ServiceCentre.Kind.TOWNSHIP,
                         region=township, parent=county_centre)
    room = centre_create(actor=sysadmin, name="城东村便民服务室", kind=ServiceCentre.Kind.VILLAGE, region=village,
                         parent=town)
    assert room.parent == town and town.parent == county_centre
    with pytest.raises(ValidationFailed, match="不能隶属于"):
        centre_create(actor=sysadmin, name="城东村第二服务室", kind=ServiceCentre.Kind.VILLAGE, region=village,
                      parent=county_centre)
    assert AuditEvent.objects.filter(action="org.centre.create").count() == 2


def test_a_branch_needs_a_parent_centre_in_the_same_region(sysadmin, county, township, county_centre):
    with pytest.raises(ValidationFailed, match="上级政务服务中心"):
        centre_create(actor=sysadmin, name="公安分中心", kind=ServiceCentre.Kind.BRANCH, region=county)
    with pytest.raises(ValidationFailed, match="同一行政区划"):
        centre_create(actor=sysadmin, name="公安分中心", kind=ServiceCentre.Kind.BRANCH, region=township,
                      parent=county_centre)
    branch = centre_create(actor=sysadmin, name="公安分中心", kind=ServiceCentre.Kind.BRANCH, region=county,
                           parent=county_centre)
    assert branch.parent == county_centre
    with pytest.raises(ValidationFailed, match="不能隶属于"):
        centre_create(actor=sysadmin, name="分中心的分中心", kind=ServiceCentre.Kind.BRANCH, region=county,
                      parent=branch)


def test_one_main_centre_per_region_and_unique_names(sysadmin, county, county_centre):
    with pytest.raises(Conflict, match="已有"):
        centre_create(actor=sysadmin, name="第二政务服务中心", kind=ServiceCentre.Kind.COUNTY, region=county)
    centre_create(actor=sysadmin, name="不动产登记分中心", kind=ServiceCentre.Kind.BRANCH, region=county,
                  parent=county_centre)
    with pytest.raises(Conflict, match="同名"):
        centre_create(actor=sysadmin, name="不动产登记分中心", kind=ServiceCentre.Kind.BRANCH, region=county,
                      parent=county_centre)


def test_centre_update_is_checked_and_audited_with_the_diff(sysadmin, county_centre, township):
    centre_update(actor=sysadmin, centre=county_centre, phone="0579-88886666", address="清溪县人民路 9 号")
    event = AuditEvent.objects.get(action="org.centre.update")
    assert event.data["phone"] == ["0579-12345678", "0579-88886666"]
    with pytest.raises(ValidationFailed, match="格式不正确"):
        centre_update(actor=sysadmin, centre=county_centre, phone="call me")
    with pytest.raises(ValidationFailed, match="县级行政区划"):
        centre_update(actor=sysadmin, centre=county_centre, region=township)
    with pytest.raises(ValidationFailed, match="不能修改字段"):
        centre_update(actor=sysadmin, centre=county_centre, is_active=False)
    county_centre.refresh_from_db()
    assert county_centre.region.code == "330729" and county_centre.phone == "0579-88886666"


def test_a_centre_with_windows_cannot_be_deactivated(sysadmin, county_centre, window_general):
    with pytest.raises(ValidationFailed, match="窗口"):
        centre_deactivate(actor=sysadmin, centre=county_centre)
    window_deactivate(actor=sysadmin, window=window_general)
    centre_deactivate(actor=sysadmin, centre=county_centre)
    county_centre.refresh_from_db()
    assert county_centre.is_active is False


# --- departments -----------------------------------------------------------------------------------

def test_a_department_is_created_with_a_normalised_valid_uscc(sysadmin, county, county_centre):
    dept = department_create(actor=sysadmin, name="清溪县教育局", uscc=USCC_A.lower(), region=county,
                             centre=county_centre, consultation_phone="0579-12345601")
    assert dept.uscc == USCC_A
    assert AuditEvent.objects.get(action="org.department.create").data["uscc"] == USCC_A


@pytest.mark.parametrize("bad, message", [
    ("11330729002500033X", "校验位"),
    ("1133072900250003SY", "不允许的字符"),
    ("1133072900250003", "18 位"),
])
def test_a_bad_uscc_changes_nothing(sysadmin, county, bad, message):
    with pytest.raises(ValidationFailed, match=message):
        department_create(actor=sysadmin, name="清溪县教育局", uscc=bad, region=county)
    assert not Department.objects.filter(name="清溪县教育局").exists()
    assert not AuditEvent.objects.exists()


def test_a_uscc_belongs_to_one_department_only(sysadmin, county, dept_market):
    with pytest.raises(Conflict, match="已被"):
        department_create(actor=sysadmin, name="清溪县教育局", uscc=dept_market.uscc, region=county)
    with pytest.raises(Conflict, match="同名"):
        department_create(actor=sysadmin, name=dept_market.name, uscc=USCC_A, region=county)


def test_a_department_sits_in_a_centre_of_its_region(sysadmin, county, township, county_centre):
    town_centre = centre_create(actor=sysadmin, name="清溪镇便民服务中心", kind=ServiceCentre.Kind.TOWNSHIP,
                                region=township)
    with pytest.raises(ValidationFailed, match="辖区"):
        department_create(actor=sysadmin, name="清溪镇人民政府", uscc=USCC_A, region=township,
                          centre=county_centre)
    dept = department_create(actor=sysadmin, name="清溪镇人民政府", uscc=USCC_A, region=township,
                             centre=town_centre)
    assert dept.centre == town_centre


def test_department_update_and_deactivate(sysadmin, dept_market, window_market):
    department_update(actor=sysadmin, department=dept_market, short_name="市场监管局")
    dept_market.refresh_from_db()
    assert dept_market.short_name == "市场监管局"
    with pytest.raises(ValidationFailed, match="校验位"):
        department_update(actor=sysadmin, department=dept_market, uscc="11330729002500017X")
    with pytest.raises(ValidationFailed, match="窗口或人员岗位"):
        department_deactivate(actor=sysadmin, department=dept_market)
    window_deactivate(actor=sysadmin, window=window_market)
    department_deactivate(actor=sysadmin, department=dept_market)
    dept_market.refresh_from_db()
    assert dept_market.is_active is False


# --- windows ---------------------------------------------------------------------------------------

def test_windows_are_department_windows_or_comprehensive(centre_admin, county_centre, dept_market):
    window = window_create(actor=centre_admin, centre=county_centre, number="05", name="市场监管二窗",
                           department=dept_market)
    assert window.department == dept_market
    with pytest.raises(ValidationFailed, match="综合窗口"):
        window_create(actor=centre_admin, centre=county_centre, number="06", name="混合", department=dept_market,
                      is_comprehensive=True)
    with pytest.raises(ValidationFailed, match="指定所属部门"):
        window_create(actor=centre_admin, centre=county_centre, number="06", name="空窗口")
    with pytest.raises(Conflict, match="05 号窗口"):
        window_create(actor=centre_admin, centre=county_centre, number="05", name="重复", is_comprehensive=True)
    window_update(actor=centre_admin, window=window, name="市场监管登记窗口")
    window.refresh_from_db()
    assert window.name == "市场监管登记窗口"


def test_a_centre_admin_manages_only_their_own_centre(sysadmin, centre_admin, county_centre, township, outsider):
    town = centre_create(actor=sysadmin, name="清溪镇便民服务中心", kind=ServiceCentre.Kind.TOWNSHIP, region=township)
    with pytest.raises(PermissionDenied):
        window_create(actor=centre_admin, centre=town, number="01", name="综合窗口", is_comprehensive=True)
    with pytest.raises(PermissionDenied):
        window_create(actor=outsider, centre=county_centre, number="09", name="综合窗口", is_comprehensive=True)
    assert not Window.objects.filter(number__in=["01", "09"]).exists()


def test_a_window_with_staff_cannot_be_deactivated(sysadmin, clerk, window_market):
    with pytest.raises(ValidationFailed, match="在岗人员"):
        window_deactivate(actor=sysadmin, window=window_market)


# --- posts -----------------------------------------------------------------------------------------

def test_positions_are_assigned_with_their_unit(secadmin, dept_market, county_centre, window_market):
    person = UserFactory.create(username="newbie", real_name="新同事")
    post = staff_post_create(actor=secadmin, user=person, position=Position.CLERK, department=dept_market,
                             window=window_market)
    assert post.window == window_market
    with pytest.raises(ValidationFailed, match="须指定部门"):
        staff_post_create(actor=secadmin, user=person, position=Position.REVIEWER, centre=county_centre)
    with pytest.raises(ValidationFailed, match="须指定服务中心"):
        staff_post_create(actor=secadmin, user=person, position=Position.SUPERVISOR, department=dept_market)
    with pytest.raises(ValidationFailed, match="不能指定窗口"):
        staff_post_create(actor=secadmin, user=person, position=Position.LEADER, department=dept_market,
                          window=window_market)
    with pytest.raises(Conflict):
        staff_post_create(actor=secadmin, user=person, position=Position.CLERK, department=dept_market)
    event = AuditEvent.objects.get(action="org.staff_post.create")
    assert event.data["position"] == "clerk" and "新同事" not in event.object_repr


def test_a_window_of_another_department_is_refused(secadmin, dept_land, window_market):
    person = UserFactory.create(username="newbie")
    with pytest.raises(ValidationFailed, match="属于"):
        staff_post_create(actor=secadmin, user=person, position=Position.CLERK, department=dept_land,
                          window=window_market)


def test_administrators_and_applicants_hold_no_business_post(secadmin, sysadmin, auditadmin, applicant,
                                                             dept_market):
    for person in (sysadmin, auditadmin, applicant):
        with pytest.raises(ValidationFailed):
            staff_post_create(actor="system", user=person, position=Position.REVIEWER, department=dept_market)
    assert not StaffPost.objects.filter(user__in=[sysadmin, auditadmin, applicant]).exists()


def test_centre_admin_post_grants_admin_site_access_and_ending_it_removes_it(secadmin, county_centre):
    person = UserFactory.create(username="newadmin")
    assert person.is_staff is False
    post = staff_post_create(actor=secadmin, user=person, position=Position.CENTRE_ADMIN, centre=county_centre)
    person.refresh_from_db()
    assert person.is_staff is True
    staff_post_deactivate(actor=secadmin, post=post)
    person.refresh_from_db()
    assert person.is_staff is False
    again = staff_post_create(actor=secadmin, user=person, position=Position.CENTRE_ADMIN, centre=county_centre)
    assert again.pk == post.pk and again.is_active
    assert AuditEvent.objects.filter(action="org.staff_post.reactivate").count() == 1


def test_a_centre_admin_assigns_business_posts_but_not_centre_posts(centre_admin, county_centre, dept_market):
    person = UserFactory.create(username="newbie")
    staff_post_create(actor=centre_admin, user=person, position=Position.REVIEWER, department=dept_market)
    with pytest.raises(PermissionDenied):
        staff_post_create(actor=centre_admin, user=person, position=Position.SUPERVISOR, centre=county_centre)
    with pytest.raises(PermissionDenied):
        staff_post_create(actor=centre_admin, user=person, position=Position.CENTRE_ADMIN, centre=county_centre)


@pytest.mark.parametrize("persona", ["sysadmin", "auditadmin", "reviewer", "supervisor"])
def test_others_cannot_assign_posts(request, persona, dept_market):
    actor = request.getfixturevalue(persona)
    person = UserFactory.create(username="newbie")
    with pytest.raises(PermissionDenied):
        staff_post_create(actor=actor, user=person, position=Position.CLERK, department=dept_market)
    assert not StaffPost.objects.filter(user=person).exists()


def test_a_clerk_moves_to_the_comprehensive_window(centre_admin, clerk, window_general):
    post = StaffPost.objects.get(user=clerk)
    staff_post_update(actor=centre_admin, post=post, window=window_general)
    post.refresh_from_db()
    assert post.window == window_general


# --- AB岗 and absences -----------------------------------------------------------------------------

def test_backup_pairs_stay_inside_one_department(secadmin, reviewer, section_head, outsider):
    a = StaffPost.objects.get(user=reviewer)
    b = StaffPost.objects.get(user=section_head)
    pair = backup_post_create(actor=secadmin, primary=a, backup=b)
    with pytest.raises(Conflict):
        backup_post_create(actor=secadmin, primary=a, backup=b)
    with pytest.raises(ValidationFailed, match="同一部门"):
        backup_post_create(actor=secadmin, primary=a, backup=StaffPost.objects.get(user=outsider))
    with pytest.raises(ValidationFailed, match="同一人"):
        backup_post_create(actor=secadmin, primary=a, backup=a)
    backup_post_delete(actor=secadmin, backup_post=pair)
    assert AuditEvent.objects.filter(action="org.backup_post.delete").count() == 1


def test_absences_are_checked_and_overlaps_refused(centre_admin, reviewer, applicant):
    absence = absence_create(actor=centre_admin, user=reviewer, starts_on=dt.date(2026, 12, 1),
                             ends_on=dt.date(2026, 12, 3), reason="年休假")
    with pytest.raises(Conflict, match="重叠"):
        absence_create(actor=centre_admin, user=reviewer, starts_on=dt.date(2026, 12, 3),
                       ends_on=dt.date(2026, 12, 5), reason="培训")
    with pytest.raises(ValidationFailed, match="结束日期"):
        absence_create(actor=centre_admin, user=reviewer, starts_on=dt.date(2026, 12, 9),
                       ends_on=dt.date(2026, 12, 8), reason="培训")
    with pytest.raises(ValidationFailed, match="事由"):
        absence_create(actor=centre_admin, user=reviewer, starts_on=dt.date(2026, 12, 9),
                       ends_on=dt.date(2026, 12, 9), reason=" ")
    absence_cancel(actor=centre_admin, absence=absence)
    assert AuditEvent.objects.filter(action__startswith="org.absence.").count() == 2


def test_a_section_head_records_absences_in_their_department_only(section_head, reviewer, outsider):
    absence_create(actor=section_head, user=reviewer, starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2026, 12, 1),
                   reason="病假")
    with pytest.raises(PermissionDenied):
        absence_create(actor=section_head, user=outsider, starts_on=dt.date(2026, 12, 1),
                       ends_on=dt.date(2026, 12, 1), reason="病假")
    with pytest.raises(PermissionDenied):
        absence_create(actor=outsider, user=reviewer, starts_on=dt.date(2026, 12, 2), ends_on=dt.date(2026, 12, 2),
                       reason="病假")


def test_admin_role_holder_is_not_a_valid_post_user(secadmin, dept_market):
    person = UserFactory.create(username="someadmin", admin_role=User.AdminRole.SYSADMIN)
    with pytest.raises(ValidationFailed, match="三员不得兼任"):
        staff_post_create(actor=secadmin, user=person, position=Position.CLERK, department=dept_market)

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from stdnum.cn import uscc as stdnum_uscc

from zhengwu.accounts.models import User
from zhengwu.core.audit import audit_verify
from zhengwu.core.models import AuditEvent
from zhengwu.demo import data
from zhengwu.org.identifiers import region_level_of, uscc_is_valid
from zhengwu.org.models import BackupPost, Department, Position, Region, ServiceCentre, StaffPost, Window
from zhengwu.org.selectors import departments_of, user_has_position

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seed once for the module (about 10 s) inside an outer transaction that is rolled back at the
    end; each test runs in its own savepoint within it, so tests still cannot see each other's writes."""
    test_settings = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                                      MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with django_db_blocker.unblock(), test_settings:
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            out = io.StringIO()
            call_command("seed_demo", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_the_demo_county_has_a_valid_region_tree(seeded):
    county = Region.objects.select_related("parent__parent").get(code="330729")
    assert county.parent is not None and county.parent.parent is not None
    assert county.parent.code == "330700" and county.parent.parent.code == "330000"
    townships = Region.objects.filter(parent=county)
    assert 8 <= townships.count() <= 12
    for township in townships:
        villages = Region.objects.filter(parent=township)
        assert villages.count() >= 2, township.name
        assert all(v.code.startswith(township.code) and len(v.code) == 12 for v in villages)
    assert all(region_level_of(r.code) == r.level for r in Region.objects.all())


def test_centres_at_every_level(seeded):
    main = ServiceCentre.objects.get(kind=ServiceCentre.Kind.COUNTY)
    branches = ServiceCentre.objects.filter(kind=ServiceCentre.Kind.BRANCH)
    assert {b.name for b in branches} == {"清溪县公安分中心", "清溪县不动产登记分中心", "清溪县社保医保分中心"}
    assert all(b.parent == main for b in branches)
    assert ServiceCentre.objects.filter(kind=ServiceCentre.Kind.TOWNSHIP, parent=main).count() == len(data.TOWNSHIPS)
    rooms = ServiceCentre.objects.filter(kind=ServiceCentre.Kind.VILLAGE)
    assert rooms.count() == len(data.VILLAGE_ROOMS)
    assert all(r.parent is not None and r.parent.kind == ServiceCentre.Kind.TOWNSHIP for r in rooms)


def test_departments_carry_valid_usccs_of_the_county(seeded):
    departments = list(Department.objects.all())
    assert len(departments) >= 25
    assert len({d.uscc for d in departments}) == len(departments)
    for dept in departments:
        assert uscc_is_valid(dept.uscc) and stdnum_uscc.is_valid(dept.uscc), dept.name
        assert dept.uscc[2:8] == "330729" and dept.uscc[:2] in {"11", "12", "13"}
    police = Department.objects.get(name="清溪县公安局")
    assert police.centre is not None and police.centre.name == "清溪县公安分中心"


def test_every_department_has_windows_and_staff_for_every_business_role(seeded):
    business = {Position.CLERK, Position.REVIEWER, Position.CHIEF_REPRESENTATIVE, Position.SECTION_HEAD,
                Position.LEADER}
    departments = list(Department.objects.all())
    assert departments
    for dept in departments:
        assert Window.objects.filter(department=dept).exists(), dept.name
        held = set(StaffPost.objects.filter(department=dept, is_active=True).values_list("position", flat=True))
        assert held == business, dept.name
    main = ServiceCentre.objects.get(kind=ServiceCentre.Kind.COUNTY)
    assert Window.objects.filter(centre=main, is_comprehensive=True).count() >= 3
    assert StaffPost.objects.filter(position=Position.SUPERVISOR, centre=main).count() >= 1
    assert StaffPost.objects.filter(position=Position.CENTRE_ADMIN, centre=main).count() == 1
    assert BackupPost.objects.count() >= 3 * len(departments)


def test_demo_logins_work_with_the_printed_password_and_are_not_forced_to_change_it(seeded, client):
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    lines = [line.split() for line in out.getvalue().splitlines()[1:]]
    assert len(lines) == len(data.DEMO_LOGINS)
    for _label, username, password in lines:
        user = User.objects.get(username=username)
        assert password == data.DEMO_PASSWORD and user.check_password(password) and not user.must_change_password
        assert user.password_never_expires
    assert client.login(username="reviewer", password=data.DEMO_PASSWORD)
    roles = dict(User.objects.filter(admin_role__gt="").values_list("username", "admin_role"))
    assert roles == {"sysadmin": "sysadmin", "secadmin": "secadmin", "auditadmin": "auditadmin"}
    assert User.objects.get(username="applicant").kind == User.Kind.APPLICANT


def test_demo_staff_names_are_chinese_and_have_the_scope_of_their_department(seeded):
    market = Department.objects.get(name="清溪县市场监督管理局")
    reviewer = User.objects.get(username="reviewer")
    assert list(departments_of(reviewer)) == [market]
    assert user_has_position(User.objects.get(username="chief"), Position.CHIEF_REPRESENTATIVE, market)
    staff = User.objects.filter(kind=User.Kind.STAFF, admin_role="").exclude(real_name="")
    assert staff.count() >= 6 * 32
    assert all("\u4e00" <= u.real_name[0] <= "\u9fff" for u in staff)


def test_a_second_run_changes_nothing(seeded):
    counts = (Region.objects.count(), Department.objects.count(), Window.objects.count(), User.objects.count(),
              StaffPost.objects.count(), BackupPost.objects.count(), AuditEvent.objects.count())
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "未作修改" in out.getvalue()
    assert (Region.objects.count(), Department.objects.count(), Window.objects.count(), User.objects.count(),
            StaffPost.objects.count(), BackupPost.objects.count(), AuditEvent.objects.count()) == counts
    assert audit_verify()[1] == []


def test_the_summary_reports_what_was_created(seeded):
    assert "新建部门 32" in seeded and "工作日历" in seeded


def test_the_catalog_is_seeded_with_published_items(seeded):
    pytest.importorskip("zhengwu.catalog.demo", reason="the catalog's demo data is not there yet")
    from zhengwu.catalog.models import ServiceItem

    published = ServiceItem.objects.filter(status=ServiceItem.Status.PUBLISHED)
    assert published.count() >= 150
    assert published.values("department").distinct().count() == 32
    assert "事项目录：新建并发布事项" in seeded

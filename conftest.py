"""Test personas (STYLE.md habit 10): a small county, its centre, two departments and one user
per role, including an outsider who is a reviewer in the other department.

Built with the factories of zhengwu/org/tests/factories.py (fixed defaults, no randomness), so
each fixture costs a few inserts and is created only when a test asks for it.
"""

import pytest

from zhengwu.accounts.models import User
from zhengwu.org.models import Position, ServiceCentre
from zhengwu.org.tests.factories import (
    PASSWORD,
    CentreFactory,
    DepartmentFactory,
    RegionFactory,
    StaffPostFactory,
    UserFactory,
    WindowFactory,
)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _frozen_versions_forgotten():
    # A rolled-back test gives its ids back: the next test's version 1 is another version.
    from zhengwu.catalog.selectors import version_frozen_clear

    version_frozen_clear()
    yield
    version_frozen_clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # PBKDF2's deliberate slowness costs ~0.3 s per persona; tests check logic, not hash cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server (browser tests), made to leave no database session behind.

    Requesting django_db_setup first makes the test database outlive the server: session fixtures
    are torn down in reverse order, and a server started before the database (the browser tests ask
    for `browser` and `live_server` before any database fixture) was still serving when the
    database was dropped ("database test_zhengwu is being accessed by other users"). And each
    request closes its thread's database connections when its response is done: the server serves
    a browser's keep-alive socket in one thread, which otherwise kept its connection (CONN_MAX_AGE)
    for as long as the browser kept the socket open, past the server's stop."""
    from django.db import connections

    app = live_server.thread.httpd.get_app()

    def closing_connections(environ, start_response):
        try:
            response = app(environ, start_response)
            try:
                yield from response
            finally:
                if hasattr(response, "close"):
                    response.close()  # Django's request_finished, as the server would call it
        finally:
            connections.close_all()  # also when the app raised before it had a response

    live_server.thread.httpd.set_app(closing_connections)
    return live_server


@pytest.fixture
def persona_password():
    return PASSWORD


# --- region tree: 浙江省 → 金华市 → 清溪县 → 清溪镇 → 城东村 -------------------------------------

@pytest.fixture
def province(db):
    return RegionFactory.create(code="330000", name="浙江省", parent=None)


@pytest.fixture
def prefecture(province):
    return RegionFactory.create(code="330700", name="金华市", parent=province)


@pytest.fixture
def county(prefecture):
    return RegionFactory.create(code="330729", name="清溪县", parent=prefecture)


@pytest.fixture
def township(county):
    return RegionFactory.create(code="330729100", name="清溪镇", parent=county)


@pytest.fixture
def village(township):
    return RegionFactory.create(code="330729100201", name="城东村", parent=township)


# --- centre, departments, windows -------------------------------------------------------------------

@pytest.fixture
def county_centre(county):
    return CentreFactory.create(name="清溪县政务服务中心", kind=ServiceCentre.Kind.COUNTY, region=county)


@pytest.fixture
def dept_market(county, county_centre):
    return DepartmentFactory.create(name="清溪县市场监督管理局", short_name="县市场监督管理局", region=county,
                             centre=county_centre, uscc="11330729002500017H")


@pytest.fixture
def dept_land(county, county_centre):
    return DepartmentFactory.create(name="清溪县自然资源局", short_name="县自然资源局", region=county,
                             centre=county_centre, uscc="11330729002500025C")


@pytest.fixture
def window_market(county_centre, dept_market):
    return WindowFactory.create(centre=county_centre, number="01", name="市场监管窗口", department=dept_market,
                         is_comprehensive=False)


@pytest.fixture
def window_land(county_centre, dept_land):
    return WindowFactory.create(centre=county_centre, number="02", name="自然资源窗口", department=dept_land,
                         is_comprehensive=False)


@pytest.fixture
def window_general(county_centre):
    return WindowFactory.create(centre=county_centre, number="10", name="综合窗口", department=None,
                         is_comprehensive=True)


# --- people -----------------------------------------------------------------------------------------

def _staff(username, real_name, position, department=None, centre=None, window=None):
    user = UserFactory.create(username=username, real_name=real_name)
    StaffPostFactory.create(user=user, position=position, department=department, centre=centre, window=window)
    return user


@pytest.fixture
def applicant(db):
    return UserFactory.create(username="applicant", real_name="张三", phone="13912345678", kind=User.Kind.APPLICANT)


@pytest.fixture
def clerk(dept_market, window_market):
    return _staff("clerk", "李窗口", Position.CLERK, department=dept_market, window=window_market)


@pytest.fixture
def reviewer(dept_market):
    return _staff("reviewer", "赵审批", Position.REVIEWER, department=dept_market)


@pytest.fixture
def chief_representative(dept_market, window_market):
    return _staff("chief", "钱首席", Position.CHIEF_REPRESENTATIVE, department=dept_market, window=window_market)


@pytest.fixture
def section_head(dept_market):
    return _staff("section_head", "孙科长", Position.SECTION_HEAD, department=dept_market)


@pytest.fixture
def leader(dept_market):
    return _staff("leader", "周局长", Position.LEADER, department=dept_market)


@pytest.fixture
def supervisor(county_centre):
    return _staff("supervisor", "吴监察", Position.SUPERVISOR, centre=county_centre)


@pytest.fixture
def centre_admin(county_centre):
    user = _staff("centre_admin", "郑主任", Position.CENTRE_ADMIN, centre=county_centre)
    User.objects.filter(pk=user.pk).update(is_staff=True)
    user.refresh_from_db()
    return user


def _admin(username, real_name, role):
    return UserFactory.create(username=username, real_name=real_name, admin_role=role, is_staff=True)


@pytest.fixture
def sysadmin(db):
    return _admin("sysadmin", "冯系统", User.AdminRole.SYSADMIN)


@pytest.fixture
def secadmin(db):
    return _admin("secadmin", "陈安全", User.AdminRole.SECADMIN)


@pytest.fixture
def auditadmin(db):
    return _admin("auditadmin", "褚审计", User.AdminRole.AUDITADMIN)


@pytest.fixture
def outsider(dept_land):
    """A reviewer in the other department: must never see the market department's work."""
    return _staff("outsider", "卫外人", Position.REVIEWER, department=dept_land)

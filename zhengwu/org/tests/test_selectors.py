import datetime as dt

import pytest

from zhengwu.org.models import Position, StaffPost
from zhengwu.org.selectors import (
    acting_for,
    centres_of,
    departments_of,
    departments_supervised_by,
    is_absent,
    user_has_position,
)
from zhengwu.org.services import absence_create, backup_post_create, staff_post_deactivate

pytestmark = pytest.mark.django_db

LEAVE_FROM, LEAVE_TO = dt.date(2026, 12, 7), dt.date(2026, 12, 9)


@pytest.fixture
def chief_backed_by_reviewer(secadmin, chief_representative, reviewer):
    """A = the market department's chief representative, B = a reviewer of the same department."""
    a = StaffPost.objects.get(user=chief_representative)
    b = StaffPost.objects.get(user=reviewer)
    return backup_post_create(actor=secadmin, primary=a, backup=b)


def test_department_scope_is_the_departments_of_active_posts(reviewer, outsider, dept_market, dept_land):
    assert list(departments_of(reviewer)) == [dept_market]
    assert list(departments_of(outsider)) == [dept_land]


def test_people_without_department_posts_have_no_department_scope(applicant, sysadmin, supervisor, centre_admin):
    for person in (applicant, sysadmin, supervisor, centre_admin):
        assert not departments_of(person).exists(), person.username


def test_an_ended_post_or_a_disabled_user_loses_the_scope(secadmin, reviewer):
    post = StaffPost.objects.get(user=reviewer)
    staff_post_deactivate(actor=secadmin, post=post)
    assert not departments_of(reviewer).exists()
    assert not user_has_position(reviewer, Position.REVIEWER)


def test_b_acts_for_a_only_on_the_days_a_is_absent(centre_admin, chief_backed_by_reviewer,
                                                   chief_representative, reviewer, dept_market):
    absence_create(actor=centre_admin, user=chief_representative, starts_on=LEAVE_FROM, ends_on=LEAVE_TO,
                   reason="外出培训")
    before, during, after = LEAVE_FROM - dt.timedelta(days=1), LEAVE_FROM + dt.timedelta(days=1), LEAVE_TO + \
        dt.timedelta(days=1)
    assert acting_for(reviewer, before) == []
    assert [p.user for p in acting_for(reviewer, during)] == [chief_representative]
    assert acting_for(reviewer, after) == []
    assert user_has_position(reviewer, Position.CHIEF_REPRESENTATIVE, dept_market, on_date=during)
    assert not user_has_position(reviewer, Position.CHIEF_REPRESENTATIVE, dept_market, on_date=before)
    assert not user_has_position(reviewer, Position.CHIEF_REPRESENTATIVE, on_date=during, include_acting=False)
    assert is_absent(chief_representative, during) and not is_absent(chief_representative, after)


def test_backup_across_departments_extends_scope_for_the_absence_only(secadmin, centre_admin, outsider,
                                                                      dept_land, dept_market):
    """A section head of the land department is A; the market reviewer-turned-land-reviewer is B."""
    from zhengwu.org.tests.factories import StaffPostFactory, UserFactory

    land_head = UserFactory.create(username="land_head", real_name="蒋科长")
    a = StaffPostFactory.create(user=land_head, position=Position.SECTION_HEAD, department=dept_land)
    b = StaffPost.objects.get(user=outsider)
    backup_post_create(actor=secadmin, primary=a, backup=b)
    absence_create(actor=centre_admin, user=land_head, starts_on=LEAVE_FROM, ends_on=LEAVE_TO, reason="病假")
    assert user_has_position(outsider, Position.SECTION_HEAD, dept_land, on_date=LEAVE_FROM)
    assert not user_has_position(outsider, Position.SECTION_HEAD, dept_market, on_date=LEAVE_FROM)
    assert list(departments_of(outsider, LEAVE_FROM)) == [dept_land]


def test_a_b_post_holder_from_another_department_gains_that_scope_while_covering(
        secadmin, chief_backed_by_reviewer, centre_admin, chief_representative, reviewer, dept_market):
    absence_create(actor=centre_admin, user=chief_representative, starts_on=LEAVE_FROM, ends_on=LEAVE_TO,
                   reason="事假")
    assert list(departments_of(reviewer, LEAVE_FROM)) == [dept_market]


def test_supervisor_sees_the_departments_stationed_at_their_centre(supervisor, county_centre, dept_market,
                                                                   dept_land):
    assert list(centres_of(supervisor)) == [county_centre]
    assert set(departments_supervised_by(supervisor)) == {dept_market, dept_land}
    assert user_has_position(supervisor, Position.SUPERVISOR)
    assert not user_has_position(supervisor, Position.REVIEWER)


def test_scope_selectors_cost_one_query_each(django_assert_num_queries, chief_backed_by_reviewer, reviewer,
                                             dept_market):
    with django_assert_num_queries(1):
        list(departments_of(reviewer, LEAVE_FROM))
    with django_assert_num_queries(1):
        acting_for(reviewer, LEAVE_FROM)
    with django_assert_num_queries(1):
        assert user_has_position(reviewer, Position.REVIEWER, dept_market)


def _reach_by_the_long_way(user, day):
    from zhengwu.org.selectors import departments_of, departments_supervised_by, posts_in_department

    departments = list(departments_of(user, day))
    positions = {d.pk: frozenset(p for p, _holder in posts_in_department(user, d.pk, day)) for d in departments}
    return ([(d.pk, d.name, d.short_name) for d in departments], {pk: held for pk, held in positions.items() if held},
            frozenset(departments_supervised_by(user).values_list("pk", flat=True)))


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "leader", "section_head", "supervisor", "outsider",
                                     "applicant", "sysadmin"])
def test_staff_reach_is_departments_of_their_positions_and_the_supervised_ones(persona, request, clerk, dept_land,
                                                                               dept_market, county_centre):
    import datetime as dt

    from zhengwu.org.models import Absence, BackupPost, Position, ServiceCentre, StaffPost
    from zhengwu.org.selectors import staff_reach

    user = request.getfixturevalue(persona)
    # The persona covers the market clerk's post as B岗 while the clerk is away (and holds a post of
    # its own in the land department), and a branch centre sits under the county centre.
    if persona not in ("applicant", "sysadmin", "clerk"):
        own = StaffPost.objects.create(user=user, position=Position.REVIEWER, department=dept_land)
        BackupPost.objects.create(primary=StaffPost.objects.get(user=clerk), backup=own)
    Absence.objects.create(user=clerk, starts_on=dt.date(2026, 3, 2), ends_on=dt.date(2026, 3, 3), reason="病假")
    branch = ServiceCentre.objects.create(name="分中心", kind=ServiceCentre.Kind.BRANCH, region=county_centre.region,
                                          parent=county_centre)
    dept_land.centre = branch
    dept_land.save()
    for day in (dt.date(2026, 3, 2), dt.date(2026, 3, 4)):
        reach = staff_reach(user, day)
        expected = _reach_by_the_long_way(user, day)
        assert ([(d.pk, d.name, d.short_name) for d in reach.departments], reach.positions, reach.supervised) == \
            expected, (persona, day)
    # The covered A post's positions lapse with its holder's account; the department stays (departments_of).
    clerk.is_active = False
    clerk.save()
    day = dt.date(2026, 3, 2)
    reach = staff_reach(user, day)
    assert ([(d.pk, d.name, d.short_name) for d in reach.departments], reach.positions, reach.supervised) == \
        _reach_by_the_long_way(user, day)

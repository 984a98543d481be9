"""差评回访整改: the department's follow-up on a bad rating, and rule A10 reading it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from zhengwu.cases.models import Rating
from zhengwu.core.errors import NotFound, ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.supervision.models import RatingFollowUp, SupervisionRecord
from zhengwu.supervision.services import rating_follow_up_record, rules_run
from zhengwu.supervision.tests.conftest import SH

YEAR = (dt.datetime(2026, 1, 1, tzinfo=SH), dt.datetime(2027, 1, 1, tzinfo=SH))
# Rated Mon 2026-03-02; 15 working days (the day itself not counted) end on Mon 03-23.
DUE_DAY = dt.datetime(2026, 3, 23, 17, 0, tzinfo=SH)


def a10() -> list[SupervisionRecord]:
    rules_run(actor="supervision", start=YEAR[0], end=YEAR[1], codes=["A10"])
    return list(SupervisionRecord.objects.filter(rule_code="A10"))


@pytest.fixture
def bad_rating(accepted, clock):
    return Rating.objects.create(case=accepted, level="very_dissatisfied", channel="pc", rated_at=timezone.now(),
                                 comment="窗口人员态度生硬")


def _follow_up(actor, rating, **kw):
    return rating_follow_up_record(actor=actor, rating_id=rating.pk, contact_method=kw.get("method", "phone"),
                                   explanation="已电话联系申请人，了解不满意原因", rectification="对窗口人员进行服务规范培训")


def test_a_follow_up_on_the_last_day_keeps_a10_quiet(bad_rating, clock, section_head):
    clock.move_to(DUE_DAY)
    row = _follow_up(section_head, bad_rating)
    assert row.department_id == bad_rating.case.department_id and row.recorded_by_id == section_head.pk
    audit = AuditEvent.objects.get(action="supervision.rating_follow_up")
    assert audit.data["case_no"] == bad_rating.case.case_no and audit.data["contact_method"] == "phone"
    clock.move_to(dt.datetime(2026, 4, 10, 9, tzinfo=SH))
    assert a10() == []


def test_no_follow_up_hits_after_the_period_and_not_before(bad_rating, clock):
    clock.move_to(DUE_DAY)
    assert a10() == []  # the 15th working day is not over yet
    clock.move_to(dt.datetime(2026, 3, 24, 9, tzinfo=SH))
    (hit,) = a10()
    assert hit.case_id == bad_rating.case_id and hit.evidence["follow_up_due"] == "2026-03-23"
    assert hit.evidence["followed_up_at"] is None and "未回访整改" in hit.description


def test_a_late_follow_up_still_hits(bad_rating, clock, leader):
    clock.move_to(dt.datetime(2026, 3, 24, 10, tzinfo=SH))
    _follow_up(leader, bad_rating, method="visit")
    (hit,) = a10()
    assert hit.evidence["followed_up_at"].startswith("2026-03-24") and "2026-03-24 才回访" in hit.description


def test_a_good_rating_needs_no_follow_up_and_outsiders_learn_nothing(accepted, clock, section_head, outsider,
                                                                       clerk):
    good = Rating.objects.create(case=accepted, level="satisfied", channel="pc", rated_at=timezone.now())
    with pytest.raises(ValidationFailed):
        _follow_up(section_head, good)
    good.level = "dissatisfied"
    good.save()
    for stranger in (outsider, clerk):  # another department; a clerk who does not answer for the department
        with pytest.raises(NotFound):
            _follow_up(stranger, good)
    with pytest.raises(ValidationFailed):
        rating_follow_up_record(actor=section_head, rating_id=good.pk, contact_method="fax", explanation="x",
                                rectification="y")
    with pytest.raises(ValidationFailed):
        rating_follow_up_record(actor=section_head, rating_id=good.pk, contact_method="phone", explanation=" ",
                                rectification="y")
    assert not RatingFollowUp.objects.exists()


def test_the_follow_up_pages(bad_rating, clock, section_head, outsider, supervisor, persona_password):
    dept = Client()
    assert dept.login(username=section_head.username, password=persona_password)
    listing = dept.get("/supervision/ratings/").content.decode()
    assert bad_rating.case.case_no in listing and "待回访" in listing
    assert bad_rating.case.applicant_name not in listing  # masked
    page = dept.get(f"/supervision/ratings/{bad_rating.pk}/")
    assert page.status_code == 200 and "窗口人员态度生硬" in page.content.decode() and "登记回访整改" in page.content.decode()
    refused = dept.post(f"/supervision/ratings/{bad_rating.pk}/", {"contact_method": "phone", "explanation": "",
                                                                  "rectification": "培训"})
    assert refused.status_code == 422 and "请填写情况说明" in refused.content.decode()
    done = dept.post(f"/supervision/ratings/{bad_rating.pk}/", {"contact_method": "phone", "explanation": "已回访",
                                                               "rectification": "培训"})
    assert done.status_code == 302
    assert "已按期回访" in dept.get(f"/supervision/ratings/{bad_rating.pk}/").content.decode()
    watcher = Client()
    assert watcher.login(username=supervisor.username, password=persona_password)
    seen = watcher.get(f"/supervision/ratings/{bad_rating.pk}/").content.decode()
    assert "已回访" in seen and "登记回访整改" not in seen  # the supervisor reads, the department records
    other = Client()
    assert other.login(username=outsider.username, password=persona_password)
    assert other.get(f"/supervision/ratings/{bad_rating.pk}/").status_code == 404
    assert bad_rating.case.case_no not in other.get("/supervision/ratings/").content.decode()

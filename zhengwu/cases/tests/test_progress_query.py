"""进度查询: the public answer, in one SELECT (issue 5: the busiest public read)."""

from __future__ import annotations

import pytest

from zhengwu.cases import selectors, services, states
from zhengwu.cases.models import ApplicantType, IdType
from zhengwu.cases.states import Status
from zhengwu.cases.tests.conftest import USCC_ORG, full_materials, person
from zhengwu.core.errors import NotFound

pytestmark = pytest.mark.django_db


def test_one_select_answers_with_the_timeline_and_promised_date(accepted, django_assert_num_queries):
    selectors.progress_query(case_no=accepted.case_no, query_code=accepted.query_code)  # PostgreSQL: prepares it
    with django_assert_num_queries(1):
        answer = selectors.progress_query(case_no=accepted.case_no, query_code=accepted.query_code.lower())
    promised = services.case_clock(accepted, "case.promised")
    assert promised is not None
    assert answer["promised_due_date"] == promised.due_date
    assert answer["applicant"] == "张*" and answer["status"] == "accepted"
    assert answer["item_name"] == accepted.item_version.name and answer["department"] == accepted.department.name
    public = list(accepted.events.filter(public=True).order_by("occurred_at", "id"))
    assert [row["at"] for row in answer["timeline"]] == [e.occurred_at for e in public]
    assert answer["timeline"][-1]["status_label"] == states.label(Status.ACCEPTED)


def test_a_case_without_clocks_has_no_promised_date(submitted):
    answer = selectors.progress_query(case_no=submitted.case_no, query_code=submitted.query_code)
    assert answer["promised_due_date"] is None
    assert answer["timeline"] and answer["status_label"] == "待受理"


def test_an_organisation_is_named_in_full(item, applicant):
    case = services.case_submit(actor=applicant, item_id=item.pk, materials=full_materials(item),
                                applicant=person(applicant_type=ApplicantType.ORGANISATION, name="清溪县某某有限公司",
                                                 id_type=IdType.USCC, id_number=USCC_ORG))
    answer = selectors.progress_query(case_no=case.case_no, query_code=case.query_code)
    assert answer["applicant"] == "清溪县某某有限公司"


def test_wrong_code_and_unknown_number_give_the_same_404(submitted, django_assert_num_queries):
    with pytest.raises(NotFound) as wrong:
        selectors.progress_query(case_no=submitted.case_no, query_code="ZZZZZZZZ")
    with pytest.raises(NotFound) as unknown:
        selectors.progress_query(case_no="2026-X-000999", query_code=submitted.query_code)
    assert wrong.value.message_zh == unknown.value.message_zh
    with django_assert_num_queries(0), pytest.raises(NotFound):
        selectors.progress_query(case_no="2026\x00", query_code=submitted.query_code)

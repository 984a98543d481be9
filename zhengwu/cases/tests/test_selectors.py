"""clocks_of_cases: the one selector of a case's (or several cases') clocks on the shared ledger."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import CharField, OuterRef
from django.db.models.functions import Cast
from django.test.utils import CaptureQueriesContext

from zhengwu.cases import services
from zhengwu.cases.models import Case
from zhengwu.cases.selectors import clocks_of_cases
from zhengwu.cases.tests.conftest import clock_of
from zhengwu.workcalendar.models import Clock, Unit
from zhengwu.workcalendar.services import clock_start

pytestmark = pytest.mark.django_db


def test_the_clocks_of_a_case_of_several_cases_and_of_every_case(accepted, clerk, django_user_model):
    # A clock another kind of owner holds under the same id is never a case's.
    stranger = django_user_model.objects.get(pk=clerk.pk)
    other = clock_start(actor="test", owner=stranger, kind="test.other", budget_value=3,
                        budget_unit=Unit.WORKING_DAYS)
    assert other.owner_id == str(stranger.pk)
    mine = set(Clock.objects.filter(owner_type=ContentType.objects.get_for_model(Case))
               .values_list("pk", flat=True))
    assert {services.CLOCK_LEGAL, services.CLOCK_PROMISED} <= set(
        clocks_of_cases(owner_id=str(accepted.pk)).values_list("kind", flat=True))
    assert set(clocks_of_cases().values_list("pk", flat=True)) == mine
    assert set(clocks_of_cases(owner_ids=[str(accepted.pk)]).values_list("pk", flat=True)) == mine
    assert set(clocks_of_cases(owner_ids=[str(accepted.pk + 1)]).values_list("pk", flat=True)) == set()
    subquery = Case.objects.annotate(key=Cast("pk", CharField())).values("key")
    assert set(clocks_of_cases(owner_ids=subquery).values_list("pk", flat=True)) == mine
    promised = clocks_of_cases(owner_id=OuterRef("key")).filter(kind=services.CLOCK_PROMISED).values("due_date")[:1]
    [(due,)] = Case.objects.annotate(key=Cast("pk", CharField())).annotate(due=promised).values_list("due")
    assert due == clock_of(accepted, services.CLOCK_PROMISED).due_date


def test_one_statement_and_no_content_type_id_in_it(accepted):
    # Matched by the owner type's natural key: no lookup of the content type, even on a cold cache,
    # and no id in the SQL that a flushed test database would renumber (the statements compiled once
    # per process keep their parameters).
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        found = list(clocks_of_cases(owner_id=str(accepted.pk)))
    assert len(queries) == 1 and len(found) >= 2
    sql, params = clocks_of_cases(owner_id="1").query.sql_with_params()
    assert "django_content_type" in sql and ContentType.objects.get_for_model(Case).pk not in params

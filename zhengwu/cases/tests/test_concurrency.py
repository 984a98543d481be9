"""Two staff acting on one case at once: exactly one succeeds, nothing is lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from zhengwu.cases import services
from zhengwu.cases.models import Case, CaseEvent
from zhengwu.cases.services import _transition
from zhengwu.cases.states import Action, Role, Status
from zhengwu.core.errors import Conflict
from zhengwu.core.models import AuditEvent


def test_a_stale_version_is_a_conflict_and_changes_nothing(submitted, clerk):
    with pytest.raises(Conflict) as info:
        services.case_accept(actor=clerk, case_no=submitted.case_no, expected_version=submitted.version - 1)
    assert info.value.status == 409
    stale = Case.objects.get(pk=submitted.pk)
    services.case_accept(actor=clerk, case_no=submitted.case_no, expected_version=submitted.version)
    # The executor re-reads the locked row: an in-memory copy from before the accept cannot transition.
    with pytest.raises(Conflict):
        _transition(stale, action=Action.REJECT, actor=clerk, role=Role.CLERK)
    case = Case.objects.get(pk=submitted.pk)
    assert case.status == Status.ACCEPTED and case.version == submitted.version + 1


def _race(calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_clerks_accepting_at_once_one_wins(submitted, clerk, chief_representative):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL; SQLite serialises writers (see the version test)")
    no, version = submitted.case_no, submitted.version
    results = _race([
        lambda: services.case_accept(actor=clerk, case_no=no, expected_version=version),
        lambda: services.case_accept(actor=chief_representative, case_no=no, expected_version=version),
    ])
    wins = [r for r in results if isinstance(r, Case)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(losses) == 1, results
    case = Case.objects.get(pk=submitted.pk)
    assert case.status == Status.ACCEPTED and case.version == version + 1
    assert CaseEvent.objects.filter(case=case, action="accept").count() == 1
    assert AuditEvent.objects.filter(action="case.accept").count() == 1
    # The loser's voucher number was given back with its rollback: numbers have no gaps.
    assert case.acceptance_no.endswith("第0001号")


@pytest.mark.django_db(transaction=True)
def test_decide_and_withdraw_race_leaves_one_outcome(awaiting_decision, chief_representative, applicant):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL")
    no = awaiting_decision.case_no
    results = _race([
        lambda: services.case_decide(actor=chief_representative, case_no=no, outcome="approve"),
        lambda: services.case_withdraw(actor=applicant, case_no=no, reason="不办了"),
    ])
    assert sum(1 for r in results if isinstance(r, Conflict)) == 1, results
    case = Case.objects.get(pk=awaiting_decision.pk)
    assert case.status in (Status.APPROVED, Status.WITHDRAWN)
    assert CaseEvent.objects.filter(case=case, action__in=["approve", "withdraw"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_application_is_one_case(item, applicant):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent inserts are exercised on PostgreSQL")
    from zhengwu.cases.tests.conftest import full_materials, person

    def submit():
        return services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                    materials=full_materials(item), idempotency_key="double-click")

    results = _race([submit, submit])
    assert all(isinstance(r, Case) for r in results), results
    assert results[0].pk == results[1].pk
    assert Case.objects.count() == 1 and Case.objects.get().status == Status.SUBMITTED
    assert CaseEvent.objects.filter(action="submit").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_fee_notices_at_once_leave_one_standing(accepted, clerk, chief_representative):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL")
    from zhengwu.cases.models import FeeNotice

    fee = accepted.item_version.fees.get()

    def issue(user):
        return lambda: services.fee_notice_issue(actor=user, case_no=accepted.case_no,
                                                 lines=[services.FeeLine(fee_item_id=fee.pk)])

    results = _race([issue(clerk), issue(chief_representative)])
    assert sum(1 for r in results if isinstance(r, FeeNotice)) == 1, results
    assert sum(1 for r in results if isinstance(r, Conflict)) == 1, results
    assert FeeNotice.objects.filter(case=accepted).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_extension_requests_at_once_leave_one_pending(awaiting_decision, reviewer, chief_representative):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL")
    from zhengwu.cases.models import ExtensionRequest

    def ask(user):
        return lambda: services.case_extension_request(actor=user, case_no=awaiting_decision.case_no, days=3,
                                                       reason="核查")

    results = _race([ask(reviewer), ask(chief_representative)])
    assert sum(1 for r in results if isinstance(r, ExtensionRequest)) == 1, results
    assert sum(1 for r in results if isinstance(r, Conflict)) == 1, results
    assert ExtensionRequest.objects.filter(case=awaiting_decision, state="pending").count() == 1

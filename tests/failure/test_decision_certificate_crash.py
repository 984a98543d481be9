"""A crash between the decision and the certificate (行政许可法 §44: the licence follows the decision).

Deemed approval (超时默许) records the decision and issues the 电子证照 in the sweeper's one claim
transaction, so a process killed between the two leaves nothing half done: the claim, the decision
and the case's transition roll back together, and the restarted sweeper fires the clock again and
issues both. A decision taken by staff is its own transaction; its certificate is a later window
action, watched by the 10-working-day "case.certificate" clock (second test).
"""

from __future__ import annotations

import datetime as dt
import signal
import time

import pytest

from tests.failure.conftest import child_env, pg_only, run_clock_once, spawn
from zhengwu.cases import services
from zhengwu.cases.models import Case, Decision, Status
from zhengwu.cases.tests.conftest import clock_of, moment
from zhengwu.core.audit import audit_verify
from zhengwu.licences.models import Certificate
from zhengwu.licences.services import licence_type_create, licence_verify
from zhengwu.workcalendar.models import ClockEvent
from zhengwu.workcalendar.sweeper import sweep_once

LICENCE_TYPE = "11100000000013338W001"


@pg_only
@pytest.mark.django_db(transaction=True)
def test_a_sweeper_killed_between_deemed_approval_and_certificate_is_repaired_by_the_next_tick(
        accepted, leader, tmp_path):
    licence_type_create(actor="test", code=LICENCE_TYPE, name="食品经营许可证")
    services.case_item_policy_set(actor=leader, item_id=accepted.item_id, deemed_approval_enabled=True,
                                  joint_handling=False, licence_type_code=LICENCE_TYPE)
    promised = clock_of(accepted, services.CLOCK_PROMISED)
    # The fixtures run in March 2026 under time-machine; the child sweeper runs at the real time,
    # long after the promised limit.
    marker = tmp_path / "inside-certificate"
    env = child_env(CHILD_MARKER=str(marker))

    sweeper = spawn("hang_in_certificate", env)
    deadline = time.monotonic() + 90
    while not marker.exists() and time.monotonic() < deadline and sweeper.poll() is None:
        time.sleep(0.02)
    assert marker.exists(), "the child reached licence_issue, after recording the deemed decision"
    sweeper.send_signal(signal.SIGKILL)
    assert sweeper.wait(timeout=10) == -signal.SIGKILL

    case = Case.objects.get(pk=accepted.pk)
    assert case.status == Status.ACCEPTED and not case.deemed_approved
    assert not Decision.objects.filter(case=case).exists() and not Certificate.objects.exists()
    promised.refresh_from_db()
    assert promised.next_event_at is not None, "the claim rolled back, so the clock is due again"
    assert not ClockEvent.objects.filter(clock=promised, kind="overdue").exists()

    run_clock_once(env)

    case.refresh_from_db()
    assert case.status == Status.CERTIFICATE_ISSUED and case.deemed_approved
    assert Decision.objects.filter(case=case, deemed=True).count() == 1
    certificate = Certificate.objects.get(source=case.case_no)
    check = licence_verify(certificate)  # issued at the real date, so "not yet valid" in March 2026
    assert check.signature_valid and check.digest_valid and check.identifier_valid
    assert ClockEvent.objects.filter(clock=promised, kind="overdue").count() == 1
    assert clock_of(case, services.CLOCK_CERTIFICATE).status == "completed"
    assert audit_verify()[1] == []


@pytest.mark.django_db
def test_a_staff_decision_without_its_certificate_is_caught_by_the_certificate_clock(
        awaiting_decision, chief_representative, clerk, leader, clock):
    """The window process dies after `case_decide` commits. Nothing issues the certificate by itself
    (it is the window's step, not automatic); the case stays consistent (approved, certificate clock
    running), the sweeper raises the yellow and red warnings, and the window's later
    `case_issue_certificate` completes it exactly once."""
    services.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="approve")
    case = Case.objects.get(pk=awaiting_decision.pk)
    certificate_clock = clock_of(case, services.CLOCK_CERTIFICATE)
    assert case.status == Status.APPROVED and certificate_clock.status == "running"

    clock.move_to(moment(certificate_clock.due_at) + dt.timedelta(hours=1))
    sweep_once()
    assert set(ClockEvent.objects.filter(clock=certificate_clock).values_list("kind", flat=True)) == {
        "warning", "overdue"}
    assert Case.objects.get(pk=case.pk).status == Status.APPROVED, "no certificate appears by itself"

    licence_type_create(actor="test", code=LICENCE_TYPE, name="食品经营许可证")
    services.case_item_policy_set(actor=leader, item_id=case.item_id, deemed_approval_enabled=False,
                                  joint_handling=False, licence_type_code=LICENCE_TYPE)
    services.case_issue_certificate(actor=clerk, case_no=case.case_no)
    case.refresh_from_db()
    assert case.status == Status.CERTIFICATE_ISSUED and Certificate.objects.filter(source=case.case_no).count() == 1
    assert clock_of(case, services.CLOCK_CERTIFICATE).status == "completed"

"""The staff workbench (/work/): its queue counts are right, and the page costs the same number of
queries whether the department has a handful of cases or many (no N+1 per case or per queue row)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhengwu.cases import selectors, services
from zhengwu.cases.tests.conftest import clock_of, full_materials, person

# Whatever the number of cases: the session, the user, where the user works (departments, positions
# there and supervised departments: one statement, org.selectors.staff_reach, read once for the whole
# page), one grouped query for the queue counts by status, one for the clock queues, one page of rows
# and the site's centre for the header (kept per process outside test mode, portal.selectors); for a
# supervisor both reads are also audited (three statements per audit event). A per-case or
# per-queue query, or a second scope look-up, breaks this.
QUERY_CEILING = {"clerk": 7, "reviewer": 7, "chief_representative": 7, "supervisor": 13}


def _cases(n: int, *, item, applicant, clerk, reviewer, chief_representative, start: int = 0) -> None:
    """n cases spread over the queues: 待受理, 待补正, 审查中 (my_steps), 待决定, 待制证."""
    for i in range(start, start + n):
        case = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), idempotency_key=f"wb-{i}",
                                    materials=full_materials(item))
        kind = i % 5
        if kind == 1:
            services.case_request_correction(actor=clerk, case_no=case.case_no, items=[
                services.CorrectionItem(requirement_id=item.current_version.materials.first().pk, reason="不清晰")])
        if kind >= 2:
            services.case_accept(actor=clerk, case_no=case.case_no)
        if kind >= 3:
            services.case_step_pass(actor=reviewer, case_no=case.case_no, opinion="符合")
            services.case_step_pass(actor=chief_representative, case_no=case.case_no, opinion="拟准予")
        if kind == 4:
            services.case_decide(actor=chief_representative, case_no=case.case_no, outcome="approve")


_last_queries: list[dict] = []


def _queries(client, user, queue: str) -> tuple[int, dict[str, int]]:
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("cases:workbench"), {"queue": queue})
    _last_queries[:] = ctx.captured_queries
    assert response.status_code == 200
    counts = {key: count for key, _label, count in response.context["counts"]}
    return len(ctx.captured_queries), counts


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "chief_representative", "supervisor"])
def test_workbench_queries_do_not_grow_with_the_cases(persona, request, client, item, applicant, clerk, reviewer,
                                                      chief_representative):
    people = {"item": item, "applicant": applicant, "clerk": clerk, "reviewer": reviewer,
              "chief_representative": chief_representative}
    user = request.getfixturevalue(persona)
    _cases(5, **people)
    _queries(client, user, "pending_acceptance")  # once-per-process lookups (type info, caches) out of the way
    few = {queue: _queries(client, user, queue) for queue in selectors.QUEUES}
    _cases(20, start=5, **people)
    many = {queue: _queries(client, user, queue) for queue in selectors.QUEUES}
    for queue in selectors.QUEUES:
        (few_n, few_counts), (many_n, many_counts) = few[queue], many[queue]
        assert many_n == few_n, f"{queue} for {persona}: {few_n} queries with 5 cases, {many_n} with 25"
        assert many_n <= QUERY_CEILING[persona], f"{queue} for {persona}: {many_n} queries: " + "\n".join(
            q["sql"][:160] for q in _last_queries)
        assert few_counts["pending_acceptance"] == 1 and many_counts["pending_acceptance"] == 5


def test_queue_counts(client, clock, item, applicant, clerk, reviewer, chief_representative):
    _cases(10, item=item, applicant=applicant, clerk=clerk, reviewer=reviewer,
           chief_representative=chief_representative)
    _, counts = _queries(client, clerk, "pending_acceptance")
    assert counts == {"pending_acceptance": 2, "correction": 2, "in_review": 2, "my_steps": 0,
                      "awaiting_decision": 2, "awaiting_certificate": 2, "extension_requests": 0, "due_soon": 0,
                      "overdue": 0}
    _, counts = _queries(client, reviewer, "my_steps")
    assert counts["my_steps"] == 2
    # Derived from the clocks' stored warn/due columns and now: past the promised limit of the
    # accepted cases, without any sweeper run.
    accepted = selectors.case_list_visible_to(user=clerk, queue="in_review").first()
    promised = clock_of(accepted, services.CLOCK_PROMISED)
    clock.move_to(promised.warn_at + dt.timedelta(minutes=1))
    _, counts = _queries(client, clerk, "due_soon")
    assert counts["due_soon"] >= 2 and counts["overdue"] == 0
    clock.move_to(promised.due_at + dt.timedelta(days=1))
    _, counts = _queries(client, clerk, "overdue")
    assert counts["overdue"] >= 2


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "leader", "supervisor", "outsider"])
def test_the_counts_are_the_lengths_of_the_queues(persona, request, clock, item, applicant, clerk, reviewer,
                                                  chief_representative):
    _cases(10, item=item, applicant=applicant, clerk=clerk, reviewer=reviewer,
           chief_representative=chief_representative)
    user = request.getfixturevalue(persona)
    clock.move_to(dt.datetime(2026, 4, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    counts = selectors.case_queue_counts(user=user)
    assert [key for key, _label, _count in counts] == list(selectors.QUEUES)
    for key, _label, count in counts:
        assert count == selectors.case_list_visible_to(user=user, queue=key).count(), key
    if persona == "outsider":
        assert all(count == 0 for _key, _label, count in counts)


def test_a_supervisors_workbench_is_two_audited_reads(client, item, applicant, clerk, reviewer, chief_representative,
                                                       supervisor):
    from zhengwu.core.models import AuditEvent

    _cases(5, item=item, applicant=applicant, clerk=clerk, reviewer=reviewer,
           chief_representative=chief_representative)
    _queries(client, supervisor, "overdue")
    reads = AuditEvent.objects.filter(action="case.list_supervised", actor=supervisor)
    assert sorted(e.data["queue"] for e in reads) == ["counts", "overdue"]


def test_rows_show_the_masked_name_and_load_no_personal_columns(client, item, applicant, clerk):
    from zhengwu.cases.models import ApplicantType, IdType
    from zhengwu.cases.tests.conftest import USCC_ORG

    services.case_submit(actor=applicant, item_id=item.pk, applicant=person(name="欧阳娜娜"), idempotency_key="wb-p",
                         materials=full_materials(item))
    services.case_submit(actor=applicant, item_id=item.pk, idempotency_key="wb-o", materials=full_materials(item),
                         applicant=person(applicant_type=ApplicantType.ORGANISATION, name="清溪县好味食品有限公司",
                                          id_type=IdType.USCC, id_number=USCC_ORG, legal_representative="王五"))
    with CaptureQueriesContext(connection) as ctx:
        rows = selectors.case_workbench_rows(user=clerk, queue="pending_acceptance")
    assert sorted(r["applicant"] for r in rows) == ["欧***", "清溪县好味食品有限公司"]
    # The encrypted columns are not even read for a list that does not show them, nor the plain name.
    page = ctx.captured_queries[-1]["sql"]
    assert "applicant_name" in page and "applicant_id_number" not in page and "applicant_phone" not in page
    assert all("applicant_name" not in row for row in rows)
    client.force_login(clerk)
    page = client.get(reverse("cases:workbench")).content.decode()
    assert "欧***" in page and "欧阳娜娜" not in page and "清溪县好味食品有限公司" in page
    for row in rows:
        assert f'<a href="{reverse("cases:staff_case", args=[row["case_no"]])}">{row["case_no"]}</a>' in page
        assert timezone.localtime(row["received_at"]).strftime("%Y-%m-%d %H:%M") in page
    assert '<span class="status status-submitted">待受理</span>' in page



@pytest.mark.parametrize(("persona", "shown"), [("clerk", False), ("reviewer", False), ("supervisor", False),
                                                ("section_head", True), ("leader", True)])
def test_the_extension_tab_shows_only_to_those_who_approve(persona, shown, request, client, db):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(reverse("cases:workbench"))
    assert ("queue-extension_requests" in response.content.decode()) is shown
    assert response.context["counts"].approves_extensions is shown
    # Still counted for everyone, and still the queue's length (0 for those who do not approve).
    assert "extension_requests" in {key for key, _label, _count in response.context["counts"]}


@pytest.mark.parametrize("persona", ["clerk", "chief_representative", "supervisor", "outsider"])
def test_the_rows_are_the_queues_in_order(persona, request, item, applicant, clerk, reviewer, chief_representative):
    _cases(10, item=item, applicant=applicant, clerk=clerk, reviewer=reviewer,
           chief_representative=chief_representative)
    user = request.getfixturevalue(persona)
    for queue in selectors.QUEUES:
        rows = selectors.case_workbench_rows(user=user, queue=queue, limit=3)
        expected = list(selectors.case_list_visible_to(user=user, queue=queue).values_list("case_no", "status")[:3])
        assert [(r["case_no"], r["status"]) for r in rows] == expected, queue
        assert all(r["status_label"] and r["department"] and r["item_name"] for r in rows)
        # Converted as the ORM converts them (SQLite gives text): the page formats them as dates.
        assert all(isinstance(r["received_at"], dt.datetime) for r in rows)

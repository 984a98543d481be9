"""延期申请 (行政许可法 §42) in a real browser: the official named by the current step asks from the
case page; the department's leader finds it in the 待审批延期 queue and approves it, and the case
page then shows both decision clocks extended with the approval in their working-out; and a section
head refuses another case's request with a reason, which leaves the clocks as they were."""

from __future__ import annotations

import re

import pytest

from e2e.a11y import assert_accessible
from e2e.conftest import PHONE, horizontal_overflow, staff_page, submit_case_form
from e2e.files import blank_pdf
from zhengwu.cases import services
from zhengwu.cases.models import Case, Extension, ExtensionRequest
from zhengwu.cases.services import ApplicantInput, MaterialInput
from zhengwu.catalog.tests.factories import published_item
from zhengwu.notify.models import Notice
from zhengwu.org.models import Position
from zhengwu.workcalendar.models import Clock
from zhengwu.workcalendar.testing import seed_calendar
from zhengwu.workcalendar.workdays import add_working_days

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DECISION_CLOCKS = (services.CLOCK_LEGAL, services.CLOCK_PROMISED)


def _shot(page, screenshots, name):
    page.screenshot(path=str(screenshots / f"extension-{name}.png"), full_page=True)




def _open(page, summary):
    page.locator("summary", has_text=re.compile(f"^{summary}$")).click()
    return page.locator("details[open] form")



def _due_dates(case) -> dict:
    return {c.kind: c.due_date for c in Clock.objects.filter(owner_id=str(case.pk), kind__in=DECISION_CLOCKS)}


def _shown(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@pytest.fixture
def shop_item(transactional_db, dept_market, window_market):
    seed_calendar([2025, 2026])
    return published_item(dept_market, name="食品经营许可（新办）", themes=[], steps=[
        {"order": 1, "name": "审查", "role": Position.REVIEWER, "budget_days": 2},
        {"order": 2, "name": "决定", "role": Position.CHIEF_REPRESENTATIVE, "budget_days": 1},
    ])


def _accepted(item, applicant, clerk, key) -> Case:
    person = ApplicantInput(applicant_type="person", name="张三", id_type="id_card", id_number="11010519491231002X",
                            phone="13912345678", address="清溪县城关镇人民路 1 号")
    case = services.case_submit(actor=applicant, item_id=item.pk, applicant=person, idempotency_key=key,
                                materials=[MaterialInput(requirement_id=r.pk, content=blank_pdf(), filename=f"{r.name}.pdf")
                                           for r in item.current_version.materials.all()])
    return services.case_accept(actor=clerk, case_no=case.case_no)


def _request(browser, live_server, screenshots, reviewer, case, days, reason, shot):
    """The reviewer, named by the current step 审查, files the request from the case page."""
    page = staff_page(browser, live_server, reviewer)
    page.goto(f"{live_server.url}/work/{case.case_no}/")
    assert "当前环节：审查" in page.locator(".case-head .facts").inner_text()
    form = _open(page, "申请延期")
    form.get_by_label("申请延长工作日").fill(str(days))
    form.get_by_label("延期理由（批准后告知申请人）").fill(reason)
    assert_accessible(page, "extension request form")
    _shot(page, screenshots, f"{shot}-request-form")
    submit_case_form(page, form, "申请延期", case.case_no)
    assert "延期申请已提交，等待领导审批" in page.locator(".messages").inner_text()
    listed = page.locator(".extension-request")
    assert listed.count() == 1 and f"申请延长 {days} 个工作日：{reason}" in listed.inner_text()
    assert "待审批" in listed.locator(".tag").inner_text()
    # One request at a time: the reviewer is not offered a second one.
    assert page.locator("summary", has_text=re.compile("^申请延期$")).count() == 0
    _shot(page, screenshots, f"{shot}-requested")
    page.context.close()
    request = ExtensionRequest.objects.get(case=case)
    assert request.state == ExtensionRequest.State.PENDING and request.requested_by == reviewer
    return request


def _from_the_queue(browser, live_server, screenshots, head, case, shot):
    """The leader or section head finds the case in 待审批延期 and opens it."""
    page = staff_page(browser, live_server, head)
    page.goto(live_server.url + "/work/")
    queue = page.locator(".queue-extension_requests")
    assert queue.locator(".q-count").inner_text() == "1"
    queue.click()
    page.wait_for_url(re.compile(r"/work/\?queue=extension_requests$"))
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and case.case_no in rows.inner_text() and "张*" in rows.inner_text()
    assert "13912345678" not in page.content() and "11010519491231002X" not in page.content()
    assert_accessible(page, "extension queue")
    _shot(page, screenshots, f"{shot}-queue")
    page.get_by_role("link", name=case.case_no).click()
    page.wait_for_url(re.compile(f"/work/{re.escape(case.case_no)}/$"))
    return page


def _empty_queue(page, live_server):
    page.goto(live_server.url + "/work/?queue=extension_requests")
    assert page.locator(".queue-extension_requests .q-count").inner_text() == "0"
    assert "该队列暂无办件" in page.locator("main").inner_text()


def test_the_leader_approves_from_the_queue_and_the_clocks_are_extended(live_server, browser, screenshots,
                                                                          shop_item, applicant, clerk, reviewer,
                                                                          leader):
    case = _accepted(shop_item, applicant, clerk, "x-approve")
    before = _due_dates(case)
    assert set(before) == set(DECISION_CLOCKS) and all(before.values())
    _request(browser, live_server, screenshots, reviewer, case, 7, "需现场核查经营场所", "01")
    assert _due_dates(case) == before  # a request alone changes no clock

    page = _from_the_queue(browser, live_server, screenshots, leader, case, "02")
    clocks = page.locator("#sec-clocks + .clocks")
    shown_before = clocks.inner_text()
    assert _shown(before[services.CLOCK_LEGAL]) in shown_before
    # The leader decides the request; a direct extension is not offered while one is pending.
    assert page.locator("summary", has_text=re.compile("^直接批准延期$")).count() == 0
    assert_accessible(page, "case page with a pending request")
    _shot(page, screenshots, "03-pending")
    form = _open(page, "批准延期申请")
    submit_case_form(page, form, "批准延期申请", case.case_no)
    assert "延期申请已批准" in page.locator(".messages").inner_text()

    after = _due_dates(case)
    for kind in DECISION_CLOCKS:
        assert after[kind] == add_working_days(before[kind], 7), kind
    clocks = page.locator("#sec-clocks + .clocks")
    for kind, label in ((services.CLOCK_LEGAL, "法定"), (services.CLOCK_PROMISED, "承诺")):
        clock = clocks.locator(".clock", has=page.locator(".clock-name", has_text=label))
        assert clock.count() == 1, label
        text = clock.inner_text()
        assert f"截止 {_shown(after[kind])}" in text, (label, text)
        # The working-out names the extension and who approved it.
        clock.locator("summary", has_text="计算过程").click()
        explain = clock.locator(".explain").inner_text()
        assert "延期：+7 个工作日" in explain and "需现场核查经营场所" in explain, explain
    request = page.locator(".extension-request")
    assert "已批准" in request.locator(".tag").inner_text() and "周局长" in request.inner_text()
    extension = Extension.objects.get(case=case)
    assert extension.days == 7 and extension.approver == leader
    assert "延期告知书" in page.locator(".docs").inner_text()
    assert "延期" in page.locator("section", has=page.locator("#sec-timeline")).inner_text()
    # §42: once per case — nothing more to extend.
    assert page.locator("summary", has_text=re.compile("延期")).count() == 0
    assert_accessible(page, "extended")
    _shot(page, screenshots, "04-extended")
    _empty_queue(page, live_server)

    small = staff_page(browser, live_server, leader, viewport=PHONE)
    small.goto(f"{live_server.url}/work/{case.case_no}/")
    assert horizontal_overflow(small) == 0
    _shot(small, screenshots, "05-extended-phone")


def test_the_section_head_refuses_with_a_reason_and_the_clocks_stay(live_server, browser, screenshots, shop_item,
                                                                    applicant, clerk, reviewer, section_head):
    case = _accepted(shop_item, applicant, clerk, "x-refuse")
    before = _due_dates(case)
    _request(browser, live_server, screenshots, reviewer, case, 5, "申请人补充说明尚未到齐", "11")

    page = _from_the_queue(browser, live_server, screenshots, section_head, case, "12")
    # A refusal needs its reason: refused on the form, nothing changes.
    form = _open(page, "不予批准延期申请")
    form.get_by_role("button", name="不予批准延期申请").click()
    page.wait_for_load_state()
    assert page.locator(".form-errors").count() > 0
    assert ExtensionRequest.objects.get(case=case).state == ExtensionRequest.State.PENDING
    _shot(page, screenshots, "13-refusal-without-reason")

    page.goto(f"{live_server.url}/work/{case.case_no}/")
    form = _open(page, "不予批准延期申请")
    form.get_by_label("不予批准的理由（告知申请人延期的经办人）").fill("现有材料足以在法定期限内作出决定")
    submit_case_form(page, form, "不予批准延期申请", case.case_no)
    # The official who asked is told why; the applicant is told nothing of a refused request.
    assert "已通知提出延期申请的经办人" in page.locator(".messages").inner_text()
    told = Notice.objects.get(template="case.extension_refused")
    assert told.recipient_id == reviewer.pk and "现有材料足以在法定期限内作出决定" in told.body
    assert not Notice.objects.filter(recipient=applicant, body__contains="现有材料足以").exists()
    request = page.locator(".extension-request")
    assert "不予批准" in request.locator(".tag").inner_text()
    assert "孙科长" in request.inner_text() and "理由：现有材料足以在法定期限内作出决定" in request.inner_text()
    assert _due_dates(case) == before and not Extension.objects.filter(case=case).exists()
    clocks = page.locator("#sec-clocks + .clocks").inner_text()
    assert all(f"截止 {_shown(day)}" in clocks for day in before.values()) and "延期：" not in clocks
    assert "延期告知书" not in page.locator(".docs").inner_text()
    assert_accessible(page, "refused")
    _shot(page, screenshots, "14-refused")
    _empty_queue(page, live_server)

    # The reviewer sees the refusal and its reason, and may ask again (the one extension is unused).
    asker = staff_page(browser, live_server, reviewer)
    asker.goto(f"{live_server.url}/work/{case.case_no}/")
    assert "理由：现有材料足以在法定期限内作出决定" in asker.locator(".extension-request").inner_text()
    assert asker.locator("summary", has_text=re.compile("^申请延期$")).count() == 1
    _shot(asker, screenshots, "15-refused-seen-by-reviewer")

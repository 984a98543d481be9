"""At the window, in a real browser: a walk-in 即办件 registered with the applicant's 身份证 and
decided on the spot (现场办结); a 特别程序 (专家评审) with its written notice as a PDF and both clocks
suspended, then ended and resumed; and 一口收费: a fee notice from the catalog's fee items, the
payment and its receipt, and a fee outside the catalog refused."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal

import pytest

from e2e.a11y import assert_accessible
from e2e.conftest import DESKTOP, PHONE, _context, horizontal_overflow, staff_page, submit_case_form
from e2e.files import blank_pdf
from zhengwu.cases import services
from zhengwu.cases.models import Case, FeeNotice
from zhengwu.cases.services import ApplicantInput, MaterialInput
from zhengwu.cases.states import Status
from zhengwu.catalog.codes import CaseKind, SpecialProcedureKind
from zhengwu.catalog.models import FeeItem
from zhengwu.catalog.tests.factories import published_item
from zhengwu.org.models import Position
from zhengwu.workcalendar.models import Clock
from zhengwu.workcalendar.testing import seed_calendar

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ID_NUMBER = "11010519491231002X"
ID_MASKED = re.compile(r"110105\S{0,8}002X")


def _shot(page, screenshots, name):
    page.screenshot(path=str(screenshots / f"window-{name}.png"), full_page=True)




def _open(page, live_server, case_no, summary):
    page.goto(f"{live_server.url}/work/{case_no}/")
    page.locator("summary", has_text=re.compile(f"^{summary}$")).click()
    return page.locator("details[open] form")



def _person(name="张三") -> ApplicantInput:
    return ApplicantInput(applicant_type="person", name=name, id_type="id_card", id_number=ID_NUMBER,
                          phone="13912345678", address="清溪县城关镇人民路 1 号")


@pytest.fixture
def calendar(transactional_db):
    seed_calendar([2025, 2026])


@pytest.fixture
def immediate_item(calendar, dept_market, window_market):
    return published_item(dept_market, name="个体工商户名称登记", case_kind=CaseKind.IMMEDIATE,
                          promised_limit_value=0, themes=[], materials=[
                              {"order": 1, "name": "名称登记申请书", "copy_count": 0}],
                          steps=[{"order": 1, "name": "审核", "role": Position.CLERK, "budget_days": 0}])


@pytest.fixture
def shop_item(calendar, dept_market, window_market):
    return published_item(dept_market, name="食品经营许可（新办）", themes=[], steps=[
        {"order": 1, "name": "审查", "role": Position.REVIEWER, "budget_days": 2},
        {"order": 2, "name": "决定", "role": Position.CHIEF_REPRESENTATIVE, "budget_days": 1},
    ], fees=[{"order": 1, "name": "工本费", "standard": "10元/证", "basis": "价格主管部门文件", "amount_kind": "fixed",
              "amount_min": Decimal("10.00")}],
        fee_required=True, fee_basis="价格主管部门文件",
        special_procedures=[{"kind": SpecialProcedureKind.EXPERT_REVIEW, "duration_value": 10}])


def _accepted(item, applicant, clerk) -> Case:
    case = services.case_submit(actor=applicant, item_id=item.pk, applicant=_person(), idempotency_key="w-1",
                                materials=[MaterialInput(requirement_id=r.pk, content=blank_pdf(), filename=f"{r.name}.pdf")
                                           for r in item.current_version.materials.all()])
    return services.case_accept(actor=clerk, case_no=case.case_no)


def test_walk_in_immediate_item_is_decided_on_the_spot(live_server, browser, screenshots, tmp_path,
                                                        immediate_item, clerk):
    form_pdf = tmp_path / "名称登记申请书.pdf"
    form_pdf.write_bytes(blank_pdf())
    window = staff_page(browser, live_server, clerk)
    window.goto(live_server.url + "/work/")
    window.get_by_role("link", name="窗口收件").first.click()
    window.wait_for_url(re.compile(r"/work/register/"))
    window.get_by_label("办理事项").select_option(label="个体工商户名称登记")
    window.get_by_role("button", name=re.compile("下一步")).click()
    window.wait_for_url(re.compile(r"/work/register/\?item="))

    window.get_by_label("自然人").check()
    window.get_by_label("申请人名称（姓名或单位名称）").fill("王五")
    window.get_by_label("证件类型").select_option(label="居民身份证")
    window.get_by_label("证件号码").fill(ID_NUMBER)
    window.get_by_label("联系电话").fill("13912345678")
    window.get_by_label("名称登记申请书").set_input_files(str(form_pdf))
    assert_accessible(window, "walk-in form")
    assert horizontal_overflow(window) == 0
    _shot(window, screenshots, "01-walk-in-form")
    window.get_by_role("button", name="登记收件").click()
    window.wait_for_url(re.compile(r"/work/[^/]+/$"))
    case = Case.objects.get()
    assert case.status == Status.SUBMITTED and case.channel == "window" and case.applicant_id is None
    assert case.applicant_id_number == ID_NUMBER and case.applicant_id_type == "id_card"
    assert case.case_no in window.locator(".messages").inner_text()
    # The 身份证 on the staff page: never more than its first six and last four in clear text on screen
    # unless the full number is shown; either way it is the number registered.
    assert ID_MASKED.search(window.locator(".case-head .facts").inner_text())

    form = _open(window, live_server, case.case_no, "受理")
    submit_case_form(window, form, "受理", case.case_no)
    case.refresh_from_db()
    assert case.status == Status.APPROVED and case.completed_on_site
    assert "现场办结" in window.locator(".case-head .facts").inner_text()
    assert "准予行政许可决定书" in window.locator(".docs").inner_text()
    assert_accessible(window, "decided on the spot")
    _shot(window, screenshots, "02-on-the-spot")

    hall = _context(browser, DESKTOP).new_page()
    hall.goto(live_server.url + "/hall/screen/")
    row = hall.locator("tr", has_text=case.case_no)
    assert "现场办结" in row.inner_text() and "王*" in row.inner_text() and ID_NUMBER not in hall.content()
    _shot(hall, screenshots, "03-hall-screen")


def test_special_procedure_suspends_and_resumes_the_clocks(live_server, browser, screenshots, tmp_path, shop_item,
                                                             applicant, clerk, reviewer):
    case = _accepted(shop_item, applicant, clerk)
    page = staff_page(browser, live_server, reviewer)
    page.goto(f"{live_server.url}/work/{case.case_no}/")
    clocks = page.locator("#sec-clocks + .clocks")
    assert clocks.locator(".clock-green").count() == 2
    due_before = {c.kind: c.due_at for c in Clock.objects.filter(owner_id=str(case.pk), kind__in=[
        services.CLOCK_LEGAL, services.CLOCK_PROMISED])}

    form = _open(page, live_server, case.case_no, "启动特别程序")
    form.get_by_label("特别程序种类").select_option(label="专家评审")
    form.get_by_label("启动理由或依据").fill("经营场所涉及特殊工艺，需组织专家评审")
    form.get_by_label("预计所需时间").fill("10")
    assert_accessible(page, "special procedure form")
    _shot(page, screenshots, "04-special-form")
    submit_case_form(page, form, "启动特别程序", case.case_no)
    case.refresh_from_db()
    assert case.status == Status.SUSPENDED
    assert "特别程序中" in page.locator(".case-head .facts").inner_text()
    # Both decision clocks stop (行政许可法 §45): shown as suspended, no longer running.
    suspended = clocks.locator(".clock-suspended")
    assert suspended.count() == 2 and clocks.locator(".clock-green").count() == 0
    assert all("已挂起" in t for t in suspended.all_inner_texts())
    assert_accessible(page, "suspended")
    _shot(page, screenshots, "05-suspended")

    link = page.get_by_role("link", name=re.compile("下载 特别程序告知书（专家评审）"))
    with page.expect_download() as download:
        link.click()
    notice = tmp_path / "special.pdf"
    download.value.save_as(notice)
    assert download.value.suggested_filename.endswith(".pdf")
    assert notice.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(notice), "-"], capture_output=True, text=True, check=True).stdout
    text = re.sub(r"\s", "", text)
    assert "专家评审" in text and case.case_no in text and "10" in text

    form = _open(page, live_server, case.case_no, "结束特别程序")
    form.get_by_label("特别程序结果").fill("专家评审通过，工艺符合要求")
    submit_case_form(page, form, "结束特别程序", case.case_no)
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert clocks.locator(".clock-suspended").count() == 0 and clocks.locator(".clock-green").count() == 2
    due_after = {c.kind: c.due_at for c in Clock.objects.filter(owner_id=str(case.pk), kind__in=due_before)}
    for kind, before in due_before.items():
        after = due_after[kind]
        assert before is not None and after is not None and after >= before, kind
    assert "特别程序结束" in page.locator("section", has=page.locator("#sec-timeline")).inner_text()
    _shot(page, screenshots, "06-resumed")

    # The same page on a 375-px screen: no sideways scrolling.
    small = staff_page(browser, live_server, reviewer, viewport=PHONE)
    small.goto(f"{live_server.url}/work/{case.case_no}/")
    assert horizontal_overflow(small) == 0
    _shot(small, screenshots, "06-resumed-phone")


def test_fee_notice_payment_and_receipt(live_server, browser, screenshots, shop_item, applicant, clerk):
    case = _accepted(shop_item, applicant, clerk)
    foreign = published_item(shop_item.department, name="食品生产许可（新办）", themes=[],
                             fees=[{"order": 1, "name": "检验费", "standard": "200元/次", "basis": "价格主管部门文件"}],
                             fee_required=True, fee_basis="价格主管部门文件")
    foreign_fee = FeeItem.objects.get(version=foreign.current_version)
    catalog_fee = FeeItem.objects.get(version=case.item_version)
    window = staff_page(browser, live_server, clerk)

    # The page offers exactly the catalog version's fee items, nothing to type a fee name into.
    form = _open(window, live_server, case.case_no, "开具缴费通知")
    labels = form.locator("label").all_inner_texts()
    assert any("工本费" in t for t in labels) and not any("检验费" in t for t in labels)
    # A forged field naming another item's fee is not charged: the notice is refused as empty.
    form.locator(f"#id_fee-charge_{catalog_fee.pk}").evaluate(
        f"(el) => {{ el.name = 'fee-charge_{foreign_fee.pk}'; el.checked = true; }}")
    form.get_by_role("button", name="开具缴费通知").click()
    window.wait_for_load_state()
    assert "请至少列出一项收费" in window.locator(".form-errors").first.inner_text()
    assert not FeeNotice.objects.exists()
    _shot(window, screenshots, "07-fee-refused")

    form = _open(window, live_server, case.case_no, "开具缴费通知")
    # A fixed standard: the clerk ticks the item, the catalog sets the amount.
    form.get_by_label(re.compile("工本费")).check()
    assert_accessible(window, "fee form")
    submit_case_form(window, form, "开具缴费通知", case.case_no)
    notice = FeeNotice.objects.get()
    assert notice.total == 10 and notice.state == FeeNotice.State.UNPAID
    fees = window.locator(".fees")
    assert notice.notice_no in fees.inner_text() and "待缴费" in fees.inner_text()

    form = _open(window, live_server, case.case_no, "登记缴费")
    assert form.locator("input[name='pay-notice_no']").input_value() == notice.notice_no
    form.get_by_label("实收金额（元）").fill("10.00")
    form.get_by_label("缴款人").fill("张三")
    submit_case_form(window, form, "登记缴费", case.case_no)
    notice.refresh_from_db()
    receipt = notice.payment.receipt
    assert notice.state == FeeNotice.State.PAID
    text = window.locator(".fees").inner_text()
    assert receipt.receipt_no in text and "已缴费" in text and "张三" in text
    assert window.locator("summary", has_text=re.compile("^登记缴费$")).count() == 0
    assert_accessible(window, "paid")
    _shot(window, screenshots, "08-receipt")

    # The applicant sees the paid notice with its receipt number on a phone.
    from django.test import Client

    citizen = _context(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    client = Client()
    client.force_login(applicant)
    citizen.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                          "url": live_server.url}])
    page = citizen.new_page()
    page.goto(f"{live_server.url}/cases/my/{case.case_no}/")
    assert receipt.receipt_no in page.locator(".fees").inner_text()
    assert horizontal_overflow(page) == 0
    _shot(page, screenshots, "09-receipt-phone")

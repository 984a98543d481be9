"""电子监察 in a real browser: the supervisor's dashboard with the twelve-month trend chart, the drill-down
centre → department → case, a 督办单 issued, answered by the department and accepted, and the monthly
效能通报 page; the first page of the bulletin PDF is rendered to PNG (pdftoppm) and kept as an artefact."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from e2e.conftest import DESKTOP, _context, horizontal_overflow
from zhengwu.cases import services as case_services
from zhengwu.cases.tests.conftest import full_materials, person
from zhengwu.catalog.codes import CaseKind
from zhengwu.catalog.tests.factories import published_item
from zhengwu.org.models import Position
from zhengwu.org.tests.factories import PASSWORD
from zhengwu.supervision.history import history_generate
from zhengwu.supervision.models import AccountabilityRecord, SupervisionOrder, SupervisionRecord
from zhengwu.supervision.states import OrderStatus
from zhengwu.workcalendar.services import chinesecalendar_years
from zhengwu.workcalendar.sweeper import sweep_once
from zhengwu.workcalendar.testing import seed_calendar

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def supervised_county(transactional_db, dept_market, window_market, clerk, reviewer, chief_representative,
                      section_head, leader, supervisor, applicant):
    """A year of history for the market department, plus one case accepted six weeks ago and still open."""
    from zhengwu.supervision.services import rule_defaults_ensure

    # The rule rows come from a data migration; an earlier transactional test's flush removes them.
    rule_defaults_ensure()
    year = timezone.localdate().year
    seed_calendar([y for y in (year - 1, year) if y in chinesecalendar_years()])
    shop = published_item(dept_market, name="食品经营许可（新办）", legal_limit_value=20, promised_limit_value=10,
                          themes=[], steps=[{"order": 1, "name": "审查", "role": Position.REVIEWER, "budget_days": 5}])
    quick = published_item(dept_market, name="个体工商户名称登记", case_kind=CaseKind.IMMEDIATE, promised_limit_value=0,
                           themes=[], steps=[{"order": 1, "name": "审核", "role": Position.CLERK, "budget_days": 0}])
    shop.windows.add(window_market)
    quick.windows.add(window_market)
    history_generate(per_year=900)
    with time_machine.travel(timezone.now() - dt.timedelta(days=42), tick=False):
        late = case_services.case_submit(actor=applicant, item_id=shop.pk, applicant=person(),
                                         materials=full_materials(shop), idempotency_key="e2e-late")
        late = case_services.case_accept(actor=clerk, case_no=late.case_no)
    sweep_once()  # the yellow and red warnings of every clock whose moment has passed
    return late


def _login(browser, live_server, user):
    page = _context(browser, DESKTOP).new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if "/accounts/otp/setup/" in page.url:
        # Supervisors must use a second factor: the first login binds the TOTP device shown on the page.
        device = TOTPDevice.objects.get(user=user)
        page.get_by_label("动态口令").fill(f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}")
        page.get_by_role("button", name="完成绑定").click()
        page.wait_for_url(lambda url: "/accounts/otp" not in url)
    return page


def _shot(page, screenshots, name):
    page.screenshot(path=str(screenshots / f"supervision-{name}.png"), full_page=True)


def test_supervision_journey(live_server, browser, screenshots, tmp_path, supervised_county, supervisor,
                             section_head, dept_market):
    late = supervised_county
    red = SupervisionRecord.objects.get(case=late, rule_code="W02", evidence__clock_kind="case.promised")

    # 1. The centre's dashboard: the trend chart is an inline SVG with three series and the 90 % line.
    boss = _login(browser, live_server, supervisor)
    boss.goto(live_server.url + "/supervision/")
    chart = boss.locator("svg[aria-label^='近十二个月效能趋势']")
    assert chart.is_visible()
    assert chart.locator("polyline").count() >= 3 and "现场办结率目标 90%" in chart.inner_html()
    assert chart.bounding_box()["width"] > 500
    assert horizontal_overflow(boss) == 0
    _shot(boss, screenshots, "01-dashboard")

    # 2. Drill down: centre → department (ranking table) → the overdue case.
    boss.locator("table.sup").get_by_role("link", name=dept_market.name).first.click()
    boss.wait_for_url(re.compile(rf"/supervision/departments/{dept_market.pk}/$"))
    assert boss.locator("h1").inner_text().endswith(dept_market.name)
    overdue = boss.locator("h2:has-text('超期在办件') + table")
    assert late.case_no in overdue.inner_text()
    _shot(boss, screenshots, "02-department")
    overdue.get_by_role("link", name=late.case_no).click()
    boss.wait_for_url(re.compile(re.escape(late.case_no)))
    case_text = boss.locator("main").inner_text()
    assert late.case_no in case_text and "承诺办结时限\n超期" in case_text
    _shot(boss, screenshots, "03-case")

    # 3. A 督办单 about the red warning of that case.
    boss.goto(live_server.url + "/supervision/records/")
    boss.get_by_label(f"选择 {red.number}").check()
    boss.get_by_label("督办内容").fill(f"办件 {late.case_no} 已超承诺时限，请说明原因并限期办结。")
    boss.get_by_label("回复期限（工作日）").fill("3")
    boss.get_by_role("button", name="发出督办单").click()
    boss.wait_for_url(re.compile(r"/supervision/orders/\d+/$"))
    order = SupervisionOrder.objects.get()
    assert order.status == OrderStatus.ISSUED and list(order.records.all()) == [red]
    assert "待回复" in boss.content() or order.get_status_display() in boss.content()
    _shot(boss, screenshots, "04-order-issued")

    # 4. The department answers.
    dept = _login(browser, live_server, section_head)
    dept.goto(f"{live_server.url}/supervision/orders/{order.pk}/")
    dept.get_by_label("情况说明").fill("审查人员病假，AB岗未及时顶岗。")
    dept.get_by_label("整改措施").fill("已由B岗接办，明日办结；科室每周核查AB岗。")
    dept.get_by_role("button", name="提交回复").click()
    dept.wait_for_url(re.compile(rf"/supervision/orders/{order.pk}/$"))
    order.refresh_from_db()
    assert order.status == OrderStatus.REPLIED
    _shot(dept, screenshots, "05-order-replied")

    # 5. The supervisor accepts; the record is closed.
    boss.goto(f"{live_server.url}/supervision/orders/{order.pk}/")
    assert "审查人员病假" in boss.content()
    boss.get_by_label("审核意见").fill("整改措施可行，予以办结。")
    boss.get_by_role("button", name="审核通过").click()
    boss.wait_for_url(re.compile(rf"/supervision/orders/{order.pk}/$"))
    order.refresh_from_db()
    red.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED and red.status == SupervisionRecord.Status.CLOSED
    assert order.get_status_display() in boss.content()
    _shot(boss, screenshots, "06-order-accepted")

    # 6. From the department page: a yellow card and an accountability record citing the red warning;
    #    then the per-item-type threshold of 行政许可's promised clock.
    boss.goto(f"{live_server.url}/supervision/departments/{dept_market.pk}/")
    card_form = boss.locator("form", has_text="出示黄牌/红牌")
    card_form.get_by_label("理由").fill("十一月超期未办结办件 1 件")
    card_form.get_by_role("button", name="出示").click()
    boss.wait_for_url(re.compile(rf"/supervision/departments/{dept_market.pk}/$"))
    accountability = boss.locator("form", has_text="作出问责记录")
    accountability.get_by_label("问责方式").select_option(label="通报批评")
    accountability.get_by_label("事由").fill("承诺件超期且AB岗未落实，予以通报批评。")
    accountability.get_by_label(re.compile(re.escape(red.number))).check()
    accountability.get_by_role("button", name="记录问责").click()
    boss.wait_for_url(re.compile(rf"/supervision/departments/{dept_market.pk}/$"))
    assert list(AccountabilityRecord.objects.get().records.all()) == [red]
    cards = boss.locator("h2#cards + table").inner_text()
    assert "十一月超期未办结办件 1 件" in cards and "有效" in cards
    assert "通报批评" in boss.locator("h2#accountability + table").inner_text()
    _shot(boss, screenshots, "07-department-card-accountability")
    boss.goto(f"{live_server.url}/supervision/thresholds/")
    before = boss.get_by_label("行政许可承诺办结时限截止前")
    before.fill("3")
    boss.locator("form", has=before).get_by_role("button", name="保存").click()
    assert "已保存，重新计算在办时钟" in boss.locator("[role=status]").inner_text()
    _shot(boss, screenshots, "08-thresholds")

    # 7. The monthly bulletin page, and its PDF's first page as an image.
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    boss.goto(f"{live_server.url}/supervision/bulletin/?month={last_month}")
    assert "项目录入率" in boss.content() and dept_market.name in boss.content()
    assert boss.locator("svg.chart").count() >= 3
    _shot(boss, screenshots, "09-bulletin")
    with boss.expect_download() as download:
        boss.get_by_role("link", name="下载 PDF").click()
    pdf = tmp_path / "bulletin.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (poppler-utils) is needed to render the bulletin"
    subprocess.run([pdftoppm, "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(screenshots / "supervision-10-bulletin-pdf-page1")], check=True, timeout=60)
    image = screenshots / "supervision-10-bulletin-pdf-page1.png"
    assert image.stat().st_size > 20_000  # a rendered page with text and tables, not a blank sheet

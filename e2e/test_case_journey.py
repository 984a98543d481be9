"""One 办件 from sign-up to rating in a real browser: online application with uploads, a one-time
correction notice, the correction, acceptance, review, approval, the certificate (its QR code
decoded from the PDF and followed to the public verification page) and the 好差评 rating."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
import segno
import zxingcpp

from e2e.a11y import assert_accessible
from e2e.conftest import PHONE, _context, horizontal_overflow, staff_page
from e2e.files import blank_pdf
from zhengwu.cases import services
from zhengwu.cases.models import Case
from zhengwu.cases.states import Status
from zhengwu.catalog.tests.factories import published_item
from zhengwu.licences.services import licence_type_create
from zhengwu.org.models import Position
from zhengwu.portal.tests.data import ensure_themes
from zhengwu.workcalendar.testing import seed_calendar

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LICENCE_TYPE = "11100000000013338W001"
CITIZEN_PHONE = "13988887777"
CITIZEN_PASSWORD = "Qingxi-Apply-2026"
ID_NUMBER = "11010519491231002X"


def _small_png() -> bytes:
    out = io.BytesIO()
    segno.make("营业执照副本", micro=False).save(out, kind="png", scale=4)
    return out.getvalue()


@pytest.fixture
def shop_item(transactional_db, dept_market, window_market, leader):
    ensure_themes()
    seed_calendar([2025, 2026])
    item = published_item(dept_market, name="食品经营许可（新办）", steps=[
        {"order": 1, "name": "审查", "role": Position.REVIEWER, "budget_days": 2},
        {"order": 2, "name": "决定", "role": Position.CHIEF_REPRESENTATIVE, "budget_days": 1},
    ])
    licence_type_create(actor="test", code=LICENCE_TYPE, name="食品经营许可证")
    services.case_item_policy_set(actor=leader, item_id=item.pk, deemed_approval_enabled=False,
                                  joint_handling=False, licence_type_code=LICENCE_TYPE, validity_years=5)
    return item


def _shot(page, screenshots, name):
    page.screenshot(path=str(screenshots / f"case-{name}.png"), full_page=True)




def _act(page, live_server, case_no, summary, fill=None, button=None):
    page.goto(f"{live_server.url}/work/{case_no}/")
    page.locator("summary", has_text=re.compile(f"^{summary}$")).click()
    form = page.locator("details[open] form")
    if fill:
        fill(form)
    form.get_by_role("button", name=button or summary).click()
    page.wait_for_url(re.compile(f"/work/{re.escape(case_no)}/$"))
    errors = page.locator(".form-errors")
    assert errors.count() == 0, errors.all_inner_texts()


def test_case_journey(live_server, browser, settings, screenshots, tmp_path, shop_item, clerk, reviewer,
                      chief_representative, outsider):
    settings.ZHENGWU_PUBLIC_BASE_URL = live_server.url
    pdf_file = tmp_path / "申请书.pdf"
    pdf_file.write_bytes(blank_pdf())
    png_file = tmp_path / "营业执照.png"
    png_file.write_bytes(_small_png())
    fixed_file = tmp_path / "营业执照-清晰.pdf"
    fixed_file.write_bytes(blank_pdf())
    materials = list(shop_item.current_version.materials.order_by("order"))

    # 1. The citizen finds the guide, is asked to sign in, signs up with a phone number and applies.
    citizen = _context(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2).new_page()
    citizen.goto(f"{live_server.url}/guide/{shop_item.basic_code}/")
    citizen.get_by_role("link", name="在线申办").click()
    citizen.wait_for_url(re.compile(r"/cases/signin/"))
    citizen.get_by_role("link", name="用手机号码注册").click()
    citizen.get_by_label("手机号码").fill(CITIZEN_PHONE)
    citizen.get_by_label("姓名").fill("张三")
    citizen.locator("#id_password1").fill(CITIZEN_PASSWORD)
    citizen.get_by_label("确认密码").fill(CITIZEN_PASSWORD)
    assert_accessible(citizen, "signup")
    _shot(citizen, screenshots, "01-signup-phone")
    citizen.get_by_role("button", name="注册并登录").click()
    citizen.wait_for_url(re.compile(f"/cases/apply/{shop_item.basic_code}/"))

    assert citizen.get_by_label("申请人名称（姓名或单位名称）").input_value() == "张三"
    citizen.get_by_label("证件号码").fill(ID_NUMBER)
    citizen.get_by_label("通讯地址").fill("清溪县城关镇人民路 1 号")
    citizen.get_by_label(materials[0].name).set_input_files(str(pdf_file))
    citizen.get_by_label(materials[1].name).set_input_files(str(png_file))
    assert_accessible(citizen, "apply")
    assert horizontal_overflow(citizen) == 0
    _shot(citizen, screenshots, "02-apply-phone")
    citizen.get_by_role("button", name="提交申请").click()
    citizen.wait_for_url(re.compile(r"/cases/my/[^/]+/$"))
    case = Case.objects.get()
    assert case.status == Status.SUBMITTED and case.materials.count() == 2
    assert case.case_no in citizen.locator(".messages").inner_text()
    assert citizen.locator(".query-code").inner_text() == case.query_code
    assert_accessible(citizen, "my case")
    assert horizontal_overflow(citizen) == 0
    _shot(citizen, screenshots, "03-submitted-phone")

    # 2. The clerk sees it in 待受理 and issues the one-time correction notice.
    window = staff_page(browser, live_server, clerk)
    window.goto(live_server.url + "/work/")
    assert window.locator(".queue-pending_acceptance .q-count").inner_text() == "1"
    assert "张*" in window.locator("table").inner_text()
    assert_accessible(window, "workbench")
    _shot(window, screenshots, "04-workbench")

    def correction(form):
        form.get_by_label(materials[1].name, exact=True).check()
        form.get_by_label(f"“{materials[1].name}”的补正理由").fill("复印件模糊，请上传清晰的扫描件")
    window.goto(f"{live_server.url}/work/{case.case_no}/")
    window.locator("summary", has_text=re.compile("^一次性告知补正$")).click()
    assert_accessible(window, "case page, correction form")
    _shot(window, screenshots, "05-correction-form")
    _act(window, live_server, case.case_no, "一次性告知补正", correction)
    case.refresh_from_db()
    assert case.status == Status.CORRECTION

    # 3. The citizen sees every item to fix and corrects.
    citizen.reload()
    assert "复印件模糊，请上传清晰的扫描件" in citizen.locator("#sec-notice + *").inner_text() or \
        "复印件模糊" in citizen.content()
    _shot(citizen, screenshots, "06-correction-notice-phone")
    citizen.locator(f"#id_fix-material_{materials[1].pk}").set_input_files(str(fixed_file))
    citizen.get_by_role("button", name="提交补正材料").click()
    citizen.wait_for_url(re.compile(r"/cases/my/[^/]+/$"))
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED

    # 4. Accepted, reviewed, decided, the certificate issued — each by the person whose job it is.
    _act(window, live_server, case.case_no, "受理")
    window.goto(f"{live_server.url}/work/{case.case_no}/")
    assert window.locator(".clock-green").count() >= 2
    window.locator(".clocks details summary").first.click()
    assert_accessible(window, "case page, accepted")
    _shot(window, screenshots, "07-accepted-clocks")

    review = staff_page(browser, live_server, reviewer)
    _act(review, live_server, case.case_no, "本环节通过",
         lambda form: form.get_by_label("处理意见").fill("材料齐全，符合法定条件"))
    chief = staff_page(browser, live_server, chief_representative)
    _act(chief, live_server, case.case_no, "本环节通过", lambda form: form.get_by_label("处理意见").fill("拟准予"))
    _act(chief, live_server, case.case_no, "作出决定", lambda form: form.get_by_label("准予许可").check())
    _shot(chief, screenshots, "08-approved")
    _act(window, live_server, case.case_no, "制发电子证照")
    case.refresh_from_db()
    assert case.status == Status.CERTIFICATE_ISSUED

    # An outsider from another department gets a 404 for the same case.
    other = staff_page(browser, live_server, outsider)
    assert other.goto(f"{live_server.url}/work/{case.case_no}/").status == 404

    # 5. The citizen downloads the certificate; its QR code leads to the verification page.
    citizen.reload()
    _shot(citizen, screenshots, "09-certificate-phone")
    with citizen.expect_download() as download:
        citizen.get_by_role("link", name=re.compile("下载 电子证照")).click()
    certificate_pdf = tmp_path / "certificate.pdf"
    download.value.save_as(certificate_pdf)
    assert certificate_pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile", str(certificate_pdf),
                    str(tmp_path / "page")], check=True)
    from PIL import Image

    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    urls = [c.text for c in codes if "/licences/verify/" in c.text]
    assert urls and urls[0].startswith(live_server.url)
    citizen.goto(urls[0])
    assert "验证通过" in citizen.locator(".verdict").inner_text()
    _shot(citizen, screenshots, "10-verified-phone")

    # 6. Collected at the window: 办结. The citizen rates it once.
    _act(window, live_server, case.case_no, "送达",
         lambda form: (form.get_by_label("窗口领取").check(), form.get_by_label("领取人或收件人").fill("张三")))
    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    citizen.goto(f"{live_server.url}/cases/my/{case.case_no}/")
    citizen.get_by_label("非常满意").check()
    citizen.get_by_label("文字评价（可选）").fill("一次告知，跑一次就办好了")
    _shot(citizen, screenshots, "11-rate-phone")
    citizen.get_by_role("button", name="提交评价").click()
    citizen.wait_for_url(re.compile(r"/cases/my/[^/]+/$"))
    assert "非常满意" in citizen.locator("section", has_text="我的评价").inner_text()
    assert citizen.get_by_role("button", name="提交评价").count() == 0
    assert_accessible(citizen, "rated")
    _shot(citizen, screenshots, "12-rated-phone")

    # 7. Anyone can follow it with number + query code, and the hall's screen shows it masked.
    public = _context(browser, {"width": 1280, "height": 900}).new_page()
    public.goto(live_server.url + "/cases/progress/")
    public.get_by_label("办件编号").fill(case.case_no)
    public.get_by_label("查询码").fill(case.query_code)
    public.get_by_role("button", name="查询").click()
    assert public.locator(".applicant").inner_text() == "张*"
    assert "已办结" in public.content() and ID_NUMBER not in public.content()
    assert_accessible(public, "progress")
    _shot(public, screenshots, "13-progress")
    screen = _context(browser, {"width": 1920, "height": 1080}).new_page()
    screen.goto(live_server.url + "/hall/screen/")
    assert case.case_no in screen.content() and "张*" in screen.content() and "张三" not in screen.content()
    assert_accessible(screen, "hall screen")
    _shot(screen, screenshots, "14-hall-screen")


def test_screenshots_dir_is_gitignored():
    ignored = subprocess.run(["git", "check-ignore", "-q", "test-artifacts/screenshots/x.png"],
                             cwd=Path(__file__).resolve().parent.parent)
    assert ignored.returncode == 0

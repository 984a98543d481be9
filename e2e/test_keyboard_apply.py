"""全程键盘 (工信部 适老化通用设计规范; GB/T 37668 可操作): a citizen signs in, opens an item's guide,
applies, fills the form, attaches the files and submits with the keyboard alone — Tab, Shift+Tab,
Enter and Space, never the mouse. Every tab stop on the way must show a visible focus indicator.
File inputs are reached by Tab and then given their file with set_input_files (a browser's file
chooser is outside the page). Then the window clerk opens the full ID number the same way."""

from __future__ import annotations

import re

import pytest

from e2e.a11y import assert_accessible
from e2e.conftest import _context
from e2e.files import blank_pdf
from zhengwu.accounts.models import User
from zhengwu.cases.models import Case
from zhengwu.cases.states import Status
from zhengwu.catalog.tests.factories import published_item
from zhengwu.core.models import AuditEvent
from zhengwu.org.models import Position
from zhengwu.org.tests.factories import PASSWORD, UserFactory
from zhengwu.portal.tests.data import ensure_themes
from zhengwu.workcalendar.testing import seed_calendar

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CITIZEN_PHONE = "13966665555"
ID_NUMBER = "11010519491231002X"
AGENT_ID = "33010219800101000X"

# What has the focus, and whether it is visibly marked: an outline of at least 2px that is not
# transparent, or a box-shadow (some designs draw focus rings that way).
_FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {tag: 'BODY', type: '', id: '', name: '', text: '', label: '', visible: false};
  const st = getComputedStyle(el);
  const outline = st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 2
    && st.outlineColor !== 'rgba(0, 0, 0, 0)' && st.outlineColor !== 'transparent';
  const shadow = st.boxShadow && st.boxShadow !== 'none';
  const label = el.labels && el.labels.length ? el.labels[0].textContent.trim() : '';
  return {tag: el.tagName, type: (el.getAttribute('type') || '').toLowerCase(), id: el.id, name: el.name || '',
          text: (el.textContent || el.value || '').trim().slice(0, 30), label: label.replace(/\\s*\\*$/, ''),
          visible: !!(outline || shadow)};
}"""


@pytest.fixture
def item(transactional_db, dept_market, window_market):
    ensure_themes()
    seed_calendar([2025, 2026])
    return published_item(dept_market, name="食品经营许可（新办）", steps=[
        {"order": 1, "name": "审查", "role": Position.REVIEWER, "budget_days": 2}])


@pytest.fixture
def citizen_account(transactional_db):
    return UserFactory.create(username=CITIZEN_PHONE, real_name="张三", phone=CITIZEN_PHONE, kind=User.Kind.APPLICANT,
                              must_change_password=False)


class Keyboard:
    """Moves the focus with Tab / Shift+Tab only, and keeps every stop it passed for the focus check."""

    def __init__(self, page):
        self.page = page
        self.stops: list[dict] = []

    def focused(self) -> dict:
        return self.page.evaluate(_FOCUS_JS)

    def tab_to(self, matches, *, back: bool = False, limit: int = 80, here: bool = False) -> dict:
        """Press Tab (Shift+Tab) until the focus matches; with `here`, a field already focused (the
        sign-in pages autofocus the first field) counts without moving."""
        if here:
            stop = self.focused()
            if matches(stop):
                self.stops.append({**stop, "url": self.page.url})
                return stop
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if back else "Tab")
            stop = self.focused()
            self.stops.append({**stop, "url": self.page.url})
            if matches(stop):
                return stop
        raise AssertionError(f"not reached by {'Shift+Tab' if back else 'Tab'}: {self.stops[-limit:]}")

    def tab_to_label(self, label: str, **kw) -> dict:
        return self.tab_to(lambda s: s["label"] == label, **kw)

    def tab_to_text(self, text: str, **kw) -> dict:
        return self.tab_to(lambda s: s["text"] == text, **kw)

    def type_into(self, label: str, text: str, **kw) -> None:
        self.tab_to_label(label, here=True, **kw)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text)

    def invisible(self) -> list[dict]:
        return [s for s in self.stops if not s["visible"]]


def _shot(page, screenshots, name):
    page.screenshot(path=str(screenshots / f"keyboard-{name}.png"), full_page=False)



def test_apply_online_with_the_keyboard_only(live_server, browser, screenshots, tmp_path, item, citizen_account,
                                            clerk):
    application = tmp_path / "申请书.pdf"
    application.write_bytes(blank_pdf())
    materials = list(item.current_version.materials.order_by("order"))
    assert len(materials) >= 2

    page = _context(browser, {"width": 1280, "height": 900}).new_page()
    keys = Keyboard(page)

    # The guide: the skip link first, then on to 在线申办, opened with Enter.
    page.goto(f"{live_server.url}/guide/{item.basic_code}/")
    first = keys.tab_to(lambda s: True)
    assert first["text"] == "跳到主要内容"
    page.keyboard.press("Enter")
    keys.tab_to_text("在线申办")
    _shot(page, screenshots, "01-guide-focus-on-apply")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/signin/"))

    # Sign in: phone number, password, Enter in the password field submits.
    keys.type_into("手机号码", CITIZEN_PHONE)
    keys.type_into("密码", PASSWORD)
    assert_accessible(page, "signin")
    _shot(page, screenshots, "02-signin")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(f"/cases/apply/{item.basic_code}/"))

    # The form. The name comes from the account; the ID number and address are typed.
    assert page.get_by_label("申请人名称（姓名或单位名称）").input_value() == "张三"
    keys.type_into("证件号码", ID_NUMBER)
    keys.type_into("通讯地址", "清溪县城关镇人民路 1 号")
    # Shift+Tab goes back over the phone number to check it, then Tab returns past it.
    back = keys.tab_to_label("联系电话", back=True)
    assert back["tag"] == "INPUT"
    assert page.evaluate("() => document.activeElement.value") == CITIZEN_PHONE
    keys.type_into("联系电话", "13966665555")

    # 由他人代办 is a <details>: Space on its summary opens it.
    keys.tab_to(lambda s: s["tag"] == "SUMMARY")
    page.keyboard.press("Space")
    assert page.evaluate("() => document.querySelector('details.agent').open")
    keys.type_into("代办人姓名（可选）", "王代办")
    keys.type_into("代办人身份证号", AGENT_ID)
    keys.type_into("代办人电话", "13811112222")

    # Each file input reached by Tab; the file itself is handed over without the chooser dialog.
    for requirement in materials:
        stop = keys.tab_to_label(requirement.name)
        assert stop["type"] == "file"
        page.locator(":focus").set_input_files(str(application))
    assert_accessible(page, "apply, filled")
    _shot(page, screenshots, "03-apply-filled")

    stop = keys.tab_to_text("提交申请")
    assert stop["tag"] == "BUTTON"
    _shot(page, screenshots, "04-focus-on-submit")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/my/[^/]+/$"))

    case = Case.objects.get()
    assert case.status == Status.SUBMITTED and case.materials.count() == len(materials)
    assert (case.applicant_id_number, case.agent_id_number, case.agent_name) == (ID_NUMBER, AGENT_ID, "王代办")
    assert case.case_no in page.locator(".messages").inner_text()
    assert ID_NUMBER not in page.content()
    assert_accessible(page, "submitted")
    _shot(page, screenshots, "05-submitted")

    assert keys.invisible() == [], f"tab stops without a visible focus indicator: {keys.invisible()}"
    assert len(keys.stops) >= 10

    # The clerk opens the case and the full number, keyboard only as well; the view is audited.
    staff = _context(browser, {"width": 1280, "height": 900}).new_page()
    window = Keyboard(staff)
    staff.goto(live_server.url + "/accounts/login/")
    window.type_into("用户名", clerk.username)
    window.type_into("密码", PASSWORD)
    staff.keyboard.press("Enter")
    staff.wait_for_url(re.compile(r"/staff/"))
    staff.goto(f"{live_server.url}/work/{case.case_no}/")
    assert ID_NUMBER not in staff.content() and "110105********002X" in staff.content()
    window.tab_to_text("查看完整证件号")
    _shot(staff, screenshots, "06-staff-focus-on-view-id")
    staff.keyboard.press("Enter")
    staff.wait_for_url(re.compile(rf"/work/{re.escape(case.case_no)}/id-number/$"))
    assert staff.locator(".id-number-full").all_inner_texts() == [ID_NUMBER, AGENT_ID]
    assert_accessible(staff, "full ID number")
    _shot(staff, screenshots, "07-staff-full-id")
    assert AuditEvent.objects.filter(action="case.id_number_view", actor_id=clerk.pk, outcome="success").count() == 1
    assert window.invisible() == [], f"tab stops without a visible focus indicator: {window.invisible()}"

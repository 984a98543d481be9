"""A citizen's journey through the portal in a real browser, at desktop and at phone width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from e2e.a11y import accessibility_problems
from e2e.conftest import horizontal_overflow
from zhengwu.portal.tests.data import build_county

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def county(transactional_db):
    return build_county()


def _shot(page, screenshots, name):
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def _check_page(page, label):
    problems = accessibility_problems(page)
    assert problems == [], f"{label}: {problems}"


def test_citizen_journey_desktop(live_server, desktop, county, screenshots):
    page = desktop
    page.goto(live_server.url + "/")
    assert page.title() == "广宗县政务服务网"
    _check_page(page, "home")
    _shot(page, screenshots, "desktop-01-home")

    # A Chinese query typed into the home page's search box.
    page.get_by_label("搜索办事事项").fill("营业执照")
    page.get_by_label("搜索办事事项").press("Enter")
    page.wait_for_url(re.compile(r"/guide/search\?q="))
    results = page.locator(".item-list .item-name")
    assert results.all_inner_texts() == ["营业执照遗失补领"]
    _check_page(page, "search")
    _shot(page, screenshots, "desktop-02-search-chinese")

    # Pinyin initials in the results page's own box, submitted with the button.
    page.get_by_label("搜索办事事项").fill("gtgsh")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url(re.compile(r"q=gtgsh"))
    assert results.all_inner_texts() == ["个体工商户设立登记"]
    _shot(page, screenshots, "desktop-03-search-pinyin")

    results.first.click()
    page.wait_for_url(re.compile(r"/guide/000132001000/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "个体工商户设立登记"
    materials = page.locator("#guide-materials table")
    assert materials.is_visible()
    assert materials.get_by_text("个体工商户登记（备案）申请书", exact=True).is_visible()
    assert page.locator("#guide-limits").get_by_text("15 个工作日").is_visible()
    assert page.locator("#guide-limits").get_by_text("3 个工作日").is_visible()
    assert page.locator("#guide-remedies").is_visible()
    flow = page.locator("#guide-process svg[role=img]")
    assert flow.is_visible()
    assert flow.bounding_box()["height"] > 200
    assert "审查决定" in flow.text_content()
    assert page.get_by_role("button", name="打印本指南").is_visible()  # shown by portal.js
    _check_page(page, "guide")
    _shot(page, screenshots, "desktop-04-guide")

    with page.expect_download() as info:
        page.locator("#guide-materials").get_by_role("link", name=re.compile("空白表格")).first.click()
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    assert "个体工商户登记" in download.suggested_filename
    assert Path(download.path()).read_bytes().startswith(b"PK")

    page.locator("#guide-where").get_by_role("link", name=re.compile("A01 号窗口")).click()
    page.wait_for_url(re.compile(r"/hall/\d+/"))
    assert page.get_by_role("heading", level=1).inner_text() == "广宗县政务服务中心"
    assert page.get_by_text("市场准入综合窗口").is_visible()
    _check_page(page, "centre")
    _shot(page, screenshots, "desktop-05-centre")


def test_keyboard_skip_link_and_elder_mode(live_server, desktop, county, screenshots):
    page = desktop
    page.goto(live_server.url + "/guide/000107003000/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "跳到主要内容"
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#main"

    base_size = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    page.get_by_role("button", name="长辈版").click()
    page.wait_for_load_state()
    assert page.evaluate("() => document.documentElement.classList.contains('elder')")
    assert page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)") >= base_size * 1.2
    assert page.url.endswith("/guide/000107003000/")
    _check_page(page, "elder guide")
    _shot(page, screenshots, "desktop-06-guide-elder")
    page.get_by_role("button", name="切换到标准版").click()
    page.wait_for_load_state()
    assert not page.evaluate("() => document.documentElement.classList.contains('elder')")


_FOCUS_JS = """() => {
  const el = document.activeElement;
  const st = getComputedStyle(el);
  return {tag: el.tagName, text: (el.textContent || el.value || '').trim().slice(0, 20),
          outline: st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 2};
}"""


def test_keyboard_only_search_with_visible_focus(live_server, desktop, county):
    page = desktop
    page.goto(live_server.url + "/")
    stops = []
    for _ in range(30):
        page.keyboard.press("Tab")
        stop = page.evaluate(_FOCUS_JS)
        stops.append(stop)
        if stop["tag"] == "INPUT":
            break
    assert stops[-1]["tag"] == "INPUT", f"search box not reached by Tab: {stops}"
    assert [s for s in stops if not s["outline"]] == [], "every tab stop shows a focus outline"
    page.keyboard.type("jiehun")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=jiehun"))
    page.keyboard.press("Tab")  # the skip link again, then into the page
    page.keyboard.press("Enter")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == "内地居民结婚登记":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/guide/000107003000/$"))


@pytest.mark.parametrize("path,name", [
    ("/", "home"),
    ("/guide/000132001000/", "guide"),
    ("/hall/", "halls"),
    ("/guide/for/people/", "people"),
    ("/guide/life-events/", "life-events"),
    ("/guide/search?q=yyzz", "search"),
    ("/hall/{centre}/", "centre"),
    ("/guide/", "guide-index"),
    ("/guide/999999999999/", "not-found"),
])
def test_phone_width_has_no_horizontal_overflow(live_server, phone, county, screenshots, path, name):
    page = phone
    path = path.format(centre=county.centre.pk)
    page.goto(live_server.url + path)
    assert horizontal_overflow(page) <= 0, f"{path} scrolls sideways on a 375-px screen"
    _check_page(page, f"phone {path}")
    _shot(page, screenshots, f"phone-{name}")


def test_guide_prints_without_site_chrome(live_server, desktop, county, screenshots):
    page = desktop
    page.goto(live_server.url + "/guide/000132001000/")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".toc").is_visible()
    assert page.locator("#guide-materials table thead").is_visible()
    assert page.locator("#guide-remedies").is_visible()
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF-")
    (screenshots.parent / "guide-print.pdf").write_bytes(pdf)
    _shot(page, screenshots, "desktop-07-guide-print")


def test_elder_mode_on_a_phone_fits_the_screen(live_server, phone, county, screenshots):
    page = phone
    page.context.add_cookies([{"name": "zw_elder", "value": "1", "url": live_server.url}])
    for path, name in (("/", "home"), ("/guide/000132001000/", "guide")):
        page.goto(live_server.url + path)
        assert page.evaluate("() => document.documentElement.classList.contains('elder')")
        assert horizontal_overflow(page) <= 0, f"{path} scrolls sideways in 长辈版 on a phone"
        small = page.evaluate("""() => [...document.querySelectorAll('main p, main dd, main li')]
            .filter((el) => el.offsetParent && parseFloat(getComputedStyle(el).fontSize) < 18).length""")
        assert small == 0, "适老化: main text is at least 18 px in 长辈版"
        _check_page(page, f"elder phone {path}")
        _shot(page, screenshots, f"phone-elder-{name}")

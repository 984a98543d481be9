"""axe-core (from the npm registry, installed by ./dev into node_modules) in headless chromium on the
public pages, standard and 长辈版: no serious or critical violations (GB/T 37668, WCAG 2.0 A/AA rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhengwu.portal.tests.data import build_county

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `npm ci` at the repository root (./dev test does)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def county(transactional_db):
    return build_county()


def public_pages(county) -> list[tuple[str, str]]:
    return [
        ("home", "/"),
        ("search", "/guide/search?q=营业执照"),
        ("guide", "/guide/000132001000/"),
        ("guide index", "/guide/"),
        ("departments", "/guide/departments/"),
        ("department", f"/guide/departments/{county.market.pk}/"),
        ("people", "/guide/for/people/"),
        ("life events", "/guide/life-events/"),
        ("online", "/guide/online/"),
        ("centres", "/hall/"),
        ("centre", f"/hall/{county.centre.pk}/"),
        ("progress query", "/cases/progress/"),
        ("accessibility", "/accessibility/"),
    ]


def with_axe(page, axe_source: str):
    # An init script runs in every document the page opens and is not subject to the site's
    # Content-Security-Policy (script-src 'self'), unlike an injected <script> tag.
    page.add_init_script(script=axe_source)
    return page


def serious_violations(page) -> list[dict]:
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]


def _check_all(page, live_server, county, mode: str) -> list[str]:
    problems = []
    for label, path in public_pages(county):
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, f"{label}: {response and response.status}"
        for violation in serious_violations(page):
            problems.append(f"[{mode}] {label} {path}: {violation['impact']} {violation['id']} — "
                            f"{violation['help']} at {violation['nodes']}")
    return problems


def test_public_pages_have_no_serious_axe_violations(live_server, desktop, county, axe_source):
    problems = _check_all(with_axe(desktop, axe_source), live_server, county, "标准版")
    assert problems == [], "\n".join(problems)


def test_elder_mode_pages_have_no_serious_axe_violations(live_server, desktop, county, axe_source):
    page = with_axe(desktop, axe_source)
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="长辈版").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="切换到标准版").is_visible()
    problems = _check_all(page, live_server, county, "长辈版")
    assert page.get_by_role("button", name="切换到标准版").is_visible(), "长辈版 must stay on while browsing"
    assert problems == [], "\n".join(problems)


def test_axe_reports_a_planted_violation(live_server, desktop, county, axe_source):
    """The check can fail: an unlabeled field and a nameless button are reported."""
    page = with_axe(desktop, axe_source)
    page.goto(live_server.url + "/")
    page.evaluate("""() => { const b = document.createElement('button'); document.body.appendChild(b);
                            const img = document.createElement('img'); img.src = 'x.png';
                            document.querySelector('main').appendChild(img); }""")
    ids = {v["id"] for v in serious_violations(page)}
    assert {"button-name", "image-alt"} <= ids

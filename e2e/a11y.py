"""Automated accessibility checks run inside the page (GB/T 37668 / WCAG 2.0 basics):
labelled form fields, image alternatives, heading order and text contrast >= 4.5:1."""

from __future__ import annotations

MIN_CONTRAST = 4.5

_CHECK_JS = r"""
(minContrast) => {
  const problems = [];
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.className && typeof el.className === 'string') s += '.' + el.className.trim().split(/\s+/).join('.');
    const text = (el.textContent || '').trim().slice(0, 30);
    return text ? `${s} "${text}"` : s;
  };
  const visible = (el) => {
    const st = getComputedStyle(el);
    if (st.display === 'none' || st.visibility === 'hidden' || parseFloat(st.opacity) === 0) return false;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;
    if (r.right < 0 || r.bottom < 0) return false;  // parked off-screen, e.g. the skip link
    return el.parentElement ? visible(el.parentElement) : true;
  };

  // 1. every form field has a label
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
    const byFor = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
    const wrapped = el.closest('label');
    const aria = (el.getAttribute('aria-label') || '').trim() || el.getAttribute('aria-labelledby');
    if (!byFor && !wrapped && !aria) problems.push(`field without label: ${describe(el)}`);
  }
  // buttons and links need a name too
  for (const el of document.querySelectorAll('button, a[href]')) {
    const name = (el.textContent || '').trim() || el.getAttribute('aria-label') || el.getAttribute('title')
      || (el.querySelector('img[alt]') && el.querySelector('img[alt]').alt);
    if (!name) problems.push(`control without a name: ${describe(el)}`);
  }
  // 2. images have alternatives
  for (const el of document.querySelectorAll('img')) {
    if (!el.hasAttribute('alt')) problems.push(`img without alt: ${el.src}`);
  }
  for (const el of document.querySelectorAll('svg')) {
    if (el.closest('[aria-hidden="true"]') || el.getAttribute('aria-hidden') === 'true') continue;
    const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.querySelector('title')
      || el.closest('figure[aria-labelledby], figure[aria-label]');
    if (!named) problems.push(`svg without a text alternative: ${describe(el)}`);
  }
  // 3. headings: one h1, first heading is h1, no level skipped on the way down
  const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')];
  const h1s = headings.filter((h) => h.tagName === 'H1');
  if (h1s.length !== 1) problems.push(`expected exactly one h1, found ${h1s.length}`);
  if (headings.length && headings[0].tagName !== 'H1') problems.push(`first heading is ${headings[0].tagName}`);
  let level = 0;
  for (const h of headings) {
    const n = parseInt(h.tagName[1], 10);
    if (level && n > level + 1) problems.push(`heading jumps from h${level} to h${n}: ${describe(h)}`);
    level = n;
  }
  // 4. contrast of every visible text run against its effective background
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const blend = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
    }
    let colour = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) colour = blend(layer, colour);
    return colour;
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const seen = new Set();
  let checked = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || seen.has(el) || el.closest('svg, script, style, noscript')) continue;
    seen.add(el);
    if (!visible(el)) continue;
    const st = getComputedStyle(el);
    if (st.clip === 'rect(0px, 0px, 0px, 0px)' || st.clipPath === 'inset(50%)') continue;
    const bg = background(el);
    const fg = blend(parse(st.color), bg);
    const r = ratio(fg, bg);
    checked += 1;
    if (r < minContrast) problems.push(`contrast ${r.toFixed(2)}:1 < ${minContrast}:1 for ${describe(el)} (${st.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}))`);
  }
  if (checked === 0) problems.push('no visible text was checked');
  return problems;
}
"""


def accessibility_problems(page) -> list[str]:
    return page.evaluate(_CHECK_JS, MIN_CONTRAST)


def assert_accessible(page, label: str) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    problems = accessibility_problems(page)
    assert problems == [], f"{label}: {problems}"

"""Issue 18 item 5 in the browser, on every main page of each role: a title, one h1, every form
control labelled, and text contrast of at least WCAG AA (4.5:1; 3:1 for large text) computed from
the colours the browser actually renders (the text's colour against the first opaque background
of its ancestors)."""

from __future__ import annotations

from typing import Any

import pytest

PAGES = {
    "economist": ("/", "/economist/indicators", "/economist/changes", "/economist/coverage",
                  "/economist/internet-use", "/economist/models", "/economist/sql"),
    "register": ("/clerk/worklist",),
    "operator": ("/operator/campaigns", "/operator/campaigns/new", "/operator/crawls"),
    "admin": ("/admin/users",),
}

# Every element with its own visible text: its contrast ratio against the first opaque
# background up the tree, and whether it is large text (24 px, or 18.66 px bold).
CONTRAST_JS = """() => {
  const rgb = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = (el) => { for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor); if (c && c.a >= 0.99) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none' || el.getClientRects().length === 0) continue;
    if (el.closest('.skip-link') || el.closest('svg')) continue;  // off-screen link; map labels
    const fg = rgb(style.color), bg = background(el);
    if (!fg) continue;
    const a = lum(fg), b = lum(bg);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    out.push({text: el.textContent.trim().slice(0, 40), tag: el.tagName,
              ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
              large: size >= 24 || (bold && size >= 18.66)});
  }
  return out;
}"""

UNLABELLED_JS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && e.type !== 'submit' && e.type !== 'button')
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.getAttribute('aria-labelledby') && !e.title)
  .map(e => e.outerHTML.slice(0, 120))"""


@pytest.mark.chromium
@pytest.mark.parametrize("role", list(PAGES))
def test_main_pages_have_titles_headings_labels_and_aa_contrast(
        role: str, web_server: Any, web_users: Any, page: Any, login: Any) -> None:
    user = web_users[role]
    login(page, web_server.base_url, user.name, user.password)
    for path in PAGES[role]:
        response = page.goto(web_server.base_url + path)
        assert response is not None and response.status == 200, path
        assert page.title().strip(), f"{path} has no title"
        assert page.locator("h1").count() == 1, f"{path} needs exactly one h1"
        assert page.evaluate(UNLABELLED_JS) == [], f"{path} has form controls without a label"
        texts = page.evaluate(CONTRAST_JS)
        assert texts, path
        low = [t for t in texts if t["ratio"] < (3.0 if t["large"] else 4.5)]
        assert not low, f"{path}: text below WCAG AA contrast: {low[:5]}"

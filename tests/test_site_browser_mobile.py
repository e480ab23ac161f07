"""The site in headless Chromium: every page type fits 360–414 px without horizontal scrolling
(service forms included), the 大字版 switch works and persists, print hides the navigation,
the keyboard reaches the content through the skip link, service forms are styled like the site
and no heading repeats, and the favicon loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cms.demo.sample import generate_sample
from tests.helpers.browser import Chromium, StaticServer, chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="chromium is not installed (apt-get install chromium)"),
]
WIDTHS = (360, 390, 414)
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The sample documents and every enabled module's pages, built in a fresh data dir (as the
    demo does: migrate, then a full build with the modules' page sets)."""
    root = tmp_path_factory.mktemp("mobile")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(GOVSITE_DATA_DIR=str(root / "data"), GOVSITE_SITE_DIR=str(root / "data" / "site"),
               DJANGO_SETTINGS_MODULE="cms.settings")
    govsite = str(Path(sys.executable).parent / "govsite")
    subprocess.run([govsite, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    out = root / "site"
    build = (
        "from cms.demo.sample import generate_sample\n"
        "from site_generator.build import build_site\n"
        "from cms.build.config import from_settings\n"
        "from cms.build.jobs import page_sets\n"
        f"build_site([r for r in generate_sample(30, seed=4) if 'op' not in r], {str(out)!r}, full=True,"
        f" config=from_settings(plugins=[], processes=1), state_dir={str(root / 'state')!r}, page_sets=page_sets())\n"
    )
    subprocess.run([govsite, "shell", "-c", build], cwd=ROOT, env=env, check=True, timeout=300)
    doc = next(r for r in generate_sample(30, seed=4) if "op" not in r)
    pages = {
        "home": "/", "latest": "/list/", "catalogue": "/catalog/", "site map": "/sitemap/", "search": "/search/",
        "department": f"/{doc['site']}/", "document": f"/{doc['site']}/{doc['published'][:4]}/{doc['id']}.html",
        "404": "/404.html",
    }
    for index in sorted(out.glob("*/index.html")):  # each service module's own page
        name = index.parent.name
        if name not in pages and not (index.parent / "page").is_dir() and name not in ("catalog", "list", "search",
                                                                                     "sitemap", "category", "topic",
                                                                                     "year"):
            pages[name] = f"/{name}/"
            for sub in ("write", "stats"):  # the letter form, the statistics
                if (index.parent / sub / "index.html").is_file():
                    pages[f"{name} {sub}"] = f"/{name}/{sub}/"
    with StaticServer(out) as server, Chromium() as chromium:
        yield server, chromium, pages


def set_width(chromium, width: int) -> None:
    chromium.send("Emulation.setDeviceMetricsOverride", width=width, height=800, deviceScaleFactor=1, mobile=True)


def overflow(chromium) -> list[str]:
    """Elements reaching past the viewport's right edge (what makes a page scroll sideways)."""
    return chromium.evaluate("""(() => {
        const w = document.documentElement.clientWidth, out = [];
        if (document.documentElement.scrollWidth > w) out.push('page ' + document.documentElement.scrollWidth + '>' + w);
        for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.width && r.right > w + 1 && getComputedStyle(el).position !== 'fixed' && !el.closest('.visually-hidden, .skip-link'))
                out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' ' + Math.round(r.right));
        }
        return out.slice(0, 8); })()""")


def test_every_page_fits_phones_without_sideways_scrolling(site):
    server, chromium, pages = site
    assert {"letters", "ratings"} <= set(pages), "the service pages are part of the walk"
    problems = {}
    for width in WIDTHS:
        set_width(chromium, width)
        for name, path in pages.items():
            chromium.navigate(server.url + path)
            found = overflow(chromium)
            if found:
                problems[f"{name}@{width}"] = found
            button = chromium.evaluate("(() => { const b = document.querySelector('.search-form button');"
                                       " return b ? b.getBoundingClientRect().height : 0; })()")
            line = chromium.evaluate("parseFloat(getComputedStyle(document.querySelector('.search-form button')).lineHeight)"
                                     " || 24")
            assert button < 2 * line, f"search button wraps on {name} at {width}px"
    assert not problems, problems


def test_large_text_switch_print_and_keyboard(site):
    server, chromium, pages = site
    set_width(chromium, 390)
    chromium.navigate(server.url + pages["document"])
    chromium.evaluate("localStorage.clear()")
    chromium.navigate(server.url + pages["document"])
    size = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
    before = chromium.evaluate(size)
    chromium.evaluate("document.getElementById('large-text-toggle').click()")
    assert chromium.evaluate(size) > before
    assert chromium.evaluate("document.getElementById('large-text-toggle').getAttribute('aria-pressed')") == "true"
    chromium.navigate(server.url + pages["home"])  # the choice is kept from page to page
    assert chromium.evaluate("document.documentElement.classList.contains('large-text')")
    assert not overflow(chromium)
    chromium.evaluate("document.getElementById('large-text-toggle').click()")
    assert chromium.evaluate(size) == before

    chromium.navigate(server.url + pages["document"])
    chromium.send("Emulation.setEmulatedMedia", media="print")
    hidden = chromium.evaluate("['.site-header', '.site-footer', '.breadcrumb'].map(s => "
                               "getComputedStyle(document.querySelector(s)).display)")
    assert hidden == ["none", "none", "none"]
    assert chromium.evaluate("getComputedStyle(document.querySelector('h1')).display") != "none"
    chromium.send("Emulation.setEmulatedMedia", media="")

    chromium.navigate(server.url + pages["document"])
    for kind in ("keyDown", "keyUp"):
        chromium.send("Input.dispatchKeyEvent", type=kind, key="Tab", code="Tab", windowsVirtualKeyCode=9)
    assert chromium.evaluate("document.activeElement.className") == "skip-link"
    assert chromium.evaluate("getComputedStyle(document.activeElement).left") == "0px"  # visible when focused
    for kind in ("keyDown", "keyUp"):
        chromium.send("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13)
    chromium.wait("location.hash === '#main'")


def test_service_forms_look_like_the_site_and_headings_do_not_repeat(site):
    server, chromium, pages = site
    set_width(chromium, 390)
    services = [name for name in pages if name not in ("home", "latest", "catalogue", "site map", "search",
                                                       "department", "document", "404")]
    assert {"letters", "letters write", "ratings", "status"} <= set(services)
    for name in services:
        chromium.navigate(server.url + pages[name])
        headings = chromium.evaluate("[...document.querySelectorAll('main h1, main h2, main h3')]"
                                     ".map(h => h.textContent.trim())")
        assert len(headings) == len(set(headings)), (name, headings)
        styles = chromium.evaluate("""[...document.querySelectorAll('main button, main input[type=submit]')].map(b => {
            const s = getComputedStyle(b); return [s.backgroundColor, s.color, s.borderTopLeftRadius, s.paddingLeft]; })""")
        if name in ("letters write", "ratings", "status"):
            assert styles, name  # their forms are on the page
        for background, _color, _radius, padding in styles:
            assert background not in ("rgb(239, 239, 239)", "rgba(0, 0, 0, 0)"), (name, background)
            assert float(padding.removesuffix("px")) >= 8, (name, padding)


def test_favicon_loads(site):
    server, chromium, pages = site
    chromium.navigate(server.url + pages["home"])
    href = chromium.evaluate("document.querySelector('link[rel=icon]').href")
    status = chromium.evaluate(f"fetch({json.dumps(href)}).then(r => r.status)")
    assert status == 200

"""Every page a provider, a commissioner and an evaluator can reach in the demo world, on a phone.

Each person signs in and follows every link they can see (breadth first, same site, no
downloads), and every page is checked at 390 px wide: axe-core's WCAG 2.2 AA rules, ids used
once, and no sideways scrolling of the page (``document.scrollWidth <= window.innerWidth``;
wide tables scroll inside their own region). Screenshots of key pages at 1280 px and 390 px are
kept under ``var/browser-artefacts/`` (not committed) for people to look at.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from fullvalue.web.demo.services import demo_totp_code
from fullvalue.web.demo.world import DEMO_PASSWORD, build_demo_world
from tests.browser.conftest import AXE, WCAG_TAGS, duplicate_ids

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "browser-artefacts"
#: Paths not followed: downloads, the API, signing out, files, charts as images.
SKIP = re.compile(
    r"^/(api/|sign-out|static/|documents/|events/\d+/evidence)|\.(svg|png|pdf|csv|xlsx|toml)$"
)
#: At most this many pages of one shape (numbers and slugs alike) per person: 28 organisation
#: pages look the same, so two of them are checked.
PER_SHAPE = 2
#: Key pages kept as screenshots, per person.
KEY_PAGES = ("/dashboard/", "/tenders/", "/contracts/", "/programmes/", "/account/")


def _shape(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2:
        parts[1] = "*"  # the id or slug
    return "/".join(re.sub(r"\d+", "N", p) for p in parts)


def _sign_in(page, email: str) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if "/sign-in/verify/" in page.url:
        # Forget an earlier use of this 30-second window's code (replay protection).
        TOTPDevice.objects.filter(user__email=email).update(last_t=-1, throttling_failure_count=0)
        page.get_by_label("Enter your security code").fill(demo_totp_code(email).split()[0])
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
    assert "/sign-in/" not in page.url, f"{email} could not sign in: " + page.inner_text("main")


def _problems(page) -> list[str]:
    """Axe violations, duplicate ids and sideways overflow on the current page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    found = [
        f"axe {v['id']}: " + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in result["violations"]
    ]
    if duplicates := duplicate_ids(page):
        found.append(f"duplicate ids {duplicates}")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        wide = page.evaluate(
            """(limit) => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > limit + 1
                    && !e.closest('.app-table-scroll'))
                .slice(0, 3).map(e => e.tagName.toLowerCase()
                    + (e.className && typeof e.className === 'string'
                       ? '.' + e.className.split(' ')[0] : ''))""",
            width[1],
        )
        found.append(f"page is {width[0]} px wide at {width[1]} px: {wide}")
    return found


def _crawl(page, who: str, limit: int = 80) -> dict[str, list[str]]:
    """Visit every page reachable from the landing page; return problems per path."""
    origin = urlsplit(page.url)
    queue = deque([origin.path])
    seen = {origin.path}
    shapes: dict[str, int] = {}
    problems: dict[str, list[str]] = {}
    visited = 0
    while queue and visited < limit:
        path = queue.popleft()
        response = page.goto(path)
        if response is None or urlsplit(page.url).path != path:
            continue
        visited += 1
        if response.status >= 400:  # a link the person can see that leads nowhere
            problems[path] = [f"HTTP {response.status}: " + page.title()]
            continue
        if found := _problems(page):
            problems[path] = found
        if path in KEY_PAGES:
            ARTEFACTS.mkdir(parents=True, exist_ok=True)
            name = f"{who}-{path.strip('/').replace('/', '-') or 'home'}"
            page.screenshot(path=ARTEFACTS / f"{name}-390.png", full_page=True)
            page.set_viewport_size(DESKTOP)
            page.screenshot(path=ARTEFACTS / f"{name}-1280.png", full_page=True)
            page.set_viewport_size(PHONE)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(href)
            if parts.netloc != origin.netloc or parts.query or SKIP.search(parts.path):
                continue
            if parts.path in seen:
                continue
            shape = _shape(parts.path)
            if shapes.get(shape, 0) >= PER_SHAPE:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            seen.add(parts.path)
            queue.append(parts.path)
    assert visited >= 10, f"{who} reached only {visited} pages"
    return problems


@pytest.mark.parametrize(
    "who,email",
    [
        ("provider", "provider@demo.fullvalue.test"),
        ("commissioner", "commissioner@demo.fullvalue.test"),
        ("evaluator", "evaluator@demo.fullvalue.test"),
    ],
)
def test_every_page_fits_a_phone_and_passes_axe(browser, live_server, monkeypatch, who, email):
    monkeypatch.setenv("FULLVALUE_DEMO", "1")
    build_demo_world()
    context = browser.new_context(bypass_csp=True, base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        _sign_in(page, email)
        problems = _crawl(page, who)
    finally:
        context.close()
    assert not problems, "\n".join(f"{path}: {'; '.join(p)}" for path, p in problems.items())

"""Playwright driving Debian's Chromium against the live server, with axe-core on every page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError("Debian's chromium is missing: script/test installs it")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


class Axe:
    """Runs axe-core (WCAG 2.2 AA rules) and a duplicate-id check on each page visited."""

    def __init__(self, page):
        self.page = page
        self.checked: list[str] = []

    def check(self) -> None:
        """Inject axe-core and fail with every violation on the current page."""
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            WCAG_TAGS,
        )
        self.checked.append(self.page.url)
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in result["violations"]
        ]
        assert not violations, f"axe violations on {self.page.url}:\n" + "\n".join(violations)
        duplicates = duplicate_ids(self.page)
        assert not duplicates, f"ids used more than once on {self.page.url}: {duplicates}"


def duplicate_ids(page) -> list[str]:
    """The ids that more than one element of the current page carries (ids must be unique)."""
    return page.evaluate(
        """() => {
            const seen = new Set(), twice = new Set();
            for (const el of document.querySelectorAll("[id]")) {
                (seen.has(el.id) ? twice : seen).add(el.id);
            }
            return [...twice].sort();
        }"""
    )


@pytest.fixture(scope="session")
def warm_server(live_server):
    """Load one page before any browser does: the first response imports every view (the
    engine, the API), which takes over 20 s on a loaded machine and would time pages out."""
    import urllib.request

    urllib.request.urlopen(live_server.url + "/sign-in/", timeout=180).read()
    return live_server


@pytest.fixture
def page(browser, warm_server):
    live_server = warm_server
    # bypass_csp lets the test inject axe-core; the pages' own CSP is tested elsewhere.
    context = browser.new_context(bypass_csp=True, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(30_000)  # the machine may be busy
    yield page
    context.close()


@pytest.fixture
def axe(page):
    return Axe(page)


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Reload the reference data that migrations insert (areas, the outcome catalogue).

    Transactional tests empty every table afterwards; serialized rollback is meant to restore
    it, but once Playwright's event loop runs in the main thread Django can be handed a fresh
    connection wrapper without the serialized copy, so load it explicitly and idempotently.
    """
    import importlib

    from django.apps import apps

    for module, loader in (
        ("fullvalue.web.organisations.migrations.0002_areas", "load_areas"),
        ("fullvalue.web.programmes.migrations.0002_outcome_catalogue", "load"),
    ):
        getattr(importlib.import_module(module), loader)(apps, None)

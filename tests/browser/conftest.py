"""Browser tests: Playwright drives Debian's chromium (`executable_path`; nothing downloads a browser) against
the local stack with the built web app, as `make run` serves it.

One stack and one browser per run of this folder (the tests share one xdist group); a fresh browser context
(cookies, storage) per test. Each test leaves a screenshot of its last screen in artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from devstack.stack import LocalStack
from devstack.tokens import mint
from devstack.web import DIST

pytestmark = [pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Chromium as a closed network wants it: no background connections, no sandbox as root, a fresh profile.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every browser test in one xdist group: one stack and one browser for all of them.
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.xdist_group("browser"))


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).is_file():
        pytest.fail("Debian's chromium is not installed: `make test` installs it (apt-get install chromium)")
    return found


@pytest.fixture(scope="session")
def web_stack() -> Iterator[LocalStack]:
    if not (DIST / "index.html").is_file() or not AXE.is_file():
        pytest.fail("the web app is not built: `make web` (which `make test` runs) builds it")
    saved = os.environ.pop("AWS_ENDPOINT_URL", None)  # the stack starts an emulator of its own
    stack = LocalStack(port=0, processes=1).start()
    if saved:
        os.environ["AWS_ENDPOINT_URL"] = saved
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def site(web_stack: LocalStack) -> str:
    """The stack's origin: pages at /console/ and /c/, the API at /v1."""
    return web_stack.url.rsplit("/", 1)[0]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    (ARTIFACTS / "axe.jsonl").unlink(missing_ok=True)  # this run's checks only
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _open_context(browser: Any, site: str, viewport: dict[str, int], locale: str, token: str | None) -> Any:
    context = browser.new_context(base_url=site, viewport=viewport, locale=locale)
    context.set_default_timeout(15_000)
    if token:
        # Signed in as the app keeps it: the token in sessionStorage (never in a URL).
        context.add_init_script(f"sessionStorage.setItem('coupons.session', {token!r});")
    return context


@pytest.fixture
def open_page(browser: Any, site: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """`open_page(role="customer", user="u1", phone=True, locale="en")` gives a page in a fresh context; at
    the test's end the last page opened is saved as artifacts/browser/<test>.png."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def opener(
        role: str | None = None,
        user: str = "u1",
        *,
        merchant: str | None = None,
        store: str | None = None,
        name: str | None = None,
        phone: bool = False,
        locale: str = "en-US",
    ) -> Any:
        token = mint(role, user, merchant=merchant, store=store, name=name) if role else None
        context = _open_context(browser, site, PHONE if phone else DESKTOP, locale, token)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: failures.append(str(error)))
        pages.append(page)
        return page

    failures: list[str] = []
    yield opener
    if pages:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        try:
            pages[-1].screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception as error:  # a page the test closed: nothing to save
            print(f"no screenshot for {name}: {error}")
    for context in contexts:
        context.close()
    assert not failures, f"uncaught errors in the page: {failures}"


def axe_results(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.1 A and AA rules, and best practices)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the pages' policy refuses inline scripts, as it should.
        page.evaluate("(source) => { (0, eval)(source); }", AXE.read_text())
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result
    ]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical ones: what fails a test."""
    return [v for v in axe_results(page) if v["impact"] in ("serious", "critical")]


@pytest.fixture
def assert_accessible(request: pytest.FixtureRequest) -> Callable[[Any], None]:
    """axe-core on the page: no serious or critical violation. Every check is also recorded, with the
    lesser findings, in artifacts/browser/axe.jsonl (one line per screen checked)."""

    def check(page: Any) -> None:
        page.wait_for_load_state("networkidle")
        found = axe_results(page)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        record = {
            "test": request.node.name,
            "path": urlsplit(page.url).path,
            "viewport": page.viewport_size,
            "violations": [{"id": v["id"], "impact": v["impact"]} for v in found],
        }
        with (ARTIFACTS / "axe.jsonl").open("a") as log:
            log.write(json.dumps(record) + "\n")
        failing = [v for v in found if v["impact"] in ("serious", "critical")]
        assert not failing, f"axe-core on {page.url}: {failing}"

    return check


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than its viewport (0: no horizontal scrolling)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))

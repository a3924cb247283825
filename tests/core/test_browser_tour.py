"""In Debian's Chromium: README's tour and the first-day set-up pages, in Japanese and English,
at 1280 and 1920 px (issue 25, "Done when").

One demo (``mamori demo``, its own data directory and port) serves the whole module. Each
person of :data:`TOUR` signs in once, reads their pages in Japanese, switches to English and
reads them again; every page is read at both widths, photographed whole into
``$MAMORI_SCREENSHOTS`` (default ``.ci/artifacts/screenshots/``, kept by CI, not by git) and
checked as a person would see it:

- nothing is wider than the window (the element that sticks out is named);
- a Japanese page has no English sentence outside data (data is marked ``<code>``,
  ``data-raw`` or ``translate="no"``; the heuristic is :mod:`tests.core.test_languages`'s);
- no list shows more rows than a page, and a full page has a pager;
- no amount is a bare run of ten digits or more (base units belong in ``<code>``/raw cells).

Adding a page to the tour is one line in :data:`TOUR`.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pyotp
import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.core.test_languages import DATA, JAPANESE, _words
from tests.installs import Installs

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (1280, 1920)
LANGUAGES = (("ja", "日本語", "ダッシュボード"), ("en", "English", "Dashboard"))
PAGE_ROWS = 50  # mamori.core.tables.PAGE_SIZE, read where the page is not importable

#: Who reads which pages: README's tour in its order, then the first day's set-up pages.
TOUR: dict[str, list[str]] = {
    "takahashi": [  # 1. approvals; 2. compliance; 7. audit log and scheduled jobs
        "/",
        "/accounts/approvals/",
        "/accounts/approvals/1/",
        "/accounts/approvals/2/",
        "/accounts/roles/",
        "/accounts/people/",
        "/accounts/segregation/",
        "/accounts/access-reviews/",
        "/accounts/approvals/policies/",
        "/rulebook/",
        "/rulebook/node/urn:mamori:jvcea:ism:art27/",
        "/rulebook/node/urn:mamori:jvcea:ism:art27:p1/",
        "/rulebook/controls/",
        "/rulebook/controls/CUS-01/",
        "/rulebook/policies/",
        "/rulebook/versions/",
        "/public/policies/information-security/",
        "/audit/",
        "/scheduler/",
        "/notifications/",
        "/tasks/",  # 8. my tasks and the search
        "/search/?q=DOC",
        "/accounts/people/1/",  # every record's History
        "/keys/",  # 6. the key inventory
        "/keys/wallets/1/",
        "/keys/ceremony/",
        "/keys/presign/",  # 6. the pre-sign check: the Bybit-like refusal and the signature
        "/keys/presign/1/",
        "/keys/presign/3/",
        "/keys/leak/",  # leak response (ISM 30)
        "/keys/leak/drills/1/",
    ],
    "watanabe": [  # 3. custody monitoring; 4. reconciliation and its case
        "/",
        "/custody/",
        "/reconciliation/",
        "/reconciliation/runs/1/",
        "/reconciliation/runs/2/",
        "/reconciliation/cases/1/",
        "/custody/setup/",  # first day: assets and wallets
        "/custody/thresholds/",
        "/reconciliation/nodes/",
    ],
    "ito": [  # 5. risk register, heat maps, plans
        "/risk/",
        "/risk/scenarios/1/",
        "/risk/assets/",
        "/risk/assets/1/",
        "/risk/criteria/",
        "/risk/plans/",
    ],
    "yamamoto": ["/risk/signoff/", "/tasks/"],
    "admin": [  # first day: organisation, departments, people, roles, tokens
        "/accounts/organisation/",
        "/accounts/departments/",
        "/accounts/staff/",
        "/accounts/tokens/",
        "/accounts/security/",
    ],
}

#: What the page reports to the checks: overflowing elements, visible text outside data,
#: tables longer than a page or full without a pager.
PROBE = """() => {
  const width = window.innerWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const path = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement)
      parts.unshift(name(e));
    return parts.join(' > ');
  };
  // the edge an element must keep within: its scrolling container's, else the window's;
  // a container that hides what overflows cuts it off, which is no better
  const edge = (el) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const how = getComputedStyle(e).overflowX;
      if (how === 'auto' || how === 'scroll') return null;
      if (how !== 'visible') return e.getBoundingClientRect().right;
    }
    return width;
  };
  const overflow = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !el.checkVisibility()) continue;
    const limit = edge(el);
    const parent = el.parentElement.getBoundingClientRect();
    if (limit !== null && box.right > limit + 1 && parent.right <= limit + 1)
      overflow.push(path(el) + ' reaches ' + Math.round(box.right) + ' px of '
                    + Math.round(limit));
  }
  if (document.documentElement.scrollWidth > width && !overflow.length)
    overflow.push('the page is ' + document.documentElement.scrollWidth + ' px wide');
  const data = 'code, pre, script, style, textarea, select, option, svg, [data-raw], '
    + '[translate="no"], .secret';
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (!text || el.closest(data)) continue;
    const said = el.closest('[lang]');  // text marked as in another language is data
    if (said && said.lang.slice(0, 2) !== document.documentElement.lang.slice(0, 2)) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    texts.push(text);
  }
  const lists = [];
  for (const table of document.querySelectorAll('table')) {
    const rows = table.querySelectorAll(':scope > tbody > tr').length;
    let pager = null;
    for (let e = table; e && !pager && e !== document.body; e = e.parentElement)
      for (let s = e.nextElementSibling; s && !pager; s = s.nextElementSibling)
        if (s.matches('.pager, .pagination') || s.querySelector('.pager, .pagination')) pager = s;
    lists.push({table: path(table), rows: rows, pager: !!pager});
  }
  // a cell so narrow that its words break a letter or two to a line
  const squeezed = [];
  for (const cell of document.querySelectorAll('td, th')) {
    const text = cell.innerText.trim();
    const line = parseFloat(getComputedStyle(cell).lineHeight) || 20;
    if (text.length >= 4 && cell.clientWidth < 48 && cell.clientHeight > 3 * line)
      squeezed.push(path(cell) + ' «' + text.slice(0, 30) + '» is '
                    + cell.clientWidth + ' px wide');
  }
  return {overflow, texts, lists, squeezed};
}"""

#: A bare amount: ten digits or more without a separator.
BARE_DIGITS = re.compile(r"(?<![\w.])\d{10,}(?![\w.])")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, installs: Installs) -> Iterator[str]:
    """``mamori demo`` on a free port in a copy of the session's demo data directory (as a
    person starting it from a fresh one would have: ``tests/installs.py``); its URL."""
    if url := os.environ.get("MAMORI_TOUR_URL"):  # a demo already running (while editing)
        yield url.rstrip("/")
        return
    data_dir = tmp_path_factory.mktemp("tour-demo")
    installs.demo(data_dir / "data")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    log = (data_dir / "demo.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "mamori", "demo", "--data-dir", str(data_dir / "data"),
         "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urlopen(f"{url}/accounts/login/", timeout=5):
                    break
            except (URLError, OSError):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = (data_dir / "demo.log").read_text()[-3000:]
                    pytest.fail(f"the demo did not start:\n{tail}", pytrace=False)
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium's path (skipped, or failed where services are required, when missing)."""
    from mamori.testing.pytest_plugin import services_required

    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (Debian package chromium)"
        if services_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
def screenshots() -> Path:
    """Where the screenshots go: ``$MAMORI_SCREENSHOTS`` or ``.ci/artifacts/screenshots``."""
    folder = Path(os.environ.get("MAMORI_SCREENSHOTS") or ROOT / ".ci/artifacts/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in(page, url: str, username: str) -> None:
    from playwright.sync_api import expect

    from mamori.accounts.demo import DEMO_PASSWORD, demo_secret

    page.goto(f"{url}/accounts/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="次へ").click()
    page.get_by_label("コード").fill(pyotp.TOTP(demo_secret(username)).now())
    page.get_by_role("button", name="サインイン").click()
    expect(page.get_by_role("button", name="English")).to_be_visible()


def _slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "dashboard"


def _problems(path: str, language: str, width: int, seen: dict) -> list[str]:
    """What a person would notice on the page ``seen`` (the probe's answer)."""
    where = f"{language} {width}px {path}"
    found = [f"{where}: too wide: {element}" for element in seen["overflow"][:5]]
    found += [f"{where}: squeezed: {cell}" for cell in seen["squeezed"][:5]]
    for listed in seen["lists"]:
        if listed["rows"] > PAGE_ROWS:
            found.append(f"{where}: {listed['table']} shows {listed['rows']} rows on one page")
        elif listed["rows"] == PAGE_ROWS and not listed["pager"]:
            found.append(f"{where}: {listed['table']} shows a full page and no pager")
    if width != WIDTHS[0]:
        return found  # the text is the same at every width
    for text in seen["texts"]:
        if BARE_DIGITS.search(text):
            found.append(f"{where}: unformatted amount «{text[:100]}»")
        if language != "ja" or (JAPANESE.search(text) and " / " in text):
            continue
        if any(known in text for known in DATA):
            continue
        found += [f"{where}: English «{run}» in «{text[:100]}»" for run in _words(text)]
    return found


def test_the_tour_reads_well_in_both_languages_at_both_widths(
    demo: str, chromium: str, screenshots: Path
) -> None:
    workers = min(len(TOUR), max(2, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:  # each person in a browser
        walks = [pool.submit(_walk, demo, who, paths, screenshots) for who, paths in TOUR.items()]
        found = [problem for walk in walks for problem in walk.result()]
    assert found == [], "\n".join(found)


def _walk(url: str, username: str, paths: list[str], screenshots: Path) -> list[str]:
    """Sign ``username`` in; read ``paths`` in Japanese then English at every width; return
    the problems seen (in a Chromium of its own: Playwright's calls stay in one thread)."""
    from playwright.sync_api import expect, sync_playwright

    found: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="ja-JP", viewport={"width": WIDTHS[0], "height": 900})
        page.set_default_timeout(20_000)
        try:
            _sign_in(page, url, username)
            for language, switch, dashboard in LANGUAGES:
                page.goto(f"{url}/")
                page.get_by_role("button", name=switch).click()  # the person's choice is kept
                expect(page.get_by_role("heading", name=dashboard)).to_be_visible()
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 900})
                    for path in paths:
                        found += _read(page, url, path, language, width, screenshots, username)
        finally:
            browser.close()
    return found


def _read(page, url: str, path: str, language: str, width: int, folder: Path, who: str):
    """Open ``path``, photograph it, return what is wrong with it."""
    response = page.goto(f"{url}{path}")
    if response is None or response.status != 200:
        status = response.status if response else "nothing"
        return [f"{who} {language} {path}: answered {status}"]
    page.screenshot(path=str(folder / str(width) / language / f"{who}-{_slug(path)}.png"),
                    full_page=True)  # fmt: skip
    return [f"{who} {p}" for p in _problems(path, language, width, page.evaluate(PROBE))]

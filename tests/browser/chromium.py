"""A real headless Chromium driven by Selenium (Debian's chromium and chromium-driver,
installed by deploy/install-system-deps), and the axe-core engine pinned in
tests/browser/package.json (installed by `make setup` with npm ci)."""

import shutil
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

AXE = Path(__file__).parent / "node_modules/axe-core/axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
EXPERIMENTAL = ["td-has-header"]
"""WCAG 1.3.1 rules axe ships as experimental, so off unless named: that every data cell
of a large table has a header is what the page's tables must never lose."""


def chromium() -> webdriver.Chrome:
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if binary is None or driver is None:
        raise RuntimeError(
            "Chromium and its driver are missing: run deploy/install-system-deps "
            "(Debian packages chromium and chromium-driver)"
        )
    options = Options()
    options.binary_location = binary
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--hide-scrollbars"):  # fmt: skip
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=Service(driver))


def emulate(browser: webdriver.Chrome, width: int, height: int = 900) -> None:
    """The viewport as a device of ``width`` CSS pixels (a phone below 500)."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500},
    )


def run_axe(browser: webdriver.Chrome, tags: list[str] = WCAG_22_AA) -> dict:
    """axe-core's results for the loaded page, its rules limited to ``tags``."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run make setup (npm ci in tests/browser)")
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    browser.set_script_timeout(60)
    return browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const rules = Object.fromEntries(arguments[1].map((r) => [r, {enabled: true}]));"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, rules})"
        ".then(done, (error) => done({error: String(error)}));",
        tags,
        EXPERIMENTAL,
    )


def screenshot(browser: webdriver.Chrome, url: str, width: int, path: Path) -> None:
    """The whole page at ``width`` CSS pixels, as a PNG."""
    emulate(browser, width)
    browser.get(url)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    emulate(browser, width, height)
    path.write_bytes(browser.get_screenshot_as_png())

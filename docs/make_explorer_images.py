"""Take the pictures of docs/explorer.md in headless Chromium, and measure the page.

Runs ``examples/explorer.py`` (its default run: the yin-yang model, 100 steps,
101 states) into a temporary folder, opens the page it writes from disk in
Debian's headless Chromium (``apt-get install chromium chromium-driver``;
driven by selenium, which the dev extra installs) and saves into docs/images/:

    explorer.png           the whole page at step 20, the graph fitted (read per neuron)
    explorer_backward.png  the graph zoomed in on the ninth edge of backward, a node picked

It prints the page's size in bytes and how long it takes to load (from the
start of navigation to the page's "explorer-ready" mark, after its first
drawing; the median of seven loads, each from about:blank), and fails if the
page is 5 MB or more or its median load takes 2 s or more.

Run: python3 docs/make_explorer_images.py
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
LOADS = 7
MAX_BYTES = 5_000_000
MAX_MILLISECONDS = 2000.0


def write_page(folder: Path) -> Path:
    spec = importlib.util.spec_from_file_location("example", ROOT / "examples" / "explorer.py")
    if spec is None or spec.loader is None:
        raise SystemExit("examples/explorer.py is missing")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    if example.main(["--out", str(folder)]) != 0:
        raise SystemExit("examples/explorer.py failed")
    return folder / "explorer.html"


def browser(profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--window-size=1500,1000", "--hide-scrollbars", f"--user-data-dir={profile}",
    ):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def load(driver: Any, url: str) -> float:
    """Open the page and wait for its first drawing; milliseconds from navigation start."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")
    driver.get(url)
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.body.dataset.ready") == "true"
    )
    ready: float = driver.execute_script(
        "return performance.getEntriesByName('explorer-ready')[0].startTime"
    )
    return ready


def run_js(driver: Any, script: str) -> None:
    driver.execute_script(script)
    time.sleep(0.3)


def main() -> int:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        page = write_page(folder / "out")
        size = page.stat().st_size
        driver = browser(folder / "profile")
        try:
            times = [load(driver, page.as_uri()) for _ in range(LOADS)]
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            if errors:
                print("console errors:", errors, file=sys.stderr)
                return 1
            slider = "document.getElementById('slider')"
            run_js(driver, f"{slider}.value = 20; {slider}.dispatchEvent(new Event('input'))")
            for _ in range(3):  # the whole page, legend included: grow the window to fit it
                short = driver.execute_script(
                    "return document.documentElement.scrollHeight - window.innerHeight"
                )
                if short <= 0:
                    break
                driver.set_window_size(1500, driver.get_window_size()["height"] + short)
            run_js(driver, "document.getElementById('zoom-fit').click()")
            driver.save_screenshot(str(IMAGES / "explorer.png"))
            run_js(driver, "document.getElementById('bw-start').click()")
            for _ in range(9):  # the view follows the edge, zoomed in to read the boxes
                run_js(driver, "document.getElementById('bw-next').click()")
            picked = "[...document.querySelectorAll('#graph .node.parent')][0]"
            run_js(driver, f"{picked}.dispatchEvent(new MouseEvent('click', {{bubbles: true}}))")
            driver.find_element("id", "right").screenshot(str(IMAGES / "explorer_backward.png"))
        finally:
            driver.quit()
    median = statistics.median(times)
    print(f"page: {size} bytes ({size / 1e6:.2f} MB, limit {MAX_BYTES / 1e6:.0f} MB)")
    each = ", ".join(f"{t:.0f}" for t in times)
    print(f"load to first drawing: median {median:.0f} ms of {LOADS} loads ({each} ms; "
          f"limit {MAX_MILLISECONDS:.0f} ms)")  # fmt: skip
    print(f"wrote {IMAGES / 'explorer.png'} and {IMAGES / 'explorer_backward.png'}")
    if size >= MAX_BYTES or median >= MAX_MILLISECONDS:
        print("the page is over its size or load-time limit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

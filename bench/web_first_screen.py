"""First-screen time of the web pages on localhost, in the system Chromium (target: kiosk under 1
s).

For each page: a fresh browser context (empty cache, like a kiosk after a restart) loads the page
N times; prints the median and worst time to first contentful paint and to the load event, and
the bytes fetched."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.web.harness import launch, web_server  # noqa: E402

PAGES = [
    "/kiosk",
    "/kiosk?lang=ar",
    "/kiosk?lang=ti",
    "/display",
    "/desk",
    "/chat?lang=fa",
    "/volunteer",
]
RUNS = 7
TIMING = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const bytes = performance.getEntriesByType('resource')\
.reduce((sum, r) => sum + (r.transferSize || 0), nav.transferSize || 0);
  return {fcp: paint ? paint.startTime : null, load: nav.loadEventEnd, bytes};
}"""


def main() -> None:
    with web_server() as base, sync_playwright() as playwright:
        browser = launch(playwright)
        print(
            f"{'page':<18} {'FCP median':>11} {'FCP max':>8} {'load median':>12} {'load max':>9} "
            f"{'KiB':>6}"
        )
        for path in PAGES:
            samples = []
            for _ in range(RUNS):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.goto(base + path, wait_until="load")
                page.wait_for_function(
                    "() => performance.getEntriesByName('first-contentful-paint').length > 0"
                )
                samples.append(page.evaluate(TIMING))
                context.close()
            fcp = [
                s["fcp"] for s in samples[1:]
            ]  # the first run also warms the server's catalog caches
            load = [s["load"] for s in samples[1:]]
            print(
                f"{path:<18} {statistics.median(fcp):>9.0f}ms {max(fcp):>6.0f}ms "
                f"{statistics.median(load):>10.0f}ms {max(load):>7.0f}ms "
                f"{samples[-1]['bytes'] / 1024:>6.0f}"
            )
        browser.close()


if __name__ == "__main__":
    main()

"""The page at scale in headless Chromium: for an 8-unit LSTM with 4 inputs at T = 5,
1,000 and 10,000 steps (bench/run.py's page cases), the page's bytes per step, the time
to open it (until it is drawn), to recompute after a weight edit, and to show the next
step. Targets (docs/page.md): ≤ 1 KB per step, open ≤ 1.5 s at 1,000 and ≤ 4 s at
10,000, an edit ≤ 150 ms at 1,000, a step ≤ 30 ms.

    python bench/page_browser.py [--runs 3] [STEPS ...]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import PAGE_STEPS, generate_page_specs  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu"]


def measure(browser, path: Path) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=120_000)
    opened = time.perf_counter() - start
    # a step: from a key press until the step's view is drawn
    step = page.evaluate("""() => { const t0 = performance.now(); window.rnntrace.go(2);
                                    return performance.now() - t0; }""") / 1000
    # an edit: a weight changed, the network recomputed and the page redrawn
    page.locator("details.weights summary").first.click()
    box = page.locator("input.param[data-param]:not([data-path])").first
    edit = page.evaluate("""(el) => { const t0 = performance.now(); el.value = "0.25";
                                     el.dispatchEvent(new Event("change")); return performance.now() - t0; }""",
                         box.element_handle()) / 1000
    context.close()
    return {"open": opened, "step": step, "edit": edit}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("steps", nargs="*", type=int, default=list(PAGE_STEPS))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright
    tmp = Path(tempfile.mkdtemp(prefix="rnntrace-page-"))
    generate_page_specs(tmp)
    print(f"{'steps':>7} {'bytes/step':>11} {'open s':>8} {'edit ms':>8} {'step ms':>8}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for steps in args.steps:
            html = tmp / f"page{steps}.html"
            subprocess.run([sys.executable, "-m", "rnntrace", "page", str(tmp / f"page{steps}.yaml"), "-o", str(html)],
                           check=True)
            runs = [measure(browser, html) for _ in range(args.runs)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(f"{steps:>7} {html.stat().st_size / steps:>11.0f} {med['open']:>8.2f} "
                  f"{med['edit'] * 1000:>8.0f} {med['step'] * 1000:>8.1f}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The page at scale in headless Chromium: for an 8-unit LSTM with 4 inputs at T = 5,
1,000 and 10,000 steps (bench/run.py's page cases), the page's bytes per step, the time
to open it (until it is drawn), to recompute after a weight edit, and to show the next
step. Targets (docs/page.md): ≤ 1 KB per step, open ≤ 1.5 s at 1,000 and ≤ 4 s at
10,000, an edit ≤ 150 ms at 1,000, a step ≤ 30 ms.

    python bench/page_browser.py [--runs 3] [--times 7] [STEPS ...]    (default 1000 10000)

Opening is the wall time from navigation until the page says it is drawn; an edit and a
step are timed inside the page (performance.now()), the script's own time and the same
with style and layout forced; each the median of --times actions in each of --runs pages,
the median over the pages.
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


# Inside the page, with performance.now(): each action `times` times, a pause before each
# (as between a user's clicks, so that one action's garbage and drawing do not land in
# the next one's time), the median; "JS" is the script's own time, "+layout" the same
# with the browser's style and layout forced at its end (document.body.offsetHeight).
TIMED = """async ([box, times]) => {
  const pause = () => new Promise((r) => setTimeout(r, 60));
  const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
  const run = async (act, layout) => {
    const out = [];
    for (let k = 0; k < times; k++) {
      await pause();
      const t0 = performance.now();
      act(k);
      if (layout) document.body.offsetHeight;
      out.push(performance.now() - t0);
    }
    return median(out);
  };
  // a step: the next step's view drawn (the figure, the table, the charts' marker)
  const step = (k) => window.rnntrace.go(2 + (k % 2));
  // an edit: a weight changed, every step recomputed, the step and the charts redrawn
  const edit = (k) => { box.value = String(0.25 + 0.01 * k); box.dispatchEvent(new Event("change")); };
  return { step: await run(step, false), stepLayout: await run(step, true),
           edit: await run(edit, false), editLayout: await run(edit, true) };
}"""


def measure(browser, path: Path, times: int) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=120_000)
    opened = time.perf_counter() - start
    page.locator("details.weights summary").first.click()
    box = page.locator("input.param[data-param]:not([data-path])").first
    inside = page.evaluate(TIMED, [box.element_handle(), times])
    context.close()
    return {"open": opened, **{k: v / 1000 for k, v in inside.items()}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("steps", nargs="*", type=int, default=[t for t in PAGE_STEPS if t >= 1000])
    parser.add_argument("--runs", type=int, default=3, help="pages opened per case (the median is shown)")
    parser.add_argument("--times", type=int, default=7, help="edits and steps timed in each page")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright
    tmp = Path(tempfile.mkdtemp(prefix="rnntrace-page-"))
    generate_page_specs(tmp)
    print(f"{'steps':>7} {'bytes/step':>11} {'open s':>7} {'edit ms':>8} {'+layout':>8} {'step ms':>8} {'+layout':>8}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for steps in args.steps:
            html = tmp / f"page{steps}.html"
            subprocess.run([sys.executable, "-m", "rnntrace", "page", str(tmp / f"page{steps}.yaml"), "-o", str(html)],
                           check=True)
            runs = [measure(browser, html, args.times) for _ in range(args.runs)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(f"{steps:>7} {html.stat().st_size / steps:>11.0f} {med['open']:>7.2f} "
                  f"{med['edit'] * 1000:>8.0f} {med['editLayout'] * 1000:>8.0f} "
                  f"{med['step'] * 1000:>8.1f} {med['stepLayout'] * 1000:>8.1f}", flush=True)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

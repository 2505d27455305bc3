"""The README's table reference, generated from the views themselves and schemas.docs."""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from schemas.docs import describe
from schemas.views import VIEWS
from tasks.catalog import open_catalog, refresh_catalog
from tasks.storage import Lake

START, END = "<!-- tables:start -->", "<!-- tables:end -->"


def view_columns() -> dict[str, list[tuple[str, str]]]:
    """(column, DuckDB type) of every view, read from a catalog over an empty lake."""
    with tempfile.TemporaryDirectory() as tmp:
        refresh_catalog(Lake(f"{tmp}/lake"), f"{tmp}/news.duckdb")
        con = open_catalog(f"{tmp}/news.duckdb")
        try:
            return {v: [(r[0], r[1]) for r in con.execute(f"DESCRIBE {v}").fetchall()] for v in VIEWS}
        finally:
            con.close()


def tables_markdown() -> str:
    out = []
    for view, cols in view_columns().items():
        out.append(f"#### `{view}`\n\n| column | type | meaning |\n|---|---|---|")
        for name, typ in cols:
            typ = re.sub(r"STRUCT\(.*\)", "STRUCT", typ)
            out.append(f"| `{name}` | {typ} | {describe(view, name) or ''} |")
        out.append("")
    return "\n".join(out)


def update_readme(path: Path) -> bool:
    """Rewrite the table reference between the markers; True when the file changed."""
    text = path.read_text(encoding="utf-8")
    new = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: f"{START}\n{tables_markdown()}{END}", text,
                 flags=re.S)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    changed = update_readme(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
    print("README table reference", "updated" if changed else "already current")

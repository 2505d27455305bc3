"""WARC imports: each page's site is its own URL's registrable domain (tasks.pipeline.import_warc)."""
from __future__ import annotations

import io
from datetime import datetime, timezone

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tasks.pipeline import ArticleFailure, import_warc
from tasks.storage import Lake
from tests.conftest import FIXTURE_SITES

PAGES = FIXTURE_SITES / "riverside-courier" / "2026" / "11"


def test_warc_pages_get_the_site_of_their_own_url(tmp_path):
    records = [   # (page URL, fixture page): real-shaped URLs, date or section first in the path
        ("https://www.example-news.com/2026/11/23/library-reopens.html", "library-reopens.html"),
        ("https://example-news.com/world/2026/11/23/ferry-timetable.html", "ferry-timetable.html"),
        ("https://a.substack.com/p/library-reopens", "library-reopens.html"),
        ("https://b.substack.com/p/ferry-timetable", "ferry-timetable.html"),
        ("http://127.0.0.1:8080/2026/11/library-reopens.html", "library-reopens.html"),
    ]
    warc = tmp_path / "pages.warc.gz"
    with open(warc, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, name in records:
            # each copy's rel=canonical points at itself, as a real page's would
            html = (PAGES / name).read_text().replace(
                f"{{{{BASE_URL}}}}/riverside-courier/2026/11/{name}", url)
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(html.encode()),
                                                          http_headers=headers))
    work = import_warc(Lake(str(tmp_path / "lake")), str(warc), lambda: datetime.now(timezone.utc))
    raws, captures = work.results, work.captures
    assert not [r for r in raws if isinstance(r, ArticleFailure)] and len(captures) == len(records)
    assert {r.url: r.candidate.site for r in raws} == {
        "https://www.example-news.com/2026/11/23/library-reopens.html": "example-news.com",
        "https://example-news.com/world/2026/11/23/ferry-timetable.html": "example-news.com",
        "https://a.substack.com/p/library-reopens": "a.substack.com",
        "https://b.substack.com/p/ferry-timetable": "b.substack.com",
        "http://127.0.0.1:8080/2026/11/library-reopens.html": "127.0.0.1:8080",
    }

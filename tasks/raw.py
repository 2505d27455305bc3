"""Raw captures: feed documents and article HTML, compressed and content-addressed, for backfills."""
from __future__ import annotations

import gzip
import hashlib

import functools
from collections.abc import Callable, Iterator
from typing import BinaryIO
from datetime import datetime, timezone

from tasks.fetch import FetchResult
from tasks.storage import Lake


def raw_key(sha256: str) -> str:
    return f"raw/{sha256[:2]}/{sha256[2:4]}/{sha256}.gz"


def put_raw(lake: Lake, body: bytes) -> str:
    """Store `body` once under its SHA-256 and return the hash (idempotent)."""
    sha = hashlib.sha256(body).hexdigest()
    key = raw_key(sha)
    # In an object store, an existence check (a HEAD, and a LIST when absent) costs more requests
    # than the PUT it might save: nearly every capture is new (unchanged feeds are never stored).
    if lake.is_object_store or not lake.exists(key):
        lake.put_bytes(key, gzip.compress(body, compresslevel=6))
    return sha


def get_raw(lake: Lake, sha256: str) -> bytes:
    """The bytes stored under `sha256`; raises FileNotFoundError if absent, ValueError if corrupt."""
    body = gzip.decompress(lake.get_bytes(raw_key(sha256)))
    if hashlib.sha256(body).hexdigest() != sha256:
        raise ValueError(f"raw capture {sha256} is corrupt")
    return body


class ReplayFetcher:
    """Answers fetch() from raw captures instead of the network, for backfills.

    `captures` maps a URL to the capture to serve (sha256, content_type); a URL with no
    capture gets the error class "not_captured". Never opens a connection.
    """

    def __init__(self, lake: Lake, captures: dict[str, dict]):
        self.lake = lake
        self.captures = captures

    def fetch(self, url: str, *, kind: str = "page", etag: str | None = None, last_modified: str | None = None,
              previous_sha256: str | None = None) -> FetchResult:
        cap = self.captures.get(url)
        if cap is None:
            return FetchResult(url, url, None, {}, None, 0, "not_captured", f"no raw capture of {url} in the window",
                               False, None, None, None)
        body = get_raw(self.lake, cap["sha256"])
        headers = {"content-type": cap["content_type"]} if cap.get("content_type") else {}
        return FetchResult(url, url, 200, headers, body, 0, None, None, False, None, None, cap["sha256"])

    def fetch_log(self) -> list[dict]:
        return []

    def close(self) -> None:
        pass

    def __enter__(self) -> "ReplayFetcher":
        return self

    def __exit__(self, *exc) -> None:
        pass


def iter_warc_pages(path: str, opener: Callable[[str], BinaryIO] | None = None
                    ) -> Iterator[tuple[str, datetime, str | None, bytes]]:
    """(url, capture time UTC, content type, body) of every HTML response record in a WARC file.

    `opener(path)` opens the file for binary reading (default: the local `open`; a filesystem's
    `open` for object stores). Raises ValueError naming the file when it is not a readable WARC.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    with (opener or functools.partial(open, mode="rb"))(path) as fh:
        try:
            for rec in ArchiveIterator(fh):
                if rec.rec_type != "response" or not rec.http_headers:
                    continue
                if rec.http_headers.get_statuscode() != "200":
                    continue
                ctype = rec.http_headers.get_header("Content-Type") or ""
                if "html" not in ctype.lower():
                    continue
                url = rec.rec_headers.get_header("WARC-Target-URI")
                when = rec.rec_headers.get_header("WARC-Date")
                try:
                    ts = datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone(timezone.utc)
                except (AttributeError, ValueError):
                    ts = None
                yield url, ts, ctype, rec.content_stream().read()
        except ArchiveLoadFailed as e:
            raise ValueError(f"{path} is not a readable WARC file: {e}") from None

"""Raw captures: feed documents and article HTML, compressed and content-addressed, for backfills."""
from __future__ import annotations

import gzip
import hashlib

from tasks.storage import Lake


def raw_key(sha256: str) -> str:
    return f"raw/{sha256[:2]}/{sha256[2:4]}/{sha256}.gz"


def put_raw(lake: Lake, body: bytes) -> str:
    """Store `body` once under its SHA-256 and return the hash (idempotent)."""
    sha = hashlib.sha256(body).hexdigest()
    key = raw_key(sha)
    if not lake.exists(key):
        lake.put_bytes(key, gzip.compress(body, compresslevel=6))
    return sha


def get_raw(lake: Lake, sha256: str) -> bytes:
    """The bytes stored under `sha256`; raises FileNotFoundError if absent, ValueError if corrupt."""
    body = gzip.decompress(lake.get_bytes(raw_key(sha256)))
    if hashlib.sha256(body).hexdigest() != sha256:
        raise ValueError(f"raw capture {sha256} is corrupt")
    return body

"""Object storage for the lake: the S3 filesystem from the standard AWS environment, for pyarrow and DuckDB."""
from __future__ import annotations

import os

OBJECT_STORE_SCHEMES = ("s3://", "s3a://")


def is_object_store(uri: str) -> bool:
    return uri.startswith(OBJECT_STORE_SCHEMES)


def s3_filesystem():
    """An s3fs filesystem configured as every S3 tool is: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL,
    AWS_REGION / AWS_DEFAULT_REGION, credentials from botocore's chain (AWS_ACCESS_KEY_ID, ...).

    Listings are never cached: other machines write to the same lake during a run. Short
    connect timeouts and few retries, so that an unreachable endpoint is an error in seconds.
    """
    import s3fs

    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
    return s3fs.S3FileSystem(
        endpoint_url=endpoint, client_kwargs={"region_name": region} if region else {},
        use_listings_cache=False, skip_instance_cache=True,
        config_kwargs={"connect_timeout": 5, "read_timeout": 60, "retries": {"max_attempts": 4, "mode": "standard"}})


def lake_filesystem(uri: str):
    """The pyarrow filesystem for a lake root: s3fs behind pyarrow for s3:// URIs, else None (pyarrow's own).

    s3fs rather than pyarrow's native S3 client: it writes a small file in one PUT (pyarrow's
    starts a multipart upload: three requests), and DuckDB can be handed the same filesystem.
    """
    if not is_object_store(uri):
        return None
    import pyarrow.fs as pafs

    return pafs.PyFileSystem(pafs.FSSpecHandler(s3_filesystem()))


def open_lake(uri: str):
    """A tasks.storage.Lake for `uri` (a path or an s3:// URI)."""
    from tasks.storage import Lake

    return Lake(uri, lake_filesystem(uri))


def register_lake_filesystem(con, lake_uri: str | None) -> None:
    """Let DuckDB connection `con` read an object-store lake through s3fs (httpfs cannot be installed offline)."""
    if lake_uri and is_object_store(lake_uri):
        con.register_filesystem(s3_filesystem())

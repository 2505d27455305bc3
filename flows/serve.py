"""Scheduled ingestion: serve the ingest flow as a Prefect deployment, with a local server when none is set."""
from __future__ import annotations

from pathlib import Path

from flows.prefect_api import prefect_api


def serve(feeds_file: str, data_dir: str, *, cron: str | None = None, interval: float | None = None,
          overrides: dict | None = None, name: str = "scheduled") -> None:
    """Register the ingest flow as deployment `newsflow-ingest/<name>` on a schedule and run it until stopped."""
    data = Path(data_dir).resolve()
    with prefect_api(data, services=True) as ready:
        # Prefect reads its settings when first imported: only now does PREFECT_API_URL hold the server.
        from flows.ingest import ingest_flow

        api = ready()
        print(f"prefect API at {api}; serving newsflow-ingest/{name} "
              f"({'cron ' + cron if cron else f'every {interval:g} s'}); Ctrl-C stops", flush=True)
        ingest_flow.serve(name=name, cron=cron, interval=interval,
                          parameters={"feeds_file": str(Path(feeds_file).resolve()), "data_dir": str(data),
                                      "overrides": overrides or {}},
                          print_starting_message=False)

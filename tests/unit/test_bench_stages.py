"""The performance bench reports, per progress stage, the cores busy and the memory peak (bench.perf)."""
from __future__ import annotations

from bench import perf


def run(**kw):
    # stderr progress lines at seconds 1-3 (polls) and 4-8 (nlp), as the CLI prints them
    stderr = [(1.0, "  feeds polled: 1/50"), (3.0, "  feeds polled: 50/50"),
              (4.0, "  nlp stage: 0/1"), (8.0, "  nlp stage: 1/1")]
    return {"stderr": stderr, "wall_s": 9.0, **kw}


def test_memory_peak_of_the_cli_and_of_the_tree_per_stage():
    mb = 1024
    timeline = [(0.5, 100 * mb, 100 * mb), (2.0, 300 * mb, 900 * mb), (5.0, 700 * mb, 1500 * mb),
                (7.0, 800 * mb, 1200 * mb), (8.5, 900 * mb, 950 * mb)]
    memory = perf.stage_memory(run(rss_timeline=timeline))
    assert memory["feeds polled"] == (300, 900)
    assert memory["nlp stage"] == (800, 1500)          # the CLI and the tree peak at different times
    assert memory["(whole run)"] == (900, 1500)        # the write after the last progress line counts


def test_cores_busy_per_stage_and_before_the_nlp_stage():
    timeline = [(0.0, 0.0), (4.0, 4.0), (8.0, 12.0), (9.0, 12.5)]   # 1 core busy, then 2
    cores = perf.stage_cores(run(cpu_timeline=timeline))
    assert cores["(before the NLP stage)"] == 1.0
    assert cores["nlp stage"] == 2.0

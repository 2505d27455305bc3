"""The real-page extraction bench scores with the Scrapinghub benchmark's own metric (bench.extraction)."""
from __future__ import annotations

import pytest

from bench import extraction


def test_page_counts_are_shares_of_shingles():
    truth = "one two three four five six"          # 3 shingles
    pred = "one two three four five six seven"     # the 3, plus 1 extra
    tp, fp, fn = extraction.page_counts(truth, pred)
    assert (tp, fp, fn) == pytest.approx((3 / 4, 1 / 4, 0.0))


def test_repeated_shingles_count_as_a_multiset():
    # A paragraph extracted twice is a false positive the second time.
    truth = "a b c d"
    tp, fp, fn = extraction.page_counts(truth, "a b c d. a b c d")
    assert tp > 0 and fp > 0 and fn == 0


def test_score_averages_pages_and_skips_empty_predictions_for_precision():
    counts = [extraction.page_counts("a b c d e", "a b c d e"), extraction.page_counts("a b c d e", "")]
    s = extraction.score(counts)
    assert s["precision"] == 1.0          # the empty prediction has no precision
    assert s["recall"] == 0.5             # ... but it misses its page entirely
    assert s["f1"] == pytest.approx(2 * 0.5 / 1.5)


def test_split_halves_are_disjoint_and_fixed():
    ids = [f"{n:03d}" for n in range(181)]
    split = extraction.make_split(ids)
    assert len(split["heldout"]) == 90 and len(split["tune"]) == 91
    assert not set(split["heldout"]) & set(split["tune"])
    assert split == extraction.make_split(reversed(ids))


@pytest.mark.skipif(not (extraction.CORPUS / "output" / "trafilatura.json").exists(), reason="no ../shared corpus")
def test_metric_reproduces_the_published_table():
    # Upstream README: trafilatura 2.0.0 P .938 R .978 F1 .958; rs_trafilatura F1 .970.
    truth = extraction.load_truth()
    for name, f1 in (("trafilatura", 0.958), ("rs_trafilatura", 0.970)):
        got = extraction.published_texts(name)
        s = extraction.score(extraction.page_counts(truth[i]["articleBody"], got.get(i, "")) for i in truth)
        assert round(s["f1"], 3) == f1

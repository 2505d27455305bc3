"""Italian: the words of wrapper lines (no model yet: Italian texts get no NLP rows)."""
from tasks.lang import Wording

WORDING = Wording(
    code="it",
    read_also=r"leggi anche|vedi anche|potrebbe interessarti",
    paywall=r"\b(?:riservato agli|esclusivo per gli) abbonati\b",
    ad_words=frozenset({"pubblicità"}),
    credit_openers=frozenset({"da"}),
    credit_sources=frozenset({"agenzie"}),
    credit_filler=frozenset({"e"}),
)

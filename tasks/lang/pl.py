"""Polish: the words of wrapper lines (no model yet: Polish texts get no NLP rows)."""
from tasks.lang import Wording

WORDING = Wording(
    code="pl",
    read_also=(r"czytaj (?:też|także|również|więcej|dalej)|przeczytaj (?:też|także|również)|"
               r"zobacz (?:też|także|również|więcej)|polecamy|warto przeczytać|najczęściej czytane"),
    paywall=(r"\bdostępn[ya] (?:tylko |wyłącznie )?dla (?:subskrybentów|prenumeratorów|abonentów)\b|"
             r"\bwykup (?:subskrypcję|dostęp|prenumeratę)\b|\bmasz już (?:konto|subskrypcję|prenumeratę)\b"),
    # "Dalsza część artykułu pod reklamą"
    ad_words=frozenset("reklama reklamą".split()),
    ad_filler=frozenset("dalsza część ciąg dalszy artykułu tekstu pod poniżej czytaj dalej".split()),
    # "Z agencji"
    credit_openers=frozenset("z ze".split()),
    credit_sources=frozenset({"agencji"}),
    credit_filler=frozenset("i materiałów".split()),
)

"""Portuguese: the words of wrapper lines (no model yet: Portuguese texts get no NLP rows)."""
from tasks.lang import Wording

WORDING = Wording(
    code="pt",
    read_also=r"leia (?:também|mais)|veja (?:também|mais)|saiba mais",
    paywall=r"\bexclusivo para assinantes\b",
    # A comment policy: "Comentários ofensivos não serão aprovados pelo moderador."
    comment_prompt=(r"\bcomentários\b.{0,120}?\b(?:não (?:serão|são|será) (?:aprovados|publicados)|"
                    r"(?:serão|são) moderados)\b"),
    date_joiner=r"de",
    ad_words=frozenset({"publicidade"}),
    credit_openers=frozenset({"com"}),
    credit_sources=frozenset({"agências"}),
    credit_filler=frozenset({"e"}),
)

"""German: the words of wrapper lines (no model yet: German texts get no NLP rows)."""
from tasks.lang import Wording

WORDING = Wording(
    code="de",
    read_also=(r"lesen sie (?:auch|mehr|weiter|hier)|auch interessant|ebenfalls interessant|(?:das )?könnte sie (?:auch )?"
               r"interessieren|(?:mehr|passend) zum thema|siehe auch|weiterlesen|weitere (?:artikel|meldungen|"
               r"nachrichten)|meistgelesen|lesetipps?|empfehlungen der redaktion"),
    paywall=(r"\bnur für (?:abonnent\w*|abo-?kunden|plus-?\w*|mitglieder)|\b(?:jetzt|hier) (?:abonnieren|freischalten)\b|"
             r"\bmit (?:einem |dem )?(?:abo|abonnement|\w+plus) weiterlesen\b|\bbereits abonnent\w*|"
             r"\b(?:um|zum) (?:den|diesen) (?:ganzen |vollständigen |kompletten )?(?:artikel|beitrag|text) (?:zu )?lesen\b"),
    ad_words=frozenset("anzeige werbung".split()),
    ad_filler=frozenset("artikel geht weiter unter der dem nach lesen sie wird fortgesetzt".split()),
    # "(mit Material von dpa)"
    credit_openers=frozenset({"mit"}),
    credit_sources=frozenset("agenturen agenturmaterial dpa".split()),
    credit_filler=frozenset("und von material agenturmeldungen".split()),
)

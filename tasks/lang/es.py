"""Spanish: the words of wrapper lines (no model yet: Spanish texts get no NLP rows)."""
from tasks.lang import Wording

WORDING = Wording(
    code="es",
    read_also=(r"le[ae] (?:también|además)|leer más|(?:también )?(?:te|le) puede interesar|puede interesarte|"
               r"ver también|vea también|mira también|noticias relacionadas|lo más leído"),
    paywall=(r"\bsuscr[ií]b[ea]\w* para (?:seguir|continuar) leyendo\b|\b(?:exclusivo|solo|sólo) para (?:suscriptores|"
             r"socios|abonados)\b|\bya (?:eres|es) (?:suscriptor|socio|abonado)\b"),
    date_joiner=r"de",
    ad_words=frozenset("publicidad anuncio".split()),
    ad_filler=frozenset("sigue continúa continua leyendo la el noticia artículo debajo después de del tras".split()),
    # "Con información de agencias"
    credit_openers=frozenset({"con"}),
    credit_sources=frozenset({"agencias"}),
    credit_filler=frozenset("y de información agencia".split()),
)

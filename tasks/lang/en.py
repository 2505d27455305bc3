"""English: en_core_web_sm (OntoNotes labels), cue verbs and the words of quote attribution."""
from __future__ import annotations

from tasks.lang import Profile

# The model runs without its lemmatizer (1.8x faster), so cue lemmas come from this list, whose
# regular forms are generated (_inflect) and irregular ones listed.
CUE_VERBS = frozenset(
    """
    say tell add state declare explain note insist warn claim argue write ask reply respond recall
    acknowledge admit announce tweet post continue concede stress emphasize emphasise predict vow
    complain suggest confirm deny maintain quip joke shout conclude observe remark comment assert
    promise pledge report describe call urge agree cry plead boast caution charge counter demand
    murmur whisper scream yell sigh laugh accuse praise dismiss criticize criticise condemn hail
    denounce brand term message advise exclaim lament scold text wonder assure reiterate scribble
    allege testify hint chant beg mutter recount retort snap muse concur email reveal repeat
    caution contend chide fume gush rave recollect specify clarify elaborate propose recommend
    mention answer inform signal indicate instruct order blast slam cheer mouth relate depict
    """.split()
)
_IRREGULAR = {
    "say": ("said",), "tell": ("told",), "write": ("wrote", "written"), "plead": ("pled",),
    "cry": ("cried", "cries"), "reply": ("replied", "replies"), "deny": ("denied", "denies"),
    "text": ("texted", "texts", "texting"), "email": ("emailed", "emails", "emailing"),
    "quip": ("quipped", "quipping"), "admit": ("admitted", "admitting"),
}
# Verbs of judging and naming take a quoted complement ("called it 'a farce'", "accused them of
# 'lying'") but do not introduce a quote standing on its own, so they count only inside a sentence.
_EMBED_ONLY_CUES = frozenset(
    {"describe", "call", "urge", "agree", "demand", "accuse", "praise", "dismiss", "criticize",
     "criticise", "condemn", "hail", "denounce", "brand", "term", "depict", "blast", "slam", "cheer",
     "mouth", "order", "instruct", "signal", "indicate", "beg", "mention", "propose", "recommend"}
)


def _inflect(lemma: str) -> tuple[str, ...]:
    """Regular English forms of a verb: lemma, -s, -ed, -ing (spelling rules of the common cases)."""
    if lemma in _IRREGULAR:
        extra = _IRREGULAR[lemma]
    else:
        extra = ()
    if lemma.endswith("e"):
        past, ing = lemma + "d", lemma[:-1] + "ing"
    elif lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        past, ing = lemma[:-1] + "ied", lemma + "ing"
    elif (len(lemma) <= 4 and lemma[-1] not in "aeiouwxy" and lemma[-2:-1] in "aeiou"
          and lemma[-3:-2] not in "aeiou"):
        past, ing = lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"  # "chat" -> "chatted"
    else:
        past, ing = lemma + "ed", lemma + "ing"
    third = lemma + ("es" if lemma.endswith(("s", "sh", "ch", "x")) else "s")
    if lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        third = lemma[:-1] + "ies"
    regular = () if lemma in ("say", "tell", "write") else (past,)
    return (lemma, third, ing, *regular, *extra)


CUE_LEMMA: dict[str, str] = {form: lemma for lemma in sorted(CUE_VERBS) for form in _inflect(lemma)}


PRONOUNS = frozenset({"he", "she", "they", "we", "i", "it", "you"})
# Words before a quoted span that make it a name, title or label, not somebody's words.
_LABEL_CUES = frozenset(
    {
        "so-called", "dubbed", "titled", "entitled", "nicknamed", "called", "named", "known",
        "book", "novel", "film", "movie", "song", "album", "series", "show", "play", "documentary",
        "memoir", "poem", "opera", "musical", "exhibition", "campaign", "operation", "slogan",
        "hashtag", "magazine", "newspaper", "programme", "program", "podcast", "anthem", "word",
        "term", "phrase", "label", "brand", "motto", "headline", "byline", "banner", "sign",
    }
)
_NAMING_CUES = frozenset(
    {"call", "calls", "called", "calling", "dub", "dubs", "dubbed", "nickname", "nicknamed", "name",
     "named", "names", "title", "titled", "entitled", "label", "labelled", "labeled"}
)
_FEMALE_WORDS = frozenset(
    {"she", "her", "ms", "mrs", "miss", "madam", "spokeswoman", "chairwoman", "congresswoman",
     "businesswoman", "woman", "mother", "daughter", "sister", "wife", "queen", "princess", "dame"}
)
_MALE_WORDS = frozenset(
    {"he", "his", "him", "mr", "sir", "spokesman", "chairman", "congressman", "businessman", "man",
     "father", "son", "brother", "husband", "king", "prince"}
)


# Heads of descriptions that name a human or institutional source ("a senior official").
HUMAN_NOUNS = frozenset(
    """
    official spokesman spokeswoman spokesperson minister president leader lawyer diplomat source
    mediator negotiator envoy ambassador analyst expert economist researcher scientist director
    chairman chairwoman chair chief head manager officer commander witness resident activist
    organiser organizer ranger doctor nurse teacher student worker farmer owner governor mayor
    senator lawmaker engineer captain judge prosecutor governor secretary commissioner inspector
    editor author professor survivor victim mother father man woman passenger driver coach player
    actor actress singer musician artist star athlete physician surgeon patient parent child girl
    boy teenager employee staffer member volunteer voter customer fan user neighbour neighbor
    """.split()
)
INSTITUTION_NOUNS = frozenset(
    """
    ministry government company agency police army military union association federation council
    commission committee court group party firm bank office department service institute university
    board authority administration parliament cabinet regime embassy council league club team
    airline carrier operator publisher studio network channel newspaper broadcaster coalition
    organisation organization foundation charity alliance federation office
    """.split()
)
# Heads of phrases naming a text as the source: "the statement said", "according to the audit".
DOCUMENT_NOUNS = frozenset(
    """
    statement statements report reports letter letters post posts tweet tweets email emails memo
    memos filing filings document documents record records study studies paper papers release
    survey poll audit website blog note notes message messages transcript transcripts ruling
    complaint lawsuit indictment affidavit data notice announcement article editorial column
    sign signs banner caption text texts minutes guidance analysis review findings communique
    communiqué declaration resolution decree order verdict judgment judgement brief motion
    testimony petition manifesto charter agreement bill draft plan proposal footage video
    """.split()
)


PROFILE = Profile(
    code="en",
    model="en_core_web_sm",
    labels={"PERSON": "PERSON", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "NORP": "MISC",
            "EVENT": "MISC", "WORK_OF_ART": "MISC", "LAW": "MISC", "LANGUAGE": "MISC", "PRODUCT": "MISC",
            "DATE": "DATE", "TIME": "TIME", "PERCENT": "NUMBER", "MONEY": "NUMBER", "QUANTITY": "NUMBER",
            "ORDINAL": "NUMBER", "CARDINAL": "NUMBER"},
    person="PERSON", org="ORG", place="GPE",
    cue_lemma=CUE_LEMMA,
    embed_only=_EMBED_ONLY_CUES,
    according=(("according", "to"),),
    pronoun_gender={"he": "m", "she": "f", "it": None, "they": None},
    pronouns=PRONOUNS,
    indirect=True,
    neuter=frozenset({"it"}),
    female_words=_FEMALE_WORDS,
    male_words=_MALE_WORDS,
    human_nouns=HUMAN_NOUNS,
    institution_nouns=INSTITUTION_NOUNS,
    document_nouns=DOCUMENT_NOUNS,
    definite=frozenset({"the", "this", "that"}),
    label_cues=_LABEL_CUES,
    naming_cues=_NAMING_CUES,
    relative_pronouns=frozenset({"that", "which", "who"}),
    verb_tags=("VB",),
    clause_deps=frozenset({"relcl", "acl"}),
)

"""What newsflow knows of each language (model, entity labels, quote and wrapper words), and which language a text is in.

One module per language in this package: WORDING (a Wording: the words of site and agency
furniture, for tasks.clean) and, for a language with a spaCy model, PROFILE (a Profile: the model
and the words of entities and quotes). Adding a language is one module here (and one model, if
it has one). The machinery that uses these words (tasks.clean, tasks.entities, tasks.quotes) is
shared by all languages.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
import threading
from dataclasses import dataclass, field

# The entity scheme cross-language queries use (entities.label_std): each model's labels map onto it.
STANDARD_LABELS = ("PERSON", "ORG", "LOC", "MISC", "DATE", "TIME", "NUMBER")


@dataclass(frozen=True)
class Profile:
    """One language: its default model and the words the shared extractors need.

    `labels` maps the model's entity labels to STANDARD_LABELS; `person`, `org` and `place` are the
    model's own labels for those. Quote words: `cue_lemma` (verb form -> lemma), `embed_only`
    (cues that only count inside a sentence), `aux` (auxiliaries of a compound past:
    "a déclaré"), `clitics` (inverted subject pronouns written after the verb: "-t-il"),
    `according` (word sequences that introduce a source: "according to", "selon"),
    `pronoun_gender` (third-person subject pronouns that refer back to a source, with their
    gender or None), `pronouns` (every pronoun a speaker can be), `of_words` (prepositions
    inside a speaker's noun phrase: "de"), `skip_after_cue` (words between an inverted cue and
    its subject), `indirect` (whether reported speech is extracted: English only so far),
    `gender_openers` (a first word that gives a description's gender: "la ministre"),
    `neuter` (pronouns for things, never a person), gender words, nouns that head a
    description of a human, an institution or a document, `definite` (words opening a short
    description that refers back: "the", "le"), label and naming cues (words before a title or
    a nickname in quote marks). `verb_tags`: tag_ prefixes of verbs in this model.
    `spokesman`: a regular expression matching, right after a source, the words that give the person speaking for it
    (", par la voix de …").
    `reflexive`: pronouns of a reflexive cue ("s'est félicité"); `according_initial`: words that introduce a source only at a sentence's start
    ("Pour X, …"); `gender_suffixes`: (feminine ending, masculine ending) pairs that fold a role
    word's forms into one key ("présidente", "directrice" -> "président", "directeur");
    `varied_roles`: copy in this language names a person once and then refers back with other
    role words, and its model's parser often misses subjects, so every named person is a
    candidate source; `anaphoric_roles`: generic role words that, with no earlier phrase of that
    head, refer to the latest named person ("l'élu" after "le maire, X"). `clause_deps`: parser
    labels of clauses that a description sheds when it becomes a later source's name ("a man
    who saw his doctor" -> "a man"; French copy keeps "qui a requis l'anonymat"). `periphrases`:
    whole phrases (lower case) that stand for the person just named ("le chef de l'état").
    `counterpart_roles`: words naming a person by another's role ("son homologue"): that person
    holds whatever title role_hypernyms asks for.
    `company_nouns`: nouns that, as a short description with no earlier phrase of their own
    ("le groupe", "l'entreprise"), refer to the latest company named after one of them
    ("le constructeur automobile Stellaris").
    `age_description`: a regular expression (read with re.I) matching a definite description by
    age at the start of a speaker phrase, its group 1 the age ("the 58-year-old", "le navigateur
    de 44 ans"; no group for a noun of age: "le sexagénaire"): it refers back to the person given
    that age, else to the latest person.
    `nationality`: a regular expression matching a whole word that names a person by nationality
    ("Swede", "Frenchman"), for the words NER does not tag as such: "the Swede" refers back.
    `given_female`, `given_male`: common given names (lower case) that are near-always one
    gender's, so that a person named "Paul Denholm" is a "he" before any pronoun says so and is a
    person even where NER tagged the name an organisation.
    `documents_as_written`: a short description of a document ("l'étude") is its resolved
    speaker as written, not the document described earlier ("une étude publiée jeudi par …"),
    as the French gold set annotates it (the English sets resolve "the report" back).
    `role_hypernyms`: a generic role word or a periphrasis (without its determiner, the first
    word's gender folded by `role`) -> the titles, so folded, it stands for ("magistrat" ->
    procureur, juge; "représentant de l'état" -> préfet): it refers back to the latest person
    named with one of them before any other.
    The words of wrapper lines are the language's Wording (WORDINGS), not its profile.
    """

    code: str
    model: str
    labels: dict[str, str]
    person: str
    org: str
    place: str
    cue_lemma: dict[str, str]
    embed_only: frozenset[str] = frozenset()
    aux: frozenset[str] = frozenset()
    clitics: dict[str, str] = field(default_factory=dict)
    according: tuple[tuple[str, ...], ...] = ()
    pronoun_gender: dict[str, str | None] = field(default_factory=dict)
    pronouns: frozenset[str] = frozenset()
    of_words: frozenset[str] = frozenset()
    skip_after_cue: frozenset[str] = frozenset()
    indirect: bool = False
    gender_openers: dict[str, str] = field(default_factory=dict)
    neuter: frozenset[str] = frozenset()
    female_words: frozenset[str] = frozenset()
    male_words: frozenset[str] = frozenset()
    spokesman: str = ""
    human_nouns: frozenset[str] = frozenset()
    institution_nouns: frozenset[str] = frozenset()
    document_nouns: frozenset[str] = frozenset()
    definite: frozenset[str] = frozenset()
    label_cues: frozenset[str] = frozenset()
    naming_cues: frozenset[str] = frozenset()
    relative_pronouns: frozenset[str] = frozenset()
    verb_tags: tuple[str, ...] = ("VERB",)
    reflexive: frozenset[str] = frozenset()
    according_initial: tuple[tuple[str, ...], ...] = ()
    gender_suffixes: tuple[tuple[str, str], ...] = ()
    varied_roles: bool = False
    anaphoric_roles: frozenset[str] = frozenset()
    clause_deps: frozenset[str] = frozenset()
    periphrases: frozenset[str] = frozenset()
    role_hypernyms: dict[str, frozenset[str]] = field(default_factory=dict)
    documents_as_written: bool = False
    counterpart_roles: frozenset[str] = frozenset()
    company_nouns: frozenset[str] = frozenset()
    age_description: str = ""
    nationality: str = ""
    given_female: frozenset[str] = frozenset()
    given_male: frozenset[str] = frozenset()

    @property
    def role_nouns(self) -> frozenset[str]:
        return self.human_nouns | self.institution_nouns

    def role(self, word: str) -> str:
        """A role word with its gender folded ("gouverneure" -> "gouverneur")."""
        for fem, masc in self.gender_suffixes:
            if word.endswith(fem) and len(word) > len(fem) + 2:
                return word[: -len(fem)] + masc
        return word

    @property
    def role_keys(self) -> frozenset[str]:
        return frozenset(self.role(w) for w in self.human_nouns)

    def label_std(self, label: str) -> str:
        """The standard label of one of this model's labels (MISC for one not mapped)."""
        return self.labels.get(label, "MISC")

    def is_verb(self, tag: str) -> bool:
        return tag.startswith(self.verb_tags)


@dataclass(frozen=True)
class Wording:
    """One language's words of site and agency furniture, for the shared shapes of tasks.clean.

    Every language's words apply to every text, since sites mix them ("Partager sur Facebook"
    under an English wire story), so a language needs no model to have a Wording.

    Each str field is a regular expression (alternatives, in the style of the re module, to be
    read with re.I unless said otherwise) that tasks.clean puts, beside the other languages'
    ones, into its shared pattern of the same name; "" adds nothing. It must stay linear on any
    line (tests/unit/test_linear_patterns.py checks). Lines (searched anywhere unless "start"):
    `photo_credit` (a credit inside a caption: "Photo: ", "AP Photo"), `photo_credit_mark` (a
    credit word typographic enough for a caption: "credit"), `caption_label` (start: "Media
    caption,"), `copyright` (notice phrases besides "©": "all rights reserved"), `rights` (words
    that make "Copyright ..." a notice), `staff_credit` (start: "Reporting by"), `contributed`,
    `source_label` (start: "Source:"), `agency_only` (a whole line naming only the agency: "With
    AFP"), `syndicated` (with `syndication_cues`, substrings one of which the line must hold),
    `editor_note` (start), `comment_prompt`, `share`, `newsletter`, `tip_line`, and a call to
    action: `cta_channel` (a channel of the site) with `cta_us` ("follow us") or `cta_start` (a
    sentence opening with an imperative). Headings and labels: `link_list_heading` (a whole line
    over a list of links), `tag_heading` (start: "Tags"), `link_label` (a label before a link,
    without its separator), `read_also` (a "read also" heading, label or run-in label). Also
    `ad_line` (a whole line of advertising: "Story continues below"), `paywall`, `byline` (a
    whole byline line), `date_line` (a whole date line), `date_joiner` (the word joining a date's
    parts, "de" in "22 de outubro de 2010"; case as written), `dateline_months` (month names of a
    dateline "LONDON, May 3 (Reuters) -"; case as written), `agency_byline` (a whole byline that
    is an agency or names it as co-author; with an agency's name in it). Word sets (lower case):
    `ad_words` and `ad_filler` (an advertisement slot's label: "Anzeige"), `credit_openers`,
    `credit_sources` and `credit_filler` (a wire credit without a verb: "Avec agences").
    `wire_credit_formats`: (agency, pattern) of an agency's own staff-credit format.
    `wrapper_lines`: (kind, pattern) of whole lines of this language's furniture that the shapes
    above miss (kinds as tasks.clean.classify_line names them; tried last, on lines of 30 words
    at most). `dateline`: a dateline in this language's style that the shared one (a place in
    capitals) misses, with groups place, tag, agency and dash.
    """

    code: str
    photo_credit: str = ""
    photo_credit_mark: str = ""
    caption_label: str = ""
    copyright: str = ""
    rights: str = ""
    staff_credit: str = ""
    contributed: str = ""
    source_label: str = ""
    agency_only: str = ""
    syndicated: str = ""
    syndication_cues: tuple[str, ...] = ()
    editor_note: str = ""
    comment_prompt: str = ""
    share: str = ""
    newsletter: str = ""
    tip_line: str = ""
    cta_channel: str = ""
    cta_us: str = ""
    cta_start: str = ""
    link_list_heading: str = ""
    tag_heading: str = ""
    link_label: str = ""
    read_also: str = ""
    ad_line: str = ""
    paywall: str = ""
    byline: str = ""
    date_line: str = ""
    date_joiner: str = ""
    dateline_months: str = ""
    agency_byline: str = ""
    ad_words: frozenset[str] = frozenset()
    ad_filler: frozenset[str] = frozenset()
    credit_openers: frozenset[str] = frozenset()
    credit_sources: frozenset[str] = frozenset()
    credit_filler: frozenset[str] = frozenset()
    wire_credit_formats: tuple[tuple[str, str], ...] = ()
    wrapper_lines: tuple[tuple[str, re.Pattern], ...] = ()
    dateline: re.Pattern | None = None


def _load() -> tuple[dict[str, Profile], dict[str, Wording]]:
    profiles, wordings = {}, {}
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{mod.name}")
        profile, wording = getattr(module, "PROFILE", None), getattr(module, "WORDING", None)
        if isinstance(profile, Profile):
            profiles[profile.code] = profile
        if isinstance(wording, Wording):
            wordings[wording.code] = wording
    return profiles, wordings


# Languages with a model, and every language with furniture words (ordered by code).
PROFILES: dict[str, Profile]
WORDINGS: dict[str, Wording]
PROFILES, WORDINGS = _load()


def profile_for(code: str | None) -> Profile:
    """The profile of language `code` ("fr", "fr-CA"); English for a language without one."""
    return PROFILES.get(primary(code) or "en", PROFILES["en"])


def primary(code: str | None) -> str | None:
    """The primary subtag of a language code, lower case: "fr-CA" -> "fr"; None for None or ""."""
    if not code:
        return None
    return re.split(r"[-_]", code.strip(), maxsplit=1)[0].lower() or None


# -- which language a text is in -------------------------------------------------------------
# Measured on the French and English fixtures (python -m bench.french): declared languages that
# contradict the text come from templates left at lang="en"; below about 15 words the detector
# errs, above it py3langid's normalised probability is near 1 for the right answer.
MIN_WORDS = 15
OVERRIDE_PROB = 0.95
# The first 1,000 characters decide, not the whole text: py3langid walks its input byte by byte
# in Python (1.15 ms of CPU for 3,000 characters, 0.43 ms for 1,000). On 3,196 texts in nine
# languages (the 181 real pages' gold bodies, the quote fixtures, 3,000 testbed texts) the first
# 1,000 characters gave the same language as the first 3,000 on every text, and moved one
# text's probability across OVERRIDE_PROB (an Indonesian page: .96 against .92).
_DETECT_CHARS = 1000

_IDENTIFIER = None
_IDENTIFIER_LOCK = threading.Lock()


def language_identifier():
    """py3langid's identifier, loaded on the first call in this process."""
    global _IDENTIFIER
    with _IDENTIFIER_LOCK:
        if _IDENTIFIER is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier
            _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _IDENTIFIER


def detect_language(text: str) -> tuple[str | None, float]:
    """(language code, probability) of `text` by py3langid; (None, 0.0) under MIN_WORDS words."""
    if len(text.split(None, MIN_WORDS)) < MIN_WORDS:
        return None, 0.0
    code, prob = language_identifier().classify(text[:_DETECT_CHARS])
    return code, float(prob)


def choose_language(text: str, page: str | None, feed: str | None) -> tuple[str | None, str | None]:
    """(language, language_source) of an article: the page's declared language, else the feed's,
    unless the text is confidently (OVERRIDE_PROB) in another language; else the detected one.

    `page` and `feed` are codes as declared ("fr-FR"); the result is a primary subtag and one of
    "page", "feed", "detected", or (None, None) when nothing is declared and the text is too
    short to tell.
    """
    declared, source = (primary(page), "page") if primary(page) else (primary(feed), "feed")
    code, prob = detect_language(text)
    if declared and (code is None or code == declared or prob < OVERRIDE_PROB):
        return declared, source
    if code is not None:
        return code, "detected"
    return None, None

"""Named entities from a parsed article: trimmed spans, normalized names merged within the article."""

from __future__ import annotations

import bisect
import itertools
import re
from typing import Any

from spacy.tokens import Doc, Span

from tasks.lang import Profile, profile_for

# Numbers, dates and amounts are not what analysts count as "who/what is in the news".
NON_NAME_LABELS = frozenset({"DATE", "TIME", "NUMBER"})   # standard labels (tasks.lang)

# One canonical form per country/body that wire copy spells several ways.
ALIASES = {
    "us": "United States",
    "u.s.": "United States",
    "u.s": "United States",
    "usa": "United States",
    "u.s.a.": "United States",
    "united states": "United States",
    "united states of america": "United States",
    "uk": "United Kingdom",
    "u.k.": "United Kingdom",
    "united kingdom": "United Kingdom",
    "un": "United Nations",
    "u.n.": "United Nations",
    "united nations": "United Nations",
    "eu": "European Union",
    "european union": "European Union",
}

AGENCY_NAMES = ("AFP", "Reuters", "AP", "Agence France-Presse", "Associated Press")
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "mme", "mlle"})
FRENCH_MISTER = ("M.", "Me")   # written so, never a given name's initial in French copy

# "WASHINGTON (AFP) –", "KABUL, Afghanistan (Reuters) -", "PARIS -": the dateline that opens wire copy.
_DATELINE_RE = re.compile(
    # Place and state end in a non-space after their second character, and one "\s*" sits
    # on each side of the optional tag: the same matches as "[A-Z][A-Z .'-]+?" and
    # "\s*(tag)?\s*", without a run of spaces being split every possible way (cubic).
    r"^\s*(?P<place>[A-Z][A-Z .'\-](?:[A-Z .'\-]*?[A-Z.'\-])??)(?:,\s*[A-Z][A-Za-z .](?:[A-Za-z .]*?[A-Za-z.])??)?\s*"
    r"(?:(?P<tag>\((?:" + "|".join(re.escape(a) for a in AGENCY_NAMES) + r")\))\s*)?[-–—]{1,2}\s"
)
# Lines that are credits or syndication boilerplate, should the cleaner have missed them.
_CREDIT_LINE_RE = re.compile(
    r"©|\(c\)\s|copyright|^\s*(photo|picture|image|credit)s?\s*:|published at|all rights reserved",
    re.IGNORECASE,
)
# Leading role words that NER often folds into a PERSON span ("Lawyer Kenji Morimoto").
# Lower-case words that belong inside a name ("Pieter de Villiers", "Osama bin Laden").
NAME_PARTICLES = frozenset({"de", "du", "des", "d'", "d’", "da", "di", "do", "dos", "das", "del", "della", "van",
                            "von", "der", "den", "ten", "ter", "le", "la", "bin", "ibn", "al", "el", "y", "zu"})
TITLE_WORDS = frozenset(
    """
    president vice prime minister deputy senator sen governor gov mayor lawyer attorney judge justice
    doctor professor prof general gen colonel col captain capt commodore commander sergeant sgt
    lieutenant lt admiral chancellor king queen prince princess pope bishop archbishop cardinal
    reverend rev sheikh imam rabbi veterinarian officer spokesman spokeswoman spokesperson chairman
    chairwoman chair ceo director ambassador envoy secretary commissioner inspector chief leader coach
    manager head ranger researcher analyst economist scientist professor historian activist engineer
    dr mr mrs ms miss sir dame lord lady rep representative congressman congresswoman councillor
    councilor superintendent detective constable marshal trader farmer teacher student
    worker nurse pilot driver fisherman shopkeeper vendor resident survivor witness poet writer
    novelist artist singer actor actress astronomer biologist physicist chemist epidemiologist
    virologist architect athlete player striker goalkeeper official businessman businesswoman
    entrepreneur investor banker mechanic baker herder miner docker commuter passenger tourist
    journalist photographer reporter editor publisher translator organiser organizer jury juror
    colleague
    """.split()
)
# Titles that are part of how a person is named when only a given name follows ("Prince Andrew").
REGNAL_TITLES = frozenset({"king", "queen", "prince", "princess", "pope", "emperor", "empress", "duke",
                           "duchess", "sheikh", "emir", "sultan", "lord", "lady", "saint"})
# A match may start only after a character that is neither a space nor a comma, so a run of
# spaces is scanned once, not once from each of its positions (tests/unit/test_linear_patterns.py).
_GENERATION_RE = re.compile(r"(?<![\s,]),?\s+(?:Jr\.?|Sr\.?|II|III|IV)$")
_POSSESSIVE_RE = re.compile(r"(?:['’]s|s['’])$")
_WS_RE = re.compile(r"\s+")
_NICKNAME_RE = re.compile(r"\s[“\"«‘'][^”\"»’']{1,30}[”\"»’']\s")


def _dateline_spans(text: str) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """Return (place span, agency tag span) of a leading dateline, either may be None."""
    match = _DATELINE_RE.match(text)
    if not match:
        return None, None
    place = match.span("place")
    tag = match.span("tag") if match.group("tag") else None
    return place, tag


def _credit_line_ranges(text: str) -> list[tuple[int, int]]:
    ranges = []
    offset = 0
    for line in text.split("\n"):
        if _CREDIT_LINE_RE.search(line):
            ranges.append((offset, offset + len(line)))
        offset += len(line) + 1
    return ranges


def _trim_span(ent: Span, P: Profile) -> tuple[int, int] | None:
    """Character span of the entity without possessive marker and surrounding punctuation;
    a PERSON span missing its given name ("Anders [Lindqvist]") takes it back."""
    tokens = list(ent)
    if ent.label_ == P.person and len(ent) == 1 and ent.start > 0:
        doc = ent.doc
        prev = doc[ent.start - 1]
        if (prev.pos_ == "PROPN" and prev.dep_ == "compound" and prev.head.i == ent.start
                and prev.text[:1].isupper() and prev.lower_ not in TITLE_WORDS and not prev.ent_type_):
            tokens.insert(0, prev)
    while tokens and (tokens[-1].tag_ == "POS" or tokens[-1].is_punct or tokens[-1].is_space):
        tokens.pop()
    while tokens and (tokens[0].is_punct or tokens[0].is_space):
        tokens.pop(0)
    if ent.label_ == P.person:
        # "and rang Taylor": a lower-case word before a name is the sentence's, unless a particle.
        while len(tokens) > 1 and tokens[0].is_lower and tokens[0].lower_ not in NAME_PARTICLES:
            tokens.pop(0)
    if not tokens:
        return None
    if ent.label_ == P.person:
        # "Amadou Ndiaye-Sarr": the tokenizer split the hyphenated surname and NER kept half.
        doc, k = ent.doc, tokens[-1].i
        while k + 2 < len(doc) and doc[k + 1].text in "-‐" and not tokens[-1].whitespace_ \
                and not doc[k + 1].whitespace_ and doc[k + 2].text[:1].isupper() and doc[k + 2].is_alpha:
            tokens += [doc[k + 1], doc[k + 2]]
            k += 2
    start = tokens[0].idx
    end = tokens[-1].idx + len(tokens[-1].text)
    return start, end


def _title_case_caps(words: list[str]) -> list[str]:
    return [w.capitalize() if w.isupper() and len(w) > 1 else w for w in words]


def normalize_name(text: str, *, title_case_caps: bool = False, strip_titles: bool = False) -> str:
    """Normalize one entity mention without article context.

    Takes the mention as written; folds whitespace, drops a possessive "'s", a leading "the"
    and an honorific, applies the alias table ("US" -> "United States") and, when asked,
    title-cases ALL-CAPS words (datelines) and drops leading role words ("Lawyer", "Prime
    Minister") from a person's name. Returns the normalized name (may equal the input).
    """
    # A nickname in quotes inside a name: Nattaya “Nat” Srisuk -> Nattaya Srisuk.
    name = _NICKNAME_RE.sub(" ", text)
    name = _WS_RE.sub(" ", name).strip()
    name = _POSSESSIVE_RE.sub(lambda m: "s" if m.group(0).startswith("s") else "", name)
    words = name.split(" ")
    if len(words) > 1 and words[0].lower() == "the":
        words = words[1:]
    if len(words) > 1 and (words[0].lower().rstrip(".") in HONORIFICS or words[0] in FRENCH_MISTER):
        words = words[1:]
    if strip_titles:
        while len(words) > 1 and words[0].lower().rstrip(".") in TITLE_WORDS:
            if len(words) == 2 and words[0].lower() in REGNAL_TITLES:
                break
            words = words[1:]
    if title_case_caps:
        words = _title_case_caps(words)
    name = " ".join(words)
    return ALIASES.get(name.lower(), name)


def extract_entities(doc: Doc) -> list[dict[str, Any]]:
    """Named entities of one cleaned article, normalized and merged within the article.

    Takes a spaCy Doc (NER run; lemmatizer not needed). Returns one dict per mention, in text
    order, with keys ``text`` (as written, possessive trimmed), ``norm`` (normalized name:
    possessive, leading "the" and honorifics dropped, whitespace folded, ALL-CAPS dateline
    words title-cased, a lone surname replaced by the full name used elsewhere in the
    article, one form for "US"/"the United States"), ``label``, ``start_char``, ``end_char``.
    Dates, times and numbers are not returned, nor mentions inside a dateline's agency tag
    "(AFP)" or on credit/copyright lines. Raises nothing for well-formed Docs.
    """
    text = doc.text
    P = profile_for(doc.lang_)
    place_span, tag_span = _dateline_spans(text)
    credit_ranges = _credit_line_ranges(text)

    raw: list[dict[str, Any]] = []
    written: dict[str, bool] = {}   # whether the text writes a title-cased spelling
    for ent in doc.ents:
        if P.label_std(ent.label_) in NON_NAME_LABELS:
            continue
        trimmed = _trim_span(ent, P)
        if trimmed is None:
            continue
        start, end = trimmed
        if tag_span and start < tag_span[1] and end > tag_span[0]:
            continue
        if any(start < r_end and end > r_start for r_start, r_end in credit_ranges):
            continue
        surface = text[start:end]
        in_dateline = bool(place_span and start >= place_span[0] and end <= place_span[1])
        caps = surface.isupper() and len(surface.replace(".", "")) > 1
        title_it = False
        if caps:
            # Acronyms (NATO, CNN) stay; a capitalized dateline or a word the article also
            # writes in title case ("WASHINGTON" ... "Washington") is a shouted name.
            titled = " ".join(_title_case_caps(surface.split()))
            if titled != surface and titled not in written:   # (each search reads the text: once a spelling)
                written[titled] = titled in text
            title_it = in_dateline or (titled != surface and written[titled])
        label = ent.label_
        if label in ("ORG", "GPE", "NORP") and ent.start > 0 and doc[ent.start - 1].lower_ in TITLE_WORDS:
            # "organiser Shirin Akter", "colleague Pieter de Villiers": a role word before a
            # name the small model took for an organisation.
            label = P.person
        if in_dateline and P.label_std(label) != "LOC":
            label = P.place  # a dateline names a place; the small model often calls it ORG
        raw.append(
            {
                "text": surface,
                "norm": normalize_name(surface, title_case_caps=title_it, strip_titles=label == P.person),
                "label": label,
                "start_char": start,
                "end_char": end,
            }
        )
    _merge_people(raw, P)
    _untagged_full_names(text, raw, P)
    raw.extend(_unlabelled_surnames(doc, raw, P))
    raw.sort(key=lambda m: m["start_char"])
    for m in raw:
        m["label_std"] = P.label_std(m["label"])
    return raw


def _untagged_full_names(text: str, mentions: list[dict[str, Any]], P: Profile) -> None:
    """A lone surname whose full name NER missed ("Zach Parise’s two-goal night"): the first
    "Firstname Surname" in the text that is not a title, e.g. "Wild coach Bruce Boudreau"."""
    found: dict[str, str | None] = {}   # a surname's full name, looked for once (each search reads the text)
    for mention in mentions:
        norm = mention["norm"]
        if mention["label"] != P.person or " " in norm or not norm[:1].isupper():
            continue
        if norm not in found:
            found[norm] = full_name_in_text(text, norm)
        if found[norm] is not None:
            mention["norm"] = found[norm]


def full_name_in_text(text: str, surname: str) -> str | None:
    """The first "Firstname [X.] Surname" in `text` whose first word is not a title or a
    capitalized word opening a sentence ("Yesterday Parise scored"); None if there is none."""
    for m in re.finditer(r"\b([A-Z][a-z]+(?:\s[A-Z]\.)?)\s" + re.escape(surname) + r"\b", text):
        before = m.start() - 1   # the last character before it but spaces (not a copy of the text before it)
        while before >= 0 and text[before] == " ":
            before -= 1
        if before < 0 or text[before] in ".!?\n\"“”":
            continue
        if m.group(1).lower() not in TITLE_WORDS:
            return f"{m.group(1)} {surname}"
    return None


def _unlabelled_surnames(doc: Doc, mentions: list[dict[str, Any]], P: Profile) -> list[dict[str, Any]]:
    """Surname mentions of a person named in full elsewhere that NER did not tag itself."""
    surnames: dict[str, str] = {}
    for m in mentions:
        if m["label"] == P.person and len(m["norm"].split()) > 1:
            surnames.setdefault(m["norm"].split()[-1], m["norm"])
    if not surnames:
        return []
    # A token is covered when a mention starting at or before it reaches past it: the mentions by
    # start, with the furthest end so far (asking each mention for each token was quadratic).
    covered = sorted((m["start_char"], m["end_char"]) for m in mentions)
    starts = [s for s, _ in covered]
    reach = list(itertools.accumulate((e for _, e in covered), max))
    extra = []
    for tok in doc:
        full = surnames.get(tok.text)
        if full is None or tok.pos_ != "PROPN":
            continue
        k = bisect.bisect_right(starts, tok.idx) - 1
        if k >= 0 and reach[k] > tok.idx:
            continue
        extra.append(
            {"text": tok.text, "norm": full, "label": P.person,
             "start_char": tok.idx, "end_char": tok.idx + len(tok.text)}
        )
    return extra


def _merge_people(mentions: list[dict[str, Any]], P: Profile) -> None:
    """Point lone surnames (and mislabelled ones) at the full name given in the article."""
    full_names: list[tuple[int, str]] = [
        (m["start_char"], m["norm"])
        for m in mentions
        if m["label"] == P.person and len(m["norm"].split()) > 1
    ]
    if not full_names:
        return
    # The full names by each of their endings after a space (of the name without "Jr."), and by their
    # first word: a lookup per mention, where comparing each mention with each name was quadratic.
    by_ending: dict[str, list[tuple[int, str]]] = {}
    by_first: dict[str, list[tuple[int, str]]] = {}
    for pos, full in full_names:
        bare = _GENERATION_RE.sub("", full)
        for space in (i for i, ch in enumerate(bare) if ch == " "):
            by_ending.setdefault(bare[space + 1:], []).append((pos, full))
        by_first.setdefault(full.split()[0], []).append((pos, full))
    for mention in mentions:
        norm = mention["norm"]
        if mention["label"] not in (P.person, P.org, "GPE", "NORP") or len(norm.split()) > 3:
            continue
        # A surname, possibly with its particles ("de Villiers" -> "Pieter de Villiers", "Van Der
        # Beek" -> "James Van Der Beek"), and "Kennedy" -> "James P. Kennedy Jr.".
        candidates = [(pos, full) for pos, full in by_ending.get(norm, ()) if full != norm]
        if not candidates and mention["label"] == P.person and " " not in norm:
            # Family name first (Korean, Chinese, Hungarian order): "Park" -> "Park Seo-yeon".
            candidates = by_first.get(norm, [])
        if not candidates:
            continue
        earlier = [c for c in candidates if c[0] < mention["start_char"]]
        # The closest earlier full name wins (two Clintons in one story); else the first later one.
        _, full = max(earlier) if earlier else min(candidates)
        mention["norm"] = full
        mention["label"] = P.person


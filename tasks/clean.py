"""Clean article text: strip site and syndication wrapper lines, find dateline and wire agency."""
# The shapes are here (position, length, links, capitals, punctuation, repetition across a site);
# the words of each language are its tasks.lang module's Wording, and all of them apply to every text.
from __future__ import annotations

import collections
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tasks.lang import WORDINGS
from tasks.textutil import translator

# Bump when a rule change alters output, so stored rows can say which cleaner made them.
# clean-3: wrapper lines of each language module (tasks.lang); clean-4: post meta lines, contact lines.
CLEANER_VERSION = "clean-4"
# Every language module's words (tasks.lang.WORDINGS, ordered by code), in one set of patterns:
# sites mix languages.
_WORDINGS = tuple(WORDINGS.values())
_LANGUAGE_WRAPPERS = tuple(line for wording in _WORDINGS for line in wording.wrapper_lines)
_LANGUAGE_DATELINES = tuple(wording.dateline for wording in _WORDINGS if wording.dateline)
AGENCIES = ("AFP", "Reuters", "AP")  # the values Cleaned.wire_agency takes (or None)


def _alternatives(field: str) -> str:
    """Every language's alternatives of one Wording field, as one regex (one that never matches if none).

    Languages that share words ("de" in Spanish and Portuguese dates) give them once.
    """
    return "|".join(dict.fromkeys(f"(?:{getattr(w, field)})" for w in _WORDINGS if getattr(w, field))) or "(?!)"


def _wording(field: str, before: str = "", after: str = "", flags: int = re.I) -> re.Pattern:
    """The shared pattern of one Wording field: the languages' alternatives between the shapes `before` and `after`."""
    return re.compile(f"{before}(?:{_alternatives(field)}){after}", flags)


def _words_of(field: str) -> frozenset[str]:
    """Every language's words of one Wording word-set field."""
    return frozenset().union(*(getattr(w, field) for w in _WORDINGS))


@dataclass(frozen=True)
class Cleaned:
    """An article body with its wrappers removed.

    text: one paragraph per line, NFC, whitespace collapsed, dateline kept.
    removed: the wrapper lines taken out, in text order (for auditing).
    wire_agency: "AFP", "Reuters", "AP" or None.
    dateline: the dateline as written at the start of the body, e.g.
    "WASHINGTON (AFP) –", or None.
    """

    text: str
    removed: tuple[str, ...]
    wire_agency: str | None
    dateline: str | None


# --------------------------------------------------------------------------
# Normalization
# --------------------------------------------------------------------------

# Invisible characters that only break matching: zero-width space, BOM, word
# joiner, soft hyphen. The zero-width joiner stays (it builds emoji).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad\u200e\u200f"), None)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'",
                         "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"'})
# No \s* around the dash: _fold() collapses spaces afterwards anyway, and "\s*" at every
# position of a search is quadratic in a run of spaces.
_DASHES = re.compile(r"--|[‐‑‒–—―−]")
_drop_invisible = translator(_INVISIBLE)
_straight_quotes = translator(_QUOTES)


def normalize_lines(text: str) -> list[str]:
    """Split text into non-empty lines: NFC, invisible characters dropped,
    every run of whitespace (non-breaking spaces included) made one space."""
    text = _drop_invisible(unicodedata.normalize("NFC", text))
    text = _CONTROL.sub(" ", _LINE_BREAKS.sub("\n", text))
    return [line for line in (" ".join(raw.split()) for raw in text.split("\n")) if line]


def _fold(text: str) -> str:
    """A comparison key: straight quotes, one dash form, case-folded, spaces collapsed."""
    text = _DASHES.sub(" - ", _straight_quotes(text))
    return " ".join(text.split()).casefold()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _title_key(text: str) -> str:
    """Headline comparison key: lower-cased word tokens only."""
    return " ".join(_words(text.casefold()))


# --------------------------------------------------------------------------
# Line shapes
# --------------------------------------------------------------------------

_BULLET = re.compile(r"^(?:[-–—•*·►▶»>]+|\d{1,2}[.)])\s+")

# Agency names are the same in every language's copy: shared, not words of one language.
_AGENCY_PATTERNS = (
    ("AFP", re.compile(r"\bAFP\b|\bAgence France[- ]Presse\b", re.I)),
    ("Reuters", re.compile(r"\bReuters\b", re.I)),
    ("AP", re.compile(r"\bAP\b|\bAssociated Press\b")),
)

# "WASHINGTON (AFP) –", "SAO PAULO (AFP) --", "HAYWARD, Calif. (AP) —",
# "LONDON, May 3 (Reuters) -", "(Reuters) -", "BERLIN —".
# The place is its first word (a capital, then two or more characters ending in a capital or a
# dot, or running on past a "X-Y" hyphen) and words after a space or slash. Written so that each
# place has one parse: "-" used to be both a letter of a word and a word separator, which made a
# failing match on "A-A-A-..." exponential (2^n parses). Same places as before.
_DATELINE = re.compile(
    r"^(?P<place>(?:[A-Z](?:[A-Z'’.\-]+(?<=[A-Z.])|(?>[A-Z'’.\-]*?[A-Z.]-[A-Z])[A-Z'’.\-]*)"
    r"(?:[ /][A-Z][A-Z'’.\-]*)*)"
    r"(?:,\s*[A-Z][A-Za-z.'’]+(?:\s[A-Z][A-Za-z.'’]+){0,2})?"
    r"(?:,\s*(?:" + _alternatives("dateline_months") + r")\.?\s+\d{1,2})?)?"
    r"\s*(?:(?P<tag>\((?P<agency>AFP|Reuters|AP|Agence France[- ]Presse|Associated Press|The Associated Press)\))\s*)?"
    r"(?P<dash>--|[-–—])\s+(?=\S)"
)

# Photo credits: "© AFP/File Name", "Reuters/Name", "Name / AFP", and each language's words ("Photo:").
_PHOTO_CREDIT = _wording(
    "photo_credit",
    before=r"©|\(c\)\s|\b(?:AFP|Reuters|AP|EPA|Getty Images|Shutterstock|Xinhua|Anadolu|Bloomberg|dpa)\s*/\s*[A-Z]|"
           r"\b[A-Z][a-z]+\s*/\s*(?:AFP|Reuters|AP|EPA|Getty Images|Shutterstock)\b|")
# A caption's credit is typographic: "©", a colon, slash, bar or parenthesis, or a credit word.
_CREDIT_MARK = _wording("photo_credit_mark", before=r"©|[:/|]|\(|")
_CAPTION_LABEL = _wording("caption_label")
# "©" and "Copyright" open a notice in every language's copy; the phrases around them are each language's.
_COPYRIGHT = _wording("copyright", before=r"^\(?(?:[©ⓒ]|\(c\)\s|copyright\b)|")
_RIGHTS = _wording("rights")
_STAFF_CREDIT = _wording("staff_credit")
_CONTRIBUTED = _wording("contributed")
_SOURCE_LABEL = _wording("source_label")
_AGENCY_ONLY = _wording("agency_only")
_SYNDICATED = _wording("syndicated")
_SYNDICATION_CUES = tuple(cue for wording in _WORDINGS for cue in wording.syndication_cues)
_EDITOR_NOTE = _wording("editor_note")
_COMMENT_PROMPT = _wording("comment_prompt")
_SHARE = _wording("share")
# An imperative call to action ...
_CTA_START = _wording("cta_start")
# ... that points at a channel of the site rather than at the story.
_CTA_CHANNEL = _wording("cta_channel")
_CTA_US = _wording("cta_us")
_TIP_LINE = _wording("tip_line")
_NEWSLETTER = _wording("newsletter")
# A heading that introduces a list of links (related, most read, more from).
_LINK_LIST_HEADING = _wording("link_list_heading", before="^", after=r"\s*[:»>|]?$")
_TAG_HEADING = _wording("tag_heading")
# Arrows and pointers that sites put between a link's label and its headline ("Don't miss → ...",
# "RELATED ⟶ ..."): every arrow of Unicode's arrow blocks, the dingbat arrows, right-pointing
# triangles and the single guillemet, not a list of the ones seen.
_ARROWS = "[\u2190-\u21ff\u27f0-\u27ff\u2900-\u297f\u2b00-\u2b4f\u2b5a-\u2bff\u2794-\u27bf\u25b6-\u25bb\u203a\U0001f800-\U0001f8ff]"
# "Read more: <headline>", "ALSO READ | <headline>", "Watch: <headline>": a label, a separator, a headline.
_LINK_LABEL = _wording("link_label", before="^", after=r"\s*(?::|»|>|\||—|–|\s-|" + _ARROWS + r")\s*\S")
# Linear on any line: "_" is already in \w (a "[_.-]" separator made a line of underscores take
# 2^n steps: 52 of them, 40 minutes), and the template and tag shapes commit to their first
# opening with an atomic group instead of rescanning the rest of the line from every "{{" or "<p ".
_HTML_TAG = (r"</?(?:p|div|span|a|img|br|iframe|script|style|figure|figcaption|strong|em|ul|ol|li|h\d|table|"
             r"section|blockquote)")
_PLUGIN = re.compile(
    r"^\[/?[a-z_][\w-]*(?:\s[^\]]*)?\]$|^\[[a-z_][\w-]*[\s\]].*\[/[a-z_][\w-]*\]$|^(?>.*?\{\{).*\}\}|^(?>.*?\{%).*%\}|"
    rf"{_HTML_TAG}/?>|^(?>.*?{_HTML_TAG}\s)[^>]*>",
    re.I,
)
# A whole line of advertising or of a page's machinery: "Advertisement", "Story continues below".
_AD_LINE = _wording("ad_line", before="^", after=r"\.?$")
# "linkwithin_text='Related Articles:'", "jwplayer.key = ...": a plugin's setting leaked into the text,
# unless it stands in code, configuration or a list of the story's own (see _keep_own_assignments).
_ASSIGNMENT = re.compile(r"^\w+(?:[.-]\w+)*\s*=\s*\S")
# Code and configuration lines around an assignment: statements, blocks, comments, sections.
_CODE_LINE = re.compile(r"[;{}]$|^(?:#|//|\$ )|^\[[\w .-]+\]$|^\w+(?:[.-]\w+)*\s*(?:=|:=|\+=|->)\s*\S")
_BYLINE = _wording("byline")
_DATE_LINE = _wording("date_line")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")

# A pointer to other stories, in every language's words: "Read also", "Lesen Sie auch", "Czytaj też",
# "À lire aussi". As a heading alone, as the label of a link ("Czytaj też: <headline>"), or run
# into the headline ("Czytaj też <headline>").
_READ_ALSO = _wording("read_also", before=r"^[(\[]?\s*", after=r"(?=$|[\s:»>|.…)\]–—-])")
# A paywall's prompt: the rest of the story is for subscribers.
_PAYWALL = _wording("paywall")
# A date: "23.10.2018", "2018-10-23", "23. Oktober 2018", "22 de outubro de 2010", "Oct. 23, 2018".
# The month is any short word, so that every language's month names count; the word that joins a
# date's parts ("de") is each language's.
_DATE_JOINER = _alternatives("date_joiner")
_ANY_DATE = re.compile(
    r"\b\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})\b|\b\d{4}-\d{2}-\d{2}|"
    rf"\b\d{{1,2}}\.? (?:(?:{_DATE_JOINER}) )?[^\W\d_]{{3,12}}\.?,? (?:(?:{_DATE_JOINER}) )?\d{{4}}\b|"
    r"\b[^\W\d_]{3,12}\.? \d{1,2},? \d{4}\b")
_CLOCK = re.compile(r"\b\d{1,2}[:.h]\d{2}(?::\d{2})?\b|T\d{2}:\d{2}\S*")
# Words around an advertisement slot: "Advertisement - story continues below", "Anzeige",
# "La suite après la publicité", "Dalsza część artykułu pod reklamą".
_AD_WORDS = _words_of("ad_words")
_AD_FILLER = _words_of("ad_filler")
# A wire credit without a verb: "From wire services and staff reports.", "With files from The Canadian
# Press", "(mit Material von dpa)", "Con información de agencias", "Avec agences", "Z agencji".
_CREDIT_OPENERS = _words_of("credit_openers")
_CREDIT_SOURCES = _words_of("credit_sources")
_CREDIT_FILLER = _CREDIT_SOURCES | _CREDIT_OPENERS | _words_of("credit_filler")


def _bare(line: str) -> str:
    """The line without a leading list bullet."""
    return _BULLET.sub("", line, count=1)


def _is_prose(line: str) -> bool:
    """A sentence-like paragraph: enough words and closing punctuation."""
    return len(_words(line)) >= 8 and bool(_SENTENCE_END.search(line))


def _is_headline_like(line: str) -> bool:
    """A short line without closing punctuation (a link title, heading or kicker)."""
    words = _words(line)
    return 0 < len(words) <= 25 and not _SENTENCE_END.search(line.rstrip(" |"))


def _is_list_item(line: str) -> bool:
    """A bulleted line (under a link-list heading: a headline, maybe with its teaser)."""
    return bool(_BULLET.match(line))


def _is_read_also(bare: str) -> bool:
    """A pointer to other stories: a "read also" heading, label or run-in label (_READ_ALSO)."""
    match = _READ_ALSO.match(bare)
    if not match:
        return False
    rest = bare[match.end():]
    if not rest.strip(" :»>|.…)]–—-"):
        return True
    if len(_words(bare)) > 30:
        return False
    if rest.lstrip()[:1] in tuple(":»>|([–—-"):
        return not _is_prose_after_label(bare)
    # Run into the headline ("Czytaj też Rząd przyjął budżet"): a headline, not a sentence.
    return _is_headline_like(bare) and len(_words(bare)) <= 20


def _is_date_only(bare: str) -> bool:
    """A line that is a date, maybe with a time, a weekday and a label ("Aktualisiert am 23.10.2018, 14:35 Uhr")."""
    if _DATE_LINE.match(bare):
        return True
    if len(_words(bare)) > 14 or bare.rstrip().endswith(("!", "?")):
        return False
    date = _ANY_DATE.search(bare)
    if not date:
        return False
    rest = f"{bare[:date.start()]} {bare[date.end():]}"
    second = _ANY_DATE.search(rest)
    residual = [word for word in _words(_CLOCK.sub(" ", _ANY_DATE.sub(" ", rest))) if not word.isdigit()]
    # A label and a weekday, not a name: "— Jane Roe (@jroe) May 2, 2024" is an embedded post's signature.
    # Two dates and nothing else are a period ("29 November 2018 | 20 January 2019"), part of the story.
    return len(residual) <= 4 and all(len(word) <= 15 for word in residual) and "@" not in bare \
        and sum(word[0].isupper() for word in residual) <= 2 and not (second and not residual)


def _is_plugin(bare: str) -> bool:
    """A plugin's leftovers (a shortcode, template tag, HTML tag) or a line of advertising."""
    return bool(_PLUGIN.search(bare) or _AD_LINE.search(bare))


def _is_ad_slot(bare: str) -> bool:
    """An advertisement slot's label, in any of its wordings ("Story continues below advertisement")."""
    words = [word.casefold() for word in _words(bare)]
    return 0 < len(words) <= 10 and any(word in _AD_WORDS for word in words) \
        and all(word in _AD_WORDS or word in _AD_FILLER for word in words)


def _is_wire_credit(bare: str) -> bool:
    """A credit naming where the story came from, without a verb ("From wire services and staff reports.")."""
    words = _words(bare)
    if not 2 <= len(words) <= 14 or words[0].casefold() not in _CREDIT_OPENERS:
        return False
    folded = [word.casefold() for word in words]
    names = [word for word, low in zip(words, folded) if low not in _CREDIT_FILLER]
    return any(low in _CREDIT_SOURCES for low in folded) and len(names) <= 4 \
        and all(name[0].isupper() for name in names)


def _is_caption(line: str) -> bool:
    """A photo caption: short, carries a photo credit near its end or ends in '|'."""
    words = _words(line)
    if not words or len(words) > 45:
        return False
    if _CAPTION_LABEL.match(_bare(line)):
        return True
    tail = line[-90:]
    if _PHOTO_CREDIT.search(tail):
        # "The photo was taken by ..." in prose has no credit punctuation;
        # credits are typographic (© / : / slash / parentheses).
        return bool(_CREDIT_MARK.search(tail))
    # A table row ("| a | b |") also ends in a bar; a caption does not start with one.
    return line.rstrip().endswith("|") and not line.lstrip().startswith("|") and len(words) <= 30


def _is_credit(line: str) -> bool:
    """A copyright, staff-credit or syndication line."""
    bare = _bare(line)
    words = len(_words(bare))
    if words > 60:
        return False
    if _COPYRIGHT.search(bare):
        starts = re.match(r"^\(?(?:[©ⓒ]|\(c\)|copyright)", bare, re.I)
        # "Copyright law ..." opens ordinary sentences; a notice names a
        # year, an owner in capitals or reserves rights.
        return not starts or words <= 25 and bool(
            re.match(r"^\(?(?:[©ⓒ]|\(c\))", bare, re.I)
            or re.match(r"^[Cc]opyright\s*(?:[©ⓒ]|\(c\))?\s*(?:\d{4}|[A-Z])", bare)
            or _RIGHTS.search(bare))
    if _STAFF_CREDIT.search(bare):
        return words <= 40 and (";" in bare or bare.startswith("(") or words <= 12
                                or not _SENTENCE_END.search(bare))
    if _CONTRIBUTED.search(bare) and words <= 30:
        return True
    if _SOURCE_LABEL.search(bare) and words <= 10:
        return True
    if _AGENCY_ONLY.match(bare) or _is_wire_credit(bare):
        return True
    lower = bare.lower()
    return words <= 45 and any(cue in lower for cue in _SYNDICATION_CUES) and bool(_SYNDICATED.search(bare))


# "(?<!\s)": a dash separator is tried from the start of a run of spaces only (from every
# space of the run, a search is quadratic in it). Same splits.
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?:])\s+|(?<!\s)\s+[—–]\s+")


def _is_call_to_action(line: str) -> bool:
    """A newsletter, app, social or tip-line plug (any of its sentences is one)."""
    bare = _bare(line)
    if len(_words(bare)) > 35:
        return False
    if _NEWSLETTER.search(bare) or _TIP_LINE.search(bare):
        return True
    if not _CTA_CHANNEL.search(bare):
        return False
    if _CTA_US.search(bare):
        return True
    # "Like this story? Get our weekly digest." puts the plug second.
    return any(_CTA_START.match(sentence) for sentence in _SENTENCE_SPLIT.split(bare))


def classify_line(line: str) -> str | None:
    """Name the wrapper kind of a line by its shape alone, or None for body text.

    Kinds: caption, credit, comment, share, newsletter, related, paywall, plugin.
    Position-dependent kinds (editor's notes, bylines, dates, repeated
    titles) are decided by clean_text().
    """
    bare = _bare(line)
    words = len(_words(bare))
    if words > 60:
        return None  # every wrapper shape below is shorter than a body paragraph
    if _is_plugin(bare) or _ASSIGNMENT.search(bare) or _is_ad_slot(bare):
        return "plugin"
    # Word counts are tested before the long word-list patterns: most body lines fail them.
    if words <= 25 and _COMMENT_PROMPT.search(bare):
        return "comment"
    if words <= 15 and _SHARE.search(bare):
        return "share"
    if _LINK_LIST_HEADING.match(bare) or (words <= 30 and _LINK_LABEL.match(bare)
                                          and not _is_prose_after_label(bare)) or _is_read_also(bare):
        return "related"
    if words <= 30 and _PAYWALL.search(bare):
        return "paywall"
    if _is_credit(line):
        return "credit"
    if _is_call_to_action(line):
        return "newsletter"
    if _is_caption(line):
        return "caption"
    if words <= 30:
        for kind, pattern in _LANGUAGE_WRAPPERS:
            if pattern.search(bare):
                return kind
    return None


def _is_prose_after_label(line: str) -> bool:
    """'Tags: economy' is a label; 'More: the minister said that ... .' is prose."""
    rest = re.split(r"[:»>|—–]|\s-\s", line, maxsplit=1)[-1]
    return len(_words(rest)) >= 18 and bool(_SENTENCE_END.search(rest))


# --------------------------------------------------------------------------
# Dateline and agency
# --------------------------------------------------------------------------

def find_dateline(line: str) -> tuple[str, str | None] | None:
    """Return (dateline as written, agency or None) if the line opens with one.

    A dateline is a place in capitals and/or an agency tag followed by a
    dash: "WASHINGTON (AFP) –", "(Reuters) -", "BERLIN —". The line must go
    on with prose, so a heading such as "NATO - what next" is not taken.
    """
    match = _DATELINE.match(line)
    if not match or not (match.group("place") or match.group("tag")):
        match = next((m for m in (p.match(line) for p in _LANGUAGE_DATELINES) if m), None)
    if not match or not (match.group("place") or match.group("tag")):
        return None
    place = match.group("place") or ""
    if place and not match.group("tag"):
        # Without a tag, demand a real place name in capitals (two letters
        # at least) and a prose continuation, not "AI - the future".
        if len(re.sub(r"[^A-Z]", "", place)) < 3 and "," not in place:
            return None
    rest = line[match.end():]
    if len(_words(rest)) < 4:
        return None
    dateline = line[:match.end()].rstrip()
    return dateline, _agency_name(match.group("agency"))


def _agency_name(text: str | None) -> str | None:
    if not text:
        return None
    for name, pattern in _AGENCY_PATTERNS:
        if pattern.search(text):
            return name
    return None


def agency_in(line: str) -> str | None:
    """The wire agency a credit, caption or byline line names, if exactly one.

    Without a name, an agency's own staff-credit format ("Reporting by X; Editing by Y" is Reuters').
    """
    found = {name for name, pattern in _AGENCY_PATTERNS if pattern.search(line)}
    if not found:
        return next((agency for agency, pattern in _WIRE_CREDIT_FORMATS if pattern.search(line)), None)
    return found.pop() if len(found) == 1 else None


# A byline that is the agency or names it as co-author: "AFP", "Reuters Staff", "Jane Doe, Associated Press".
_AGENCY_BYLINE = _wording("agency_byline")
# An agency's own staff-credit format: "Reporting by X; Editing by Y" is Reuters'.
_WIRE_CREDIT_FORMATS = tuple((agency, re.compile(pattern, re.I))
                             for wording in _WORDINGS for agency, pattern in wording.wire_credit_formats)


def _byline_agency(byline: str | None) -> str | None:
    """Agency of a byline that is the agency itself or names it as co-author,
    not a person's name that merely contains the letters."""
    if not byline or not _AGENCY_BYLINE.fullmatch(byline.strip()):
        return None
    return agency_in(byline)


# --------------------------------------------------------------------------
# Furniture: lines that recur across one site's articles
# --------------------------------------------------------------------------

def furniture_key(line: str, titles: Iterable[str] = ()) -> str:
    """The key under which a line counts as site furniture.

    Quotes, dashes, case, digits and bullets are folded, and the article's
    own headline inside the line becomes "<title>", so that "Be the first
    to comment on "<headline>"" is the same line on every article.
    """
    key = _fold(_bare(line))
    for title in titles:
        folded = _fold(title)
        if len(folded) >= 8 and folded in key:
            key = key.replace(folded, "<title>")
    return re.sub(r"\d+", "0", key)


def _label_key(line: str) -> str | None:
    """'read more:' for 'Read more: Some headline' (a short capitalized label)."""
    match = re.match(r"^([A-Z][\w'’ ]{0,30}?)\s*(?::|»|\||" + _ARROWS + r")\s*\S", _bare(line))
    if not match or len(_words(match.group(1))) > 4 or len(match.group(1)) < 2:
        return None
    return "label:" + _fold(match.group(1))


def _prefix_key(line: str) -> str | None:
    """'prefix:media caption' for a short non-sentence line such as
    'Media caption, <varying text>' (templated captions and credits)."""
    words = _words(line)
    if not 3 <= len(words) <= 12 or _SENTENCE_END.search(line) or find_dateline(line):
        return None
    if not re.search(r"[^\W\d_]", " ".join(words[:2])):
        return None  # "02-751-1500": numbers are not a template
    return "prefix:" + " ".join(words[:2]).casefold()


def site_furniture(texts: Sequence[str], titles: Sequence[str | None] | None = None, *,
                   min_articles: int = 3, min_share: float = 0.05) -> frozenset[str]:
    """Find the furniture of one site: lines that recur across its articles.

    Takes the texts of articles from one site (and optionally their titles,
    which lets templated lines such as comment prompts that quote the
    headline match). A line counts when its furniture_key() occurs in at
    least max(min_articles, min_share * len(texts)) distinct articles; a
    short "Label:" prefix counts the same way ("label:read more").

    Returns the set of furniture keys (empty for fewer than min_articles
    texts). Raises ValueError if titles is given with a different length.
    """
    if titles is not None and len(titles) != len(texts):
        raise ValueError(f"site_furniture: {len(texts)} texts but {len(titles)} titles")
    return furniture_of_pages([page_furniture_keys(text, titles[index] if titles else None)
                               for index, text in enumerate(texts)], min_articles=min_articles, min_share=min_share)


def page_furniture_keys(text: str, title: str | None = None, check: Callable[[], None] = lambda: None
                        ) -> tuple[frozenset[str], frozenset[str]]:
    """One article's candidate furniture: its lines' furniture keys and its label and prefix keys.

    `check` is called once a line (a CPU budget's check: it may raise to stop a page).
    """
    own = [title] if title else []
    keys, labels = set(), set()
    for line in normalize_lines(text):
        check()
        keys.add(furniture_key(line, own))
        if len(_words(line)) <= 30:
            labels.add(_label_key(line))
        labels.add(_prefix_key(line))
    labels.discard(None)
    return frozenset(keys), frozenset(labels)


def furniture_of_pages(pages: Sequence[tuple[frozenset[str], frozenset[str]]], *, min_articles: int = 3,
                       min_share: float = 0.05) -> frozenset[str]:
    """site_furniture() from the page_furniture_keys() of a site's articles."""
    threshold = max(min_articles, math.ceil(min_share * len(pages)))
    if len(pages) < threshold:
        return frozenset()
    counts: collections.Counter[str] = collections.Counter()
    label_counts: collections.Counter[str] = collections.Counter()
    for keys, labels in pages:
        counts.update(keys)
        label_counts.update(labels)
    # A key needs a word: separator lines ("___", "* * *") are the story's own typography.
    found = {key for key, count in counts.items() if count >= threshold and re.search(r"[^\W\d_]", key)}
    found |= {label for label, count in label_counts.items() if count >= threshold}
    return frozenset(found)


# --------------------------------------------------------------------------
# Cleaning
# --------------------------------------------------------------------------

_TOP_SCAN = 8  # a dateline further down than this is not the story's opening


def clean_text(text: str, *, title: str | None = None, furniture: frozenset[str] = frozenset(),
               byline: str | None = None, site_titles: Iterable[str] = ()) -> Cleaned:
    """Strip wrapper lines from an article body and find its dateline and agency.

    Takes the extracted text (one paragraph per line), the article's title
    (a first line repeating it is dropped), the site's furniture keys (see
    site_furniture()), the byline (an agency byline names the wire) and the
    headlines of the site's other articles (lines that only link to them are
    dropped).

    Removed: photo captions with credits, copyright and syndication credits,
    staff credits ("Reporting by ...; Editing by ..."), comment prompts,
    share, newsletter and follow-us lines, related/read-more links and the
    lists under their headings, plugin and ad junk, editor's notes, bylines
    and date lines at the edges, short lines above the dateline, and site
    furniture. Sentences of the story that merely mention an agency stay.

    The wire agency comes from the dateline tag, else from credit lines,
    else from the byline, else from photo credits. Returns a Cleaned record.
    """
    return clean_page(text, title, furniture, byline, site_title_keys(site_titles))


def site_title_keys(titles: Iterable[str | None]) -> frozenset[str]:
    """The keys of a site's headlines, for clean_page() (computed once per batch)."""
    return frozenset(filter(None, map(_title_key, filter(None, titles))))


def clean_page(text: str, title: str | None, furniture: frozenset[str], byline: str | None,
               title_keys: frozenset[str], check: Callable[[], None] = lambda: None) -> Cleaned:
    """clean_text() with the site's headline keys given (site_title_keys()).

    `check` is called once a line of each pass (a CPU budget's check: it may raise to stop the page).
    """
    lines = normalize_lines(text)
    own_title = _title_key(title) if title else ""
    kinds: list[str | None] = [None] * len(lines)

    for index, line in enumerate(lines):
        check()
        kind = classify_line(line)
        if kind is None and furniture:
            key = furniture_key(line, [title] if title else [])
            label = _label_key(line) if len(_words(line)) <= 30 else None
            if key in furniture or label in furniture or _prefix_key(line) in furniture:
                kind = "furniture"
        if kind is None and title_keys and _links_site_article(line, title_keys):
            kind = "related"
        kinds[index] = kind

    _keep_own_assignments(lines, kinds)
    _mark_inline_headlines(lines, kinds)
    _mark_repeated_runs(lines, kinds, check)

    # Lists under a link-list heading: their items are other headlines. Bare
    # headline-like lines only count when the list runs to the end of the
    # body (a "Don't miss" box inside a story may precede real short lines),
    # but for the first: a heading links to something.
    # Marking only turns lines of a list into "related": where a list ends does not change, so a
    # heading inside the list of one above it shares its end, and the marks that one made (a
    # page of thousands of headings in a row looked down the whole run from each of them).
    follow, marked = 0, set()
    for index, line in enumerate(lines):
        if kinds[index] != "related" or not _is_list_heading(_bare(line)):
            continue
        if index + 1 < len(lines) and kinds[index + 1] is None and _is_headline_like(lines[index + 1]) \
                and len(_words(lines[index + 1])) <= 20 and not _TAG_HEADING.match(_bare(line)):
            kinds[index + 1] = "related"
        follow = max(follow, index + 1)
        while follow < len(lines) and (kinds[follow] is not None or _is_list_item(lines[follow])
                                       or _is_headline_like(lines[follow])):
            check()
            follow += 1
        # The list stops at a line kept as story, so only a list that runs to the end reaches it.
        # Tag and topic lists are single words a story's own lists also look like.
        reaches_end = follow == len(lines) and not _TAG_HEADING.match(_bare(line))
        if (follow, reaches_end) in marked:   # a heading above in the same list marked these already
            continue
        marked.add((follow, reaches_end))
        for item in range(index + 1, follow):
            if kinds[item] is None and (reaches_end or _is_list_item(lines[item])):
                kinds[item] = "related"

    check()
    dateline, dateline_agency, start = _locate_dateline(lines, kinds)
    if start is not None:
        # Above the dateline there is no story: captions without credit,
        # kickers, bylines, the title again.
        for index in range(start):
            if kinds[index] is None and not _is_long_prose(lines[index]):
                kinds[index] = "top"
    _mark_edges(lines, kinds, own_title)
    _mark_teasers(lines, kinds, start)
    _mark_leftovers(lines, kinds)

    kept = [line for line, kind in zip(lines, kinds) if kind is None]
    removed = tuple(line for line, kind in zip(lines, kinds) if kind is not None)
    if not kept:
        # Everything looked like a wrapper: better an uncleaned body than none.
        kept, removed = lines, ()
    agency = dateline_agency or _agency_from_removed(lines, kinds) or _byline_agency(byline) \
        or _agency_from_removed(lines, kinds, kinds_allowed=("caption", "top"))
    return Cleaned(text="\n".join(kept), removed=removed, wire_agency=agency, dateline=dateline)


# A separator rule has neither letters nor digits ("___", "* * *"); "02-751-1500" is a phone number.
_NO_LETTERS = re.compile(r"^[\W_]*$")
_CAPTION_NEIGHBOURS = frozenset({"caption", "credit", "furniture"})


def _mark_leftovers(lines: list[str], kinds: list[str | None]) -> None:
    """Mark what removing wrappers leaves stranded at the edges.

    Separator rules ("___", "* * *") at the very top or bottom once the
    wrappers are gone introduce nothing; a short caption-like line above
    the first paragraph that sits next to a removed caption or credit is
    the other half of a two-line caption block.
    """
    for order in (range(len(lines)), range(len(lines) - 1, -1, -1)):
        for index in order:
            if kinds[index] is not None:
                continue
            if not _NO_LETTERS.match(lines[index]):
                break
            kinds[index] = "separator"
    before = list(kinds)  # judge neighbours as classified, so that marks do not chain
    for index, line in enumerate(lines):
        if kinds[index] is not None:
            continue
        if _is_prose(line) or len(_words(line)) > 15 or not _is_headline_like(line):
            break
        neighbours = (before[index - 1] if index else None, before[index + 1] if index + 1 < len(kinds) else None)
        if any(kind in _CAPTION_NEIGHBOURS for kind in neighbours):
            kinds[index] = "caption"


def _mark_teasers(lines: list[str], kinds: list[str | None], start: int | None) -> None:
    """Mark teasers of other stories trailing the body.

    Extractors often pull in a "more from this site" box as bare lead
    sentences, each opening with its own dateline. A story has one
    dateline, so dateline-led lines below it, in the trailing run of
    wrapper lines, are other stories.
    """
    first = start if start is not None else -1
    for index in range(len(lines) - 1, first, -1):
        if kinds[index] is not None:
            continue
        if index <= first + 1 or not find_dateline(lines[index]):
            break
        kinds[index] = "teaser"


# "Lakers vs Nets: NBA make final decision [VIDEO]": a link's media tag.
_MEDIA_TAG = re.compile(r"\[[A-Z]{3,12}(?: [A-Z]{3,12})?\]$")


def _mark_inline_headlines(lines: list[str], kinds: list[str | None]) -> None:
    """Mark headlines of other stories set between the story's paragraphs.

    Sites put links to other stories between paragraphs, styled as headlines: in capitals
    ("CO-FOUNDER 'PROUD' OF HOME DEPOT EMPLOYEES") or tagged with their medium ("... [VIDEO]").
    A crosshead of the story itself is short or in sentence case.
    """
    for index, line in enumerate(lines):
        if kinds[index] is not None or not _is_headline_like(line):
            continue
        words = _words(line)
        letters = [char for char in line if char.isalpha()]
        # Eight words at least: a crosshead in capitals is shorter ("HOW TO USE A WATER BATH CANNER");
        # a table row in capitals is data (bars, several numbers).
        shouting = len(words) >= 8 and "|" not in line and sum(word.isdigit() for word in words) <= 1 \
            and all(char.isupper() for char in letters)
        if shouting or (len(words) >= 4 and _MEDIA_TAG.search(line.rstrip())):
            kinds[index] = "related"


_REPEATED_RUN = 4  # paragraphs in a row; a story repeats a question or a line, not four paragraphs


def _mark_repeated_runs(lines: list[str], kinds: list[str | None], check: Callable[[], None]) -> None:
    """Mark a second copy of the story's paragraphs: pages that print the article twice.

    A run of paragraphs (of eight words or more; short lines in between are skipped) that
    occurred in the same order earlier is a copy when it is as long as half of the distinct ones before
    it, and _REPEATED_RUN at least: a meal plan that repeats a day is not a second copy.
    """
    long = [index for index, line in enumerate(lines) if kinds[index] is None and len(_words(line)) >= 8]
    keys = [_fold(lines[index]) for index in long]
    first: dict[str, int] = {}
    position = 0
    while position < len(keys):
        check()
        earlier = first.get(keys[position])
        if earlier is None:
            first[keys[position]] = position
            position += 1
            continue
        run = 0
        while position + run < len(keys) and earlier + run < position and keys[earlier + run] == keys[position + run]:
            run += 1
        if run >= max(_REPEATED_RUN, len(first) / 2):
            for offset in range(run):
                kinds[long[position + offset]] = "duplicate"
        position += max(run, 1)


def _is_list_heading(bare: str) -> bool:
    """A heading over a list of links: "Related articles", "Lesen Sie auch:", "Czytaj też"."""
    if _LINK_LIST_HEADING.match(bare):
        return True
    match = _READ_ALSO.match(bare)
    return bool(match) and not bare[match.end():].strip(" :»>|.…)]–—-")


def _keep_own_assignments(lines: list[str], kinds: list[str | None]) -> None:
    """Give back the "name = value" lines that belong to the story: code, configuration, lists.

    A plugin's leaked setting stands alone among the wrappers; the story's own such lines are
    list items, follow a line that introduces them (ending in ":"), or form a block of code-like
    lines with the story going on below it.
    """
    index = 0
    while index < len(lines):
        if not _CODE_LINE.search(_bare(lines[index])):
            index += 1
            continue
        end = index
        while end < len(lines) and _CODE_LINE.search(_bare(lines[end])):
            end += 1
        introduced = index > 0 and kinds[index - 1] is None and lines[index - 1].rstrip().endswith(":")
        story_goes_on = any(kind is None for kind in kinds[end:])
        for item in range(index, end):
            if kinds[item] == "plugin" and _ASSIGNMENT.search(_bare(lines[item])) and not _is_plugin(
                    _bare(lines[item])) and (introduced or _is_list_item(lines[item])
                                             or (end - index >= 2 and story_goes_on)):
                kinds[item] = None
        index = end


_SITE_LINK_LABEL = re.compile(rf"^[^:|»{_ARROWS[1:-1]}]{{1,40}}[:|»{_ARROWS[1:-1]}]\s*(.+)$")


def _links_site_article(line: str, title_keys: frozenset[str]) -> bool:
    """A line that is another headline of the site, bare or after a short label
    ("Don't miss: <headline>")."""
    if not _is_headline_like(line):
        return False
    if _title_key(_bare(line)) in title_keys:
        return True
    label = _SITE_LINK_LABEL.match(_bare(line))
    return bool(label and len(_words(label.group(0)[:label.start(1)])) <= 4
                and _title_key(label.group(1)) in title_keys)


def _is_long_prose(line: str) -> bool:
    return _is_prose(line) and len(_words(line)) >= 25


def _locate_dateline(lines: list[str], kinds: list[str | None]) -> tuple[str | None, str | None, int | None]:
    """Find the dateline among the first body lines: (dateline, agency, line index)."""
    seen = 0
    for index, line in enumerate(lines):
        if kinds[index] is not None:
            continue
        found = find_dateline(line)
        if found:
            return found[0], found[1], index
        seen += 1
        if seen >= _TOP_SCAN:
            break
        if _is_long_prose(line):
            return _dateline_after_standfirst(lines, kinds, index)
    return None, None, None


def _dateline_after_standfirst(lines: list[str], kinds: list[str | None], standfirst: int
                               ) -> tuple[str | None, str | None, int | None]:
    """The dateline of the paragraph right after a standfirst ("LINZ – ..." below a long lead).

    Unless the paragraph after it opens with a dateline too: then they are teasers of other stories.
    """
    following = [index for index in range(standfirst + 1, len(lines)) if kinds[index] is None][:2]
    if not following:
        return None, None, None
    found = find_dateline(lines[following[0]])
    if not found or (len(following) > 1 and find_dateline(lines[following[1]])):
        return None, None, None
    return found[0], found[1], following[0]


def _mark_edges(lines: list[str], kinds: list[str | None], own_title: str) -> None:
    """Mark editor's notes, bylines, dates and title repeats at the top and bottom."""
    def edge_kind(line: str, top: bool) -> str | None:
        bare = _bare(line)
        if _EDITOR_NOTE.search(bare) and len(_words(bare)) <= 60:
            return "editor_note"
        if top and own_title and _title_key(bare) == own_title:
            return "title"
        if top and own_title and not find_dateline(bare) and not _SENTENCE_END.search(bare):
            key = _title_key(bare)
            # "UPDATE: <title> | Site" or a clipped title, not a lead that
            # happens to contain the headline's words.
            if own_title in key and len(key.split()) - len(own_title.split()) <= 8:
                return "title"
            if key and key in own_title and len(key.split()) >= 4:
                return "title"
        if _BYLINE.match(bare) and len(_words(bare)) <= 12:
            return "byline"
        if _is_date_only(bare) or (top and _is_post_meta(bare)):
            return "date"
        if not top and _CONTACT_ONLY.match(bare):
            return "byline"
        return None

    for order, top in ((range(len(lines)), True), (range(len(lines) - 1, -1, -1), False)):
        for index in order:
            if kinds[index] is not None:
                continue
            kind = edge_kind(lines[index], top)
            if kind is None:
                break
            kinds[index] = kind


# A line that is only a way to reach the writer, under the story: an address, a profile, a handle.
_CONTACT_ONLY = re.compile(r"^(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://)?(?:www\.)?(?:twitter|x|facebook|instagram|"
                           r"linkedin|threads|bsky)\.(?:com|net|app)/[\w.@/-]+|@\w{2,30})$", re.I)
# The parts of a post's meta line: "05/10/2018 - Posted by: Jane Roe - Category: Health - Tags: roads".
_META_SEPARATOR = re.compile(r"\s[-|•·–—]\s")
_META_LABEL = re.compile(r"^([^\W\d_][^:]{0,30}):\s*\S")


def _is_post_meta(bare: str) -> bool:
    """A post's meta line: a date and labelled fields ("Posted by: …", "Category: …"), nothing else."""
    parts = [part.strip() for part in _META_SEPARATOR.split(bare)]
    if len(parts) < 3 or len(_words(bare)) > 25:
        return False
    labelled = [bool(label) and len(_words(label.group(1))) <= 3 for label in map(_META_LABEL.match, parts)]
    dated = [not is_labelled and _is_date_only(part) for part, is_labelled in zip(parts, labelled)]
    return sum(labelled) >= 2 and any(dated) and all(a or b for a, b in zip(labelled, dated))


# Related links and teasers quote other stories' datelines; they never name this one's agency.
_CREDIT_KINDS = ("credit", "editor_note", "byline")


def _agency_from_removed(lines: list[str], kinds: list[str | None],
                         kinds_allowed: tuple[str, ...] = _CREDIT_KINDS) -> str | None:
    """The agency named by removed lines of the given kinds (first one wins)."""
    for line, kind in zip(lines, kinds):
        if kind in kinds_allowed:
            agency = agency_in(line)
            if agency:
                return agency
    return None


def clean_site_batch(texts: Sequence[str], titles: Sequence[str | None], *,
                     known_furniture: frozenset[str] = frozenset(),
                     bylines: Sequence[str | None] | None = None) -> list[Cleaned]:
    """Clean a batch of articles from one site, learning its furniture on the way.

    Takes the extracted texts of one site's articles, their titles (same
    length; None where unknown), furniture keys learned earlier for the
    site, and optionally the bylines. Furniture found in this batch is added
    to known_furniture; every title of the batch is used to recognise links
    to the site's other articles.

    Returns one Cleaned per text, in order. Raises ValueError when titles
    (or bylines) and texts differ in length.
    """
    _check_lengths(texts, titles, bylines)
    return clean_with_furniture(texts, titles, known_furniture | site_furniture(texts, titles), bylines)


def clean_with_furniture(texts: Sequence[str], titles: Sequence[str | None], furniture: frozenset[str],
                         bylines: Sequence[str | None] | None = None) -> list[Cleaned]:
    """Clean one site's articles with its furniture already learned (see clean_site_batch)."""
    _check_lengths(texts, titles, bylines)
    title_keys = site_title_keys(titles)
    return [clean_page(text, titles[index], furniture, bylines[index] if bylines is not None else None, title_keys)
            for index, text in enumerate(texts)]


def _check_lengths(texts: Sequence[str], titles: Sequence[str | None], bylines: Sequence[str | None] | None) -> None:
    if len(titles) != len(texts):
        raise ValueError(f"clean_site_batch: {len(texts)} texts but {len(titles)} titles")
    if bylines is not None and len(bylines) != len(texts):
        raise ValueError(f"clean_site_batch: {len(texts)} texts but {len(bylines)} bylines")

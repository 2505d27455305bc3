"""Direct and partial quotes from a parsed article, with speaker as written, resolved and linked."""

from __future__ import annotations

import bisect
import itertools
import re
import weakref
from dataclasses import dataclass, field
from collections.abc import Iterable, Iterator
from typing import Any, Callable

from spacy.tokens import Doc, Token

from tasks.entities import extract_entities, full_name_in_text, normalize_name
from tasks.lang import Profile, profile_for
from tasks.lang.en import CUE_LEMMA  # noqa: F401 - the English table, as before

OPEN_MARKS = "“«„‟"
CLOSE_MARKS = "”»"
STRAIGHT_MARK = '"'
_ALL_MARKS = OPEN_MARKS + CLOSE_MARKS + STRAIGHT_MARK
_INNER_STRIP = " \t\u00a0\u202f\u2009"
_SENT_END = frozenset({".", "?", "!"})
_MARK = re.compile(f"[{re.escape(_ALL_MARKS)}]")
# Doc.text joins every token's text anew at each call: one per mention was quadratic in the doc
# (a 90,000-character text of 1,000 quotes spent 45 s of CPU there). Read once a doc.
_TEXTS: "weakref.WeakKeyDictionary[Doc, str]" = weakref.WeakKeyDictionary()


def _text(doc: Doc) -> str:
    text = _TEXTS.get(doc)
    if text is None:
        text = _TEXTS[doc] = doc.text
    return text
_SUBJ_DEPS = frozenset({"nsubj", "nsubjpass", "nsubj:pass"})


@dataclass
class _Span:
    """One pair of quote marks, possibly running over several paragraphs."""

    open_char: int  # position of the opening mark
    close_char: int  # position of the closing mark
    start: int  # quote text start (inside the marks, whitespace trimmed)
    end: int  # quote text end
    continuation_marks: list[int] = field(default_factory=list)
    # Set when an incise inside the marks attributes it (« A, a précisé X. B. »): see _split_incises.
    preset: "_Attribution | None" = None


def _find_mark_spans(text: str, orphans: list[int] | None = None) -> list[_Span]:
    """Pair quote marks paragraph by paragraph; an unclosed paragraph continues into the next
    one when that opens with a quote mark (the news convention for multi-paragraph quotes).
    The positions of curly closing marks with no opening one before them in their paragraph
    are added to `orphans` when given (see _orphan_span)."""
    spans: list[_Span] = []
    paragraphs: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        paragraphs.append((offset, offset + len(line)))
        offset += len(line) + 1

    open_at: int | None = None
    continuation: list[int] = []
    last_start, last_end = 0, 0   # the last paragraph with text
    for p_start, p_end in paragraphs:
        i = p_start
        if open_at is not None and not text[p_start:p_end].strip(_INNER_STRIP):
            continue  # a blank line between paragraphs (real copy often has them)
        if open_at is not None:
            # The previous paragraph left a quote open; it carries on only if this one re-opens.
            first = p_start
            while first < p_end and text[first] in _INNER_STRIP:
                first += 1
            if first < p_end and text[first] in OPEN_MARKS + STRAIGHT_MARK:
                continuation.append(first)
                i = first + 1
            else:
                # (the last paragraph with text ends the text before this one: no copy of all of it)
                last = text[last_start:last_end].rstrip(_INNER_STRIP)
                if (continuation or _opens_sentence(text, open_at)) and last[-1:] in _SENT_END:
                    # A quote over several paragraphs that an embedded post or a caption cuts
                    # before its closing mark ends with its last full sentence; so does a
                    # sentence in marks whose closing mark was lost at its paragraph's end.
                    span = _make_span(text, open_at, last_start + len(last), continuation)
                    if span is not None:
                        spans.append(span)
                open_at, continuation = None, []
        if text[p_start:p_end].strip(_INNER_STRIP):
            last_start, last_end = p_start, p_end
        first_mark: int | None = None   # the paragraph's first mark, once asked for
        nested: str | None = None
        outer: int | None = None   # a curly quote that a second “ opened inside (see below)
        outer_from = 0
        while i < p_end:
            ch = text[i]
            if nested is not None:
                # Inside « … “…” … » the inner pair belongs to the quote.
                if ch == nested:
                    nested = None
                i += 1
                continue
            is_open = ch in OPEN_MARKS
            is_close = ch in CLOSE_MARKS
            if open_at is not None and text[open_at] == "“" and text[i:i + 2] in ("’’", "''"):
                # “…,’’ X said: two apostrophes close a curly quote in some wire copy.
                span = _make_span(text, open_at, i, continuation)
                if span is not None:
                    span.close_char = i + 1
                    spans.append(span)
                open_at, continuation = None, []
                i += 2
                continue
            if ch == "”" and open_at is None and i + 1 < p_end and text[i + 1].isalpha() \
                    and (i == p_start or not text[i - 1].isalnum()):
                is_open, is_close = True, False   # ”dwindling.”: a closing mark typed to open
            if ch == "“" and open_at is not None and text[open_at] == "“" and i > p_start \
                    and not text[i - 1].isspace() and (i + 1 == p_end or not text[i + 1].isalnum()):
                is_open, is_close = False, True   # “We will win,“ she said: an opening mark typed to close
            if ch == STRAIGHT_MARK:
                is_open = open_at is None
                is_close = not is_open
            elif ch == "“" and open_at is not None and text[open_at] == "„":
                is_open, is_close = False, True  # German-style „…“
            elif is_open and open_at is not None and text[open_at] == "«" and ch != "«":
                nested = "”"
                i += 1
                continue
            elif ch == "»" and open_at is not None and text[open_at] != "«":
                is_close = False  # a stray guillemet cannot close a curly quote
            if is_open:
                # A second opening mark means the first one was never closed: restart. Unless a
                # closing mark with none open comes later in the paragraph: then the first one
                # held a quote inside the quote in the same marks (“It’s the “Wild West” out
                # there,” he said).
                if ch == "“" and open_at is not None and text[open_at] == "“" and not continuation and outer is None:
                    outer, outer_from = open_at, len(spans)
                open_at, continuation = i, []
            elif is_close and open_at is not None:
                span = _make_span(text, open_at, i, continuation)
                if span is not None:
                    spans.append(span)
                open_at, continuation = None, []
            elif ch == "”" and open_at is None and outer is not None:
                span = _make_span(text, outer, i, [])
                if span is not None:
                    del spans[outer_from:]
                    spans.append(span)
                outer = None
            elif ch == "”" and open_at is None and orphans is not None:
                # No mark before it in its paragraph (looked for once a paragraph: each mark
                # looking back over the paragraph was quadratic, minutes on a long one).
                if first_mark is None:
                    found = _MARK.search(text, p_start, p_end)
                    first_mark = found.start() if found else p_end
                if first_mark >= i:
                    orphans.append(i)
            i += 1
    if open_at is not None and _opens_sentence(text, open_at) and text.rstrip(_INNER_STRIP + "\n")[-1:] in _SENT_END:
        span = _make_span(text, open_at, len(text.rstrip(_INNER_STRIP + "\n")), continuation)
        if span is not None:
            spans.append(span)
    return spans


def _opens_sentence(text: str, mark: int) -> bool:
    """Whether the opening mark at `mark` starts a sentence (its paragraph's start, or after a
    colon or a sentence's end) and the words after it start with a capital: a quoted sentence,
    which a lost closing mark leaves running to its paragraph's end."""
    k = mark - 1
    while k >= 0 and text[k] in _INNER_STRIP:
        k -= 1
    return (k < 0 or text[k] in "\n:" + "".join(_SENT_END)) and text[mark + 1:mark + 2].isupper()


_FIRST_PERSON = frozenset({"i", "we", "my", "our", "me", "us", "i'm", "we're", "you"})


def _orphan_span(doc: Doc, index: "_TokenIndex", close_char: int) -> _Span | None:
    """The quote of a closing mark whose opening mark was lost (“We got it wrong,” she said, with
    the first mark missing): the sentence that ends at the mark, and the sentences before it in
    its paragraph as long as they speak in the first person (the reporter's own do not). The
    caller keeps it only with an attribution after the mark."""
    text = _text(doc)
    close_tok = index.at(close_char).i
    lo = _paragraph_token_start(doc, close_tok)
    start = max(doc[close_tok].sent.start, lo)
    if start == close_tok:
        start = max(doc[close_tok - 1].sent.start, lo) if close_tok > lo else start
    while start > lo:
        prev = doc[max(doc[start - 1].sent.start, lo):start]
        if not any(t.lower_ in _FIRST_PERSON for t in prev) or any(t.text in _ALL_MARKS for t in prev):
            break
        start = prev.start
    if start >= close_tok:
        return None
    span = _make_span(text, doc[start].idx - 1, close_char, [])
    if span is not None:
        span.open_char = span.start   # no mark: the quote's first character stands for it
    return span


_SINGLE_PAIRS = {"‘": "’", "'": "'"}
_SINGLE_REACH = 3000   # characters: longer than any one-paragraph quote
_SINGLE_CLOSE_MARKS = {"’": re.compile("[’‘]"), "'": re.compile("'")}
# Words a straight apostrophe opens ("rock 'n' roll", "'em", "'til"): elisions, not quotes.
_ELISIONS = frozenset({"n", "em", "til", "cause", "bout", "tis", "twas", "round", "kay"})


def _single_closers(text: str, p_start: int, p_end: int, close: str) -> tuple[list[int], list[int]]:
    """The marks of one kind in a paragraph that can close a single-quoted stretch, in order:
    (sure, possessive). A closing mark is one not followed by a letter or digit ("wasn’t" is an
    apostrophe); one after an "s" and before a space may be a plural possessive ("the workers’
    union"), the others are sure."""
    sure: list[int] = []
    possessive: list[int] = []
    # (an opening ‘ typed to close, after a word and before a space or a mark, closes too)
    for m in _SINGLE_CLOSE_MARKS[close].finditer(text, p_start, p_end):
        j = m.start()
        after = text[j + 1:j + 2] if j + 1 < p_end else ""
        before = text[j - 1] if j > p_start else " "
        if not after.isalnum() and not before.isspace():
            (possessive if after == " " and before in "sS" else sure).append(j)
    return sure, possessive


def _single_close(i: int, closers: tuple[list[int], list[int]],
                  inside: Callable[[int], bool] = lambda _: False) -> int | None:
    """The mark closing a single-quoted stretch opened at i: the first sure closer after it, else
    the first possessive-looking one (when no other mark closes), within _SINGLE_REACH characters;
    a mark for which `inside` holds (inside a double-marked quote) is passed over."""
    for marks in closers:
        k = bisect.bisect_right(marks, i)
        while k < len(marks) and marks[k] - i <= _SINGLE_REACH:
            if not inside(marks[k]):
                return marks[k]
            k += 1
    return None


def _find_single_spans(text: str, taken: list[_Span]) -> list[_Span]:
    """Quotes in British single marks (‘…’ or '…') outside the double-marked ones, whose inner
    quotes they would otherwise be: an opening mark at a paragraph's start or after a space or
    a bracket, before a letter (not a digit: "’90s"; not an elision: "rock 'n' roll"), closed
    by _single_close in its paragraph; an unclosed quote that ends a sentence goes on into the
    next paragraph when that re-opens with the same mark. Linear in the text."""
    if "‘" not in text and " '" not in text and "\n'" not in text and not text.startswith("'"):
        return []
    blocked = sorted((sp.open_char, sp.close_char) for sp in taken)
    starts = [lo for lo, _ in blocked]

    def in_double(char: int) -> bool:
        k = bisect.bisect_right(starts, char) - 1
        return k >= 0 and blocked[k][0] <= char <= blocked[k][1]
    spans: list[_Span] = []
    paragraphs, offset = [], 0
    for line in text.split("\n"):
        paragraphs.append((offset, offset + len(line)))
        offset += len(line) + 1
    b = 0
    pending: tuple[int, str, list[int]] | None = None   # an open quote carried into the next paragraph
    for p_start, p_end in paragraphs:
        if not text[p_start:p_end].strip(_INNER_STRIP):
            continue
        i = p_start
        closers: dict[str, tuple[list[int], list[int]]] = {}
        if pending is not None:
            open_at, mark, continuation = pending
            pending = None
            first = p_start
            while first < p_end and text[first] in _INNER_STRIP:
                first += 1
            if text[first:first + 1] == mark:
                j = _single_close(first, _single_closers(text, p_start, p_end, _SINGLE_PAIRS[mark]), in_double)
                if j is None:
                    # (the paragraph has text: the text up to its end ends in it; no copy of all of it)
                    if text[p_start:p_end].rstrip(_INNER_STRIP)[-1:] in _SENT_END:
                        continuation.append(first)   # (its own list: a copy per paragraph was quadratic)
                        pending = (open_at, mark, continuation)
                    continue
                span = _make_span(text, open_at, j, continuation + [first])
                if span is not None:
                    spans.append(span)
                i = j + 1
        while i < p_end:
            while b < len(blocked) and blocked[b][1] < i:
                b += 1
            if b < len(blocked) and blocked[b][0] <= i <= blocked[b][1]:
                i = blocked[b][1] + 1
                continue
            ch = text[i]
            if ch not in _SINGLE_PAIRS or not (i == p_start or text[i - 1] in " \t\u00a0([—–-") \
                    or not (text[i + 1:i + 2].isalpha() or text[i + 1:i + 2] in ("…", ".")):
                i += 1
                continue
            word_end = i + 1
            while word_end < p_end and text[word_end].isalpha():
                word_end += 1
            if ch == "'" and text[i + 1:word_end].lower() in _ELISIONS:
                i = word_end
                continue
            if ch not in closers:
                closers[ch] = _single_closers(text, p_start, p_end, _SINGLE_PAIRS[ch])
            j = _single_close(i, closers[ch], in_double)
            nxt = blocked[b][0] if b < len(blocked) else len(text)
            k = b
            while j is not None and k < len(blocked) and blocked[k][0] < j:
                if blocked[k][1] > j:
                    j = None   # a double-marked quote runs across the mark: no pair
                k += 1   # (one inside the pair is a quote within the quote: ‘He told me “calm down”,’ she said)
            if j is None:
                if nxt > p_end and text[p_start:p_end].rstrip(_INNER_STRIP)[-1:] in _SENT_END \
                        and (i == p_start or text[p_start:i].rstrip(_INNER_STRIP)[-1:] in ("", ":", *_SENT_END)):
                    pending = (i, ch, [])
                break
            span = _make_span(text, i, j, [])
            if span is not None:
                spans.append(span)
            i = j + 1
    return spans


def _split_incises(doc: Doc, index: "_TokenIndex", spans: list[_Span]) -> list[_Span]:
    """Cut a quote at an incise inside its marks: « A, a précisé X. B. » is two quotes of X.

    French copy keeps the marks open over the attribution. A comma inside the marks followed
    by an inverted cue clause (_attribution_inverted), then a noun phrase or an apposition up to
    a full stop with more quoted text after it, is read as such an incise; the two parts carry
    its attribution.
    """
    if not _lang(doc).clitics:
        return spans
    out: list[_Span] = []
    text = _text(doc)
    for sp in spans:
        first_tok, last_tok = index.at(sp.start).i, index.at(sp.end - 1).i
        parts = None
        for c in range(first_tok + 2, last_tok - 2):
            if doc[c].text != ",":
                continue
            attr = _attribution_inverted(doc, c + 1, last_tok)
            if attr is None:
                continue
            dot = attr.speaker_end
            while dot < last_tok and doc[dot].text not in _SENT_END and doc[dot].pos_ not in ("VERB", "AUX") \
                    and doc[dot].text not in _ALL_MARKS and "\n" not in doc[dot].text:
                dot += 1
            if dot >= last_tok or doc[dot].text not in _SENT_END:
                continue
            comma_char, dot_char = doc[c].idx, doc[dot].idx
            first = _make_span(text, sp.open_char, comma_char, [m for m in sp.continuation_marks if m < comma_char])
            second = _make_span(text, dot_char, sp.close_char, [m for m in sp.continuation_marks if m > dot_char])
            if first is None or second is None:
                continue
            first.preset = attr
            second.preset = _Attribution(attr.speaker_start, attr.speaker_end, attr.cue, "before")
            parts = [first, second]
            break
        out.extend(parts or [sp])
    return out


def _make_span(text: str, open_char: int, close_char: int, continuation: list[int]) -> _Span | None:
    start, end = open_char + 1, close_char
    while start < end and text[start] in _INNER_STRIP:
        start += 1
    while end > start and text[end - 1] in _INNER_STRIP + ",":
        end -= 1
    if end <= start:
        return None
    return _Span(open_char, close_char, start, end, list(continuation))


class _TokenIndex:
    """Character offset -> token lookup."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.starts = [t.idx for t in doc]

    def at(self, char: int) -> Token:
        i = bisect.bisect_right(self.starts, char) - 1
        return self.doc[max(i, 0)]


def _is_cue(token: Token, *, embedded: bool = False) -> str | None:
    P = _lang(token.doc)
    lemma = P.cue_lemma.get(token.lower_)
    if lemma is None and P.code == "en" and token.lower_ in ("put", "puts") and token.i + 1 < len(token.doc) \
            and token.doc[token.i + 1].lower_ == "it" and _put_it_said(token):
        return "put"   # "as X put it", "X put it simply": the idiom is a verb of saying
    if lemma is None or not P.is_verb(token.tag_):
        return None
    if lemma in P.embed_only and not embedded:
        return None
    return lemma


_PUT_PLACES = frozenset("back away down there here off out up aside together in on into onto under over".split())


def _put_it_said(put: Token) -> bool:
    """Whether "put it" says something ("as X put it,", "put it simply", "put it this way"), not
    places a thing ("put it in the drawer", "put it back")."""
    doc = put.doc
    if put.i + 2 >= len(doc):
        return True
    nxt = doc[put.i + 2]
    if nxt.lower_ in _PUT_PLACES:
        return False
    return nxt.is_punct or nxt.pos_ == "ADV" or nxt.lower_ in ("this", "that", "another", "best", "differently")


def _subject(verb: Token) -> Token | None:
    for child in verb.children:
        if child.dep_ == "nsubj:pass":
            # Universal Dependencies models: a passive's subject is what the words are about
            # (« Il a été qualifié de « … » par le tribunal »); its agent is the speaker.
            return next((c for c in verb.children if c.dep_ == "obl:agent"), None)
        if child.dep_ in _SUBJ_DEPS:
            return child
    # "X has said" / "X was quoted as saying": the subject hangs on the governing verb.
    if verb.dep_ in ("xcomp", "pcomp", "advcl", "conj") and verb.head is not verb:
        for child in verb.head.children:
            if child.dep_ in _SUBJ_DEPS:
                return child
    # "issued a statement saying …": whoever issued it; "a letter stating …" alone: the text.
    if verb.dep_ == "acl" and verb.head.lower_ in _lang(verb.doc).document_nouns:
        gov = verb.head.head
        if verb.head.dep_ in ("dobj", "pobj") and gov is not verb.head:
            if gov.pos_ == "ADP":
                gov = gov.head
            issuer = next((c for c in gov.children if c.dep_ in _SUBJ_DEPS), None)
            if issuer is not None:
                return issuer
        return verb.head
    # "…, Early (still) says there is …": a surname the tagger read as an adverb modifying the
    # verb of saying after it (not a sentence's first word, which may be a real adverb).
    k = verb.i - 1
    while k > 0 and verb.doc[k].pos_ == "ADV" and verb.doc[k].is_lower:
        k -= 1
    before = verb.doc[k]
    if k < verb.i and before.dep_ == "advmod" and k < before.head.i <= verb.i and _name_like(before) \
            and k > before.sent.start and _is_cue(verb) is not None:
        return before
    return None


def _np_bounds(head: Token, lo: int, hi: int) -> tuple[int, int]:
    """Token bounds [start, end) of the noun phrase headed by ``head`` within [lo, hi),
    appositives and parentheticals after a comma cut off."""
    left = max(head.left_edge.i, lo)
    right = min(head.right_edge.i + 1, hi)
    doc = head.doc
    for i in range(head.i + 1, right):
        tok = doc[i]
        spaced_hyphen = tok.text == "-" and bool(doc[i - 1].whitespace_)  # " - " as a dash, not "Asante-Boateng"
        if tok.text in {",", "(", "—", "–", ";", ":"} or spaced_hyphen or tok.is_space or tok.text in _ALL_MARKS:
            right = i
            break
    i = head.i - 1
    while i >= left:
        tok = doc[i]
        if tok.text in _ALL_MARKS and i - 1 > left and not doc[i - 1].is_punct:
            # A short title in marks inside the phrase: the “Pose” actor.
            opener = next((k for k in range(i - 1, max(left, i - 6) - 1, -1) if doc[k].text in _ALL_MARKS), None)
            if opener is not None and opener > left and doc[opener - 1].pos_ == "DET" \
                    and all(t.text[:1].isupper() or not t.is_alpha for t in doc[opener + 1:i]):
                i = opener - 1
                continue
        if tok.text in {",", "(", ")", "—", "–", ";", ":"} or tok.is_space or tok.text in _ALL_MARKS:
            left = i + 1
            break
        i -= 1
    return left, right


@dataclass
class _Attribution:
    speaker_start: int  # token index
    speaker_end: int
    cue: str
    pattern: str  # "after", "before" or "embedded"


def _paragraph_token_start(doc: Doc, i: int) -> int:
    """The first token of the paragraph holding token i (tokens before i only are looked at)."""
    return next((k + 1 for k in range(i - 1, -1, -1) if "\n" in doc[k].text), 0)


def _paragraph_token_end(doc: Doc, i: int) -> int:
    while i < len(doc) and "\n" not in doc[i].text:
        i += 1
    return i


def _attribution_after(doc: Doc, close_tok: int, quote_text: str, limit_tok: int,
                       opens_sentence: bool = False) -> _Attribution | None:
    """“…,” X said. / “…,” said X. / “…” (X told AFP) / “…,” according to X. `opens_sentence`:
    the quote is a clause opening its sentence (any verb inverted after it is a cue)."""
    i = close_tok + 1
    end = min(limit_tok, close_tok + 45)
    if i >= end:
        return None
    follows_punct = doc[i].text in {",", "(", "—", "–"}
    ends_punct = quote_text[-1:] in {",", ".", "?", "!", "…", "—", "-"} or doc[close_tok - 1].text in {",", "?", "!", "."}
    while i < end and doc[i].text in {",", "(", "—", "–"}:
        i += 1
    if i >= end:
        return None
    # "according to X"
    n = _according_at(doc, i)
    if n:
        obj = _according_object(doc, i, n, end)
        if obj is not None:
            s, e = _np_bounds(obj, i + n, end)
            return _Attribution(s, e, " ".join(t.lower_ for t in doc[i:i + n]), "after")
        return None
    if _lang(doc).clitics:
        attr = _attribution_inverted(doc, i, end, any_verb=opens_sentence)
        if attr is not None:
            return attr if (follows_punct or ends_punct) else None
    named = _named_relative_then_cue(doc, i, end, opens_sentence)
    if named is not None and (follows_punct or ends_punct):
        return named
    window_end = min(end, i + 25)
    for j in range(i, window_end):
        tok = doc[j]
        if tok.text in _SENT_END or tok.text in OPEN_MARKS or tok.is_space:
            break
        cue = _is_cue(tok, embedded=opens_sentence)   # “…,” the patient described: any verb of saying
        if cue is None:
            continue
        if j + 1 < end and doc[j + 1].text == ":":
            return None   # “…” Smith agreed: “…”: the verb introduces the next quote
        subj = _subject(tok)
        if subj is not None and subj.i < i:
            # The parse gave the verb a subject inside the quote too (“The mission I did …,”
            # Stafford responded): the one after the mark speaks.
            subj = next((c for c in tok.children if c.dep_ in _SUBJ_DEPS and c.i >= i), subj)
        if subj is None and j == i and j + 1 < end and doc[j + 1].pos_ in ("PROPN", "NOUN", "DET", "ADJ"):
            # “…,” wrote Fadem: the parser sometimes makes the inverted subject an object.
            nxt = doc[j + 1]
            subj = nxt if nxt.pos_ in ("PROPN", "NOUN") else nxt.head
        if subj is not None and subj.i > j:
            # Inverted: “…,” said the official.
            if j != i and not all(doc[k].dep_ in ("advmod", "aux", "neg") for k in range(i, j)):
                return None
            s, e = _np_bounds(subj, j + 1, end)
            if not (follows_punct or ends_punct):
                return None
            return _Attribution(s, e, cue, "after")
        if not (follows_punct or ends_punct or len(quote_text.split()) >= 3):
            return None
        if subj is not None and i <= subj.i < j:
            s, e = _np_bounds(subj, i, j)
            # Everything between the mark and the verb must be the subject (appositive included)
            # or verb helpers; otherwise the quoted words are part of a longer clause
            # ("“X” won the prize, the jury said").
            lo, hi = subj.left_edge.i, subj.right_edge.i
            if all(lo <= k <= hi or doc[k].dep_ in ("aux", "auxpass", "neg", "advmod") or doc[k].is_punct
                   for k in range(i, j)):
                return _Attribution(s, e, cue, "after")
        # The parser sometimes breaks "the regional company X said" apart; a verbless,
        # noun-phrase-shaped stretch between the mark and the cue is still the speaker.
        # A capitalized word the tagger took for an adverb or adjective is a name in this slot
        # (“…,” Early said; “…,” Young said).
        # Commas may list the titles before a name ("chairman, CEO and president Craig Menear").
        stretch = doc[i:j]
        titled_name = len(stretch) > 0 and stretch[-1].ent_type_ == _lang(doc).person and stretch[0].pos_ in ("NOUN", "PROPN", "ADJ")
        if 0 < len(stretch) <= 12 and (stretch[-1].pos_ in ("PROPN", "NOUN", "PRON") or _name_like(stretch[-1])) and all(
            (t.pos_ in _NP_POS or _name_like(t)) and t.text not in {"(", ")"} and (t.text != "," or titled_name)
            for t in stretch
        ):
            return _Attribution(i, j, cue, "after")
        return None
    return None


_NP_POS = frozenset({"DET", "ADJ", "NOUN", "PROPN", "NUM", "PART", "PRON", "ADP", "CCONJ", "PUNCT"})


def _named_relative_then_cue(doc: Doc, i: int, end: int, opens_sentence: bool) -> _Attribution | None:
    """“…,” Priya Anand, who joined … and has overseen …, told the committee: a name (a title
    before it allowed) and a relative clause of any length the parse may mangle, then a verb of
    saying right after a comma; the name speaks."""
    k = i
    while k < end and (doc[k].pos_ == "PROPN" or doc[k].pos_ == "NOUN" and k + 1 < end and doc[k + 1].pos_ == "PROPN"):
        k += 1
    if k == i or doc[k - 1].pos_ != "PROPN" or k + 1 >= end or doc[k].text != "," or doc[k + 1].lower_ != "who":
        return None
    for j in range(k + 2, end):
        if doc[j].text in _SENT_END or doc[j].is_space or doc[j].text in _ALL_MARKS:
            return None
        if doc[j - 1].text in (",", "—", "–") and (cue := _is_cue(doc[j], embedded=opens_sentence)) is not None:
            return _Attribution(i, k, cue, "after")
    return None


def _name_like(tok: Token) -> bool:
    """A capitalized word tagged adverb or adjective (a surname such as "Early" or "Young")."""
    return tok.pos_ in ("ADV", "ADJ") and tok.text[:1].isupper() and tok.text[1:2].islower()


def _attribution_before(doc: Doc, open_tok: int, lower_tok: int) -> _Attribution | None:
    """X said: “…” / X told reporters, “…”"""
    j = open_tok - 1
    while j >= lower_tok and doc[j].is_space:
        j -= 1
    if j < lower_tok or doc[j].text not in {":", ","}:
        return None
    for k in range(j - 1, max(lower_tok, j - 30) - 1, -1):
        tok = doc[k]
        if tok.text in _SENT_END or tok.text in CLOSE_MARKS or tok.is_space:
            return None
        cue = _is_cue(tok, embedded=True)   # "he urged voters, “…”": the nearest verb of saying
        if cue is None:
            continue
        subj = _subject(tok)
        if subj is None:
            return None
        s, e = _np_bounds(subj, lower_tok, open_tok)
        return _Attribution(s, e, cue, "before")
    return _words_of_source(doc, lower_tok, j)


_WORDS_OF = (("in", "the", "words", "of"), ("to", "quote"))


def _words_of_source(doc: Doc, lo: int, comma: int) -> _Attribution | None:
    """"In the words of X, “…”", "To quote X, “…”": the source the opening phrase names."""
    start = max(lo, doc[comma].sent.start)
    for words in _WORDS_OF:
        n = len(words)
        if start + n < comma and tuple(t.lower_ for t in doc[start:start + n]) == words:
            span = doc[start + n:comma]
            if any(t.pos_ in ("PROPN", "NOUN", "PRON") for t in span) and not any(t.pos_ in ("VERB", "AUX") for t in span):
                return _Attribution(start + n, comma, ":", "before")
    return None


def _attribution_embedded(doc: Doc, first_tok: int, last_tok: int, open_tok: int, close_tok: int) -> _Attribution | None:
    """A quoted fragment inside reported speech: X said the talks were “a good start”. When
    one report holds another (“Pompeo said Washington had concluded it was “…”), the words
    are given to the outermost speaker, whom the reporter quotes; "according to X" in the
    same sentence gives X."""
    if _lang(doc).varied_roles and (found := _relative_source(doc, open_tok)) is not None:
        return found
    tok = doc[first_tok]
    seen = 0
    found = None
    sent = doc[first_tok].sent
    # A parse may run a sentence over a paragraph break (the small French model does): the
    # report and its speaker are looked for in the quote's paragraph only.
    lo, hi = sent.start, sent.end
    for k in range(open_tok - 1, sent.start - 1, -1):
        if "\n" in doc[k].text:
            lo = k + 1
            break
    hi = min(hi, _paragraph_token_end(doc, close_tok))
    while tok.head is not tok and seen < 12:
        tok = tok.head
        seen += 1
        if first_tok <= tok.i <= last_tok:
            continue
        if not lo <= tok.i < hi:
            continue
        cue = _is_cue(tok, embedded=True)
        if cue is None:
            gerund = _with_gerund_source(tok) or _speech_noun_source(tok)
            if gerund is not None:
                found = gerund
                break
            continue
        subj = _subject(tok)
        if subj is not None and not lo <= subj.i < hi:
            subj = _leading_phrase(doc, lo, tok.i)
        if subj is not None and subj.lower_ in _lang(doc).relative_pronouns and tok.dep_ == "relcl" \
                and tok.head.pos_ in ("NOUN", "PROPN") and lo <= tok.head.i < open_tok:
            subj = tok.head   # "two reports that depicted “…”": the reports
        if subj is None and tok.dep_ in ("pcomp", "advcl", "xcomp", "conj"):
            continue   # "…, before describing the “physical fight”": the verb it hangs on speaks
        if subj is None or open_tok <= subj.i <= close_tok or subj.lower_ in _lang(doc).relative_pronouns:
            break
        s, e = _np_bounds(subj, lo, tok.left_edge.i if subj.i == tok.head.i else hi)
        found = _Attribution(s, e, cue, "embedded")
        if cue in _lang(doc).embed_only:
            break  # "licences it called “…”": the namer's words
    if found is None:
        # "Selling the stadium, the owner said, would “…”": the report is a parenthetical.
        for anc in (doc[first_tok], *doc[first_tok].ancestors):
            aside = next((c for c in anc.children if c.dep_ == "parataxis" and _is_cue(c) is not None
                          and not first_tok <= c.i <= last_tok), None)
            subj = _subject(aside) if aside is not None else None
            if subj is not None and not open_tok <= subj.i <= close_tok:
                s, e = _np_bounds(subj, sent.start, sent.end)
                found = _Attribution(s, e, _is_cue(aside), "embedded")
                break
    if found is None:
        found = _attribution_cue_before(doc, open_tok)
    P = _lang(doc)
    if found is None:
        start = sent.start
        if P.varied_roles:
            # The quote's own sentence in its paragraph, by its punctuation, not the parse's:
            # "Selon lui, … » .\nSelon elle, … « … »" read as one sentence, "Selon la préfecture,
            # « aucune victime … »" as two.
            start = _paragraph_token_start(doc, open_tok)
            start = next((k + 1 for k in range(open_tok - 1, start - 1, -1) if doc[k].text in _SENT_END), start)
        found = _according_before(doc, start, open_tok)
    elif P.varied_roles and not _source_like(doc[found.speaker_start:found.speaker_end].root, P):
        # "Selon un diplomate, la discussion pourrait reprendre « … »": the source the reporter
        # names, not the subject of a verb that only looks like a cue.
        found = _according_before(doc, max(sent.start, lo), open_tok) or found
    if found is None and P.varied_roles:
        # Where the parse misses verbs of saying, the clause's own source speaks (English copy
        # quotes labels and scare quotes in that slot: "they offered “free samples”").
        found = _clause_subject(doc, first_tok, last_tok, open_tok, close_tok, lo, hi) \
            or _opening_subject(doc, open_tok)
    if found is None and not P.varied_roles:
        # English: only a person named or a he/she as the clause's subject ("Analyst X sees the
        # lineup as its “Achilles heel”", "the purchases Mr. X requested, “…”"); "they" or a
        # company in that slot is as often the reporter's scare quote ("they offered “free samples”").
        found = _clause_subject(doc, first_tok, last_tok, open_tok, close_tok, lo, hi)
        if found is not None:
            head = doc[found.speaker_start:found.speaker_end].root
            if not (head.ent_type_ == P.person or head.lower_ in ("he", "she")):
                found = None
    return found


# Nouns of saying whose possessor is the speaker of the words in the clause they govern
# ("Trump's announcement that they had reached a “historic” agreement").
_SPEECH_NOUNS = frozenset("""
    announcement statement claim claims promise pledge warning assertion insistence suggestion argument
    remark remarks comment comments admission boast vow accusation allegation prediction assurance
    declaration testimony message tweet post
    """.split())


def _speech_noun_source(tok: Token) -> _Attribution | None:
    """The possessor of a noun of saying (English) that governs the clause holding a quote:
    "Despite X's announcement that the talks had produced a “historic” deal", "the minister's
    claim that the figures were “fabricated”"."""
    if tok.lower_ not in _SPEECH_NOUNS or tok.pos_ != "NOUN" or _lang(tok.doc).varied_roles:
        return None
    if not any(c.dep_ in ("acl", "ccomp", "relcl") and any(m.lower_ == "that" and m.dep_ == "mark" for m in c.children)
               for c in tok.children):
        return None   # the words in a "that" clause only ("claims of … “unbecoming” behaviour" are not)
    poss = next((c for c in tok.children if c.dep_ == "poss"), None)
    if poss is None or not (poss.pos_ == "PROPN" or poss.ent_type_ in ("PERSON", "ORG")
                            or poss.lower_ in ("his", "her", "their") or _source_like(poss, _lang(tok.doc))):
        return None
    s, e = _np_bounds(poss, poss.left_edge.i, tok.i)
    while e > s + 1 and tok.doc[e - 1].dep_ == "case":
        e -= 1
    return _Attribution(s, e, tok.lower_, "embedded")


def _with_gerund_source(tok: Token) -> _Attribution | None:
    """“…, with X warning of “…””: a verb of saying in -ing after "with" that the tagger made a
    noun, the words before it its subject ("with Jordan's foreign minister warning of", "with the
    mayor saying")."""
    P = _lang(tok.doc)
    if not (tok.tag_ == "NN" and tok.lower_.endswith("ing") and tok.lower_ in P.cue_lemma
            and tok.dep_ in ("pobj", "pcomp") and tok.head.lower_ == "with"):
        return None
    subj = next((c for c in tok.children if c.dep_ in _SUBJ_DEPS), None)
    s, e = _np_bounds(subj, tok.head.i + 1, tok.i) if subj is not None else (tok.left_edge.i, tok.i)
    if e <= s or not any(t.pos_ == "PROPN" or _source_like(t, P) for t in tok.doc[s:e]):
        return None
    return _Attribution(s, e, P.cue_lemma[tok.lower_], "embedded")


def _according_before(doc: Doc, lo: int, open_tok: int) -> _Attribution | None:
    """"according to X" / "selon X" (or a sentence-opening "Pour X,") between token lo and the
    opening mark."""
    for t in doc[lo:open_tok]:
        n = _according_at(doc, t.i) or _according_initial_at(doc, t.i)
        if n and t.i + n < open_tok:
            obj = _according_object(doc, t.i, n, open_tok)
            if obj is not None and obj.i < open_tok:
                s, e = _np_bounds(obj, t.i + n, open_tok)
                return _Attribution(s, e, " ".join(x.lower_ for x in doc[t.i:t.i + n]), "embedded")
    return None


def _relative_source(doc: Doc, open_tok: int) -> _Attribution | None:
    """A relative clause whose verb takes the quote: "a annoncé la direction, qui invoque
    « … »" -- the source is the relative pronoun's antecedent before the comma, read by shape
    (the small French model parses the mark as a word of the clause)."""
    P = _lang(doc)
    k = open_tok - 1
    while k > open_tok - 9 and k > 1 and doc[k].is_alpha and doc[k].is_lower and doc[k].lower_ != "qui":
        k -= 1   # "qui espère une entrée en vigueur « … »"
    if k >= open_tok - 1 or doc[k].lower_ != "qui" or doc[k - 1].text != ",":
        return None
    head = doc[k - 2]
    while head.i > 0 and head.pos_ == "ADJ" and doc[head.i - 1].pos_ in ("NOUN", "PROPN"):
        head = doc[head.i - 1]
    if head.pos_ not in ("NOUN", "PROPN") or not _source_like(head, P):
        return None
    s = head.i
    while s > 0 and doc[s - 1].pos_ in ("DET", "ADJ") and "\n" not in doc[s - 1].text:
        s -= 1
    return _Attribution(s, k - 1, _guess_lemma(doc[k + 1]), "embedded")


def _opening_subject(doc: Doc, open_tok: int) -> _Attribution | None:
    """The source that opens the quote's sentence, read by shape where the parse is not to be
    trusted (languages with `varied_roles`: the small French model tags "raconte" or "invoque"
    as adjectives): an optional leading adverbial up to a comma ("Dans un communiqué,"), a
    noun phrase whose head is a source (_source_like), an optional apposition or relative
    clause between commas, then a lower-case word, the verb: "la direction invoque « … »",
    "Une infirmière du service, qui a souhaité rester anonyme, raconte des nuits « … »"."""
    P = _lang(doc)
    lo = _paragraph_token_start(doc, open_tok)
    start = next((k + 1 for k in range(open_tok - 1, lo - 1, -1)
                  if doc[k].text in _SENT_END or doc[k].text in _ALL_MARKS), lo)
    i = start
    if i < open_tok and doc[i].pos_ not in ("DET", "PROPN", "PRON", "NOUN") and doc[i].ent_type_ != P.person:
        comma = next((k for k in range(i, min(open_tok, i + 10)) if doc[k].text == ","), None)
        if comma is None:
            return None
        i = comma + 1
    # (a first name the tagger could not place is still a name: "Léna" tagged X)
    head = next((doc[k] for k in range(i, min(open_tok, i + 4))
                 if doc[k].pos_ in ("NOUN", "PROPN", "PRON") or doc[k].ent_type_ == P.person), None)
    if head is None or any(doc[k].pos_ not in ("DET", "ADJ") for k in range(i, head.i)) or not _source_like(head, P):
        return None
    e = head.i + 1
    while e < open_tok and (doc[e].pos_ in ("ADJ", "PROPN") or (doc[e].pos_ in ("NOUN", "DET") and doc[e - 1].pos_ in ("ADP", "DET"))
                            or (doc[e].lower_ in P.of_words or doc[e].lower_ in ("du", "des", "d'")) and e + 1 < open_tok):
        e += 1
    while e > head.i + 1 and doc[e - 1].pos_ in ("ADP", "DET"):
        e -= 1
    if (e == open_tok or doc[e].text == ":") and e > head.i + 1 and doc[e - 1].pos_ == "ADJ":
        e -= 1   # no word left for the verb: the last "adjective" is it ("la direction invoque « … »")
    k = e
    if k < open_tok and doc[k].text == ",":   # an apposition or a relative clause
        k = next((j + 1 for j in range(k + 1, min(open_tok, k + 16)) if doc[j].text == ","), open_tok)
    if k >= open_tok or not (doc[k].is_alpha and doc[k].is_lower):
        return None
    return _Attribution(i, e, _guess_lemma(doc[k]), "embedded")


_PASSIVE_DEPS = frozenset({"nsubj:pass", "nsubjpass", "aux:pass", "auxpass"})


def _clause_subject(doc: Doc, first_tok: int, last_tok: int, open_tok: int, close_tok: int,
                    lo: int, hi: int) -> _Attribution | None:
    """The speaker of a quoted fragment whose clause has no verb of saying: the subject of the
    nearest verb above it, when that subject is a source (a person or organisation, a pronoun
    for one, a role, institution or document noun): "la direction invoque « une surcapacité
    structurelle »". A passive clause's subject is
    what the words describe ("il a été qualifié de « … »"), never their speaker."""
    P = _lang(doc)
    tok, seen = doc[first_tok], 0
    while tok.head is not tok and seen < 12:
        tok, seen = tok.head, seen + 1
        if first_tok <= tok.i <= last_tok or not lo <= tok.i < hi:
            continue
        if not (P.is_verb(tok.tag_) or tok.pos_ in ("VERB", "AUX")) or not tok.is_alpha:
            continue   # the small French model tags a « as a verb
        if any(c.dep_ in _PASSIVE_DEPS for c in tok.children):
            return None
        subj = next((c for c in tok.children if c.dep_ == "nsubj"), None)
        if subj is None:
            continue
        if open_tok <= subj.i <= close_tok or not lo <= subj.i < hi or not _source_like(subj, P):
            return None
        s, e = _np_bounds(subj, lo, hi)
        return _Attribution(s, e, _guess_lemma(tok), "embedded")
    return None


def _source_like(tok: Token, P: Profile) -> bool:
    """Whether a subject can be a quote's source: a person or an organisation, a pronoun for
    one, or a noun of a role, an institution or a document."""
    word = tok.lower_
    if word in P.neuter or word in P.relative_pronouns:
        return False
    return (word in P.pronoun_gender or tok.ent_type_ in (P.person, P.org)
            or word in P.role_nouns or P.role(word) in P.role_keys or word in P.document_nouns
            or _human_suffix({word}, P))


def _opener_gender(text: str, P: Profile) -> str | None:
    """The gender an article gives a description ("la ministre"), not a name's particle ("Le Goff")."""
    words = text.split()
    if len(words) > 1 and words[1][:1].isupper():
        return None
    return P.gender_openers.get(words[0].lower()) if words else None


def _human_suffix(words: set[str], P: Profile) -> bool:
    """Whether a word has the ending of a feminine noun of a person ("la surfeuse", "l'actrice")."""
    endings = tuple(fem for fem, _ in P.gender_suffixes if len(fem) > 2)
    return bool(endings) and any(w.endswith(endings) for w in words)


def _reflexive_before(doc: Doc, open_tok: int) -> bool:
    """A reflexive verb right before the mark: the subject describes itself ("s'est dite
    « confiante »", "se montre « prudent »"), so the one quoted word is its own."""
    k = open_tok - 1
    return k >= 1 and doc[k].is_alpha and any(
        doc[j].lower_ in _lang(doc).reflexive for j in range(max(0, k - 3), k))


def _attribution_cue_before(doc: Doc, open_tok: int) -> _Attribution | None:
    """The closest verb of saying before the opening mark in its sentence, when the parse did
    not hang the quote on it (the small French model often does not): "X a réclamé « … »",
    "l'opposition, par la voix de …, a salué « … »", a participle "…, estimant qu'elle …
    « … »" (whose speaker is its governing verb's subject). The parse's sentence may start at
    the mark: the quote's paragraph bounds the search."""
    lo = _paragraph_token_start(doc, open_tok)
    for k in range(open_tok - 1, lo - 1, -1):
        tok = doc[k]
        if tok.text in _SENT_END or tok.text in _ALL_MARKS or tok.text == ":":
            return None
        cue = _is_cue(tok, embedded=True)
        if cue is None:
            continue
        verb, subj = tok, _subject(tok)
        while subj is None and verb.dep_ in ("acl", "advcl", "xcomp", "conj") and verb.head.i != verb.i:
            verb = verb.head   # "estimant" hangs on the object of the verb whose subject speaks
            while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
                verb = verb.head
            subj = _subject(verb) if verb.pos_ in ("VERB", "AUX") else None
        if subj is None or not lo <= subj.i < open_tok:
            subj = _leading_phrase(doc, max(lo, tok.sent.start), tok.i)
        if subj is None or subj.lower_ in _lang(doc).relative_pronouns:
            return None
        s, e = _np_bounds(subj, lo, open_tok)
        if s <= tok.i < e:
            e = tok.i   # the parse hung the verb on its subject ("L'association réclame")
        return _Attribution(s, e, cue, "embedded")
    return None


def _leading_phrase(doc: Doc, lo: int, verb: int) -> Token | None:
    """The head of a verbless phrase opening a paragraph before its verb ("Son avocat, Me Paul
    Rinaldi, a dénoncé"), up to the first comma; None when a verb or mark stands in between."""
    end = next((k for k in range(lo, verb) if doc[k].text == ","), None)
    if end is None:
        end = verb
        while end > lo and doc[end - 1].pos_ in ("AUX", "ADV"):
            end -= 1   # "Mme X a toutefois averti": the auxiliary and adverbs of the verb
    span = doc[lo:end]
    if not len(span) or any(t.pos_ in ("VERB", "AUX") or t.text in _ALL_MARKS for t in span):
        return None
    nouns = [t for t in span if t.pos_ in ("NOUN", "PROPN")]
    return nouns[0] if nouns else None


def _previous_sentence_source(doc: Doc, open_tok: int, inside_quote: Callable[[int], bool], *,
                              any_subject: bool) -> _Attribution | None:
    """The source of the sentence before the quote's own in its paragraph, which news copy uses to
    introduce a quote that has no attribution of its own ("Bridenstine expects three rockets by
    2024. “Adding another could …”"; "The cell, Herbert said, senses … “Once …”"): the subject
    of a verb of saying there, else (with `any_subject`) the sentence's subject when it is a name
    or a personal pronoun. `inside_quote(char)` tells whether a character is inside quote marks."""
    P = _lang(doc)
    lo = _paragraph_token_start(doc, open_tok)
    own = doc[open_tok].sent.start
    if own <= lo:
        return None
    prev = doc[own - 1].sent
    start = max(prev.start, lo)
    for tok in doc[start:own]:
        if _is_cue(tok) is None or inside_quote(tok.idx):
            continue
        subj = _subject(tok)
        if subj is not None and start <= subj.i < own and not inside_quote(subj.idx) and _source_like(subj, P):
            s, e = _np_bounds(subj, start, own)
            return _Attribution(s, e, _is_cue(tok), "before")
    subj = next((c for c in prev.root.children if c.dep_ in _SUBJ_DEPS), None)
    if any_subject and subj is not None and start <= subj.i and not inside_quote(subj.idx) and (
            subj.pos_ == "PROPN" or subj.ent_type_ == P.person
            or (subj.lower_ in P.pronoun_gender and subj.lower_ not in P.neuter)
            or (not P.varied_roles and subj.pos_ == "NOUN"
                and (subj.lower_ in P.human_nouns or P.role(subj.lower_) in P.role_keys))):
        s, e = _np_bounds(subj, start, own)
        return _Attribution(s, e, _guess_lemma(prev.root), "before")
    return None


def _next_sentence_source(doc: Doc, close_tok: int, inside_quote: Callable[[int], bool]) -> _Attribution | None:
    """The source the sentence right after a quote names, in its paragraph, for a quote opening
    its paragraph with no attribution of its own: “…” That is how Gerald Fenn described the
    blast. / “…” Those were the words of the fire chief. The subject of a verb of saying there
    (outside quote marks), when it is a source, else the object of "the words of"."""
    P = _lang(doc)
    end = _paragraph_token_end(doc, close_tok + 1)
    k = close_tok + 1
    while k < end and (doc[k].is_punct or doc[k].is_space):
        k += 1
    if k >= end:
        return None
    stop = min(end, doc[k].sent.end, k + 40)
    for tok in doc[k:stop]:
        if inside_quote(tok.idx):
            return None
        if tok.lower_ == "words" and tok.i + 2 < stop and doc[tok.i + 1].lower_ == "of":
            obj = _according_object(doc, tok.i, 2, stop)
            if obj is not None:
                s, e = _np_bounds(obj, tok.i + 2, stop)
                return _Attribution(s, e, ":", "before")
        if _is_cue(tok, embedded=True) is None:
            continue
        subj = _subject(tok)
        if subj is not None and k <= subj.i < stop and not inside_quote(subj.idx) and (
                subj.pos_ == "PROPN" or _source_like(subj, P)) and subj.lower_ not in P.neuter:
            s, e = _np_bounds(subj, k, stop)
            return _Attribution(s, e, _is_cue(tok, embedded=True), "before")
    return None


_BULLETS = "•*·▪►–—―-"
_INHERIT_PARAS = 3   # paragraphs a quote with no attribution of its own may be from its speaker's last quote
_HANDLE = re.compile(r"\(@\w{1,30}\)")


def _title_case(quote: str) -> bool:
    """Whether a quoted stretch is in Title Case, as slogans and headlines are ("Meth. We're On
    It."): two capitalized words or more that do not open a sentence ("We won the cup." is not)."""
    words = quote.split()
    return sum(w[:1].isupper() and k > 0 and words[k - 1][-1:] not in ".?!:" for k, w in enumerate(words)) >= 2


def _is_furniture(line: str) -> bool:
    """A line that is no prose between two paragraphs of one quote: an embedded post's byline
    ("— Harbour City FC (@HarbourCityFC) March 3, 2025") or a caption or label without a final
    full stop ("Club statement"); a signature under a review ("— Marta V.") is not."""
    line = line.strip()
    if _HANDLE.search(line):
        return True
    return line[-1:] not in ".?!…" + _ALL_MARKS and line[:1] not in "–—―-" and len(line.split()) <= 12
def _previous_paragraph_source(doc: Doc, para_lo_tok: int, inside_quote: Callable[[int], bool], *,
                               after_char: int = -1, any_subject: bool = False) -> _Attribution | None:
    """For a quote opening its paragraph with no attribution: the subject of a verb of saying in
    the last sentence of the paragraph before, when that is a source and the sentence has no
    quote marks and starts after `after_char` ("The fire department posted on Facebook on Tuesday
    night." then "“Please avoid the area …”"); with `any_subject`, else that sentence's subject
    when it is a person: a name, he or she, a person's role ("Jones, the captain, was more
    upbeat." then "“We will be back.”")."""
    P = _lang(doc)
    k = para_lo_tok - 1
    while k >= 0 and (doc[k].is_space or "\n" in doc[k].text):
        k -= 1
    if k < 0 or doc[k].text not in _SENT_END:
        return None
    lo = _paragraph_token_start(doc, k)
    sent = doc[max(doc[k].sent.start, lo):k + 1]
    if any(t.text in _ALL_MARKS for t in sent) or sent[0].idx < after_char:
        return None
    for tok in sent:
        if _is_cue(tok) is None or inside_quote(tok.idx):
            continue
        subj = _subject(tok)
        if subj is not None and sent.start <= subj.i < tok.i and (subj.pos_ == "PROPN" or _source_like(subj, P)) \
                and subj.lower_ not in P.neuter:
            s, e = _np_bounds(subj, sent.start, tok.i)
            return _Attribution(s, e, _is_cue(tok), "before")
    subj = next((c for c in sent.root.children if c.dep_ in ("nsubj",)), None)
    if any_subject and subj is not None and not P.varied_roles and (
            subj.ent_type_ == P.person or subj.lower_ in ("he", "she")
            or subj.pos_ == "NOUN" and (subj.lower_ in P.human_nouns or P.role(subj.lower_) in P.role_keys)):
        s, e = _np_bounds(subj, sent.start, sent.root.i)
        return _Attribution(s, e, _guess_lemma(sent.root), "before")
    return None


_DASHES = frozenset({"–", "—", "―", "-", "--"})


def _attribution_signed(doc: Doc, close_tok: int) -> _Attribution | None:
    """A quote standing alone in its paragraph and signed on the next line, as readers' reviews
    and letters are: “Great show, friendly staff.” / – Anna K. The signature is the line's
    first few words after the dash, up to a comma or a bracket ("– Tom B., Leeds"); a line
    with a verb is prose, not a signature. A dash right after the closing mark on the quote's
    own line signs it the same way, with a name or a title and name of up to six words
    (“…” — former captain Miguel Ferrer, who …): its cue is "dash" and the name is resolved."""
    end = _paragraph_token_end(doc, close_tok + 1)
    k = close_tok + 1
    while k < end and doc[k].is_punct and doc[k].text not in _DASHES:
        k += 1
    if k + 1 < end and doc[k].text in _DASHES and (k == close_tok + 1 or doc[k - 1].text in _SENT_END):
        s, line_end, cue, most = k + 1, end, "dash", 6
    else:
        if any(not (t.is_punct or t.is_space) for t in doc[close_tok + 1:end]):
            return None
        k = end
        while k < len(doc) and (doc[k].is_space or "\n" in doc[k].text):
            k += 1
        if k + 1 >= len(doc) or doc[k].text not in _DASHES:
            return None
        s, cue, most = k + 1, "sign", 4
        line_end = _paragraph_token_end(doc, s)
    e = next((j for j in range(s, line_end) if doc[j].text in {",", "(", "|", "/"}), line_end)
    while e > s and doc[e - 1].is_space:
        e -= 1
    if not 0 < len(doc[s:e].text.split()) <= most or any(t.pos_ in ("VERB", "AUX") or t.text in _ALL_MARKS
                                                         for t in doc[s:e]):
        return None
    if cue == "dash" and not any(t.text[:1].isupper() for t in doc[s:e]):
        return None   # "“…” — that was the message": prose, not a name
    return _Attribution(s, e, cue, "after")


def _attribution_colon(doc: Doc, open_tok: int) -> _Attribution | None:
    """A colon with no verb of saying before the quote: "Maria Lopez, The Tribune: “…”",
    "the mayor hit back in a string of posts: “…”", "which contains the following
    statement: “…”", "in the words of the patient: “…”" (also when the colon ends the previous
    paragraph)."""
    j = open_tok - 1
    while j >= 0 and (doc[j].is_space or "\n" in doc[j].text):
        j -= 1
    if j < 0 or doc[j].text != ":":
        return None
    colon = j
    start = doc[colon].sent.start
    for k in range(colon - 1, start - 1, -1):
        if "\n" in doc[k].text:
            start = k + 1
            break
    pre = doc[start:colon]
    if not len(pre):
        return None
    if not any(t.pos_ in ("VERB", "AUX") for t in pre):
        # A header: the name before the first comma.
        end = next((t.i for t in pre if t.text in (",", "(", "—", "–")), colon)
        # A header names; a longer stretch is a clause whose verb the tagger missed.
        if start < end <= start + 6 and any(t.pos_ in ("PROPN", "NOUN") for t in doc[start:end]) and sum(
                t.is_lower and t.is_alpha and t.pos_ not in ("DET", "ADP") for t in doc[start:end]) <= 1:
            return _Attribution(start, end, ":", "before")
        if _lang(doc).varied_roles:   # "La championne vise … : « … »", the verb mistagged
            attr = _opening_subject(doc, open_tok)
            return None if attr is None else _Attribution(attr.speaker_start, attr.speaker_end, ":", "before")
        return _colon_clause_source(doc, start, colon)
    if _lang(doc).varied_roles:
        # "La directrice du festival conteste : « … »", "M. Van Acker, lui, reste amer : « … »": the
        # source opening the sentence, whatever its verb.
        P = _lang(doc)
        verb = next(t for t in pre if t.pos_ in ("VERB", "AUX"))
        end = next((t.i for t in doc[start:verb.i] if t.text == ","), verb.i)
        phrase = doc[start:end]
        head = next((t for t in phrase if t.ent_type_ == P.person or (t.pos_ in ("NOUN", "PROPN") and _source_like(t, P))),
                    None)
        if head is not None and head.lower_ not in P.document_nouns and not any(
                t.pos_ in ("VERB", "AUX", "ADP") and t.lower_ not in P.of_words or t.text in _ALL_MARKS for t in phrase):
            return _Attribution(start, end, _guess_lemma(verb), "before")
    last = next((t for t in reversed(pre) if t.pos_ in ("NOUN", "PROPN")), None)
    if last is None or last.i < colon - 3:
        return _colon_clause_source(doc, start, colon)
    if last.lower_ in _lang(doc).document_nouns:
        root = last.head
        while root.dep_ not in ("ROOT",) and root.head is not root and root.pos_ not in ("VERB", "AUX"):
            root = root.head
        subj = _subject(root) if root.pos_ in ("VERB", "AUX") else None
        if subj is not None and last.dep_ == "pobj" and subj.pos_ in ("PROPN", "NOUN", "PRON") \
                and subj.lower_ not in ("it", "there", "this", "here", "which", "that"):
            s, e = _np_bounds(subj, start, colon)
            return _Attribution(s, e, _guess_lemma(root), "before")
        s, e = _np_bounds(last, start, colon)
        return _Attribution(s, e, ":", "before")
    if last.dep_ == "pobj" and last.head.lower_ == "of" and last.head.head.lower_ == "words":
        s, e = _np_bounds(last, start, colon)
        return _Attribution(s, e, ":", "before")
    return _colon_clause_source(doc, start, colon)


def _colon_clause_source(doc: Doc, start: int, colon: int) -> _Attribution | None:
    """The source of the clause a colon ends before a quote, in languages whose parse is trusted
    (not `varied_roles`): its subject when that is a name or a source ("Captain Dean Whitley put
    it simply: “…”"), else the subject's possessor ("Her message could not have been clearer:",
    "Kemp’s verdict on the plan:"), else a fronted "For X," ("For Doyle, the lesson is simple:").
    doc[start:colon] is the clause (a verbless one is headed by its root)."""
    P = _lang(doc)
    pre = doc[start:colon]
    if P.varied_roles or not len(pre) or any(t.text in _ALL_MARKS for t in pre):
        return None
    verbs = [t for t in pre if t.pos_ in ("VERB", "AUX")]
    if verbs:
        root = next((t for t in verbs if t.head is t or not start <= t.head.i < colon), verbs[0])
        head = _subject(root)
        if head is not None and not start <= head.i < colon:
            head = None
    else:
        head = pre.root if pre.root.pos_ in ("NOUN", "PROPN", "PRON") else None
    poss = None if head is None else next((c for c in head.children if c.dep_ == "poss"), None)
    if poss is not None and head.pos_ == "NOUN" and not (head.lower_ in P.human_nouns or P.role(head.lower_) in P.role_keys) and (
            poss.pos_ == "PROPN" or poss.lower_ in _POSSESSIVES or _source_like(poss, P)):
        # (a text or a judgement is its author's: "Kemp’s verdict", "the company’s statement")
        s, e = _np_bounds(poss, start, head.i)
        while e > s + 1 and doc[e - 1].dep_ == "case":
            e -= 1
        return _Attribution(s, e, ":", "before")
    if head is not None and head.dep_ not in ("nsubjpass", "nsubj:pass") and (
            head.pos_ == "PROPN" or _source_like(head, P)):
        s, e = _np_bounds(head, start, colon)
        return _Attribution(s, e, ":", "before")
    if doc[start].lower_ == "for":
        comma = next((k for k in range(start + 2, min(colon, start + 7)) if doc[k].text == ","), None)
        if comma is not None and any(t.pos_ == "PROPN" or t.ent_type_ == P.person for t in doc[start + 1:comma]):
            return _Attribution(start + 1, comma, ":", "before")
    return None


# How a quoted stretch hangs on the verb outside it when that verb reports it.
_REPORTED_DEPS = frozenset({"ccomp", "parataxis"})


def _guess_lemma(verb: Token) -> str:
    """A verb's lemma without the lemmatizer: the cue table, else the inflection stripped."""
    word = verb.lower_
    P = _lang(verb.doc)
    if word in P.cue_lemma:
        return P.cue_lemma[word]
    if P.code == "fr":
        # The -er verbs that make up most verbs of saying: a participle or present tense.
        for ending in ("ées", "és", "ée", "é", "ent", "e"):
            if word.endswith(ending) and len(word) > len(ending) + 2:
                return word[:-len(ending)] + "er"
        return word
    if P.code != "en":
        return word
    if word.endswith("ied"):
        return word[:-3] + "y"
    if word.endswith("ed") and len(word) > 4:
        stem = word[:-2]
        return stem + "e" if stem.endswith(("at", "ur", "iz", "is", "bl", "dl", "v", "c", "g")) else stem
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _attribution_governing(doc: Doc, first_tok: int, last_tok: int, open_tok: int, close_tok: int,
                           lo: int, hi: int) -> _Attribution | None:
    """The verb the parse makes govern the quote (its clausal complement or a parataxis), with
    a subject outside the quote: “…,” Dylan Nelson, a postdoctoral fellow at …, said in a
    statement. Any such verb is a cue (“…,” the mayor messaged), not only the listed ones; a
    listed cue may also take the quote as its object."""
    P = _lang(doc)
    for tok in doc[first_tok:last_tok + 1]:
        head = tok.head
        if head is tok or open_tok <= head.i <= close_tok or not lo <= head.i < hi:
            continue
        if not P.is_verb(head.tag_):
            continue
        if P.cue_lemma.get(head.lower_) in P.embed_only:
            continue  # "called it “…”" names or judges; it does not introduce a quote
        listed = _is_cue(head) is not None
        if tok.dep_ not in _REPORTED_DEPS and not (listed and tok.dep_ in ("dobj", "dep")):
            continue
        subj = _subject(head)
        if subj is None or open_tok <= subj.i <= close_tok or subj.lower_ in ("it", "that", "this", "which"):
            continue
        s, e = _np_bounds(subj, lo, hi)
        if head.i > close_tok:
            pattern = "after"
        else:  # "X said: “…”" stands alone; "saying she did “…”" is inside the reporter's sentence
            pattern = "before" if open_tok > 0 and doc[open_tok - 1].text in (",", ":") else "embedded"
        if pattern == "embedded" and not listed and not (subj.pos_ == "PROPN" or _source_like(subj, P)):
            continue   # "he said the results do not mean …, rather “that …”": results do not speak
        return _Attribution(s, e, _guess_lemma(head), pattern)
    return None


def _looks_like_label(doc: Doc, quote: str, open_tok: int, close_tok: int) -> bool:
    """Titles, nicknames and scare quotes: a word or a few title-cased words, or introduced
    by 'so-called', 'dubbed', 'the film', ..."""
    words = quote.split()
    P = _lang(doc)
    prev = [doc[k].lower_ for k in range(max(0, open_tok - 3), open_tok)]
    inner = [t for t in doc[open_tok + 1:close_tok] if not t.is_punct and not t.is_space]
    outside_heads = {t.head.lower_ for t in inner if not open_tok < t.head.i < close_tok}
    if len(words) < 2:
        return True
    if prev and prev[-1] in P.label_cues - P.naming_cues:
        return True
    if (prev and prev[-1] in P.naming_cues) or outside_heads & P.naming_cues:
        # "locals call it “the wound”" gives a name: short, definite or capitalized. "called it
        # “a judicial coup”" or "“deeply puzzling”" is the speaker's judgement. A passive naming
        # verb ("what's called “farmer's lung”") has nobody to judge: it names.
        if prev and prev[-1] in P.naming_cues and any(c.dep_ in _PASSIVE_DEPS for c in doc[open_tok - 1].children):
            return True
        first = inner[0] if inner else None
        return (
            first is not None
            and len(words) <= 4
            and (first.lower_ == "the" or (prev and prev[-1] == "the") or first.text[:1].isupper())
        )
    if len(prev) > 1 and prev[-2] in {"known", "dubbed", "described", "seen"} and prev[-1] == "as":
        return True
    after = doc[close_tok + 1] if close_tok + 1 < len(doc) else None
    modifies_noun = after is not None and after.pos_ in ("NOUN", "PROPN")
    if len(prev) > 1 and prev[-1] in ("the", "a", "an") and prev[-2] in P.label_cues and len(words) <= 4 and not modifies_noun:
        # "tabloids called the “boiler war”" names a thing; "what it called a “predictable”
        # framework" quotes the speaker's adjectives.
        return True
    if len(words) < 2:
        return True
    alpha = [w for w in words if w[:1].isalpha()]
    if len(words) <= 7 and alpha and all(w[0].isupper() or len(w) <= 3 for w in alpha):
        return True
    return False


def _given_gender(name: str, P: Profile, *, alone: bool = False) -> str | None:
    """The gender of a name's first word, or of that word's first part ("Jean-Marie"), when it
    is a common given name of one gender (Profile.given_female / given_male: "Paul Denholm" ->
    "m"); None for an unknown or unisex given name, and for a one-word name unless `alone`."""
    words = name.split()
    if not words or (len(words) < 2 and not alone):
        return None
    first = words[0].lower().split("-")[0]
    return "f" if first in P.given_female else "m" if first in P.given_male else None


def _gender_of(words: list[str] | set[str], P: Profile) -> str | None:
    lowered = {w.lower().strip(".") for w in words}
    if lowered & P.female_words:
        return "f"
    if lowered & P.male_words:
        return "m"
    return None


def _lang(doc: Doc) -> Profile:
    """The words of the Doc's language (its model's `lang`)."""
    return profile_for(doc.lang_)


def _std(ent: dict[str, Any]) -> str:
    """An entity's standard label (entities.label_std; the label itself in rows made without it)."""
    return ent.get("label_std") or ent["label"]


def _fold(text: str) -> str:
    """Lower case without accents: French copy writes "Etat" as well as "État"."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))


def _according_at(doc: Doc, i: int) -> int:
    """Length of a source-introducing phrase ("according to", "selon") starting at token i, else 0."""
    for words in _lang(doc).according:
        n = len(words)
        if i + n <= len(doc) and tuple(t.lower_ for t in doc[i:i + n]) == words:
            return n
    return 0


def _according_initial_at(doc: Doc, i: int) -> int:
    """Length of a phrase that introduces a source at a sentence's start ("Pour X, …", "Mais pour
    X, …"), else 0."""
    def starts(k: int) -> bool:
        return k == doc[k].sent.start or "\n" in doc[k - 1].text or doc[k - 1].is_space or doc[k - 1].text in _SENT_END

    if i > 0 and not starts(i) and not (doc[i - 1].pos_ == "CCONJ" and i > 1 and starts(i - 1)):
        return 0
    for words in _lang(doc).according_initial:
        n = len(words)
        if i + n <= len(doc) and tuple(t.lower_ for t in doc[i:i + n]) == words:
            return n
    return 0


def _according_object(doc: Doc, i: int, n: int, end: int) -> Token | None:
    """The head of the phrase after "according to" / "selon": its object in the parse, else the
    first noun, name or pronoun after it."""
    obj = next((c for c in doc[i + n - 1].children if c.dep_ == "pobj"), None)
    if obj is not None:
        return obj
    for t in doc[i + n:end]:
        if t.is_punct or t.is_space:
            return None
        if t.pos_ in ("PROPN", "NOUN", "PRON"):
            return t
    return None


def _attribution_inverted(doc: Doc, i: int, end: int, any_verb: bool = False) -> _Attribution | None:
    """An inverted cue clause after a quote: « … », a-t-il déclaré / explique-t-elle / a déclaré
    le ministre / indique Marie Roux (the parser of a small model often gets these wrong, so the
    clause is read by its shape: auxiliary, cue verb, clitic pronoun or noun phrase)."""
    P = _lang(doc)
    j = i
    clitic = None
    if j + 1 < end and (doc[j].lower_ in P.reflexive or doc[j].pos_ == "PRON") and doc[j + 1].lower_ in P.aux:
        j += 1   # « … », s'est indignée X / lui a répondu X
    elif j + 2 < end and doc[j].lower_ in P.reflexive and doc[j + 1].is_alpha and doc[j + 1].is_lower \
            and doc[j + 2].lower_ in P.clitics:
        j += 1   # « … », se félicite-t-elle / s'inquiète-t-il
    while j < end and doc[j].lower_ in P.aux:   # a-t-elle fait valoir
        j += 1
        while j < end and doc[j].lower_ in P.clitics:
            clitic = j
            j += 1
        while j < end and doc[j].pos_ == "ADV" and doc[j].lower_ not in P.cue_lemma:
            j += 1   # « … », a encore déclaré X
    if j >= end:
        return None
    cue = P.cue_lemma.get(doc[j].lower_)
    k = j + 1
    while k < end and doc[k].lower_ in P.clitics:
        clitic = k
        k += 1
    if cue is None:
        # Inversion after a quote is the shape of an attribution whatever the verb: a clitic
        # subject (« … », a-t-il justifié / tonne-t-il) shows it; a noun phrase after the verb
        # does only after a quote that opens its sentence (`any_verb`: « … », tonne le maire),
        # not after a name in marks (baptisé « Cap Avenir », prévoit 40 millions d'euros).
        # The tagger takes a rare verb there for an adjective or a noun ("tempère"): the subject
        # noun phrase this function requires after it decides.
        verb_like = P.is_verb(doc[j].tag_) or doc[j].pos_ in ("ADJ", "NOUN")
        if not doc[j].is_alpha or not doc[j].is_lower or not (clitic is not None or (any_verb and verb_like)):
            return None
        cue = _guess_lemma(doc[j])
    if clitic is not None:
        return _Attribution(clitic, clitic + 1, cue, "after")
    # Time words and "to AFP" may stand between the verb and its subject: "a déclaré mardi à l'AFP le maire".
    while k < end and (doc[k].pos_ in ("ADV", "ADP", "NUM") or doc[k].ent_type_ in ("DATE", "TIME")
                       or doc[k].lower_ in P.skip_after_cue):
        if doc[k].pos_ == "ADP" and k + 1 < end and doc[k + 1].pos_ in ("PROPN", "DET", "NOUN"):
            # "à l'AFP", "aux journalistes": an addressee, skipped with its noun (or name)
            k += 1
            while k < end and doc[k].pos_ == "DET":
                k += 1
            if k < end and doc[k].ent_iob_ == "B":
                k += 1
                while k < end and doc[k].ent_iob_ == "I":
                    k += 1
            elif k < end and doc[k].pos_ in ("PROPN", "NOUN"):
                k += 1
            continue
        k += 1
    if k >= end or doc[k].pos_ not in ("DET", "PROPN", "NOUN", "PRON", "ADJ"):
        return None
    s = k
    e = k
    while e < end and not (doc[e].is_punct and doc[e].text not in ("'", "-")) and not doc[e].is_space \
            and (doc[e].pos_ not in ("VERB", "AUX", "SCONJ", "CCONJ") or (e == s + 1 and doc[s].pos_ == "DET"
                                                                        and doc[e].pos_ == "VERB")) \
            and doc[e].text not in _ALL_MARKS:
        # (a word right after the determiner is its noun, whatever the tagger says: "l'intéressé")
        if e > s and doc[e].pos_ == "ADP" and doc[e].lower_ not in P.of_words:
            break   # "le maire dans un communiqué": the phrase ends at a preposition other than "de"
        if e > s and (doc[e].pos_ == "ADV" or doc[e].lower_ in P.skip_after_cue):
            break   # "l'édile lors d'une visite", "l'officier mardi soir"
        e += 1
    if e < end and e > s + 1 and doc[e - 1].lower_ in P.relative_pronouns:
        # "un médecin du service qui a requis l'anonymat": a restrictive relative clause is kept.
        while e < end and not doc[e].is_punct and not doc[e].is_space and doc[e].text not in _ALL_MARKS:
            e += 1
    return _Attribution(s, e, cue, "after") if e > s else None


def _speaker_kind(mention: "_Mention", P: Profile) -> str:
    """person, organization, document or unknown, from how a source was named."""
    if mention.kind == "person":
        return "person"
    if mention.kind == "org":
        return "organization"
    if mention.kind == "document":
        return "document"
    head = mention.head.lower()
    if head in P.institution_nouns or head.rstrip("s") in P.institution_nouns:
        return "organization"
    return "person"  # "an insider", "the doctors", "one legal expert"


def _couple_names(text: str, entities: list[dict[str, Any]], P: Profile) -> list[dict[str, Any]]:
    """Person entities for the first of two given names sharing one surname ("Yves et Annick
    Garnier": Yves Garnier), which NER leaves without a name of its own; languages with
    `varied_roles` and Profile.given_female / given_male only."""
    if not P.varied_roles or not (P.given_female or P.given_male):
        return []
    found = []
    for m in re.finditer(r"\b([A-ZÀ-Ý][\w-]{1,30}) et ([A-ZÀ-Ý][\w-]{1,30}) ((?:(?:Le|La|Du|De|Des|de|du|le|la) )?[A-ZÀ-Ý][\w'’-]{1,40})",
                         text):
        first, second, surname = m.groups()
        if not (_given_gender(first, P, alone=True) and _given_gender(second, P, alone=True)):
            continue
        if not any(_std(x) == "PERSON" and x["start_char"] <= m.start(1) < x["end_char"] and " " in x["text"]
                   for x in entities):
            found.append({"text": first, "norm": f"{first} {surname}", "label": "PER", "label_std": "PERSON",
                          "start_char": m.start(1), "end_char": m.end(1)})
        if not any(_std(x) == "PERSON" and x["start_char"] == m.start(2) and x["end_char"] == m.end(3) for x in entities):
            found.append({"text": f"{second} {surname}", "norm": f"{second} {surname}", "label": "PER",
                          "label_std": "PERSON", "start_char": m.start(2), "end_char": m.end(3)})
    return found


@dataclass
class _Mention:
    tok: int
    text: str
    resolved: str
    entity: str | None
    kind: str  # "person", "org", "group", "document" or "desc"
    head: str
    words: frozenset[str]
    oblique_in: int = -1   # for a name in an object or a prepositional phrase, its sentence's first token


class _Resolver:
    """Walks the article's subjects in text order so that pronouns and short descriptions
    resolve to the closest compatible earlier source, quoted or not."""

    def __init__(self, doc: Doc, entities: list[dict[str, Any]], quoted: list[tuple[int, int]]) -> None:
        self.doc = doc
        self.P = _lang(doc)
        self.entities = entities + _couple_names(_text(doc), entities, self.P)
        entities = self.entities
        self.gender: dict[str, str] = {}
        self.history: list[_Mention] = []
        self.done: dict[int, tuple[str, str | None]] = {}
        self.lower_words = {t.text for t in doc if t.is_lower}
        self.token_starts = [t.idx for t in doc]   # (once: a list per mention was quadratic)
        self._named_later_found: dict[str, dict[str, Any] | None] = {}
        self._people_at: dict[int, list[tuple[int, dict[str, Any]]]] | None = None
        self._acronyms: dict[tuple, tuple] = {}
        self.quoted = quoted
        self.quote_starts = [s for s, _ in quoted]
        inside_quote = self.inside_quote
        # Subjects, and texts put out ("issued another statement"), which a later "it" may quote.
        self.pending = [
            t.i for t in doc
            if (t.dep_ in _SUBJ_DEPS and t.pos_ in ("PROPN", "NOUN", "PRON", "NUM")
                or t.dep_ == "dobj" and t.pos_ == "NOUN" and t.lower_ in self.P.document_nouns
                or t.dep_ in _SUBJ_DEPS and t.pos_ == "ADJ" and self._aged(doc[t.left_edge.i:t.i + 1].text))
            and not inside_quote(t.idx)
        ]   # ("The 58-year-old, who …, signed": a subject the tagger calls an adjective)
        if self.P.varied_roles:
            # Its parser often makes a named person an object or a conjunct ("Bernard Lascombes,
            # 61 ans, conteste …" parsed as an object): every name counts as a possible source.
            index = _TokenIndex(doc)
            named = {index.at(ent["start_char"]).i for ent in entities
                     if _std(ent) == "PERSON" and not inside_quote(ent["start_char"])}
            # "à Clisson": a name after a preposition is a place or an addressee, not a source.
            # "Pour Léa Moreau, …" at a sentence's start gives a source all the same.
            named = {i for i in named if i == 0 or doc[i - 1].pos_ != "ADP"
                     or _according_initial_at(doc, i - 1) or _according_at(doc, i - 1)}
            # "l'école Jules-Ferry", "la rue Jean-Jaurès": a place named after a person, hyphenated
            # after a common noun, is no one who speaks.
            places = {index.at(ent["start_char"]).i for ent in entities
                      if " " not in ent["text"] and "-" in ent["text"]}
            named = {i for i in named if not (i in places and i > 0 and doc[i - 1].is_lower
                                              and doc[i - 1].pos_ == "NOUN" and not self._is_person_noun(doc[i - 1]))}
            self.pending = sorted(set(self.pending) | named)
        self.cursor = 0
        # The offices a person was named with by a periphrasis ("le chef de l'Etat, X": président),
        # for a later plain title ("le président") to find them.
        self.offices: dict[str, set[str]] = {}

    def _aged(self, text: str) -> re.Match | None:
        """The match of Profile.age_description at the start of a speaker phrase, else None."""
        if not self.P.age_description:
            return None
        return re.match(self.P.age_description, text.replace("’", "'"), re.I)

    def inside_quote(self, char: int) -> bool:
        """Whether a character offset lies inside quote marks."""
        i = bisect.bisect_right(self.quote_starts, char) - 1
        return i >= 0 and self.quoted[i][0] <= char < self.quoted[i][1]

    def advance(self, upto_tok: int) -> None:
        while self.cursor < len(self.pending) and self.pending[self.cursor] < upto_tok:
            i = self.pending[self.cursor]
            self.cursor += 1
            if i in self.done:
                continue
            tok = self.doc[i]
            if tok.pos_ == "PRON":
                if self.P.varied_roles and _is_cue(tok.head, embedded=True) is None:
                    continue   # "elle" is as often "la mesure" as a person: only a speaker counts
                if tok.lower_ in self.P.pronoun_gender or tok.lower_ in self.P.clitics:
                    self.done[i] = self._pronoun(tok.lower_, i)
                continue
            sent = tok.sent
            s, e = _np_bounds(tok, sent.start, sent.end)
            if tok.dep_ not in _SUBJ_DEPS and tok.dep_ != "dobj":
                ent = self._entity_for(tok)
                s, e = (tok.i, tok.i + 1) if ent is None else (tok.i, self._token_end(ent["end_char"]))
            is_cue_subject = _is_cue(tok.head, embedded=True) is not None
            mention = self._describe(tok, s, e, remember=False)
            if mention.kind in ("desc", "group") and not (is_cue_subject or tok.lower_ in self.P.role_nouns):
                continue
            role = tok
            while role.dep_ in ("appos", "flat:name", "flat") and role.head is not role:
                role = role.head   # "l'entraîneur Paul Moreau": the name stands where its title does
            if tok.dep_ not in _SUBJ_DEPS and (self._in_oblique(s) or (
                    self.P.varied_roles and role.dep_ in ("obj", "iobj", "obl", "obl:arg", "obl:mod", "nmod")
                    and _mid_clause(self.doc, role.left_edge.i))):
                mention.oblique_in = sent.start
            self._remember(mention)
            self.done[i] = (mention.resolved, mention.entity, _speaker_kind(mention, self.P))

    def speaker(self, s: int, e: int) -> tuple[str, str | None, str]:
        """Resolve the speaker phrase doc[s:e]; returns (resolved, entity or None, speaker_kind)."""
        head = self.doc[s:e].root
        if e - s == 1 and head.pos_ == "PROPN":
            s = _hyphenated_name_start(self.doc, s)
        self.advance(head.i)
        if head.i in self.done:
            resolved, entity, kind = self.done[head.i]
            if head.pos_ != "PRON":
                # Re-mention: the speaker becomes the most salient source again.
                match = next((m for m in reversed(self.history) if m.resolved == resolved), None)
                if match is not None:
                    self.history.append(match)
            return resolved, entity, kind
        joined = head.lower_ + "".join(t.lower_ for t in self.doc[head.i + 1:head.i + 3])
        if joined in self.P.pronoun_gender and joined not in self.P.clitics and joined != head.lower_:
            # "Celui-ci a salué …", tokenized Celui / - / ci: the demonstrative pronoun
            result = self._pronoun(joined, head.i)
        elif head.lower_ in self.P.pronouns or head.lower_ in self.P.clitics or (
                head.pos_ == "PRON" and (head.lower_ in self.P.pronoun_gender or e - s == 1)):
            # ("l'un d'eux", one of a group, is not a pronoun for the latest source)
            result = self._pronoun(head.lower_, head.i)
        else:
            mention = self._describe(head, s, e, remember=True)
            result = (mention.resolved, mention.entity, _speaker_kind(mention, self.P))
        self.done[head.i] = result
        return result

    def _remember(self, mention: _Mention) -> None:
        gender = _gender_of(mention.words, self.P)
        if gender is None and mention.kind == "person" and mention.entity and self.P.varied_roles:
            # "Sophie Le Gallou … et Mathieu Rouxel": a given name of one gender says who "il" is
            gender = _given_gender(mention.resolved, self.P, alone=True)
        if gender is None and mention.kind in ("person", "desc"):
            gender = _opener_gender(mention.text, self.P)
        if gender is None and mention.kind == "person":
            gender = _given_gender(mention.resolved, self.P)
        if gender and mention.resolved not in self.gender:
            self.gender[mention.resolved] = gender
        self.history.append(mention)

    def _in_oblique(self, s: int) -> bool:
        """Whether a name at token s stands in a prepositional phrase, alone or after a title in
        apposition: "battu par l'actuel maire, Christophe Aubert" (languages with `varied_roles`)."""
        doc = self.doc
        if not self.P.varied_roles or s < 2 or doc[s - 1].text != ",":
            return False
        k = s - 2
        while k > 0 and not (doc[k - 1].is_punct or doc[k - 1].is_space or doc[k - 1].pos_ in ("VERB", "AUX")
                             or (doc[k - 1].pos_ == "ADP" and doc[k - 1].lower_ not in self.P.of_words)):
            k -= 1   # (a title's "de" -- le fondateur d'Atlantique Repas -- is not a preposition of the clause)
        return k > 0 and doc[k - 1].pos_ == "ADP"

    def _pronoun(self, pronoun: str, at: int) -> tuple[str, str | None, str]:
        pronoun = self.P.clitics.get(pronoun, pronoun)
        wanted = self.P.pronoun_gender.get(pronoun)
        if pronoun.endswith("-ci") and wanted:
            # "Elle succède à Benoît Marin. Celui-ci a salué …": the latter, the person of that
            # gender named last in any role (a given name telling the gender of one not met yet).
            for ent, _ in self._named_before(at, "PERSON"):
                name = self._written_name(ent, ent["norm"])
                cand = next((m for m in reversed(self.history) if m.kind == "person" and m.resolved == name), None) \
                    or _Mention(self._token_end(ent["start_char"]), name, name, name, "person", name.lower(),
                                frozenset(name.lower().split()))
                gender = self.gender.get(cand.resolved) or self._gender_before(ent) \
                    or _given_gender(name, self.P, alone=True)
                if gender == wanted:
                    self.gender.setdefault(cand.resolved, gender)
                    self.history.append(cand)
                    return cand.resolved, cand.entity, "person"
        history = list(reversed(self.history))
        for n, cand in enumerate(history):
            if wanted and cand.kind in ("org", "group", "document"):
                continue
            if wanted and " " not in cand.resolved and len(cand.resolved) > 2 and cand.resolved.isupper():
                continue   # "WIRED spoke to one mother … she said": a name in capitals is a body
            if wanted and cand.kind == "desc" and not self.P.varied_roles and not self._is_person_noun_word(cand.head):
                continue   # English "she" is no script or plan ("The script … she sings"); French "elle" may be
            if pronoun in self.P.neuter and cand.kind in ("person", "group"):
                continue
            known = self.gender.get(cand.resolved)
            if wanted and known and known != wanted:
                continue
            if cand.oblique_in >= 0:
                # "X a annoncé …, battu par l'actuel maire, Y. « … », a-t-il déclaré": the subject of
                # the sentence that named Y as an object or in a prepositional phrase, when
                # compatible, is meant (a subject the parse took for an object opens its clause).
                subject = next((c for c in history[n + 1:] if c.tok >= cand.oblique_in and c.kind == "person"
                                and c.oblique_in < 0 and self.gender.get(c.resolved, wanted) in (wanted, None)), None)
                cand = subject or cand
                known = self.gender.get(cand.resolved)
            if wanted and not known and not self.P.varied_roles and cand.tok < self.doc[at].sent.start:
                # A person of unknown gender from an earlier sentence yields to one whose noun
                # gives the pronoun's gender in the sentence before it, in any role ("WIRED spoke
                # to one mother, who … “…,” she said").
                described = self._latest_gendered(at, wanted)
                previous = self._sentence_before(at)
                if described is not None and described.tok >= previous and self.doc[described.tok].sent.start > cand.tok:
                    cand = described
            if wanted and not known:
                self.gender[cand.resolved] = wanted
            self.history.append(cand)
            return cand.resolved, cand.entity, _speaker_kind(cand, self.P)
        if wanted and not self.P.varied_roles:
            # No source met so far fits: the person named last in any role ("The board hired
            # lawyer Priya Raman … “…,” she said"; "criticised by regional president X").
            cand = self._latest_named(at, wanted, any_role=True)
            described = self._latest_gendered(at, wanted)
            if described is not None and (cand is None or described.tok > cand.tok):
                cand = described
            if cand is not None:
                self.gender.setdefault(cand.resolved, wanted)
                self.history.append(cand)
                return cand.resolved, cand.entity, _speaker_kind(cand, self.P)
        return pronoun, None, "unknown"

    def _token_end(self, char: int) -> int:
        i = bisect.bisect_left(self.token_starts, char)
        return max(i, 1)

    def _apposition_words(self, e: int) -> frozenset[str]:
        """The words of an apposition after a name ending at token e that holds a role word
        ("Rachid Benali, délégué CGT", "Marc Delorme, analyste chez …"), so that "le délégué"
        refers back to him."""
        doc = self.doc
        if e >= len(doc) - 1 or doc[e].text != "," or not doc[e + 1].is_lower:
            return frozenset()
        words = []
        for tok in doc[e + 1:e + 7]:
            role = tok.lower_ in self.P.human_nouns or self.P.role(tok.lower_) in self.P.role_keys
            if tok.is_punct or tok.is_space or tok.pos_ == "CCONJ" or (
                    tok.pos_ in ("VERB", "AUX", "ADP", "SCONJ", "PRON") and not role):
                break   # (a role word may be tagged as a participle: "délégué"; ", et le maire" is another person)
            words.append(tok.lower_)
        if not any(w in self.P.human_nouns or self.P.role(w) in self.P.role_keys for w in words):
            return frozenset()
        return frozenset(w for w in words if w.isalpha())

    def _org_name(self, ent: dict[str, Any], s: int, e: int) -> str:
        """An organisation's name where French capitals stop before its end: NER cuts "le Haut
        Conseil des finances publiques" after "Conseil". The speaker phrase doc[s:e] read as
        the name when it is the entity (a determiner before it) and lower-case words after it;
        a one-word name ("la Cour") as the longer name an earlier mention starting with it
        has in the text ("la Cour des comptes")."""
        doc = self.doc
        first, last = self._token_end(ent["start_char"]), self._token_end(ent["end_char"]) - 1
        if s <= first <= last < e - 1 and all(doc[k].pos_ in ("DET",) for k in range(s, first)) and all(
                t.is_lower and t.is_alpha or t.lower_ in self.P.of_words or t.text in ("'", "’")
                for t in doc[last + 1:e]) and not any(t.pos_ in ("VERB", "AUX") for t in doc[last + 1:e]):
            return self._org_proper(doc[first:e].text)
        if " " not in ent["norm"]:
            tail = re.compile(r"(?: (?:de la |de l'|des |du |de |d')[a-zà-ÿ]+)+")
            for other in self.entities:
                if other["start_char"] < ent["start_char"] and _std(other) == "ORG" \
                        and other["norm"].split()[0] == ent["norm"]:
                    m = tail.match(_text(doc), other["end_char"])
                    return self._org_proper(other["norm"] + (m.group(0) if m else ""))
        return self._org_proper(ent["norm"])   # ("le syndicat X" -> X)

    def _descriptive_noun(self, head: Token) -> bool:
        """A noun describing a person by what they do, not an office ("la cuisinière", "le
        pâtissier", "l'alpiniste"; not "le préfet", a title of its own), in languages with
        `varied_roles`: a lower-case noun of a person's ending that is none of the role,
        institution, company or document nouns. Such a noun refers back, like anaphoric_roles."""
        word = head.lower_
        if not self.P.varied_roles or head.pos_ != "NOUN" or not head.is_lower or not head.is_alpha \
                or word in self.P.role_nouns | self.P.company_nouns | self.P.document_nouns \
                or self.P.role(word) in self.P.role_keys:
            return False
        feminine = tuple(fem for fem, _ in self.P.gender_suffixes if len(fem) > 2)
        return bool(feminine) and word.endswith(feminine + ("eur", "ier", "iste"))

    def _org_proper(self, name: str) -> str:
        """A body's own name without the common noun that describes it: "Le syndicat pénitentiaire
        FO-Justice" -> FO-Justice, "le groupe Armor Océan" -> Armor Océan; not a complement of
        place ("le parquet de Grenoble" stays)."""
        words = name.split()
        k = len(words)
        while k > 0 and words[k - 1][:1].isupper():
            k -= 1
        j = k - 1
        while j > 0 and words[j].lower() in self.P.definite:
            j -= 1   # ("de la Justice")
        if k == 0 or k == len(words) or words[j].lower() in self.P.of_words or words[k - 1].endswith(("'", "’")):
            return name
        described = {w.lower().split("'")[-1].split("’")[-1] for w in words[:k]}
        if not described & (self.P.institution_nouns | self.P.company_nouns) or not all(w.islower() or n == 0
                                                                                    for n, w in enumerate(words[:k])):
            return name
        return " ".join(words[k:])

    def _title_before(self, s: int) -> frozenset[str]:
        """The words of a title that a name starting at token s stands in apposition to ("la
        préfète de Seine-et-Marne, Odile Granger"), in languages with `varied_roles`, when it
        holds a role word: for "la préfète" or "la représentante de l'État" to find her, and "le
        ministre de l'Intérieur" the minister named so."""
        doc = self.doc
        if not self.P.varied_roles or s < 2 or doc[s - 1].text != ",":
            return frozenset()
        words = []
        for k in range(s - 2, max(-1, s - 12), -1):
            tok = doc[k]
            if (tok.is_punct and not (tok.text in "-‐" and not tok.whitespace_)) or tok.is_space \
                    or tok.pos_ in ("VERB", "AUX"):
                break   # (the hyphen of "Deux-Sèvres" is no boundary)
            words.append(tok.lower_)
        if not any(w in self.P.human_nouns or self.P.role(w) in self.P.role_keys for w in words):
            return frozenset()
        return frozenset(w for w in words if w.isalpha())

    def _is_person_noun(self, tok: Token) -> bool:
        return self._is_person_noun_word(tok.lower_)

    def _is_person_noun_word(self, word: str) -> bool:
        return self.P.role(word) in self.P.role_keys or (word.endswith("s") and self.P.role(word[:-1]) in self.P.role_keys)

    def _latest_group(self) -> _Mention | None:
        """The latest unnamed group of people ("a group of physicians", "dozens of residents")."""
        for cand in reversed(self.history):
            if cand.entity is None and cand.kind in ("group", "org") and any(
                    w.endswith("s") and self.P.role(w[:-1]) in self.P.role_keys for w in cand.words):
                return cand
        return None

    def _latest_person(self, gender: str | None, *, described: bool = False,
                       titles: frozenset[str] = frozenset(), strict: bool = False,
                       officeless: bool = False) -> _Mention | None:
        """The latest named person of a compatible gender, for a generic role word that refers back
        ("l'élu", "le chercheur": French copy avoids repeating the title of the person just named);
        with `described`, also a person described without a name ("a 43-year-old man"). With
        `titles` (role_hypernyms), a person named with another title is passed over for an
        earlier one named with one of those: "la magistrate" is the procureure, not the lawyer
        named after her; a person named with no title ("son homologue") is taken, unless
        `strict` (a periphrasis of one office: "le représentant de l'État" is the préfet)."""
        fallback = None
        titles = frozenset(self.P.role(w) for w in titles)
        words: dict[str, set[str]] = {}   # every word a person was named with, over all mentions
        for m in self.history:
            words.setdefault(m.resolved, set()).update(m.words)
        for cand in reversed(self.history):
            named = cand.kind == "person" and cand.entity is not None
            if not (named or (described and cand.kind == "desc" and self._is_person_noun_word(cand.head))):
                continue
            known = self.gender.get(cand.resolved)
            if gender and known and known != gender:
                continue
            roles = {self.P.role(w) for w in words[cand.resolved]} & self.P.role_keys
            if officeless:
                if not roles:
                    return cand   # (`officeless`: the latest person named with no title, else None)
                continue
            if not titles or roles & titles or not (roles or strict) or words[cand.resolved] & self.P.counterpart_roles:
                return cand   # ("son homologue" holds the title of whom it is the counterpart)
            fallback = fallback or cand
        return fallback

    def _same_title(self, head: Token, s: int, e: int) -> _Mention | None:
        """The latest person named with the title doc[s:e] repeats, its role and the nouns of
        its complement: "la présidente de la collectivité" after "la présidente de la
        Collectivité européenne d'Alsace, Brigitte Klinkert-Meyer"; None when no one was."""
        doc = self.doc
        complement = {t.lower_ for t in doc[head.i + 1:e] if t.pos_ in ("NOUN", "PROPN") and t.is_alpha}
        if not complement:
            return None
        words: dict[str, set[str]] = {}
        for m in self.history:
            words.setdefault(m.resolved, set()).update(w.lower() for w in m.words)
        role = self.P.role(head.lower_)
        for cand in reversed(self.history):
            seen = words[cand.resolved]
            if cand.kind == "person" and role in {self.P.role(w) for w in seen} and complement <= seen:
                return _Mention(head.i, doc[s:e].text, cand.resolved, cand.entity, cand.kind, cand.head, cand.words)
        return None

    def _titles_for(self, span) -> frozenset[str]:
        """The titles a generic role word or a periphrasis stands for (Profile.role_hypernyms),
        by its words after the determiner (and the adjectives before its noun), the first one's
        gender folded, accents aside ("l'ancien chef de l'Etat" is "chef de l'état")."""
        words = self._role_words(span)
        hypernyms = {_fold(k): v for k, v in self.P.role_hypernyms.items()}
        for n in range(len(words), 0, -1):
            for first in {self.P.role(words[0]), words[0].removesuffix("fe")}:   # "cheffe" -> "chef"
                key = _fold(" ".join([first, *words[1:n]]))
                if key in hypernyms:
                    return hypernyms[key]
        return frozenset()

    def _role_words(self, span) -> list[str]:
        """A role phrase's words in lower case, without its determiner nor the adjectives before
        its noun ("l'ancien chef de l'Etat" -> chef de l'etat; "la nouvelle présidente")."""
        toks = list(span)
        if toks and (toks[0].lower_ in self.P.definite or toks[0].pos_ == "DET") and toks[0].lower_ not in self.P.of_words:
            toks = toks[1:]
        noun = next((k for k, t in enumerate(toks) if t.pos_ in ("NOUN", "PROPN")), 0)
        toks = [t for k, t in enumerate(toks) if (k >= noun or t.pos_ != "ADJ") and not (t.is_punct and t.text not in "-‐")]
        text = "".join(t.text_with_ws for t in toks).lower().replace("’", "'")
        words = text.split()
        if words and words[0].startswith(("l'", "d'")):
            words[0] = words[0][2:]
        if words and words[0].startswith("ex-") and len(words[0]) > 3:
            words[0] = words[0][3:]   # "l'ex-chef de l'Etat"
        return words

    def _leader_titles(self, s: int, head: Token, e: int) -> frozenset[str]:
        """The titles (role_hypernyms) of a short definite phrase naming the head of a company or
        a party by a generic word, its complement a company noun or a name ("le patron de
        l'enseigne", "la patronne d'Orvalis", "le numéro un du PS"), in languages with
        `varied_roles`; else nothing."""
        doc = self.doc
        if not self.P.varied_roles or doc[s].lower_ not in self.P.definite | {"l'", "l’"} or e - s > 6:
            return frozenset()
        of = next((k for k in range(head.i + 1, e) if doc[k].lower_ in self.P.of_words), None)
        if of is None:
            return frozenset()
        after = [t for t in doc[of + 1:e] if t.pos_ != "DET" and t.lower_ not in self.P.definite | {"l'", "l’"}]
        if not (any(t.lower_ in self.P.company_nouns for t in doc[head.i + 1:e])
                or any(t.text[:1].isupper() and t.is_alpha for t in after)):   # ("des sénateurs LR")
            return frozenset()
        return self._titles_for(doc[s:head.i + 1]) or self._titles_for(doc[s:of])

    def _note_offices(self, name: str, s: int, e: int) -> None:
        """Note the offices of the person `name` named by doc[s:e] or by the title before it and
        a comma ("le chef de l'Etat, X")."""
        doc = self.doc
        if not self.P.periphrases:
            return
        self._note_office(name, doc[s:e])
        if s >= 2 and doc[s - 1].text == ",":
            k = s - 2
            while k > 0 and not (doc[k - 1].is_punct or doc[k - 1].is_space or doc[k - 1].pos_ in ("VERB", "AUX")):
                k -= 1
            self._note_office(name, doc[k:s - 1])

    def _note_office(self, name: str, span) -> None:
        """Remember the titles (role_hypernyms) of a periphrasis `span` that names the person
        `name` ("le chef de l'Etat, Bertrand Loisel")."""
        if len(span) and self._periphrasis(span):
            self.offices.setdefault(name, set()).update(self._titles_for(span))

    def _by_office(self, s: int, e: int) -> _Mention | None:
        """A short title ("le président", "la Première ministre") that is the office of a person
        named before by a periphrasis of it ("le chef de l'Etat, X", "la cheffe du
        gouvernement, X"), gender permitting; else None."""
        doc = self.doc
        if not self.offices or e - s > 3 or doc[s].lower_ not in self.P.definite:
            return None
        first = self.P.role(doc[s + 1].lower_) if e - s > 1 else ""
        gender = _opener_gender(doc[s:e].text, self.P) or self.P.gender_openers.get(doc[s].lower_)
        for cand in reversed(self.history):
            if cand.kind == "person" and first in self.offices.get(cand.resolved, ()) \
                    and self.gender.get(cand.resolved, gender) in (gender, None):
                return _Mention(doc[s].i, doc[s:e].text, cand.resolved, cand.entity, cand.kind, cand.head, cand.words)
        return None

    def _periphrasis(self, span) -> bool:
        """Whether the speaker phrase is one of Profile.periphrases (its determiner, the
        adjectives before its noun and accents aside, a qualifier after it allowed: "l'ancien
        chef de l'Etat", "la cheffe du gouvernement québécois")."""
        phrase = _fold(" ".join(self._role_words(span)))
        for p in self.P.periphrases:
            p = _fold(" ".join(p.split()[1:]) if p.split()[0] in self.P.definite else p.split("'", 1)[-1])
            if phrase == p or phrase.startswith(p + " "):
                return True
        return False

    def _entity_for(self, tok: Token) -> dict[str, Any] | None:
        labels = frozenset({"PERSON", "ORG", "NORP"}) if tok.pos_ in ("PROPN", "NOUN") else frozenset({"PERSON", "ORG"})
        return _entity_in(self.entities, 0, len(_text(self.doc)) + 1, labels, containing=tok.idx)

    def _known_person(self, word: str) -> _Mention | None:
        """The latest source met so far who is a person with this surname (the first met when
        two share it): surname last (Western order) first, then surname first ("Park Seo-yeon" ->
        "Park")."""
        people = [c for c in reversed(self.history) if c.kind == "person"]
        bearers = [c for c in people if _surname(c.resolved) == word]
        if len({c.resolved for c in bearers}) > 1:
            # Two people share the surname ("Marcus Hill" and his mother "Bernice Hill"): the
            # surname alone is the one the story named first, its subject; relatives are named in full.
            return bearers[-1]
        return next((c for c in people if _surname(c.resolved) == word), None) or next(
            (c for c in people if len(c.resolved.split()) > 1 and c.resolved.split()[0] == word), None)

    def _full_name(self, head: Token, word: str | None = None, kind: str = "person") -> _Mention | None:
        """The person named in full of whom `head` (or the name `word` ending at it) is the
        surname: a source met earlier, else the closest full name in the article's entities or
        text (earlier first), a person; else the one longer name in the entities (PERSON or
        ORG, which the small model swaps) that starts with it ("Rose-Lynn" -> "Rose-Lynn
        Harlan"), of the given `kind`; else None."""
        word = word or head.text
        known = self._known_person(word)
        if known is not None:
            return known
        found = [(ent["start_char"], ent["norm"]) for ent in self.entities
                 if _std(ent) == "PERSON" and len(ent["norm"].split()) > 1 and _surname(ent["norm"]) == word]
        if not found and (full := full_name_in_text(_text(self.doc), word)) is not None:
            found = [(_text(self.doc).find(full), full)]
        if not found:
            longer = {ent["norm"] for ent in self.entities if _std(ent) in ("PERSON", "ORG")
                      and len(ent["norm"].split()) > 1 and ent["norm"].split()[0] == word}
            if len(longer) != 1:
                return None   # none, or two people share the given name
            (name,) = longer
            return _Mention(head.i, word, name, name, kind, head.lower_, frozenset(name.lower().split()))
        earlier = [f for f in found if f[0] < head.idx]
        _, name = max(earlier) if earlier else min(found)
        return _Mention(head.i, word, name, name, "person", head.lower_, frozenset(name.lower().split()))

    def _surname_of(self, s: int, e: int) -> _Mention | None:
        """The person named in full earlier whose surname doc[s:e] is, a title before it
        dropped: a surname of several words ("Le Bihan", "M. de La Roche", "du Mesnil"), or
        of one after a title ("le Dr Lacombe"); else None. Only capitalized words, particles
        and hyphens make such a surname."""
        doc = self.doc

        def title(tok: Token) -> bool:
            return tok.text in _NAME_TITLES or (tok.is_lower and self._is_person_noun(tok))

        titled = False
        if s < e - 2 and doc[s].lower_ in self.P.definite and title(doc[s + 1]):
            s += 1   # "le Dr Lacombe", "le colonel Susini"
        while s < e - 1 and title(doc[s]):
            s, titled = s + 1, True
        span = doc[s:e]
        particles = self.P.of_words | {"le", "la"}
        if len(span) < 2 - titled or not span[-1].text[:1].isupper() or not all(
                (t.is_alpha and t.text[:1].isupper()) or t.lower_ in particles or t.text in "-‐" for t in span):
            return None
        words = span.text.split()
        n = len(words)
        for cand in reversed(self.history):
            if cand.kind == "person" and cand.resolved.split()[-n:] == words and len(cand.resolved.split()) > n:
                return _Mention(span[-1].i, span.text, cand.resolved, cand.entity, "person", cand.head, cand.words)
        m = re.search(r"\b[^\W\d_][\w-]*(?:[ -][A-ZÀ-Ý][\w-]*)? " + re.escape(span.text) + r"\b", _text(doc))
        if m is None or not m.group(0)[:1].isupper() or m.start() >= doc[s].idx:
            return None
        name = m.group(0)
        if name.split()[0] in _NAME_TITLES:
            name = name.split(" ", 1)[1]   # "Dr Sophie Lacombe"
        return _Mention(span[-1].i, span.text, name, name, "person", span[-1].lower_, frozenset(name.lower().split()))

    def _named_later(self, phrase: str) -> dict[str, Any] | None:
        """The PERSON entity that a later use of `phrase` introduces as a title ("…'s ambassador
        to Britain Liu Xiaming"), else None."""
        # Once a phrase, with the people by where they start: asking every entity after every use
        # of every description was cubic (2,000 quotes "…," the pilot said: 2.6 s of CPU).
        if phrase in self._named_later_found:
            return self._named_later_found[phrase]
        if self._people_at is None:
            self._people_at = {}
            for order, ent in enumerate(self.entities):
                if _std(ent) == "PERSON":
                    self._people_at.setdefault(ent["start_char"], []).append((order, ent))
        text = _text(self.doc)
        found = None
        at = text.find(phrase)
        while at != -1 and found is None:
            after = at + len(phrase)
            # the first of the entities in their order that starts one or two blank characters after it
            starts = [(order, ent) for start in (after + 1, after + 2) if not text[after:start].strip()
                      for order, ent in self._people_at.get(start, ())]
            found = min(starts, key=lambda pair: pair[0])[1] if starts else None
            at = text.find(phrase, after)
        self._named_later_found[phrase] = found
        return found

    def _name_after(self, e: int) -> dict[str, Any] | None:
        """The PERSON entity right after the comma that ends a phrase at token e (a title such
        as "Me" or "M." may stand before it), else a name read by its shape there
        (_apposed_name), else None."""
        return _named_after(self.doc, e, self.entities)

    def _describe(self, head: Token, s: int, e: int, *, remember: bool) -> _Mention:
        doc = self.doc
        text = doc[s:e].text.strip()
        # Not the words of another person joined to this one or of a clause about someone else
        # ("Peter Hollis and his sister, Ruth Hollis": "sister" is not his gender).
        others = {t.i for c in head.children if c.dep_ in ("conj", "cc", "relcl", "acl:relcl") and c.i > head.i
                  for t in c.subtree}
        for c in doc[s:e]:   # ("Le chef Thierry X et sa fille Léa X": the conjunct may hang on the name)
            if c.dep_ == "conj" and s <= c.head.i < c.i and c.i > head.i:
                others |= {t.i for t in c.subtree} | {t.i for t in c.head.children if t.dep_ == "cc" and t.i < c.i}
                others |= {t.i for t in doc[c.head.i + 1:c.left_edge.i] if t.dep_ in ("cc", "det", "poss")}
        # Nor a possessive's: "His friend, Jana Vogt" is not male.
        words = frozenset(t.lower_ for t in doc[s:e] if t.i not in others and not (t.dep_ == "poss" and t.pos_ == "PRON"))
        ent = self._entity_for(head)
        if ent is not None and (any(w in self.P.human_nouns for w in ent["text"].split() if w.islower())
                                or ent["text"] in _NAME_TITLES):
            ent = None   # a title NER took for a name ("Premier ministre", "M." alone)
        if head.lower_ in self.P.human_nouns and (ent is None or _std(ent) != "PERSON"):
            # "le ministre de l'Intérieur, Jean Dumont": the person in apposition, not the title
            # the small model took for an organisation.
            named = next((self._entity_for(t) for t in head.subtree if t.dep_ == "appos" and t.i != head.i
                          and (self._entity_for(t) or {}).get("label_std") == "PERSON"), None)
            ent = named or ent
        if ent is None and e - s > 1 and (doc[e - 1].pos_ == "PROPN" or self._name_closing(s, e)) and not any(
            t.pos_ in ("VERB", "AUX", "ADP", "PRON", "SCONJ") and t.lower_ not in self.P.of_words for t in doc[s:e]
        ):
            # A name closing the phrase the parser split apart: "the energy company Enerhoservis".
            ent = self._entity_for(doc[e - 1])
            first = self._token_end(ent["start_char"]) if ent is not None else 0
            while first > head.i + 1 and (doc[first - 1].text in _NAME_TITLES or doc[first - 1].pos_ == "DET"):
                first -= 1   # "de M. Santoni", "de la Bresse"
            if ent is not None and self._is_person_noun(head) and first > head.i + 1 \
                    and doc[first - 1].lower_ in self.P.of_words:
                # "L'avocat de M. Santoni, Me Rinaldi", "le maire d'Armentières": a name in the
                # title's complement says whose lawyer or which town's mayor, not who speaks
                # ("le député de Seine-Maritime Hugo Lemercier" is a name after the complement).
                ent = None
        if (ent is None or _std(ent) != "PERSON") and (self.P.role(head.lower_) in self.P.role_keys
                                                      or (head.pos_ == "NOUN" and head.is_lower
                                                          and head.lower_ not in self.P.document_nouns)
                                                      or (head.pos_ in ("PRON", "NUM") and any(
                                                          self._is_person_noun(t) for t in doc[head.i + 1:e]))):
            # ("l'une de leurs porte-parole, Léa Girard", "one of the organisers, Jane Doe")
            # "la préfète du département, Claire Audouard, a …", "explique sa cofondatrice, Inès
            # Bouaziz": a role or a description, then the name after a comma, however the parser
            # attached it (the small French model: as a conjunct).
            ent = self._name_after(e) or ent
            if ent is None and self.P.varied_roles:
                # "l'entraîneur rennais, Loïc Le Bihan": an adjective the tagger took for a verb
                # ended the phrase before the comma.
                k = e
                while k < min(e + 2, len(doc)) and doc[k].is_alpha and doc[k].is_lower \
                        and doc[k].pos_ not in ("ADP", "DET", "AUX", "PRON", "SCONJ", "CCONJ"):
                    k += 1
                ent = self._name_after(k) if k > e else None
        if ent is None:
            # "The chief negotiator for Vardia, Helene Sarrot, said": the name is an appositive
            # (which the parser may hang on any word of the phrase) set off by a comma, not a
            # name inside the phrase ("the authors of the study in the journal JAMA Psychiatry").
            for tok in head.subtree:
                if tok.dep_ == "appos" and tok.i != head.i and doc[tok.left_edge.i - 1].text == ",":
                    ent = self._entity_for(tok)
                    if ent is not None:
                        break
        if ent is not None and self.P.periphrases and doc[s].idx < ent["start_char"] < doc[e - 1].idx + len(doc[e - 1]) \
                and (self._periphrasis(doc[s:e]) or self._leader_titles(s, head, e)):
            ent = None   # "la garde des Sceaux", "la patronne des Verts": a name inside is no speaker
        mention: _Mention | None = None
        core = e
        if head.i == s + 1 and e - s > 3 and doc[s + 2].lower_ in ("from", "of") \
                and all(t.pos_ == "PROPN" or t.text in (",", ".") for t in doc[s + 3:e]):
            core = s + 2   # "the Democrat from Ohio", "the Swede of Team Nordic"
        if not self.P.varied_roles and core - s == 2 and doc[s].lower_ in self.P.definite and not head.text.endswith("s"):
            # ("the Dutchman": NER may take it for an organisation; "the Democrats" are a party)
            mention = self._by_nationality(head, s, core, text, words)
            if mention is not None:
                ent = None
        elif self.P.varied_roles and self.P.nationality and e - s == 2 and doc[s].lower_ in self.P.definite \
                and head.i == s + 1 and head.text[:1].isupper() and not (ent is not None and _std(ent) == "ORG") \
                and head.lower_ not in self.P.role_nouns | self.P.company_nouns | self.P.document_nouns \
                and (doc[s].is_lower or s == 0 or doc[s].is_sent_start or doc[s - 1].text in _SENT_END
                     or doc[s - 1].is_space or "\n" in doc[s - 1].text_with_ws):
            # "le Néerlandais", "le Basque": the person introduced with that word, else the latest
            # person named, of the determiner's gender (not a title: "selon Le Parisien").
            mention = self._demonym_person(head, s, text, words)
            if mention is not None:
                ent = None
        if ent is not None:
            # The small model swaps PERSON and ORG often; a role word in the phrase decides.
            # Only the words before the name count ("Union organiser Shirin Akter"), not a
            # trailing "of the National Institute".
            name_at = self._token_end(ent["start_char"]) if ent["start_char"] > head.idx else head.i
            left = {t.lower_ for t in doc[s:max(head.i, name_at)]}
            kind = "person" if _std(ent) == "PERSON" else "org"
            human = (left | {w.rsplit("-", 1)[-1] for w in left} | {_SINGULAR.get(w, w[:-1]) for w in left if w in _SINGULAR or w.endswith("s")}) \
                & self.P.human_nouns   # "vice-président"; "one of the two men, Femi Adeyemi"
            if left & self.P.institution_nouns and not human:
                kind = "org"
            elif human or _gender_of(left, self.P) or _human_suffix(left, self.P):
                kind = "person"

            if self.P.varied_roles and kind == "person" and not human and (
                    left & self.P.company_nouns or ent["text"].lower().split("'")[-1] in self.P.institution_nouns):
                kind = "org"   # "le laboratoire X"; "selon Matignon", tagged a person: an institution's seat
            if self.P.varied_roles and kind == "org" and len(ent["norm"].split()) > 1 and ent["start_char"] >= doc[s].idx \
                    and _given_gender(ent["norm"], self.P, alone=True):
                kind = "person"   # "le sélectionneur de l'équipe de France, Fabien X": a given name
            apposition = self._apposition_words(e)
            if kind == "org" and ent["start_char"] <= doc[s].idx and apposition & self.P.human_nouns:
                kind = "person"   # "Eswar Prasad, a trade professor at Cornell," tagged ORG
            if kind == "org" and re.match(r",\s*\d{1,3}\s*(?:,|ans\b)", _text(doc)[ent["end_char"]:ent["end_char"] + 12]):
                kind = "person"   # "Marcus Hill, 51, walked out …": an age in apposition is a person's
            if kind == "org" and not left & self.P.institution_nouns and _given_gender(ent["text"], self.P) \
                    and 2 <= len(ent["text"].split()) <= 3 and all(w[:1].isupper() and w.replace("-", "").replace("'", "").isalpha()
                                                                  for w in ent["text"].split()):
                kind = "person"   # "Nadia Kerr shared the news", tagged ORG: a given name and a surname
            apposition = apposition | self._title_before(s) if kind == "person" else frozenset()
            if kind == "person":
                self._note_offices(ent["norm"], s, e)
            name = self._org_name(ent, s, e) if kind == "org" and self.P.varied_roles else ent["norm"]
            if kind == "person" and not self.P.varied_roles and len(name.split()) > 2:
                name = normalize_name(name, strip_titles=True)   # "Nurse Amara Obi" as NER took it
                first, second = name.split()[:2] if len(name.split()) > 2 else ("", "")
                if _given_gender(second, self.P, alone=True) and not _given_gender(first, self.P, alone=True) and (
                        first.lower() in self.P.human_nouns or first.lower().endswith(("er", "or", "ist", "ian"))):
                    name = name.split(" ", 1)[1]   # "Pensioner Joan Hale": a role word before a given name
            if kind == "person" and s < self._token_end(ent["start_char"]) <= e:
                name = self._written_name(ent, name)
            parts = name.split()
            if kind == "person" and self.P.varied_roles and len(parts) > 2 and parts[0].isupper() and parts[0].isalpha():
                name = " ".join(parts[1:])   # "le député LR Thibault Marchal": the party, not a first name
            mention = _Mention(head.i, text, name, name, kind, head.lower_,
                               words | frozenset(name.lower().split()) | apposition)
            lone = doc[s:e].text == ent["text"] and " " not in ent["text"]   # "Apte", "Rose-Lynn"
            known = self._known_person(ent["text"]) if lone else None
            if known is not None:
                # A lone surname of a source met earlier in the story is that source, whatever
                # other full name NER merged it with (a "Josh Apte" in a tweet's byline).
                mention = known
            elif lone and " " not in ent["norm"]:
                # A lone name that the article gives in full elsewhere ("Sanborn", tagged ORG,
                # after "Jeff Sanborn", which NER missed): the full name, a person.
                full = self._full_name(head, ent["text"], kind)
                if full is not None:
                    mention = full
            elif kind == "person" and self.P.varied_roles and ent["norm"][:1].islower():
                # "Mme de Kergariou" after "Armelle de Kergariou", tagged a place: a surname only.
                mention = self._surname_of(s, e) or mention
        elif e - s == 1 and head.text[:1].isupper() and head.pos_ in ("PROPN", "NOUN", "ADJ", "ADV") \
                and not (head.pos_ == "NOUN" and head.lower_ in self.lower_words):
            # A surname NER missed (the tagger may call "Early" or "Young" an adverb or adjective);
            # not a common noun opening a sentence ("Teachers chanted"), which the article also
            # writes in lower case.
            mention = self._full_name(head)
        if mention is None and self.P.varied_roles and e - s > 1:
            mention = self._surname_of(s, e)
        if mention is None and self.P.periphrases and self._periphrasis(doc[s:e]):
            # (also with a qualifier after it: "la cheffe du gouvernement québécois")
            # "le chef de l'État": the president just named; "la représentante de l'État": the préfète
            mention = self._latest_person(_opener_gender(text, self.P), titles=self._titles_for(doc[s:e]),
                                          strict=True)
            if mention is not None:
                self._note_office(mention.resolved, doc[s:e])
                mention = _Mention(head.i, text, mention.resolved, mention.entity, mention.kind, mention.head,
                                   mention.words)
        if mention is None and self.P.varied_roles:
            mention = self._by_office(s, e)
        if mention is None and (leader := self._leader_titles(s, head, e)):
            # "le patron de l'enseigne", "la dirigeante du groupe", "la patronne des Verts", "le
            # numéro un du PS": the head of the company or party, the latest person named with
            # one of the titles the word stands for (role_hypernyms).
            cand = self._latest_person(_opener_gender(text, self.P), titles=leader, strict=True)
            if cand is not None:
                mention = _Mention(head.i, text, cand.resolved, cand.entity, cand.kind, cand.head, cand.words)
        if mention is None and self.P.documents_as_written and head.pos_ != "PROPN" \
                and head.lower_ in self.P.document_nouns and _is_short_description(doc[s:e], head):
            # "l'étude", "le rapport": the text speaks as named, whatever text was described before.
            mention = _Mention(head.i, text, text, None, "document", head.lower_, words)
        if mention is None and self.P.varied_roles and 4 < e - s <= 9 and doc[s].lower_ in self.P.definite \
                and self._is_person_noun(head) and not any(t.pos_ in ("VERB", "AUX") for t in doc[s:e]):
            mention = self._same_title(head, s, e)
        if mention is None and (age := self._aged(text)) is not None:
            mention = self._aged_person(age.group(1), s, head, text, words)
        if mention is None and e - s <= 3 and doc[s].lower_ in _POSSESSIVES and self._is_person_noun(head):
            # "selon son avocate" after "Son avocate, Me Sandrine Pellen, a dénoncé …": a role
            # word after a possessive is the person named with that role before.
            cand = next((c for c in reversed(self.history) if c.kind == "person" and c.entity is not None
                         and (c.head == head.lower_ or head.lower_ in c.words)), None)
            if cand is not None:
                mention = _Mention(head.i, text, cand.resolved, cand.entity, cand.kind, cand.head, cand.words)
        if mention is None and self.P.varied_roles and e - s == 2 and doc[s].lower_ in _POSSESSIVES \
                and (kin := _gender_of({head.lower_}, self.P)):
            # "glisse sa femme" after "Jacques et Martine Perrin": the person of that gender who
            # shares a surname with another one named in the story.
            people = [c for c in reversed(self.history) if c.kind == "person" and c.entity is not None]
            cand = next((c for c in people if self.gender.get(c.resolved) == kin and any(
                o.resolved != c.resolved and _surname(o.resolved) == _surname(c.resolved) for o in people)), None)
            if cand is not None:
                mention = _Mention(head.i, text, cand.resolved, cand.entity, cand.kind, cand.head, cand.words)
        if mention is None and self.P.varied_roles and self.P.spokesman and e < len(doc) \
                and (voice := re.match(self.P.spokesman, _text(doc)[doc[e - 1].idx + len(doc[e - 1]):])):
            # "l'opposition, par la voix de son chef de file Laurent Duchêne, a salué …": he speaks.
            after = doc[e - 1].idx + len(doc[e - 1]) + voice.end()
            ent = next((x for x in sorted(self.entities, key=lambda x: x["start_char"])
                        if _std(x) == "PERSON" and after <= x["start_char"] <= after + 60
                        and "," not in _text(doc)[after:x["start_char"]]), None)
            if ent is not None:
                name = ent["norm"]
                known = next((c for c in reversed(self.history) if c.kind == "person" and c.resolved == name), None)
                mention = known or _Mention(head.i, text, name, name, "person", head.lower_,
                                            words | frozenset(name.lower().split()))
        if mention is None and _is_short_description(doc[s:e], head):
            role = self.P.role(head.lower_)
            if self.P.varied_roles and head.lower_.startswith("ex-"):
                role = self.P.role(head.lower_[3:])   # "l'ex-président": the former president named before
            # "The Italian foreign ministry" is not "Germany's foreign ministry": a capitalized word
            # before the head tells whose it is, and an earlier phrase without it is someone else.
            marks = [t.i for t in doc[s + 1:head.i] if t.text in _ALL_MARKS]
            titled = set(range(marks[0], marks[-1] + 1)) if len(marks) >= 2 else set()   # the “Pose” actor
            # ("the Houston-based company": where it is based says nothing of whose it is)
            proper = frozenset(t.lower_ for t in doc[s + 1:head.i] if t.is_alpha and t.text[:1].isupper()
                               and t.i not in titled and not (t.i + 2 < head.i + 1 and doc[t.i + 1].text == "-"
                                                              and doc[t.i + 2].lower_ in _PLACE_SUFFIXES))
            compounds = frozenset(t.lower_ for t in doc[s + 1:head.i] if t.dep_ == "compound" and t.is_alpha
                                  and t.is_lower)
            for cand in reversed(self.history):
                if cand.kind == "document" and head.lower_ not in self.P.document_nouns:
                    continue   # "the physicians" is not "the letter signed by seven physicians"
                if proper - {w.lower() for w in cand.words}:
                    continue
                if not self.P.varied_roles and cand.kind in ("person", "desc") and (compounds - cand.words):
                    continue   # "the agency chief" is not "X, the chief executive of the association"
                if cand.head == head.lower_ or _ABBREVIATED.get(head.lower_, frozenset({""})) <= cand.words or (
                        head.lower_ in cand.words and not (
                        cand.entity is None and cand.kind == "desc")) or (
                        role in self.P.role_keys and role in {self.P.role(w) for w in cand.words}):
                    # (an unnamed phrase is met by its head only: "the company" is not "an oil
                    # company executive", "the agency" not "agency policy")
                    mention = _Mention(head.i, text, cand.resolved, cand.entity, cand.kind, cand.head, cand.words)
                    if cand.entity is None and cand.kind == "desc":
                        # "A former White House adviser told …" then "Gregory Tannen, who served as
                        # a senior adviser, …": the lede's description is the person named after it.
                        ent = next((x for k in range(s - 1, cand.tok, -1) if doc[k].lower_ == head.lower_
                                    and not self.inside_quote(doc[k].idx)
                                    and (x := _described_person(doc, doc[k], self.entities)) is not None), None)
                        ent = ent or next((x for k in range(s - 1, cand.tok, -1) if doc[k].dep_ in ("relcl", "acl:relcl")
                                           and _agent_of(head.lower_, doc[k].lower_)
                                           and not self.inside_quote(doc[k].idx)
                                           and (x := _entity_in(self.entities, 0, len(_text(doc)) + 1,
                                                                frozenset({"PERSON"}), containing=doc[k].head.idx))
                                           is not None), None)   # "X, who advised the prime minister, …"
                        if ent is not None:
                            mention = _Mention(head.i, text, ent["norm"], ent["norm"], "person", head.lower_,
                                               words | frozenset(ent["norm"].lower().split()))
                    break
            if mention is None and (head.lower_ in self.P.anaphoric_roles or self._descriptive_noun(head)) and (
                    e - s <= 2 or (e - s == 3 and (doc[e - 1].pos_ == "ADJ" or doc[s + 1].pos_ == "ADJ"))):
                # ("le technicien basque", "la jeune femme")
                cand = self._latest_person(_gender_of(words, self.P) or _opener_gender(text, self.P),
                                           titles=self._titles_for(doc[s:e]))
                if cand is not None and head.lower_ not in self.P.anaphoric_roles:
                    # "l'alpiniste" after "le guide X" and "le préfet Y": not the holder of an office
                    cand = self._latest_person(_gender_of(words, self.P) or _opener_gender(text, self.P),
                                               officeless=True) or cand
                if cand is not None:
                    mention = _Mention(head.i, text, cand.resolved, cand.entity, cand.kind, cand.head, cand.words)
            if mention is None and head.lower_ in self.P.company_nouns:
                name = (None if self.P.varied_roles else self._latest_org(s, text)) or _company_named(doc, s)
                if name is None and self.P.varied_roles:
                    # "la compagnie" after "La SNCF a annoncé …": the latest body named as a source
                    name = next((c.resolved for c in reversed(self.history) if c.kind == "org" and c.entity), None)
                if name is not None:   # "le groupe" after "le constructeur automobile Stellaris"
                    mention = _Mention(head.i, text, name, name, "org", head.lower_, frozenset(name.lower().split()))
            if mention is None:
                earlier = _earlier_description(doc, head, s, self.entities)
                if earlier is not None and proper - set(earlier[0].lower().split()):
                    earlier = None
                if earlier is not None:
                    resolved, entity = earlier
                    kind = "desc" if entity is None else "person" if any(
                        _std(x) == "PERSON" and x["norm"] == entity for x in self.entities) or (
                        self.P.varied_roles and self._is_person_noun(head)) else "org"
                    mention = _Mention(head.i, text, resolved, entity, kind, head.lower_,
                                       frozenset(resolved.lower().split()))
            roles_only = all(t.pos_ in ("DET", "CCONJ") or t.i == head.i or (t.dep_ == "conj" and t.head.i == head.i
                                                                           and t.pos_ == "NOUN") for t in doc[s:e])
            if mention is None and not self.P.varied_roles and head.pos_ == "NOUN" and (e - s <= 3 or roles_only) \
                    and self._is_person_noun(head):
                # "said the actor", "the patient wrote", "the doctors stated", "the singer and
                # guitarist told": a role word with no earlier phrase of its own refers to the
                # latest person (or group) in the story. (French titles do not: "le préfet" is a
                # new source; its generic words are anaphoric_roles.)
                gender = _gender_of(words, self.P) or _opener_gender(text, self.P)
                cand = self._latest_group() if head.tag_ in ("NNS", "NOUN__Number=Plur") or head.morph.get(
                    "Number") == ["Plur"] else self._latest_person(gender, described=True)
                if cand is not None:
                    mention = _Mention(head.i, text, cand.resolved, cand.entity, cand.kind, cand.head,
                                       cand.words | {head.lower_})
        given = self.P.varied_roles and e - s >= 2 and _given_gender(doc[s].text, self.P, alone=True) is not None and all(
            t.text[:1].isupper() and t.is_alpha or t.text in "-‐" for t in doc[s:e])   # "Léa Fontanel", tagged a noun
        if mention is None and (given or head.pos_ == "PROPN" and head.text[:1].isupper() and all(
            t.pos_ == "PROPN" or t.is_punct or (self.P.varied_roles and t.i == s and t.pos_ == "DET") for t in doc[s:e]
        )):   # (French names a seat of power with its article: "selon l'Elysée")
            # A name NER missed ("Mayor Ana Ruiz"): the name without its title. A place that
            # speaks ("Kabul had ensured …") is its government, never a "he" or "she".
            name = normalize_name(text, strip_titles=True)
            place = _entity_in(self.entities, 0, len(_text(doc)) + 1, frozenset({"LOC"}), containing=head.idx)
            if place is None and self.P.varied_roles:   # (tagged a place elsewhere in the story only)
                place = next((x for x in self.entities if _std(x) == "LOC" and re.split(r"[\s'’]", x["text"])[-1] == head.text), None)
            kind = "org" if words & self.P.institution_nouns or place is not None else "person"
            if kind == "org" and not words & self.P.institution_nouns and given:
                kind = "person"   # "Elise Borgne", tagged a place: a given name makes a person
            if kind == "person":
                self._note_offices(name, s, e)
            if given and kind == "person":   # a name all the same, with the title before it
                mention = _Mention(head.i, text, name, name, kind, head.lower_,
                                   words | frozenset(name.lower().split()) | self._title_before(s))
            else:
                mention = _Mention(head.i, text, name, None, kind, head.lower_, words | frozenset(name.lower().split()))
        if mention is None and e - s >= 3 and head.pos_ == "NOUN" and self._is_person_noun(head):
            # "China's ambassador to Britain accused …", named further down as "China's
            # ambassador to Britain Liu Xiaming": the description is that person's title.
            ent = self._named_later(doc[s:e].text)
            if ent is not None:
                mention = _Mention(head.i, text, ent["norm"], ent["norm"], "person", head.lower_,
                                   words | frozenset(ent["norm"].lower().split()))
        if mention is None and self.P.varied_roles and self._is_person_noun(head) and e - head.i >= 4 \
                and doc[head.i + 1].lower_ in self.P.of_words:
            # "Le député de Seine-Maritime Hugo Lemercier", NER taking place and name for one
            # place: a title's complement then two capitalized words, not joined by a hyphen to
            # what comes before them, is the name.
            last = doc[e - 2:e]
            if all(t.is_alpha and t.text[:1].isupper() and not t.text.isupper() for t in last) \
                    and (doc[e - 3].text[:1].isupper() or doc[e - 3].text in "-‐") \
                    and not (doc[e - 3].text in "-‐" and not doc[e - 3].whitespace_) \
                    and not any(t.text in "-‐" and not t.whitespace_ for t in doc[e - 3:e - 1]):
                name = last.text
                mention = _Mention(head.i, text, name, name, "person", head.lower_, words | frozenset(name.lower().split()))
        if mention is None:
            if head.lower_ in self.P.institution_nouns or (self.P.varied_roles and head.lower_ in self.P.company_nouns):
                kind = "org"   # ("l'éditeur", no publisher named before)
            elif head.tag_ in ("NNS", "NNPS") or any(t.dep_ == "conj" for t in head.children):
                kind = "group"
            else:
                kind = "desc"
            resolved = doc[s:_core_end(head, e)].text.strip()
            if kind == "org" and self.P.varied_roles:
                resolved = self._org_proper(resolved)   # "Le syndicat SUD-Rail" -> SUD-Rail
            mention = _Mention(head.i, text, resolved, None, kind, head.lower_, words)
        if mention.kind in ("org", "person", "desc") and mention.resolved.split() and (
                full := _acronym_expansion(doc, mention.resolved, doc[s].idx, self.entities, self._acronyms)) is not None:
            # "the NFIA" after "The National Food Inspection Agency (NFIA)", "la DGA", "the Chinese CDC"
            mention = _Mention(mention.tok, mention.text, full, full, "org", mention.head,
                               mention.words | frozenset(full.lower().split()))
        if head.pos_ == "NOUN" and head.lower_ in self.P.document_nouns:
            # "the statement", "court filings", "a joint statement from the two ministries": the
            # words come from a text, not a person, whoever stands behind it.
            mention = _Mention(mention.tok, mention.text, mention.resolved, None, "document",
                               mention.head, mention.words)
        titled = next((_TITLE_GENDER[t.lower_] for t in doc[s:e] if t.lower_ in _TITLE_GENDER), None)
        if mention.kind == "person" and titled and self.gender.get(mention.resolved, titled) != titled:
            # "Mme Tessier" after "la maire, Marie Tessier" and "Olivier Tessier, … a-t-il": NER
            # gives both one name; the title's gender tells which bearer of the surname speaks.
            other = self._other_bearer(_surname(mention.resolved), titled, mention.resolved)
            if other is not None:
                mention = _Mention(head.i, text, other.resolved, other.entity, "person", other.head, other.words)
        parts = mention.resolved.split()
        cut = max((n for n, w in enumerate(parts[:-2]) if w.isalpha() and w.isupper() and 2 <= len(w) <= 3),
                  default=-1)
        if mention.kind == "person" and cut >= 0 and not self.P.varied_roles:
            # "Browns DL Sheldon Richardson" as NER took it: a position in capitals before the
            # given name, and the team before it, are no part of the name.
            name = " ".join(parts[cut + 1:])
            mention = _Mention(mention.tok, mention.text, name, name if mention.entity else None, "person",
                               mention.head, mention.words)
        if mention.kind == "person" and ent is not None and mention.resolved not in self.gender \
                and (before := self._gender_before(ent)):
            self.gender[mention.resolved] = before   # "et sa fille Léa Marx-Dupin"
        if mention.kind == "person" and self.P.varied_roles and mention.resolved not in self.gender:
            gender = self._agreement_gender(s, e)
            if gender:
                self.gender[mention.resolved] = gender
        if remember:
            self._remember(mention)
        return mention

    def _aged_person(self, age: str | None, s: int, head: Token, text: str, words: frozenset[str]) -> _Mention | None:
        """The person a definite description by age ("the 58-year-old", "le navigateur de 44
        ans", "le sexagénaire": `age` None) refers back to: the latest person given that age
        before it ("Kamau, 61,", an earlier "the 61-year-old"), else the latest person of a
        compatible gender; None when there is none."""
        doc = self.doc
        before = _text(doc)[:doc[s].idx]
        given = [ent for ent in self.entities if age and _std(ent) == "PERSON" and ent["end_char"] <= len(before)
                 and re.match(r",\s*" + age + r"\b", before[ent["end_char"]:ent["end_char"] + 8])]
        cand = None
        if given:
            name = given[-1]["norm"]
            cand = next((m for m in reversed(self.history) if m.resolved == name), None) or _Mention(
                head.i, text, name, name, "person", head.lower_, frozenset(name.lower().split()))
        if cand is None and age:
            cand = next((m for m in reversed(self.history) if m.kind == "person" and re.search(
                r"\b" + age + r"\b", m.text)), None)
        if cand is None:
            gender = _gender_of(words, self.P) or _opener_gender(text, self.P)
            # (where every named person is a candidate source, the history has them all already)
            cand = self._latest_person(gender, described=True) if self.P.varied_roles else self._latest_named(s, gender)
        if cand is None:
            return None
        return _Mention(head.i, text, cand.resolved, cand.entity, cand.kind, cand.head, cand.words | words)

    def _by_nationality(self, head: Token, s: int, e: int, text: str, words: frozenset[str]) -> _Mention | None:
        """The person a definite description by nationality refers back to ("the Swede", "the
        Frenchman": a nationality word, NER's NORP or of the shape Profile.nationality): the
        latest person introduced with that word ("Briton Tom Hale"), else the latest person
        named, gender permitting; None for any other phrase."""
        doc = self.doc
        norp = [t for t in doc[s + 1:e] if t.text[:1].isupper() and (t.ent_type_ == "NORP" or (
            self.P.nationality and re.fullmatch(self.P.nationality, t.text) and not (
                t.ent_type_ in ("ORG", "GPE", "FAC", "WORK_OF_ART") and not t.lower_.endswith("man"))))]
        # ("the Guardian", a newspaper NER tags ORG, is no Guardian person; "the Dutchman" tagged ORG is)
        if not norp or not (head.i == norp[-1].i or (head.i > norp[-1].i and self._is_person_noun(head))) \
                or any(t.ent_type_ == "PERSON" and t.i != norp[-1].i for t in doc[s:e]):
            return None
        word = norp[-1].lower_
        for tok in reversed(doc[:s]):
            if tok.lower_ != word or self.inside_quote(tok.idx):
                continue
            ent = next((x for x in self.entities if _std(x) == "PERSON"
                        and tok.idx <= x["start_char"] <= tok.idx + len(tok.text) + 40
                        and not any(t.is_punct or t.pos_ in ("VERB", "AUX", "ADP")
                                    for t in doc[tok.i + 1:self._token_end(x["start_char"])])), None)
            if ent is not None:
                name = ent["norm"]
                if name.split()[0].lower() == word and len(name.split()) > 2:
                    name = name.split(" ", 1)[1]   # "Briton Tom Hale" as NER took it
                return _Mention(head.i, text, name, name, "person", head.lower_, words | frozenset(name.lower().split()))
        lowered = {w.lower() for w in words}
        gender = _gender_of(lowered, self.P) or (
            "f" if any(w.endswith("woman") for w in lowered) else "m" if any(w.endswith("man") for w in lowered) else None)
        cand = self._latest_named(s, gender)
        if cand is None:
            return None
        return _Mention(head.i, text, cand.resolved, cand.entity, cand.kind, cand.head, cand.words | words)

    def _demonym_person(self, head: Token, s: int, text: str, words: frozenset[str]) -> _Mention | None:
        """The person "le Néerlandais" (a word of the shape Profile.nationality) refers back to, in
        languages with `varied_roles`: the name written right after an earlier use of the word
        ("le Néerlandais Sem Van Dijk", NER's entity or capitalized names), else the latest
        person named, of the determiner's gender; None for any other phrase or when there is none."""
        doc = self.doc
        if not re.fullmatch(self.P.nationality, head.text):
            return None
        for tok in reversed(doc[:s]):
            if tok.lower_ != head.lower_ or self.inside_quote(tok.idx):
                continue
            k = tok.i + 1
            while k < min(tok.i + 5, len(doc)) and doc[k].pos_ == "PROPN" and doc[k].is_alpha and doc[k].text[:1].isupper():
                k += 1
            if k - tok.i > 2:
                ent = _entity_in(self.entities, 0, len(_text(doc)) + 1, frozenset({"PERSON"}), containing=doc[tok.i + 1].idx)
                name = ent["norm"] if ent is not None and ent["start_char"] > tok.idx else doc[tok.i + 1:k].text
                known = next((m for m in reversed(self.history) if m.kind == "person" and m.resolved == name), None)
                if known is not None:
                    return _Mention(head.i, text, known.resolved, known.entity, "person", known.head, known.words | words)
                return _Mention(head.i, text, name, name, "person", head.lower_, words | frozenset(name.lower().split()))
        cand = self._latest_person(self.P.gender_openers.get(doc[s].lower_))
        if cand is None:
            return None
        return _Mention(head.i, text, cand.resolved, cand.entity, cand.kind, cand.head, cand.words | words)

    def _other_bearer(self, surname: str, gender: str, other_than: str) -> _Mention | None:
        """Another person with this surname whose gender is not known to differ: the latest met
        as a source, else one named in full in the entities' text; None when there is none."""
        for m in reversed(self.history):
            if m.kind == "person" and m.resolved != other_than and _surname(m.resolved) == surname \
                    and self.gender.get(m.resolved, gender) == gender:
                return m
        for ent in self.entities:
            name = ent["text"]
            if _std(ent) == "PERSON" and len(name.split()) > 1 and name != other_than and _surname(name) == surname \
                    and self.gender.get(name, gender) == gender and name.split()[0] not in _NAME_TITLES:
                return _Mention(-1, name, name, name, "person", surname.lower(), frozenset(name.lower().split()))
        return None

    def _name_closing(self, s: int, e: int) -> bool:
        """Whether doc[s:e] ends in a name the tagger read as adjectives, after a lower-case word
        that is no preposition or determiner ("L'association de défense des libertés numériques
        Quadrature Libre"; not "le ministre de l'Intérieur")."""
        doc = self.doc
        k = e - 1
        while k > s and doc[k].is_alpha and doc[k].text[:1].isupper() and doc[k].ent_type_:
            k -= 1
        return k < e - 1 and k > s and doc[k].is_lower and doc[k].is_alpha and doc[k].pos_ not in ("ADP", "DET") \
            and doc[k].lower_ not in self.P.of_words

    def _written_name(self, ent: dict[str, Any], name: str) -> str:
        """A person's name as written when NER tagged the surname alone and gave it another
        bearer's full name: "Ella Marsh and her husband, Victor Marsh" -> "Ella Marsh", by the
        given name written before it; else `name`."""
        doc = self.doc
        first = self._token_end(ent["start_char"])
        given = doc[first - 1] if first > 0 else None
        if given is not None and " " not in ent["text"] and given.pos_ == "PROPN" and given.is_alpha \
                and given.text[:1].isupper() and not given.text.isupper() and given.text not in _NAME_TITLES \
                and given.lower_ not in _TITLE_GENDER and given.lower_ not in self.P.human_nouns \
                and name.split()[0] != given.text:
            return f"{given.text} {ent['text']}"
        return name

    def _gender_before(self, ent: dict[str, Any]) -> str | None:
        """The gender a role word or title just before a name gives ("her husband, Victor
        Marsh", "Mrs. Ames", "sa fille Léa X"), possessives skipped, not past a preposition ("the
        wife of John X"); else None."""
        doc = self.doc
        k = self._token_end(ent["start_char"]) - 1
        if k >= 0 and doc[k].text == ",":
            k -= 1
        words = []
        while k >= 0 and len(words) < 3 and not (doc[k].is_punct or doc[k].is_space or doc[k].pos_ == "ADP"):
            if not (doc[k].dep_ == "poss" and doc[k].pos_ == "PRON"):
                words.append(doc[k].lower_)
            k -= 1
        return next((_TITLE_GENDER[w] for w in words if w in _TITLE_GENDER), None) or _gender_of(words, self.P)

    def _named_before(self, s: int, label: str) -> Iterator[tuple[dict, Token]]:
        """Entities with this standard label that end before token s, outside quotes, latest
        first, each with the token heading its name (up through compound and flat links)."""
        for ent in sorted(self.entities, key=lambda x: x["start_char"], reverse=True):
            if _std(ent) != label or ent["end_char"] > self.doc[s].idx or self.inside_quote(ent["start_char"]):
                continue
            root = self.doc[self._token_end(ent["end_char"]) - 1]
            while root.dep_ in ("compound", "flat", "flat:name") and root.head is not root:
                root = root.head
            yield ent, root

    def _latest_org(self, s: int, phrase: str) -> str | None:
        """The organisation named last before token s outside quotes, for "the company" with no
        earlier phrase of its own: as a subject, a possessive, an apposition or after "of" /
        "for" / "at" ("a spokesperson for Instagram", "a vice president at Gulfline"), not an addressee or a source of the reporter's
        ("told Reuters", "confirmed to WIRED", "according to Bloomberg"), nor a name the phrase
        holds ("the Facebook-owned company"); None when there is none."""
        for ent, root in self._named_before(s, "ORG"):
            if root.dep_ in ("dobj", "dative", "iobj", "agent") or (
                    root.dep_ == "pobj" and root.head.lower_ not in ("of", "for") and not (
                        root.head.lower_ == "at" and self._is_person_noun(root.head.head))):
                continue
            if ent["norm"].split()[0] in phrase:
                continue
            return ent["norm"]
        return None

    def _sentence_before(self, at: int) -> int:
        """The first token of the sentence before the one holding token `at` (or of that one)."""
        start = self.doc[at].sent.start
        return self.doc[start - 1].sent.start if start > 0 else start

    def _latest_gendered(self, s: int, gender: str) -> _Mention | None:
        """The latest unnamed person before token s, outside quotes, in any role, whose noun
        gives this gender ("WIRED spoke to one mother, who …": "one mother"); None if none."""
        doc = self.doc
        words = self.P.female_words if gender == "f" else self.P.male_words
        for tok in reversed(doc[:s]):
            if tok.pos_ != "NOUN" or tok.lower_ not in words or self.inside_quote(tok.idx) \
                    or any(c.dep_ == "poss" for c in tok.children) or tok.dep_ in ("poss", "compound"):
                continue   # ("her mother", "his wife" say whose: a source of their own only when named)
            sent = tok.sent
            ls, le = _np_bounds(tok, sent.start, sent.end)
            if any(t.ent_type_ == "PERSON" for t in doc[ls:le]):
                continue
            text = doc[ls:_core_end(tok, le)].text.strip(" ,")
            return _Mention(tok.i, text, text, None, "desc", tok.lower_, frozenset(text.lower().split()))
        return None

    def _latest_named(self, s: int, gender: str | None, *, any_role: bool = False) -> _Mention | None:
        """The person named last before token s outside quotes, as a subject, a possessive or
        an apposition ("talks with Mourinho's representatives" names him as well as a subject
        would; not an object or after a preposition), of a compatible
        gender, as the source met earlier or by the full name a lone surname has in the text."""
        doc = self.doc
        for ent, root in self._named_before(s, "PERSON"):
            if not any_role and root.dep_ in ("pobj", "dobj", "obj", "iobj", "obl", "obl:arg", "obl:mod", "nmod",
                                              "agent"):
                continue   # ("sacked by Manchester United", a club NER took for a person)
            name = self._written_name(ent, ent["norm"])
            if gender and self._gender_before(ent) not in (None, gender):
                continue
            cand = next((m for m in reversed(self.history) if m.kind == "person" and m.resolved == name), None)
            if cand is None and " " not in name:
                cand = self._full_name(doc[self._token_end(ent["end_char"]) - 1], name)
            if cand is None:
                cand = _Mention(self._token_end(ent["start_char"]), name, name, name, "person", name.lower(),
                                frozenset(name.lower().split()))
            known = self.gender.get(cand.resolved)
            if gender and known and known != gender:
                continue
            return cand
        return None

    def _agreement_gender(self, s: int, e: int) -> str | None:
        """The gender a past participle agreeing with the person doc[s:e] gives: "s'est indignée
        X", "X s'est dite …", "Interrogée par l'AFP, X" (être and reflexive verbs agree with
        their subject in French; avoir does not)."""
        doc = self.doc

        def gender(tok: Token) -> str | None:
            word = tok.lower_
            if not tok.is_alpha:
                return None
            if word.endswith(("ée", "ées")) or word in ("dite", "dites"):
                return "f"
            if word.endswith(("é", "és")) or word in ("dit", "dits"):
                return "m"
            return None

        etre = ("est", "était", "sera", "fût")
        if s >= 2 and doc[s - 2].lower_ in etre and (g := gender(doc[s - 1])):
            return g   # « … », s'est indignée X
        k = e
        if k < len(doc) and doc[k].lower_ in self.P.reflexive:
            k += 1
        if k + 1 < len(doc) and doc[k].lower_ in etre and (g := gender(doc[k + 1])):
            return g   # X s'est dite « … »
        if s >= 3 and doc[s - 1].text == ",":
            first = _paragraph_token_start(doc, s)
            first = next((k + 1 for k in range(s - 2, first - 1, -1) if doc[k].text in _SENT_END), first)
            if first < s - 2 and doc[first].text[:1].isupper() and not any(t.text == "," for t in doc[first:s - 1]):
                return gender(doc[first])   # Interrogée par l'AFP, X … (a parse may call it anything)
        return None


_LONG_CLAUSE = 7   # tokens


def _core_end(head: Token, e: int) -> int:
    """End of the phrase headed by `head` (ending at token e) without a long relative or
    participle clause or a time ("a 43-year-old man who saw his doctor in November after three
    months of …", "a statement on Wednesday"): what names the source, for a later "the man" to
    resolve to. A short clause identifies the source and stays ("an official who asked not to be
    named")."""
    for child in head.children:
        if child.i <= head.i or child.i >= e:
            continue
        long_clause = child.right_edge.i - child.left_edge.i >= _LONG_CLAUSE
        if (child.dep_ in _lang(head.doc).clause_deps and long_clause) or (
                child.dep_ in ("prep", "nmod", "obl") and any(t.ent_type_ in ("DATE", "TIME") for t in child.subtree)):
            return max(head.i + 1, child.left_edge.i)
    return e


_PLACE_SUFFIXES = frozenset({"based", "born", "headquartered", "bred", "raised"})
# English role abbreviations and the words they stand for ("the Apple CEO" after "Apple chief executive X").
_ABBREVIATED = {"ceo": frozenset({"chief", "executive"}), "cfo": frozenset({"chief", "financial"}),
                "coo": frozenset({"chief", "operating"}), "cto": frozenset({"chief", "technology"})}
_SINGULAR = {"men": "man", "women": "woman", "people": "person", "children": "child"}
_NAME_TITLES = frozenset({"M.", "Mme", "Me", "Mlle", "Dr", "Pr"})
# Possessive determiners opening a description by relation ("son avocate", "his lawyer").
_POSSESSIVES = frozenset({"his", "her", "their", "son", "sa", "ses", "leur"})
# Titles before a surname that give the person's gender.
_TITLE_GENDER = {"m.": "m", "mme": "f", "mlle": "f", "monsieur": "m", "madame": "f",
                 "mr": "m", "mr.": "m", "mrs": "f", "mrs.": "f", "ms": "f", "ms.": "f"}


def _mid_clause(doc: Doc, s: int) -> bool:
    """Whether token s follows a verb of its own clause (an object, not a subject the parse got wrong)."""
    for k in range(s - 1, max(-1, s - 12), -1):
        if doc[k].text in _SENT_END or doc[k].is_space or doc[k].text in _ALL_MARKS or doc[k].text == ",":
            return False
        if doc[k].pos_ in ("VERB", "AUX"):
            return True
    return False


def _company_named(doc: Doc, before: int) -> str | None:
    """The latest company named before token `before` by the shape "a company noun, its
    lower-case modifiers, then the name": "le constructeur automobile Stellaris", "la société
    grenobloise Hydrolia" (Profile.company_nouns); None when there is none."""
    P = _lang(doc)
    for tok in reversed(doc[:before]):
        if tok.lower_ not in P.company_nouns or not tok.is_lower:
            continue
        j = tok.i + 1
        while j < before and j < tok.i + 5 and doc[j].is_alpha and doc[j].is_lower \
                and (doc[j].pos_ not in ("ADP", "DET", "VERB", "AUX", "PRON", "CCONJ", "SCONJ")
                     or (doc[j].lower_ in P.of_words and j + 1 < before and doc[j + 1].is_lower)):
            j += 1   # ("le groupe de pêche industrielle Armor Océan": "de" and a lower-case noun)
        k = j
        while k < before and doc[k].text[:1].isupper() and (doc[k].is_alpha or doc[k].text in "-‐"):
            k += 1
        if k > j:
            return doc[j:k].text
    return None


def _named_after(doc: Doc, e: int, entities: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The PERSON entity right after the comma that ends a phrase at token e (a title such as
    "Me" or "M." may stand before it), else a name read by its shape there (_apposed_name: "said
    the group’s chair, Obi Nwosu.", the name tagged a place), else None."""
    if e >= len(doc) - 1 or doc[e].text != ",":
        return None
    for k in range(e + 1, min(e + 3, len(doc))):
        ent = _entity_in(entities, 0, len(_text(doc)) + 1, frozenset({"PERSON"}), containing=doc[k].idx)
        if ent is not None and ent["start_char"] >= doc[e + 1].idx:
            return ent
        if doc[k].is_punct or not doc[k].text[:1].isupper():
            break
    return _apposed_name(doc, e)


def _apposed_name(doc: Doc, e: int) -> dict[str, Any] | None:
    """A person's name read by its shape after the comma at token e, closed by punctuation:
    capitalized words, hyphens inside a word and lower-case particles between them, two words
    or more ("la préfète du Gard, Évelyne Sarrazin-Dubreuil, …", "l'entraîneur, Loïc Le Bihan,"),
    as an entity record (label PER). The small French model tags such names as places or cuts
    them in two; after a role and a comma the shape is a person's."""
    k = e + 1
    if k < len(doc) and doc[k].text in _NAME_TITLES:
        k += 1
    start, words, j = k, 0, k
    particles = _lang(doc).of_words | {"le", "la"}
    while j < len(doc):
        tok = doc[j]
        if tok.is_alpha and tok.text[:1].isupper() and (len(tok.text) == 1 or not tok.text.isupper()):
            words += not (j > start and doc[j - 1].text in "-‐" and not doc[j - 1].whitespace_)
        elif tok.text in "-‐" and not tok.whitespace_ and j > start and not doc[j - 1].whitespace_:
            pass
        elif tok.lower_ in particles and j > start and j + 1 < len(doc) and doc[j + 1].text[:1].isupper():
            pass
        else:
            break
        j += 1
    if words < 2 or j >= len(doc) or doc[j].text not in {",", ".", ";", ")", "("} or not doc[j - 1].is_alpha:
        return None
    name = doc[start:j].text
    return {"text": name, "norm": name, "label": "PER", "label_std": "PERSON",
            "start_char": doc[start].idx, "end_char": doc[j - 1].idx + len(doc[j - 1].text)}


def _name_opening(doc: Doc, comma: int) -> dict[str, Any] | None:
    """A name NER missed that opens its sentence up to the comma at token `comma`: capitalized
    words, particles and hyphens ("Solidarité Métallurgie, deuxième syndicat du secteur, …"),
    as an entity record (label ORG: a person's name there is one NER seldom misses)."""
    particles = _lang(doc).of_words | {"le", "la", "l'", "l’"}
    k = comma - 1
    while k >= 0 and ((doc[k].is_alpha and doc[k].text[:1].isupper()) or doc[k].lower_ in particles
                      or (doc[k].text in "-‐" and not doc[k].whitespace_)):
        k -= 1
    start = k + 1
    if start >= comma or not doc[start].text[:1].isupper() or not (start == 0 or "\n" in doc[start - 1].text
                                                                    or doc[start - 1].text in _SENT_END):
        return None
    if doc[start].lower_ in _lang(doc).definite:
        start += 1
    if start >= comma or not doc[comma - 1].text[:1].isupper():
        return None
    name = doc[start:comma].text
    return {"text": name, "norm": name, "label": "ORG", "label_std": "ORG",
            "start_char": doc[start].idx, "end_char": doc[comma - 1].idx + len(doc[comma - 1].text)}


_GENERATION = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})


def _surname(name: str) -> str:
    """The last word of a full name, a generational suffix skipped ("Patrick W. Carlineo Jr.")."""
    words = name.split()
    return words[-2] if len(words) > 2 and words[-1].lower() in _GENERATION else words[-1]


def _hyphenated_name_start(doc: Doc, s: int) -> int:
    """Start of the name whose last part is doc[s] when the tokenizer split a hyphenated name
    ("Amadou Ndiaye-Sarr" -> "Ndiaye", "-", "Sarr"), the given names before it included."""
    start = s
    while start >= 2 and doc[start - 1].text in "-‐" and not doc[start - 1].whitespace_ \
            and not doc[start - 2].whitespace_ and doc[start - 2].text[:1].isupper():
        start -= 2
    if start == s:
        return s
    while start >= 1 and doc[start - 1].pos_ == "PROPN" and doc[start - 1].text[:1].isupper() \
            and doc[start - 1].is_alpha:
        start -= 1
    return start


def _is_short_description(span, head: Token) -> bool:
    doc = span.doc
    # (a hyphenated word counts once: "the Houston-based company"; a title in marks not at all)
    words = [t.lower_ for t in span if t.text not in _ALL_MARKS and t.text != "-"
             and not (t.i > 0 and doc[t.i - 1].text == "-" and not doc[t.i - 1].whitespace_)]
    return (
        0 < len(words) <= 4
        and words[0] in _lang(span.doc).definite
        # After a closing mark the tagger often calls "minister" a PROPN; the case tells.
        # ("the Apple CEO": an abbreviated role is a role)
        and (head.pos_ != "PROPN" or head.text[:1].islower() or head.lower_ in _ABBREVIATED)
        # "the victim's mother" says whose: it names a source of its own, not the latest "mother".
        and not any(t.dep_ == "poss" and t.pos_ in ("NOUN", "PROPN") for t in span)
    )


def _entity_in(entities: list[dict[str, Any]], start: int, end: int, labels: frozenset[str],
               containing: int | None = None) -> dict[str, Any] | None:
    """The first of `entities` with one of `labels` that lies in [start, end] and holds the
    character `containing` (when given)."""
    if containing is None:
        orders: Iterable[int] = range(len(entities))
    else:   # only those that hold the character (asking every entity for every mention was quadratic)
        at, wide = _entities_at(entities)
        orders = sorted([*at.get(containing, ()), *wide]) if wide else at.get(containing, ())
    for order in orders:
        ent = entities[order]
        if (_std(ent) in labels or ent["label"] in labels) and ent["start_char"] >= start and ent["end_char"] <= end:
            if containing is None or ent["start_char"] <= containing < ent["end_char"]:
                return ent
    return None


# The entities of the last few lists asked about, by the characters they hold: (the list, its length,
# character -> positions in the list, positions of entities too long to index). A list is not changed
# once analysed; its length is checked all the same.
_ENTITIES_AT: dict[int, tuple[list, int, dict[int, list[int]], list[int]]] = {}
_WIDE_ENTITY = 1000   # characters


def _entities_at(entities: list[dict[str, Any]]) -> tuple[dict[int, list[int]], list[int]]:
    known = _ENTITIES_AT.get(id(entities))
    if known is not None and known[0] is entities and known[1] == len(entities):
        return known[2], known[3]
    at: dict[int, list[int]] = {}
    wide: list[int] = []
    for order, ent in enumerate(entities):
        if ent["end_char"] - ent["start_char"] > _WIDE_ENTITY:
            wide.append(order)
            continue
        for char in range(ent["start_char"], ent["end_char"]):
            at.setdefault(char, []).append(order)
    if len(_ENTITIES_AT) >= 4:
        _ENTITIES_AT.clear()
    _ENTITIES_AT[id(entities)] = (entities, len(entities), at, wide)
    return at, wide


_ACRONYM = re.compile(r"[A-Z]{2,6}")
_INITIAL_SKIP = frozenset("of for and the on in at to de du des d la le les l et en pour sur à".split())


def _initials(words: list[str]) -> tuple[str, list[int]]:
    """The initials of a name's words, function words skipped ("Direction générale de
    l'armement" -> "DGA"), upper-cased, with the index of the word each comes from."""
    letters, where = [], []
    for n, word in enumerate(words):
        word = re.split(r"['’]", word)[-1]
        if word and word.lower() not in _INITIAL_SKIP and word[0].isalpha():
            letters.append(word[0].upper())
            where.append(n)
    return "".join(letters), where


def _acronym_expansion(doc: Doc, name: str, before: int, entities: list[dict[str, Any]],
                       found: dict[tuple, tuple] | None = None) -> str | None:
    """The full name an acronym stands for, when a source's name ends in one ("NFIA", "Chinese
    CDC"): the words before "(NFIA)" earlier in the text whose initials it is, else the latest
    earlier organisation whose initials hold it as a run and which has the name's other words;
    None otherwise. `found` keeps, for a text and its entities, what each acronym can stand for
    (read once: reading the text and every entity for every mention was quadratic)."""
    words = name.split()
    acronym = words[-1]
    if not _ACRONYM.fullmatch(acronym):
        return None
    key = (acronym, tuple(words[:-1]))
    known = found.get(key) if found is not None else None
    if known is None:
        text = _text(doc)
        spelled: list[tuple[int, str]] = []   # (end of a "(NFIA)", the words before it it stands for), in text order
        for m in re.finditer(r"\(\s*" + acronym + r"\s*\)", text):
            prior = text[max(0, m.start() - 160):m.start()].split("\n")[-1].split()
            for start in range(len(prior) - 1, -1, -1):
                letters, _ = _initials(prior[start:])
                if letters == acronym and prior[start][:1].isupper():
                    spelled.append((m.end(), " ".join(prior[start:]).strip(" ,;:")))
                    break
        orgs = []   # the organisations it can stand for, latest first: (start, end, name)
        for ent in sorted(entities, key=lambda x: x["start_char"], reverse=True):
            full = ent["norm"].split()
            if _std(ent) == "ORG" and len(full) > 1 and acronym in _initials(full)[0] \
                    and all(w in full for w in words[:-1]):
                orgs.append((ent["start_char"], ent["end_char"], ent["norm"]))
        known = ([end for end, _ in spelled], spelled, [-start for start, _, _ in orgs], orgs)
        if found is not None:
            found[key] = known
    ends, spelled, starts, orgs = known
    k = bisect.bisect_right(ends, before) - 1   # the latest "(NFIA)" before the mention
    if k >= 0:
        return spelled[k][1]
    for start, end, norm in orgs[bisect.bisect_left(starts, -before):]:   # those that start before it, latest first
        if end <= before:
            return norm
    return None


def _agent_of(noun: str, verb: str) -> bool:
    """Whether a role noun names the doer of a verb form by their shared stem ("adviser" /
    "advised", "founder" / "founded", "director" / "directed")."""
    for suffix in ("er", "or", "ist"):
        if noun.endswith(suffix) and len(noun) - len(suffix) >= 4:
            return verb.startswith(noun[:-len(suffix)]) and verb != noun
    return False


def _described_person(doc: Doc, tok: Token, entities: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The PERSON entity that the noun `tok` describes in an apposition or a relative clause
    hanging on the name ("Dr. Paul Renner, an immunologist who …", "Gregory Tannen, who served as
    a senior adviser, …"), climbing through prepositions and attributes; else None."""
    cur = tok
    for _ in range(6):
        parent = cur.head
        if parent is cur:
            return None
        if cur.dep_ in ("appos", "relcl", "acl:relcl"):
            return _entity_in(entities, 0, len(_text(doc)) + 1, frozenset({"PERSON"}), containing=parent.idx)
        if cur.dep_ not in ("pobj", "prep", "attr", "acomp", "oprd"):
            return None
        cur = parent
    return None


def _earlier_description(doc: Doc, head: Token, before_tok: int, entities: list[dict[str, Any]]) -> tuple[str, str | None] | None:
    """The closest earlier noun phrase with the same head ("a US official") or a person
    introduced with that title ("Health Minister Jonas Rell")."""
    head_text = head.lower_
    for tok in reversed(doc[:before_tok]):
        if tok.lower_ != head_text:
            continue
        if tok.dep_ == "compound" and tok.head.pos_ == "PROPN":
            ent = _entity_in(entities, 0, len(_text(doc)) + 1, frozenset({"PERSON", "ORG"}), containing=tok.head.idx)
            if ent is not None:
                return ent["norm"], ent["norm"]
            continue
        if tok.pos_ not in ("NOUN", "PROPN") or (tok.dep_ == "compound" and tok.head.pos_ == "NOUN"):
            continue   # ("an oil company executive" is no company)
        described = _described_person(doc, tok, entities)
        if described is not None:   # "Dr. Paul Renner, an immunologist who …" for "the immunologist"
            return described["norm"], described["norm"]
        if tok.i + 1 < len(doc) and tok.is_lower and (named := _entity_in(
                entities, doc[tok.i + 1].idx, len(_text(doc)) + 1, frozenset({"PERSON"}),
                containing=doc[tok.i + 1].idx)) is not None:
            # "The Italian tenor Federico Sanna cancelled …", however the parser hung the name.
            return named["norm"], named["norm"]
        # "la ministre de la Santé, Claire Roux": the person named beside the title.
        named = next((c for c in tok.children if c.dep_ in ("appos", "flat:name", "nmod") and c.pos_ == "PROPN"
                      and _entity_in(entities, 0, len(_text(doc)) + 1, frozenset({"PERSON"}), containing=c.idx)), None)
        if named is not None:
            ent = _entity_in(entities, 0, len(_text(doc)) + 1, frozenset({"PERSON"}), containing=named.idx)
            return ent["norm"], ent["norm"]
        sent = tok.sent
        s, e = _np_bounds(tok, sent.start, sent.end)
        while s < e and doc[s].pos_ == "ADP":
            s += 1   # "du syndicat" (porte-parole du syndicat): the phrase, not its preposition
        if _lang(doc).varied_roles:
            # "la ministre de l'Éducation, Agathe Le Floch": the person named after the title;
            # "La CGT, premier syndicat du site": the body the description is in apposition to.
            named = _named_after(doc, e, entities) if tok.pos_ == "NOUN" else None
            if named is None and s >= 2 and doc[s - 1].text == ",":
                named = _entity_in(entities, 0, doc[s - 1].idx, frozenset({"PERSON", "ORG"}),
                                   containing=doc[s - 2].idx) or _name_opening(doc, s - 1)
            if named is not None:
                return named["norm"], named["norm"]
        desc = doc[s:_core_end(tok, e)].text.strip()
        if len(desc.split()) < 2 or (desc.split()[0].lower() in _lang(doc).definite and len(desc.split()) <= 2):
            continue   # "the doctors" refers back itself: look further back
        ent = _entity_in(entities, 0, len(_text(doc)) + 1, frozenset({"ORG"}), containing=tok.idx)
        if ent is not None:
            return ent["norm"], ent["norm"]
        return desc, None
    return None


def _reporters_own_words(doc: Doc, reported: list["_Reported"], first_tok: int, last_tok: int, open_tok: int,
                         quote: str) -> _Attribution | None:
    """A short lower-case quote inside reported speech (X said politicians have “vilified”
    teachers; the risk was “slightly” higher, the authors wrote) gives the reported speaker's own
    word, not a scare quote; a name or a title ("the film “Glasgow”", "so-called “experts”")
    stays a label, and so does a quoted subject (X said the “experts” were wrong)."""
    P = _lang(doc)
    if not quote[:1].islower() or (open_tok > 0 and doc[open_tok - 1].lower_ in P.label_cues | P.naming_cues):
        return None
    while last_tok > first_tok and doc[last_tok].is_punct:
        last_tok -= 1   # ”dwindling.” ends a report whose clause stops before the full stop
    if doc[first_tok:last_tok + 1].root.dep_ in _SUBJ_DEPS:
        return None   # "the “experts” were wrong": a term for what the report is about
    # A verb of saying reports the speaker's words; "according to X" is the reporter's sentence.
    rep = next((r for r in reported if r.start <= first_tok and last_tok < r.end and r.attr.cue != "according to"), None)
    return None if rep is None else _Attribution(rep.attr.speaker_start, rep.attr.speaker_end, rep.attr.cue, "embedded")


def _starts_lower(quote: str) -> bool:
    first = quote.lstrip("'‘.… ")[:1]
    return first.islower()


# Cues whose clause is a question or an order, not a report of what was said.
_NOT_REPORTING = frozenset({"ask", "wonder", "continue", "call", "urge", "demand", "order", "instruct",
                            "beg", "laugh", "sigh", "cry", "agree", "propose", "recommend", "signal",
                            "reveal", "indicate"})
# A contrast after a comma is usually the reporter's own clause, not the report's.
_CONTRAST = frozenset({"while", "whereas", "although", "though", "but"})
_WH_WORDS = frozenset({"whether", "how", "why", "what", "who", "when", "where", "which"})
_TRIM = frozenset({",", ".", ";", ":", "—", "–", "-", "(", ")"})


@dataclass
class _Reported:
    """Reported (indirect) speech: the content tokens [start, end) and who said it."""

    start: int
    end: int
    attr: _Attribution


def _content_bounds(doc: Doc, lo: int, hi: int, anchor: int, *, cut_contrast: bool = True) -> tuple[int, int]:
    """Trim a clause's tokens to the paragraph of ``anchor`` (the cue): a leading "that" or
    punctuation, trailing punctuation, and a contrast after a comma (", while …")."""
    for i in range(lo, hi):
        if "\n" in doc[i].text:
            if i < anchor:
                lo = i + 1
            else:
                hi = i
                break
    for i in range(lo + 1, hi - 1 if cut_contrast else lo + 1):
        if doc[i].text == "," and doc[i + 1].lower_ in _CONTRAST:
            hi = i
            break
    while lo < hi and (doc[lo].text in _TRIM or doc[lo].is_space or (doc[lo].lower_ == "that" and doc[lo].dep_ == "mark")):
        lo += 1
    while hi > lo and (doc[hi - 1].text in _TRIM or doc[hi - 1].is_space):
        hi -= 1
    return lo, hi


def _reported_speech(doc: Doc, quoted: list[tuple[int, int]]) -> list[_Reported]:
    """Indirect speech: "X said (that) CLAUSE", "CLAUSE, X said", "CLAUSE, according to X".

    A verb of saying (the cue table, without verbs of asking, urging or naming) with a clausal
    complement and a subject outside quote marks reports that clause; a clause that is mostly
    inside quote marks is a direct quote instead. Only the outermost report is kept.
    """
    # A token is inside quote marks when a span opened at or before it reaches past it: the spans
    # by start, with the furthest end so far (asking each span for each token was quadratic).
    spans = sorted(quoted)
    starts = [a for a, _ in spans]
    reach = list(itertools.accumulate((b for _, b in spans), max))

    def inside(char: int) -> bool:
        k = bisect.bisect_right(starts, char) - 1
        return k >= 0 and reach[k] > char

    def quoted_share(lo: int, hi: int) -> float:
        chars = sum(len(t.text) for t in doc[lo:hi])
        inside_chars = sum(len(t.text) for t in doc[lo:hi] if inside(t.idx))
        return inside_chars / chars if chars else 1.0

    found: list[_Reported] = []
    for verb in doc:
        lemma = _is_cue(verb)
        if lemma is None or lemma in _NOT_REPORTING or quoted_share(verb.i, verb.i + 1) > 0:
            continue
        if verb.dep_ == "relcl":
            continue  # "the helicopter, which it said crashed in Logar": the reporter's aside
        # "(… have been announced), Early says there is …": the clause after the verb first.
        clause = next((c for c in verb.children if c.dep_ == "ccomp" and c.i > verb.i), None) or next(
            (c for c in verb.children if c.dep_ == "ccomp"), None)
        if clause is None and lemma not in ("tell", "write", "post", "tweet", "text", "email"):
            # "The unions said more than 15,000 people registered": parsed as an object with a
            # participle, it is a clause.
            obj = next((c for c in verb.children if c.dep_ == "dobj" and c.i > verb.i), None)
            if obj is not None and obj.pos_ in ("NOUN", "PROPN", "NUM") and any(
                    c.dep_ in ("acl", "relcl") and c.tag_ in ("VBD", "VBZ", "VBP", "VBN") and c.i > obj.i
                    for c in obj.children):
                clause = obj
        subj = _subject(verb)
        if clause is None or subj is None or subj.dep_ == "nsubjpass" or quoted_share(subj.i, subj.i + 1) > 0:
            continue
        lo, hi = clause.left_edge.i, clause.right_edge.i + 1
        if doc[lo].text in OPEN_MARKS + STRAIGHT_MARK or (lo > 0 and doc[lo - 1].text in OPEN_MARKS + STRAIGHT_MARK):
            continue  # a direct quote, found as such
        if clause.i < verb.i and (doc[lo].dep_ == "mark" and doc[lo].lower_ != "that"):
            continue  # "While the campaign did not appeal to her, she said …": not the report
            hi = min(hi, verb.i)  # "CLAUSE, X said": the subject and verb are not content
            if subj.i < hi:
                hi = min(hi, subj.left_edge.i)
        if clause.i > verb.i and any(c.dep_ in ("aux", "auxpass") for c in clause.children):
            # "said he would have objected … and did not realize …": a plain past verb joined to
            # a clause built with an auxiliary goes with "said", not with the report.
            own = next((c for c in clause.children if c.dep_ == "conj" and c.tag_ == "VBD"
                        and not any(g.dep_ in ("aux", "auxpass", "nsubj", "nsubjpass") for g in c.children)), None)
            if own is not None:
                cc = next((c for c in clause.children if c.dep_ == "cc" and c.i < own.i), None)
                hi = min(hi, cc.i if cc is not None else own.i)
        lo, hi = _content_bounds(doc, lo, hi, verb.i, cut_contrast=clause.i > verb.i)
        if hi - lo < 4 or doc[lo].lower_ in _WH_WORDS or quoted_share(lo, hi) > 0.95:
            continue
        if quoted_share(lo, hi) > 0.5 and any(
                doc[k].text in OPEN_MARKS + STRAIGHT_MARK and doc[k - 1].text in (",", ":") for k in range(lo + 1, hi)):
            continue  # "he said, “…”" inside: a direct quote with its own attribution
        sent = verb.sent
        s, e = _np_bounds(subj, sent.start, sent.end)
        found.append(_Reported(lo, hi, _Attribution(s, e, lemma, "indirect")))
    for tok in doc:
        # "CLAUSE, according to X" / "According to X, CLAUSE"
        if tok.lower_ != "according" or tok.i + 1 >= len(doc) or doc[tok.i + 1].lower_ != "to":
            continue
        obj = next((c for c in doc[tok.i + 1].children if c.dep_ == "pobj"), None)
        if obj is None:
            continue
        sent = tok.sent
        phrase_lo, phrase_hi = tok.i, obj.right_edge.i + 1
        if phrase_lo <= sent.start + 1:
            lo, hi = phrase_hi, sent.end
        else:
            lo, hi = sent.start, phrase_lo if phrase_hi >= sent.end - 2 else sent.end
        lo, hi = _content_bounds(doc, lo, hi, tok.i)
        if hi - lo < 4 or quoted_share(lo, hi) > 0.5:
            continue
        s, e = _np_bounds(obj, tok.i + 2, phrase_hi)
        found.append(_Reported(lo, hi, _Attribution(s, e, "according to", "indirect")))
    found.sort(key=lambda r: (r.start, -r.end))
    outer: list[_Reported] = []
    for rep in found:
        if any(o.start <= rep.start and rep.end <= o.end for o in outer):
            continue
        outer.append(rep)
    return outer


def extract_quotes(doc: Doc, entities: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Quotes in one cleaned article, with speakers.

    Takes a spaCy Doc parsed with tagger, parser and NER (the lemmatizer may be disabled: cue
    lemmas come from a built-in table). Paragraphs are separated by "\\n". Handles curly,
    straight and « » marks; “…,” X said / X said: “…” / “…,” said X / “…” (X told AFP) /
    “…,” according to X; quotes over several sentences and paragraphs; partial quotes inside
    reported speech. Titles, nicknames and one-word scare quotes are skipped.

    Returns a list (text order) of dicts: ``text`` (the quote without its marks; the
    re-opening marks of a multi-paragraph quote removed), ``speaker`` (noun phrase as written,
    determiner and restrictive modifiers kept, appositives dropped; for an unattributed
    follow-on quote the previous quote's speaker; None if unknown), ``speaker_resolved``
    (pronouns and short descriptions such as "the official" resolved to the earlier source;
    named speakers to the full name given in the article), ``speaker_entity`` (normalized
    PERSON/ORG name or None), ``cue`` (verb lemma, e.g. "say"), ``kind`` ("direct" or
    "partial"), ``start_char`` and ``end_char`` (the quote text's span in ``doc.text``).
    ``entities`` is the output of ``tasks.entities.extract_entities(doc)`` when the caller has
    it already (computed here otherwise). Raises nothing for well-formed Docs.
    """
    text = _text(doc)
    if not text:
        return []
    index = _TokenIndex(doc)
    if entities is None:
        entities = extract_entities(doc)
    results: list[dict[str, Any]] = []
    orphans: list[int] = []
    doubles = _find_mark_spans(text, orphans)
    lost = [sp for sp in (_orphan_span(doc, index, c) for c in orphans) if sp is not None]
    singles = _find_single_spans(text, doubles)
    if singles:   # a double-marked quote inside a single-marked one is part of it
        opens = [sp.open_char for sp in singles]
        doubles = [d for d in doubles if not (
            (k := bisect.bisect_right(opens, d.open_char) - 1) >= 0 and d.close_char < singles[k].close_char)]
    spans = _split_incises(doc, index, sorted(doubles + singles + lost, key=lambda sp: sp.open_char))
    lost_opens = {sp.open_char for sp in lost}
    quoted = [(sp.open_char, sp.close_char + 1) for sp in spans]
    resolver = _Resolver(doc, entities, quoted)
    last_attr_para: int | None = None
    last_result: dict[str, Any] | None = None
    para_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    # Paragraph numbers that skip blank lines, so "the next paragraph" is the next one with text.
    para_rank, rank = [], -1
    furniture: list[bool] = []   # by rank: a line that is no prose (see _is_furniture)
    signed: list[bool] = []   # by rank: a line opening with a dash (a signature)
    for i, start in enumerate(para_starts):
        end = para_starts[i + 1] - 1 if i + 1 < len(para_starts) else len(text)
        if text[start:end].strip():
            rank += 1
            furniture.append(_is_furniture(text[start:end]))
            signed.append(text[start:end].strip()[:1] in "–—―-")
        para_rank.append(rank)

    def para_line(char: int) -> int:
        return bisect.bisect_right(para_starts, char) - 1

    def para_of(char: int) -> int:
        return para_rank[para_line(char)]

    reported = _reported_speech(doc, quoted) if _lang(doc).indirect else []
    events: list[tuple[int, _Span | _Reported]] = [(sp.open_char, sp) for sp in spans]
    events += [(doc[rep.start].idx, rep) for rep in reported]
    events.sort(key=lambda ev: ev[0])

    for _, span in events:
        if isinstance(span, _Reported):
            start_char = doc[span.start].idx
            end_char = doc[span.end - 1].idx + len(doc[span.end - 1].text)
            resolved, entity, mention_kind = resolver.speaker(span.attr.speaker_start, span.attr.speaker_end)
            result = {
                "text": text[start_char:end_char],
                "speaker": doc[span.attr.speaker_start:span.attr.speaker_end].text.strip(),
                "speaker_resolved": resolved,
                "speaker_entity": entity,
                "speaker_kind": mention_kind,
                "cue": span.attr.cue,
                "kind": "indirect",
                "start_char": start_char,
                "end_char": end_char,
            }
            results.append(result)
            last_result = result
            last_attr_para = para_of(end_char)
            continue
        open_tok = index.at(span.open_char).i
        close_tok = index.at(span.close_char).i
        first_tok = index.at(span.start).i
        last_tok = index.at(span.end - 1).i
        quote = text[span.start:span.end]
        for mark in sorted(span.continuation_marks, reverse=True):
            rel = mark - span.start
            quote = quote[:rel] + quote[rel + 1:]
        para_start_char = para_starts[para_line(span.open_char)]
        para_lo_tok = index.at(para_start_char).i
        limit = _paragraph_token_end(doc, close_tok + 1)
        prefix = text[para_start_char:span.open_char].rstrip(_INNER_STRIP)
        if prefix and not prefix.strip(_BULLETS + _INNER_STRIP):
            prefix = ""   # "• “…” – Anna K.", "— “…,” he said": a list item's or a dialogue's mark
        after_sentence = prefix == "" or prefix[-1] in ".?!" or prefix[-1] in CLOSE_MARKS + STRAIGHT_MARK
        label_like = _looks_like_label(doc, quote, open_tok, close_tok)
        if prefix == "" and text[span.close_char + 1:span.close_char + 2] == ":":
            line_end = text.find("\n", span.close_char)
            rest = text[span.close_char + 2:len(text) if line_end < 0 else line_end].rstrip(_INNER_STRIP)
            if rest and rest[-1] not in ".?!…" + _ALL_MARKS:
                continue   # a headline ("‘We will rebuild’: Mayor vows to reopen the pier"), not copy
        judged = None
        if label_like and not after_sentence and len(quote.split()) == 1 and quote[:1].islower():
            # « incompréhensible » after "a jugé la décision": one word, but the judge's own.
            judged = _attribution_embedded(doc, first_tok, last_tok, open_tok, close_tok)
            according = {" ".join(w) for w in _lang(doc).according + _lang(doc).according_initial}
            if judged is not None and judged.cue not in _lang(doc).embed_only and judged.cue not in _SPEECH_NOUNS \
                    and not _reflexive_before(doc, open_tok) \
                    and not (_lang(doc).varied_roles and judged.cue in according):
                judged = None   # (but "Selon le maire, les pompiers ont été « exemplaires »": his word)

        introduced = None
        if open_tok >= 2 and doc[open_tok - 1].text in (",", ":") and _is_cue(doc[open_tok - 2], embedded=True):
            # “… he said, “…,” the office said.”: the verb right before the mark introduces the
            # quote; the one after it reports the whole sentence.
            introduced = _attribution_before(doc, open_tok, para_lo_tok)
        attr = span.preset or judged or introduced or _attribution_after(
            doc, close_tok, text[span.start:span.close_char].rstrip(_INNER_STRIP), limit,
            opens_sentence=after_sentence and not label_like and not _starts_lower(quote))
        if span.open_char in lost_opens and (attr is None or label_like):
            continue   # a lost opening mark: only a cue right after the closing one makes it a quote
        if attr is None:
            attr = _attribution_before(doc, open_tok, para_lo_tok)
        if attr is None and prefix == "" and para_lo_tok > 1:
            # "X a reconnu des années de retard :" closing the previous paragraph, the quote opening this one
            attr = _attribution_before(doc, open_tok, _paragraph_token_start(doc, para_lo_tok - 1))
        if attr is None and (after_sentence or prefix.endswith(":")):
            attr = _attribution_colon(doc, open_tok)
        if attr is None and label_like:
            attr = _reporters_own_words(doc, reported, first_tok, last_tok, open_tok, quote)
            label_like = attr is None
        if attr is None and not label_like:
            attr = _attribution_governing(doc, first_tok, last_tok, open_tok, close_tok, para_lo_tok, limit)
        if attr is None and not after_sentence and not label_like:
            attr = _attribution_embedded(doc, first_tok, last_tok, open_tok, close_tok)
        if attr is None and not after_sentence and not label_like and len(quote.split()) >= 4:
            # A clause in marks in a sentence with no verb of saying ("There could be dangers “if
            # …”") is the source's whom the sentence before it in its paragraph quotes.
            attr = _previous_sentence_source(doc, open_tok, resolver.inside_quote, any_subject=False)
            attr = attr and _Attribution(attr.speaker_start, attr.speaker_end, attr.cue, "embedded")
        if attr is None and after_sentence and prefix and prefix[-1] in _SENT_END and _lang(doc).varied_roles \
                and not _starts_lower(quote) and len(quote.split()) >= 3:
            # "X compte repartir dès l'an prochain. « Le record, je le veux. »": the source that
            # opens the sentence just before the quote, in its paragraph, speaks.
            lead = _opening_subject(doc, index.at(para_start_char + len(prefix) - 1).i)
            if lead is not None:
                attr = _Attribution(lead.speaker_start, lead.speaker_end, "-", "before")
        if attr is None and not (after_sentence or prefix.endswith(":")):
            continue   # (a quote after a colon stands as a sentence of its own: "… to a realization: “…”")
        if attr is None and prefix == "":
            attr = _attribution_signed(doc, close_tok)
        if attr is not None and not after_sentence and attr.pattern != "before" and label_like and judged is None \
                and (len(quote.split()) < 2 or quote[:1].isupper()):
            # A single quoted word or a title mid-sentence is a scare quote or a name, even next to
            # "said" ("After playing “Takin' It to the Streets,” the singer told the crowd …").
            continue
        # Headers and pull quotes ("“Not some irregular channel”") have no full stop.
        ends_sentence = quote.rstrip("'’ ")[-1:] in ".?!…" or text[span.close_char + 1:span.close_char + 2] in ".?!"
        # (a long quoted clause whose sentence the reporter carries on after a comma counts too:
        # “So I called one of my best friends, …,” a detail that …)
        clause_on = text[span.start:span.close_char].rstrip(_INNER_STRIP).endswith(",") and len(quote.split()) >= 6
        full_sentence = not _starts_lower(quote) and len(quote.split()) >= 3 and (ends_sentence or clause_on)
        if attr is None and full_sentence:
            attr = _previous_sentence_source(doc, open_tok, resolver.inside_quote, any_subject=True)
        if attr is None and full_sentence and prefix == "" and not label_like:
            attr = _next_sentence_source(doc, close_tok, resolver.inside_quote)
        if attr is None and full_sentence and prefix == "" and not label_like:
            # A quote opening its paragraph after a paragraph whose last sentence, after the
            # latest quote, has a person for subject: that person ("Jones was more upbeat.").
            attr = _previous_paragraph_source(doc, para_lo_tok, resolver.inside_quote, any_subject=True,
                                              after_char=last_result["end_char"] if last_result else -1)
        if attr is None:
            # A whole quoted sentence with no verb of its own continues the previous speaker
            # when that spoke in this or the previous paragraph, or up to _INHERIT_PARAS before
            # with only lines of an embedded post or a caption in between, or (for a quote
            # opening its paragraph) two paragraphs before with one of the reporter's prose
            # between that names no person as its last subject (that would speak, above) and
            # is no signature line under the earlier quote.
            para = para_of(span.open_char)
            if label_like and _title_case(quote) or not (full_sentence and last_result is not None and last_attr_para is not None
                    and (para - last_attr_para <= 1 or para - last_attr_para <= _INHERIT_PARAS
                         and all(furniture[last_attr_para + 1:para])
                         or para - last_attr_para == 2 and prefix == "" and not signed[para - 1])):
                attr = None if label_like and _title_case(quote) or not full_sentence or prefix else \
                    _previous_paragraph_source(doc, para_lo_tok, resolver.inside_quote)
                if attr is None:
                    continue
            else:
                result = dict(last_result)
                result.update(text=quote, kind="direct", start_char=span.start, end_char=span.end)
                results.append(result)
                last_attr_para = para_of(span.close_char)
                continue

        speaker = doc[attr.speaker_start:attr.speaker_end].text.strip() or None
        if speaker is not None:
            speaker = _lang(doc).clitics.get(speaker.lower()) or speaker   # "-t-elle" -> "elle"
        resolved, entity, mention_kind = (None, None, "unknown")
        if speaker is not None:
            resolved, entity, mention_kind = resolver.speaker(attr.speaker_start, attr.speaker_end)
            if attr.cue == "sign":
                resolved = speaker   # a signature is a name as its writer gives it ("Anna K.")
        if attr.pattern == "before":
            # X said: “…” — and the second half of “…,” X said, “but …”.
            kind = "direct"
        elif after_sentence and attr.pattern != "embedded" and not _starts_lower(quote):
            kind = "direct"
        else:
            kind = "partial"
        end = span.end
        if kind == "partial" and quote.endswith(".") and not quote.endswith(".."):
            # “…the facts.” closing a sentence: the full stop is the reporter's, not the speaker's.
            quote, end = quote[:-1], end - 1
        result = {
            "text": quote,
            "speaker": speaker,
            "speaker_resolved": resolved,
            "speaker_entity": entity,
            "speaker_kind": mention_kind,
            "cue": attr.cue,
            "kind": kind,
            "start_char": span.start,
            "end_char": end,
        }
        results.append(result)
        last_result = result
        last_attr_para = para_of(span.close_char)
    return results

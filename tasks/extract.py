"""Get an article's main text and metadata out of a page or a feed's HTML content."""
from __future__ import annotations

import collections
import copy
import email.utils
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timezone
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import trafilatura

from tasks.sites import site_key


# Bump when extraction output changes; trafilatura's own version is part of it.
# extract-5: lines that stand only in other <article> elements than the story's own are dropped.
# extract-6: the page's first <h1> at the top of the text is the headline, not body text.
# extract-7: lists of links to the site's other stories are dropped (and runs of paragraphs that are such links).
# extract-8: the lines opening the text that stand in the headline's header (standfirst, byline, date) are dropped.
# extract-9: hidden microdata blocks are not text; the steps above run on the pruned page when pruning applies.
EXTRACTOR_VERSION = f"extract-9+trafilatura-{trafilatura.__version__}"


@dataclass(frozen=True)
class Extracted:
    """The main text of an article page and the metadata found around it."""

    text: str  # body, one paragraph per line, dateline kept
    title: str | None
    author: str | None
    published_at: datetime | None  # timezone-aware UTC
    canonical_url: str | None  # rel=canonical, else og:url (absolute)
    language: str | None  # primary language subtag, e.g. "en"


class ExtractionError(ValueError):
    """A page holds no article text that trafilatura can find."""


# Meta names/properties that carry the publication time, most specific first.
_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "datepublished",
    "publish-date", "publishdate", "pubdate", "parsely-pub-date",
    "sailthru.date", "dc.date.issued", "dcterms.issued", "dc.date", "date",
)
_AUTHOR_META = ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author")
_LANGUAGE_META = ("content-language", "language", "dc.language", "og:locale")
_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")
_LANGUAGE_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$")

# Page regions that are usually not the article: link boxes, teasers, widgets
# and comment areas, by the class or id names templates give them. When the
# article is one short paragraph, trafilatura may take a "more from this site"
# box of lead sentences for it; the page is then extracted again without these
# regions. They are not pruned always: real pages put such names on wrappers of
# the article too (pruning every page cost 0.07 F1 on the Scrapinghub benchmark).
# Plain element names only: _boilerplate_regions() filters these by size.
# The text without the regions replaces the extracted one only when it keeps at least this share of it
# and a paragraph: a one-sentence story under a box of six leads keeps a tenth; a page that wraps its
# article in such a box kept a date line, 14 characters of 10,000.
_MIN_PRUNED_SHARE = 0.05
_BOILERPLATE_CLASSES = (
    "related", "related-posts", "related-articles", "jp-relatedposts", "more-from", "most-read", "most-popular",
    "recommended", "teaser", "teasers", "widget", "widget-area", "newsletter", "share-buttons", "sharing",
    "social-share", "comments", "comments-area", "comment-respond", "read-next", "trending", "outbrain", "taboola",
)
# Whole class tokens only: "penci_sidebar" or "l-sidebar-fixed" wrap real articles.
_BOILERPLATE_XPATH = [
    "//aside",
    "//*[self::section or self::div or self::ul or self::ol]["
    + " or ".join(f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')" for name in _BOILERPLATE_CLASSES)
    + "]",
]

# Elements that end a line of text: paragraphs, list items, headings, captions.
_BLOCK_TAGS = frozenset(
    "p div li ul ol h1 h2 h3 h4 h5 h6 figcaption figure blockquote pre tr table "
    "thead tbody dt dd dl section article header footer aside address hr".split()
)
# Elements whose text is never reading text.
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "form", "button", "svg", "object", "embed",
              "applet")


def extract_article(html: bytes | str, url: str, check: Callable[[], None] = lambda: None) -> Extracted:
    """Extract the main text and metadata of one article page.

    Takes the page as fetched (bytes are decoded from the page's declared or
    sniffed encoding) and the URL it was fetched from (used to resolve
    relative canonical links). The text comes from trafilatura without
    comments, one paragraph per line; metadata comes from the page head
    (canonical link, Open Graph, article meta tags, JSON-LD), falling back to
    trafilatura's guesses.

    `check` is called between the steps (a CPU budget's check: whatever it
    raises stops the extraction and passes through).

    Returns an Extracted record. Raises ExtractionError naming the URL when
    the page cannot be parsed or holds no article text.
    """
    tree = trafilatura.load_html(html)
    if tree is None:
        raise ExtractionError(f"cannot parse HTML of {url!r}")
    check()
    # The text is read from a tree without hidden metadata blocks; the metadata from the page as it is.
    text_tree, meta_tree = _without_hidden_metadata(tree), tree
    text = _main_text(text_tree, url)
    if text_tree is not tree and len(_long_lines(text)) <= _TEASER_PARAGRAPHS:
        # A page may show a teaser and hide the whole story in its microdata (a paywall's
        # markup): then the hidden copy is the only one, and it is read.
        full = _main_text(tree, url)
        if len(text) < _HIDDEN_KEEP_SHARE * len(full):
            text, text_tree = full, tree
    check()
    text = _with_sibling_chunks(text_tree, url, text, check)
    regions = _boilerplate_regions(text_tree)
    check()
    if text and regions and _mostly_inside(text, regions):
        pruned_tree = copy.deepcopy(text_tree)
        for element in _boilerplate_regions(pruned_tree):
            element.drop_tree()
        pruned_text = _main_text(pruned_tree, url)
        check()
        # A page may wrap its article in an element with a box-like class: pruning
        # then leaves a fragment (a caption, a date) in place of the article.
        if len(pruned_text) >= _MIN_PRUNED_SHARE * len(text) and _has_paragraph(pruned_text):
            text, meta_tree, text_tree = pruned_text, pruned_tree, pruned_tree
    text = _without_other_articles(text_tree, url, text)
    check()
    text = _without_headline(text_tree, text)
    text = _without_header_lines(text_tree, text)
    check()
    text = _without_link_lists(text_tree, url, text)
    if not text:
        raise ExtractionError(f"no article text found in {url!r}")
    metas = _meta_values(tree)
    ld = list(_json_ld_objects(tree))
    guessed = _Guessed(meta_tree, url)
    check()
    return Extracted(
        text=text,
        title=_first(metas.get("og:title"), _ld_value(ld, "headline")) or _first(guessed.title, _title_element(tree)),
        author=_first(_author_from_meta(metas), _ld_author(ld)) or _first(guessed.author),
        published_at=_published_at(tree, metas, ld, guessed),
        canonical_url=_canonical_url(tree, metas, url),
        language=_language(tree, metas),
    )


# A block of schema.org microdata hidden from the reader: a machine copy of the page's metadata (and
# often of the article), which trafilatura reads as text ("2019-11-19T08:57:40+01:00", the publisher's name).
_HIDDEN_METADATA_XPATH = (
    "//*[(@itemscope or @itemprop) and (@hidden or contains(translate(@style, ' ', ''), 'display:none'))]")


# Text read without the hidden blocks under this share of the text read with them: the visible
# page is a teaser of the hidden story (a copy of the body beside it makes about half).
_HIDDEN_KEEP_SHARE = 0.3
# and the visible text has at most this many paragraphs (a story's own text, with a hidden copy of
# its metadata and body, has more).
_TEASER_PARAGRAPHS = 2


def _without_hidden_metadata(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """`tree`, or a copy of it without its hidden microdata blocks when it has any."""
    try:
        if not tree.xpath(_HIDDEN_METADATA_XPATH):
            return tree
        copied = copy.deepcopy(tree)
        for element in copied.xpath(_HIDDEN_METADATA_XPATH):
            if element.getparent() is not None:
                element.drop_tree()
    except lxml.etree.XPathError:
        return tree
    return copied


def _main_text(tree: lxml.html.HtmlElement, url: str) -> str:
    """trafilatura's main text of `tree` (it works on a copy), one paragraph per line; "" if none."""
    document = trafilatura.bare_extraction(tree, url=url, include_comments=False, include_tables=True,
                                           deduplicate=False)
    return _normalize_lines(document.text) if document is not None and document.text else ""


# A line of at least this many words locates the article in the page, and counts as its text.
_LONG_LINE_WORDS = 8
_MAX_CHUNKS = 12


def _long_lines(text: str) -> list[str]:
    lines = (" ".join(_WORD.findall(line)) for line in text.split("\n"))
    return [line for line in lines if line.count(" ") >= _LONG_LINE_WORDS - 1]


def _words_of(element: lxml.html.HtmlElement) -> str:
    return " ".join(_WORD.findall(" ".join(element.itertext())))


def _with_sibling_chunks(tree: lxml.html.HtmlElement, url: str, text: str, check: Callable[[], None]) -> str:
    """`text` with the rest of an article that the page splits into sibling chunks.

    Some templates cut the body into several sibling elements of one class (a chunk between
    two ads, each with its own side rail); trafilatura takes the first element that looks like
    a body and loses the others. The chunk holding the extracted text is found by walking up
    from its first line; each sibling of the same tag and class that holds paragraphs not in
    the text, and is not a teaser (a linked heading, mostly link text), is extracted on its own
    and joined in page order.
    """
    lines = _long_lines(text)
    if not lines:
        return text
    start = _start_element(tree, lines)
    if start is None:
        return text
    total = sum(map(len, lines))
    known = " | ".join(lines)
    holders = list(itertools.takewhile(lambda el: el.getparent() is not None and el.tag not in ("body", "html"),
                                       [start, *start.iterancestors()]))
    if not holders:
        return text
    # The share of the text each holder holds, from one reading of the outermost one's words: each
    # holder's words stand in them, and hold the words of the holder inside it, so a line found in
    # one is found in all above it; the first holder of each line is searched for by halves.
    # (Reading each holder's words and looking for every line in them, level after level, took
    # seconds on a page nested 250 levels deep.)
    words = _TreeWords(holders[-1])
    spans = [words.span(holder) for holder in holders]
    check()
    first_holder = {}
    for line in set(lines):
        low, high = 0, len(holders)   # the first holder of the line is in [low, high]; len(holders): none
        if words.text.find(line, *spans[-1]) < 0:
            low = high
        else:
            high -= 1
        while low < high:
            middle = (low + high) // 2
            if words.text.find(line, *spans[middle]) >= 0:
                high = middle
            else:
                low = middle + 1
        first_holder[line] = low
    held = [0] * (len(holders) + 1)
    for line in lines:
        held[first_holder[line]] += len(line)
    inside = 0
    for level, holder in enumerate(holders):
        parent = holder.getparent()
        check()
        inside += held[level]
        if inside < 0.5 * total:
            continue
        if inside < 0.6 * (spans[level][1] - spans[level][0]):   # the holder is a layout wrapper, not a chunk
            return text
        signature = (holder.tag, " ".join((holder.get("class") or "").split()))
        if not signature[1]:
            continue
        chunks = [el for el in parent if el.tag == signature[0] and " ".join((el.get("class") or "").split()) == signature[1]]
        if len(chunks) < 2:
            continue
        pieces = []
        for chunk in chunks[:_MAX_CHUNKS]:
            if chunk is holder:
                pieces.append(text)
                continue
            check()
            if chunk.xpath(".//h1 | .//h2[.//a] | .//h3[.//a]") or _link_share(chunk) >= 0.3:
                continue
            chunk_text = _main_text(_alone(chunk), url)
            if sum(line not in known for line in _long_lines(chunk_text)) >= 2:
                pieces.append(chunk_text)
        return "\n".join(pieces)
    return text


def _start_element(tree: lxml.html.HtmlElement, lines: list[str]) -> lxml.html.HtmlElement | None:
    """The element where the text's first long line stands.

    A paragraph holding it, else an element whose own text begins it.
    """
    probe = lines[0][:80]
    start = next((el for el in tree.iter("p") if probe[:40] in _words_of(el)), None)
    if start is None:
        start = next((el for el in tree.iter() if isinstance(el.tag, str) and el.text
                      and probe[:30] in " ".join(_WORD.findall(el.text))), None)
    return start


# A line this short may stand in another article by chance ("Share", a date).
_OTHER_ARTICLE_MIN_WORDS = 4


def _without_other_articles(tree: lxml.html.HtmlElement, url: str, text: str) -> str:
    """`text` without the lines that stand in other <article> elements than the story's own.

    Blog and news templates put more posts below the story, each a whole <article> element
    ("you may also like", the next story of an endless page), and trafilatura may take their
    common container for the body. The story's own <article> is the one that holds the text's
    first long line and the page's <h1>; lines found only in <article> elements outside it (not
    its ancestors, not nested in it) that link to another page of the site (their own post) are
    dropped: a live blog's entries link to themselves on this page. A page without such
    elements is left alone.
    """
    if next(itertools.islice(tree.iter("article"), 1, None), None) is None:   # fewer than two
        return text
    lines = _long_lines(text)
    start = _start_element(tree, lines) if lines else None
    if start is None:
        return text
    own = next((el for el in [start, *start.iterancestors()] if el.tag == "article"), None)
    if own is None or not own.xpath(".//h1"):
        return text
    around = set(own.iterancestors()) | set(own.iterdescendants())
    # The elements that hold a link to another page of the site: each such link's ancestors, each
    # marked once (asking every <article> for its links read nested ones again and again).
    linking: set[lxml.html.HtmlElement] = set()
    for link in _links_elsewhere_on_site(tree.iter("a"), url):
        for element in itertools.chain([link], link.iterancestors()):
            if element in linking:
                break
            linking.add(element)
    others = [el for el in tree.iter("article") if el is not own and el not in around and el in linking]
    if not others:
        return text
    own_words = _words_of(own)
    # The outermost ones: the words of one nested in another stand in that one's words.
    chosen = set(others)
    other_words = " | ".join(_words_of(el) for el in others
                             if not any(ancestor in chosen for ancestor in el.iterancestors("article")))
    kept = []
    for line in text.split("\n"):
        words = " ".join(_WORD.findall(line))
        if words.count(" ") + 1 >= _OTHER_ARTICLE_MIN_WORDS and words in other_words and words not in own_words:
            continue
        kept.append(line)
    return "\n".join(kept)


# The headline is looked for among this many lines at the top of the text (a kicker or a date may come first).
_HEADLINE_SCAN = 3


def _without_headline(tree: lxml.html.HtmlElement, text: str) -> str:
    """`text` without the page's headline at its top: a line that is the text of the page's first <h1>.

    trafilatura keeps the <h1> when it stands inside the body's element. The cleaner drops a line that
    repeats the title it is given, but that title comes from the page head (og:title), which often
    words the headline differently from the <h1> ("Sweden drops Assange rape investigation" over
    "Julian Assange: Sweden drops rape investigation").
    """
    heading = next((words for words in (_words_of(h1) for h1 in tree.iter("h1")) if words), None)
    if heading is None:
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines[:_HEADLINE_SCAN]):
        if " ".join(_WORD.findall(line)) == heading:
            rest = lines[:index] + lines[index + 1:]
            return "\n".join(rest) if _long_lines("\n".join(rest)) else text
    return text


_SUBHEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})


def _without_header_lines(tree: lxml.html.HtmlElement, text: str) -> str:
    """`text` without the lines at its top that stand in the headline's header.

    The header around the page's first <h1> (a <header> element, else the <h1>'s parent when the
    body is not in it) holds the headline's company: the standfirst set as a subheading, the
    byline, the date. The lines that open the text and stand there as a subheading or a short line
    are header matter, not body; a lead paragraph set there stays. A page that sets its headline
    among the body's paragraphs has no such header.
    """
    h1 = next((h1 for h1 in tree.iter("h1") if _words_of(h1)), None)
    lines = text.split("\n")
    long = _long_lines(text)
    if h1 is None or not long:
        return text
    header = next(h1.iterancestors("header"), None)
    if header is None:
        header = h1.getparent()
    if header is None or long[-1] in _words_of(header):   # the body is in it: no header of its own
        return text
    matter = _ElementWords(header)
    top = 0
    # A subheading, or a short line (a byline, a date); a paragraph of prose set there is the story's lead.
    while top < len(lines) and (tags := matter.tags(_WORD.findall(lines[top]))) is not None \
            and (tags & _SUBHEADINGS or not _long_lines(lines[top])):
        top += 1
    return "\n".join(lines[top:]) if top and _long_lines("\n".join(lines[top:])) else text



class _TreeWords:
    """The words of a subtree in document order, read in one walk of it, and each element's run of them.

    An element's words (_words_of) are a run of its subtree's root's: " ".join(words[start:end]),
    which is text[span[0]:span[1]]. Reading each element's words on its own reads a subtree's text
    once per level of nesting (a page nested 250 levels deep read it 250 times).
    """

    def __init__(self, root: lxml.html.HtmlElement) -> None:
        words: list[str] = []
        self.runs: dict[lxml.html.HtmlElement, tuple[int, int]] = {}   # element -> (first word, end)
        stack: list[tuple[lxml.html.HtmlElement, int]] = [(root, -1)]   # start -1: to open, else to close
        while stack:
            node, start = stack.pop()
            if start < 0:
                stack.append((node, len(words)))
                if isinstance(node.tag, str) or isinstance(node, lxml.etree._Entity):   # a comment: its tail only
                    words += _WORD.findall(node.text or "")
                stack.extend((child, -1) for child in reversed(node))
                continue
            if isinstance(node.tag, str):
                self.runs[node] = (start, len(words))
            if node is not root and node.tail:   # the tail is the parent's text
                words += _WORD.findall(node.tail)
        self.words = words
        self.text = " ".join(words)
        self._offsets = list(itertools.accumulate((len(word) + 1 for word in words), initial=0))

    def span(self, element: lxml.html.HtmlElement) -> tuple[int, int]:
        """Where the element's words stand in self.text."""
        start, end = self.runs[element]
        return (self._offsets[start], self._offsets[end] - 1) if end > start else (self._offsets[start],) * 2


class _ElementWords:
    """The tags of the elements of a subtree by their words (_words_of), read in one walk of it.

    Each element is keyed by its run's length and a polynomial hash of it (_TreeWords); a looked-up
    word list is compared with the run it hashes to. (Reading each element's words on its own: a
    headline under 250 wrappers took seconds.)
    """

    _MOD = (1 << 61) - 1   # a prime: two different runs of words share a key with odds of about 2**-61
    _BASE = 0x5BD1E995

    def __init__(self, root: lxml.html.HtmlElement) -> None:
        tree = _TreeWords(root)
        words = self._words = tree.words
        self._prefix = prefix = [0] * (len(words) + 1)
        for index, word in enumerate(words):
            prefix[index + 1] = (prefix[index] * self._BASE + hash(word)) % self._MOD
        self._powers = powers = [1] * (len(words) + 1)
        for index in range(len(words)):
            powers[index + 1] = powers[index] * self._BASE % self._MOD
        self._tags: dict[tuple[int, int], tuple[int, set[str]]] = {}
        for element, (start, end) in tree.runs.items():
            self._tags.setdefault((end - start, self._hash(start, end)), (start, set()))[1].add(element.tag)

    def _hash(self, start: int, end: int) -> int:
        return (self._prefix[end] - self._prefix[start] * self._powers[end - start]) % self._MOD

    def tags(self, words: list[str]) -> set[str] | None:
        """The tags of the elements whose words are `words` (None if there is none)."""
        key = 0
        for word in words:
            key = (key * self._BASE + hash(word)) % self._MOD
        found = self._tags.get((len(words), key))
        if found is None or self._words[found[0]:found[0] + len(words)] != words:
            return None
        return found[1]

# A link to another story is a headline: this many words at least ("Pochettino fired by Tottenham").
_HEADLINE_LINK_WORDS = 4
# Items of a list of such links in a row, and the share of an item's words its links hold for the list
# to be the site's other stories wherever it stands (a story's own items link a few words of a sentence).
_LINK_LIST_ITEMS = 2
_LINKED_ITEM_SHARE = 0.8
# A list that ends the text links a good part of its words on average (a headline and its teaser);
# a story's closing bullet points link a word or two of a sentence.
_TRAILING_LIST_SHARE = 0.3
# and its items are headlines, with a teaser at most: this many words on average.
_TRAILING_ITEM_WORDS = 20
# A paragraph or heading that is one headline link is no longer than this.
_LINKED_LINE_CHARS = 250


def _without_link_lists(tree: lxml.html.HtmlElement, url: str, text: str) -> str:
    """`text` without lists of links to the site's other stories.

    List items in a row (trafilatura writes "- item"), each an <li> linking to another page of the
    same site, two of them at least with a link of a headline's length, are a box of other stories
    when every item is a headline nearly all link ("- Photos: Europa, icy moon of Jupiter"), or when
    the list ends the text, links a third of its words or more and its items are short (a headline
    with its teaser, or a headline set in a sentence: "The strange life and <a>mysterious death of a
    coder</a>"). A story's own list of links stands inside the text, or its items are sentences that
    link a few of their words. Paragraphs and headings that are nothing but such a link count as
    items too (templates that set "you may also like" links as paragraphs).
    """
    lines = text.split("\n")
    # Items: list items, and lines short enough to be a headline link.
    candidates = sum(line.startswith("- ") or len(line) <= _LINKED_LINE_CHARS for line in lines)
    if not site_key(url) or candidates < _LINK_LIST_ITEMS:
        return text
    items: dict[str, lxml.html.HtmlElement] = {}
    for li in tree.iter("li"):
        # Only items with a link count, and a list's own items, not the menus they hold.
        if li.find(".//a") is not None and li.find(".//li") is None:
            items.setdefault(_words_of(li), li)
    blocks: dict[str, lxml.html.HtmlElement] = {}
    for block in tree.iter("p", "h2", "h3", "h4", "h5", "h6"):
        if block.find(".//a") is not None or _enclosing_link(block) is not None:
            blocks.setdefault(_words_of(block), block)

    def site_links(line: str) -> tuple[float, bool] | None:
        """(link share, whether a link is a headline) of the line's element if it links elsewhere on this site."""
        if not line.startswith("- ") and len(line) > _LINKED_LINE_CHARS:
            return None
        words = " ".join(_WORD.findall(line))
        element = items.get(words) if line.startswith("- ") else blocks.get(words)
        if element is None:
            return None
        enclosing = _enclosing_link(element)   # a teaser's heading inside its link: all link
        share = 1.0 if enclosing is not None else _link_share(element)
        if element.tag != "li" and share < _LINKED_ITEM_SHARE:
            return None
        lengths = [len(_words_of(link).split()) for link in _links_elsewhere_on_site(
            [*element.iter("a"), *([enclosing] if enclosing is not None else [])], url)]
        return (share, max(lengths) >= _HEADLINE_LINK_WORDS) if lengths else None

    found = [site_links(line) for line in lines]
    drop = set()
    index = 0
    while index < len(lines):
        end = index
        while end < len(lines) and found[end] is not None:
            end += 1
        run = found[index:end]
        ends_text = end == len(lines) and sum(share for share, _ in run) >= _TRAILING_LIST_SHARE * len(run) \
            and sum(len(_WORD.findall(line)) for line in lines[index:end]) <= _TRAILING_ITEM_WORDS * len(run)
        if sum(headline for _, headline in run) >= _LINK_LIST_ITEMS and (ends_text or all(
                headline and share >= _LINKED_ITEM_SHARE for share, headline in run)):
            drop.update(range(index, end))
        index = max(end, index + 1)
    kept = [line for position, line in enumerate(lines) if position not in drop]
    return "\n".join(kept) if drop and _long_lines("\n".join(kept)) else text


def _links_elsewhere_on_site(links: Iterable[lxml.html.HtmlElement], url: str) -> list[lxml.html.HtmlElement]:
    """The links among `links` to another page of the site of `url` (not the page itself, not the home page)."""
    site, own_path = site_key(url), urlsplit(url).path.rstrip("/")
    found = []
    for link in links:
        target = urljoin(url, link.get("href") or "")
        try:
            parts = urlsplit(target)
        except ValueError:
            continue
        if parts.scheme in ("http", "https") and parts.path.rstrip("/") not in ("", own_path) \
                and site_key(target) == site:
            found.append(link)
    return found


def _enclosing_link(element: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    return next(element.iterancestors("a"), None)


def _link_share(element: lxml.html.HtmlElement) -> float:
    words = len(_words_of(element)) or 1
    return sum(len(_words_of(a)) for a in element.iter("a")) / words


def _alone(element: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """A page holding only a copy of `element`."""
    page = lxml.html.Element("html")
    lxml.etree.SubElement(page, "body").append(copy.deepcopy(element))
    return page


_NO_GUESSES = object()


class _Guessed:
    """trafilatura's own metadata guesses for a page, computed only when first asked for.

    They are the last resort for each field, after the page's meta tags and JSON-LD, and
    finding them (htmldate's date search above all) costs about a fifth of an extraction.
    """

    def __init__(self, tree: lxml.html.HtmlElement, url: str) -> None:
        self._tree, self._url, self._document = tree, url, None

    def _get(self, name: str) -> str | None:
        if self._document is None:
            from trafilatura.metadata import extract_metadata
            from trafilatura.settings import DEFAULT_CONFIG, set_date_params

            extensive = DEFAULT_CONFIG.getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH")
            try:
                # On a copy: the page's tree is read again after this.
                self._document = extract_metadata(copy.deepcopy(self._tree), self._url, set_date_params(extensive))
            except (TypeError, ValueError):   # trafilatura's own guard around this step: no guesses
                self._document = _NO_GUESSES
        return getattr(self._document, name, None)

    title = property(lambda self: self._get("title"))
    author = property(lambda self: self._get("author"))
    date = property(lambda self: self._get("date"))


def _boilerplate_regions(tree: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """Link boxes, teasers and widgets of the page, outermost only.

    A region holding the headline, the article element or nearly all of the
    page's text is a layout wrapper that merely carries such a name, not a
    box, and is left out.
    """
    body = tree.find(".//body")
    total = len((body if body is not None else tree).text_content())
    try:
        found = [element for xpath in _BOILERPLATE_XPATH for element in tree.xpath(xpath)]
    except lxml.etree.XPathError:
        return []
    # A box never holds the headline or the article element; a layout
    # wrapper with a box-like class does.
    small = [element for element in found if len(element.text_content()) < 0.8 * total
             and not element.xpath(".//h1 | .//article | .//main")]
    chosen = set(small)
    return [element for element in small
            if not any(ancestor in chosen for ancestor in element.iterancestors())]


def _mostly_inside(text: str, regions: list[lxml.html.HtmlElement]) -> bool:
    """Whether most of the extracted text lies inside the given regions."""
    # Compare word sequences: markup joins "headline" and "lead" without a space.
    boxed = " | ".join(_words_of(element) for element in regions)
    # Short lines (a headline, "Share") occur in link boxes by chance.
    lines = [" ".join(_WORD.findall(line)) for line in text.split("\n")]
    lines = [line for line in lines if line.count(" ") >= 4]
    inside = sum(len(line) for line in lines if line in boxed)
    return bool(lines) and inside >= 0.5 * sum(len(line) for line in lines)


def _has_paragraph(text: str) -> bool:
    """Whether some line of `text` is a sentence of eight words or more."""
    return any(len(_WORD.findall(line)) >= 8 and line.rstrip()[-1:] in ".!?…\"'”’»)" for line in text.split("\n"))


def html_fragment_to_text(html: str) -> str:
    """Turn a feed's HTML content (RSS content:encoded, Atom content) into text.

    Takes an HTML fragment (plain text without tags is accepted too). Every
    block element (paragraph, list item, heading, caption, table row) and
    every <br> ends a line; scripts, styles and forms are dropped; whitespace
    inside a line is collapsed and empty lines are removed. Wrapper lines are
    kept: removing them is the cleaner's job, so that feed text and page text
    of the same article go through the same rules.

    Returns the paragraphs joined by "\\n" ("" for an empty fragment).
    """
    if not html or not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        # lxml refuses fragments that are only a comment or declaration.
        return ""
    for element in list(root.iter(*_DROP_TAGS)):
        element.drop_tree()
    pieces: list[str] = []
    _collect_text(root, pieces)
    return _normalize_lines("".join(pieces))


def _collect_text(element: lxml.html.HtmlElement, pieces: list[str]) -> None:
    """Append the text of `element` to `pieces`, with "\n" around blocks.

    Whitespace in the source (newlines included) is only spacing; lines end
    at block elements and <br>.
    """
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    block = tag in _BLOCK_TAGS
    if tag == "br":
        pieces.append("\n")
    if block:
        pieces.append("\n")
    if element.text and tag:  # comments and processing instructions have no str tag
        pieces.append(_SPACES.sub(" ", element.text))
    for child in element:
        _collect_text(child, pieces)
        if child.tail:
            pieces.append(_SPACES.sub(" ", child.tail))
    if block:
        pieces.append("\n")


def _normalize_lines(text: str) -> str:
    """Collapse whitespace inside lines and drop empty lines."""
    lines = (" ".join(line.split()) for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _first(*values: str | None) -> str | None:
    """The first value that is a non-blank string, whitespace-collapsed."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def _meta_values(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """Map lower-cased meta name/property/itemprop/http-equiv to the first content."""
    values: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if content is None:
            continue
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attribute) or "").strip().lower()
            if key:
                values.setdefault(key, content.strip())
    return values


def _json_ld_objects(tree: lxml.html.HtmlElement) -> Iterator[dict]:
    """Every JSON object in the page's JSON-LD scripts, @graph members included."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue  # broken JSON-LD is common; the other sources still count
        stack = collections.deque([data])   # (a list's pop(0) was quadratic: a list of 200,000 objects took 1.5 s)
        while stack:
            item = stack.popleft()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                stack.extend(v for k, v in item.items() if k == "@graph")


def _ld_value(objects: list[dict], key: str) -> str | None:
    """The first string value of `key` among JSON-LD objects."""
    for item in objects:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _ld_author(objects: list[dict]) -> str | None:
    """Author name(s) from JSON-LD (a string, a Person, or a list of them)."""
    for item in objects:
        author = item.get("author")
        people = author if isinstance(author, list) else [author]
        names = [p if isinstance(p, str) else p.get("name") for p in people if isinstance(p, (str, dict))]
        names = [n.strip() for n in names if isinstance(n, str) and n.strip()]
        if names:
            return ", ".join(names)
    return None


def _author_from_meta(metas: dict[str, str]) -> str | None:
    """The author meta tag, unless it is a URL (article:author often is)."""
    for key in _AUTHOR_META:
        value = metas.get(key)
        if value and not value.startswith(("http://", "https://")):
            return value
    return None


def _title_element(tree: lxml.html.HtmlElement) -> str | None:
    """Text of the <title> element."""
    title = tree.find(".//title")
    return title.text_content() if title is not None else None


def _parse_time(value: str) -> datetime | None:
    """Parse an ISO 8601 or RFC 822 timestamp; naive values are taken as UTC."""
    value = value.strip()
    if not value:
        return None
    moment = None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _published_at(tree: lxml.html.HtmlElement, metas: dict[str, str], ld: list[dict],
                  guessed: _Guessed) -> datetime | None:
    """Publication time in UTC: meta tags, JSON-LD, <time>, then trafilatura's date."""
    candidates = [metas.get(key) for key in _PUBLISHED_META]
    candidates.append(_ld_value(ld, "datePublished"))
    times = [t for t in tree.iter("time") if t.get("datetime")]
    times.sort(key=lambda t: 0 if re.search(r"publish|pubdate", " ".join(
        (t.get("class") or "", t.get("itemprop") or "", t.get("pubdate") or "")), re.I) else 1)
    candidates.extend(t.get("datetime") for t in times)
    for candidate in candidates:
        moment = _parse_time(candidate) if candidate else None
        if moment is not None:
            return moment
    fallback_date = guessed.date
    if fallback_date:
        # trafilatura only knows the day; midnight UTC keeps the date right.
        try:
            day = datetime.strptime(fallback_date[:10], "%Y-%m-%d").date()
        except ValueError:
            return None
        return datetime.combine(day, time(0, 0), tzinfo=timezone.utc)
    return None


def _canonical_url(tree: lxml.html.HtmlElement, metas: dict[str, str], url: str) -> str | None:
    """The rel=canonical link, else og:url, made absolute; None if neither is http(s)."""
    hrefs = [link.get("href") for link in tree.iter("link")
             if "canonical" in (link.get("rel") or "").lower().split()]
    hrefs.append(metas.get("og:url"))
    for href in hrefs:
        if href and href.strip():
            absolute = urljoin(url, href.strip())
            if urlsplit(absolute).scheme in ("http", "https"):
                return absolute
    return None


def _language(tree: lxml.html.HtmlElement, metas: dict[str, str]) -> str | None:
    """Primary language subtag from <html lang> or meta tags."""
    root = tree.getroottree().getroot()
    candidates = [root.get("lang"), root.get("xml:lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang")]
    candidates += [metas.get(key) for key in _LANGUAGE_META]
    for candidate in candidates:
        if not candidate:
            continue
        # "en-US", "en_GB"; a list like "en, fr" names its first language first.
        match = _LANGUAGE_TAG.match(candidate.split(",")[0])
        if match:
            return match.group(1).lower()
    return None

"""Feed lists (OPML or text) in, parsed RSS/Atom entries out: feedparser on bytes, never on URLs."""

from __future__ import annotations

import codecs
import io
import re
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html

from tasks.sites import registrable_domain

__all__ = [
    "FULL_TEXT_MIN_CHARS",
    "FeedEntry",
    "FeedListEntry",
    "FeedListError",
    "FeedParseError",
    "ParsedFeed",
    "parse_feed",
    "read_feed_list",
]

# A description whose text is at least this long is taken as the article's full text.
# Teasers in the feeds we looked at run 150-600 characters; short news items 1,500+.
FULL_TEXT_MIN_CHARS = 1200

# Entity declarations we tolerate: few, short, literal (no references to other entities,
# no parameter or external entities). The total expansion they can cause is also capped.
_MAX_ENTITY_DECLARATIONS = 32
_MAX_ENTITY_EXPANSION = 1_000_000  # characters added to the document by all references
_ENTITY_DECL = re.compile(
    rb"<!ENTITY\s+(?P<pe>%\s+)?(?P<name>[^\s%\"'>]+)\s+"
    rb"(?:(?P<external>SYSTEM|PUBLIC)\b|\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)')"
)
_ROOT_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_CHAR_REF = re.compile(rb"&#(?:(\d+)|x([0-9a-fA-F]+));")
_FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})


class FeedListError(ValueError):
    """A feed list that cannot be read; the message names the bad line or entry."""


class FeedParseError(ValueError):
    """A body that is no usable feed. error_class is "not_a_feed" or "parse_error"."""

    def __init__(self, error_class: str, message: str) -> None:
        super().__init__(message)
        self.error_class = error_class


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed, links absolute, times in UTC.

    content_html is set only when the feed carries the full text: content:encoded, Atom
    content, or a description of at least FULL_TEXT_MIN_CHARS characters of text.
    """

    url: str
    guid: str | None
    title: str | None
    author: str | None
    published_at: datetime | None
    summary_html: str | None
    content_html: str | None
    language: str | None


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's own metadata and its entries in document order."""

    title: str | None
    link: str | None
    language: str | None
    entries: tuple[FeedEntry, ...]


# -- feed lists ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedListEntry:
    """One feed of a feed list: its URL and the site the list names for it (None: not named)."""

    url: str
    site: str | None = None


def read_feed_list(text: str) -> list[FeedListEntry]:
    """Read the feeds, and the sites the list names, from OPML 2.0 or from one feed per line.

    Takes the file's text. OPML: every outline with an xmlUrl, at any depth. Its htmlUrl (the
    site's home page) names the site by its registrable domain; when that address (htmlUrl,
    else xmlUrl) is on an IP address or localhost, which cannot tell sites apart, the outline's
    title (else text) names it instead. Text: a URL, then optionally whitespace and the site's
    name (the rest of the line, up to a '#' comment, whitespace collapsed); blank lines and
    lines starting with '#' are skipped.
    Returns entries de-duplicated by URL (scheme and host compared case-insensitively) in
    first-seen order; a repeat may add a name, not change it. Raises FeedListError naming the
    offending line or outline.
    """
    stripped = text.lstrip("\ufeff \t\r\n")
    entries = _read_opml(stripped) if stripped.startswith("<") else _read_lines(text)
    urls: dict[str, str] = {}                  # dedup key -> the URL as first written
    names: dict[str, tuple[str, str]] = {}     # dedup key -> (site name, where it was named)
    for entry, where in entries:
        key = _dedup_key(entry.url)
        urls.setdefault(key, entry.url)
        if entry.site is None:
            continue
        named, named_where = names.setdefault(key, (entry.site, where))
        if named != entry.site:
            raise FeedListError(f"{where}: {entry.url!r} is named {entry.site!r}, "
                                f"but {named!r} at {named_where}")
    return [FeedListEntry(url, names.get(key, (None,))[0]) for key, url in urls.items()]


def _read_lines(text: str) -> list[tuple[FeedListEntry, str]]:
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.strip().lstrip("\ufeff")
        if not content or content.startswith("#"):
            continue
        url, *rest = content.split(None, 1)
        name = " ".join(re.split(r"(?:^|\s)#", rest[0], maxsplit=1)[0].split()) if rest else ""
        problem = _url_problem(url)
        if problem:
            raise FeedListError(f"line {number}: {url!r} {problem}")
        if name.lower().startswith(("http://", "https://")):
            raise FeedListError(f"line {number}: expected a URL and a site name, got two URLs: {content!r}")
        entries.append((FeedListEntry(url, name or None), f"line {number}"))
    return entries


def _read_opml(text: str) -> list[tuple[FeedListEntry, str]]:
    problem = _dtd_problem(text.encode("utf-8", errors="replace"))
    if problem:
        raise FeedListError(f"OPML refused: {problem}")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise FeedListError(f"OPML is not well-formed XML: {exc}") from None
    if _local_name(root.tag) != "opml":
        raise FeedListError(f"root element is <{root.tag}>, expected <opml>")
    entries = []
    for number, outline in enumerate(root.iter(), start=1):
        if _local_name(outline.tag) != "outline":
            continue
        title = " ".join((outline.get("title") or outline.get("text") or "").split())
        label = title or f"#{number}"
        url = (outline.get("xmlUrl") or "").strip()
        if not url:
            if (outline.get("type") or "").lower() in ("rss", "atom"):
                raise FeedListError(f"outline {label!r} has type={outline.get('type')!r} but no xmlUrl")
            continue  # a folder or a plain link, not a feed
        problem = _url_problem(url)
        if problem:
            raise FeedListError(f"outline {label!r}: xmlUrl {url!r} {problem}")
        home = (outline.get("htmlUrl") or "").strip()
        problem = home and _url_problem(home)
        if problem:
            raise FeedListError(f"outline {label!r}: htmlUrl {home!r} {problem}")
        if registrable_domain(home or url):
            site = registrable_domain(home) if home else None   # no htmlUrl: the feed itself tells
        else:
            site = title or None
        entries.append((FeedListEntry(url, site), f"outline {label!r}"))
    return entries


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "is not an http(s) URL"
    if not parts.hostname:
        return "has no host"
    if any(ch.isspace() for ch in url):
        return "contains whitespace"
    return None


def _dedup_key(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


# -- feeds --------------------------------------------------------------------------------


# Feeds parsed at once in one process. Parsing holds the GIL, so more threads do not parse
# faster; they only hold more parse trees at once (a 5 MB full-text feed takes tens of MB).
_PARSING = threading.BoundedSemaphore(2)


def parse_feed(body: bytes, url: str, *, content_type: str | None = None) -> ParsedFeed:
    """Parse an RSS 0.9x/1.0/2.0 or Atom document.

    Takes the response body, the URL it came from (base for relative links) and the
    response's Content-Type (its charset is a hint; feedparser sniffs the bytes too).
    Returns the feed with entries that have an http(s) link; others are dropped.
    Raises FeedParseError: "not_a_feed" for empty bodies, JSON, HTML and other XML;
    "parse_error" for malformed feeds with no entries and for DTDs that declare risky
    entities (entity expansion attacks).
    """
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise FeedParseError("not_a_feed", f"empty body from {url}")
    if head[:1] in (b"{", b"[") or "json" in (content_type or "").lower():
        raise FeedParseError("not_a_feed", f"JSON document from {url}, not RSS or Atom")
    problem = _dtd_problem(body)
    if problem:
        raise FeedParseError("parse_error", f"refused {url}: {problem}")
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    with _PARSING:
        try:
            # A stream, never bytes or str: feedparser opens a str that looks like a URL, and
            # bytes that name an existing file, itself. No sanitizing and no URI rewriting inside
            # content: the HTML is never rendered, only reduced to text (scripts, styles and forms
            # dropped, tasks.extract.html_fragment_to_text), and the two took 2/3 of parse time.
            parsed = feedparser.parse(
                io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
            )
        except Exception as exc:  # feedparser is a large lenient parser; contain whatever it throws
            raise FeedParseError("parse_error", f"feedparser failed on {url}: {type(exc).__name__}: {exc}") from exc

        version = parsed.get("version") or ""
        root = _root_element(body)
        feed = parsed.get("feed", {})
        feed_language = _language(feed.get("language"))
        entries = tuple(
            entry for entry in (_entry(raw, url, feed_language) for raw in parsed.entries) if entry is not None
        )
    if root == "html" or (not version and root not in _FEED_ROOTS):
        what = "an HTML page" if root == "html" else (f"a <{root}> document" if root else "no XML document")
        raise FeedParseError("not_a_feed", f"{url} is {what}, not RSS or Atom{_advertised_feed(body, url)}")
    if not entries and parsed.get("bozo") and _is_xml_error(parsed.get("bozo_exception")):
        raise FeedParseError("parse_error", f"malformed {version or root} feed at {url}: {parsed.get('bozo_exception')}")
    return ParsedFeed(
        title=_text_field(feed, "title"),
        link=_absolute_http_url(feed.get("link"), url),
        language=feed_language,
        entries=entries,
    )


def _entry(raw, base_url: str, feed_language: str | None) -> FeedEntry | None:
    link = _absolute_http_url(raw.get("link"), base_url)
    if link is None:
        return None
    summary = _nonempty(raw.get("summary"))
    content = _best_content(raw.get("content") or [])
    if content is None and summary and len(_html_to_text(summary)) >= FULL_TEXT_MIN_CHARS:
        content = summary
    first_content = (raw.get("content") or [{}])[0]
    language = _language(
        first_content.get("language")
        or (raw.get("summary_detail") or {}).get("language")
        or (raw.get("title_detail") or {}).get("language")
    )
    return FeedEntry(
        url=link,
        guid=_nonempty(raw.get("id")),
        title=_text_field(raw, "title"),
        author=_author(raw),
        published_at=_utc(raw.get("published_parsed") or raw.get("updated_parsed") or raw.get("created_parsed")),
        summary_html=summary,
        content_html=content,
        language=language or feed_language,
    )


def _best_content(contents: list) -> str | None:
    """The longest HTML content block (feeds may offer text and HTML alternatives)."""
    candidates = [c for c in contents if _nonempty(c.get("value"))]
    html = [c for c in candidates if "html" in (c.get("type") or "")]
    pool = html or candidates
    if not pool:
        return None
    return max(pool, key=lambda c: len(c["value"]))["value"].strip()


# The name starts and ends with a non-space, so that a run of spaces has one parse (the lazy
# "[^<>]+?" between two "\s*" was cubic in it); "(?=[^<>])" keeps demanding a character before "<".
_NAME_EMAIL = re.compile(r"^(?=[^<>])\s*(?:(?P<name>[^<>\s](?:[^<>]*[^<>\s])?)\s*)?<[^<>@\s]+@[^<>\s]+>\s*$")
_EMAIL_NAME = re.compile(r"^\s*[^()\s@]+@[^()\s]+\s*\((?P<name>[^()]+)\)\s*$")


def _author(raw) -> str | None:
    """Author names as written; RSS "email (Name)" and "Name <email>" reduced to the name.

    feedparser's own author_detail mangles "j@x.example (Jane Doe)" into name
    "ple (Jane Doe", so the raw string is split here.
    """
    names = [_nonempty(a.get("name")) for a in raw.get("authors") or [] if isinstance(a, dict)]
    names = [n for n in names if n]
    value = ", ".join(dict.fromkeys(names)) if len(names) > 1 else _nonempty(raw.get("author"))
    if not value:
        return None
    match = _EMAIL_NAME.match(value) or _NAME_EMAIL.match(value)
    return (match.group("name") or "").strip() if match else value


def _text_field(container, key: str) -> str | None:
    value = _nonempty(container.get(key))
    if value and "html" in ((container.get(f"{key}_detail") or {}).get("type") or ""):
        value = _nonempty(_html_to_text(value))
    return value


def _absolute_http_url(link: str | None, base: str) -> str | None:
    if not link or not link.strip():
        return None
    try:
        absolute = urljoin(base, link.strip())
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(ch.isspace() for ch in absolute):
        return None
    return absolute


def _utc(parsed_time) -> datetime | None:
    if not parsed_time:
        return None
    try:
        return datetime(*parsed_time[:6], tzinfo=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None


def _language(value: str | None) -> str | None:
    value = _nonempty(value)
    return value.replace("_", "-").lower() if value else None


def _nonempty(value) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _is_xml_error(exc) -> bool:
    # CharacterEncodingOverride / NonXMLContentType are warnings about headers, not breakage.
    return exc is not None and not isinstance(
        exc, (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    )


# Elements whose content is never reading text (containers only: a void element such as
# <embed> has no end tag to close the skip). feedparser's sanitizer is off, so this is where
# a <style> block in a teaser stops counting as article text.
_SKIPPED_ELEMENTS = frozenset(("script", "style", "noscript", "template", "iframe", "object", "applet",
                               "svg", "form", "button", "select", "textarea"))


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skipping += 1

    def handle_startendtag(self, tag: str, attrs) -> None:
        pass  # <svg/>: opens and closes at once

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_ELEMENTS and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


# Marks that open more constructs than the text closes, beyond this many: Python 3.11's HTMLParser
# parses the rest of the text again from each unclosed one when it closes (quadratic: a summary of
# 300,000 "&lt;p" took 150 s of CPU), so such a text is read by lxml instead (linear).
_UNCLOSED_LIMIT = 8
# Without comments: lxml's itertext() is quadratic in the comments among an element's children.
_LXML_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
_XML_INCOMPATIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _html_to_text(html: str) -> str:
    """The words of an HTML snippet (a summary, a title) on one line; scripts, styles and forms left out."""
    if html.count("<") - html.count(">") > _UNCLOSED_LIMIT or html.count("<!--") - html.count("-->") > _UNCLOSED_LIMIT \
            or html.count("<![") - html.count("]>") > _UNCLOSED_LIMIT:
        return _lxml_text(html)
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except AssertionError:   # "<![ " or "<![foo[" in the text: a marked section HTMLParser cannot name
        return _lxml_text(html)
    return " ".join(" ".join(extractor.parts).split())


def _lxml_text(html: str) -> str:
    """_html_to_text by lxml's parser: the text of the snippet's elements, those in _SKIPPED_ELEMENTS left out."""
    try:
        root = lxml.html.fragment_fromstring(_XML_INCOMPATIBLE.sub("", html), create_parent="div", parser=_LXML_PARSER)
    except (lxml.etree.ParserError, ValueError):   # nothing but a comment, or nothing at all
        return ""
    for element in list(root.iter(*_SKIPPED_ELEMENTS)):
        element.drop_tree()   # (its tail stays)
    return " ".join(" ".join(root.itertext()).split())


# -- document sniffing --------------------------------------------------------------------


def _ascii_view(body: bytes) -> bytes:
    """The body in an ASCII-compatible encoding, so markup can be found with bytes regexes."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return body.decode(codec, errors="replace").encode("utf-8")
    for pattern, codec in (
        (b"<\x00\x00\x00", "utf-32-le"),
        (b"\x00\x00\x00<", "utf-32-be"),
        (b"<\x00?\x00", "utf-16-le"),
        (b"\x00<\x00?", "utf-16-be"),
    ):
        if body.startswith(pattern):
            return body.decode(codec, errors="replace").encode("utf-8")
    return body


def _without_comments(view: bytes) -> bytes:
    """The document without its <!-- comments -->; an unclosed one is left as it is.

    What re.sub(rb"<!--.*?-->", b"", view, flags=re.S) gives, in linear time: that pattern looked
    for a closing "-->" from every "<!--" that has none (a 80 KB body of "<!--" took 7 s).
    """
    parts, at = [], 0
    while (start := view.find(b"<!--", at)) >= 0:
        end = view.find(b"-->", start + 4)
        if end < 0:
            break
        parts.append(view[at:start])
        at = end + 3
    parts.append(view[at:])
    return b"".join(parts)


def _prolog(view: bytes) -> bytes:
    """Everything before the root element's start tag (where a DOCTYPE lives), comments removed.

    A '<name' inside an entity value ends the prolog early; the declaration cut short
    then fails the count check in _dtd_problem, so the guard fails closed.
    """
    view = _without_comments(view)
    match = _ROOT_ELEMENT.search(view)
    return view if match is None else view[: match.start()]


_ALTERNATE_LINK = re.compile(rb"<link\b[^>]*application/(?:rss|atom)\+xml[^>]*>", re.I)
_HREF = re.compile(rb"""href\s*=\s*["']([^"']+)["']""", re.I)


def _advertised_feed(body: bytes, url: str) -> str:
    """ " (it advertises <feed url>)" for an HTML page that links its feed, else "".

    A feed list entry pointing at the home page is a common mistake; the hint fixes it.
    """
    link = _ALTERNATE_LINK.search(body[:65536])
    href = _HREF.search(link.group(0)) if link else None
    feed_url = _absolute_http_url(href.group(1).decode("utf-8", errors="replace"), url) if href else None
    return f" (it advertises {feed_url})" if feed_url else ""


def _root_element(body: bytes) -> str | None:
    view = _without_comments(_ascii_view(body[:65536]))
    match = _ROOT_ELEMENT.search(view)
    if match is None:
        return None
    return _local_name(match.group(1).decode("ascii", errors="replace"))


def _dtd_problem(body: bytes) -> str | None:
    """Why the document's DTD is refused (entity expansion risk), or None.

    Expat (2.4+) limits amplification, but feedparser falls back to its own lenient
    parser, which expands the "safe" entities it keeps: one 50 KB literal entity
    referenced 50,000 times ran a test process out of 3 GB of memory.
    """
    view = _ascii_view(body)
    prolog = _prolog(view)
    if b"<!ENTITY" not in prolog.upper():
        return None
    declarations = list(_ENTITY_DECL.finditer(prolog))
    if len(declarations) != prolog.upper().count(b"<!ENTITY"):
        return "DTD has an entity declaration we cannot read"
    if len(declarations) > _MAX_ENTITY_DECLARATIONS:
        return f"DTD declares {len(declarations)} entities (at most {_MAX_ENTITY_DECLARATIONS} allowed)"
    expansion = 0
    for declaration in declarations:
        name = declaration.group("name").decode("ascii", errors="replace")
        if declaration.group("pe"):
            return f"DTD declares parameter entity %{name}"
        if declaration.group("external"):
            return f"DTD declares external entity {name}"
        value = declaration.group("dq") if declaration.group("dq") is not None else declaration.group("sq")
        if (b"&" in value or b"%" in value) and not _harmless_char_ref(value):
            return f"entity {name} refers to other entities (nested expansion)"
        expansion += view.count(b"&" + declaration.group("name") + b";") * len(value)
    if expansion > _MAX_ENTITY_EXPANSION:
        return f"entity references would expand the document by {expansion} characters"
    return None


def _harmless_char_ref(value: bytes) -> bool:
    """True for a value that is one character reference, not to '&', '%' or '<'.

    Character references in an entity value are replaced when it is declared, so
    "&#38;other;" becomes a reference to another entity: only lone safe ones pass.
    """
    match = _CHAR_REF.fullmatch(value)
    if match is None:
        return False
    try:
        code = int(match.group(1)) if match.group(1) else int(match.group(2), 16)
    except ValueError:
        return False
    return code not in (ord("&"), ord("%"), ord("<"))

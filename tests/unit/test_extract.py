"""Unit tests for tasks.extract: page extraction and feed HTML to text."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tasks.extract import Extracted, ExtractionError, extract_article, html_fragment_to_text
from tests.unit._cpu import least_cpu as _cpu

PARAGRAPHS = [
    "LISBON (AFP) – Harbour pilots on the Tagus estuary walked off the job on Tuesday, stranding a dozen cargo "
    "ships at anchor as talks over night-shift pay collapsed for the third time this month.",
    "The pilots' union said its members would stay off the water until the port authority tabled a written offer, "
    "and warned that cruise arrivals planned for the weekend could also be turned away.",
    "\u201cWe have been patient for a year,\u201d said union spokeswoman Marta Quintela, standing by the empty "
    "pilot launches moored at the Alcantara dock.",
    "The port authority said in a statement that it regretted the walkout and remained open to dialogue, "
    "adding that emergency movements of fuel tankers would still be guided in.",
]


def page(head: str = "", body_extra: str = "", lang: str = "en-GB") -> str:
    """A fictional article page around PARAGRAPHS."""
    paragraphs = "\n".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<title>Lisbon pilots strike | Estuary Times</title>
{head}
</head><body>
<header><nav><a href="/">Home</a> <a href="/world/">World</a></nav></header>
<main><article>
<h1>Lisbon harbour pilots strand cargo ships</h1>
<div class="body">{paragraphs}{body_extra}</div>
</article></main>
<footer><p>© 2024 Estuary Times. All rights reserved.</p></footer>
</body></html>"""


FULL_HEAD = """
<link rel="canonical" href="/2024/05/lisbon-pilots-strike.html">
<meta property="og:title" content="Lisbon harbour pilots strand cargo ships">
<meta property="og:url" content="https://estuary.example/og-url.html">
<meta property="article:published_time" content="2024-05-07T16:45:00+02:00">
<meta name="author" content="Ana Ribeiro">
"""


def test_page_without_head_metadata_falls_back_to_trafilatura_guesses():
    # No meta tags or JSON-LD: the title comes from the headline, the author from the byline,
    # the day from the URL (midnight UTC, since only the day is known).
    html = page().replace('<div class="body">', '<p class="byline">By Tomas Ferreira</p><div class="body">')
    result = extract_article(html, "https://estuary.example/2024/05/07/lisbon-pilots-strike.html")
    assert result.title == "Lisbon harbour pilots strand cargo ships"
    assert result.author == "Tomas Ferreira"
    assert result.published_at == datetime(2024, 5, 7, tzinfo=timezone.utc)
    assert result.text.split("\n")[-len(PARAGRAPHS):] == PARAGRAPHS


def test_a_failing_metadata_guess_leaves_the_text_and_the_pages_own_fields(monkeypatch):
    import trafilatura.metadata

    def broken(*args, **kwargs):
        raise ValueError("bug in a metadata heuristic")

    monkeypatch.setattr(trafilatura.metadata, "extract_metadata", broken)
    result = extract_article(page('<meta property="og:title" content="Pilots strike">'),
                             "https://estuary.example/lisbon-pilots-strike.html")
    assert result.title == "Pilots strike"
    assert result.author is None and result.published_at is None   # nothing to guess them from
    assert result.text.split("\n")[-len(PARAGRAPHS):] == PARAGRAPHS


def test_extract_article_returns_text_and_head_metadata():
    result = extract_article(page(FULL_HEAD), "https://estuary.example/2024/05/lisbon-pilots-strike.html?utm_source=rss")
    assert isinstance(result, Extracted)
    lines = result.text.split("\n")
    # trafilatura may keep the <h1> of the article element; the cleaner drops a repeated title.
    assert lines[-len(PARAGRAPHS):] == PARAGRAPHS
    assert lines[:-len(PARAGRAPHS)] in ([], ["Lisbon harbour pilots strand cargo ships"])
    assert result.title == "Lisbon harbour pilots strand cargo ships"
    assert result.author == "Ana Ribeiro"
    assert result.published_at == datetime(2024, 5, 7, 14, 45, tzinfo=timezone.utc)
    assert result.canonical_url == "https://estuary.example/2024/05/lisbon-pilots-strike.html"
    assert result.language == "en"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        pytest.param('<meta property="og:url" content="https://estuary.example/a.html">',
                     "https://estuary.example/a.html", id="og-url-when-no-canonical"),
        pytest.param('<link rel="canonical" href="https://other.example/b.html">',
                     "https://other.example/b.html", id="absolute-canonical"),
        pytest.param('<link rel="canonical" href="javascript:void(0)">', None, id="non-http-canonical-ignored"),
        pytest.param("", None, id="none"),
    ],
)
def test_canonical_url_sources(head, expected):
    assert extract_article(page(head), "https://estuary.example/x.html").canonical_url == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        pytest.param('<meta property="article:published_time" content="2024-05-07T09:00:00Z">',
                     datetime(2024, 5, 7, 9, 0, tzinfo=timezone.utc), id="meta-zulu"),
        pytest.param('<script type="application/ld+json">{"@context": "https://schema.org", "@graph": '
                     '[{"@type": "NewsArticle", "datePublished": "2024-05-07T10:30:00-04:00"}]}</script>',
                     datetime(2024, 5, 7, 14, 30, tzinfo=timezone.utc), id="json-ld-graph"),
        pytest.param('<meta name="pubdate" content="2024-05-07T08:15:00">',
                     datetime(2024, 5, 7, 8, 15, tzinfo=timezone.utc), id="naive-taken-as-utc"),
    ],
)
def test_published_at_is_utc(head, expected):
    published = extract_article(page(head), "https://estuary.example/x.html").published_at
    assert published == expected
    assert published.utcoffset().total_seconds() == 0


def test_published_at_from_time_element():
    extra = '<p><time class="published" datetime="2024-05-07T18:00:00+01:00">7 May</time></p>'
    result = extract_article(page(body_extra=extra), "https://estuary.example/x.html")
    assert result.published_at == datetime(2024, 5, 7, 17, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("lang", "expected"), [("en-GB", "en"), ("pt_PT", "pt"), ("FR", "fr")])
def test_language_primary_subtag(lang, expected):
    assert extract_article(page(lang=lang), "https://estuary.example/x.html").language == expected


def test_latin1_bytes_are_decoded_from_the_declared_charset():
    html = page().replace('<meta charset="utf-8">',
                          '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">')
    html = html.replace("Alcantara", "Alcântara")
    result = extract_article(html.encode("iso-8859-1", "xmlcharrefreplace"), "https://estuary.example/x.html")
    assert "Alcântara dock" in result.text


def test_page_without_article_text_raises_with_url():
    empty = "<html><head><title>Nothing</title></head><body><script>var a = 1;</script></body></html>"
    with pytest.raises(ExtractionError, match=r"no article text found in 'https://estuary.example/empty'"):
        extract_article(empty, "https://estuary.example/empty")


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        pytest.param("<p>One <b>bold</b> line.</p><p>Two.</p>", "One bold line.\nTwo.", id="paragraphs"),
        pytest.param("First<br>Second<br/>Third", "First\nSecond\nThird", id="br"),
        pytest.param("<ul><li>alpha</li><li>beta</li></ul>", "alpha\nbeta", id="list"),
        pytest.param('<figure><img src="a.jpg"><figcaption>Quay at dawn © AFP |</figcaption></figure><p>Body.</p>',
                     "Quay at dawn © AFP |\nBody.", id="caption-kept-for-cleaner"),
        pytest.param("<p>Kept</p><script>var x = 1;</script><style>p{}</style>", "Kept", id="script-style-dropped"),
        pytest.param('<p>Body.</p><iframe>Watch the video</iframe><applet>Java needed</applet><object>Flash</object>',
                     "Body.", id="embedded-fallback-text-dropped"),
        pytest.param("Plain text without tags", "Plain text without tags", id="plain-text"),
        pytest.param("<p>  spaced \n  out\u00a0text </p>", "spaced out text", id="whitespace"),
        pytest.param("<p>A &amp; B &#8211; C</p>", "A & B – C", id="entities"),
        pytest.param("", "", id="empty"),
        pytest.param("<!-- only a comment -->", "", id="comment-only"),
    ],
)
def test_html_fragment_to_text(fragment, expected):
    assert html_fragment_to_text(fragment) == expected


# A site map in the footer: link boxes are then a small part of the page, as on real sites.
SITE_MAP = "".join(f"<a href='/section/{n}'>Section {n} of the Harbour News site map</a> " for n in range(30))
LEADS = [
    "The city council of Narvik voted on Tuesday to build a new indoor swimming pool next to the school.",
    "Fishermen in Lofoten reported the best spring catch of skrei cod in ten years, with prices holding steady.",
    "A storm closed the mountain pass between Bodø and Fauske for two days, and more closures are likely.",
    "The regional airline will add a second daily flight to Røst from June, after a rise in visitors.",
    "Students in Tromsø occupied the library for a night to protest against a cut in opening hours.",
    "The ferry company ordered two electric boats for the crossing to Senja, to halve emissions by 2027.",
]


def test_a_short_story_is_not_replaced_by_the_box_of_leads_below_it():
    box = "".join(f"<li><a href='/n{n}'><h3>Story {n}</h3><p>{lead}</p></a></li>" for n, lead in enumerate(LEADS))
    html = f"""<html><head><title>Quay closes</title></head><body>
<h1>Old ferry quay closes</h1>
<div class="story"><p>The old ferry quay in Tromsø closes for repairs from June, the harbour authority said.</p></div>
<section class="related"><h2>More from the north</h2><ul>{box}</ul></section>
<footer>{SITE_MAP}</footer></body></html>"""
    text = extract_article(html, "https://harbour.example/quay").text
    assert "The old ferry quay in Tromsø closes for repairs" in text
    assert not any(lead in text for lead in LEADS)


def test_an_article_inside_a_box_like_element_is_not_pruned_to_a_fragment():
    # The whole article sits in a "widget" element; without it only the date line is left.
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS * 3)
    html = f"""<html><head><title>Pilots strike</title></head><body>
<h1>Lisbon harbour pilots strand cargo ships</h1>
<p class="date">Published 7 May 2024</p>
<div class="widget">{paragraphs}</div>
<footer>{SITE_MAP}</footer></body></html>"""
    text = extract_article(html, "https://estuary.example/strike").text
    assert all(p in text for p in PARAGRAPHS)


MORE_PARAGRAPHS = [
    "By late afternoon the harbour master had moved two container ships to the outer anchorage, where crews "
    "waited without shore leave.",
    "Shipping agents said the delays would cost operators tens of thousands of euros a day in charter fees and "
    "missed connections.",
    "The pilots last struck in 2019, when a two-day stoppage ended with a pay rise and a promise of new launches "
    "that never arrived.",
]
RAIL = '<div class="rail"><div class="ad">Advertisement</div></div>'


def chunked_page(second_chunk: str) -> str:
    """A page whose template cuts the body into sibling chunks, each with a side rail, an ad between."""
    first = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<html><head><title>Pilots strike</title></head><body>
<header><nav><a href="/">Home</a> <a href="/world/">World</a></nav></header>
<main><article><h1>Lisbon harbour pilots strand cargo ships</h1>
<div class="story-chunks">
<div class="chunk"><div class="article-body story-text">{first}</div>{RAIL}</div>
<div class="full-width-ad"><div class="ad">Advertisement</div></div>
<div class="chunk">{second_chunk}{RAIL}</div>
</div></article></main>
<footer><p>© 2024 Estuary Times.</p></footer></body></html>"""


def test_an_article_cut_into_sibling_chunks_keeps_every_chunk_in_order():
    second = '<div class="article-body story-text">' + "".join(f"<p>{p}</p>" for p in MORE_PARAGRAPHS) + "</div>"
    text = extract_article(chunked_page(second), "https://estuary.example/strike").text
    lines = text.split("\n")
    assert all(p in lines for p in PARAGRAPHS + MORE_PARAGRAPHS)
    assert lines.index(MORE_PARAGRAPHS[0]) > lines.index(PARAGRAPHS[-1])
    assert "Advertisement" not in text


def test_a_sibling_chunk_of_linked_teasers_is_not_taken_for_the_article():
    teasers = "".join(f"<h3><a href='/n{n}'>Story {n}</a></h3><p>{p}</p>" for n, p in enumerate(MORE_PARAGRAPHS))
    text = extract_article(chunked_page(f'<div class="article-body">{teasers}</div>'),
                           "https://estuary.example/strike").text
    assert all(p in text for p in PARAGRAPHS)
    assert not any(p in text for p in MORE_PARAGRAPHS)


SHORT_POST = ("Some evenings the harbour is so quiet that you can hear the ropes creak against the bollards, and "
              "the whole estuary seems to hold its breath until the ferry horn")
OTHER_POSTS = [
    "Patience is learnt on the water: the tide does not hurry for anyone, and a pilot who forgets it pays for "
    "it with a scraped hull and a long report to the harbour master.",
    "Every lighthouse keeper I have met keeps a notebook of the weather, written in pencil so that the damp "
    "cannot make the ink run over the years of small entries.",
    "The old launches were painted blue because the paint was cheap after the war, and nobody has wanted to "
    "change the colour since the last refit.",
]


def test_lines_of_other_posts_set_as_article_elements_below_the_story_are_dropped():
    # A blog template: the post is one <article> with its <h1> and one short paragraph; below it, a
    # "you may also like" <article> holds other posts, each an <article> with its whole text.
    others = "".join(f'<article class="card post"><div class="img"><a href="/notes/post-{n}"><img src="/i{n}.jpg" '
                     f'alt=""></a></div><p>{p}</p></article>' for n, p in enumerate(OTHER_POSTS))
    html = f"""<html><head><title>Quiet evenings</title></head><body>
<header><nav><a href="/">Home</a> <a href="/notes/">Notes</a></nav></header>
<div id="primary"><article class="box single"><h1>Quiet evenings</h1><p>{SHORT_POST}</p>
<p><a href="/notes/">Harbour notes</a>, <a href="/life/">Life</a></p></article>
<article class="box more"><h3>You may also like</h3>{others}</article></div>
<footer><p>© 2024 Estuary Notes.</p></footer></body></html>"""
    text = extract_article(html, "https://estuary.example/quiet-evenings").text
    assert SHORT_POST in text
    assert not any(p in text for p in OTHER_POSTS)


def test_a_live_blogs_entries_in_article_elements_of_their_own_are_kept():
    # Each entry links to itself on this page (a permalink), not to another post of the site; the step
    # itself, on a text that holds them all (trafilatura's choice among such entries varies).
    import lxml.html

    from tasks.extract import _without_other_articles

    def entries(href: str) -> str:
        return "".join(f'<article class="entry" id="e{n}"><a href="{href.format(n=n)}">14:0{n}</a><p>{p}</p></article>'
                       for n, p in enumerate(OTHER_POSTS))

    def page_with(href: str) -> lxml.html.HtmlElement:
        return lxml.html.fromstring(f"""<html><body><div id="live"><article class="live"><h1>Live: the port
strike</h1><p>{SHORT_POST}.</p></article><section class="entries">{entries(href)}</section></div></body></html>""")

    text = "\n".join([f"{SHORT_POST}.", *OTHER_POSTS])
    assert _without_other_articles(page_with("/live/strike#e{n}"), "https://estuary.example/live/strike", text) == text
    # The same shape with each <article> linking to a post of its own is a list of other posts.
    assert _without_other_articles(page_with("/notes/post-{n}"), "https://estuary.example/live/strike",
                                   text) == f"{SHORT_POST}."


def test_a_story_whose_body_is_in_a_sibling_article_element_keeps_it():
    # The headline in one <article>, the body in the next: the body's element has no <h1>, so it is the story.
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = f"""<html><head><title>Pilots strike</title></head><body>
<article class="head"><h1>Lisbon harbour pilots strand cargo ships</h1><p>By Ana Ribeiro</p></article>
<article class="body">{body}</article>
<footer><p>© 2024 Estuary Times.</p></footer></body></html>"""
    text = extract_article(html, "https://estuary.example/strike").text
    assert all(p in text for p in PARAGRAPHS)


def test_the_pages_h1_at_the_top_of_the_text_is_not_body_text():
    # The head's title words the headline differently, so the cleaner would not know the line for the title.
    head = '<meta property="og:title" content="Pilots walk off the job on the Tagus">'
    html = page(head).replace("<h1>Lisbon harbour pilots strand cargo ships</h1>", "").replace(
        '<div class="body">', '<div class="body"><h1>Lisbon harbour pilots strand cargo ships</h1>')
    result = extract_article(html, "https://estuary.example/strike")
    assert result.title == "Pilots walk off the job on the Tagus"
    assert result.text.split("\n") == PARAGRAPHS


ITEMS = ["Ferry crews vote on a work-to-rule ban", "Tagus bridge tolls rise again in June",
         "Why the new cruise terminal stands empty"]


def test_a_list_of_the_sites_other_stories_at_the_end_of_the_text_is_dropped():
    # Each item a headline linked to another story of the site, with its teaser after it.
    listing = "<ul>" + "".join(f'<li><a href="/2024/05/story-{n}.html">{h}</a> Union leaders say talks went '
                               f"nowhere</li>" for n, h in enumerate(ITEMS)) + "</ul>"
    text = extract_article(page(body_extra=listing), "https://www.estuary.example/2024/05/strike.html").text
    assert text.split("\n")[-len(PARAGRAPHS):] == PARAGRAPHS
    assert not any(h in text for h in ITEMS)


def test_a_box_of_linked_headlines_between_paragraphs_is_dropped():
    box = "<ul>" + "".join(f'<li><a href="https://estuary.example/news/{n}">{h}</a></li>'
                           for n, h in enumerate(ITEMS)) + "</ul>"
    html = page(body_extra=f"<p>{MORE_PARAGRAPHS[0]}</p>").replace(f"<p>{PARAGRAPHS[2]}</p>",
                                                                  box + f"<p>{PARAGRAPHS[2]}</p>")
    text = extract_article(html, "https://estuary.example/2024/05/strike.html").text
    assert all(p in text for p in PARAGRAPHS) and MORE_PARAGRAPHS[0] in text
    assert not any(h in text for h in ITEMS)


def test_a_storys_own_list_with_links_to_the_site_is_kept():
    # Inside the text, each item a sentence with a few linked words.
    own = ["The port authority <a href='/port-authority-statement-on-pilot-pay-talks'>said in a statement on "
           "Monday</a> that it had offered a rise", "The union has <a href='/union-strike-ballot-results-in-full'>"
           "published the full ballot results</a> on its own site", "Shipping agents expect longer delays"]
    listing = "<ul>" + "".join(f"<li>{item}</li>" for item in own) + "</ul>"
    html = page(body_extra=f"<p>{MORE_PARAGRAPHS[0]}</p>").replace(f"<p>{PARAGRAPHS[2]}</p>",
                                                                  listing + f"<p>{PARAGRAPHS[2]}</p>")
    text = extract_article(html, "https://estuary.example/2024/05/strike.html").text
    assert "- The union has published the full ballot results on its own site" in text.split("\n")


def test_paragraphs_that_are_each_a_link_to_another_story_of_the_site_are_dropped():
    # trafilatura keeps such paragraphs on some pages and not on others: the step itself, on what it kept.
    import lxml.html

    from tasks.extract import _without_link_lists

    links = "".join(f'<p class="para"><a href="https://www.estuary.example/2024/04/story-{n}.html">{h}?</a></p>'
                    for n, h in enumerate(ITEMS))
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    tree = lxml.html.fromstring(f"<html><body><article>{body}<p>You may also like</p>{links}</article></body></html>")
    text = "\n".join([*PARAGRAPHS, "You may also like", *(f"{h}?" for h in ITEMS)])
    assert _without_link_lists(tree, "https://www.estuary.example/2024/05/strike.html", text).split("\n") == [
        *PARAGRAPHS, "You may also like"]
    # A paragraph with a link in its sentence is the story's own.
    tree = lxml.html.fromstring(f"<html><body><article>{body}<p>Read <a href='/2024/04/story-1.html'>the "
                                f"union's letter to the port board</a> in full.</p></article></body></html>")
    text = "\n".join([*PARAGRAPHS, "Read the union's letter to the port board in full."])
    assert _without_link_lists(tree, "https://www.estuary.example/2024/05/strike.html", text) == text


def test_teaser_headings_inside_their_links_are_dropped():
    import lxml.html

    from tasks.extract import _without_link_lists

    teasers = "".join(f'<a href="/2024/04/story-{n}.html"><img src="/t{n}.jpg" alt=""><h3>{h}</h3></a>'
                      for n, h in enumerate(ITEMS))
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    tree = lxml.html.fromstring(f"<html><body><article>{body}<div class='more'>{teasers}</div></article></body></html>")
    text = "\n".join([*PARAGRAPHS, *ITEMS])
    assert _without_link_lists(tree, "https://estuary.example/2024/05/strike.html", text).split("\n") == PARAGRAPHS


DEK = "Night-shift pay talks collapse for a third time as a dozen cargo ships wait at anchor"


def test_the_standfirst_in_the_headlines_header_is_not_body_text():
    html = page().replace("<h1>Lisbon harbour pilots strand cargo ships</h1>",
                          f'<header class="story-head"><h1>Lisbon harbour pilots strand cargo ships</h1>'
                          f'<h2 class="dek">{DEK}</h2></header>')
    text = extract_article(html, "https://estuary.example/strike").text
    assert text.split("\n") == PARAGRAPHS


def test_a_lead_paragraph_in_the_headlines_header_is_kept():
    lead = ("Harbour pilots on the Tagus estuary walked off the job on Tuesday after night-shift pay talks "
            "collapsed, leaving a dozen cargo ships at anchor off Lisbon.")
    html = page().replace("<h1>Lisbon harbour pilots strand cargo ships</h1>",
                          f'<header class="story-head"><h1>Lisbon harbour pilots strand cargo ships</h1>'
                          f'<p class="lead">{lead}</p><p class="byline">By Ana Ribeiro</p></header>')
    text = extract_article(html, "https://estuary.example/strike").text
    assert lead in text.split("\n")
    assert all(p in text for p in PARAGRAPHS)


def test_a_subheading_among_the_body_next_to_the_headline_is_kept():
    # A flat template: headline, crossheads and paragraphs share one parent; the crosshead is the story's.
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2]) + "<h2>Cruise arrivals at risk this weekend</h2>" \
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:])
    html = f"""<html><head><title>Pilots strike</title></head><body>
<div class="post"><h1>Lisbon harbour pilots strand cargo ships</h1>{body}</div></body></html>"""
    text = extract_article(html, "https://estuary.example/strike").text
    assert "Cruise arrivals at risk this weekend" in text.split("\n")
    assert all(p in text for p in PARAGRAPHS)


def test_a_hidden_block_of_microdata_is_not_read_as_text():
    hidden = """<div style="display: none;" itemscope itemtype="http://schema.org/NewsArticle">
<div itemprop="headline">Lisbon harbour pilots strand cargo ships</div>
<div itemprop="keywords">port,strike,Lisbon port strike</div>
<div itemprop="datePublished">2024-05-07T16:45:00+02:00</div>
<div itemprop="dateModified">2024-05-07T18:02:11+02:00</div>
<div itemprop="publisher" itemscope><div itemprop="name">EstuaryTimesPT</div></div>
<div itemprop="articleBody">""" + " ".join(PARAGRAPHS) + "</div></div>"
    html = page(body_extra=hidden)
    text = extract_article(html, "https://estuary.example/strike").text
    assert text.split("\n")[-len(PARAGRAPHS):] == PARAGRAPHS
    assert "2024-05-07T16:45:00+02:00" not in text and "EstuaryTimesPT" not in text


def test_a_story_hidden_in_microdata_behind_a_teaser_is_read():
    # A paywall's markup: one visible paragraph, the whole story in a hidden articleBody.
    story = [*PARAGRAPHS,
             "Shipping agents said the backlog would take a week to clear once the pilots returned to work.",
             "The port authority said it had offered a four percent rise and a review of the night rota in June.",
             "Two cruise lines moved their Thursday calls to Setubal, and a third said it was watching the talks.",
             "The union's last stoppage, in 2019, lasted two days and ended with new launches for the night crews.",
             "Talks are due to resume on Friday at the ministry of the sea, a spokesman for the minister said."]
    hidden = ("""<div style="display:none" itemscope itemtype="http://schema.org/NewsArticle">"""
              """<div itemprop="articleBody">""" + "".join(f"<p>{p}</p>" for p in story) + "</div></div>")
    html = f"""<html><head><title>Pilots strike</title></head><body><article>
<h1>Lisbon harbour pilots strand cargo ships</h1><p>{PARAGRAPHS[0]}</p>
<p>Subscribe to read the whole story.</p>{hidden}</article></body></html>"""
    text = extract_article(html, "https://estuary.example/strike").text
    assert all(p in text for p in story)


def test_closing_bullet_points_with_a_link_each_are_the_storys_own():
    # The story ends with key points, each linking a few words to an earlier story of the site.
    import lxml.html

    from tasks.extract import _without_link_lists

    points = [("The port authority offered a rise of four percent", "/2024/04/port-offer.html",
               "in April, which the union turned down within a day and called an insult to its members"),
              ("Pilots last walked out in 2019", "/2019/06/pilots-strike.html",
               "for two days, and the stoppage ended with a pay rise and a promise of new launches"),
              ("Cruise lines have warned of cancellations", "/2024/05/cruise-warning.html",
               "if the dispute drags into the summer season, when most of the big ships call at Lisbon")]
    items = "".join(f'<li><a href="{href}">{linked}</a> {rest}</li>' for linked, href, rest in points)
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    tree = lxml.html.fromstring(f"<html><body><article>{body}<ul>{items}</ul></article></body></html>")
    text = "\n".join([*PARAGRAPHS, *(f"- {linked} {rest}" for linked, _, rest in points)])
    assert _without_link_lists(tree, "https://estuary.example/2024/05/strike.html", text) == text


# -- bounded work per page: a step's cost grows with the page, not with the page times its depth ----------



def _header_tree(levels: int, notes: int, nested: bool):
    """A page whose <header> holds the headline, its standfirst and byline under `levels` wrappers of
    `notes` short section notes each: nested one in the other, or side by side (same elements, flat)."""
    import lxml.html

    wrappers = [f"<div class='rail'>{''.join(f'<span>Harbour desk {level} note {n}</span>' for n in range(notes))}"
                for level in range(levels)]
    core = f'<h1>Lisbon harbour pilots strand cargo ships</h1><h2 class="dek">{DEK}</h2><p>By Ana Ribeiro</p>'
    header = "".join(wrappers) + core + "</div>" * levels if nested else \
        "".join(wrapper + "</div>" for wrapper in wrappers) + core
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return lxml.html.fromstring(f"<html><body><header>{header}</header><article>{body}</article></body></html>")


def test_header_lines_are_found_in_time_linear_in_the_header_however_deep_it_nests():
    # A headline under 240 nested wrappers (libxml2 keeps 255 levels): reading each element's words on its
    # own read the header's text once per level (2.0 s of CPU here; the same elements side by side 0.08 s).
    from tasks.extract import _without_header_lines

    text = "\n".join([DEK, "By Ana Ribeiro", *PARAGRAPHS])
    deep, flat = _header_tree(240, 60, nested=True), _header_tree(240, 60, nested=False)
    assert _without_header_lines(deep, text).split("\n") == PARAGRAPHS
    assert _without_header_lines(flat, text).split("\n") == PARAGRAPHS
    assert _cpu(_without_header_lines, deep, text) < 5 * _cpu(_without_header_lines, flat, text) + 0.2


def _rail_pages(levels: int, paragraphs: int):
    """A story's paragraphs after a rail of `levels` notes, each in its own wrapper: nested one in the other
    (the innermost note first in the page) or side by side."""
    import lxml.html

    notes = [f"<p>Harbour desk note {level}: the pilots' union met the port authority again on the night rota.</p>"
             for level in range(levels)]
    deep = ""
    for note in notes:
        deep = f"<div class='rail'>{deep}{note}</div>"
    flat = "".join(f"<div class='rail'>{note}</div>" for note in notes)
    body = "".join(f"<p>{PARAGRAPHS[n % 4]} ({n})</p>" for n in range(paragraphs))
    return [lxml.html.fromstring(f"<html><body>{rail}<section class='story'>{body}</section></body></html>")
            for rail in (deep, flat)]


def test_the_walk_up_to_the_articles_chunk_is_linear_however_deep_the_first_line_nests():
    # The text's first line 240 wrappers deep, the story (2,000 paragraphs) beside them: each wrapper on the
    # way up read its words and looked for every line in them (1.3 s of CPU here; side by side 0.01 s).
    from tasks.extract import _with_sibling_chunks

    url = "https://estuary.example/strike"
    deep, flat = _rail_pages(240, 2000)
    texts = ["\n".join(p.text_content() for p in tree.iter("p")) for tree in (deep, flat)]
    assert texts[0].split("\n")[0].startswith("Harbour desk note 0:")
    assert _with_sibling_chunks(deep, url, texts[0], lambda: None) == texts[0]
    assert _cpu(_with_sibling_chunks, deep, url, texts[0], lambda: None) \
        < 5 * _cpu(_with_sibling_chunks, flat, url, texts[1], lambda: None) + 0.1


def test_other_posts_nested_one_in_another_are_dropped_in_linear_time():
    # 240 posts of a "more from the notebook" rail, each <article> inside the one before (a template that
    # never closes them): each post's links and words were read again for every post around it (0.53 s of
    # CPU here, its words 4.9 MB; the same posts side by side 0.01 s).
    import lxml.html

    from tasks.extract import _without_other_articles

    posts = [f'<p>{OTHER_POSTS[n % 3]} ({n}) <a href="/notes/post-{n}">Read on</a></p>' for n in range(240)]
    deep = ""
    for post in posts:
        deep = f"<article class='post'>{deep}{post}</article>"
    flat = "".join(f"<article class='post'>{post}</article>" for post in posts)
    own = "<article class='story'><h1>Lisbon harbour pilots strand cargo ships</h1>" \
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</article>"
    deep, flat = (lxml.html.fromstring(f"<html><body>{own}<aside>{more}</aside></body></html>") for more in (deep, flat))
    text = "\n".join([*PARAGRAPHS, *(f"{OTHER_POSTS[n % 3]} ({n}) Read on" for n in range(240))])
    url = "https://estuary.example/strike"
    assert _without_other_articles(deep, url, text).split("\n") == PARAGRAPHS
    assert _without_other_articles(flat, url, text).split("\n") == PARAGRAPHS
    assert _cpu(_without_other_articles, deep, url, text) < 5 * _cpu(_without_other_articles, flat, url, text) + 0.1


def test_a_huge_json_ld_list_is_read_in_linear_time():
    # A 2.4 MB JSON-LD script holding a list of 200,000 objects (an item list gone wild; a page may be 5 MB):
    # each object was taken off the front of a Python list (1.5 s of CPU here, now 0.07 s; parsing the JSON 0.03 s).
    import json

    import lxml.html

    from tasks.extract import _json_ld_objects

    script = "[" + ",".join(['{"@type": "ListItem"}'] * 100_000 + ['{"@graph": [{"headline": "Pilots strike"}]}']
                            + ["{}"] * 100_000) + "]"
    tree = lxml.html.fromstring(f'<html><head><script type="application/ld+json">{script}</script></head>'
                                f'<body><p>{PARAGRAPHS[0]}</p></body></html>')
    objects = list(_json_ld_objects(tree))
    assert len(objects) == 200_002 and objects[-1] == {"headline": "Pilots strike"}
    assert _cpu(lambda: list(_json_ld_objects(tree))) < 5 * _cpu(json.loads, script) + 0.1

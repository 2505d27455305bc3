"""Unit tests for tasks.clean: wrapper removal, dateline, wire agency, site furniture."""
from __future__ import annotations

import unicodedata

import pytest

from tasks.clean import Cleaned, clean_site_batch, clean_text, find_dateline, site_furniture
from tests.unit._cpu import least_cpu as _cpu

LEAD = ("OSLO (AFP) – Norway's fisheries ministry on Thursday halved the spring quota for coastal cod, "
        "saying stocks off the Lofoten islands had fallen to their lowest level in two decades.")
BODY = [
    "The cut, which takes effect next month, was sharper than the industry had expected and drew an angry "
    "response from fishing cooperatives in the far north.",
    "\u201cThis is a hard day for small boats,\u201d said Ingrid Solheim, who heads a cooperative in Svolvaer. "
    "\u201cBut without fish there is no fishing.\u201d",
    "Researchers at the marine institute have warned for three years that warmer water was pushing young cod "
    "further offshore, where trawlers catch them before they can spawn.",
]
STORY = [LEAD, *BODY]


def cleaned(*wrapped: str, **kwargs) -> Cleaned:
    return clean_text("\n".join(wrapped), **kwargs)


# --------------------------------------------------------------------------
# Captions, credits, trailers
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "caption",
    [
        "Fishing boats in Svolvaer harbour © AFP/File Lars Eide |",
        "Ingrid Solheim © AFP Tove Berg |",
        "A trawler off Lofoten. Photo: Reuters/Kari Holm",
        "Cod drying on racks (AP Photo/Erik Lund) |",
        "The harbour at dusk (Photo by Nils Dahl / AFP)",
        "Coastal cod | Credit: AFP/Mette Strand",
        "Fish market in Bergen. Photograph: Sigrid Aas/AFP via Getty Images",
        "Media caption, The quay in Henningsvaer",
    ],
)
def test_photo_captions_with_credits_are_removed(caption):
    result = cleaned(caption, *STORY)
    assert result.text == "\n".join(STORY)
    assert result.removed == (caption,)


@pytest.mark.parametrize(
    "trailer",
    [
        "© AFP — Published at Northern Fjord Post with license",
        "Copyright Agence France-Presse",
        "Copyright 2024 Agence France-Presse. All rights reserved.",
        "Source: AFP",
        "This article was originally published by Agence France-Presse.",
        "Editor's note: This story was republished here with permission.",
        "— AFP",
        "linkwithin_text=’Related Articles:’",
        "[ad_slot id=\"after-article\"]",
        "Be the first to comment on \"Norway halves coastal cod quota\"",
        "Leave a comment",
        "3 thoughts on \"Norway halves coastal cod quota\"",
        "Share this:",
        "Click to share on Facebook (Opens in new window)",
        "Sign up for the Fjord Post Morning Briefing to get the day's top stories in your inbox.",
        "Follow Fjord Post on Facebook and X for the latest updates.",
        "Read more: Whalers in Tromso fear a quiet season",
        "Don't miss → Whalers in Tromso fear a quiet season",
        "Read next ▸ Ferry timetable cut for the winter",
        "Related ⟶ Ferry timetable cut for the winter",
        "Advertisement",
        "This copy is for your personal, non-commercial use only. To order copies for your colleagues, visit "
        "the Fjord Post reprints desk.",
        "Write to Kari Holm at kari.holm@fjordpost.example",
        "Reach the reporter on Twitter at https://twitter.example/kariholm",
        "Follow Fjord Post's full coverage of the fisheries at https://fjordpost.example/fisheries",
        "Get Fjord Monthly delivered through your letterbox every month. 12 issues for £20. Click here for more.",
        "An error has occurred, please try again later.",
        "Reach the reporters on Twitter at https://twitter.example/kholm and https://twitter.example/tberg",
        "ATENÇÃO: Comentários ofensivos ou fora do tema não serão aprovados pelo moderador.",
    ],
)
def test_trailers_and_site_lines_are_removed(trailer):
    result = cleaned(*STORY, trailer)
    assert result.text == "\n".join(STORY)
    assert result.removed == (trailer,)


def test_seed_like_repost_keeps_only_the_story_in_order():
    wrapped = [
        "Ingrid Solheim in a file picture © AFP/File Tove Berg |",
        *STORY,
        "© AFP — Published at Northern Fjord Post with license",
        "linkwithin_text=’Related Articles:’",
        'Be the first to comment on "Norway halves coastal cod quota"',
    ]
    result = cleaned(*wrapped, title="Norway halves coastal cod quota")
    assert result.text.split("\n") == STORY
    assert result.removed == (wrapped[0], *wrapped[-3:])
    assert result.wire_agency == "AFP"
    assert result.dateline == "OSLO (AFP) –"


@pytest.mark.parametrize(
    ("credit", "agency"),
    [
        ("Reporting by Kari Holm; Editing by Per Vik", "Reuters"),
        ("(Reporting by Kari Holm in Oslo; Additional reporting by Nils Dahl; Editing by Per Vik)", "Reuters"),
        ("Copyright 2024 The Associated Press. All rights reserved.", "AP"),
        ("Associated Press writer Sigrid Aas contributed to this report.", "AP"),
        ("Copyright Agence France-Presse", "AFP"),
        ("© Reuters — Published at Fjord Post with license", "Reuters"),
    ],
)
def test_agency_from_credit_line_when_dateline_lacks_tag(credit, agency):
    untagged = LEAD.replace("OSLO (AFP) –", "OSLO –")
    result = cleaned(untagged, *BODY, credit)
    assert result.wire_agency == agency
    assert result.dateline == "OSLO –"
    assert result.removed == (credit,)
    assert result.text.split("\n")[0] == untagged


@pytest.mark.parametrize(
    ("byline", "agency"),
    [("AFP", "AFP"), ("Reuters Staff", "Reuters"), ("Kari Holm, Associated Press", "AP"),
     ("Nils Dahl with AFP", "AFP"), ("Kari Holm", None), ("News Desk", None)],
)
def test_agency_from_byline(byline, agency):
    untagged = LEAD.replace("OSLO (AFP) –", "OSLO –")
    assert cleaned(untagged, *BODY, byline=byline).wire_agency == agency


def test_photo_credit_names_agency_only_as_last_resort():
    untagged = LEAD.replace("OSLO (AFP) –", "OSLO –")
    assert cleaned("Cod racks (AP Photo/Erik Lund) |", untagged, *BODY).wire_agency == "AP"
    # A Reuters credit line outranks an AP photo on the same page.
    result = cleaned("Cod racks (AP Photo/Erik Lund) |", untagged, *BODY, "Reporting by Kari Holm; Editing by Per Vik")
    assert result.wire_agency == "Reuters"


# --------------------------------------------------------------------------
# Datelines
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("lead", "dateline", "agency"),
    [
        ("WASHINGTON (AFP) – Senators agreed late on Monday to extend the border program.", "WASHINGTON (AFP) –", "AFP"),
        ("SAO PAULO (AFP) -- Senators agreed late on Monday to extend the border program.", "SAO PAULO (AFP) --", "AFP"),
        ("LONDON (Reuters) - Senators agreed late on Monday to extend the border program.", "LONDON (Reuters) -", "Reuters"),
        ("NEW YORK (AP) — Senators agreed late on Monday to extend the border program.", "NEW YORK (AP) —", "AP"),
        ("HAYWARD, Calif. (AP) — Senators agreed late on Monday to extend the border program.",
         "HAYWARD, Calif. (AP) —", "AP"),
        ("BRUSSELS, May 3 (Reuters) - Senators agreed late on Monday to extend the border program.",
         "BRUSSELS, May 3 (Reuters) -", "Reuters"),
        ("(Reuters) - Senators agreed late on Monday to extend the border program.", "(Reuters) -", "Reuters"),
        ("BERLIN — Senators agreed late on Monday to extend the border program.", "BERLIN —", None),
        ("PORT ELLISON – Senators agreed late on Monday to extend the border program.", "PORT ELLISON –", None),
    ],
)
def test_dateline_forms_are_found_and_kept_in_text(lead, dateline, agency):
    result = cleaned(lead, *BODY)
    assert result.dateline == dateline
    assert result.wire_agency == agency
    assert result.text.startswith(lead)


@pytest.mark.parametrize(
    "line",
    ["AI - the future of work is already here for many", "Senators agreed late on Monday to extend it.",
     "NATO - what next"],
)
def test_lines_that_are_not_datelines(line):
    assert find_dateline(line) is None


def test_short_lines_above_the_dateline_are_not_story():
    result = cleaned("Ingrid Solheim at the harbour", "By Tove Berg", *STORY)
    assert result.text.split("\n") == STORY
    assert result.removed == ("Ingrid Solheim at the harbour", "By Tove Berg")


def test_the_writers_address_and_profile_under_the_story_are_not_story():
    result = cleaned(*STORY, "kari.holm@fjordpost.example", "twitter.com/kariholm")
    assert result.text.split("\n") == STORY
    assert result.removed == ("kari.holm@fjordpost.example", "twitter.com/kariholm")


@pytest.mark.parametrize("meta", ["07/03/2024 - Posted by: Kari Holm - Category: Fisheries - Tags: cod",
                                  "Publicado por: Kari Holm | 07/03/2024 | Categoria: Pesca"])
def test_a_posts_meta_line_at_the_top_is_not_story(meta):
    own = [LEAD.replace("OSLO (AFP) – ", ""), *BODY]
    result = cleaned(meta, *own)
    assert result.text.split("\n") == own
    assert result.removed == (meta,)


def test_a_line_of_labelled_figures_at_the_top_is_story():
    own = [LEAD.replace("OSLO (AFP) – ", ""), *BODY]
    figures = "Opening: 12.03.2024 - Quota: 12,000 tonnes - Boats: 340"
    assert cleaned(figures, *own).text.split("\n") == [figures, *own]


# --------------------------------------------------------------------------
# Precision: body text stays
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "sentence",
    [
        "Solheim told AFP that the cooperative would appeal the decision in court.",
        "A Reuters tally of official figures showed landings down by a third.",
        "The ministry declined to comment on the figures, according to the Associated Press.",
        "Copyright law does not protect the names of fishing grounds, the court ruled.",
        "The report was shared with the fisheries committee on Wednesday evening.",
        "Landings first appeared in official statistics in 1866, the institute said.",
        "| Year | Tonnes | Change |",
        "Reach the outer skerries at dawn.",
        "Write to the ministry at once, the cooperative told its members.",
        "Follow the coverage of the quota talks at the ministry in Oslo.",
        "Os comentários do ministro serão publicados amanhã no diário oficial.",
        "Comentários racistas são removidos pela plataforma em até 24 horas, disse o porta-voz da empresa.",
        "An error occurred in the harbour's signal system on Monday, grounding every ferry for six hours.",
    ],
)
def test_body_sentences_that_mention_agencies_or_credits_are_kept(sentence):
    own = LEAD.replace("OSLO (AFP) – ", "")
    result = cleaned(own, sentence, *BODY)
    assert sentence in result.text.split("\n")
    assert result.removed == ()
    assert result.wire_agency is None


def test_title_repeated_as_first_line_is_removed():
    title = "Norway halves coastal cod quota"
    for first in (title, "NORWAY HALVES COASTAL COD QUOTA", f"UPDATE: {title} | Fjord Post"):
        result = cleaned(first, *STORY, title=title)
        assert result.text.split("\n") == STORY
        assert result.removed == (first,)


def test_related_heading_takes_its_list_with_it():
    related = ["Related Articles:", "Whalers in Tromso fear a quiet season", "Ferry strike ends in Bodo"]
    result = cleaned(*STORY, *related)
    assert result.text.split("\n") == STORY
    assert result.removed == tuple(related)


def test_subheading_inside_story_is_kept():
    result = cleaned(LEAD, "Warmer water", *BODY)
    assert "Warmer water" in result.text.split("\n")


def test_nothing_but_wrappers_returns_the_text_unchanged():
    result = cleaned("Share this:", "Advertisement")
    assert result.text == "Share this:\nAdvertisement"
    assert result.removed == ()


# --------------------------------------------------------------------------
# Unicode and whitespace
# --------------------------------------------------------------------------

def test_unicode_is_nfc_and_whitespace_normalized():
    decomposed = unicodedata.normalize("NFD", "Tromsø café owners said the quota was “brutal”.")
    text = f"  {LEAD}  \r\n\n{decomposed}\u00a0\u200b\n\t\n"
    result = clean_text(text)
    assert result.text.split("\n") == [LEAD, "Tromsø café owners said the quota was “brutal”."]
    assert unicodedata.is_normalized("NFC", result.text)


def test_typography_is_kept_as_written():
    lead = 'OSLO (AFP) -- The minister said it was "painful but needed" -- and final.'
    assert cleaned(lead).text == lead


# --------------------------------------------------------------------------
# Site furniture
# --------------------------------------------------------------------------

SITE_STORIES = [
    ("Ferry strike ends in Bodo", [
        "BODO – Ferry crews returned to work on Friday after a four-day strike over rest periods.",
        "The operator said all routes to the islands would run normally by the weekend.",
    ]),
    ("Whalers fear a quiet season", [
        "TROMSO – Whalers in northern Norway expect their quietest season in a decade this summer.",
        "Fewer than twenty boats have registered for the hunt, the directorate said.",
    ]),
    ("Salmon farm fined over escapes", [
        "ALESUND – A salmon farm was fined two million crowns after thousands of fish escaped.",
        "Inspectors said a storm had torn nets that should have been replaced last year.",
    ]),
    ("Snow closes mountain pass", [
        "GEILO – Heavy snow closed the mountain pass between Oslo and Bergen for a second day.",
        "Road crews said the road could reopen on Sunday if the wind eased.",
    ]),
]
FURNITURE = [
    "Printed on recycled pixels by the Fjord Post team.",  # no shape rule knows this line
    'Be the first to comment on "{title}"',
]


def site_texts() -> tuple[list[str], list[str]]:
    texts, titles = [], []
    for title, paragraphs in SITE_STORIES:
        lines = [*paragraphs, *(line.format(title=title) for line in FURNITURE)]
        texts.append("\n".join(lines))
        titles.append(title)
    return texts, titles


def test_site_furniture_finds_recurring_lines_including_templated_ones():
    texts, titles = site_texts()
    furniture = site_furniture(texts, titles)
    assert "printed on recycled pixels by the fjord post team." in furniture
    assert 'be the first to comment on "<title>"' in furniture
    assert not any("ferry" in key or "snow" in key for key in furniture)


def test_clean_site_batch_removes_furniture_and_keeps_stories():
    texts, titles = site_texts()
    results = clean_site_batch(texts, titles)
    for result, (title, paragraphs) in zip(results, SITE_STORIES):
        assert result.text.split("\n") == paragraphs
        assert result.removed[0] == FURNITURE[0]
        assert result.wire_agency is None


def test_known_furniture_applies_to_a_lone_article():
    texts, titles = site_texts()
    known = site_furniture(texts, titles)
    extra = "NARVIK – The iron ore port handled record volumes in April.\n" + FURNITURE[0]
    [result] = clean_site_batch([extra], ["Narvik ore record"], known_furniture=known)
    assert result.text == "NARVIK – The iron ore port handled record volumes in April."
    assert result.removed == (FURNITURE[0],)


def test_a_line_on_two_articles_is_not_furniture():
    texts, titles = site_texts()
    shared = "Prime Minister Kari Nord visited the harbour on Monday and promised support."
    texts[0] += "\n" + shared
    texts[1] += "\n" + shared
    assert shared in clean_site_batch(texts, titles)[0].text


def test_furniture_needs_enough_articles():
    assert site_furniture(["Share the love.", "Share the love."]) == frozenset()


@pytest.mark.parametrize("bad", [["only one title"], ["a", "b", "c"]])
def test_batch_lengths_must_match(bad):
    with pytest.raises(ValueError, match=r"clean_site_batch: 2 texts but \d titles"):
        clean_site_batch(["a", "b"], bad)


def test_teasers_of_other_stories_below_the_body_are_removed():
    teasers = [
        "More from Fjord Post",
        "- Ferry strike ends in Bodo BODO – Ferry crews returned to work on Friday after a four-day strike.",
    ]
    bare_leads = ["BERGEN (Reuters) - Fish prices at the Bergen exchange rose for a fifth straight week on Monday."]
    assert cleaned(*STORY, *teasers).text.split("\n") == STORY
    result = cleaned(*STORY, *bare_leads)
    assert result.text.split("\n") == STORY
    assert result.wire_agency == "AFP"


# --------------------------------------------------------------------------
# Wrappers in other wordings and languages (issue #14); lines written for these tests
# --------------------------------------------------------------------------

@pytest.mark.parametrize("wrapper", [
    # "read also" labels, headings and run-in labels
    "Lesen Sie auch: Hafenlotsen in Lissabon legen die Arbeit nieder",
    "Auch interessant",
    "Czytaj też: Rybacy z Helu protestują przeciwko nowym limitom",
    "Czytaj także Rybacy z Helu protestują przeciwko nowym limitom",
    "Lea también: Los pescadores de Vigo piden ayudas tras el temporal",
    "À lire aussi : les pêcheurs bretons inquiets pour la saison",
    "(Leggi anche: Il porto di Genova chiude per sciopero)",
    "SEE MORE: Harbour pilots strike for a third day",
    "You may also like...",
    "Most read in world news",
    # paywall prompts
    "To view the full story, please subscribe",
    "Dieser Artikel ist nur für Abonnenten verfügbar. Jetzt abonnieren!",
    "Suscríbete para seguir leyendo este artículo",
    "Cet article est réservé aux abonnés.",
    "Artykuł dostępny tylko dla subskrybentów",
    # advertisement slots
    "Advertisement - story continues below",
    "Story continues below advertisement",
    "ADVERTISEMENT - CONTINUE READING BELOW",
    "Anzeige",
    "La suite après la publicité",
    "Dalsza część artykułu pod reklamą",
    # wire credits without a verb
    "From wire services and staff reports.",
    "With files from The Canadian Press",
    "(mit Material von dpa und AFP)",
    "Con información de agencias",
    # a shortcode pair and a Korean copyright sign
    "[button link=\"https://fjord.example/submit/\" type=\"big\"] Send us your story[/button]",
    "Copyright ⓒ Fjordpost.example. All rights reserved.",
])
def test_wrappers_in_other_wordings_and_languages_are_removed(wrapper):
    result = cleaned(*STORY, wrapper)
    assert result.text == "\n".join(STORY)
    assert result.removed == (wrapper,)


@pytest.mark.parametrize("sentence", [
    "Lesen Sie auch, was der Minister am Dienstag im Parlament über die Fangquoten gesagt hat.",
    "The union said the strike would go on until the port authority made an offer to subscribers of its plan.",
    "From the harbour wall, wire fences and staff huts stretch along the quay for nearly a kilometre.",
    "Los pescadores dicen que la publicidad del gobierno sobre las ayudas no llega a los puertos pequeños.",
])
def test_prose_with_the_same_words_is_kept(sentence):
    assert cleaned(*STORY, sentence).removed == ()


@pytest.mark.parametrize("date_line", [
    "23.10.2018",
    "Aktualisiert am 23.10.2018, 14:35 Uhr",
    "Opublikowano: 23 października 2018, 12:00",
    "Publicado el martes, 23 de octubre de 2018",
    "Publié le 23 octobre 2018 à 14h35",
    "sexta-feira, 22 de outubro de 2010 às 20:13",
])
def test_date_lines_at_the_edges_are_removed_in_any_language(date_line):
    assert cleaned(date_line, *STORY).text == "\n".join(STORY)
    assert cleaned(*STORY, date_line).text == "\n".join(STORY)


@pytest.mark.parametrize("line", [
    "— Harbour Authority (@harbour_pilots) May 7, 2024",     # an embedded post's signature
    "29 November 2018 | 20 January 2019",                     # an exhibition's dates
])
def test_lines_with_a_date_that_are_not_date_lines_are_kept(line):
    assert line in cleaned(*STORY, line).text.split("\n")


def test_a_phone_number_as_last_line_is_not_a_separator():
    result = cleaned(*STORY, "Tickets: call the box office.", "02-751-1500")
    assert result.text.split("\n")[-1] == "02-751-1500"
    assert cleaned(*STORY, "* * *").removed == ("* * *",)


STANDFIRST = ("Die Stadt Linz will den alten Donauhafen bis 2030 zu einem Wohnviertel umbauen; der Gemeinderat hat "
              "den Plan am Montag mit breiter Mehrheit beschlossen und die ersten Mittel dafür freigegeben.")
LINZ = ("LINZ – Auf dem Gelände der früheren Werft sollen 1.200 Wohnungen entstehen, dazu eine Schule und ein Park "
        "am Wasser, sagte Bürgermeisterin Anna Berger nach der Sitzung.")


def test_a_dateline_below_a_standfirst_opens_the_story_and_is_no_teaser():
    result = cleaned(STANDFIRST, LINZ, "© Donaupost 2024")
    assert result.text.split("\n") == [STANDFIRST, LINZ]
    assert result.dateline == "LINZ –"


def test_dateline_led_teasers_below_a_standfirst_are_still_teasers():
    teasers = ["WELS – Die Messe meldet einen Rekord bei den Besuchern der Landwirtschaftsschau im Herbst.",
               "STEYR – Das Werk stellt im Frühjahr zweihundert neue Mitarbeiter in der Fertigung ein."]
    result = cleaned(STANDFIRST, *teasers)
    assert result.text.split("\n") == [STANDFIRST]


@pytest.mark.parametrize("block", [
    # configuration introduced by the story
    ["Add two lines to the server's configuration:", "max_connections = 200", "shared_buffers = 2GB"],
    # a single setting introduced by a colon
    ["Im Abschnitt [server] genügt eine Zeile:", "port = 8080"],
    # a list of the story's own
    ["- Temperatur = 23 Grad", "- Luftfeuchte = 40 Prozent"],
])
def test_name_value_lines_of_the_story_are_kept(block):
    text = [LEAD, *block, *BODY]
    assert cleaned(*text).text.split("\n") == text


def test_a_lone_plugin_setting_is_still_removed():
    result = cleaned(*STORY, "jwplayer_key = 'Xy12Ab'", "© AFP")
    assert result.text.split("\n") == STORY


def test_link_list_heading_takes_the_headline_below_it_inside_the_story():
    result = cleaned(LEAD, "READ MORE:", "Whalers in Tromso fear a quiet season", *BODY)
    assert result.text.split("\n") == STORY


def test_headlines_of_other_stories_between_paragraphs_are_removed():
    for link in ("WHALERS IN TROMSO FEAR A QUIET SEASON AS PRICES FALL", "Ferry strike ends in Bodo after talks [VIDEO]"):
        result = cleaned(LEAD, BODY[0], link, *BODY[1:])
        assert result.text.split("\n") == STORY
    crosshead = "WHAT HAPPENS NEXT"
    assert crosshead in cleaned(LEAD, BODY[0], crosshead, *BODY[1:]).text.split("\n")


def test_a_page_that_prints_the_story_twice_keeps_one_copy():
    paragraphs = [f"{sentence} It was paragraph number {n} of the report." for n, sentence in
                  enumerate(STORY + BODY)]
    result = cleaned(*paragraphs, "Share this:", *paragraphs)
    assert result.text.split("\n") == paragraphs


def test_a_repeated_question_or_recipe_line_is_kept():
    question = "What do you cook at home when nobody is watching, and why that dish?"
    answers = [f"Answer {n}: a fish soup with potatoes, dill and a lot of cream, cooked slowly." for n in range(3)]
    text = [LEAD, question, answers[0], question, answers[1], question, answers[2]]
    assert cleaned(*text).text.split("\n") == text




@pytest.mark.parametrize("box", [["Related Articles:"], ["Related Articles:", "- Whalers in Tromso fear a quiet season"]])
def test_a_long_run_of_link_list_headings_is_cleaned_in_linear_time(box):
    # A page of 8,000 "Related Articles:" boxes in a row (bare, or each with its item): each heading looked down
    # to the end of the run and marked its items again (1.7 s and 3.8 s of CPU here; the same headings with a
    # short sentence of the story after each, more lines, 0.4 s and 0.9 s; now 0.06 s and 0.4 s).
    run = box * 8000
    result = cleaned(*STORY, *run)
    assert result.text.split("\n") == STORY and result.removed == tuple(run)
    spaced = [line for _ in range(8000) for line in (*box, "The boats waited.")]
    assert _cpu(cleaned, *STORY, *run) < 2 * _cpu(cleaned, *STORY, *spaced) + 0.1

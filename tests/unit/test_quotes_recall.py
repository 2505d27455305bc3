"""Quote shapes of real copy that a cue-verb reading misses (issue 14, recall): single marks,
dash signatures, colons after a clause, attributions in the next sentence, lost opening marks."""
from __future__ import annotations

import pytest

from tasks.quotes import _find_single_spans, extract_quotes
from tests.unit._nlp import load_english


@pytest.fixture(scope="session")
def nlp():
    return load_english()


def _quotes(nlp, text: str) -> list[tuple[str, str | None, str | None]]:
    """(text, speaker, resolved) of the direct and partial quotes."""
    return [(q["text"], q["speaker"], q["speaker_resolved"]) for q in extract_quotes(nlp(text))
            if q["kind"] != "indirect"]


def test_curly_single_marks_with_apostrophes_inside(nlp):
    text = ("Pensioner Harold Bligh, 82, was rescued from the roof of his bungalow on Tuesday.\n"
            "‘I wasn’t going to leave the cat behind. She’s all I’ve got,’ he told the Courier.")
    assert _quotes(nlp, text) == [
        ("I wasn’t going to leave the cat behind. She’s all I’ve got", "he", "Harold Bligh")]


def test_straight_single_marks_and_a_plural_possessive(nlp):
    text = ("Union organiser Nell Garvey addressed the crowd outside the depot.\n"
            "'The drivers' union will not sign this. We've been clear from day one,' she said.")
    assert _quotes(nlp, text) == [
        ("The drivers' union will not sign this. We've been clear from day one", "she", "Nell Garvey")]


def test_single_marks_inside_double_ones_stay_part_of_the_quote():
    text = "“He said, ‘Leave it with me,’ and never called back,” Ms Orr said. Rock 'n' roll in the ’90s."
    assert _find_single_spans(text, []) != []   # alone, the inner pair is a quote
    from tasks.quotes import _find_mark_spans
    assert _find_single_spans(text, _find_mark_spans(text)) == []


def test_dash_signature_on_the_quote_line(nlp):
    text = ("Former teammates remembered the striker on Monday.\n"
            "“He never once complained about a tackle. Not once.” — former Ardley captain Tomas Reig, who shared "
            "a dressing room with him for a decade")
    assert _quotes(nlp, text) == [("He never once complained about a tackle. Not once.",
                                   "former Ardley captain Tomas Reig", "Tomas Reig")]


def test_dash_then_prose_is_no_signature(nlp):
    text = "The crowd grew louder.\n“Save our library.” — that was the chant outside the town hall all afternoon."
    assert _quotes(nlp, text) == []


def test_colon_after_a_clause_gives_its_subject(nlp):
    text = ("Grafton lost their fifth game in a row on Saturday, 2-0 at home to Mellor Town.\n"
            "Manager Irene Castell was asked what had gone wrong. “We missed chances.”\n"
            "Striker Owen Blake put it more simply: “We were rubbish.”")
    got = _quotes(nlp, text)
    assert got[-1] == ("We were rubbish.", "Striker Owen Blake", "Owen Blake")


def test_colon_after_a_possessor_or_a_fronted_for(nlp):
    text = ("Senator Ruth Adebayo spoke for 40 minutes on the bill.\n"
            "Adebayo’s verdict on the reform: “Too little, and far too late.”\n"
            "For Adebayo, the lesson of the vote is simple: “Voters notice who turns up.”")
    assert [(q, r) for q, _, r in _quotes(nlp, text)] == [
        ("Too little, and far too late.", "Ruth Adebayo"), ("Voters notice who turns up.", "Ruth Adebayo")]


def test_attribution_in_the_next_sentence(nlp):
    text = ("A gas explosion destroyed two houses in Pell Street overnight.\n"
            "“The whole street shook. I thought it was an earthquake.” That is how Ada Finch, who lives "
            "three doors away, described the blast.")
    assert _quotes(nlp, text) == [("The whole street shook. I thought it was an earthquake.", "Ada Finch", "Ada Finch")]


def test_the_words_of_in_the_next_sentence(nlp):
    text = ("Crews fought the blaze at the mill for eleven hours.\n"
            "“I have not seen a fire move like that in 30 years.” Those were the words of the station "
            "commander, Rhys Howell, as the last engines left.")
    assert _quotes(nlp, text)[0][2] == "Rhys Howell"


def test_lost_opening_mark_with_a_cue_after_the_closing_one(nlp):
    text = ("The forecaster apologised on Thursday. We got the track of the storm wrong and people were "
            "caught outside,” said Dr Lena Moss, head of the weather service.")
    assert _quotes(nlp, text) == [("We got the track of the storm wrong and people were caught outside",
                                   "Dr Lena Moss", "Lena Moss")]


def test_lost_opening_mark_without_a_cue_is_dropped(nlp):
    text = "The season ended badly. Nobody saw that coming” was printed on the fanzine’s cover."
    assert _quotes(nlp, text) == []


def test_title_case_sentence_is_not_given_to_the_previous_speaker(nlp):
    text = ("“The campaign is working,” the governor told reporters on Monday.\n"
            "“Clean Air. We’re On It.”\n"
            "The slogan will appear on buses and billboards from next month.")
    assert [q for q, _, _ in _quotes(nlp, text)] == ["The campaign is working"]


def test_single_mark_search_stays_linear_on_stray_apostrophes():
    import time

    from tasks.quotes import _find_mark_spans

    text = ("the players' union " + "'a " * 20_000 + "\n") * 3
    t0 = time.perf_counter()
    _find_single_spans(text, _find_mark_spans(text))
    assert time.perf_counter() - t0 < 1.0


def test_with_and_a_gerund_the_tagger_made_a_noun(nlp):
    text = ("Neighbouring states condemned the decision, with Foreign Minister Lena Varga warning of "
            "\"serious consequences for the whole region\".")
    assert _quotes(nlp, text) == [("serious consequences for the whole region", "Foreign Minister Lena Varga", "Lena Varga")]


def test_partial_quote_under_a_named_persons_verb_of_opinion(nlp):
    text = ("Tom Reyes, an analyst at Castell Research, sees the console's thin catalogue as its "
            "\"biggest weakness by far.\" The company declined to comment.")
    assert _quotes(nlp, text) == [("biggest weakness by far", "Tom Reyes", "Tom Reyes")]


def test_scare_quote_under_they_stays_out(nlp):
    text = "The moons are sending \"free samples\" of their oceans into space, the researchers believe."
    assert _quotes(nlp, text) == []


def test_statement_continues_past_an_embedded_post(nlp):
    text = ("The club said in a statement: \"Rosa is one of the most decorated coaches in the game.\n\n"
            "\"She has won titles in three countries.\n\n"
            "Club statement\n\n"
            "— Harbour City FC (@HarbourCityFC) March 3, 2025\n\n"
            "\"She joins us with the full backing of the board and the players.\"")
    got = _quotes(nlp, text)
    assert got[-1] == ("She joins us with the full backing of the board and the players.", "The club", "The club")


def test_a_role_noun_subject_of_the_sentence_before_speaks(nlp):
    text = ("Kelby Rovers lost 4-0 at home on Saturday.\n"
            "The manager, asked about his future after the defeat, was defiant. “I am going nowhere. "
            "I have a contract and I intend to honour it.”")
    assert [(q, s) for q, s, _ in _quotes(nlp, text)] == [
        ("I am going nowhere. I have a contract and I intend to honour it.", "The manager")]


def test_a_quote_opening_its_paragraph_after_a_post_with_no_words(nlp):
    text = ("Crews were called to a gas leak on Dock Road at 5 p.m.\n"
            "The fire department posted on Facebook on Tuesday night.\n"
            "“Please avoid the area around Dock Road while our crews work.”")
    assert _quotes(nlp, text) == [("Please avoid the area around Dock Road while our crews work.",
                                   "The fire department", "The fire department")]


def test_a_document_reads_its_words(nlp):
    text = "The bakery was dark on Monday. A note taped to the door read “Closed until further notice, sorry.”"
    got = _quotes(nlp, text)
    assert [(q, s) for q, s, _ in got] == [("Closed until further notice, sorry", "A note taped to the door")]


def test_a_quoted_sentence_whose_closing_mark_was_lost(nlp):
    text = ("Councillor Maya Lund said: “We will take this all the way to the High Court.\n"
            "The council meets again on Friday. “Nothing has changed,” Lund said later.\n"
            "She added: “We are ready.")
    got = [(q, r) for q, _, r in _quotes(nlp, text)]
    assert got == [("We will take this all the way to the High Court.", "Maya Lund"),
                   ("Nothing has changed", "Maya Lund"), ("We are ready.", "Maya Lund")]


def test_an_unclosed_mark_mid_sentence_is_no_quote(nlp):
    text = "The council said the “temporary measure would end in May.\nResidents were not convinced."
    assert _quotes(nlp, text) == []


def test_a_common_given_name_gives_the_gender_before_any_pronoun(nlp):
    # "she" in Denholm's reported clause is the rescued woman; without his given name's gender
    # the resolver made him a "she" and the later "he" found no one.
    text = ("Margaret Ellery, 71, was trapped in her car for six hours.\n"
            "Watch manager Paul Denholm said she had been “incredibly calm” throughout the rescue.\n"
            "“She was more worried about her dog than about herself,” he said.")
    assert _quotes(nlp, text)[-1][2] == "Paul Denholm"


def test_a_given_name_makes_a_name_tagged_organisation_a_person(nlp):
    text = ("The lead singer of the folk band Hollow Pines has announced that the group will split.\n"
            "Nadia Kerr shared the news on Instagram on Thursday. “After 20 years on the road, it is time to "
            "come home,” she wrote.")
    assert _quotes(nlp, text)[-1][2] == "Nadia Kerr"


def test_a_name_in_apposition_after_an_inverted_role(nlp):
    text = ("The Cycling Alliance said the remark was dangerous.\n"
            "“Words like that put riders in hospital,” said the group’s chair, Obi Nwosu.")
    assert _quotes(nlp, text)[-1][1:] == ("the group’s chair", "Obi Nwosu")


def test_one_of_a_group_of_men_named_after_a_comma_is_a_person(nlp):
    text = ("Callum Reid collapsed a mile from the finish and was carried over the line by two strangers.\n"
            "One of the two men, Femi Adeyemi, was running his first marathon. “You do not leave a man on "
            "the road,” he said.")
    assert _quotes(nlp, text)[-1][2] == "Femi Adeyemi"


def test_a_show_title_in_marks_inside_a_description(nlp):
    text = ("Actor Daniel Marsh was voted off the dance show on Monday.\n"
            "“It has been the best ten weeks of my life,” said the actor.\n"
            "“I will miss the early mornings least of all,” the “Harbour Lights” actor told reporters.")
    assert _quotes(nlp, text)[-1][1:] == ("the “Harbour Lights” actor", "Daniel Marsh")


def test_a_person_who_is_the_last_subject_of_the_paragraph_before_speaks(nlp):
    text = ("“We were second best all afternoon,” coach Alan Price said.\n"
            "His captain, Jordan Ellis, was more upbeat about the rest of the season.\n"
            "“We will be back. There are twelve games left.”")
    assert _quotes(nlp, text)[-1][2] == "Jordan Ellis"


def test_a_quote_two_paragraphs_after_its_speakers_with_prose_between(nlp):
    text = ("“We are devastated,” said Mary Holt, the boy’s mother.\n"
            "The family has started a fundraiser to pay for his care.\n"
            "“We just want answers. Somebody has to explain what happened.”")
    assert [(q, r) for q, _, r in _quotes(nlp, text)] == [
        ("We are devastated", "Mary Holt"),
        ("We just want answers. Somebody has to explain what happened.", "Mary Holt")]


def test_an_opening_mark_typed_to_close(nlp):
    text = ("Mayor Jo Pike spoke outside the town hall on Monday. “We will not give up on this town,“ she said. "
            "“Not now, not ever.“\n"
            "‘It is our home,‘ said her deputy, Ravi Sood.")
    assert [(q, r) for q, _, r in _quotes(nlp, text)] == [
        ("We will not give up on this town", "Jo Pike"), ("Not now, not ever.", "Jo Pike"),
        ("It is our home", "Ravi Sood")]


def test_a_short_sentence_of_short_words_still_continues_its_speaker(nlp):
    text = "“Did we deserve it? Probably not,” captain Ian Barr said after the final.\n“But we did it.”"
    assert _quotes(nlp, text)[-1] == ("But we did it.", "captain Ian Barr", "Ian Barr")


def test_a_quote_inside_a_quote_in_the_same_curly_marks(nlp):
    text = ("Sales of hobby drones tripled last year. “It’s the “Wild West” out there, and nobody is checking,” "
            "said regulator Ana Lutz.")
    assert _quotes(nlp, text) == [("It’s the “Wild West” out there, and nobody is checking",
                                   "regulator Ana Lutz", "Ana Lutz")]


def test_a_long_quoted_clause_the_reporter_carries_on_after_a_comma(nlp):
    text = ("“Every song we wrote had to sound like the coast,” songwriter Ellen Varga said. “So I rang my oldest "
            "friend, a fiddler who grew up in a fishing village,” a choice that shaped the whole album.")
    assert [(q, r) for q, _, r in _quotes(nlp, text)][-1] == (
        "So I rang my oldest friend, a fiddler who grew up in a fishing village", "Ellen Varga")


def test_a_headline_quote_before_a_colon_is_no_quote(nlp):
    text = ("The storm destroyed the pier last winter.\n"
            "‘We will rebuild’: Mayor vows to reopen the pier by summer\n"
            "The council approved the money on Monday.")
    assert _quotes(nlp, text) == []


def test_as_x_put_it_and_in_the_words_of_x(nlp):
    text = ("Harwood were beaten 3-0 at home.\n"
            "As coach Dan Ruiz put it, “We were second to every ball.”\n"
            "In the words of club captain Lee Tran, “Nobody can be proud of that.”")
    assert [(q, r) for q, _, r in _quotes(nlp, text)] == [
        ("We were second to every ball.", "Dan Ruiz"), ("Nobody can be proud of that.", "Lee Tran")]


def test_put_it_in_a_place_is_no_verb_of_saying():
    from tests.unit._nlp import load_english

    from tasks.quotes import _is_cue
    doc = load_english()("She put it back in the drawer. As she put it, the plan was dead.")
    puts = [t for t in doc if t.lower_ == "put"]
    assert [_is_cue(t) for t in puts] == [None, "put"]


def test_a_name_and_a_long_relative_clause_before_the_verb(nlp):
    text = ("“We have done everything the regulator asked of us, and more,” Priya Anand, who joined Southmere "
            "Water from a rival in 2019 and has overseen a £2 billion investment programme since then, much of it "
            "spent on new storm overflows in the north of the county, told the committee on Tuesday.")
    assert _quotes(nlp, text) == [("We have done everything the regulator asked of us, and more",
                                   "Priya Anand", "Priya Anand")]


def test_a_bullet_before_a_quote_leaves_it_opening_its_paragraph(nlp):
    text = ("Readers sent us their verdicts on the new ferry.\n"
            "• “Quicker than the old boat, and the coffee is better.” – Tom B., Deal\n"
            "• “Far too crowded at weekends.” – Mina S., Dover")
    assert [(q, s) for q, s, _ in _quotes(nlp, text)] == [
        ("Quicker than the old boat, and the coffee is better.", "Tom B."), ("Far too crowded at weekends.", "Mina S.")]


def test_a_role_word_ner_took_into_a_persons_name_is_dropped(nlp):
    text = "Nurse Amara Obi has worked nights at the hospital for 11 years.\n“We are always short of staff,” she said."
    assert _quotes(nlp, text) == [("We are always short of staff", "she", "Amara Obi")]


def test_an_abbreviated_role_and_a_hyphenated_place_word_in_short_descriptions(nlp):
    text = ("Orchard chief executive Lena Holt met the trade minister on Monday. “It was a useful meeting,” Holt said.\n"
            "“We talked about tariffs and jobs,” the Orchard CEO added.\n"
            "Shares of Northwind Energy fell 8% on Tuesday. “We remain confident in our strategy,” the "
            "Houston-based company said in a statement.")
    assert [r for _, _, r in _quotes(nlp, text)] == ["Lena Holt", "Lena Holt", "Northwind Energy"]


def test_a_party_description_with_a_place_refers_back(nlp):
    text = ("Senator Ruth Alvarez voted against the farm bill on Thursday.\n"
            "“This bill is a giveaway to the biggest growers,” the Democrat from Ohio said.")
    assert _quotes(nlp, text)[-1][2] == "Ruth Alvarez"


def test_double_marks_inside_single_ones_are_part_of_the_quote(nlp):
    text = ("Pensioner Joan Hale, 81, was stopped by police at the station on Friday.\n"
            "‘He told me “calm down, love” and walked off. I was shaking,’ she said.")
    assert _quotes(nlp, text) == [("He told me “calm down, love” and walked off. I was shaking", "she", "Joan Hale")]


def test_a_quote_in_the_that_clause_of_a_possessed_noun_of_saying(nlp):
    text = ("Despite the minister’s announcement that the two sides had reached a “historic” deal, nothing was "
            "signed. The minister’s claims of a “special” friendship with the envoy were not tested.")
    assert [(q, s) for q, s, _ in _quotes(nlp, text)] == [("historic", "the minister")]

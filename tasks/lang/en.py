"""English: en_core_web_sm (OntoNotes labels), cue verbs, the words of quote attribution and of wrapper lines."""
from __future__ import annotations

from tasks.lang import Profile, Wording

# The model runs without its lemmatizer (1.8x faster), so cue lemmas come from this list, whose
# regular forms are generated (_inflect) and irregular ones listed.
CUE_VERBS = frozenset(
    """
    say tell add state declare explain note insist warn claim argue write ask reply respond recall
    acknowledge admit announce tweet post continue concede stress emphasize emphasise predict vow
    complain suggest confirm deny maintain quip joke shout conclude observe remark comment assert
    promise pledge report describe call urge agree cry plead boast caution charge counter demand
    murmur whisper scream yell sigh laugh accuse praise dismiss criticize criticise condemn hail
    denounce brand term message advise exclaim lament scold text wonder assure reiterate scribble
    allege testify hint chant beg mutter recount retort snap muse concur email reveal repeat
    caution contend chide fume gush rave recollect specify clarify elaborate propose recommend
    mention answer inform signal indicate instruct order blast slam cheer mouth relate depict read
    """.split()
)
_IRREGULAR = {
    "say": ("said",), "tell": ("told",), "write": ("wrote", "written"), "plead": ("pled",),
    "cry": ("cried", "cries"), "reply": ("replied", "replies"), "deny": ("denied", "denies"),
    "text": ("texted", "texts", "texting"), "email": ("emailed", "emails", "emailing"),
    "quip": ("quipped", "quipping"), "admit": ("admitted", "admitting"), "read": ("read",),
}
# Verbs of judging and naming take a quoted complement ("called it 'a farce'", "accused them of
# 'lying'") but do not introduce a quote standing on its own, so they count only inside a sentence.
_EMBED_ONLY_CUES = frozenset(
    {"describe", "call", "urge", "agree", "demand", "accuse", "praise", "dismiss", "criticize",
     "criticise", "condemn", "hail", "denounce", "brand", "term", "depict", "blast", "slam", "cheer",
     "mouth", "order", "instruct", "signal", "indicate", "beg", "mention", "propose", "recommend"}
)


def _inflect(lemma: str) -> tuple[str, ...]:
    """Regular English forms of a verb: lemma, -s, -ed, -ing (spelling rules of the common cases)."""
    if lemma in _IRREGULAR:
        extra = _IRREGULAR[lemma]
    else:
        extra = ()
    if lemma.endswith("e"):
        past, ing = lemma + "d", lemma[:-1] + "ing"
    elif lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        past, ing = lemma[:-1] + "ied", lemma + "ing"
    elif (len(lemma) <= 4 and lemma[-1] not in "aeiouwxy" and lemma[-2:-1] in "aeiou"
          and lemma[-3:-2] not in "aeiou"):
        past, ing = lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"  # "chat" -> "chatted"
    else:
        past, ing = lemma + "ed", lemma + "ing"
    third = lemma + ("es" if lemma.endswith(("s", "sh", "ch", "x")) else "s")
    if lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        third = lemma[:-1] + "ies"
    regular = () if lemma in ("say", "tell", "write", "read") else (past,)
    return (lemma, third, ing, *regular, *extra)


CUE_LEMMA: dict[str, str] = {form: lemma for lemma in sorted(CUE_VERBS) for form in _inflect(lemma)}


PRONOUNS = frozenset({"he", "she", "they", "we", "i", "it", "you"})
# Words before a quoted span that make it a name, title or label, not somebody's words.
_LABEL_CUES = frozenset(
    {
        "so-called", "dubbed", "titled", "entitled", "nicknamed", "called", "named", "known",
        "book", "novel", "film", "movie", "song", "album", "series", "show", "play", "documentary",
        "memoir", "poem", "opera", "musical", "exhibition", "campaign", "operation", "slogan",
        "hashtag", "magazine", "newspaper", "programme", "program", "podcast", "anthem", "word",
        "term", "phrase", "label", "brand", "motto", "headline", "byline", "banner", "sign",
    }
)
_NAMING_CUES = frozenset(
    {"call", "calls", "called", "calling", "dub", "dubs", "dubbed", "nickname", "nicknamed", "name",
     "named", "names", "title", "titled", "entitled", "label", "labelled", "labeled"}
)
_FEMALE_WORDS = frozenset(
    {"she", "her", "ms", "mrs", "miss", "madam", "spokeswoman", "chairwoman", "congresswoman",
     "businesswoman", "woman", "mother", "daughter", "sister", "wife", "queen", "princess", "dame"}
)
_MALE_WORDS = frozenset(
    {"he", "his", "him", "mr", "sir", "spokesman", "chairman", "congressman", "businessman", "man",
     "father", "son", "brother", "husband", "king", "prince"}
)

# Given names that are near-always one gender's in English-language news (unisex names such as
# Alex, Jordan, Sam, Jean or Andrea left out).
_GIVEN_FEMALE = frozenset(
    """
    mary patricia jennifer linda elizabeth barbara susan jessica sarah karen nancy lisa margaret betty
    sandra ashley dorothy kimberly emily donna michelle carol amanda melissa deborah stephanie rebecca
    laura sharon cynthia kathleen amy shirley angela helen anna brenda pamela nicole emma samantha
    katherine christine debra rachel catherine carolyn janet ruth maria heather diane virginia julie
    joyce victoria olivia kelly christina lauren joan evelyn judith megan cheryl hannah martha gloria
    teresa ann sara madison frances kathryn janice abigail alice julia judy sophia grace denise amber
    doris marilyn danielle beverly isabella theresa diana natalie brittany charlotte marie kayla
    alexis lori rose eileen nadia priya anita sunita fatima aisha amina ayesha elena irina olga
    natalia svetlana yuki mei ling sofia lucia carmen ana isabel rosa marta paula beatriz ines
    claire sophie chloe lucy ella isla freya imogen harriet eleanor molly poppy keisha jane joanne
    gillian maureen sheila brenda tracy tracey wendy yvonne zoe zoë leah naomi esther miriam ruth
    nell ingrid astrid greta helga annika camille elodie amelie amélie
    louise madeleine valerie valérie nathalie sylvie agnes agnès beth bethany caroline clara
    """.split()
)
_GIVEN_MALE = frozenset(
    """
    james robert john michael david william richard joseph thomas charles christopher daniel matthew
    anthony mark donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward
    jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin scott brandon benjamin
    samuel gregory alexander frank patrick raymond jack dennis jerry tyler aaron jose adam nathan
    henry douglas zachary peter kyle ethan walter noah jeremy christian keith roger terry gerald
    harold sean austin carl arthur lawrence dylan jesse bryan joe billy bruce albert willie
    gabriel logan alan juan wayne roy ralph randy eugene vincent russell elijah louis bobby philip
    johnny mohammed mohammad muhammad ahmed ali omar hassan ibrahim mustafa abdul rajesh rahul amit
    sanjay vijay arjun ravi hiroshi takeshi kenji wei jun carlos luis miguel jorge pedro diego pablo
    antonio manuel francisco javier alejandro sergio marco luca giuseppe giovanni matteo stefano
    hans klaus jürgen juergen wolfgang stefan tobias lars erik nils sven jan pieter dmitri sergei
    vladimir ivan oleg igor pierre jacques michel philippe olivier nicolas julien laurent thierry
    colin gareth rhys owen dean neil ian callum ewan hamish alistair rupert nigel graham malcolm
    stuart martin simon trevor derek barry clive geoffrey hugh oliver harry charlie alfie archie
    tom tim ben dan mike steve dave rob bob bill jim ted ken fred phil tony andy nick greg
    """.split()
)

# Heads of descriptions that name a human or institutional source ("a senior official").
HUMAN_NOUNS = frozenset(
    """
    official spokesman spokeswoman spokesperson minister president leader lawyer diplomat source
    mediator negotiator envoy ambassador analyst expert economist researcher scientist director
    chairman chairwoman chair chief head manager officer commander witness resident activist
    organiser organizer ranger doctor nurse teacher student worker farmer owner governor mayor
    senator lawmaker engineer captain judge prosecutor governor secretary commissioner inspector
    editor author professor survivor victim mother father man woman passenger driver coach player
    actor actress singer musician artist star athlete physician surgeon patient parent child girl
    boy teenager employee staffer member volunteer voter customer fan user neighbour neighbor
    """.split()
)
INSTITUTION_NOUNS = frozenset(
    """
    ministry government company agency police army military union association federation council
    commission committee court group party firm bank office department service institute university
    board authority administration parliament cabinet regime embassy council league club team
    airline carrier operator publisher studio network channel newspaper broadcaster coalition
    organisation organization foundation charity alliance federation office
    """.split()
)
# Heads of phrases naming a text as the source: "the statement said", "according to the audit".
DOCUMENT_NOUNS = frozenset(
    """
    statement statements report reports letter letters post posts tweet tweets email emails memo
    memos filing filings document documents record records study studies paper papers release
    survey poll audit website blog note notes message messages transcript transcripts ruling
    complaint lawsuit indictment affidavit data notice announcement article editorial column
    sign signs banner caption text texts minutes guidance analysis review findings communique
    communiqué declaration resolution decree order verdict judgment judgement brief motion
    testimony petition manifesto charter agreement bill draft plan proposal footage video
    """.split()
)


# -- wrapper lines: the words of site and agency furniture in English (see Wording) -----------
_NETWORK = (r"(?:facebook|twitter|x|whatsapp|linkedin|reddit|e-?mail(?: this)?(?: article| story)?|telegram|"
            r"pinterest|messenger|bluesky|threads|copy link|print|sms|tumblr|flipboard)")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"

WORDING = Wording(
    code="en",
    # "Photo: Reuters/Name", "(AP Photo/Name)", "(Photo by Name / AFP)", "| Credit: AFP/Name", "Picture: Getty Images".
    photo_credit=(
        r"\b(?:photo|photograph|picture|pic|image|img|foto|illustration)s?"
        r"(?:\s+credit)?\s*(?::|/|\bby\b|\bcourtesy\b)|\bcredits?\s*:|\b(?:AP|AFP|Reuters|EPA|Getty|AAP|PA)\s+"
        r"(?:photo|images?|pictures?)\b|\bFILE PHOTO\b"),
    photo_credit_mark=r"\bcredit\b|\bFILE PHOTO\b",
    # "Media caption, ...", "Image source, Getty Images", "Caption: ...".
    caption_label=(r"^(?:(?:media|photo|image|video|picture) )?caption\s*[,:]|"
                   r"^(?:image|photo|picture|video) (?:source|credit)s?\s*[,:]"),
    copyright=(r"\ball rights reserved\b|\bpublished (?:at|on|by|in) .{1,80}? with "
               r"(?:a |the )?(?:licen[cs]e|permission)\b|\bmay not be (?:published|reproduced|redistributed|copied)|"
               # A reprint notice: "This copy is for your personal, non-commercial use only."
               r"\bfor your personal,? non-?commercial use\b"),
    rights=r"rights reserved|licen[cs]e",
    staff_credit=(
        r"^\(?(?:(?:additional |further )?reporting|writing|written|editing|edited|compiled|produced|research|"
        r"translated|translation|graphics?|fact[- ]checking)(?: and \w+)? by\s+[A-Z]"),
    contributed=(r"\bcontributed (?:to )?(?:this|the) (?:report|story|article)\b|\bcontributed reporting\b|"
                 r"\bcontributed(?: to (?:this|the) \w+)?\.?$"),
    source_label=(r"^(?:sources?|via|credits?|courtesy|text|story|words|agencies|with agencies|inputs?)"
                  r"\s*(?::|-|–|—|by)\s*\S"),
    agency_only=(
        r"^[-–—(]*\s*(?:with |by |from |source:? )?(?:AFP|Reuters|AP|Agence France[- ]Presse|(?:The )?Associated "
        r"Press|agencies|wires?|[\w .]{0,30} wire services?)(?:\s*(?:and|,|/|&)\s*(?:AFP|Reuters|AP|"
        r"agencies))*[)\s.]*$"),
    syndicated=(
        r"\b(?:this|the|our) (?:article|story|report|post|piece|column|content|interview|feature|version)\b.{0,40}?"
        r"\b(?:was |is |has been )?(?:originally|first) (?:published|appeared|posted|ran|written|produced)\b|"
        r"^(?:originally|first) (?:published|appeared|posted)\b|\b(?:re)?published (?:here )?with (?:the )?permission\b|"
        r"\breprinted (?:here )?(?:with|by) permission\b|\b(?:this|the) (?:article|story|report|post|piece|content) "
        r"(?:is|was|has been) (?:re)?(?:published|reprinted|syndicated|republished) (?:here )?(?:with|under|from|"
        r"via|through|by)\b|\bsyndicated (?:from|by|via|through)\b|\bcontent (?:provided|supplied) by\b|"
        r"^(?:distributed|provided|supplied|republished|reproduced|syndicated|reprinted|licensed|sourced) "
        r"(?:by|from|with|via|under|through)\b|"
        r"\b(?:article|story|report|post|piece|content|material|copy) (?:is|was|has been) (?:re)?(?:published|"
        r"reprinted|syndicated|republished|reproduced|used|distributed) (?:here )?(?:with|under|from|via|through|by)\b|"
        r"\bunder (?:a |an |the )?(?:licen[cs]e|syndication agreement)\b|"
        r"\b(?:this|the) (?:article|story|report|post|piece|content) (?:is|was|comes) (?:from|courtesy of|"
        r"provided by|supplied by|distributed by)\b"),
    syndication_cues=("publish", "appeared", "posted", "permission", "syndicat", "provided", "supplied", "licen",
                      "courtesy", "distributed", "reprint", "shared", "ran", "written", "produced"),
    editor_note=(
        r"^\(?\[?(?:editor'?s'?|editors'|ed\.|publisher'?s) ?note\b|^note to (?:readers|our readers)\b|"
        r"^(?:correction|clarification|disclaimer|update[ds]?|updated)\s*(?::|—|–|\s-\s)|^this (?:story|article|post) "
        r"(?:has been|was|is being) (?:updated|corrected|amended)\b"),
    comment_prompt=(
        r"^(?:be the first to (?:comment|respond|reply|share)|leave a (?:comment|reply|response)|"
        r"post a comment|add (?:a|your) comment|join the (?:conversation|discussion|debate)|have your say|"
        r"(?:view|show|read|see|load|hide) (?:all )?(?:\d+ )?comments|comments? (?:\(\d+\)|are closed|disabled)|"
        r"\d+ (?:comments?|responses?|replies)$|comments?$|discuss(?:ion)?$|what do you think\?$|"
        r"(?:tell|let) us (?:what you think|know what you think|your thoughts)|share your (?:thoughts|views|opinion)|"
        r"click here to (?:comment|reply)|(?:you must be|log in|sign in) (?:logged in )?to (?:post a )?comment|"
        r"your email address will not be published|\d+ (?:thoughts?|responses?|comments?|replies) (?:on|to)\b|"
        r"(?:.*\b)?(?:let us know|tell us|share|leave|drop|post) (?:your thoughts |your views |it |them )?"
        r"(?:in|below in|down in) the comments?(?: section| below)?\b)"),
    share=(
        rf"^(?:share(?: this| the)?(?: article| story| post| page)?(?: on| via)?\s*:?\s*{_NETWORK}"
        rf"(?:\s*[|,/·•]\s*(?:share on |share to )?{_NETWORK})*$|"
        r"share(?: this| the)?(?: article| story| post| page| link)?(?: on| via| with)?(?: \w+)?\s*:?$|"
        r"click to (?:share|email|print|tweet|pin)|share (?:on|via|to) (?:facebook|twitter|x|whatsapp|linkedin|"
        r"reddit|email|telegram|pinterest|messenger|bluesky|threads)|tweet(?: this)?$|e-?mail(?: this)?(?: article| story)?$|"
        r"print(?: this)?(?: article| story| page)?$|(?:facebook|twitter|x|whatsapp|linkedin|reddit|pinterest|telegram|"
        r"messenger|bluesky|threads|copy link|email)(?:\s*[|,/·•]\s*(?:facebook|twitter|x|whatsapp|linkedin|reddit|"
        r"pinterest|telegram|messenger|bluesky|threads|copy link|email))*$|pin it$|copy (?:the )?link$|"
        r"link copied$)|\(opens in (?:a )?new (?:window|tab)\)"),
    newsletter=(
        r"\b(?:sign up|subscribe)\b.{0,80}\b(?:newsletter|inbox|briefing|digest|e-?mail (?:alerts|updates))\b|"
        r"\b(?:newsletter|briefing|digest)\b.{0,60}\b(?:sign up|subscribe|inbox)\b|"
        r"\bdelivered (?:daily |weekly |monthly |straight |directly )?(?:to|through) your (?:inbox|door|doorstep|"
        r"letterbox|letter box|mailbox)\b|\bin your inbox\b"),
    # "Write to Jane Roe at jroe@example.com", "Reach the reporters on Twitter at https://…": a way to
    # reach the writer that ends the line; "Follow AP's full coverage of the floods at https://…".
    tip_line=(r"^(?:have|got|know) (?:a|any) (?:news )?(?:tips?|story ideas?|scoop)\b|"
              r"\b(?:send|email|share) (?:us )?(?:your |a )?(?:news )?tips?\b|"
              r"^(?:write to|e-?mail|contact|reach) (?:the (?:reporters?|writers?|authors?)|[A-Z][\w.'’-]*"
              r"(?: [A-Z][\w.'’-]*){0,3})(?: on (?:twitter|x|facebook|instagram|bluesky|"
              r"threads))? at (?:\S+@\S+|https?://\S+|@\w+)(?: and (?:\S+@\S+|https?://\S+|@\w+))*$|"
              r"^follow (?:\w+(?: \w+){0,2}['’]s |our )?(?:full |complete |latest |all )*coverage of .{1,80} at "
              r"https?://\S+$"),
    cta_channel=(
        r"\b(?:newsletters?|inbox|e-?mail(?:s| alerts)?|alerts|updates|headlines|app|podcast|facebook|twitter|"
        r"instagram|whatsapp|telegram|youtube|tiktok|linkedin|google news|x|rss|notifications|subscribers?|"
        r"membership|briefing|digest)\b"),
    cta_us=r"\b(?:join|follow|find|like|contact|reach|subscribe to|message) us\b",
    cta_start=(
        r"^(?:sign up|signup|subscribe|register|get|join|receive|stay|never miss|don'?t miss|want|follow|like us|"
        r"download|install|enter your|click here|tap here|listen to|watch|support|become a (?:member|subscriber)|"
        r"for (?:more|the latest|breaking))\b"),
    link_list_heading=(
        r"related(?: articles?| stories| posts| coverage| news| content| topics| links| reading| items)?|"
        r"read (?:more|also|next|this)|also read|also on [\w .]+|see also|more (?:from|on|stories|news|in|about|like this)"
        r"(?: [\w .'’&-]{1,40})?|recommended(?: for you| reading| stories)?|you (?:may|might) (?:also )?(?:like|enjoy|"
        r"be interested in)|don'?t miss|must read|most (?:read|popular|viewed|shared)|trending(?: now| stories)?|"
        r"top stories|latest(?: news| stories| headlines)?|further reading|in other news|editor'?s picks?|"
        r"what to read next|popular (?:now|stories|posts)|tags?|topics|filed under|categories|keep reading|"
        r"(?:also )?(?:watch|listen)(?: also| more| now)?|suggested(?: reading| stories)?|related video|"
        r"more headlines|elsewhere"),
    tag_heading=r"^(?:tags?|topics|related topics|filed under|categories|posted in)\b",
    # "Read more: <headline>", "ALSO READ | <headline>", "Watch: <headline>" (the separator is shared).
    link_label=(
        r"(?:related(?: articles?| stories| posts| coverage| news| content| links)?|read (?:more|also|next|this)|"
        r"also read|see also|more|recommended|don'?t miss|must read|trending|continue reading|keep reading|"
        r"(?:also )?(?:watch|listen)|suggested|more on (?:this|that) story|top stories|tags?|topics|filed under|"
        r"categories|previous (?:post|article|story)|next (?:post|article|story)|prev|older post|newer post|"
        r"popular|editor'?s pick|latest|breaking|just in|in case you missed it|icymi|top pick|hot|now)"
        r"(?: now| today| this week| news| stories| reads?| links?| videos?)?"),
    read_also=(
        r"(?:read|see|watch|listen|view|explore) (?:also|more|next|further|this)|also (?:read|see|watch|on)|"
        r"you (?:may|might) (?:also )?(?:like|enjoy|want to read)|more (?:stories|news|reading) (?:like this|for you)|"
        r"most (?:read|popular|viewed|shared)(?: (?:in|on|from) [\w ]{1,30})?"),
    ad_line=(
        r"advertisement|advertising|sponsored(?: content)?|ad|ads by \w+|story continues below(?: advertisement)?|"
        r"continue reading below|scroll (?:down )?to continue(?: with content)?|skip (?:ad|advertisement)|loading\.*|"
        r"this content is not available.*|javascript is (?:disabled|required).*|please enable javascript.*|"
        r"(?:image|photo|video) (?:unavailable|not available)|embedded content|"
        r"(?:\d+ )?min(?:ute)?s? read|reading time:?.*|"
        r"an error (?:has )?occurred(?:[,.;!]? ?(?:please )?(?:try again|refresh the page|reload the page)[\w ]{0,20})?"),
    paywall=(
        r"\bto (?:view|read|continue reading|access|see|unlock) (?:the |this )?(?:full |whole |entire |rest of (?:the |"
        r"this )?)(?:story|article|content|piece|report)|\bsubscribe (?:now )?to (?:read|continue|view|access|unlock)\b|"
        r"\b(?:is|are) (?:only )?(?:available |reserved )?(?:to|for) (?:paying )?(?:subscribers|members)\b|"
        r"\b(?:for )?(?:subscribers|members) only\b|\balready (?:a )?(?:subscriber|member)\b|"
        r"\byou have reached (?:your|the) (?:limit|maximum)\b|\bfree articles? (?:left|remaining)\b"),
    byline=r"^(?:by|written by|posted by|author:?)\s+[A-Z][\w.'’-]*(?:[ ,&]+(?:and\s+)?[\w.'’-]+){0,10}$",
    date_line=(
        rf"^(?:(?:published|posted|updated|last updated|first published|modified|date)\s*(?:on|at)?\s*:?\s*)?"
        rf"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+"
        rf"\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})(?:\s*(?:at|,|-|–|\|)?\s*\d{{1,2}}[:.]\d{{2}}"
        rf"(?:\s*[ap]\.?m\.?)?(?:\s*[A-Z]{{2,4}})?)?$"),
    dateline_months=r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*",
    # "AFP", "Reuters Staff", "Jane Doe, Associated Press", "Jane Doe of Reuters", "Jane Doe with AFP",
    # "By Jane Doe and AP".
    agency_byline=(
        r"(?:by\s+)?(?:[\w.'’ -]{1,60}?(?:,\s*|\s+(?:of|for|from|with|and)\s+))?"
        r"(?:AFP|Agence France[- ]Presse|Thomson Reuters|Reuters|AP|(?:The )?Associated Press)"
        r"(?:\s+(?:staff|news|reporters?|writers?))?(?:\s+with\s+\w+)?\.?"),
    ad_words=frozenset("advertisement advertising advert ad ads sponsored".split()),
    ad_filler=frozenset("story article text content continues continue continued reading read below after under "
                        "beneath the this scroll down to our keep skip close".split()),
    # "From wire services and staff reports.", "With files from The Canadian Press".
    credit_openers=frozenset("from with by compiled combined based includes including".split()),
    credit_sources=frozenset("wire wires services agency agencies dispatches files correspondents bureaus".split()),
    credit_filler=frozenset("and or the our other local international news service staff reports report reporting "
                            "material materials information on writers".split()),
    # "Reporting by X; Editing by Y" is Reuters' own credit format.
    wire_credit_formats=(("Reuters", r"\b(?:reporting|writing) by\b.*;\s*editing by\b"),),
)


PROFILE = Profile(
    code="en",
    model="en_core_web_sm",
    labels={"PERSON": "PERSON", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "NORP": "MISC",
            "EVENT": "MISC", "WORK_OF_ART": "MISC", "LAW": "MISC", "LANGUAGE": "MISC", "PRODUCT": "MISC",
            "DATE": "DATE", "TIME": "TIME", "PERCENT": "NUMBER", "MONEY": "NUMBER", "QUANTITY": "NUMBER",
            "ORDINAL": "NUMBER", "CARDINAL": "NUMBER"},
    person="PERSON", org="ORG", place="GPE",
    cue_lemma=CUE_LEMMA,
    embed_only=_EMBED_ONLY_CUES,
    according=(("according", "to"),),
    pronoun_gender={"he": "m", "she": "f", "it": None, "they": None},
    pronouns=PRONOUNS,
    indirect=True,
    neuter=frozenset({"it"}),
    female_words=_FEMALE_WORDS,
    male_words=_MALE_WORDS,
    human_nouns=HUMAN_NOUNS,
    institution_nouns=INSTITUTION_NOUNS,
    document_nouns=DOCUMENT_NOUNS,
    definite=frozenset({"the", "this", "that"}),
    label_cues=_LABEL_CUES,
    naming_cues=_NAMING_CUES,
    relative_pronouns=frozenset({"that", "which", "who"}),
    verb_tags=("VB",),
    clause_deps=frozenset({"relcl", "acl"}),
    company_nouns=frozenset("""
        company firm group carrier airline retailer maker manufacturer automaker carmaker insurer lender
        bank startup chain brand conglomerate operator developer publisher studio label business
        """.split()),
    age_description=r"^(?:the|this) (?:[a-z]+ )?(\d{1,3})-year-old\b",
    given_female=_GIVEN_FEMALE,
    given_male=_GIVEN_MALE - _GIVEN_FEMALE,
    nationality=(r"[A-Z][a-z]+(?:man|woman|ian|ese)|Swede|Briton|Pole|Dane|Scot|Turk|Greek|Finn|Czech|Swiss|Thai|"
                 r"Spaniard|Kiwi|Aussie|Brit"),
)

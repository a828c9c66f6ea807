"""The phrases that make a post abuse, a threat or spam (P7), sentence by sentence.

Written with plain spaces, each of which stands for any run of whitespace.
"""

from __future__ import annotations

import re

from bot.moderation.lexicon import INSULT, SLUR, SWEAR, SWEAR_INSULT
from bot.moderation.rules import Category

# Phrases ---------------------------------------------------------------------------
# Written with plain spaces, each of which stands for any run of whitespace.
ROLES = (
    "(?:gas )?engineers?|plumbers?|electricians?|joiners?|surveyors?|caretakers?|managers?"
    "|(?:housing|tenancy|neighbourhood|income) officers?|receptionists?|contractors?"
    "|workm[ae]n|workers|tradesm[ae]n|operatives?|advis[eo]rs?|handym[ae]n"
)
_STAFF_NOUN = (
    f"(?:{ROLES}|staff(?:s| members?)?|members? of staff|employees?"
    "|repairs? (?:team|m[ae]n|guys?|lads?)|(?:(?:wo)?m[ae]n|lady|ladies|girls?|blokes?|guys?"
    "|fellas?|lads?|person|people) (?:on|at) (?:the )?(?:phones?|desk|front desk|reception"
    "|switchboard|call centre))"
)
_I_WILL = "(?:i'?ll|i will|i'?m|im|i am|i'?d|imma|ima|we'?ll|we will)"
# A bare "gonna" is how threats are typed; "will" or "going to" alone is too often
# someone else ("the rent rise is going to hurt them").
_INTENT = f"(?:{_I_WILL}|ill|gonna|gunna)"
# Only these words may come between "I'll" and the act, so that in "I'm worried the
# kids will smash the windows" the kids are not the tenant.
_GAP = (
    "(?:(?:going|to|gonna|gunna|come|coming|go|down|round|over|there|up|the|your|ur|office"
    "|and|then|just|really|actually|literally|definitely|personally|gladly|like|fucking"
    "|bloody|effing) ){0,6}?"
)
_PERSON = (
    "(?:you|u|ya|yer|yous|him|her|them|someone|somebody|anyone|everyone|whoever"
    "|(?:your|ur|yer|his|her|their) (?:heads?|faces?|teeth|skulls?|legs|kneecaps)"
    r"|one of (?:you|ya|u|ur|your|them)\w*|(?:the|that|this|your|ur|yer|any|every|each|next"
    rf"|his|their) (?:\w+ )?(?:{_STAFF_NOUN}|man|woman|lady|girl|bloke|guy|fella|lot))"
)
_VIOLENCE = (
    "(?:batter|stab|kill|murder|punch|kick|thump|deck|slap|smack|beat|hurt|glass|shoot"
    "|strangle|bash|headbutt|lamp|chin|knife|leather|twat|smash|floor|attack|jump|burn|hit"
    r"|slash)\w{0,4}"
)
_PROPERTY = (
    "(?:place|office|offices|building|depot|vans?|cars?|windows?|doors?|reception|house|shop)"
)
_YOU = "(?:you|u|ya|ye|yous|youse|ur|youre|you're)"
_FILLER = (
    "(?:all|lot|are|r|re|is|just|such|a|an|bunch|load|pack|set|shower|of|absolute|utter"
    "|total|complete|proper|right|bloody|fucking|effing|useless|lazy|thick|stupid|pathetic"
    "|little|lying|thieving|brainless|clueless|incompetent|fat|ugly|dirty|big)"
)
_NAMED = "(?:clowns?|muppets?|numpty|numpties|parasites?|scum|gits?|losers?|wasters?|jokers?)"
_MODS = "(?: (?:fucking|effing|bloody|fat|lazy|little|old|stupid|lying|useless|thick|ugly))*"
_TARGET = (
    f"(?:{_STAFF_NOUN}|bots?|robots?|machines?|cows?|gits?|wom[ae]n|m[ae]n|lady|girls?"
    "|blokes?|guys?)"
)


def _phrases(*alternatives: str) -> re.Pattern[str]:
    pattern = "|".join(alternatives).replace(" ?", r"\s*").replace(" ", r"\s+")
    return re.compile(rf"\b(?:{pattern})\b")


STAFF = _phrases(_STAFF_NOUN)
_INSULTS = "insults or name-calling"
_LANGUAGE = "abusive language"
_VIOLENT = "threat of violence"
PHRASES = (
    (
        Category.ABUSE,
        _INSULTS,
        _phrases(
            f"{_YOU}(?: {_FILLER})* {_NAMED}",
            f"(?:bunch|load|pack|shower) of (?:{_FILLER} )*{_NAMED}",
            f"(?:absolute|utter|total|complete|proper|clueless|useless|thieving) {_NAMED}",
            f"what an? {_NAMED}",
            f"{_NAMED} the lot of (?:you|ya|u|them)",
            f"(?:stupid|thick|dumb|brainless|brain(?: |-)?dead){_MODS} {_TARGET}",
            f"(?:fat|ugly|lying|stuck(?: |-)up){_MODS} (?:{_STAFF_NOUN}|cows?|gits?|pigs?|slobs?"
            "|toads?|snakes?)",
            "waste of (?:space|oxygen|skin|air)",
            "brain(?: |-)?dead",
            "brainless",
            "useless (?:lot|bunch|lump|shower)",
            "thick as (?:mince|two short planks|shit|pigshit|a brick|a plank|mud|they come|fuck)",
            "(?:a|so|you|u|ur|youre|you're|proper) stuck(?: |-)up(?! (?:there|here|in|on|at|the))",
            f"{_YOU} (?:are |r |re )?(?:just )?an? (?:big )?(?:pile|load|heap|sack|bag) of "
            "(?:crap|rubbish|junk|garbage|poo|shit|shite)",
        ),
    ),
    (
        Category.ABUSE,
        _LANGUAGE,
        _phrases(
            "(?:fuck|f|eff|sod|bugger|piss) off",
            "fuckoff",
            "get fucked",
            "go fuck",
            "eat shit",
            "fuck (?:you|u|ya|ye|yourself|yourselves|urself)",
            "screw (?:you|u|ya|your|ur)",
            "up yours",
            "kiss my (?:arse|ass)",
            "get stuffed",
            "go to hell",
            "drop dead",
            "stfu",
            "gtfo",
            "shut up(?! (?:shop|the|their|his|her|its|early|for))",
        ),
    ),
    (
        Category.ABUSE,
        "tells someone to harm themselves",
        _phrases(
            "(?:kill|hang|neck) (?:yourself|yourselves|urself|yerself)",
            "kys",
            "jump off (?:a|the) (?:bridge|cliff|roof|building)",
            "go (?:and )?die",
        ),
    ),
    (
        Category.THREAT,
        _VIOLENT,
        _phrases(
            rf"{_INTENT} {_GAP}{_VIOLENCE} {_PERSON}(?! (?:out|off)\b)",
            rf"knock\w* {_PERSON} out",
            "do (?:you|u|him|her|them) in",
            r"(?:kick|smash|punch|cave|bash|knock)\w{0,4} (?:your|ur|yer|his|her|their) (?:\w+ )?"
            "(?:head|face|teeth|skull|lights)s? (?:in|out)",
            # Damage needs the poster's own "I'll": "the kids smash the windows" is a report.
            f"{_I_WILL} {_GAP}(?:smash|wreck|trash|torch|burn|bomb|brick|petrol bomb|set fire to)"
            rf"\w{{0,3}} (?:up )?(?:the|your|ur|yer|his|her|their|that|this|every) (?:\w+ )?"
            f"{_PROPERTY}",
            "some(?:one|body|1)(?:'s|s| is)? (?:going to|gonna|gunna|will|'ll) get "
            "(?:hurt|killed|stabbed|battered|injured|done in)",
            "(?:(?:is|are|will|gonna|gunna|going to|hes|shes|theyre|youre|ur)|'s|'re|'ll) "
            "(?:be )?(?:getting|get|gets) (?:a )?(?:good )?(?:slap|smack|kicking|beating|hiding"
            "|battering|punch|stabbed|slapped|smacked|battered|decked|filled in|done in"
            "|knocked out|glassed|what'?s coming)",
            r"hope (?:(?!(?:not|doesn'?t|don'?t|won'?t|never|didn'?t)\b)[\w']+ ){0,4}?"
            "(?:burns? down|goes up in flames|dies?|drops? dead|rots? in hell"
            "|gets? (?:hurt|run over|cancer|stabbed|attacked))",
            "(?:you'?re|youre|ur|you are|he'?s|hes|she'?s|shes) (?:a )?dead (?:man|meat|woman)",
            "(?:is|are|'s) going (?:through|out of) (?:the|a|my) window(?! (?:frame|seal|sill))",
        ),
    ),
    (
        Category.THREAT,
        "intimidation",
        _phrases(
            r"i know where (?:[\w']+ ){0,4}?(?:live|lives|work|works|park|parks|sleeps?)",
            r"i know what time (?:[\w']+ ){0,3}?(?:finish|leave|start|get off)",
            "watch (?:your|ur|yer|ya) backs?",
            "better watch (?:out|it)",
            "(?:you'?ve|you have|u'?ve|u have|youve) been warned",
            r"com(?:e|ing) (?:down|round|over|to)\b.{0,40}\bwith (?:a few of |some of )?(?:my )?"
            "(?:mates|lads|boys|crew|brothers|cousins)",
            r"make (?:your|ur|their|his|her) (?:\w+ )?li(?:fe|ves) "
            "(?:a )?(?:living )?(?:hell|misery)",
            "get my hands on (?:you|u|him|her|them|that|the|your|ur)",
            "see what happens to (?:you|u|your|ur|his|her|their|the)",
        ),
    ),
    (
        Category.HATE,
        "hate speech or a slur",
        _phrases(
            "go back (?:to|2) (?:your|ur|yer) (?:own )?country",
            "heil hitler",
            "sieg heil",
            "white power",
            "(?:gas|kill|hang|shoot|burn|exterminate) (?:all )?(?:the )?(?:jews"
            "|muslims|blacks|gays|immigrants|foreigners|asians|pakis|travellers|gypsies|refugees"
            "|migrants)",
        ),
    ),
    (
        Category.SEXUAL,
        "sexually explicit content",
        _phrases(
            r"porn\w*",
            "(?:blow|hand|rim) ?jobs?",
            "nudes",
            "sexting",
            "horny",
            "dildos?",
            "orgasms?",
            r"masturbat\w*",
            "cumming",
            "cumshots?",
            "jerk(?:ing)? off",
            "milfs?",
            "camgirls?",
            "dick pics?",
            "sex (?:chat|cam|tape|video)s?",
            "sit on my face",
            "suck my (?:dick|cock|balls|tits)",
            "(?:have|had|having) sex with (?:you|u|me|her|him)",
            "shag(?:ging)? (?:you|u|ya|her|him|me)",
            "pussy(?! ?cats?)",
            "(?:naked|nude|sexy|dirty) (?:pics|photos|pictures|selfies|videos)",
        ),
    ),
)
# Spam is bait plus a call to action (or a link), or a phrase only spammers write.
SPAM = _phrases(
    r"(?:earn|make|making|earning) (?:up to |over )?[£$€]\s?\d[\d,.]*k?\s*(?:a|per|every|each|/)"
    r"\s*(?:day|week|month|hour) (?:from|at|working from) home",
    "work(?:ing)? from home (?:job )?opportunit(?:y|ies)",
    "investment opportunit(?:y|ies)",
    "(?:free|buy|cheap|real) (?:(?:instagram|insta|tiktok|twitter|facebook) )?(?:followers"
    "|likes|subscribers)",
    r"(?:dm|pm|inbox|message) me for (?:followers|likes|promo\w*|collab\w*|shout ?outs?"
    "|the link|prices|business)",
    r"(?:bitcoin|crypto\w*|forex|btc|ethereum) (?:investment|investing|trading|mining|expert"
    "|trader|account manager|platform|signals|opportunit(?:y|ies))",
    "passive income",
    "guaranteed (?:profits?|returns|income)",
    "binary options",
    "sugar daddy",
    "hot singles",
    "cash ?app (?:flip|giveaway)",
    "recover (?:your )?(?:lost|stolen|scammed) (?:funds|money|crypto|bitcoin)",
)
BAIT = _phrases(
    r"crypto\w*",
    "bitcoin",
    "btc",
    "ethereum",
    "nfts?",
    "forex",
    "only ?fans",
    "giveaways?",
    "followers",
    "subscribers",
    "gift cards?",
    "invest (?:now|today|with me)",
    "(?:you'?ve|you have) won",
    "claim your (?:prize|reward)",
    r"(?:earn|make|making|earning|made) (?:up to |over )?[£$€]\s?\d[\d,.]*k?",
)
CALL = _phrases(
    "(?:dm|pm|inbox|message|text|contact) (?:me|us)",
    "whatsapp",
    "telegram",
    "click (?:here|the link|link|below)",
    "link in (?:my )?bio",
    "follow me",
    "sign up",
    "check (?:out )?my (?:profile|page|bio|onlyfans|channel|story|link)",
    "join (?:now|today|my)",
    "register now",
    "don'?t miss out",
    "limited (?:time|spaces|spots|offer)",
)
BY_KIND = {
    SWEAR: ((Category.OBSCENE, "swearing"),),
    SWEAR_INSULT: ((Category.OBSCENE, "swearing"), (Category.ABUSE, _INSULTS)),
    INSULT: ((Category.ABUSE, _INSULTS),),
    SLUR: ((Category.HATE, "hate speech or a slur"),),
}
SELF = re.compile(r"\b(?:i|i'm|im|me|myself)\b")
SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$)|\n")

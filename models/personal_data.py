"""Personal data in a lieu's published fields: whose e-mail is it, which people does a text name?

The open-data export publishes the lieux's standard fields. A lieu may carry a person's data in
them (an agent's e-mail in ``courriels``, a permanence named after the person who holds it, « par
Leïla Boubekeur » in a description); that must never reach open data. This module holds the pure
checks; the export runs ``publication_problems`` on each lieu before publishing it::

    people = known_people_from(row["Contact : nom"] for row in rows)
    for problem in publication_problems(record, known_people=people):
        print(f"lieu {record['nom']}, champ {problem.field} : {problem.message}")

What is detected
----------------
E-mails (``email_owner``): the first of these rules that applies gives the reason.

1. **A known person's full name**: ``known_people`` are the names of the contact/referent
   columns of the same file (or of the registry). The local part holds one in any order, case or
   accents: prénom+nom or nom+prénom (« sophie.saubion », « jocelyneguichard »), or initial(s) +
   nom (« ssaubion » for Sophie SAUBION, « jfnanin » for NANIN Jean Fred, « c.huque »), starting a
   part and ending one or followed by a role word (« a.maillotccas », « alain.boyer-ccas »).
   Parts are cut by ``.``, ``-``, ``_`` or digits.
2. **Conseiller numérique**: any address at ``conseiller-numerique.fr`` or one of its
   sub-domains, unless its local part opens with a role word.
3. **The shape prénom.nom**: ``prénom.nom``, ``p.nom``, ``jf.nom``, ``prénom-nom``,
   ``prénom_nom``, ``prénom.nom-composé``: 2 or 3 groups of letters (trailing digits dropped,
   « monique.morin0618 »; a trailing acronym without vowel ignored, « dolores.boue.ml »). Not the
   shape when a part is a role or organisation word (``ROLE_WORDS``: contact, accueil, info,
   mairie, secretariat, direction, mediatheque, bibliotheque, cyberbase, epn, france.services,
   pole, equipe, service, ccas, numerique, pij, ml…), starts with a glue-safe one
   (« mediathequeouvea », « clubinfo999 ») or holds a long one (« bibmunicipale »); is a place
   word (saint, sur, en, les…: « sip.chalons-en-champagne »); is an acronym (no vowel, 3 letters
   or more); or when the first part is the address's own domain (« mio.leport@mio.re »). With
   ``lieu_name``, a part that is a word of the lieu's name (or shares its first 4 letters or
   more) is the lieu's, not a surname (« tours-gentiana » for « EPN Gentiana », « apeps-tampon »
   for « APEPS Tampon »); a given name opening the address is not cleared that way
   (« robert.martin » at « Centre Robert Doisneau »), and an address all of whose parts are in
   the name stays a person's when it opens with a given name (« leila.boubekeur » at « Chéniers -
   Leila Boubekeur »).
4. **A known person's distinctive family name** as a whole part (« kouache@gmail.com », see
   below), outside role and place mailboxes (« mairie.savigny@ » says nothing).
5. **A known person's given name** as the whole local part (« bruno@agame.re » when « PICHON
   Bruno » is a contact) or its last part (« omega.rahima@ »), outside role and place mailboxes.
6. **A common French given name** (``GIVEN_NAMES``) as the whole local part (« eric@… ») or
   followed by one other part (« jacky.cyberal@ », « kevin.pdn37@ »), when it is not a word of
   the lieu's name (« aurore.informatique@ » at « Association Aurore » is the lieu's).

Personal webmail (gmail, hotmail, outlook, live, yahoo, orange, wanadoo, free, sfr, laposte.net,
icloud, aol, gmx, protonmail…: ``WEBMAIL_DOMAINS``) goes through the same rules, so it is
personal only when the local part looks like a person (« t.delaunay98@gmail.com ») and not
otherwise (« aideaccueil49@gmail.com », « apoaratigoopa@gmail.com »); the reason then adds that
the address is on a personal webmail.

Texts (``people_in_text``), accents and case ignored, whole words only:

- a known person's full name, given and family names in either order (« LEÏLA BOUBEKEUR »,
  « Boubekeur Leila »);
- a known person's family name alone when it is **distinctive**: 5 letters or more, not a given
  name (of ``GIVEN_NAMES`` or of another known person), not a role word, not one of the frequent
  French surnames that are also words, places or given names (``COMMON_SURNAMES``: Martin,
  Fontaine, Rivière, Maréchal, Payet…). The family name is the upper-case word(s) of a mixed-case
  name (« ABDELKRIM Chibab »), else the word that is not a common given name, else the last word.
  The export does not look for family names alone in addresses (streets bear people's names:
  « rue Fortuné Hoareau »);
- a capitalised name after a civility (M., Mme, Madame, Monsieur, Mlle…), except after a street
  or building word (« rue Madame Curie ») and except titles (« Madame la Maire »);
- a common given name and a capitalised name after an introducing word: par, avec, auprès de,
  contact :, référent : (« Ateliers le jeudi, par Leïla Boubekeur, à la Palette »).

``publication_problems`` adds the lieu's own contact: ``contact_nom`` (and the name of a
prénom.nom ``contact_courriel``) is looked for in every published text, and ``contact_courriel``
must not be one of the published addresses unless it is a shared mailbox of the lieu (a role word
in it, the organisation's name at its own domain, or words of the lieu's name only). A name the
record gives away in one field (a prénom.nom address, « par Leïla Boubekeur ») is looked for in
the others (« Chéniers - Leila Boubekeur »).

Limits (what is not detected)
-----------------------------
- A person's name with no other clue is not guessed: « Chéniers - Leila Boubekeur » alone is
  only caught when Leila Boubekeur is a known person or named with a clue in the same record.
  There is no dictionary of surnames; a given name alone in a text (« par Fantine ») or a name in
  lower case (« par claire bonhomme ») is not found; nor a misspelt name (« Corinnz Pichon »).
- An address glued with no known name in it (« franckpichon@… », « cbarrault@… »,
  « ppascaline@… ») is not recognised.
- An organisation address of the prénom.nom shape whose words are neither role words nor in the
  lieu's name is taken for a person's (« krike.reunion@gmail.com » without the lieu's name, an
  association named after a given name: « aurore.informatique@ »): pass ``lieu_name``.
- When neither case nor a given name orders a name (« CHANE TENG »), its last word is taken as
  the family name for the family-name-alone rule.
- A contact_courriel that is the organisation's own address but matches none of the shared
  mailbox rules (« adulterelaisadsl@gmail.com » as contact of « ADSL ») is reported.
- Phone numbers are not checked (the lieu's own number may be a person's mobile).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Literal, TypeVar

from models import normalize
from models.text import fold_accents


def _word_set(text: str) -> frozenset[str]:
    """The words of a documented list written one after the other."""
    return frozenset(text.split())


_Found = TypeVar("_Found")

EmailRule = Literal["personne_connue", "conseiller_numerique", "prenom_nom", "prenom"]

# Fields of the standard that are published and may name a person (the e-mails apart).
PUBLISHED_TEXT_FIELDS = ("nom", "adresse", "complement_adresse", "presentation_resume", "presentation_detail")

# A family name must be this long to be looked for alone (shorter ones are words or given names
# too often: « Bon », « Roy », « Payen »).
DISTINCTIVE_MIN_LETTERS = 5

# Role and organisation words of mailboxes and contact cells, folded (lower case, no accents).
ROLE_WORDS = _word_set("""
    contact contacts accueil info infos information informations bonjour hello mail email courrier
    courriel noreply nepasrepondre webmaster webmestre dpo rh drh compta comptabilite support
    presse communication com admin administration administratif gestion secretariat secretaire sec
    direction directeur directrice dir president presidente presidence tresorier responsable
    coordination coordinateur coordinatrice animation animations animateur animatrice mediation
    mediateur mediatrice conseiller conseillere conseillernumerique cnfs referent referente
    mairie commune communes ville municipal municipale municipalite agglo agglomeration metropole
    communaute departement region prefecture
    service services equipe equipes pole poles antenne agence siege bureau permanence standard
    reception secteur quartier quartiers village
    mediatheque mediatheques bibliotheque bibliotheques biblio bibli bib bm bdp ludotheque
    cyberbase cyberbases cyber cybercase cyberespace epn espace espaces numerique numeriques num
    multimedia informatique internet digital franceservices msap mfs maison maisons centre centres
    social sociale socioculturel csc cse ccas cias caf cpam msa udaf mjc mjd mdj mds mdph pmi mq mpt
    pij bij rij crij paej evs missionlocale mission emploi ale ape poleemploi insertion formation
    formations jeunesse jeunes ados ado enfance famille familles parentalite parentalites seniors
    senior solidarite solidarites entraide asso assoc association associations ass club clubs
    clubinfo collectif federation union comite amicale fablab coworking tierslieu lab labo atelier
    ateliers projet projets prevention culture culturel sport sports loisirs tourisme office
    pass inscription inscriptions reservation reservations rdv planning benevoles benevole adherents
    ecole college lycee universite campus pepiniere entreprises entreprise job regie
    aio cio ml cm sp fd dd ud cd cc ca cs ms fs pe
""")

# Role words that may begin a glued part (« mediathequeouvea », « clubinfo999 », « epnchaudron »):
# none of them begins a usual given name or surname.
_GLUE_SAFE_PREFIXES = ("contact", "accueil", "mairie", "mediatheque", "bibliotheque", "biblio", "cyber",
                       "epn", "club", "info", "msap", "ccas", "pij", "bij", "secretariat", "direction",
                       "espace", "centre", "service", "equipe", "coworking", "fablab", "association",
                       "numerique", "multimedia", "animation", "jeunesse", "famille", "mission")
# Role words long enough to be found anywhere inside a part (« bibmunicipale »).
_INNER_ROLE_WORDS = ("mediatheque", "bibliotheque", "secretariat", "numerique", "multimedia", "coworking",
                     "municipal", "communaute", "association", "informatique", "jeunesse", "accueil",
                     "contact", "cyberbase", "franceservices", "missionlocale", "direction", "animation",
                     "formation", "insertion", "solidarite", "parentalite", "mediation")

# Words of place names: a mailbox holding one is a place's (« sip.chalons-en-champagne »).
PLACE_WORDS = _word_set("saint sainte st ste sur sous en les aux au lez cedex")
_PARTICLES = _word_set("de du des d la le l")

# Common French given names (folded), to order a name and to read « eric@… », « jacky.cyberal ».
# Words that are also ordinary words (Rose, Marine, Fleur…) are left out.
GIVEN_NAMES = _word_set("""
    abdel adam adeline adelia adrien adrienne agnes ahmed alain alan alban albert alexandra alexandre
    alexis alfred alice aline amandine amelie amina anais andre andrea angelique anna annabelle anne
    annick anthony antoine antonin arnaud arthur audrey aurelie aurelien aurore axel axelle
    baptiste bastien beatrice benjamin benoit berenice bernadette bernard bertrand bilal brice
    brigitte bruno camille carole caroline catherine cecile cedric celine chantal charles charlotte
    chimene chloe christelle christian christiane christine christophe claire clara claude claudette
    claudine clemence clement colette coralie corentin corinne cyril cyrille cynthia damien daniel
    david delphine denis denise didier dimitri dominique dorothee dylan eddy edith edouard elise
    elisa elodie eloise emeline emilie emile emma emmanuel emmanuelle enzo eric erwan erwann
    estelle etienne eugenie eva evelyne fabien fabienne fabrice fanny fantine farid fatima fawzi
    felix flavien florence florent florian francis franck francoise francois fred frederic
    frederique gabriel gael gaelle gaetan genevieve georges gerard germain ghislaine gianni gilbert
    gilles gregory guillaume guy hamid helene helena henri herve hubert hugo hugues ibrahim ines
    ingrid irene isabelle jacky jacqueline jacques james jannick jean jeanne jennifer jeremy jerome
    jessica joanne jocelyne joel joelle johan johnny jonathan jordan joseph josette josiane josie
    jules julia julie julien juliette justine kamel karim karine kevin laetitia lakdar laura laure
    laurence laurent lea leila leo leon liliane linda lionel lisa lise loic louis louise luc lucas
    lucie lucien ludivine ludovic lydie madeleine magali magalie manon marc marcel margaret
    marguerite maria marianne marie marion marjorie martine maryline marylene maryse mathieu
    mathilde matthieu maud maxime mehdi melanie michel micheline mickael mikael mireille mohamed
    monique morgane mourad muriel myriam nabil nadege nadia nadine naomi nathalie nathan nazir
    nelly nicolas nicole noemie odile olivier pascal pascale patrice patricia patrick paul pauline
    philippe pierre quentin rachid rahima raphael raymond regine regis remi remy renaud rene richard
    robert roger romain sabine sabrina said salim samir samuel sandra sandrine sarah sebastien serge
    severine simon simone solene sonia sophie stephane stephanie steven suzanne sylvain sylvie
    sylviane tatiana theo therese thibault thierry thomas tony tracy valentin valerie vanessa
    veronique victor victorien vincent virginie viviane walid william xavier yacine yann yannick
    yoann youssef yves yvette yvonne zoe
""")

# Surnames too common, or too much like words, places or given names, to be looked for alone.
COMMON_SURNAMES = _word_set("""
    martin bernard thomas petit robert richard durand dubois moreau laurent simon michel lefebvre
    leroy roux david bertrand morel fournier girard bonnet dupont lambert fontaine rousseau vincent
    blanc garnier faure mercier boyer blanchard chevalier francois legrand gauthier garcia perrin
    robin clement morin nicolas henry mathieu masson marchand duval denis dumont marie lemaire noel
    meyer dufour meunier brun giraud joly riviere lucas brunet gaillard barbier arnaud martinez
    gerard roche renard roy leroux colin vidal caron picard roger fabre aubert lemoine renaud dumas
    lacroix olivier philippe bourgeois pierre benoit rey leclerc payet hoarau grondin techer lebon
    maillot boulanger berger breton normand legros lenoir leblanc lebrun poirier rolland hubert
    vital savigny marechal paris lyon valence vienne france bretagne reunion guyane
""")

WEBMAIL_DOMAINS = _word_set("""
    gmail.com googlemail.com hotmail.com hotmail.fr outlook.com outlook.fr live.com live.fr msn.com
    yahoo.com yahoo.fr ymail.com orange.fr wanadoo.fr free.fr sfr.fr neuf.fr laposte.net
    icloud.com me.com mac.com aol.com aol.fr gmx.com gmx.fr gmx.net protonmail.com proton.me pm.me
    numericable.fr bbox.fr club-internet.fr cegetel.net aliceadsl.fr tiscali.fr mailo.com
    netcourrier.com voila.fr mail.com canl.nc lagoon.nc mls.nc
""")
CONSEILLER_NUMERIQUE_DOMAIN = "conseiller-numerique.fr"

_CIVILITY = re.compile(
    r"(?<![\w.])(M\.|MM\.|Mr\.?|Mme\.?|Mmes|Mlle\.?|Mlles|Madame|Monsieur|Mademoiselle|MME|MLLE|MADAME|"
    r"MONSIEUR|MADEMOISELLE)\s+([A-ZÀ-ÖØ-Þ][\w’'-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w’'-]+)?)"
)
# « par Leïla Boubekeur », « avec Florian Gillon », « contact : Marie Dupont »: a word introducing
# a person, then a common given name and a capitalised name (checked in ``_introduced_names``).
_INTRODUCED = re.compile(
    r"(?i:\b(?:par|avec|aupr[eè]s\s+de|contact(?:er)?\s*:?|r[ée]f[ée]rente?\s*:?))\s+"
    r"([A-ZÀ-ÖØ-Þ][^\W\d_]*(?:-[A-ZÀ-ÖØ-Þ][^\W\d_]*)?)\s+([A-ZÀ-ÖØ-Þ][^\W\d_’'-]*(?:[-’'][^\W\d_]+)*)"
)
# Words after which « M. X » or « Madame X » names a street or a building, not a person.
_STREET_WORDS = _word_set("""
    rue av avenue bd boulevard pl place allee all impasse imp chemin ch quai cours square sq
    residence res lycee college ecole salle espace centre mediatheque bibliotheque stade gymnase
    parc jardin pont route rte cite lotissement hameau maison foyer esplanade passage promenade
""")
# Capitalised words after a civility that are a title, not a name (« Madame la Maire »).
_TITLE_WORDS = _word_set("""
    le la les l et ou maire president presidente directeur directrice adjoint adjointe depute
    deputee senateur senatrice prefet prefete conseiller conseillere responsable le-maire
""")
_EMAIL_IN_TEXT = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*\.?$")
_CONTACT_SEPARATORS = re.compile(r"[,;/&|+\n]|\s[-–—]\s|\s(?:et|ou|and)\s", re.IGNORECASE)


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonalEmail:
    """An e-mail judged to be a person's: the rule that says so, a French reason, the person."""

    email: str
    rule: EmailRule
    reason: str
    person: str | None = None


@dataclass(frozen=True)
class PublicationProblem:
    """Personal data found in a published field: the field, its value, what was found, why."""

    field: str
    value: str
    found: str
    message: str

    def line(self, lieu: str) -> str:
        """The sentence the export shows: « lieu X, champ Y : … »."""
        return f"lieu {lieu}, champ {self.field} : {self.message}"


# -- text helpers ----------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without accents or ligatures: « Leïla MARÉCHAL » → « leila marechal »."""
    return fold_accents(text)


def _words(text: str) -> list[str]:
    """The folded words of a text, split at anything that is not a letter or a digit."""
    return re.findall(r"[a-z0-9]+", fold(text))


def _letters(text: str) -> list[str]:
    """The folded runs of letters of a text (digits and punctuation separate them)."""
    return re.findall(r"[a-z]+", fold(text))


def _has_vowel(word: str) -> bool:
    return any(c in "aeiouy" for c in word)


def _is_role_word(part: str) -> bool:
    """True for a role/organisation word, or a part starting with or holding one."""
    if part in ROLE_WORDS:
        return True
    if any(part.startswith(prefix) for prefix in _GLUE_SAFE_PREFIXES):
        return True
    return any(word in part for word in _INNER_ROLE_WORDS)


def _title(word: str) -> str:
    """« JEAN-FRANÇOIS » → « Jean-François », « m’houmady » → « M’Houmady »; initials stay
    (« JF », « B. »)."""
    letters = word.rstrip(".")
    if len(letters) == 1:
        return letters.upper() + "."
    if len(letters) == 2 and letters.isupper() and not _has_vowel(fold(letters)):
        return word
    return re.sub(r"[^\W\d_]+", lambda m: m.group()[0].upper() + m.group()[1:].lower(), word)


# -- people ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    """A person's name: display form (« Sophie Saubion »), folded given and family words."""

    display: str
    given: tuple[str, ...]
    family: tuple[str, ...]
    ordered: bool  # True when a clue (case, given-name list) told given from family names

    @property
    def words(self) -> tuple[str, ...]:
        return (*self.given, *self.family)


def _is_initial(word: str) -> bool:
    """« B. », « JF », « J.-F. »: one or two letters standing for given names."""
    letters = re.sub(r"[^\w]", "", word)
    if not (1 <= len(letters) <= 2 and letters.isalpha()):
        return False
    return len(letters) == 1 or word.count(".") == 2 or (word.isupper() and not _has_vowel(fold(letters)))


def _order_name(words: list[str]) -> tuple[list[str], list[str], bool]:
    """Split the words of a name into (given, family, ordered). Clues in order: upper-case family
    name in a mixed-case name, initials, a common given name at one end; else « Prénom Nom »."""
    def is_upper(word: str) -> bool:
        letters = re.sub(r"[^\w]", "", word)
        return len(letters) >= 2 and letters.isupper() and not _is_initial(word)

    upper = [is_upper(w) for w in words]
    if any(upper) and not all(upper):
        return [w for w, u in zip(words, upper, strict=True) if not u], [w for w, u in zip(words, upper, strict=True) if u], True
    initials = [_is_initial(w) for w in words]
    if any(initials) and not all(initials):
        return [w for w, i in zip(words, initials, strict=True) if i], [w for w, i in zip(words, initials, strict=True) if not i], True
    if len(words) >= 2:
        first_given = fold(words[0]).split("-")[0] in GIVEN_NAMES
        last_given = fold(words[-1]).split("-")[0] in GIVEN_NAMES
        if last_given and not first_given:
            return words[-1:], words[:-1], True
        if first_given and not last_given:
            return words[:1], words[1:], True
    return words[:1], words[1:], False


def _person(words: list[str]) -> _Person:
    given, family, ordered = _order_name(words)
    display = " ".join(_title(w) for w in (*given, *family))
    return _Person(
        display=display,
        given=tuple(w for g in given for w in _words(g)),
        family=tuple(w for f in family for w in _words(f)),
        ordered=ordered,
    )


# Job titles written beside a name in contact cells (« Pierre Bregeaux - Directeur »): dropped.
_JOB_TITLES = _word_set("""
    directeur directrice direction responsable referent referente coordinateur coordinatrice
    coordination president presidente secretaire tresorier tresoriere charge chargee animateur
    animatrice mediateur mediatrice conseiller conseillere numerique agent agente accueil benevole
    gerant gerante chef adjoint adjointe insertion civique stagiaire formateur formatrice
    educateur educatrice assistant assistante technicien technicienne mission projet
""")
_CIVILITY_WORDS = _word_set("m mr mme mmes mlle mlles madame monsieur mademoiselle")


def _is_organisation_word(folded_word: str) -> bool:
    """A word saying a contact cell names an organisation (« Mairie de … »), not a person."""
    return folded_word in ROLE_WORDS and folded_word not in _JOB_TITLES


def _is_plain_value(chunk: str) -> bool:
    """True when a piece of cell cannot be a name: an e-mail, a phone, « #N/D », a code."""
    return not chunk or "@" in chunk or "_" in chunk or "#" in chunk or any(c.isdigit() for c in chunk)


def _single_word_is_name(word: str, civility: bool) -> bool:
    """A lone word is a name with a civility (« Mme KURT »), or when it is no initial, no
    acronym (« RTO ») and has 3 letters or more (« Marjorie »)."""
    letters = word.rstrip(".")
    if _is_initial(word):
        return False
    acronym = letters.isupper() and len(letters) <= 4
    return civility or (len(letters) >= 3 and _has_vowel(fold(letters)) and not acronym)


def _name_chunk(chunk: str) -> list[str] | None:
    """The name words of one piece of a contact cell; None when the piece is not a name (an
    e-mail, a phone, an organisation, a role alone)."""
    chunk = re.sub(r"\([^)]*\)", " ", chunk).strip(" .:-–—'\"")
    if _is_plain_value(chunk):
        return None
    words = chunk.split()
    civility = False
    while words and fold(words[0]).rstrip(".") in _CIVILITY_WORDS:
        words, civility = words[1:], True
    if any(_is_organisation_word(fold(w).strip(".")) for w in words):
        return None
    kept = [w for w in words if fold(w).strip(".") not in _JOB_TITLES]
    while kept and fold(kept[-1]) in _PARTICLES:
        kept.pop()
    if not kept or len(kept) > 5 or not all(_NAME_WORD.match(w) for w in kept) or all(map(_is_initial, kept)):
        return None
    if len(kept) == 1 and not _single_word_is_name(kept[0], civility):
        return None
    return kept


def _people_of(values: Iterable[str]) -> list[_Person]:
    """Every person named in the cells, once each (same letters, whatever the order or case)."""
    people: list[_Person] = []
    seen: set[tuple[str, ...]] = set()
    for value in values:
        text = normalize.clean_text(value)
        if not text:
            continue
        for chunk in _CONTACT_SEPARATORS.split(text):
            words = _name_chunk(chunk)
            if words is None:
                continue
            person = _person(words)
            key = tuple(sorted(person.words))
            if key not in seen:
                seen.add(key)
                people.append(person)
    return people


def known_people_from(values: Iterable[str]) -> tuple[str, ...]:
    """The person names of a contact/referent column, normalised « Prénom Nom », once each.

    A cell may hold several names (« Nelly Charret et Brice Deguay », « A / B », « A & B »);
    job titles are dropped (« Pierre Bregeaux - Directeur » → « Pierre Bregeaux »); values that
    are not names are left out: e-mails, phones, « #N/D », organisations (« Mairie de … »),
    a role alone (« Direction », « Accueil »). Use ``person_name_from_email`` for addresses.
    """
    return tuple(person.display for person in _people_of(values))


def person_name_from_email(email: str) -> str | None:
    """« Emeline Campo » for « emeline.campo@bge-cher.com », « C. Huque » for « c.huque@… »;
    None when the address does not have the prénom.nom shape (see the module's rules)."""
    local, domain = _split_address(email)
    if local is None:
        return None
    shape = _prenom_nom_shape(local, domain, lieu_name=None)
    return shape[0] if shape else None


# -- the matcher of known people ---------------------------------------------------------------


@dataclass(frozen=True)
class _Matcher:
    """Lookup tables built once per list of known people."""

    phrases: dict[str, tuple[_Person, str]]  # folded words joined by spaces → (person, "nom"|"famille")
    glued: dict[str, tuple[_Person, str]]  # letters of a name in an e-mail → (person, "nom"|"initiale")
    family_alone: dict[str, _Person]  # distinctive family names
    given_alone: dict[str, _Person]  # given names (3 letters or more)
    longest: int


def _readings(person: _Person, *, any_order: bool) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(given, family) readings of a name: its own when known (unless ``any_order``), else every
    cut of its words in either order (« Marie Pierre Pilloy » read as Pilloy Marie Pierre too)."""
    words = person.words
    if person.ordered and not any_order:
        return [(person.given, person.family)]
    readings = [(person.given, person.family)] if person.ordered else []
    for cut in range(1, len(words)):
        readings.extend([(words[:cut], words[cut:]), (words[cut:], words[:cut])])
    return [(g, f) for g, f in readings if g and f]


def _family_candidates(person: _Person) -> list[str]:
    """The family name(s) that may be looked for alone: the known one, else the last word."""
    family = "".join(person.family) if person.family else "".join(person.given)
    return [family] if family else []


def _is_distinctive(family: str, other_given: set[str]) -> bool:
    return (len(family) >= DISTINCTIVE_MIN_LETTERS and family not in GIVEN_NAMES and family not in other_given
            and family not in COMMON_SURNAMES and not _is_role_word(family))


class KnownPeople:
    """Known people with their lookup tables built once: pass it instead of a list of names where the
    same people are checked against many e-mails and texts (an import's lines, an export's lieux)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names = tuple(names)
        self.matcher = _matcher(self.names)

    def __bool__(self) -> bool:
        return bool(self.names)

    def __iter__(self):
        return iter(self.names)


def _matcher_of(known_people: Iterable[str] | KnownPeople) -> _Matcher:
    if isinstance(known_people, KnownPeople):
        return known_people.matcher
    return _matcher(tuple(known_people))


@lru_cache(maxsize=32)
def _matcher(known_people: tuple[str, ...]) -> _Matcher:
    people = tuple(_people_of(known_people))
    all_given = {w for p in people for w in p.given if len(w) >= 3}
    phrases: dict[str, tuple[_Person, str]] = {}
    glued: dict[str, tuple[_Person, str]] = {}
    family_alone: dict[str, _Person] = {}
    given_alone: dict[str, _Person] = {}
    for person in people:
        for given, family in _readings(person, any_order=True):
            phrases.setdefault(" ".join((*given, *family)), (person, "nom"))
            g, f = "".join(given), "".join(family)
            if len(g + f) >= 5:
                glued.setdefault(g + f, (person, "nom"))
        for given, family in _readings(person, any_order=False):
            f = "".join(family)
            if len(f) >= 3:
                for initials in {given[0][0], "".join(w[0] for w in given)}:
                    for form in (initials + f, f + initials):
                        if len(form) >= 5:
                            glued.setdefault(form, (person, "initiale"))
        for family in _family_candidates(person):
            if _is_distinctive(family, all_given - set(person.given)):
                family_alone.setdefault(family, person)
                phrases.setdefault(" ".join(person.family) or family, (person, "famille"))
        given = "".join(person.given)
        if len(given) >= 3 and not _is_initial(person.display.split()[0]):
            given_alone.setdefault(given, person)
    longest = max((len(p.split()) for p in phrases), default=1)
    return _Matcher(phrases, glued, family_alone, given_alone, longest)


# -- e-mails ---------------------------------------------------------------------------------


def _split_address(email: str) -> tuple[str | None, str]:
    """(folded local part without +tag, folded domain), or (None, "") for a non-address."""
    text = (normalize.clean_text(email) or "").strip().strip("<>").removeprefix("mailto:")
    if text.count("@") != 1:
        return None, ""
    local, domain = text.split("@")
    local = fold(local).split("+")[0]
    domain = fold(domain).strip().rstrip(".")
    if not local or "." not in domain:
        return None, ""
    return local, domain


def _is_webmail(domain: str) -> bool:
    """A webmail's domain or one under it (« orange.fr », « wanadoo.orange.fr »): each ending of the domain at a
    dot looked up, not each webmail compared."""
    labels = domain.split(".")
    return any(".".join(labels[start:]) in WEBMAIL_DOMAINS for start in range(len(labels)))


def _is_conseiller_numerique(domain: str) -> bool:
    return domain == CONSEILLER_NUMERIQUE_DOMAIN or domain.endswith("." + CONSEILLER_NUMERIQUE_DOMAIN)


def _groups(local: str) -> list[list[str]]:
    """The local part cut at ``.`` and ``_`` into groups, each cut at ``-`` into parts; a single
    group is cut at ``-`` into groups (« prenom-nom »). Trailing digits of a part are dropped."""
    raw = [g for g in re.split(r"[._]", local) if g]
    if len(raw) == 1:
        raw = [g for g in raw[0].split("-") if g]
    groups = []
    for group in raw:
        parts = [re.sub(r"\d+$", "", p) for p in group.split("-")]
        parts = [p for p in parts if p]
        if parts:
            groups.append(parts)
    return groups


def _is_role_local(local: str) -> bool:
    """True when the local part opens with a role/organisation or place word (« accueil@ »,
    « mediatheque.veil@ », « pole-jeunesmajeurs@ », « saint-etienne@ »): a shared mailbox."""
    groups = _groups(local)
    if not groups:
        return True
    first = groups[0][0]
    return _is_role_word(first) or first in PLACE_WORDS


def _lieu_words(lieu_name: str | None) -> set[str]:
    """Folded words of the lieu's name (3 letters or more) and glued runs of 2-3 of its words."""
    if not lieu_name:
        return set()
    words = _letters(lieu_name)
    found = {w for w in words if len(w) >= 3}
    for size in (2, 3):
        found.update("".join(words[i:i + size]) for i in range(len(words) - size + 1))
    return found


def _in_lieu_name(part: str, lieu_words: set[str]) -> bool:
    if part in lieu_words:
        return True
    return len(part) >= 4 and any(len(w) >= 4 and (w.startswith(part) or part.startswith(w)) for w in lieu_words)


def _domain_labels(domain: str) -> set[str]:
    if _is_webmail(domain):
        return set()
    labels = re.split(r"[.-]", domain)[:-1]
    return {re.sub(r"\d+", "", label) for label in labels if len(re.sub(r"\d+", "", label)) >= 3}


def _valid_name_part(part: str, position: int, count: int) -> bool:
    """A part of a prénom.nom address: letters, not a role/place word, not an acronym."""
    if not part.isalpha() or _is_role_word(part) or part in PLACE_WORDS:
        return False
    if len(part) == 1:
        return position in (0, count - 1)
    if not _has_vowel(part):
        return position == 0 and len(part) == 2  # initials « jf », « ph »
    return True


def _name_groups(local: str) -> list[list[str]] | None:
    """The groups of a local part that could be a name: 2 or 3 groups of letters once a
    trailing acronym (« .ml », « .fr ») is dropped; None otherwise."""
    groups = _groups(local)
    if any(not p.isalpha() for g in groups for p in g):
        return None
    while len(groups) > 2 and len(groups[-1]) == 1 and len(groups[-1][0]) <= 3 and not _has_vowel(groups[-1][0]):
        groups.pop()
    return groups if 2 <= len(groups) <= 3 else None


def _lieu_clears(groups: list[list[str]], lieu_name: str | None) -> bool:
    """True when the lieu's name says the address is the lieu's: a part is one of its words
    (« tours-gentiana » for « EPN Gentiana »). A given name opening the address is not cleared by
    the lieu's name alone (« robert.martin » at « Centre Robert Doisneau »), and an address all
    of whose parts are in the name is a person's when it opens with a given name (« Chéniers -
    Leila Boubekeur »)."""
    lieu_words = _lieu_words(lieu_name)
    if not lieu_words:
        return False
    in_lieu = [_in_lieu_name("".join(g), lieu_words) or any(_in_lieu_name(p, lieu_words) for p in g)
               for g in groups]
    if "".join(p for g in groups for p in g) in lieu_words:
        in_lieu = [True] * len(groups)
    if groups[0][0] in GIVEN_NAMES:
        return any(in_lieu[1:]) and not all(in_lieu)
    return any(in_lieu)


def _display_from_groups(groups: list[list[str]]) -> tuple[str, str]:
    """(« Emeline Campo » or « C. Huque », "prénom.nom" or "initiale.nom") from name groups."""
    words = ["-".join(g) for g in groups]
    first = groups[0]
    if len(first) == 1 and len(first[0]) <= 2 and first[0] not in GIVEN_NAMES:  # « c », « jf », « am »
        words[0] = ".".join(first[0].upper()) + "."
        kind = "initiale.nom"
    else:
        kind = "prénom.nom"
    if len(words[-1]) == 1:
        words[-1] = words[-1].upper() + "."
    if len(words[-1]) == 2:  # « jean-christophe.l »: the family name's initial closes the name
        return " ".join(_title(w) for w in words), kind
    given, family, _ = _order_name(words)
    return " ".join(_title(w) for w in (*given, *family)), kind


def _prenom_nom_shape(local: str, domain: str, lieu_name: str | None) -> tuple[str, str] | None:
    """(display name, "prénom.nom" | "initiale.nom") when the local part has a person's shape."""
    groups = _name_groups(local)
    if groups is None:
        return None
    parts = [p for g in groups for p in g]
    names = parts[:1] + [p for p in parts[1:] if p not in _PARTICLES]  # « d.tarlet »: an initial
    if (len(parts[0]) > 1 and parts[0] in _PARTICLES) or not 2 <= len(names) <= 4:
        return None
    if not all(_valid_name_part(p, i, len(parts)) for i, p in enumerate(parts)):
        return None
    if not any(len(p) >= 3 and _has_vowel(p) for p in names):
        return None
    # Joined by a dot, two words are the usual shape of a person's address (« neil.hoare »); joined by
    # a hyphen or an underscore only, they are as often a service's (« mddstmartin-vesubie »): there a
    # given name or an initial must show.
    if "." not in local and not any(len(p) <= 2 or p in GIVEN_NAMES for p in names):
        return None
    if parts[0] in _domain_labels(domain) or _lieu_clears(groups, lieu_name):
        return None
    return _display_from_groups(groups)


def _given_name_local(local: str, lieu_name: str | None) -> str | None:
    """The given name when the address is one (« eric@ ») or opens one of two parts
    (« jacky.cyberal@ »), that name not being a word of the lieu's name."""
    groups = _groups(local)
    if not 1 <= len(groups) <= 2 or len(groups[0]) != 1:
        return None
    first = groups[0][0]
    if first not in GIVEN_NAMES or _in_lieu_name(first, _lieu_words(lieu_name)):
        return None
    if len(groups) == 1 and re.sub(r"\d+$", "", local) != first:
        return None
    return first.capitalize()


def _token_bounds(tokens: list[str]) -> tuple[list[int], list[int]]:
    """Start and end offsets of each token in the tokens glued together."""
    starts, ends, offset = [], [], 0
    for token in tokens:
        starts.append(offset)
        offset += len(token)
        ends.append(offset)
    return starts, ends


def _known_glued(local: str, matcher: _Matcher) -> tuple[_Person, str] | None:
    """A known person's full name (« nom ») or initials and family name (« initiale ») in the
    local part, starting a part and ending one or followed by a role word (« a.maillotccas »)."""
    if not matcher.glued:
        return None
    tokens = _letters(local)
    letters = "".join(tokens)
    starts, ends = _token_bounds(tokens)
    best: tuple[_Person, str] | None = None
    for start in starts:
        for end in range(start + 5, len(letters) + 1):
            found = matcher.glued.get(letters[start:end])
            if found is None:
                continue
            rest = letters[end:next(e for e in ends if e >= end)]
            if rest and not _is_role_word(rest):
                continue
            if found[1] == "nom":
                return found
            best = best or found
    return best


def _known_family_alone(local: str, matcher: _Matcher) -> _Person | None:
    """A known person's distinctive family name as a whole part, outside role and place mailboxes."""
    if not matcher.family_alone:
        return None
    tokens = _letters(local)
    if _is_role_local(local) or any(t in PLACE_WORDS for t in tokens):
        return None
    return next((matcher.family_alone[t] for t in tokens if t in matcher.family_alone), None)


def _known_given_alone(local: str, matcher: _Matcher) -> _Person | None:
    """A known person's given name as the whole local part (« bruno@ ») or as the last of its
    parts (« omega.rahima@ »), outside role and place mailboxes."""
    if not matcher.given_alone:
        return None
    tokens = _letters(local)
    if not tokens or _is_role_local(local) or any(t in PLACE_WORDS for t in tokens):
        return None
    return matcher.given_alone.get(tokens[-1])


_KNOWN_REASONS = {
    "nom": "l'adresse porte le nom d'une personne connue ({person})",
    "initiale": "l'adresse porte l'initiale et le nom d'une personne connue ({person})",
    "famille": "l'adresse porte le nom de famille d'une personne connue ({person})",
    "prénom": "l'adresse porte le prénom d'une personne connue ({person})",
}


def _webmail_suffix(domain: str) -> str:
    return f", sur une messagerie personnelle ({domain})" if _is_webmail(domain) else ""


def email_owner(email: str, *, known_people: Iterable[str] = (), lieu_name: str | None = None) -> PersonalEmail | None:
    """A ``PersonalEmail`` when the address belongs to a person (not to the lieu, a role or an
    organisation), with the rule and a French reason; None when nothing says it is a person's.

    ``known_people``: names from the contact/referent columns of the same file (raw cells are
    fine: they go through ``known_people_from``). ``lieu_name``: the lieu's name, whose words
    are the lieu's, not a surname (« tours-gentiana@… » for « EPN Gentiana »).
    """
    return _email_owner(email, (_matcher_of(known_people),), lieu_name)


def _first_found(matchers: tuple[_Matcher, ...], find: Callable[[_Matcher], _Found | None]) -> _Found | None:
    """The first finding of ``find(matcher)`` over the matchers, in order."""
    return next((found for matcher in matchers if (found := find(matcher))), None)


def _email_owner(email: str, matchers: tuple[_Matcher, ...], lieu_name: str | None) -> PersonalEmail | None:
    """``email_owner`` over several lists of known people (the lieu's contact, then the file's)."""
    local, domain = _split_address(email)
    if local is None:
        return None
    address = f"{local}@{domain}"
    suffix = _webmail_suffix(domain)
    if known := _first_found(matchers, lambda m: _known_glued(local, m)):
        return _known_person_email(address, *known, suffix)
    if _is_conseiller_numerique(domain) and not _is_role_local(local):
        return PersonalEmail(address, "conseiller_numerique",
                             f"adresse individuelle de conseiller numérique (@{domain})",
                             person_name_from_email(address))
    if shape := _prenom_nom_shape(local, domain, lieu_name):
        name, kind = shape
        return PersonalEmail(address, "prenom_nom", f"l'adresse a la forme {kind} ({name}){suffix}", name)
    if person := _first_found(matchers, lambda m: _known_family_alone(local, m)):
        return _known_person_email(address, person, "famille", suffix)
    if person := _first_found(matchers, lambda m: _known_given_alone(local, m)):
        return _known_person_email(address, person, "prénom" if person.family else "nom", suffix)
    if given := _given_name_local(local, lieu_name):
        return PersonalEmail(address, "prenom", f"l'adresse commence par un prénom ({given}){suffix}", None)
    return None


def _known_person_email(address: str, person: _Person, how: str, suffix: str) -> PersonalEmail:
    reason = _KNOWN_REASONS[how].format(person=person.display) + suffix
    return PersonalEmail(address, "personne_connue", reason, person.display)


# -- texts -----------------------------------------------------------------------------------

# How a text names a person (``_names_in_text``).
_KNOWN, _CIVILITY_KIND, _INTRODUCED_KIND = "connue", "civilité", "introduite"


def _civility_names(text: str) -> list[str]:
    """« Mme KURT », « M. Dupont »: a civility and the capitalised name after it, as written."""
    found = []
    for match in _CIVILITY.finditer(text):
        before = _words(text[:match.start()])
        if before and before[-1] in _STREET_WORDS:
            continue
        names = match.group(2).split()
        if fold(names[0]).strip(".'’") in _TITLE_WORDS:
            continue
        if len(names) > 1 and fold(names[1]) in _TITLE_WORDS:
            names = names[:1]
        found.append(f"{match.group(1)} {' '.join(names)}")
    return found


def _clue_names(text: str) -> list[str]:
    """« Leïla Boubekeur » in « …, par Leïla Boubekeur, … »: after an introducing word (par,
    avec, auprès de, contact :, référent :), a common given name then a capitalised name that is
    not a role, place or title word."""
    found = []
    for match in _INTRODUCED.finditer(text):
        given, family = match.group(1), match.group(2)
        folded_family = fold(family)
        if fold(given).split("-")[0] not in GIVEN_NAMES or len(folded_family) < 2:
            continue
        if _is_role_word(folded_family) or folded_family in PLACE_WORDS or folded_family in _TITLE_WORDS:
            continue
        found.append(f"{given} {family}")
    return found


def _known_in_text(text: str, matcher: _Matcher, *, surnames: bool) -> list[_Person]:
    """Known people named in the text: the longest phrase wins at each word, once per person."""
    words = _words(text)
    found: list[_Person] = []
    for start in range(len(words)):
        for size in range(min(matcher.longest, len(words) - start), 0, -1):
            hit = matcher.phrases.get(" ".join(words[start:start + size]))
            if hit and (surnames or hit[1] == "nom"):
                if all(hit[0] is not person for person in found):
                    found.append(hit[0])
                break
    return found


def _name_key(name: str) -> tuple[str, ...]:
    """The folded words of a name, sorted: the same for « Leïla BOUBEKEUR » and « Boubekeur Leila »."""
    return tuple(sorted(_words(name)))


def _already_found(name: str, keys: set[tuple[str, ...]]) -> bool:
    """True when a name, or the name after a civility (« Mme Boubekeur »), is part of one found."""
    match = _CIVILITY.fullmatch(name)
    words = set(_words(match.group(2) if match else name))
    return any(words <= set(key) for key in keys)


def _names_in_text(text: str, matchers: tuple[_Matcher, ...], *, surnames: bool) -> list[tuple[str, str]]:
    """(name, how) for each person the text names: known, by civility, or introduced."""
    found: list[tuple[str, str]] = []
    keys: set[tuple[str, ...]] = set()
    for matcher in matchers:
        if not matcher.phrases:
            continue
        for person in _known_in_text(text, matcher, surnames=surnames):
            if _name_key(person.display) not in keys:
                keys.add(_name_key(person.display))
                found.append((person.display, _KNOWN))
    introduced = [(name, _CIVILITY_KIND) for name in _civility_names(text)]
    introduced += [(name, _INTRODUCED_KIND) for name in _clue_names(text)]
    for name, how in introduced:
        if not _already_found(name, keys):
            keys.add(_name_key(name))
            found.append((name, how))
    return found


def people_in_text(text: str | None, known_people: Iterable[str], *, surnames: bool = True) -> list[str]:
    """The people a text names, once each: known people (full name in any order; the
    distinctive family name alone unless ``surnames`` is False), names after a civility
    (« Mme KURT ») and names after an introducing word and a given name (« par Leïla Boubekeur »).

    Accents and case are ignored, words match whole (« Pichon » is not found in « Pichonnat »).
    Known people come back in their normalised form (« Leila Boubekeur »), others as written.
    """
    if not text:
        return []
    return [name for name, _ in _names_in_text(text, (_matcher_of(known_people),), surnames=surnames)]


# -- the export's check ----------------------------------------------------------------------


def _as_texts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [t for t in (normalize.clean_text(v) for v in value) if t]
    text = normalize.clean_text(value)
    return [text] if text else []


def _record_emails(value: Any) -> list[str]:
    emails: list[str] = []
    for text in _as_texts(value):
        emails.extend(e for e in normalize.split_emails(text) if "@" in e)
    return emails


def _same_address(a: str, b: str) -> bool:
    return fold(a).strip() == fold(b).strip()


@dataclass(frozen=True)
class _Context:
    """What the check of one lieu knows: the people to look for and where each name came from."""

    matchers: tuple[_Matcher, ...]  # the lieu's contact person, then the known people
    contact: frozenset[tuple[str, ...]]  # name keys of the lieu's contact person
    contact_email: str | None
    lieu_name: str | None
    revealed: dict[str, str]  # a name found in the record → where (French, for the message)


def _is_organisation_mailbox(email: str, lieu_name: str | None) -> bool:
    """True for a shared mailbox of the lieu: a role word in it (« accueil@ »,
    « la-possession.cyberbase@ »), the organisation's own name at its domain
    (« adesir97438@adesir.fr »), or words of the lieu's name only (« apeps-tampon@ » for
    « APEPS Tampon »)."""
    local, domain = _split_address(email)
    if local is None:
        return False
    tokens = _letters(local)
    if _is_role_local(local) or any(len(t) >= 3 and _is_role_word(t) for t in tokens):
        return True
    if tokens and tokens[0] in _domain_labels(domain):
        return True
    lieu_words = _lieu_words(lieu_name)
    return bool(tokens) and ("".join(tokens) in lieu_words or all(_in_lieu_name(t, lieu_words) for t in tokens))


def _email_problem(field: str, value: str, email: str, context: _Context) -> PublicationProblem | None:
    if (context.contact_email and _same_address(email, context.contact_email)
            and not _is_organisation_mailbox(email, context.lieu_name)):
        return PublicationProblem(field, value, email, f"« {email} » est le courriel de la personne contact du "
                                  "lieu (contact_courriel), qui n'est jamais publié.")
    owner = _email_owner(email, context.matchers, context.lieu_name)
    if owner is None:
        return None
    message = f"« {email} » semble être l'adresse d'une personne : {owner.reason}."
    return PublicationProblem(field, value, email, message)


def _name_message(name: str, how: str, context: _Context) -> str:
    if _name_key(name) in context.contact:
        return f"cite « {name} », la personne contact du lieu (contact_nom), qui n'est jamais publiée."
    if how == _KNOWN:
        return f"cite « {name} », une personne connue comme contact ou référent : à retirer avant publication."
    if how == _CIVILITY_KIND:
        return f"cite « {name} », une personne désignée par sa civilité : à retirer avant publication."
    if how == _INTRODUCED_KIND:
        return (f"cite « {name} », une personne (un prénom et un nom après « par », « avec »…) : "
                "à retirer avant publication.")
    return f"cite « {name} », une personne {how} : à retirer avant publication."


def _text_problems(field: str, text: str, context: _Context) -> list[PublicationProblem]:
    """Problems of one published text: people it names, and personal addresses written in it."""
    surnames = field not in ("adresse", "complement_adresse")  # streets bear people's names
    found = _names_in_text(text, context.matchers, surnames=surnames)
    keys = {_name_key(name) for name, _ in found}
    for name, where in context.revealed.items():
        if _name_key(name) not in keys and people_in_text(text, (name,), surnames=False):
            keys.add(_name_key(name))
            found.append((name, where))
    problems = [PublicationProblem(field, text, name, _name_message(name, how, context)) for name, how in found]
    for email in _EMAIL_IN_TEXT.findall(text):
        if problem := _email_problem(field, text, email, context):
            problems.append(problem)
    return problems


def _revealed_names(record: Mapping[str, Any], context: _Context) -> dict[str, str]:
    """Names the record itself gives away, to look for in its other fields: persons of the
    prénom.nom addresses of ``courriels``, names introduced in its texts (« par Leïla Boubekeur »)."""
    revealed: dict[str, str] = {}
    for email in _record_emails(record.get("courriels")):
        owner = _email_owner(email, context.matchers, context.lieu_name)
        if owner and owner.person and owner.rule != "personne_connue" and "." not in owner.person:
            revealed.setdefault(owner.person, "dont l'adresse e-mail figure dans les courriels du lieu")
    for field in PUBLISHED_TEXT_FIELDS:
        for text in _as_texts(record.get(field)):
            for name in _clue_names(text):
                revealed.setdefault(name, f"nommée dans le champ {field}")
    return revealed


def _contact_name_from_email(contact_email: str | None, lieu_name: str | None) -> str | None:
    """The contact person's name read from a prénom.nom contact_courriel, unless the address is
    the lieu's (« apeps-tampon@ » is not a person for « APEPS Tampon »)."""
    local, domain = _split_address(contact_email or "")
    if local is None:
        return None
    shape = _prenom_nom_shape(local, domain, lieu_name)
    return shape[0] if shape else None


def publication_problems(record: Mapping[str, Any], *, known_people: Iterable[str] = ()) -> list[PublicationProblem]:
    """Personal data in the published fields of one lieu, one problem per finding.

    Checked: each address of ``courriels`` (``email_owner``, with the lieu's ``nom``), and the
    texts of ``PUBLISHED_TEXT_FIELDS`` (``people_in_text``; in ``adresse`` and
    ``complement_adresse`` full names only, streets being named after people) with the
    addresses written in them. The lieu's own ``contact_nom`` and ``contact_courriel``, when the
    record has them, are known people too and must appear in no published field (a
    contact_courriel that is a role mailbox, « accueil@… », is the lieu's and may be published).
    A name the record gives away in one place (a prénom.nom address, « par Leïla Boubekeur » in
    the description) is looked for in its other fields (« Chéniers - Leila Boubekeur »).
    """
    contact_email = normalize.clean_text(record.get("contact_courriel"))
    lieu_name = normalize.clean_text(record.get("nom"))
    contact = [n for n in (normalize.clean_text(record.get("contact_nom")),
                           _contact_name_from_email(contact_email, lieu_name)) if n]
    context = _Context(
        matchers=(_matcher(tuple(contact)), _matcher_of(known_people)),
        contact=frozenset(_name_key(name) for name in known_people_from(contact)),
        contact_email=contact_email,
        lieu_name=lieu_name,
        revealed={},
    )
    context = replace(context, revealed=_revealed_names(record, context))
    problems = [problem for email in _record_emails(record.get("courriels"))
                if (problem := _email_problem("courriels", email, email, context))]
    for field in PUBLISHED_TEXT_FIELDS:
        for text in _as_texts(record.get(field)):
            problems += _text_problems(field, text, context)
    return problems

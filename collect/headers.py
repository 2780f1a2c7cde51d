"""What a column name means, when it is not a field name or a known synonym.

Real files name their columns in many ways: GIS layers with prefixes and abbreviations
(``USER_ADRES``, ``c_lat_coor1``), squashed words (``Nomdelastructure``), form questions
(« Adresse mail de la structure »), English (``opening hours``), numbered copies (``Tag 12``,
``Horaires d'ouverture__1``), geocoder output (``result_postcode``).

:func:`read_header` turns a name into words: accents and case folded, split on punctuation,
underscores, camelCase and digits, known prefixes dropped, a trailing number kept apart as the
index, squashed runs segmented with a small vocabulary, abbreviations and English words expanded,
stopwords (« de », « votre », « quel »…) kept apart from the content words.

:func:`field_for_header` then matches the content words against one rule per field (the words
that must be there, those that may be there, those that rule the field out) and returns the best
:class:`HeaderMatch` with a confidence and a short French reason. Exact field names and the
synonyms of :mod:`collect.columns` keep confidence 1.0. The column plan
(:func:`collect.column_plan.plan_columns`) applies a guess from :data:`AUTO_MATCH_CONFIDENCE` up;
lower ones are hints, applied only when confirmed (contact columns, a geocoder's place columns when
the file has none, list values that translate).

Pure and fast: no I/O, each name is analysed once (LRU cache) in time bounded by its length
(the analysis reads at most :data:`MAX_NAME_LENGTH` characters).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from collect.columns import SYNONYMS, TARGET_FIELDS, normalize_header

# A guess at or above this confidence is applied by the column plan; below, it is only a hint.
AUTO_MATCH_CONFIDENCE = 0.6

# Longer names are questions or pasted text: the first characters say what the column is.
MAX_NAME_LENGTH = 300

# Confidence of the guesses, before the adjustments below.
RULE_CONFIDENCE = 0.9
PREFIX_EXACT_CONFIDENCE = 0.95  # the field's name or a synonym once a prefix is dropped
EXTRA_WORD_PENALTY = 0.25  # per content word the rule does not explain
SQUASHED_PENALTY = 0.1  # words glued together, segmented by us
GUESSED_PREFIX_PENALTY = 0.05  # a short capitalised prefix dropped because the rest made sense
MIN_CONFIDENCE = 0.2  # below: no match at all
NUMBERED_COPY_CONFIDENCE = 0.5  # « Téléphone 2 », « nom_2 »: a second column of the same kind
COMPANION_CONFIDENCE = 0.35  # « Autre - Typologie », « …_detail »: a free-text companion column
DAY_CONFIDENCE = 0.4  # « Lundi », « horaires_mardi », « Fermeture matin »: one piece of the hours
GEOCODER_CONFIDENCE = 0.3  # ``result_city``: a geocoder's guess, a fallback at most


def _words(text: str) -> frozenset[str]:
    """The words of a text: ``_words("de la")`` → {de, la}."""
    return frozenset(text.split())


@dataclass(frozen=True)
class HeaderMatch:
    """The field a column name means, how sure we are (0..1), why (French), and its number suffix."""

    field: str
    confidence: float
    reason: str
    index: int | None = None


class HeaderWords(NamedTuple):
    """A column name read as words (accent-free, lower case, singular, abbreviations expanded)."""

    words: tuple[str, ...]  # every word, in order, stopwords included
    content: tuple[str, ...]  # the words that carry meaning
    stopwords: tuple[str, ...]  # « de », « la », « votre », « quel »…
    index: int | None  # trailing number: ``__1`` → 1, ``Tag 12`` → 12
    prefix: str  # the prefix dropped, as written (``c_``, ``USER_``), or ""
    prefix_guessed: bool  # a short capitalised prefix dropped because the rest made sense
    abbreviations: tuple[str, ...]  # abbreviations expanded, as written upper-cased (``ADRES``)
    english: tuple[str, ...]  # English words translated (``phone``)
    squashed: tuple[str, ...]  # when glued words were cut: the name as words, « nom de la structure »


# --------------------------------------------------------------------------------------------
# Words

STOPWORDS = _words("""
    a ai al au aux avec c ce ces cet cette ci d dans de des du e elle en est et etc ex exemple il ils je l la le
    les leur leurs lui ma me mes mon n ne nos notre on ou par pas pour qu que quel quelle quelles quels qui quoi s
    sa se ses si son sont sous sur ta te tes ton un une vos votre vous y
    oui non comment combien pourquoi doit dois doivent peut peuvent pouvez possedez avez etes faites organisez
    proposez precisez indiquez renseignez merci svp seul seule plusieurs reponse possible choix cochez certain
    certaine dehors quelque mot ici ceci cela
    the of to in at for by and or your you is are an on do does what which with from
    """)

# Words that may stand in any name without saying anything about the field.
GENERIC_WORDS = _words("""
    structure lieu etablissement organisation organisme entite action inclusion numerique info information
    principal actuel officiel general usuel courant commun espace autre
    """)

# A column holding a count, a score or a reader's placeholder name: never a field of the standard.
VETO_WORDS = _words("sans null none nombre capacite quantite total taux pourcentage score etp count colonne column unnamed")

# Equipment and service topics: a column about them is a value of « services », not a field.
OFF_TOPIC_WORDS = _words("""
    ordinateur wifi materiel imprimante scanner equipement poste tablette smartphone teletravail coworking fablab
    photo image logo financeur transport
    """)

# Free-text companions of another column: « Autre - Typologie », ``conditions_acces_detail``.
COMPANION_WORDS = _words("autre detail precision commentaire remarque observation")

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
TIME_SLOT_WORDS = _words("matin apresmidi soir midi debut fin fermeture tranche continue journee")
PERSON_WORDS = _words("""
    contact contacts referent responsable interlocuteur prenom personne mediateur conseiller animateur directeur
    gestionnaire coordinateur famille
    """)
GPS_WORDS = _words("gps wgs84 epsg4326 4326 degre decimal geo geographique")
# Projected coordinates (metres): known words, so that « x_l93 » is read, and left unmatched (x/y rules are strict).
PROJECTED_WORDS = _words("lambert lambert93 l93 rgf93 epsg2154 2154 cc")

# True abbreviations (reported as such in the reason): written form → words.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "adr": ("adresse",), "adres": ("adresse",), "addr": ("adresse",), "adrs": ("adresse",),
    "tel": ("telephone",), "tlf": ("telephone",), "tph": ("telephone",), "mob": ("mobile",), "port": ("portable",),
    "lat": ("latitude",), "lng": ("longitude",), "lon": ("longitude",),
    "cp": ("code", "postal"), "cd": ("code",), "com": ("commune",), "lib": ("libelle",), "libel": ("libelle",),
    "maj": ("mise", "a", "jour"), "modif": ("modification",), "dt": ("date",),
    "quart": ("quartier",), "inter": ("internet",), "www": ("site", "web"),
    "coor": ("coordonnee",), "coord": ("coordonnee",), "coords": ("coordonnee",),
    "num": ("numero",), "no": ("numero",), "n": ("numero",), "nr": ("numero",), "nro": ("numero",),
    "desc": ("description",), "descr": ("description",), "rs": ("raison", "social"),
    "nb": ("nombre",), "nbr": ("nombre",), "nbre": ("nombre",), "dept": ("departement",),
    "struct": ("structure",), "etab": ("etablissement",), "etabl": ("etablissement",), "orga": ("organisation",),
    "serv": ("service",), "presta": ("prestation",), "ident": ("identifiant",), "resp": ("responsable",),
    "ordi": ("ordinateur",), "mat": ("materiel",), "infos": ("information",), "rdv": ("rdv",),
    "cat": ("categorie",), "typ": ("type",), "pres": ("presentation",),
    "compl": ("complement",), "cpl": ("complement",), "cplt": ("complement",),
}

# Abbreviations long and common enough to be found inside glued words (``telfixe``, ``adrcompl``).
_GLUED_ABBREVIATIONS = _words("tel adr adres num maj lat lng lon coord desc compl")

# Word-level synonyms (not reported as abbreviations): written form → words.
WORD_FORMS: dict[str, tuple[str, ...]] = {
    "mail": ("courriel",), "email": ("courriel",), "mel": ("courriel",), "emails": ("courriel",),
    "mails": ("courriel",), "courriels": ("courriel",), "telephones": ("telephone",),
    "acceder": ("acces",), "accedez": ("acces",), "accede": ("acces",), "accessible": ("acces",),
    "contacter": ("contact",),
    "decris": ("description",), "decrire": ("description",), "decrivez": ("description",),
    "descriptif": ("description",), "descriptive": ("description",), "presenter": ("presentation",),
    "presentez": ("presentation",), "resumee": ("resume",),
    "longue": ("long",), "longues": ("long",), "courte": ("courte",), "court": ("courte",), "bref": ("courte",),
    "breve": ("courte",), "detaillee": ("detaille",), "detaillees": ("detaille",), "details": ("detail",),
    "referente": ("referent",), "referents": ("referent",), "tarification": ("tarif",), "gratuite": ("gratuit",),
    "sociaux": ("social",), "sociale": ("social",), "nationaux": ("national",), "nationale": ("national",),
    "regionaux": ("regional",), "accueillis": ("accueilli",), "accueillie": ("accueilli",),
    "accueillies": ("accueilli",), "proposee": ("propose",), "proposees": ("propose",), "proposes": ("propose",),
    "offerts": ("offert",), "prendre": ("prise",), "mis": ("mise",), "cree": ("creation",), "creee": ("creation",),
    "itinerante": ("itinerant",), "itinerantes": ("itinerant",), "itinerants": ("itinerant",),
    "telephonique": ("telephone",), "electroniques": ("electronique",), "ouvert": ("ouverture",),
    "codepostal": ("code", "postal"), "rendezvous": ("rdv",), "datemaj": ("date", "mise", "a", "jour"),
    "userid": ("user", "id"), "objectid": ("object", "id"), "globalid": ("global", "id"),
    "postale": ("postal",), "principale": ("principal",), "complete": ("complet",), "heures": ("heure",),
    "aprem": ("apresmidi",), "accompagnez": ("accompagne",), "jours": ("jour",), "horaires": ("horaire",),
    "lieux": ("lieu",),
}

# English words → French words (reported as « mot anglais »).
ENGLISH: dict[str, tuple[str, ...]] = {
    "name": ("nom",), "address": ("adresse",), "street": ("rue",), "city": ("ville",), "town": ("ville",),
    "zip": ("code", "postal"), "zipcode": ("code", "postal"), "postcode": ("code", "postal"),
    "phone": ("telephone",), "cell": ("mobile",), "website": ("site", "web"), "link": ("lien",),
    "hours": ("horaire",), "opening": ("ouverture",), "schedule": ("horaire",), "updated": ("mise", "a", "jour"),
    "update": ("mise", "a", "jour"), "modified": ("modification",), "edited": ("modification",),
    "edit": ("modification",), "created": ("creation",), "last": ("derniere",), "category": ("categorie",),
    "summary": ("resume",), "short": ("courte",), "detailed": ("detaille",), "country": ("pays",),
    "audience": ("public",), "target": ("cible",), "fees": ("frais",), "fee": ("frais",), "price": ("prix",),
    "cost": ("cout",), "booking": ("rdv",), "appointment": ("rdv",), "accessibility": ("accessibilite",),
    "organization": ("organisation",), "number": ("numero",), "firstname": ("prenom",), "lastname": ("nom",),
    "identifier": ("identifiant",), "monday": ("lundi",), "tuesday": ("mardi",), "wednesday": ("mercredi",),
    "thursday": ("jeudi",), "friday": ("vendredi",), "saturday": ("samedi",), "sunday": ("dimanche",),
    "citycode": ("code", "commune"), "insee_code": ("code", "insee"), "postal": ("postal",),
    "timestamp": ("horodatage",), "training": ("formation",), "free": ("gratuit",), "mobility": ("mobilite",),
    "parent": ("parent",), "type": ("type",), "source": ("source",),
}

# Adjacent words that make one concept (after the steps above).
PHRASES: dict[tuple[str, ...], str] = {  # the longer first
    ("sur", "rendez", "vous"): "surrdv",  # « sur rendez-vous »: how to come, not a booking link
    ("sur", "rdv"): "surrdv",
    ("rendez", "vous"): "rdv",
    ("acces", "libre"): "acceslibre",
    ("hors", "les", "mur"): "horslesmurs",
    ("mobilite", "reduite"): "pmr",
    ("apres", "midi"): "apresmidi",
    ("lieu", "dit"): "lieudit",
}

_PHRASE_STARTS = frozenset(phrase[0] for phrase in PHRASES)

# Prefixes of GIS layers and databases, dropped when something follows.
SOURCE_PREFIXES = _words("c user usr tbl f fld")
TYPE_PREFIXES = _words("b bool arr varchar txt")
GEOCODER_PREFIXES = _words("result geocode geocodage geocoder")

# Geocoder (addok / adresse.data.gouv.fr CSV) output → the field it could feed as a fallback.
GEOCODER_FIELDS: dict[str, str] = {
    "name": "adresse", "postcode": "code_postal", "citycode": "code_insee", "city": "commune",
    "latitude": "latitude", "longitude": "longitude", "lat": "latitude", "lon": "longitude",
}

# Letter + number codes kept whole (coordinate systems).
_CODE_HEADS = _words("wgs epsg lambert l rgf cc")


# --------------------------------------------------------------------------------------------
# Rules: one per field. An alternative is a list of slots (each: words of which one must be
# there) with its base confidence and an optional note for the reason.


@dataclass(frozen=True)
class _Alternative:
    slots: tuple[frozenset[str], ...]
    base: float
    note: str = ""


@dataclass(frozen=True)
class _Rule:
    field: str
    alternatives: tuple[_Alternative, ...]
    optional: frozenset[str]  # words that may be there, besides those of any alternative
    forbidden: frozenset[str]
    strict: bool = False  # no word outside the rule at all (bare ``x``, ``y``)


def _alt(*slots: str | frozenset[str], base: float = RULE_CONFIDENCE, note: str = "") -> _Alternative:
    """``_alt("code", "postal")``: both words; ``_alt("telephone", PERSON_WORDS)``: telephone + one of them."""
    return _Alternative(tuple(frozenset({s}) if isinstance(s, str) else s for s in slots), base, note)


def _rule(field: str, *alternatives: _Alternative, optional: str = "", forbidden: str | frozenset[str] = "",
          strict: bool = False) -> _Rule:
    banned = forbidden if isinstance(forbidden, frozenset) else frozenset(forbidden.split())
    own_words = {word for alternative in alternatives for slot in alternative.slots for word in slot}
    return _Rule(field, alternatives, frozenset(optional.split()) | own_words, banned, strict)


_CONTACT = PERSON_WORDS - {"famille"}
_PHONE_KINDS = _words("mobile portable fixe gsm")
_DATE_FORBIDDEN = "user utilisateur auteur par editeur createur id naissance ouverture fermeture debut fin"

RULES: tuple[_Rule, ...] = (
    _rule("contact_courriel", _alt("courriel", _CONTACT), optional="adresse electronique nom"),
    _rule("contact_telephone", _alt("telephone", _CONTACT), _alt(_PHONE_KINDS, _CONTACT, base=0.8),
          optional="numero fixe mobile portable direct ligne"),
    _rule("contact_nom", _alt("contact"), _alt("referent"), _alt("responsable"), _alt("interlocuteur"),
          _alt("contacts", base=0.5, note="contacts : noms ou coordonnées ?"),
          _alt("nom", PERSON_WORDS), _alt("prenom"),
          optional=" ".join(PERSON_WORDS) + " nom identite civilite",
          forbidden="role fonction poste qualite titre courriel telephone mobile portable fax adresse id parent"),
    _rule("courriels", _alt("courriel"), _alt("adresse", "electronique"),
          optional="adresse electronique generique", forbidden=_CONTACT),
    _rule("telephone", _alt("telephone"), _alt("fixe", base=0.6, note="téléphone fixe ?"),
          _alt("mobile", base=0.6, note="téléphone mobile ?"), _alt("portable", base=0.6, note="téléphone portable ?"),
          optional="numero fixe mobile portable accueil standard ligne direct",
          forbidden=frozenset({"fax", *_CONTACT})),
    _rule("site_web", _alt("site", frozenset({"web", "internet"})), _alt("web"), _alt("url"),
          _alt("page", frozenset({"web", "internet"})), _alt("lien", base=0.6, note="lien : site web ?"),
          optional="site web internet page url lien adresse",
          forbidden="rdv acceslibre accessibilite siren siret reseau social prise"),
    _rule("complement_adresse", _alt("complement"), _alt("quartier", base=0.7), _alt("batiment", base=0.7),
          _alt("residence", base=0.6), _alt("lieudit", base=0.7),
          optional="adresse quartier batiment residence ligne lieudit etage appartement escalier",
          forbidden="courriel electronique web internet prioritaire"),
    _rule("adresse", _alt("adresse"), _alt("rue"), _alt("voie"),
          optional="numero nom libelle rue voie postal complet ligne site physique geographique type",
          forbidden="courriel electronique web internet url ip complement"),
    _rule("code_insee", _alt("insee"), _alt("code", "commune"), _alt("cog"), _alt("code", "geographique"),
          optional="code commune ville officiel geographique numero id",
          forbidden="postal pays departement region epci"),
    _rule("code_postal", _alt("code", "postal"), _alt("postal"),
          optional="code commune ville numero bureau", forbidden="pays insee"),
    _rule("commune", _alt("commune"), _alt("ville"), _alt("localite"),
          optional="nom libelle ville commune localite",
          forbidden="code insee epci pays departement region quartier"),
    _rule("latitude", _alt("latitude"), optional="coordonnee " + " ".join(GPS_WORDS), forbidden="longitude long"),
    _rule("longitude", _alt("longitude"), _alt("long", note="abréviation LONG"),
          optional="coordonnee " + " ".join(GPS_WORDS),
          forbidden="latitude description presentation texte"),
    # x and y are sure only alone (or with « WGS84 »): « coord x » may be metres of a projection.
    _rule("latitude", _alt("y", base=0.7, note="y seul : latitude"), _alt("y", "coordonnee", base=0.5),
          optional=" ".join(GPS_WORDS), strict=True),
    _rule("longitude", _alt("x", base=0.7, note="x seul : longitude"), _alt("x", "coordonnee", base=0.5),
          optional=" ".join(GPS_WORDS), strict=True),
    _rule("date_maj", _alt("mise", "jour"), _alt("date", "modification"),
          _alt("modification", base=0.7), _alt("date", "soumission", base=0.7, note="date de soumission"),
          _alt("date", "saisie", base=0.7, note="date de saisie"),
          _alt("horodatage", base=0.7, note="horodatage"), _alt("horodateur", base=0.7, note="horodatage"),
          _alt("date", "creation", base=0.6, note="date de création, moins sûre qu'une date de modification"),
          _alt("creation", base=0.6, note="date de création, moins sûre qu'une date de modification"),
          _alt("date", base=0.5, note="date sans précision"),
          optional="date derniere jour heure fiche donnee modification", forbidden=_DATE_FORBIDDEN),
    _rule("pivot", _alt("siret"), _alt("siren"), _alt("rna"), _alt("ridet"), _alt("pivot"),
          optional="numero code site id identifiant"),
    _rule("cle_ban", _alt("cle", "ban"), _alt("cle", "interop"), _alt("ban", base=0.7),
          optional="id cle interoperabilite adresse"),
    _rule("id", _alt("id"), _alt("identifiant"), _alt("uid", base=0.75, note="identifiant technique"),
          _alt("uuid", base=0.8), _alt("guid", base=0.8), _alt("gid", base=0.7, note="identifiant technique"),
          _alt("fid", base=0.7, note="identifiant technique"),
          _alt("object", "id", base=0.7, note="identifiant technique"),
          _alt("global", "id", base=0.8, note="identifiant technique"),
          optional="unique interne source fiche externe numero ogc",
          forbidden="user utilisateur auteur createur editeur modification creation agent ban insee siret siren "
                    "rna ridet pivot parent parente porteuse commune"),
    _rule("structure_parente", _alt("structure", "porteuse"), _alt("structure", "parente"),
          _alt("structure", "mere"), _alt("parent"), _alt("parente"), _alt("porteuse"), _alt("porteur"),
          optional="nom structure id"),
    _rule("nom", _alt("nom"), _alt("raison", "social"), _alt("denomination"), _alt("libelle", base=0.8),
          _alt("enseigne"), _alt("intitule", base=0.8), _alt("appellation"),
          optional="usuel complet court commercial association",
          forbidden=PERSON_WORDS | _words(
              "voie rue commune ville localite fichier parent parente porteuse mere epci departement region quartier "
              "pays domaine utilisateur user createur editeur auteur agent rdv")),
    _rule("typologie", _alt("typologie"), _alt("type"), _alt("categorie"),
          _alt("statut", "juridique", base=0.5, note="statut juridique : indice de typologie"),
          _alt("forme", "juridique", base=0.5, note="forme juridique : indice de typologie"),
          _alt("nature", base=0.6), optional="acteur",
          forbidden="public service accompagnement voie donnee fichier contrat acces accueil rdv prise charge"),
    _rule("publics_accueillis", _alt("public", "accueilli"), optional="type", forbidden="specifique cible"),
    _rule("publics_specifiquement_adresses", _alt("public"), _alt("beneficiaire", base=0.7),
          optional="type cible specifique accueil accueilli prioritaire vise concerne specifiquement adresse "
                   "accompagne"),
    _rule("prise_en_charge_specifique", _alt("prise", "charge"), _alt("handicap", base=0.7),
          _alt("pmr", base=0.7, note="accès PMR"), _alt("accessibilite", "handicap"),
          optional="specifique acces accueil personne situation public"),
    _rule("services", _alt("service"), _alt("offre"), _alt("activite", base=0.8), _alt("thematique", base=0.8),
          _alt("prestation"), optional="propose offert accompagnement type", forbidden="public rdv civique"),
    _rule("modalites_accompagnement", _alt("accompagnement"), optional="modalite type forme mode",
          forbidden="public"),
    _rule("conditions_acces", _alt("condition", "acces")),
    _rule("modalites_acces", _alt("acces"), _alt("surrdv"), optional="modalite mode rdv prise libre inscription",
          forbidden="condition acceslibre internet"),
    _rule("frais_a_charge", _alt("frais"), _alt("tarif"), _alt("cout"), _alt("prix"), _alt("gratuit"),
          _alt("payant"), optional="charge public usager acces service condition"),
    _rule("itinerance", _alt("itinerance"), _alt("itinerant"), _alt("mobilite"), _alt("horslesmurs"),
          _alt("domicile", base=0.7), _alt("deplacement", base=0.7), optional="fixe lieu mobile permanence"),
    _rule("source", _alt("source"), _alt("origine"), _alt("provenance"), optional="donnee fichier",
          forbidden="id identifiant"),
    _rule("horaires", _alt("horaire"), _alt("heure", "ouverture"), _alt("ouverture", base=0.6),
          _alt("fermeture", base=0.6), _alt("heure", base=0.6), _alt("jour", base=0.6),
          *(_alt(day, base=0.6) for day in WEEKDAYS),
          optional="ouverture jour semaine heure accueil permanence " + " ".join(WEEKDAYS + tuple(TIME_SLOT_WORDS)),
          forbidden="date mise"),
    # A description without « courte » or « résumé » goes to the detail: the résumé has a length limit.
    _rule("presentation_resume", _alt("resume"), _alt(frozenset({"description", "presentation"}), "courte"),
          optional="texte", forbidden="long detaille detail"),
    _rule("presentation_detail", _alt("description"), _alt("presentation"), _alt("detail"),
          optional="long detaille complet texte", forbidden="courte resume"),
    _rule("labels_nationaux", _alt("label", "national"), optional="regional dispositif"),
    _rule("dispositif_programmes_nationaux", _alt("dispositif"), _alt("programme", "national"),
          _alt("programme", base=0.7), optional="national programme"),
    _rule("autres_formations_labels", _alt("autre", "label"), _alt("autre", "formation"),
          optional="label formation"),
    _rule("formations_labels", _alt("label"), _alt("labellisation"),
          _alt("formation", base=0.55, note="formation : label ou service proposé ?")),
    _rule("fiche_acces_libre", _alt("acceslibre"), _alt("accessibilite"), optional="fiche lien url"),
    _rule("prise_rdv", _alt("rdv"), _alt("reservation", base=0.7),
          optional="prise lien url site ligne web internet"),
)


def _rules_by_word() -> dict[str, tuple[int, ...]]:
    """Word → the positions of the rules it can trigger (so a name is checked against few rules)."""
    index: dict[str, list[int]] = {}
    for position, rule in enumerate(RULES):
        for alternative in rule.alternatives:
            for slot in alternative.slots:
                for word in slot:
                    if position not in index.setdefault(word, []):
                        index[word].append(position)
    return {word: tuple(positions) for word, positions in index.items()}


_RULES_BY_WORD = _rules_by_word()

_EXACT_NAMES = {normalize_header(target): target for target in TARGET_FIELDS}
_SYNONYM_NAMES = {normalize_header(s): target for target, spellings in SYNONYMS.items() for s in spellings}

# Words of common French headers besides those of the rules, to segment squashed names.
_MORE_WORDS = _words("""
    nom prenom personne voie numero quartier structure demarche administrative initiation formation apprentissage
    perfectionnement professionnel connexion inscription principale activite condition decris action inclusion
    numerique surnom renom pronom commentaire information complementaire individuellement collectivement
    accompagnement libre domicile itinerance mail adresse telephone site web code postal ville commune latitude
    longitude date jour mise creation modification identifiant type public specifique horaire tarif description
    presentation resume courte longue label national regional precisez accueil service reponse seule
    usager rencontre apportez priorite territoire agir equipement outil capacite acteur typologie organisation
    contact mobile fixe portable email edit global object user ordinateur materiel transport permanence semaine
    personnel professionnelle mur rendez vous hors apres midi dit reduite
""")


def _vocabulary() -> frozenset[str]:
    words: set[str] = set(STOPWORDS | GENERIC_WORDS | VETO_WORDS | OFF_TOPIC_WORDS | COMPANION_WORDS)
    words |= set(WEEKDAYS) | TIME_SLOT_WORDS | PERSON_WORDS | GPS_WORDS | PROJECTED_WORDS | _MORE_WORDS
    for rule in RULES:
        words |= rule.optional | rule.forbidden
        for alternative in rule.alternatives:
            for slot in alternative.slots:
                words |= slot
    for table in (ABBREVIATIONS, WORD_FORMS, ENGLISH):
        for expansion in table.values():
            words.update(expansion)
    words.update(PHRASES.values())
    return frozenset(words)


VOCABULARY = _vocabulary()
# What a glued run may be cut into: known words of 3+ letters, and the short French words.
_SEGMENT_WORDS = frozenset(
    {w for w in VOCABULARY if len(w) >= 3 and w.isalpha()}
    | {w for w in WORD_FORMS if w.isalpha()}
    | _GLUED_ABBREVIATIONS
    | _words("a l d s y de la le du en et au un il ma mon si ex ou sa se je on")
)
_LONGEST_SEGMENT = max(len(w) for w in _SEGMENT_WORDS) + 2  # + a plural or feminine ending
_ELIDED = _words("l d s j n")
_VOWELS = frozenset("aeiouyh")
_MIN_SQUASHED_LENGTH = 5  # « nomet » (nom et) is the shortest glued run worth cutting


# --------------------------------------------------------------------------------------------
# Reading a name


_TYPOGRAPHY = str.maketrans({
    "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "’": "'", "‘": "'", "«": " ", "»": " ", "–": "-", "—": "-",
})
_COMBINING_MARK = re.compile("[\u0300-\u036f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_GENDER_NUMBER_MARK = re.compile(r"\((?:e|s|es|x|ne|le)\)", re.IGNORECASE)  # « Quel(s) type(s) »
_PARENTHESIS = re.compile(r"\(([^()]*)\)")
_PREFIX = re.compile(r"^([A-Za-z]{1,7})_+(?=[A-Za-z0-9])")
# A word: capitals not followed by a small letter (``ID`` of ``GlobalID``), a capitalised or small word, digits.
_WRITTEN_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=1024)
def _folded(name: str) -> str:
    """The name's first characters without accents, ligatures or other non-ASCII characters (→ spaces)."""
    text = name[:MAX_NAME_LENGTH]
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text.translate(_TYPOGRAPHY))
        text = _NON_ASCII.sub(" ", _COMBINING_MARK.sub("", decomposed))
    return text.strip()


def _lookup_key(text: str) -> str:
    """:func:`normalize_header` of an already folded name (the key of the exact names and synonyms)."""
    return _NON_ALNUM.sub("_", text.lower()).strip("_")


def _without_asides(text: str) -> str:
    """Drop gender/number marks and long parentheses (examples, explanations); keep short ones' words."""
    if "(" not in text and ")" not in text:
        return text
    text = _GENDER_NUMBER_MARK.sub("", text)

    def aside(found: re.Match[str]) -> str:
        return " " if len(_WORD.findall(found.group(1).lower())) >= 3 else f" {found.group(1)} "

    return _PARENTHESIS.sub(aside, text).replace("(", " ").replace(")", " ")


def _is_known(word: str) -> bool:
    return word in VOCABULARY or word in ABBREVIATIONS or word in WORD_FORMS or word in ENGLISH


def _split_words(text: str) -> list[str]:
    """camelCase, digits and punctuation boundaries → lower-case words; letter+number codes kept whole."""
    words = " ".join(_WRITTEN_WORD.findall(text)).lower().split()
    if _CODE_HEADS.isdisjoint(words):
        return words
    merged: list[str] = []
    for word in words:
        if word.isdigit() and merged and merged[-1] in _CODE_HEADS:
            merged[-1] += word
        else:
            merged.append(word)
    return merged


def _drop_prefixes(text: str) -> tuple[str, str, bool]:
    """``c__edit_datemaj`` → (``edit_datemaj``, ``c__``, False); ``TYPO_UID`` → (``UID``, ``TYPO_``, True)."""
    dropped, guessed = "", False
    for step in range(3):
        found = _PREFIX.match(text)
        if found is None:
            break
        head, rest = found.group(1), text[found.end():]
        lowered = head.lower()
        if lowered in SOURCE_PREFIXES or (lowered in TYPE_PREFIXES and step > 0):
            pass
        elif step == 0 and _is_unknown_capitalised_prefix(head, rest):
            guessed = True
        else:
            break
        dropped, text = dropped + found.group(0), rest
    return text, dropped, guessed


def _is_unknown_capitalised_prefix(head: str, rest: str) -> bool:
    """``TYPO_UID``: a short capitalised code that means nothing, before words that mean something."""
    if not (head.isupper() and 2 <= len(head) <= 5) or _is_known(head.lower()):
        return False
    return any(_is_known(w) and w not in STOPWORDS for w in _split_words(rest))


def _singular(word: str) -> str:
    """``structures`` → ``structure``, ``referentes`` → ``referent`` (when the shorter form is a known word)."""
    if word in VOCABULARY:
        return word
    for ending in ("s", "x", "es", "e"):
        stem = word[: -len(ending)]
        if word.endswith(ending) and len(stem) >= 3 and stem in VOCABULARY:
            return stem
    return word


@lru_cache(maxsize=4096)
def _segment(run: str) -> tuple[str, ...] | None:
    """``nomdelastructure`` → (nom, de, la, structure): the fewest known words covering the whole run.

    Dynamic programming from the end: ``best[i]`` is the cost of the best cut of ``run[i:]`` and
    where its first word ends. A word costs 1, a bit more when it is an abbreviation or a plural
    (« adresse mail » rather than « adress email »). An elided letter (« d », « l », « s ») must
    come before a vowel: « d adresse », never « personne l »."""
    size = len(run)
    best: list[tuple[float, int] | None] = [None] * (size + 1)
    best[size] = (0.0, size)
    for start in range(size - 1, -1, -1):
        for end in range(start + 1, min(size, start + _LONGEST_SEGMENT) + 1):
            after = best[end]
            if after is None:
                continue
            cost = _segment_cost(run[start:end])
            if cost is None or (run[start:end] in _ELIDED and (end == size or run[end] not in _VOWELS)):
                continue
            if best[start] is None or after[0] + cost < best[start][0]:
                best[start] = (after[0] + cost, end)
    if best[0] is None or best[0][0] < 2:
        return None
    parts: list[str] = []
    start = 0
    while start < size:
        end = best[start][1]
        parts.append(run[start:end])
        start = end
    return tuple(parts)


def _segment_cost(piece: str) -> float | None:
    """1 for a known word, 1.1 for an abbreviation or an inflected form, None for no word."""
    if piece in _SEGMENT_WORDS:
        return 1.1 if piece in _GLUED_ABBREVIATIONS else 1.0
    if any(piece.endswith(e) and len(piece) - len(e) >= 3 and piece[: -len(e)] in _SEGMENT_WORDS
           for e in ("s", "x", "e", "es")):
        return 1.1
    return None


class _WordReading(NamedTuple):
    """What one written word gives: its words, and what the reason should mention."""

    words: tuple[str, ...]
    spelled: tuple[str, ...]  # as written, a glued run cut into its words
    abbreviations: tuple[str, ...] = ()
    english: tuple[str, ...] = ()
    squashed: bool = False


def _expanded(word: str) -> tuple[tuple[str, ...], str, str]:
    """One word → (its words, the abbreviation expanded or "", the English word translated or "")."""
    if word in ABBREVIATIONS:
        words = ABBREVIATIONS[word]
        return words, (word.upper() if words != (word,) else ""), ""
    if word in ENGLISH:
        words = ENGLISH[word]
        return words, "", (word if words != (word,) else "")
    if word in WORD_FORMS:
        return WORD_FORMS[word], "", ""
    return (_singular(word),), "", ""


def _read_word(word: str) -> _WordReading:
    """Numbers are read as they are (not cached: ``Tag 1`` … ``Tag 200000`` would flush the cache)."""
    return _WordReading((word,), (word,)) if word.isdigit() else _read_letters(word)


@lru_cache(maxsize=16384)
def _read_letters(word: str) -> _WordReading:
    """A written word read: expanded, or cut into words when it is a glued run (``nomdelastructure``)."""
    known = _is_known(word) or _singular(word) in VOCABULARY
    parts = None if known or len(word) < _MIN_SQUASHED_LENGTH or not word.isalpha() else _segment(word)
    words: list[str] = []
    abbreviations: list[str] = []
    english: list[str] = []
    for part in parts or (word,):
        expansion, abbreviation, translation = _expanded(part)
        words.extend(expansion)
        abbreviations.extend([abbreviation] if abbreviation else [])
        english.extend([translation] if translation else [])
    return _WordReading(tuple(words), parts or (word,), tuple(abbreviations), tuple(english), parts is not None)


def _joined_phrases(words: list[str]) -> list[str]:
    """``rendez vous`` → ``rdv``, ``acces libre`` → ``acceslibre`` (only in that order)."""
    if not _PHRASE_STARTS.intersection(words):
        return words
    joined: list[str] = []
    position = 0
    while position < len(words):
        for phrase, concept in PHRASES.items():
            if tuple(words[position: position + len(phrase)]) == phrase:
                joined.append(concept)
                position += len(phrase)
                break
        else:
            joined.append(words[position])
            position += 1
    return joined


def _trailing_index(words: list[str]) -> int | None:
    """Remove and return the trailing number (``__1``, ``Tag 12``, ``coor1``); drop a question's number
    (« 3. Nom », « Q3 - Adresse »)."""
    while words and words[0].isdigit():
        words.pop(0)
    if len(words) >= 3 and words[0] in ("q", "question") and words[1].isdigit():
        del words[:2]
    if len(words) >= 2 and words[-1].isdigit() and len(words[-1]) <= 6:
        return int(words.pop())
    return None


@lru_cache(maxsize=65536)
def read_header(name: str) -> HeaderWords:
    """A column name read as words; see the module docstring for the steps."""
    text = _without_asides(_folded(str(name)))
    text, prefix, prefix_guessed = _drop_prefixes(text)
    raw = _split_words(text)
    index = _trailing_index(raw)
    readings = [_read_word(word) for word in raw]
    words = _joined_phrases([w for reading in readings for w in reading.words])
    stopwords: list[str] = []
    content: list[str] = []
    for position, word in enumerate(words):
        (stopwords if _is_stopword(words, position) else content).append(word)
    abbreviations: tuple[str, ...] = ()
    english: tuple[str, ...] = ()
    squashed: tuple[str, ...] = ()
    if any(r.abbreviations or r.english or r.squashed for r in readings):
        abbreviations = tuple(a for reading in readings for a in reading.abbreviations)
        english = tuple(e for reading in readings for e in reading.english)
        if any(reading.squashed for reading in readings):
            squashed = (" ".join(w for reading in readings for w in reading.spelled),)
    return HeaderWords(
        words=tuple(words), content=tuple(content), stopwords=tuple(stopwords), index=index, prefix=prefix,
        prefix_guessed=prefix_guessed, abbreviations=abbreviations, english=english, squashed=squashed,
    )


def _is_stopword(words: list[str], position: int) -> bool:
    """« de », « votre », numbers…; ``y`` only in « il y a », « y en a » (elsewhere it is a coordinate)."""
    word = words[position]
    if word == "y":
        before = words[position - 1] if position else ""
        after = words[position + 1] if position + 1 < len(words) else ""
        return before == "il" or after in ("a", "en", "avoir")
    return word in STOPWORDS or word.isdigit()


def header_tokens(name: str) -> tuple[str, ...]:
    """The content words of a column name: ``"Nom de votre structure"`` → (nom, structure)."""
    return read_header(name).content


def header_weekday(name: str) -> str | None:
    """The day of the week a column is about (``horaires_mardi``, « Fermeture matin lundi »), else None."""
    return next((word for word in read_header(name).content if word in WEEKDAYS), None)


# --------------------------------------------------------------------------------------------
# Matching


@dataclass(frozen=True)
class _Candidate:
    rule: _Rule
    alternative: _Alternative
    confidence: float
    words: tuple[str, ...]  # the name's words the rule explains, in the name's order
    required: frozenset[str]  # the words of the alternative found


def _candidate(rule: _Rule, content: tuple[str, ...]) -> _Candidate | None:
    present = set(content)
    if present & rule.forbidden:
        return None
    best: _Candidate | None = None
    for alternative in rule.alternatives:
        if not all(slot & present for slot in alternative.slots):
            continue
        required = set().union(*(slot & present for slot in alternative.slots))
        explained = required | (rule.optional & present) | (GENERIC_WORDS & present) | (COMPANION_WORDS & present)
        extras = present - explained
        if rule.strict and extras:
            continue
        confidence = alternative.base - EXTRA_WORD_PENALTY * len(extras)
        if (present & COMPANION_WORDS) - rule.optional:  # « Autre - Typologie »: the free text beside a field
            confidence = min(confidence, COMPANION_CONFIDENCE)
        # The most specific alternative wins (« date de création » is a creation date, not a date),
        # then the surest.
        if best is None or (len(required), confidence) > (len(best.required), best.confidence):
            shown = explained - GENERIC_WORDS - (COMPANION_WORDS - rule.optional)
            words = tuple(dict.fromkeys(w for w in content if w in shown))
            best = _Candidate(rule, alternative, confidence, words, frozenset(required))
    return best


@lru_cache(maxsize=4096)
def _best_candidate(content: tuple[str, ...]) -> _Candidate | None:
    positions = sorted({p for word in content for p in _RULES_BY_WORD.get(word, ())})
    best: _Candidate | None = None
    for position in positions:
        candidate = _candidate(RULES[position], content)
        if candidate is not None and (best is None or candidate.confidence > best.confidence):
            best = candidate
    return best if best is not None and best.confidence >= MIN_CONFIDENCE else None


def _main_reason(header: HeaderWords, candidate: _Candidate) -> str:
    if header.squashed:
        return "nom collé : " + header.squashed[0].capitalize()
    if header.abbreviations:
        label = "abréviation" if len(header.abbreviations) == 1 else "abréviations"
        return f"{label} {', '.join(dict.fromkeys(header.abbreviations))}"
    if header.english:
        return f"mot anglais : {', '.join(dict.fromkeys(header.english))}"
    return "mots du nom : " + ", ".join(candidate.words)


def _adjusted(header: HeaderWords, field: str, confidence: float, notes: list[str]) -> tuple[str, float]:
    """Lower the confidence (or change the field) for days, companions, numbered copies, prefixes, squashing."""
    content = set(header.content)
    if field == "horaires":
        day = next((w for w in header.content if w in WEEKDAYS), None)
        if day is not None:
            confidence = min(confidence, DAY_CONFIDENCE)
            notes.append(f"jour : {day}")
        elif content & (TIME_SLOT_WORDS | {"jour", "heure"}) and "horaire" not in content:
            confidence = min(confidence, DAY_CONFIDENCE)
            notes.append("tranche ou jours d'ouverture")
    companions = content & COMPANION_WORDS
    if field not in ("autres_formations_labels", "presentation_detail") and companions:
        notes.append(f"colonne de précision (« {min(companions)} »)")
    if header.index is not None and header.index >= 2:
        if field == "adresse":
            field = "complement_adresse"
            confidence = min(confidence, 0.8)
            notes.append(f"adresse, ligne {header.index}")
        else:
            confidence = min(confidence, NUMBERED_COPY_CONFIDENCE)
            notes.append(f"colonne numérotée {header.index}")
    if header.squashed:
        confidence -= SQUASHED_PENALTY
    if header.prefix:
        notes.append(f"préfixe {header.prefix} ignoré")
        if header.prefix_guessed:
            confidence -= GUESSED_PREFIX_PENALTY
    return field, confidence


def _geocoder_prefix(name: str) -> re.Match[str] | None:
    """``result_`` of ``result_city`` (the addok / adresse.data.gouv.fr CSV output), else None."""
    found = _PREFIX.match(_folded(str(name)))
    return found if found is not None and found.group(1).lower() in GEOCODER_PREFIXES else None


def _geocoder_match(found: re.Match[str], header: HeaderWords) -> HeaderMatch | None:
    """``result_postcode``: what a geocoder guessed, never the file's own value; a fallback at most."""
    rest = _lookup_key(found.string[found.end():])
    field = GEOCODER_FIELDS.get(rest)
    if field is None:
        return None
    reason = f"sortie de géocodeur ({found.group(1).lower()}_{rest}) : à vérifier, à défaut de la colonne du fichier"
    return HeaderMatch(field, GEOCODER_CONFIDENCE, reason, header.index)


def _known_name(name: str, header: HeaderWords) -> HeaderMatch | None:
    """The field's own name or a synonym, as is (1.0) or once the prefix is dropped."""
    key = _lookup_key(_folded(name)) if len(name) <= MAX_NAME_LENGTH else ""
    if key in _EXACT_NAMES:
        return HeaderMatch(_EXACT_NAMES[key], 1.0, "nom exact", None)
    if key in _SYNONYM_NAMES:
        return HeaderMatch(_SYNONYM_NAMES[key], 1.0, "synonyme", None)
    if not header.prefix:
        return None
    rest = _lookup_key(_drop_prefixes(_folded(name))[0])
    confidence = PREFIX_EXACT_CONFIDENCE - (GUESSED_PREFIX_PENALTY if header.prefix_guessed else 0.0)
    if rest in _EXACT_NAMES:
        return HeaderMatch(_EXACT_NAMES[rest], confidence, f"nom exact, préfixe {header.prefix} ignoré", None)
    if rest in _SYNONYM_NAMES:
        return HeaderMatch(_SYNONYM_NAMES[rest], confidence, f"synonyme, préfixe {header.prefix} ignoré", None)
    return None


@lru_cache(maxsize=65536)
def field_for_header(name: str) -> HeaderMatch | None:
    """The field a column name means, with a confidence (0..1) and a short French reason, or None."""
    header = read_header(name)
    known = _known_name(name, header)
    if known is not None:
        return known
    geocoder = _geocoder_prefix(name)
    if geocoder is not None:
        return _geocoder_match(geocoder, header)
    content = header.content
    if not content or set(content) & (VETO_WORDS | OFF_TOPIC_WORDS):
        return None
    candidate = _best_candidate(content)
    if candidate is None:
        return None
    notes = [candidate.alternative.note] if candidate.alternative.note else []
    field, confidence = _adjusted(header, candidate.rule.field, candidate.confidence, notes)
    if confidence < MIN_CONFIDENCE:
        return None
    reason = " ; ".join([_main_reason(header, candidate), *notes])
    return HeaderMatch(field, round(confidence, 2), reason, header.index)

"""The names a territory's file may give its columns, and the person's mapping files.

:data:`TARGET_FIELDS` are the fields a column can feed; :data:`SYNONYMS` the spellings people use
for each, compared after :func:`normalize_header` (no case, no accents, no punctuation). A mapping
file (:func:`load_mapping_file`) says the field of some columns, or to ignore them. The import
decides each column's fate with :func:`collect.column_plan.plan_columns`, which builds on these
names and on the words of the name (:mod:`collect.headers`).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from pathlib import Path

import yaml

from models.errors import InvalidMapping
from models.standard import standard_v1

# Fields Maillage keeps besides the standard: the person to contact (not published).
EXTRA_FIELDS: tuple[str, ...] = ("contact_nom", "contact_telephone", "contact_courriel")

# Fields of the legacy v0.1 standard whose VALUES the importer must translate to v1, so they keep
# their own name as a target. Plain renames of v0.1 (courriel, labels_autres, accessibilite) map
# straight to their v1 field; v0.1 ``services`` and ``modalites_accompagnement`` have the same
# name as in v1 and are recognised by their values, not here.
LEGACY_FIELDS: tuple[str, ...] = ("publics_accueillis", "conditions_acces", "labels_nationaux", "cle_ban")

TARGET_FIELDS: tuple[str, ...] = standard_v1().field_names + EXTRA_FIELDS + LEGACY_FIELDS

# Target field → normalized header spellings (see normalize_header) that mean that field.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("identifiant", "id_structure", "id_lieu", "identifiant_structure", "identifiant_lieu", "identifiant_du_lieu"),
    "pivot": (
        "siret", "siren", "n_siret", "no_siret", "numero_siret", "num_siret", "siret_structure", "numero_de_siret",
        "rna", "numero_rna", "ridet", "pivot_siret",
    ),
    "nom": (
        "nom_structure", "nom_du_lieu", "nom_lieu", "raison_sociale", "structure", "nom_de_la_structure",
        "libelle", "name", "denomination", "nom_de_la_structure_ou_du_lieu", "enseigne",
    ),
    "commune": ("ville", "localite", "nom_commune", "libelle_commune", "nom_de_la_commune", "city", "commune_nom"),
    "code_postal": ("cp", "code_postale", "codepostal", "postcode", "postal_code", "zipcode", "zip"),
    "code_insee": (
        "insee", "code_commune", "code_commune_insee", "cog", "code_insee_commune", "citycode",
        "code_insee_de_la_commune", "insee_commune",
    ),
    "adresse": (
        "adresse_postale", "rue", "voie", "adresse_1", "adresse1", "address", "numero_et_voie", "adresse_structure",
        "adresse_du_lieu", "numero_et_rue",
    ),
    "complement_adresse": ("adresse_2", "adresse2", "complement", "complement_d_adresse", "complement_de_l_adresse"),
    "latitude": ("lat", "y_wgs84", "coord_lat", "latitude_wgs84", "lat_wgs84"),
    "longitude": ("lon", "lng", "long", "x_wgs84", "coord_lon", "longitude_wgs84", "lon_wgs84"),
    "typologie": (
        "type", "type_structure", "typologie_structure", "categorie", "type_de_structure", "type_de_lieu",
        "typologie_du_lieu", "types",
    ),
    "telephone": (
        "tel", "telephone_structure", "phone", "numero_de_telephone", "tel_fixe", "standard", "telephone_fixe",
        "numero_telephone", "num_tel", "n_tel", "n_telephone", "tel_structure", "telephone_du_lieu", "telephones",
    ),
    "courriels": (
        "courriel", "email", "e_mail", "mail", "adresse_mail", "adresse_email", "mel", "adresse_e_mail",
        "adresse_electronique", "courriel_structure", "email_structure", "emails", "mails", "adresse_courriel",
    ),
    "site_web": ("site", "site_internet", "url", "web", "website", "site_web_structure", "sites_web", "site_du_lieu"),
    "horaires": ("horaires_d_ouverture", "heures_d_ouverture", "opening_hours", "horaire", "jours_et_horaires"),
    "presentation_resume": ("description_courte", "presentation", "resume", "description", "presentation_courte"),
    "presentation_detail": (
        "description_longue", "presentation_detaillee", "detail", "description_detaillee", "presentation_longue",
    ),
    "source": ("source_des_donnees", "origine"),
    "itinerance": ("itinerant", "lieu_itinerant", "mobilite"),
    "structure_parente": ("structure_porteuse", "structure_mere"),
    "date_maj": (
        "date_de_mise_a_jour", "mise_a_jour", "derniere_mise_a_jour", "updated_at", "date_modification",
        "date_mise_a_jour", "date_de_maj", "maj", "date_de_modification", "last_update",
    ),
    "services": ("services_proposes", "offre_de_services", "service", "services_offerts", "offre"),
    "publics_specifiquement_adresses": (
        "publics", "public_cible", "publics_cibles", "public", "publics_specifiques", "public_specifique",
    ),
    "prise_en_charge_specifique": ("prise_en_charge", "prises_en_charge_specifiques"),
    "frais_a_charge": ("frais", "tarifs", "cout", "gratuite", "tarif", "frais_a_la_charge_du_public"),
    "dispositif_programmes_nationaux": (
        "dispositifs", "programmes_nationaux", "dispositif", "dispositifs_nationaux", "dispositifs_programmes_nationaux",
        "dispositif_programme_national",
    ),
    "formations_labels": ("labels", "formations", "label", "labels_formations", "formations_et_labels"),
    "autres_formations_labels": ("autres_labels", "labels_autres", "autres_formations", "autre_label"),
    "modalites_acces": ("acces", "modalites_d_acces", "modalite_d_acces", "modalite_acces"),
    "modalites_accompagnement": (
        "accompagnement", "modalites_d_accompagnement", "modalite_d_accompagnement", "type_d_accompagnement",
        "types_d_accompagnement",
    ),
    "fiche_acces_libre": (
        "accessibilite", "acces_libre", "fiche_accessibilite", "acceslibre", "lien_acces_libre", "url_acces_libre",
    ),
    "prise_rdv": (
        "prise_de_rendez_vous", "rdv", "rendez_vous", "lien_rdv", "prise_de_rdv", "url_rdv",
        "lien_prise_de_rendez_vous", "prise_rendez_vous",
    ),
    "contact_nom": (
        "nom_du_contact", "contact", "referent", "personne_contact", "interlocuteur", "nom_contact", "nom_referent",
        "personne_a_contacter", "nom_du_referent",
    ),
    "contact_telephone": (
        "telephone_contact", "tel_contact", "tel_referent", "telephone_referent", "telephone_du_contact",
        "contact_tel",
    ),
    "contact_courriel": (
        "courriel_contact", "email_contact", "mail_contact", "mail_referent", "courriel_referent", "email_referent",
        "contact_email", "contact_mail", "courriel_du_contact",
    ),
    "publics_accueillis": ("public_accueilli", "publics_accueilli"),
    "conditions_acces": ("conditions_d_acces", "condition_d_acces", "condition_acces"),
    "labels_nationaux": ("label_national", "labels_national"),
    "cle_ban": ("cle_interop", "cle_interoperabilite", "id_ban"),
}

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_header(name: str) -> str:
    """``"Code Postal "`` → ``code_postal``, ``"Téléphone"`` → ``telephone``, ``"E-mail"`` → ``e_mail``."""
    name = str(name)
    if name.isascii():  # the same result, without decomposing character by character
        return _NON_ALNUM.sub("_", name.lower()).strip("_")
    decomposed = unicodedata.normalize("NFKD", str(name).translate(_LIGATURES))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    return _NON_ALNUM.sub("_", bare).strip("_")


def _build_lookup() -> tuple[dict[str, str], dict[str, str]]:
    exact = {normalize_header(target): target for target in TARGET_FIELDS}
    synonyms: dict[str, str] = {}
    for target, spellings in SYNONYMS.items():
        for spelling in spellings:
            key = normalize_header(spelling)
            if key in exact or synonyms.get(key, target) != target:
                raise RuntimeError(f"synonyme ambigu : {spelling!r}")  # pragma: no cover - caught by tests
            synonyms[key] = target
    return exact, synonyms


_EXACT, _SYNONYM = _build_lookup()


def _field_name(value: str) -> str | None:
    """The target field ``value`` names (exactly, or once normalized), else None."""
    if value in TARGET_FIELDS:
        return value
    return _EXACT.get(normalize_header(value))


def _unknown_field_message(value: str) -> str:
    close = difflib.get_close_matches(normalize_header(value), TARGET_FIELDS, n=1, cutoff=0.7)
    hint = f" (vouliez-vous dire « {close[0]} » ?)" if close else ""
    return f"champ inconnu « {value} »{hint}. Champs possibles : {', '.join(TARGET_FIELDS)}"


# --------------------------------------------------------------------------------------------
# Mapping files


def _checked_target(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise InvalidMapping(f"{where} : le champ doit être un nom de champ ou ~ pour ignorer la colonne")
    text = str(value).strip()
    if not text or text in ("~", "null"):
        return None
    target = _field_name(text)
    if target is None:
        raise InvalidMapping(f"{where} : {_unknown_field_message(text)}")
    return target


_YAML_PROBLEMS = (
    ("'\\t'", "tabulation interdite : indentez avec des espaces"),
    ("mapping values are not allowed", "deux-points inattendu : mettez entre guillemets un nom qui contient « : »"),
    ("expected ',' or ']'", "crochet « [ » jamais refermé"),
    ("expected ',' or '}'", "accolade « { » jamais refermée"),
    ("found unexpected end of stream", "guillemet jamais refermé"),
    ("found undefined alias", "« * » inattendu : mettez ce nom entre guillemets"),
    ("expected alphabetic or numeric character", "« & » ou « * » inattendu : mettez ce nom entre guillemets"),
    ("found character '%'", "« % » inattendu : mettez ce nom entre guillemets"),
    ("found character '@'", "« @ » inattendu : mettez ce nom entre guillemets"),
    ("found character '`'", "« ` » inattendu : mettez ce nom entre guillemets"),
    ("found another document", "plusieurs documents séparés par « --- » : n'en gardez qu'un"),
    ("expected <block end>", "indentation incohérente ou élément inattendu à cet endroit"),
    ("could not find expected ':'", "deux-points « : » attendu après le nom de la colonne"),
    ("found unknown escape character", "séquence « \\ » inconnue entre guillemets doubles : mettez des guillemets simples"),
    ("expected a comment or a line break", "texte inattendu après la valeur : mettez-la entre guillemets"),
    ("found character that cannot start any token", "caractère inattendu : mettez ce nom entre guillemets"),
    ("could not determine a constructor", "étiquette « ! » non prise en charge : retirez-la"),
    ("expected <document start>", "contenu inattendu : une ligne « colonne: champ » par colonne"),
    ("found duplicate anchor", "« & » inattendu : mettez ce nom entre guillemets"),
)


def _yaml_problem(error: yaml.YAMLError) -> str:
    problem = str(getattr(error, "problem", None) or "")
    for english, french in _YAML_PROBLEMS:
        if english in problem:
            return french
    # PyYAML's other reasons are English: say where, and what to check, in French.
    return "syntaxe invalide (vérifiez l'indentation, les deux-points et les guillemets)"


def _yaml_invalid(error: yaml.YAMLError, text: str, name: str) -> InvalidMapping:
    """The French error for a YAML syntax problem, with its line."""
    if isinstance(error, yaml.reader.ReaderError):  # a control character, refused before any parsing
        line = text.count("\n", 0, max(error.position, 0)) + 1
        return InvalidMapping(
            f"{name}, ligne {line} : YAML invalide (caractère de contrôle interdit, code {error.character:#04x})"
        )
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = f"{name}, ligne {mark.line + 1}" if mark is not None else name
    return InvalidMapping(f"{where} : YAML invalide ({_yaml_problem(error)})")


def _load_yaml(text: str, name: str) -> dict[str, str | None]:
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as error:
        raise _yaml_invalid(error, text, name) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise InvalidMapping(f"{name} : fichier de correspondance vide")
        if (
            isinstance(root, yaml.MappingNode)
            and len(root.value) == 1
            and loader.construct_object(root.value[0][0]) == "colonnes"
        ):
            root = root.value[0][1]
            if isinstance(root, yaml.ScalarNode) and loader.construct_object(root) is None:
                raise InvalidMapping(f"{name} : la section « colonnes » est vide")
        if not isinstance(root, yaml.MappingNode):
            line = root.start_mark.line + 1
            raise InvalidMapping(
                f"{name}, ligne {line} : attendu des lignes « colonne du fichier: champ » (ou ~ pour ignorer)"
            )
        mapping: dict[str, str | None] = {}
        for key_node, value_node in root.value:
            line = key_node.start_mark.line + 1
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float)) or isinstance(key, bool) or not str(key).strip():
                raise InvalidMapping(f"{name}, ligne {line} : nom de colonne invalide")
            value = loader.construct_object(value_node, deep=True)
            column = str(key).strip()
            if column in mapping:
                raise InvalidMapping(f"{name}, ligne {line} : la colonne « {column} » est déjà définie plus haut")
            mapping[column] = _checked_target(value, f"{name}, ligne {line}, colonne « {column} »")
        return mapping
    except yaml.YAMLError as error:
        raise _yaml_invalid(error, text, name) from None
    except RecursionError:
        raise InvalidMapping(f"{name} : YAML invalide (listes ou sections imbriquées trop profondément)") from None
    finally:
        loader.dispose()


def _load_csv(text: str, name: str) -> dict[str, str | None]:
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first.count) if first else ","
    mapping: dict[str, str | None] = {}
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    previous = 0
    seen_header = False
    try:
        for record in reader:
            line, previous = previous + 1, reader.line_num
            cells = [cell.strip() for cell in record]
            while cells and not cells[-1]:
                cells.pop()
            if not cells:
                continue
            if not seen_header:
                seen_header = True
                if [normalize_header(c) for c in cells] == ["colonne", "champ"]:
                    continue
            if len(cells) > 2:
                raise InvalidMapping(
                    f"{name}, ligne {line} : attendu deux cellules « colonne{delimiter}champ », "
                    f"trouvé {len(cells)}"
                )
            column = cells[0]
            if not column:
                raise InvalidMapping(f"{name}, ligne {line} : nom de colonne vide")
            if column in mapping:
                raise InvalidMapping(f"{name}, ligne {line} : la colonne « {column} » est déjà définie plus haut")
            value = cells[1] if len(cells) == 2 else None
            mapping[column] = _checked_target(value, f"{name}, ligne {line}, colonne « {column} »")
    except csv.Error as error:
        raise InvalidMapping(f"{name}, ligne {previous + 1} : CSV invalide ({error})") from None
    return mapping


def load_mapping_file(path: str | Path) -> dict[str, str | None]:
    """Read a column mapping file: YAML ``{colonne: champ}`` (``~`` = ignore, optionally under
    ``colonnes:``) or CSV ``colonne,champ``. Malformed → :class:`InvalidMapping` (file, line)."""
    p = Path(path)
    name = p.name or str(path)
    try:
        data = p.read_bytes()
    except OSError as error:
        raise InvalidMapping(f"{name} : fichier de correspondance illisible ({error.strerror or error})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if not text.strip():
        raise InvalidMapping(f"{name} : fichier de correspondance vide")
    if "\x00" in text:
        raise InvalidMapping(f"{name} : ce n'est pas un fichier texte (YAML ou CSV)")
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _load_csv(text, name)
    if suffix in (".yaml", ".yml"):
        return _load_yaml(text, name)
    first = next(line for line in text.splitlines() if line.strip())
    if normalize_header(first) == "colonne_champ":
        return _load_csv(text, name)
    return _load_yaml(text, name)

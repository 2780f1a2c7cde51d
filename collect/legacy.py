"""Values of the legacy standard v0.1.1 mapped to the lists of v1.0.x.

The v0.1 lists (read from ``models/data/standard/v0.1.1/schema.json``) were condensed or split
in v1 (see ``descriptif-des-evolutions``): 15 services became 9, ``publics_accueillis`` was split
into ``publics_specifiquement_adresses`` and ``prise_en_charge_specifique``, ``conditions_acces``
became ``frais_a_charge``, ``labels_nationaux`` was split into ``dispositif_programmes_nationaux``
and ``formations_labels``. The correspondence below is Maillage's reading of that changelog; a
value with no v1 equivalent is kept as text (labels) or set aside with a warning, never dropped.

Keys are matched on the part before `` : `` (v0 values are ``"Gratuit : Je peux accéder…"``),
accents and case ignored, so short and long spellings both map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from models.text import fold_accents

# v0 field → list of (v0 value, v1 field, v1 value). v1 value None: no equivalent in v1.
LEGACY_VALUE_MAP: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "services": (
        ("Devenir autonome dans les démarches administratives", "services", "Aide aux démarches administratives"),
        ("Réaliser des démarches administratives avec un accompagnement", "services", "Aide aux démarches administratives"),
        ("Accompagner les démarches de santé", "services", "Aide aux démarches administratives"),
        ("Prendre en main un smartphone ou une tablette", "services", "Maîtrise des outils numériques du quotidien"),
        ("Prendre en main un ordinateur", "services", "Maîtrise des outils numériques du quotidien"),
        ("Utiliser le numérique au quotidien", "services", "Maîtrise des outils numériques du quotidien"),
        ("Approfondir ma culture numérique", "services", "Compréhension du monde numérique"),
        ("Promouvoir la citoyenneté numérique", "services", "Compréhension du monde numérique"),
        ("Favoriser mon insertion professionnelle", "services", "Insertion professionnelle via le numérique"),
        ("Créer et développer mon entreprise", "services", "Insertion professionnelle via le numérique"),
        ("Accéder à une connexion internet", "services", "Accès internet et matériel informatique"),
        ("Accéder à du matériel", "services", "Accès internet et matériel informatique"),
        ("S'équiper en matériel informatique", "services", "Acquisition de matériel informatique à prix solidaire"),
        ("Créer avec le numérique", "services", "Loisirs et créations numériques"),
        ("Soutenir la parentalité et l'éducation avec le numérique", "services", "Parentalité et éducation avec le numérique"),
    ),
    "publics_accueillis": (
        ("Seniors (+ 65 ans)", "publics_specifiquement_adresses", "Seniors"),
        ("Familles/enfants", "publics_specifiquement_adresses", "Familles et/ou enfants"),
        ("Jeunes (16-26 ans)", "publics_specifiquement_adresses", "Jeunes"),
        ("Uniquement femmes", "publics_specifiquement_adresses", "Femmes"),
        ("Adultes", "publics_specifiquement_adresses", None),
        ("Public langues étrangères", "prise_en_charge_specifique", "Langues étrangères (autres)"),
        ("Déficience visuelle", "prise_en_charge_specifique", "Déficience visuelle"),
        ("Surdité", "prise_en_charge_specifique", "Surdité"),
        ("Handicaps psychiques", "prise_en_charge_specifique", "Handicaps mentaux"),
        ("Handicaps mentaux", "prise_en_charge_specifique", "Handicaps mentaux"),
        ("Personnes en situation d'illettrisme", "prise_en_charge_specifique", "Illettrisme"),
    ),
    "conditions_acces": (
        ("Gratuit", "frais_a_charge", "Gratuit"),
        ("Gratuit sous condition", "frais_a_charge", "Gratuit sous condition"),
        ("Payant", "frais_a_charge", "Payant"),
        ("Accepte le Pass numérique", "frais_a_charge", "Gratuit sous condition"),
        ("Adhésion", "frais_a_charge", "Payant"),
    ),
    "labels_nationaux": (
        ("France Services", "dispositif_programmes_nationaux", "France Services"),
        ("CNFS", "dispositif_programmes_nationaux", "Conseillers numériques"),
        ("Conseillers numériques", "dispositif_programmes_nationaux", "Conseillers numériques"),
        ("Aidants Connect", "dispositif_programmes_nationaux", "Aidants Connect"),
        ("Grandes écoles du numérique", "dispositif_programmes_nationaux", "Grande école du numérique"),
        ("Point relais CAF", "dispositif_programmes_nationaux", "Point d'accès numérique CAF"),
        ("Point numérique CAF", "dispositif_programmes_nationaux", "Point d'accès numérique CAF"),
        ("Fabriques de Territoire", "formations_labels", "Fabriques de Territoire"),
        ("APTIC", "autres_formations_labels", "APTIC"),
        ("Relais pôle emploi", "autres_formations_labels", "Relais pôle emploi"),
        ("French Tech", "autres_formations_labels", "French Tech"),
        ("Campus connecté", "autres_formations_labels", "Campus connecté"),
    ),
    "modalites_accompagnement": (
        ("Seul", "modalites_accompagnement", "En autonomie"),
        ("Avec de l'aide", "modalites_accompagnement", "Accompagnement individuel"),
        ("Dans un atelier", "modalites_accompagnement", "Dans un atelier collectif"),
        ("A ma place", "modalites_accompagnement", "Accompagnement individuel"),
    ),
}

# Legacy fields whose values need translating (their headers are kept as these targets).
LEGACY_FIELDS = ("publics_accueillis", "conditions_acces", "labels_nationaux")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lowercase, without accents, apostrophes unified and spaces collapsed: the key to compare labels."""
    return " ".join(fold_accents(text.replace("’", "'")).split())


def _head(value: str) -> str:
    """The label part of a v0 value (``"Payant : L'accès…"`` → ``"Payant"``)."""
    return value.split(" : ", 1)[0].split(" :", 1)[0].strip()


_INDEX = {
    source_field: {fold(v0): (target, v1) for v0, target, v1 in entries}
    for source_field, entries in LEGACY_VALUE_MAP.items()
}


@dataclass
class LegacyTranslation:
    """The v1 values a legacy cell gives, and the values that have no v1 equivalent."""

    values: dict[str, list[str]] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)


def translate_legacy(source_field: str, values: list[str]) -> LegacyTranslation:
    """Map v0.1 values of ``source_field`` to v1 fields, e.g. ``labels_nationaux: ["CNFS"]``."""
    index = _INDEX.get(source_field, {})
    result = LegacyTranslation()
    for value in values:
        hit = index.get(fold(_head(value))) or index.get(fold(value))
        if hit is None:
            result.unmapped.append(value)
            continue
        target, v1 = hit
        if v1 is None:
            continue
        bucket = result.values.setdefault(target, [])
        if v1 not in bucket:
            bucket.append(v1)
    return result

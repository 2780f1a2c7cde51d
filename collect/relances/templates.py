"""What a relance says: the campaign's French template and its settings, the rendering of one
structure's message, and the RFC 5322 message of a recorded relance.

The template is the campaign's ``relance_objet``/``relance_corps`` (NULL → ``DEFAULT_OBJET``/
``DEFAULT_CORPS``), with ``{champ}`` placeholders from an allowlist (``PLACEHOLDERS``), replaced
by a regular expression, never ``str.format``. The same form sets the campaign's limits
(``relance_delai_jours``, ``relance_max``: see ``collect.relances.selection.campaign_limits``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import duckdb
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from collect.campaigns import edit_campaign_settings, get_campaign
from collect.relances.errors import RelanceError
from collect.relances.selection import campaign_limits, mail_address
from models.access import require
from models.audit import record_audit
from models.campaign_rules import DEFAULT_DELAI_JOURS, DEFAULT_MAX_RELANCES
from models.edits import EditResult
from models.errors import StructureNotFound
from models.normalize import phone_display
from models.registry import get_structure
from models.store import utc_now

# -- the template ---------------------------------------------------------------------------------

DEFAULT_OBJET = "{nom} : diagnostic de l'inclusion numérique, votre réponse compte"
DEFAULT_CORPS = """Bonjour,

Dans le cadre de la campagne « {campagne} », nous recensons les lieux qui accompagnent les habitants \
dans leurs usages du numérique. Nous avons essayé de joindre {nom} ({commune}) pour mettre à jour sa \
fiche, sans y parvenir jusqu'ici.

Votre réponse nous aide à orienter chaque habitant vers le bon lieu et à faire connaître vos services. \
L'échange prend une quinzaine de minutes : vous pouvez répondre à ce courriel en indiquant un créneau \
qui vous convient, et nous vous rappellerons.

Ce que nous savons de votre structure :
- adresse : {adresse}, {code_postal} {commune}
- téléphone : {telephone}

Si vous ne souhaitez plus recevoir ces messages, répondez simplement « STOP » à ce courriel.

Merci d'avance et bonne journée,
L'équipe de la campagne « {campagne} »
"""

# The only fields a template may use ({champ}), with what they hold (shown on the page).
PLACEHOLDERS: dict[str, str] = {
    "nom": "nom de la structure",
    "commune": "commune",
    "code_postal": "code postal",
    "adresse": "adresse",
    "telephone": "téléphone de la structure",
    "site_web": "site web (le premier)",
    "courriel": "adresse e-mail à laquelle part la relance",
    "contact_nom": "nom du contact de la structure",
    "campagne": "nom de la campagne",
    "date_debut": "date de début de la campagne (jj/mm/aaaa)",
    "date_fin": "date de fin de la campagne (jj/mm/aaaa)",
}

# {champ}; {{ and }} write a literal brace. Rendering never uses str.format (no attribute access).
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}\n]*)\}")


def _placeholder_name(raw: str) -> str:
    return raw.strip().lower()


def template_errors(text: str) -> list[str]:
    """The placeholders of ``text`` that are not known fields, as written (``{siret2}``)."""
    unknown = []
    for match in _PLACEHOLDER.finditer(text):
        if match.group(1) is not None and _placeholder_name(match.group(1)) not in PLACEHOLDERS:
            written = match.group(0)
            if written not in unknown:
                unknown.append(written)
    return unknown


def check_template(text: str, *, what: str = "Le modèle") -> None:
    """Raise a French ``RelanceError`` naming the unknown placeholders of ``text``, if any."""
    unknown = template_errors(text)
    if not unknown:
        return
    names = ", ".join(f"« {u} »" for u in unknown)
    known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    verb = "n'est pas un champ connu" if len(unknown) == 1 else "ne sont pas des champs connus"
    raise RelanceError(f"{what} : {names} {verb}. Champs possibles : {known}.")


def render_template(text: str, fields: Mapping[str, str]) -> str:
    """``text`` with each ``{champ}`` replaced by ``fields[champ]`` (checked first: unknown → error)."""
    check_template(text)

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "{{":
            return "{"
        if match.group(0) == "}}":
            return "}"
        return fields.get(_placeholder_name(match.group(1)), "")

    return _PLACEHOLDER.sub(replace, text)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return str(value[0]) if value else ""
    if isinstance(value, date):  # datetime too
        return value.strftime("%d/%m/%Y")
    return str(value)


def template_fields(
    campaign: Mapping[str, Any], structure: Mapping[str, Any], destinataire: str | None = None
) -> dict[str, str]:
    """The values of every placeholder for one structure of a campaign (empty text when unknown)."""
    values = {name: _text(structure.get(name)) for name in (
        "nom", "commune", "code_postal", "adresse", "site_web", "contact_nom",
    )}
    values["telephone"] = phone_display(structure.get("telephone"))
    values["courriel"] = destinataire or _text(mail_address(structure))
    values["campagne"] = _text(campaign.get("nom"))
    values["date_debut"] = _text(campaign.get("date_debut"))
    values["date_fin"] = _text(campaign.get("date_fin"))
    return values


def relance_template(con: duckdb.DuckDBPyConnection, campaign_id: str) -> tuple[str, str]:
    """The campaign's (subject, body) template, the French default where it has none."""
    campaign = get_campaign(con, campaign_id)
    return campaign.get("relance_objet") or DEFAULT_OBJET, campaign.get("relance_corps") or DEFAULT_CORPS


def render_message(campaign: Mapping[str, Any], structure: Mapping[str, Any], destinataire: str) -> tuple[str, str]:
    """The (subject, body) of one structure's relance; the subject always on one line."""
    fields = template_fields(campaign, structure, destinataire)
    objet = render_template(campaign.get("relance_objet") or DEFAULT_OBJET, fields)
    corps = render_template(campaign.get("relance_corps") or DEFAULT_CORPS, fields)
    return " ".join(objet.split()), corps


def preview_message(con: duckdb.DuckDBPyConnection, campaign_id: str, structure_id: str) -> dict[str, str | None]:
    """What a structure's relance would look like: destinataire (None without address), objet, corps."""
    campaign = get_campaign(con, campaign_id)
    structure = get_structure(con, structure_id)
    if structure is None:
        raise StructureNotFound(structure_id)
    destinataire = mail_address(structure)
    objet, corps = render_message(campaign, structure, destinataire or "")
    return {"destinataire": destinataire, "objet": objet, "corps": corps}


# -- the campaign's settings: template and limits, as the coordinator types them ---------------


class RelanceSettings(BaseModel):
    """A campaign's relance settings as the coordinator types them; None/blank template → default."""

    model_config = ConfigDict(str_strip_whitespace=True)

    objet: str | None = Field(None, max_length=200)
    corps: str | None = Field(None, max_length=20_000)
    delai_jours: int = Field(DEFAULT_DELAI_JOURS, ge=0, le=365)
    max_relances: int = Field(DEFAULT_MAX_RELANCES, ge=1, le=10)

    @field_validator("objet", "corps", mode="before")
    @classmethod
    def _blank_is_default(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


_SETTINGS_MESSAGES = {
    "objet": "l'objet tient en 200 caractères au plus",
    "corps": "le texte du courriel tient en 20 000 caractères au plus",
    "delai_jours": "le délai entre deux relances est un nombre de jours entre 0 et 365",
    "max_relances": "le nombre maximum de relances est un nombre entre 1 et 10",
}


def set_relance_settings(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    *,
    objet: str | None,
    corps: str | None,
    delai_jours: int = DEFAULT_DELAI_JOURS,
    max_relances: int = DEFAULT_MAX_RELANCES,
    by: str,
) -> RelanceSettings:
    """Save a campaign's template (blank → the default one) and relance limits, after checking them."""
    require(con, by, "relancer")
    get_campaign(con, campaign_id)
    try:
        settings = RelanceSettings(objet=objet, corps=corps, delai_jours=delai_jours, max_relances=max_relances)
    except ValidationError as error:
        keys = dict.fromkeys(str(e["loc"][0]) for e in error.errors() if e["loc"])
        raise RelanceError(
            "Réglages de relance invalides : " + " ; ".join(_SETTINGS_MESSAGES.get(k, k) for k in keys) + "."
        ) from None
    if settings.objet is not None:
        if "\n" in settings.objet or "\r" in settings.objet:
            raise RelanceError("L'objet du courriel tient sur une seule ligne.")
        check_template(settings.objet, what="L'objet")
    if settings.corps is not None:
        check_template(settings.corps, what="Le texte du courriel")
    con.execute(
        "UPDATE campaigns SET relance_objet = ?, relance_corps = ?, relance_delai_jours = ?, relance_max = ?,"
        " updated_at = ?, updated_by = ? WHERE id = ?",
        [settings.objet, settings.corps, settings.delai_jours, settings.max_relances, utc_now(), by, campaign_id],
    )
    record_audit(con, actor=by, action="relance.settings", entity="campaigns", entity_id=campaign_id,
                 details={"delai_jours": settings.delai_jours, "max_relances": settings.max_relances,
                          "modele_par_defaut": settings.objet is None and settings.corps is None})
    return settings


RELANCE_SETTINGS = ("objet", "corps", "delai_jours", "max_relances")


def relance_settings_shown(campaign: Mapping[str, Any]) -> dict[str, Any]:
    """A campaign's relance settings as the template form shows them (the defaults where none is stored)."""
    delai_jours, max_relances = campaign_limits(campaign)
    return {
        "objet": campaign.get("relance_objet") or DEFAULT_OBJET,
        "corps": campaign.get("relance_corps") or DEFAULT_CORPS,
        "delai_jours": delai_jours,
        "max_relances": max_relances,
    }


def edit_relance_settings(
    con: duckdb.DuckDBPyConnection, campaign_id: str, changes: Mapping[str, tuple[Any, Any]], *, by: str
) -> EditResult:
    """Save the relance settings a person changed, each as ``(based_on, new)``: the value the form
    showed and the one typed (``models.edits``). A setting still holding ``based_on`` gets ``new``; one
    someone else changed meanwhile is left as it is and comes back as a conflict (the campaign's last
    writer and time), audited; the others are written by ``set_relance_settings`` (same checks; a
    setting not sent keeps what is stored, a default template stays the default)."""
    require(con, by, "relancer")
    unknown = sorted(set(changes) - set(RELANCE_SETTINGS))
    if unknown:
        raise RelanceError(f"Réglage de relance inconnu : {', '.join(unknown)}.")
    def save(campaign: dict[str, Any], written: dict[str, Any]) -> None:
        # a template the form showed as the default and nobody changed stays the default (NULL)
        stored = {**relance_settings_shown(campaign), "objet": campaign.get("relance_objet"),
                  "corps": campaign.get("relance_corps")}
        set_relance_settings(con, campaign_id, **{**stored, **written}, by=by)

    return edit_campaign_settings(con, campaign_id, changes, shown=relance_settings_shown, save=save,
                                  conflict_action="relance.conflict", by=by)


# -- the e-mail of a recorded relance -------------------------------------------------------------


def build_message(
    row: Mapping[str, Any],
    *,
    expediteur: str | None = None,
    nom_expediteur: str | None = None,
    repondre_a: str | None = None,
    date_header: datetime | None = None,
    draft: bool = False,
) -> EmailMessage:
    """The RFC 5322 message of one ``relances`` row (UTF-8 text, quoted-printable).

    ``draft`` adds ``X-Unsent: 1``, so that Outlook opens an exported ``.eml`` ready to send.
    """
    international = not (row["destinataire"] + (expediteur or "") + (repondre_a or "")).isascii()
    message = EmailMessage(policy=policy.SMTPUTF8 if international else policy.SMTP)
    if expediteur:
        message["From"] = Address(display_name=nom_expediteur or "", addr_spec=expediteur)
    message["To"] = row["destinataire"]
    if repondre_a:
        message["Reply-To"] = repondre_a
    message["Subject"] = row["objet"]
    message["Date"] = format_datetime(date_header or utc_now())
    message["Message-ID"] = row["message_id"]
    if expediteur:
        message["List-Unsubscribe"] = f"<mailto:{expediteur}?subject=STOP>"
    if draft:
        message["X-Unsent"] = "1"
    message.set_content(row["corps"], charset="utf-8", cte="quoted-printable")
    return message

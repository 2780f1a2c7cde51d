"""Relances: reminder mails to a campaign's non-respondents, sent by SMTP or exported.

The coordinator works in four steps, each a function of this module:

1. **Choose** (``relance_candidates``): the targets matching rules (``RelanceRule``) —
   ``sans_contact`` (at least N attempts, never reached), ``partielle`` (questionnaire started,
   not finished), ``promesse`` (a call-back or appointment whose time has passed with no
   interview since) — and, for every other target, why it is left out. Never mailed, whatever
   the caller asks: completed (1.1, or a submitted response), refused (2.11, soft or hard), not
   eligible (4.x) and opted-out structures (``mail_opt_outs``). Also left out: no e-mail address,
   the campaign's ``relance_max`` reached, the last relance less than ``relance_delai_jours``
   days ago, or a relance already prepared and not yet sent. Relances ``envoyee``, ``exportee``
   and ``en_cours`` count as sent for these limits.
2. **Prepare** (``prepare_batch``): one ``relances`` row per structure, in one transaction, with
   the message rendered from the campaign's French template (``relance_objet``/``relance_corps``,
   NULL → ``DEFAULT_OBJET``/``DEFAULT_CORPS``; ``{champ}`` placeholders from an allowlist,
   ``PLACEHOLDERS``) and a fixed ``Message-ID``. The exclusions are checked again there.
3. **Send** (``send_batch``) through the SMTP server of the ``[smtp]`` table of
   ``.streamlit/secrets.toml`` (``SmtpSettings``), or **export** (``export_batch``,
   ``batch_zip_bytes``): one ``.eml`` per message and a ``relances.csv`` for the organisation's
   own mailer.
4. **Follow** (``relance_history``, ``batch_rows``), and settle what is uncertain
   (``resolve_uncertain``) or abandoned (``cancel_batch``).

At most once: a row is marked ``en_cours`` (committed) before its message is handed to the
server, then ``envoyee`` or ``echec``. ``send_batch`` only takes rows ``a_envoyer`` or ``echec``:
a retry after a failure sends only what was not sent. A row left ``en_cours`` (a crash, or a
connection cut while the server was taking the message) may have been delivered: it is never
re-sent automatically, but reported as « envoi incertain » until the coordinator says whether
it arrived (``resolve_uncertain``).

Statuses of a row: ``a_envoyer`` → ``en_cours`` → ``envoyee`` | ``echec`` (retried by the next
``send_batch``); ``exportee`` once written to files; ``annulee`` when cancelled or when the
structure became un-mailable (completed, refused, opted out) before sending.
"""

from __future__ import annotations

import io
import re
import smtplib
import ssl
import tomllib
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import duckdb
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from collect.calls import Case, load_cases
from collect.surveys import SurveyError, get_campaign
from models.access import require
from models.audit import record_audit
from models.dispositions import CALLBACK_OUTCOMES, outcome_rule
from models.edits import EditResult, plan_edit, planned_result
from models.errors import InvalidValue, StructureNotFound
from models.ids import new_id
from models.normalize import normalize_email, phone_display
from models.records import RELANCE_STATUS_LABELS, Canal
from models.registry import get_structure
from models.store import Store, fetch_dicts, utc_now
from sync.excel_csv import excel_csv_bytes, write_excel_csv


class RelanceError(SurveyError):
    """A relance action is impossible (bad template, SMTP settings, unknown batch…); message in French."""


SECRETS_PATH = Path(".streamlit") / "secrets.toml"

STATUS_LABELS = RELANCE_STATUS_LABELS  # models.records: the closed list, defined once
# Rows that count as sent for the delay and the maximum (``en_cours`` may have been delivered).
SENT_STATUSES = ("envoyee", "exportee", "en_cours")
# Rows still waiting to go out: ``send_batch`` takes them; a structure with one is not prepared again.
PENDING_STATUSES = ("a_envoyer", "echec")

DEFAULT_DELAI_JOURS = 7
DEFAULT_MAX_RELANCES = 2


# -- rules and selection --------------------------------------------------------------------------

RuleName = Literal["sans_contact", "partielle", "promesse"]

RULE_LABELS: dict[str, str] = {
    "sans_contact": "Jamais jointe après N tentatives",
    "partielle": "Questionnaire commencé, pas terminé",
    "promesse": "A promis de répondre (rappel ou rendez-vous passé sans entretien)",
}


class RelanceRule(BaseModel):
    """Which non-respondents to remind: one or more rules (a structure matching any is chosen)."""

    model_config = ConfigDict(frozen=True)

    regles: tuple[RuleName, ...] = Field(min_length=1)
    min_tentatives: int = Field(3, ge=1, le=50)  # for ``sans_contact``


@dataclass(frozen=True)
class Candidate:
    """A structure that may be reminded, the address used and why it is chosen (French)."""

    structure_id: str
    nom: str
    commune: str | None
    destinataire: str
    motif: str
    regles: tuple[str, ...]
    tentatives: int
    relances: int  # relances already sent in this campaign


@dataclass(frozen=True)
class Exclusion:
    """A structure left out, with a stable ``code`` and the French reason."""

    structure_id: str
    nom: str
    # complete | refus | non_eligible | desinscrite | hors_regles | sans_courriel | maximum | delai
    # | en_attente | hors_cible
    code: str
    motif: str


@dataclass
class Selection:
    """The result of ``relance_candidates``: every target is in exactly one of the two lists."""

    candidates: list[Candidate] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)


@dataclass
class _Target:
    """One campaign target with all the relance rules need (see ``_targets``)."""

    case: Case
    row: dict[str, Any]
    destinataire: str | None
    repondu: bool
    refus: str | None  # refus_ferme or refus_doux when any
    desinscrite: bool
    motif_desinscription: str | None
    envoyees: int
    derniere: datetime | None
    en_attente: int


_TARGETS_SQL = """
WITH refusals AS (
    SELECT structure_id, bool_or(outcome = 'refus_ferme') AS ferme
    FROM call_attempts
    WHERE campaign_id = $campaign AND deleted_at IS NULL AND outcome IN ('refus_doux', 'refus_ferme')
    GROUP BY structure_id),
answered AS (
    SELECT DISTINCT structure_id FROM responses WHERE campaign_id = $campaign AND deleted_at IS NULL),
sent AS (
    SELECT structure_id,
           count(*) FILTER (WHERE list_contains($sent, statut)) AS envoyees,
           max(coalesce(sent_at, updated_at)) FILTER (WHERE list_contains($sent, statut)) AS derniere,
           count(*) FILTER (WHERE list_contains($pending, statut)) AS en_attente
    FROM relances WHERE campaign_id = $campaign GROUP BY structure_id)
SELECT t.structure_id, s.nom, s.commune, s.code_postal, s.adresse, s.telephone, s.site_web, s.courriels,
       s.contact_courriel, s.contact_nom,
       a.structure_id IS NOT NULL AS repondu,
       CASE WHEN r.ferme THEN 'refus_ferme' WHEN r.structure_id IS NOT NULL THEN 'refus_doux' END AS refus,
       o.structure_id IS NOT NULL AS desinscrite, o.motif AS motif_desinscription,
       coalesce(x.envoyees, 0) AS envoyees, x.derniere, coalesce(x.en_attente, 0) AS en_attente
FROM campaign_targets t
JOIN structures s ON s.id = t.structure_id
LEFT JOIN refusals r ON r.structure_id = t.structure_id
LEFT JOIN answered a ON a.structure_id = t.structure_id
LEFT JOIN mail_opt_outs o ON o.structure_id = t.structure_id
LEFT JOIN sent x ON x.structure_id = t.structure_id
WHERE t.campaign_id = $campaign AND t.deleted_at IS NULL AND s.deleted_at IS NULL
"""


def mail_address(row: Mapping[str, Any]) -> str | None:
    """The address a relance goes to: the structure's first public e-mail, else its contact's."""
    for address in row.get("courriels") or []:
        if address:
            return str(address)
    return row.get("contact_courriel") or None


def _targets(con: duckdb.DuckDBPyConnection, campaign_id: str) -> dict[str, _Target]:
    """Every target of the campaign with its case, fields, refusals, opt-out and relances so far."""
    cases = {case.structure_id: case for case in load_cases(con, campaign_id)}
    rows = fetch_dicts(con, _TARGETS_SQL, {
        "campaign": campaign_id, "sent": list(SENT_STATUSES), "pending": list(PENDING_STATUSES),
    })
    targets = {}
    for row in rows:
        case = cases.get(row["structure_id"])
        if case is None:  # not possible with both queries in one transaction; kept safe
            continue
        targets[row["structure_id"]] = _Target(
            case=case, row=row, destinataire=mail_address(row), repondu=bool(row["repondu"]), refus=row["refus"],
            desinscrite=bool(row["desinscrite"]), motif_desinscription=row["motif_desinscription"],
            envoyees=int(row["envoyees"]), derniere=_aware(row["derniere"]), en_attente=int(row["en_attente"]),
        )
    return targets


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _check_now(now: datetime | None) -> datetime:
    if now is None:
        return utc_now()
    if now.tzinfo is None:
        raise RelanceError("L'heure de référence doit porter son fuseau horaire.")
    return now


def _never_mail(target: _Target) -> tuple[str, str] | None:
    """Why this structure must never be mailed (completed, refused, not eligible, opted out), or None."""
    case = target.case
    if case.summary.has_complete or target.repondu:
        return "complete", "questionnaire complet (1.1) : déjà répondu"
    if target.refus == "refus_ferme":
        return "refus", "refus définitif (2.11) : une structure qui a refusé n'est pas relancée"
    if target.refus == "refus_doux":
        return "refus", "a refusé de répondre (2.11) : une structure qui a refusé n'est pas relancée"
    if case.disposition.code == "4.90":  # closed or out of scope; a wrong number (4.31, 4.41) may still be mailed
        return "non_eligible", f"non éligible ({case.disposition.code}, {case.disposition.label})"
    if target.desinscrite:
        suffix = f" ({target.motif_desinscription})" if target.motif_desinscription else ""
        return "desinscrite", f"a demandé à ne plus recevoir de courriels{suffix}"
    return None


def _limits(target: _Target, *, delai_jours: int, max_relances: int, now: datetime) -> tuple[str, str] | None:
    """Why this structure cannot be mailed now (no address, maximum, delay, batch pending), or None."""
    if not target.destinataire:
        return "sans_courriel", "aucune adresse e-mail connue (ni courriel de la structure, ni courriel du contact)"
    if target.envoyees >= max_relances:
        return "maximum", f"déjà relancée {target.envoyees} fois (maximum de la campagne : {max_relances})"
    if target.derniere is not None and now < target.derniere + timedelta(days=delai_jours):
        possible = (target.derniere + timedelta(days=delai_jours)).astimezone(ZoneInfo(target.case.timezone))
        return "delai", (
            f"relancée le {_day(target.derniere, target.case.timezone)} : {delai_jours} jours au moins entre deux"
            f" relances, prochaine possible le {possible:%d/%m/%Y à %H:%M}"
        )
    if target.en_attente:
        return "en_attente", "une relance est déjà préparée pour elle et pas encore envoyée"
    return None


def _day(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y")


def _matches(target: _Target, rule: RelanceRule, now: datetime) -> list[tuple[str, str]]:
    """The rules this structure matches, each with its French reason."""
    summary = target.case.summary
    matched = []
    if "sans_contact" in rule.regles and summary.last_closing in ("mauvais_numero", "numero_inexistant"):
        matched.append(("sans_contact", f"numéro erroné ({outcome_rule(summary.last_closing).label.lower()}) :"
                                        " le courriel est le seul moyen de la joindre"))
    elif "sans_contact" in rule.regles and summary.count >= rule.min_tentatives and not summary.reached:
        matched.append(("sans_contact", f"jamais jointe après {summary.count} tentative(s)"))
    if "partielle" in rule.regles and summary.has_partial and not summary.has_complete:
        matched.append(("partielle", "questionnaire commencé, pas terminé"))
    if ("promesse" in rule.regles and summary.last_outcome in CALLBACK_OUTCOMES
            and summary.last_callback is not None and summary.last_callback <= now):
        when = summary.last_callback.astimezone(ZoneInfo(target.case.timezone))
        what = "rendez-vous" if summary.last_outcome == "rendez_vous" else "rappel"
        matched.append(("promesse",
                        f"a promis de répondre ({what} prévu le {when:%d/%m/%Y à %H:%M}), sans entretien depuis"))
    return matched


def campaign_limits(campaign: Mapping[str, Any]) -> tuple[int, int]:
    """A campaign's days between two relances and its maximum count (the defaults when unset)."""
    delai = campaign.get("relance_delai_jours")
    maximum = campaign.get("relance_max")
    return (
        DEFAULT_DELAI_JOURS if delai is None else int(delai),
        DEFAULT_MAX_RELANCES if maximum is None else int(maximum),
    )


def relance_candidates(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    rules: Sequence[str],
    *,
    min_attempts: int = 3,
    now: datetime | None = None,
) -> Selection:
    """The targets to remind under ``rules`` (names of ``RULE_LABELS``), and every other target with
    the reason it is left out; both sorted by name."""
    try:
        rule = RelanceRule(regles=tuple(rules), min_tentatives=min_attempts)
    except ValidationError:
        known = ", ".join(RULE_LABELS)
        raise RelanceError(
            f"Règles de relance invalides : choisissez au moins une règle parmi {known},"
            " et un nombre de tentatives entre 1 et 50."
        ) from None
    now = _check_now(now)
    campaign = get_campaign(con, campaign_id)
    delai_jours, max_relances = campaign_limits(campaign)
    selection = Selection()
    for target in sorted(_targets(con, campaign_id).values(), key=lambda t: (t.case.nom or "", t.case.structure_id)):
        case = target.case
        reason = _never_mail(target)
        matched = _matches(target, rule, now) if reason is None else []
        if reason is None and not matched:
            reason = "hors_regles", "ne correspond à aucune des règles choisies"
        if reason is None:
            reason = _limits(target, delai_jours=delai_jours, max_relances=max_relances, now=now)
        if reason is not None:
            selection.excluded.append(Exclusion(case.structure_id, case.nom, *reason))
            continue
        assert target.destinataire is not None
        selection.candidates.append(Candidate(
            structure_id=case.structure_id, nom=case.nom, commune=case.commune, destinataire=target.destinataire,
            motif=" ; ".join(text for _, text in matched), regles=tuple(name for name, _ in matched),
            tentatives=case.summary.count, relances=target.envoyees,
        ))
    return selection


# -- template -------------------------------------------------------------------------------------

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
    campaign = get_campaign(con, campaign_id)
    current = relance_settings_shown(campaign)
    plan = plan_edit(current, changes)
    result = planned_result(plan, current_by=campaign["updated_by"], current_at=campaign["updated_at"])
    if plan.write:
        stored = {**current, "objet": campaign.get("relance_objet"), "corps": campaign.get("relance_corps")}
        set_relance_settings(con, campaign_id, **{**stored, **plan.write}, by=by)
    if result.conflicts:
        record_audit(con, actor=by, action="relance.conflict", entity="campaigns", entity_id=campaign_id,
                     details={"proposees": {c.field: c.proposed for c in result.conflicts}})
    return result


# -- opt-outs -------------------------------------------------------------------------------------


def add_opt_out(con: duckdb.DuckDBPyConnection, structure_id: str, motif: str | None = None, *, by: str) -> None:
    """Record that a structure asked not to be mailed any more (every campaign); its pending relances
    are cancelled."""
    require(con, by, "relancer")
    if get_structure(con, structure_id) is None:
        raise StructureNotFound(structure_id)
    now = utc_now()
    motif = (motif or "").strip() or None
    con.execute(
        "INSERT INTO mail_opt_outs (structure_id, motif, created_at, updated_by) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (structure_id) DO UPDATE SET motif = excluded.motif, updated_by = excluded.updated_by",
        [structure_id, motif, now, by],
    )
    con.execute(
        "UPDATE relances SET statut = 'annulee', erreur = ?, updated_at = ?, updated_by = ?"
        " WHERE structure_id = ? AND list_contains(?, statut)",
        ["la structure ne souhaite plus recevoir de courriels", now, by, structure_id, list(PENDING_STATUSES)],
    )
    record_audit(con, actor=by, action="relance.opt_out", entity="structures", entity_id=structure_id,
                 details={"motif": motif})


def remove_opt_out(con: duckdb.DuckDBPyConnection, structure_id: str, *, by: str) -> bool:
    """Allow mailing a structure again; False when it had not opted out."""
    require(con, by, "relancer")
    removed = con.execute(
        "DELETE FROM mail_opt_outs WHERE structure_id = ? RETURNING structure_id", [structure_id]
    ).fetchall()
    if removed:
        record_audit(con, actor=by, action="relance.opt_in", entity="structures", entity_id=structure_id)
    return bool(removed)


def list_opt_outs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Structures that asked not to be mailed, newest first."""
    return fetch_dicts(
        con,
        "SELECT o.structure_id, s.nom, s.commune, o.motif, o.created_at, o.updated_by FROM mail_opt_outs o"
        " LEFT JOIN structures s ON s.id = o.structure_id ORDER BY o.created_at DESC",
    )


# -- batches --------------------------------------------------------------------------------------

def prepare_batch(
    target: Store | duckdb.DuckDBPyConnection,
    campaign_id: str,
    structure_ids: Sequence[str],
    *,
    canal: Canal = "smtp",
    by: str,
    now: datetime | None = None,
) -> str:
    """Record one relance (``a_envoyer``) per structure, in one transaction, and return the batch id.

    The exclusions are checked again: a completed, refused, not eligible or opted-out structure,
    one without address, at its maximum, within the delay or already in a pending batch is left
    out (listed in the audit row) whatever the caller passed. No structure left → ``RelanceError``.
    With a ``Store``, the batch is its own transaction; with a connection, the caller's.
    """
    if isinstance(target, Store):
        with target.atomic() as con:
            return _prepare(con, campaign_id, structure_ids, canal=canal, by=by, now=now)
    return _prepare(target, campaign_id, structure_ids, canal=canal, by=by, now=now)


def _prepare(
    con: duckdb.DuckDBPyConnection, campaign_id: str, structure_ids: Sequence[str], *, canal: str, by: str,
    now: datetime | None,
) -> str:
    require(con, by, "relancer")
    if canal not in ("smtp", "export"):
        raise RelanceError(f"Canal d'envoi inconnu : « {canal} » (smtp ou export).")
    now = _check_now(now)
    campaign = get_campaign(con, campaign_id)
    delai_jours, max_relances = campaign_limits(campaign)
    targets = _targets(con, campaign_id)
    batch_id = new_id()
    created = utc_now()
    rows, left_out = [], []
    for structure_id in dict.fromkeys(structure_ids):
        target = targets.get(structure_id)
        if target is None:
            left_out.append({"structure_id": structure_id, "motif": "ne fait pas partie des cibles de la campagne"})
            continue
        reason = _never_mail(target) or _limits(target, delai_jours=delai_jours, max_relances=max_relances, now=now)
        if reason is not None:
            left_out.append({"structure_id": structure_id, "nom": target.case.nom, "motif": reason[1]})
            continue
        assert target.destinataire is not None
        objet, corps = render_message(campaign, target.row, target.destinataire)
        relance_id = new_id()
        rows.append((relance_id, batch_id, campaign_id, structure_id, target.destinataire, objet, corps,
                     f"<relance-{relance_id}@maillage.local>", canal, "a_envoyer", created, created, by))
    if not rows:
        detail = " ; ".join(f"{r.get('nom') or r['structure_id']} : {r['motif']}" for r in left_out[:5])
        raise RelanceError("Aucune structure à relancer dans ce lot" + (f" ({detail})." if detail else "."))
    con.executemany(
        "INSERT INTO relances (id, batch_id, campaign_id, structure_id, destinataire, objet, corps, message_id, canal,"
        " statut, created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    record_audit(con, actor=by, action="relance.prepare", entity="campaigns", entity_id=campaign_id,
                 details={"lot": batch_id, "canal": canal, "messages": len(rows), "ecartees": left_out})
    return batch_id


def batch_rows(con: duckdb.DuckDBPyConnection, batch_id: str) -> list[dict[str, Any]]:
    """The relances of a batch, in sending order (structure name), with the structure's name."""
    return fetch_dicts(
        con,
        "SELECT r.*, s.nom AS structure, s.commune FROM relances r LEFT JOIN structures s ON s.id = r.structure_id"
        " WHERE r.batch_id = ? ORDER BY s.nom, r.id",
        [batch_id],
    )


def _batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> list[dict[str, Any]]:
    rows = batch_rows(con, batch_id)
    if not rows:
        raise RelanceError(f"Lot de relances introuvable : {batch_id}")
    return rows


def relance_history(con: duckdb.DuckDBPyConnection, campaign_id: str) -> list[dict[str, Any]]:
    """Every relance of a campaign, newest first: structure, destinataire, statut (and its French
    label), tentatives, sent_at, erreur, batch and channel."""
    rows = fetch_dicts(
        con,
        "SELECT r.id, r.batch_id, r.structure_id, s.nom AS structure, s.commune, r.destinataire, r.objet, r.canal,"
        " r.statut, r.tentatives, r.sent_at, r.erreur, r.created_at, r.updated_at, r.updated_by"
        " FROM relances r LEFT JOIN structures s ON s.id = r.structure_id"
        " WHERE r.campaign_id = ? ORDER BY r.created_at DESC, s.nom, r.id",
        [campaign_id],
    )
    for row in rows:
        row["statut_libelle"] = STATUS_LABELS.get(row["statut"], row["statut"])
    return rows


def cancel_batch(store: Store, batch_id: str, *, by: str) -> int:
    """Cancel what a batch has not sent yet (``a_envoyer``, ``echec``); return how many rows."""
    with store.connect() as con:
        require(con, by, "relancer")
    with store.atomic() as con:
        _batch(con, batch_id)
        cancelled = con.execute(
            "UPDATE relances SET statut = 'annulee', erreur = 'lot annulé', updated_at = ?, updated_by = ?"
            " WHERE batch_id = ? AND list_contains(?, statut) RETURNING id",
            [utc_now(), by, batch_id, list(PENDING_STATUSES)],
        ).fetchall()
        record_audit(con, actor=by, action="relance.cancel", entity="relances", entity_id=batch_id,
                     details={"annulees": len(cancelled)})
    return len(cancelled)


def resolve_uncertain(store: Store, relance_id: str, *, delivered: bool, by: str) -> None:
    """Settle a relance left « envoi incertain » (``en_cours``): the coordinator checked that it
    arrived (``delivered=True`` → ``envoyee``) or asks to send it again (→ ``echec``, taken by the
    next ``send_batch``)."""
    with store.connect() as con:
        require(con, by, "relancer")
    now = utc_now()
    with store.atomic() as con:
        if delivered:
            changed = con.execute(
                "UPDATE relances SET statut = 'envoyee', sent_at = coalesce(sent_at, updated_at), erreur = NULL,"
                " updated_at = ?, updated_by = ? WHERE id = ? AND statut = 'en_cours' RETURNING id",
                [now, by, relance_id],
            ).fetchall()
        else:
            changed = con.execute(
                "UPDATE relances SET statut = 'echec', erreur = ?, updated_at = ?, updated_by = ?"
                " WHERE id = ? AND statut = 'en_cours' RETURNING id",
                [f"à renvoyer (envoi incertain, décision de {by})", now, by, relance_id],
            ).fetchall()
        if not changed:
            raise RelanceError("Cette relance n'est pas en « envoi incertain » : rien n'a été changé.")
        record_audit(con, actor=by, action="relance.resolve", entity="relances", entity_id=relance_id,
                     details={"arrivee": delivered})


# -- messages -------------------------------------------------------------------------------------


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


# -- SMTP settings --------------------------------------------------------------------------------


class SmtpSettings(BaseModel):
    """The ``[smtp]`` table of ``.streamlit/secrets.toml``::

        [smtp]
        host = "smtp.example.fr"
        port = 587                       # 465 with ssl = true
        username = "enquete@example.fr"  # optional, with password
        password = "…"
        starttls = true                  # default: true unless ssl
        ssl = false
        expediteur = "enquete@example.fr"
        nom_expediteur = "Diagnostic inclusion numérique"  # optional
        repondre_a = "coordination@example.fr"             # optional
        timeout = 30                     # seconds
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    host: str = Field(min_length=1)
    port: int = Field(587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool | None = None
    ssl: bool = False
    expediteur: str
    nom_expediteur: str | None = None
    repondre_a: str | None = None
    timeout: float = Field(30.0, gt=0, le=300)

    @field_validator("expediteur", "repondre_a")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalize_email(value)
        except InvalidValue as error:
            raise ValueError(str(error)) from None

    @model_validator(mode="after")
    def _coherent(self) -> SmtpSettings:
        if self.ssl and self.starttls:
            raise ValueError("« ssl » et « starttls » ne peuvent pas être activés ensemble")
        if self.starttls is None:
            object.__setattr__(self, "starttls", not self.ssl)
        if bool(self.username) != bool(self.password and self.password.get_secret_value()):
            raise ValueError("« username » et « password » vont ensemble : donnez les deux ou aucun")
        return self


_SMTP_KEY_HELP = {
    "host": "le nom du serveur d'envoi, par exemple « smtp.example.fr »",
    "port": "un nombre entre 1 et 65535 (587 avec starttls, 465 avec ssl)",
    "username": "l'identifiant du compte d'envoi, en texte",
    "password": "le mot de passe du compte d'envoi, en texte",
    "starttls": "true ou false",
    "ssl": "true ou false",
    "expediteur": "l'adresse e-mail d'envoi, par exemple « enquete@example.fr »",
    "nom_expediteur": "le nom affiché de l'expéditeur, en texte",
    "repondre_a": "une adresse e-mail",
    "timeout": "un nombre de secondes entre 1 et 300",
}


def smtp_settings_from_secrets(secrets: Mapping[str, Any]) -> SmtpSettings:
    """The SMTP settings of the ``[smtp]`` table of the secrets (``st.secrets``, or
    ``read_secrets_file()``); a missing or wrong key → ``RelanceError`` naming it, in French."""
    where = f"la table [smtp] de {SECRETS_PATH.as_posix()}"
    try:
        section = secrets.get("smtp")
    except FileNotFoundError:  # st.secrets without a readable secrets.toml (StreamlitSecretNotFoundError)
        raise RelanceError(
            f"Le fichier {SECRETS_PATH.as_posix()} est introuvable ou illisible : créez-le avec une table [smtp]"
            " (host, port, expediteur…) ou exportez le lot pour votre propre messagerie."
        ) from None
    if section is None:
        raise RelanceError(
            f"Aucun serveur d'envoi configuré : ajoutez {where} (clés host, port, expediteur, et au besoin"
            " username, password) ou exportez le lot pour votre propre messagerie."
        )
    if not isinstance(section, Mapping):
        raise RelanceError(
            f"« smtp » doit être une table dans {SECRETS_PATH.as_posix()} : [smtp] suivi de ses clés."
        )
    try:
        return SmtpSettings.model_validate(dict(section))
    except ValidationError as error:
        problems = []
        for item in error.errors():
            key = str(item["loc"][0]) if item["loc"] else None
            if key is None:
                problems.append(str(item.get("ctx", {}).get("error", item["msg"])))
            elif item["type"] == "missing":
                problems.append(f"la clé « {key} » manque ({_SMTP_KEY_HELP.get(key, '')})")
            elif item["type"] == "extra_forbidden":
                problems.append(f"la clé « {key} » n'est pas connue (clés possibles : {', '.join(_SMTP_KEY_HELP)})")
            elif key in ("expediteur", "repondre_a") and item["type"] == "value_error":
                problems.append(f"la clé « {key} » est invalide : {item.get('ctx', {}).get('error', '')}")
            else:
                expected = _SMTP_KEY_HELP.get(key, "une autre valeur")
                problems.append(f"la clé « {key} » est invalide : attendu {expected}")
        raise RelanceError(f"Réglages SMTP incorrects dans {where} : " + " ; ".join(problems) + ".") from None


def read_secrets_file(path: str | Path = SECRETS_PATH) -> dict[str, Any]:
    """The secrets file read with ``tomllib`` (for the CLI, where ``st.secrets`` does not exist)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise RelanceError(
            f"Fichier {path} introuvable : créez-le avec une table [smtp] (host, port, expediteur…)"
            " pour envoyer les relances."
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise RelanceError(f"Le fichier {path} n'est pas un TOML valide : {error}.") from None


# -- sending --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageOutcome:
    """What happened to one relance of a batch."""

    relance_id: str
    structure: str | None
    destinataire: str
    erreur: str | None = None


@dataclass
class SendReport:
    """The result of ``send_batch``."""

    envoyees: list[MessageOutcome] = field(default_factory=list)
    echecs: list[MessageOutcome] = field(default_factory=list)
    incertaines: list[MessageOutcome] = field(default_factory=list)  # en_cours: never re-sent automatically
    annulees: list[MessageOutcome] = field(default_factory=list)  # became un-mailable since the batch was prepared
    non_tentees: int = 0  # left a_envoyer/echec because the connection was lost
    deja_traitees: int = 0  # already envoyee, exportee or annulee before this call
    connexion: str | None = None  # why the server could not be reached, if so

    @property
    def message(self) -> str:
        """A one-line French summary for the page or the CLI."""
        parts = [f"{len(self.envoyees)} relance(s) envoyée(s)"]
        if self.echecs:
            parts.append(f"{len(self.echecs)} en échec (à renvoyer plus tard)")
        if self.non_tentees:
            parts.append(f"{self.non_tentees} non tentée(s) : connexion perdue")
        if self.incertaines:
            parts.append(
                f"{len(self.incertaines)} en envoi incertain (à vérifier, jamais renvoyée(s) automatiquement)"
            )
        if self.annulees:
            parts.append(f"{len(self.annulees)} annulée(s) : structure qui ne doit plus être relancée")
        if self.deja_traitees:
            parts.append(f"{self.deja_traitees} déjà traitée(s)")
        text = ", ".join(parts) + "."
        return f"{self.connexion} {text}" if self.connexion else text


class _Uncertain(Exception):
    """The connection failed while the server was taking the message: it may have been delivered."""


class _ConnectionLost(Exception):
    """The connection failed before the message was handed over: certainly not delivered."""


def _smtp_reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        kind = "temporairement " if 400 <= code < 500 else ""
        return f"destinataire refusé {kind}par le serveur ({code} {_decode(text)})"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"refusé par le serveur ({error.smtp_code} {_decode(error.smtp_error)})"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return "le serveur n'accepte pas les adresses accentuées (SMTPUTF8)"
    return str(error) or error.__class__.__name__


def _decode(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open, authenticated SMTP session, or ``RelanceError`` saying in French what failed."""
    where = f"{settings.host}:{settings.port}"
    context = ssl.create_default_context()
    try:
        if settings.ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    except ConnectionRefusedError:
        raise RelanceError(
            f"Connexion impossible au serveur d'envoi {where} : connexion refusée. Vérifiez « host » et « port »"
            f" dans la table [smtp] de {SECRETS_PATH.as_posix()}."
        ) from None
    except (OSError, smtplib.SMTPException) as error:
        raise RelanceError(f"Connexion impossible au serveur d'envoi {where} : {_smtp_reason(error)}.") from None
    try:
        smtp.ehlo()
        if settings.starttls:
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.username and settings.password:
            smtp.login(settings.username, settings.password.get_secret_value())
    except smtplib.SMTPAuthenticationError:
        _quit(smtp)
        raise RelanceError(
            f"Le serveur d'envoi {where} refuse l'identifiant ou le mot de passe (« username », « password » de la"
            f" table [smtp] de {SECRETS_PATH.as_posix()})."
        ) from None
    except UnicodeEncodeError:  # smtplib sends the login and password as ASCII only
        _quit(smtp)
        raise RelanceError(
            f"L'identifiant ou le mot de passe (« username », « password » de la table [smtp] de"
            f" {SECRETS_PATH.as_posix()}) contient des caractères accentués : l'envoi SMTP ne les accepte pas."
        ) from None
    except smtplib.SMTPNotSupportedError:
        _quit(smtp)
        raise RelanceError(
            f"Le serveur d'envoi {where} ne propose pas STARTTLS : mettez « starttls = false » (réseau de confiance"
            " seulement) ou « ssl = true » avec le port 465."
        ) from None
    except (OSError, smtplib.SMTPException) as error:
        _quit(smtp)
        raise RelanceError(f"Connexion impossible au serveur d'envoi {where} : {_smtp_reason(error)}.") from None
    return smtp


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _reset(smtp: smtplib.SMTP) -> None:
    """Forget a refused transaction (a dead connection shows on the next message)."""
    try:
        smtp.rset()
    except (OSError, smtplib.SMTPException):
        pass


def _deliver(smtp: smtplib.SMTP, sender: str, message: EmailMessage, recipient: str) -> None:
    """Hand one message over, phase by phase, to tell "certainly not delivered" from "maybe".

    A refusal with a code raises ``smtplib.SMTPException`` (not delivered); a lost connection
    before DATA raises ``_ConnectionLost``, during DATA ``_Uncertain``. (``SMTPException`` is an
    ``OSError``: the order of the ``except`` clauses matters.)
    """
    options = ["SMTPUTF8"] if not (sender + recipient).isascii() else []
    try:
        code, text = smtp.mail(sender, options)
        if code != 250:
            _reset(smtp)
            raise smtplib.SMTPSenderRefused(code, text, sender)
        code, text = smtp.rcpt(recipient)
        if code not in (250, 251):
            _reset(smtp)
            raise smtplib.SMTPRecipientsRefused({recipient: (code, text)})
    except smtplib.SMTPServerDisconnected as error:
        raise _ConnectionLost(str(error) or "connexion fermée par le serveur") from error
    except smtplib.SMTPException:
        raise
    except OSError as error:
        raise _ConnectionLost(str(error) or error.__class__.__name__) from error
    try:
        smtp.data(message.as_bytes())
    except smtplib.SMTPResponseException:
        _reset(smtp)
        raise
    except (smtplib.SMTPServerDisconnected, OSError) as error:  # the server may have taken it
        raise _Uncertain(str(error) or error.__class__.__name__) from error


def _mark(
    store: Store, relance_id: str, statut: str, *, by: str, erreur: str | None = None, failed: bool = False,
    sent: bool = False, only_from: Sequence[str] | None = None,
) -> bool:
    """Set one row's status in its own transaction; with ``only_from``, only if its status is one of
    them (False when it was not: another send took it)."""
    now = utc_now()
    sql = "UPDATE relances SET statut = ?, erreur = ?, tentatives = tentatives + ?, updated_at = ?, updated_by = ?"
    params: list[Any] = [statut, erreur, 1 if failed else 0, now, by]
    if sent:
        sql += ", sent_at = ?"
        params.append(now)
    sql += " WHERE id = ?"
    params.append(relance_id)
    if only_from is not None:
        sql += " AND list_contains(?, statut)"
        params.append(list(only_from))
    with store.atomic() as con:
        return bool(con.execute(sql + " RETURNING id", params).fetchall())


def _cancel_unmailable(
    store: Store, rows: list[dict[str, Any]], *, by: str
) -> tuple[list[dict[str, Any]], list[MessageOutcome]]:
    """Split a batch's pending rows into those still mailable and those cancelled now because the
    structure was completed, refused, found not eligible or opted out since the batch was prepared."""
    if not rows:
        return [], []
    with store.connect() as con:
        targets = _targets(con, rows[0]["campaign_id"])
    keep, cancelled = [], []
    for row in rows:
        target = targets.get(row["structure_id"])
        never = _never_mail(target) if target else ("hors_cible", "ne fait plus partie des cibles de la campagne")
        if never is None:
            keep.append(row)
        elif _mark(store, row["id"], "annulee", by=by, erreur=never[1], only_from=PENDING_STATUSES):
            cancelled.append(MessageOutcome(row["id"], row["structure"], row["destinataire"], never[1]))
    return keep, cancelled


def send_batch(store: Store, batch_id: str, settings: SmtpSettings, *, by: str) -> SendReport:
    """Send a batch's relances not sent yet (``a_envoyer``, ``echec``) over one SMTP connection.

    Each row is marked ``en_cours`` (committed) before its message goes, then ``envoyee`` or
    ``echec`` (French reason, ``tentatives`` + 1). Rows already ``en_cours`` are reported as
    uncertain and not sent; structures that became completed, refused, not eligible or opted out
    since the batch was prepared are cancelled. If the server cannot be reached, every row to send
    is ``echec``; if the connection is lost mid-batch, the rest stay as they were for a retry.
    """
    with store.connect() as con:
        require(con, by, "relancer")
    report = SendReport()
    with store.connect() as con:
        rows = _batch(con, batch_id)
    pending = []
    for row in rows:
        if row["statut"] == "en_cours":
            report.incertaines.append(MessageOutcome(
                row["id"], row["structure"], row["destinataire"],
                "envoi incertain : l'envoi a été interrompu, vérifiez auprès du destinataire avant de le renvoyer",
            ))
        elif row["statut"] in PENDING_STATUSES:
            pending.append(row)
        else:
            report.deja_traitees += 1
    to_send, report.annulees = _cancel_unmailable(store, pending, by=by)
    if to_send:
        _send_rows(store, to_send, settings, report, by=by)
    with store.atomic() as con:
        record_audit(con, actor=by, action="relance.send", entity="relances", entity_id=batch_id, details={
            "envoyees": len(report.envoyees), "echecs": len(report.echecs), "incertaines": len(report.incertaines),
            "annulees": len(report.annulees), "non_tentees": report.non_tentees, "connexion": report.connexion,
        })
    return report


def _send_rows(
    store: Store, to_send: list[dict[str, Any]], settings: SmtpSettings, report: SendReport,
    *, by: str,
) -> None:
    try:
        smtp = _connect(settings)
    except RelanceError as error:
        report.connexion = str(error)
        for row in to_send:
            if _mark(store, row["id"], "echec", by=by, erreur=str(error), failed=True, only_from=PENDING_STATUSES):
                report.echecs.append(MessageOutcome(row["id"], row["structure"], row["destinataire"], str(error)))
        return
    try:
        for index, row in enumerate(to_send):
            if not _mark(store, row["id"], "en_cours", by=by, erreur=None, only_from=PENDING_STATUSES):
                continue  # taken by another send meanwhile
            message = build_message(row, expediteur=settings.expediteur, nom_expediteur=settings.nom_expediteur,
                                    repondre_a=settings.repondre_a)
            try:
                _deliver(smtp, settings.expediteur, message, row["destinataire"])
            except _Uncertain as error:
                reason = f"envoi incertain : connexion coupée pendant la transmission ({error})"
                _mark(store, row["id"], "en_cours", by=by, erreur=reason)
                report.incertaines.append(MessageOutcome(row["id"], row["structure"], row["destinataire"], reason))
                report.non_tentees = len(to_send) - index - 1
                report.connexion = "La connexion au serveur d'envoi a été perdue en cours de lot."
                return
            except _ConnectionLost as error:
                reason = f"connexion au serveur d'envoi perdue ({error})"
                _mark(store, row["id"], "echec", by=by, erreur=reason, failed=True)
                report.echecs.append(MessageOutcome(row["id"], row["structure"], row["destinataire"], reason))
                report.non_tentees = len(to_send) - index - 1
                report.connexion = "La connexion au serveur d'envoi a été perdue en cours de lot."
                return
            except smtplib.SMTPException as error:
                reason = _smtp_reason(error)
                _mark(store, row["id"], "echec", by=by, erreur=reason, failed=True)
                report.echecs.append(MessageOutcome(row["id"], row["structure"], row["destinataire"], reason))
                continue
            _mark(store, row["id"], "envoyee", by=by, sent=True)
            report.envoyees.append(MessageOutcome(row["id"], row["structure"], row["destinataire"]))
    finally:
        _quit(smtp)


# -- export ---------------------------------------------------------------------------------------

EXPORT_CSV_NAME = "relances.csv"
EXPORT_COLUMNS = ("destinataire", "structure", "commune", "objet", "fichier", "message_id")
NOTHING_TO_EXPORT = "Rien à exporter dans ce lot : toutes ses relances sont déjà envoyées, exportées ou annulées."


def _slug(text: str | None) -> str:
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].rstrip("-") or "structure"


def eml_file_name(row: Mapping[str, Any]) -> str:
    """``mediatheque-de-cognac-3f2a9c81d0e4.eml``: the structure's name and the relance id's end."""
    return f"{_slug(row.get('structure'))}-{row['id'].replace('-', '')[-12:]}.eml"


def _export_rows(store: Store, batch_id: str, *, again: bool, by: str) -> list[dict[str, Any]]:
    """The rows to write: pending ones still mailable (the others are cancelled), or with ``again``
    those already exported."""
    with store.connect() as con:
        rows = _batch(con, batch_id)
    if again:
        return [row for row in rows if row["statut"] == "exportee"]
    keep, _ = _cancel_unmailable(store, [row for row in rows if row["statut"] in PENDING_STATUSES], by=by)
    return keep


def _export_files(
    rows: list[dict[str, Any]], expediteur: str | None, nom_expediteur: str | None
) -> tuple[list[tuple[str, bytes]], list[dict[str, Any]]]:
    files, listing = [], []
    now = utc_now()
    for row in rows:
        name = eml_file_name(row)
        message = build_message(row, expediteur=expediteur, nom_expediteur=nom_expediteur, date_header=now, draft=True)
        files.append((name, message.as_bytes()))
        listing.append({"destinataire": row["destinataire"], "structure": row["structure"], "commune": row["commune"],
                        "objet": row["objet"], "fichier": name, "message_id": row["message_id"]})
    return files, listing


def _mark_exported(store: Store, batch_id: str, ids: list[str], *, by: str, destination: str) -> None:
    now = utc_now()
    with store.atomic() as con:
        con.execute(
            "UPDATE relances SET statut = 'exportee', canal = 'export', erreur = NULL, sent_at = ?, updated_at = ?,"
            " updated_by = ? WHERE list_contains(?, id) AND list_contains(?, statut)",
            [now, now, by, ids, list(PENDING_STATUSES)],
        )
        record_audit(con, actor=by, action="relance.export", entity="relances", entity_id=batch_id,
                     details={"messages": len(ids), "destination": destination})


def export_batch(
    store: Store,
    batch_id: str,
    destination: str | Path,
    *,
    by: str,
    expediteur: str | None = None,
    nom_expediteur: str | None = None,
    again: bool = False,
) -> Path:
    """Write a batch's unsent relances as ``.eml`` files and a ``relances.csv`` (French Excel) into
    the directory ``destination`` — or into a zip file when it ends with ``.zip`` — and mark them
    ``exportee`` (they then count as sent, and are never exported again). ``again=True`` rewrites
    the files of rows already exported (a lost download) without changing anything.
    Returns the directory or zip written."""
    rows = _export_rows(store, batch_id, again=again, by=by)
    if not rows:
        raise RelanceError(NOTHING_TO_EXPORT)
    files, listing = _export_files(rows, expediteur, nom_expediteur)
    target = Path(destination)
    if target.suffix.lower() == ".zip":
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partiel")
        partial.write_bytes(_zip(files, listing))
        partial.replace(target)
    else:
        target.mkdir(parents=True, exist_ok=True)
        for name, content in files:
            (target / name).write_bytes(content)
        write_excel_csv(target / EXPORT_CSV_NAME, EXPORT_COLUMNS, listing)
    if not again:
        _mark_exported(store, batch_id, [row["id"] for row in rows], by=by, destination=str(target))
    return target


def batch_zip_bytes(
    store: Store,
    batch_id: str,
    *,
    by: str,
    expediteur: str | None = None,
    nom_expediteur: str | None = None,
    again: bool = False,
) -> bytes:
    """The same export as one zip in memory (a download button), the rows marked ``exportee``."""
    rows = _export_rows(store, batch_id, again=again, by=by)
    if not rows:
        raise RelanceError(NOTHING_TO_EXPORT)
    files, listing = _export_files(rows, expediteur, nom_expediteur)
    content = _zip(files, listing)
    if not again:
        _mark_exported(store, batch_id, [row["id"] for row in rows], by=by, destination="téléchargement zip")
    return content


def _zip(files: list[tuple[str, bytes]], listing: list[dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(EXPORT_CSV_NAME, excel_csv_bytes(EXPORT_COLUMNS, listing))
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()

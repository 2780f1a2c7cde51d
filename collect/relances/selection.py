"""Who is reminded: the targets matching the rules (``RelanceRule``), and every other target with
the code (``models.records.RelanceExclusion``) and French reason it is left out.

Never mailed, whatever the caller asks: completed (1.1, or a submitted response), refused (2.11,
soft or hard), not eligible (4.90) and opted-out structures (``mail_opt_outs``). Also left out: no
e-mail address, the campaign's ``relance_max`` reached, the last relance less than
``relance_delai_jours`` days ago, or a relance already prepared and not yet sent. Relances
``envoyee``, ``exportee`` and ``en_cours`` count as sent for these limits. ``prepare_batch``
(``collect.relances.batches``) checks the same exclusions again with ``load_targets``,
``never_mail_reason`` and ``limit_reason``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import duckdb
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from collect.calls import Case, load_cases
from collect.campaigns import get_campaign
from collect.relances.errors import RelanceError
from models.campaign_rules import DEFAULT_DELAI_JOURS, DEFAULT_MAX_RELANCES
from models.dispositions import CALLBACK_OUTCOMES, outcome_rule
from models.records import RELANCE_PENDING_STATUSES, RELANCE_SENT_STATUSES, RelanceExclusion
from models.store import fetch_dicts, utc_now

RuleName = Literal["sans_contact", "partielle", "promesse"]

RULE_LABELS: dict[str, str] = {
    "sans_contact": "Jamais jointe après N tentatives",
    "partielle": "Questionnaire commencé, pas terminé",
    "promesse": "A promis de répondre (rappel ou rendez-vous passé sans entretien)",
}

# Why a structure is left out: its code and the French reason.
Reason = tuple[RelanceExclusion, str]


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
    """A structure left out, with a stable ``code`` (titled by ``RELANCE_EXCLUSION_LABELS``) and the
    French reason."""

    structure_id: str
    nom: str
    code: RelanceExclusion
    motif: str


@dataclass
class Selection:
    """The result of ``relance_candidates``: every target is in exactly one of the two lists."""

    candidates: list[Candidate] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)


@dataclass
class Target:
    """One campaign target with all the relance rules need (see ``load_targets``)."""

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


def load_targets(con: duckdb.DuckDBPyConnection, campaign_id: str) -> dict[str, Target]:
    """Every target of the campaign with its case, fields, refusals, opt-out and relances so far."""
    cases = {case.structure_id: case for case in load_cases(con, campaign_id)}
    rows = fetch_dicts(con, _TARGETS_SQL, {
        "campaign": campaign_id, "sent": list(RELANCE_SENT_STATUSES), "pending": list(RELANCE_PENDING_STATUSES),
    })
    targets = {}
    for row in rows:
        case = cases.get(row["structure_id"])
        if case is None:  # not possible with both queries in one transaction; kept safe
            continue
        targets[row["structure_id"]] = Target(
            case=case, row=row, destinataire=mail_address(row), repondu=bool(row["repondu"]), refus=row["refus"],
            desinscrite=bool(row["desinscrite"]), motif_desinscription=row["motif_desinscription"],
            envoyees=int(row["envoyees"]), derniere=_aware(row["derniere"]), en_attente=int(row["en_attente"]),
        )
    return targets


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def reference_time(now: datetime | None) -> datetime:
    """The time the limits are judged at: ``now`` (aware, else ``RelanceError``), or the current time."""
    if now is None:
        return utc_now()
    if now.tzinfo is None:
        raise RelanceError("L'heure de référence doit porter son fuseau horaire.")
    return now


def never_mail_reason(target: Target) -> Reason | None:
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


def limit_reason(target: Target, *, delai_jours: int, max_relances: int, now: datetime) -> Reason | None:
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


def _matches(target: Target, rule: RelanceRule, now: datetime) -> list[tuple[str, str]]:
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
    now = reference_time(now)
    campaign = get_campaign(con, campaign_id)
    delai_jours, max_relances = campaign_limits(campaign)
    selection = Selection()
    targets = load_targets(con, campaign_id).values()
    for target in sorted(targets, key=lambda t: (t.case.nom or "", t.case.structure_id)):
        case = target.case
        reason = never_mail_reason(target)
        matched = _matches(target, rule, now) if reason is None else []
        if reason is None and not matched:
            reason = "hors_regles", "ne correspond à aucune des règles choisies"
        if reason is None:
            reason = limit_reason(target, delai_jours=delai_jours, max_relances=max_relances, now=now)
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

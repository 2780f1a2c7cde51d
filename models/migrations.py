"""The store's schema, as named and ordered migrations (see ``Store.migrate``).

A migration is never edited once released: a change of schema is a new migration appended to
``MIGRATIONS``. Each runs in its own transaction with its row in ``_maillage_migrations``.

Conventions of every table (DESIGN.md): a text ``id`` (UUIDv7), ``created_at``/``updated_at``
(TIMESTAMPTZ, UTC), ``updated_by`` (device or user) and ``deleted_at`` (soft delete).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Migration:
    """One named, ordered step of the schema; applied once, recorded in ``_maillage_migrations``."""

    name: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


# The data columns of a structure, shared by the current table and its history (v1 of the schema).
_STRUCTURE_DATA_COLUMNS_V1 = """
    "pivot" VARCHAR,         -- quoted: PIVOT is a DuckDB keyword
    nom VARCHAR NOT NULL,
    commune VARCHAR,
    code_postal VARCHAR,
    code_insee VARCHAR,
    adresse VARCHAR,
    complement_adresse VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE,
    typologie VARCHAR[],
    telephone VARCHAR,
    courriels VARCHAR[],
    site_web VARCHAR[],
    horaires VARCHAR,
    presentation_resume VARCHAR,
    presentation_detail VARCHAR,
    source VARCHAR,
    itinerance VARCHAR[],
    structure_parente VARCHAR,
    date_maj DATE,
    services VARCHAR[],
    publics_specifiquement_adresses VARCHAR[],
    prise_en_charge_specifique VARCHAR[],
    frais_a_charge VARCHAR[],
    dispositif_programmes_nationaux VARCHAR[],
    formations_labels VARCHAR[],
    autres_formations_labels VARCHAR,
    modalites_acces VARCHAR[],
    modalites_accompagnement VARCHAR[],
    fiche_acces_libre VARCHAR,
    prise_rdv VARCHAR,
    telephones_autres VARCHAR[],
    numero_court VARCHAR,
    contact_nom VARCHAR,
    contact_telephone VARCHAR,
    contact_courriel VARCHAR,
    valeurs_ecartees JSON,
    donnees_source JSON
"""


# Long: one schema step, its DDL as one reviewed block (a released migration is never edited).
def _registry(con: duckdb.DuckDBPyConnection) -> None:
    """Structures (current state), their history, imports, duplicate candidates, settings, audit."""
    con.execute(
        "CREATE TABLE structures ("
        " id VARCHAR PRIMARY KEY,"
        + _STRUCTURE_DATA_COLUMNS_V1
        + ", source_id VARCHAR,"
        " import_key VARCHAR,"
        " import_base JSON,"
        " import_fingerprint VARCHAR,"
        " merged_into VARCHAR,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ)"
    )
    con.execute(
        "CREATE TABLE structure_versions ("
        " version_id VARCHAR PRIMARY KEY,"
        " structure_id VARCHAR NOT NULL,"
        " valid_from TIMESTAMPTZ NOT NULL,"
        " valid_to TIMESTAMPTZ,"
        " deleted BOOLEAN NOT NULL DEFAULT FALSE,"
        " change_reason VARCHAR NOT NULL,"
        " import_run_id VARCHAR,"
        + _STRUCTURE_DATA_COLUMNS_V1
        + ", created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ)"
    )
    con.execute(
        "CREATE TABLE import_runs ("
        " id VARCHAR PRIMARY KEY,"
        " file_name VARCHAR NOT NULL,"
        " file_format VARCHAR,"
        " file_sha256 VARCHAR,"
        " rows_read INTEGER,"
        " counts JSON,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ)"
    )
    con.execute(
        "CREATE TABLE duplicate_candidates ("
        " id VARCHAR PRIMARY KEY,"
        " structure_id VARCHAR NOT NULL,"
        " other_id VARCHAR NOT NULL,"
        " reason VARCHAR NOT NULL,"
        " score DOUBLE,"
        " status VARCHAR NOT NULL DEFAULT 'a_examiner',"
        " import_run_id VARCHAR,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ)"
    )
    con.execute(
        "CREATE TABLE settings ("
        " key VARCHAR PRIMARY KEY,"
        " value JSON,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL)"
    )
    con.execute(
        "CREATE TABLE audit_log ("
        " id VARCHAR PRIMARY KEY,"
        " occurred_at TIMESTAMPTZ NOT NULL,"
        " actor VARCHAR NOT NULL,"
        " action VARCHAR NOT NULL,"
        " entity VARCHAR,"
        " entity_id VARCHAR,"
        " details JSON)"
    )


# Long: one schema step, its DDL as one reviewed block (a released migration is never edited).
def _surveys(con: duckdb.DuckDBPyConnection) -> None:
    """Questionnaires (versioned), campaigns, drafts saved field by field, immutable responses."""
    con.execute(
        "CREATE TABLE questionnaires ("
        " id VARCHAR PRIMARY KEY,"
        " code VARCHAR NOT NULL,"
        " version INTEGER NOT NULL,"
        " titre VARCHAR NOT NULL,"
        " definition JSON NOT NULL,"
        " sha256 VARCHAR NOT NULL,"
        " published_at TIMESTAMPTZ NOT NULL,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ,"
        " UNIQUE (code, version))"
    )
    con.execute(
        "CREATE TABLE campaigns ("
        " id VARCHAR PRIMARY KEY,"
        " nom VARCHAR NOT NULL,"
        " questionnaire_id VARCHAR NOT NULL,"
        " date_debut DATE,"
        " date_fin DATE,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ)"
    )
    con.execute(
        "CREATE TABLE drafts ("
        " id VARCHAR PRIMARY KEY,"
        " structure_id VARCHAR NOT NULL,"
        " campaign_id VARCHAR NOT NULL,"
        " surveyor VARCHAR NOT NULL,"
        " questionnaire_id VARCHAR NOT NULL,"
        " section VARCHAR,"
        " supersedes VARCHAR,"  # the response this draft corrects, if any
        " submitted_response_id VARCHAR,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ)"
    )
    con.execute(
        "CREATE TABLE draft_values ("
        " draft_id VARCHAR NOT NULL,"
        " question_code VARCHAR NOT NULL,"
        " value JSON,"
        " revision INTEGER NOT NULL,"
        " session_id VARCHAR,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " PRIMARY KEY (draft_id, question_code))"
    )
    con.execute(
        "CREATE TABLE responses ("
        " id VARCHAR PRIMARY KEY,"
        " structure_id VARCHAR NOT NULL,"
        " campaign_id VARCHAR NOT NULL,"
        " questionnaire_id VARCHAR NOT NULL,"
        " surveyor VARCHAR NOT NULL,"
        " revision INTEGER NOT NULL,"
        " supersedes VARCHAR,"
        " draft_id VARCHAR,"
        " answers JSON NOT NULL,"
        " registry_changes JSON,"
        " submitted_at TIMESTAMPTZ NOT NULL,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ)"
    )


def _calls(con: duckdb.DuckDBPyConnection) -> None:
    """Call campaigns: calling rules of a campaign, its targets, assignments (with history), attempts."""
    con.execute("ALTER TABLE campaigns ADD COLUMN max_tentatives INTEGER DEFAULT 6")
    # When surveyors may call, in each structure's own local time (OSM opening_hours syntax).
    con.execute("ALTER TABLE campaigns ADD COLUMN heures_appel VARCHAR DEFAULT 'Mo-Fr 09:00-12:30,13:30-18:00'")
    con.execute(
        "CREATE TABLE campaign_targets ("
        " campaign_id VARCHAR NOT NULL,"
        " structure_id VARCHAR NOT NULL,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ,"
        " PRIMARY KEY (campaign_id, structure_id))"
    )
    con.execute(
        "CREATE TABLE assignments ("
        " id VARCHAR PRIMARY KEY,"
        " campaign_id VARCHAR NOT NULL,"
        " structure_id VARCHAR NOT NULL,"
        " surveyor VARCHAR NOT NULL,"
        " assigned_at TIMESTAMPTZ NOT NULL,"
        " ended_at TIMESTAMPTZ,"  # a reassignment ends the current row and opens another: history kept
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ)"
    )
    con.execute(
        "CREATE TABLE call_attempts ("
        " id VARCHAR PRIMARY KEY,"
        " campaign_id VARCHAR NOT NULL,"
        " structure_id VARCHAR NOT NULL,"
        " surveyor VARCHAR NOT NULL,"
        " attempted_at TIMESTAMPTZ NOT NULL,"
        " outcome VARCHAR NOT NULL,"
        " callback_at TIMESTAMPTZ,"
        " note VARCHAR,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ)"
    )


def _relances(con: duckdb.DuckDBPyConnection) -> None:
    """Saved structure filters, relance rules of a campaign, mail opt-outs, and every relance message."""
    con.execute(
        "CREATE TABLE saved_filters ("
        " id VARCHAR PRIMARY KEY,"
        " nom VARCHAR NOT NULL,"
        " criteria JSON NOT NULL,"  # the keyword arguments of models.registry.find_structures
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ)"
    )
    con.execute("ALTER TABLE campaigns ADD COLUMN relance_delai_jours INTEGER DEFAULT 7")
    con.execute("ALTER TABLE campaigns ADD COLUMN relance_max INTEGER DEFAULT 2")
    con.execute("ALTER TABLE campaigns ADD COLUMN relance_objet VARCHAR")  # NULL: the default French template
    con.execute("ALTER TABLE campaigns ADD COLUMN relance_corps VARCHAR")
    con.execute(
        "CREATE TABLE mail_opt_outs ("  # structures that asked not to be mailed, any campaign
        " structure_id VARCHAR PRIMARY KEY,"
        " motif VARCHAR,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL)"
    )
    con.execute(
        "CREATE TABLE relances ("
        " id VARCHAR PRIMARY KEY,"
        " batch_id VARCHAR NOT NULL,"
        " campaign_id VARCHAR NOT NULL,"
        " structure_id VARCHAR NOT NULL,"
        " destinataire VARCHAR NOT NULL,"
        " objet VARCHAR NOT NULL,"
        " corps VARCHAR NOT NULL,"
        " message_id VARCHAR NOT NULL,"
        " canal VARCHAR NOT NULL,"  # smtp | export
        " statut VARCHAR NOT NULL,"  # a_envoyer | en_cours | envoyee | echec | exportee | annulee
        " tentatives INTEGER NOT NULL DEFAULT 0,"
        " erreur VARCHAR,"
        " sent_at TIMESTAMPTZ,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL)"
    )


# Long: one schema step, its DDL as one reviewed block (a released migration is never edited).
def _sync(con: duckdb.DuckDBPyConnection) -> None:
    """The Google Sheets hub: last synced values, conflicts, deletions seen in the sheet, runs and their steps."""
    con.execute(
        "CREATE TABLE sync_state ("  # one row per spreadsheet this store syncs with
        " spreadsheet_id VARCHAR PRIMARY KEY,"
        " modified_time VARCHAR,"  # Drive modifiedTime seen before the last complete read
        " tab_ids JSON,"  # tab title -> sheetId, refreshed when a tab is missing
        " clean BOOLEAN NOT NULL DEFAULT FALSE,"  # the last sync completed with nothing left to write
        " last_sync_at TIMESTAMPTZ,"
        " last_run_id VARCHAR,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL)"
    )
    con.execute(
        "CREATE TABLE sync_base ("  # the last synced cell texts of each record (dlt-style explicit state)
        " spreadsheet_id VARCHAR NOT NULL,"
        " tab VARCHAR NOT NULL,"
        " row_id VARCHAR NOT NULL,"
        " cells JSON NOT NULL,"  # column -> canonical cell text agreed by store and sheet
        " store_hash VARCHAR,"  # md5 of the store row when agreed (NULL: something left to write)
        " sheet_hash VARCHAR,"  # md5 of the sheet row's texts when agreed
        " synced_at TIMESTAMPTZ NOT NULL,"
        " PRIMARY KEY (spreadsheet_id, tab, row_id))"
    )
    con.execute(
        "CREATE TABLE sync_conflicts ("
        " id VARCHAR PRIMARY KEY,"
        " spreadsheet_id VARCHAR NOT NULL,"
        " tab VARCHAR NOT NULL,"
        " row_id VARCHAR NOT NULL,"
        " colonne VARCHAR NOT NULL,"
        " nature VARCHAR NOT NULL,"  # conflit | refusee | invalide | identifiant (sync.conflicts.NATURES)
        " valeur_base VARCHAR,"
        " valeur_appareil VARCHAR,"
        " appareil_par VARCHAR,"
        " appareil_le TIMESTAMPTZ,"
        " valeur_feuille VARCHAR,"
        " feuille_par VARCHAR,"
        " feuille_le TIMESTAMPTZ,"
        " valeur_courante VARCHAR,"
        " statut VARCHAR NOT NULL,"  # ouvert | resolu
        " resolution VARCHAR,"  # feuille | appareil | autre
        " valeur_retenue VARCHAR,"
        " resolu_par VARCHAR,"
        " resolu_le TIMESTAMPTZ,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ)"
    )
    con.execute(
        "CREATE TABLE sync_deletions ("  # rows a person deleted in the sheet, for a coordinator to decide
        " spreadsheet_id VARCHAR NOT NULL,"
        " tab VARCHAR NOT NULL,"
        " row_id VARCHAR NOT NULL,"
        " detected_at TIMESTAMPTZ NOT NULL,"
        " statut VARCHAR NOT NULL,"  # a_confirmer | confirmee | restauree | reapparue
        " decide_par VARCHAR,"
        " decide_le TIMESTAMPTZ,"
        " PRIMARY KEY (spreadsheet_id, tab, row_id))"
    )
    con.execute(
        "CREATE TABLE sync_runs ("
        " id VARCHAR PRIMARY KEY,"
        " spreadsheet_id VARCHAR NOT NULL,"
        " started_at TIMESTAMPTZ NOT NULL,"
        " finished_at TIMESTAMPTZ,"
        " statut VARCHAR NOT NULL,"  # en_cours | terminee | rien_a_faire | interrompue | erreur
        " requetes INTEGER,"
        " reessais INTEGER,"
        " octets_envoyes BIGINT,"
        " octets_recus BIGINT,"
        " cpu_secondes DOUBLE,"
        " bilan JSON,"
        " erreur VARCHAR,"
        " par VARCHAR NOT NULL)"
    )
    con.execute(
        "CREATE TABLE sync_journal ("  # each step of each run, so a cut run is seen and completed
        " run_id VARCHAR NOT NULL,"
        " step INTEGER NOT NULL,"
        " etape VARCHAR NOT NULL,"
        " occurred_at TIMESTAMPTZ NOT NULL,"
        " details JSON,"
        " PRIMARY KEY (run_id, step))"
    )


def _users(con: duckdb.DuckDBPyConnection) -> None:
    """Local accounts (``models.access``): never synced to the hub (not in ``sync.tables``)."""
    con.execute(
        "CREATE TABLE users ("
        " login VARCHAR PRIMARY KEY,"
        " nom VARCHAR NOT NULL,"
        " role VARCHAR NOT NULL,"  # enqueteur | coordinateur | comite | admin
        " email VARCHAR,"  # the identity an OpenID Connect provider gives, when the server uses one
        " password_hash VARCHAR,"  # Argon2id (argon2-cffi); NULL: signs in through OpenID Connect only
        " echecs INTEGER NOT NULL DEFAULT 0,"  # failed sign-ins in a row
        " bloque_jusqua TIMESTAMPTZ,"
        " derniere_connexion TIMESTAMPTZ,"
        " actif BOOLEAN NOT NULL DEFAULT TRUE,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL)"
    )


def _import_understanding(con: duckdb.DuckDBPyConnection) -> None:
    """Issue 16: a lieu's status in its source, an estimated date_maj flag, and import profiles."""
    con.execute("ALTER TABLE structures ADD COLUMN statut VARCHAR")  # models.vocabulary.STATUTS; NULL = open
    con.execute("ALTER TABLE structures ADD COLUMN date_maj_estimee BOOLEAN")
    con.execute("ALTER TABLE structure_versions ADD COLUMN statut VARCHAR")
    con.execute("ALTER TABLE structure_versions ADD COLUMN date_maj_estimee BOOLEAN")
    # The namespace of the source's ids and the header of each import, so that the next export of a
    # source (same header give or take a column) keeps its lieux' identity (collect.import_context).
    con.execute("ALTER TABLE import_runs ADD COLUMN espace VARCHAR")
    con.execute("ALTER TABLE import_runs ADD COLUMN colonnes JSON")
    con.execute(
        "CREATE TABLE import_profiles ("  # what a person confirmed for a source (collect.import_profiles)
        " id VARCHAR PRIMARY KEY,"
        " nom VARCHAR NOT NULL,"
        " colonnes JSON NOT NULL,"  # the header the profile was made on (to recognise the next export)
        " correspondance JSON NOT NULL,"  # column → field, null = column left out
        " traductions JSON NOT NULL,"  # column → {value → [codes]}
        " espace VARCHAR,"  # the namespace of the source's ids (collect.import_context)
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ)"
    )


def _sheet_refusals(con: duckdb.DuckDBPyConnection) -> None:
    """Issue 17: a line of the sheet refused for its content (nature ``invalide``) or a likely typo in
    an ``id`` (nature ``identifiant``) is kept for a coordinator with its line and the reason."""
    con.execute("ALTER TABLE sync_conflicts ADD COLUMN ligne INTEGER")
    con.execute("ALTER TABLE sync_conflicts ADD COLUMN motif VARCHAR")


def _field_level_edits(con: duckdb.DuckDBPyConnection) -> None:
    """Issue 17 (items 2 and 3): edits are field-level and checked against what the person saw.

    ``edit_conflicts`` keeps each field a person changed that someone else had changed since the
    person loaded it (``models.edits``): both values, who and when, until someone picks one.
    ``draft_values.registry_base`` is the registry's value a survey tab showed when the surveyor
    first changed a registry answer (JSON ``null``: the registry had none; SQL NULL: not known).
    """
    con.execute(
        "CREATE TABLE edit_conflicts ("
        " id VARCHAR PRIMARY KEY,"
        " entity VARCHAR NOT NULL,"  # the table of the record: structures
        " entity_id VARCHAR NOT NULL,"
        " champ VARCHAR NOT NULL,"
        " origine VARCHAR NOT NULL,"  # fiche | enquete | correction (models.edits.ORIGINS)
        " response_id VARCHAR,"  # the survey response whose registry answer it is, if any
        " valeur_vue JSON,"  # the value the person saw when loading the record
        " valeur_proposee JSON,"  # the value the person saved
        " propose_par VARCHAR NOT NULL,"
        " propose_le TIMESTAMPTZ NOT NULL,"
        " valeur_courante JSON,"  # the value someone else saved meanwhile (kept in the record)
        " courante_par VARCHAR,"
        " courante_le TIMESTAMPTZ,"
        " statut VARCHAR NOT NULL,"  # ouvert | resolu | remplace
        " resolution VARCHAR,"  # proposee | courante
        " valeur_retenue JSON,"
        " resolu_par VARCHAR,"
        " resolu_le TIMESTAMPTZ,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " updated_at TIMESTAMPTZ NOT NULL,"
        " updated_by VARCHAR NOT NULL,"
        " deleted_at TIMESTAMPTZ)"
    )
    con.execute("ALTER TABLE draft_values ADD COLUMN registry_base JSON")


def _sync_row_format(con: duckdb.DuckDBPyConnection) -> None:
    """Issue 18: the version of the sync's stored state (``sync.store_side.ROW_FORMAT_VERSION``) and the
    DuckDB version that computed its store hashes, once per spreadsheet; NULL (a state written before):
    upgraded once by the next sync."""
    con.execute("ALTER TABLE sync_state ADD COLUMN row_format INTEGER")
    con.execute("ALTER TABLE sync_state ADD COLUMN row_format_duckdb VARCHAR")


MIGRATIONS: list[Migration] = [
    Migration("0001_registry", _registry),
    Migration("0002_surveys", _surveys),
    Migration("0003_calls", _calls),
    Migration("0004_relances", _relances),
    Migration("0005_sync", _sync),
    Migration("0006_users", _users),
    Migration("0007_import_understanding", _import_understanding),
    Migration("0008_sheet_refusals", _sheet_refusals),
    Migration("0009_field_level_edits", _field_level_edits),
    Migration("0010_sync_row_format", _sync_row_format),
]

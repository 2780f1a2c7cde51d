"""Maillage's named errors: each means one thing to a caller, and says it to the user in French."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.errors import (
    BackupError,
    BackupInUse,
    CorruptedBackup,
    ImportRejected,
    InvalidMapping,
    InvalidValue,
    MaillageError,
    NewerMaillageBackup,
    NotADuckDBFile,
    NotAMaillageStore,
    NotATable,
    StoreBusy,
    StructureNotFound,
    TruncatedBackup,
    UnusableBackup,
    WriteConflict,
)
from models.registry import update_structure

STORE = Path("data") / "maillage.duckdb"
BACKUP = Path("sauvegardes") / "maillage-2026-11-24.duckdb"


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (WriteConflict(), "D'autres enregistrements touchaient les mêmes données au même moment : rien n'a été"
                          " enregistré. Réessayez dans un instant."),
        (StoreBusy(STORE), f"La base {STORE} est occupée par un autre programme (synchronisation, import…) depuis trop"
                           " longtemps. Réessayez dans un instant ; rien n'a été enregistré."),
        (NotATable("lieux.xlsx", "le fichier est vide"), "lieux.xlsx : le fichier est vide"),
        (ImportRejected("lieux.csv", 3), "lieux.csv : 3 ligne(s) rejetée(s) ; import « tout ou rien » demandé, rien n'a"
                                         " été enregistré."),
        (StructureNotFound("0193a1c2-7d4e-7f00-8a1b-3c4d5e6f7a8b"),
         "Structure introuvable : 0193a1c2-7d4e-7f00-8a1b-3c4d5e6f7a8b"),
        (InvalidMapping("La colonne « Nom » désigne un champ inconnu : « nom_complet »."),
         "La colonne « Nom » désigne un champ inconnu : « nom_complet »."),
        (BackupError("Le dossier sauvegardes n'est pas accessible en écriture."),
         "Le dossier sauvegardes n'est pas accessible en écriture."),
    ],
    ids=["write-conflict", "store-busy", "not-a-table", "import-rejected", "structure-not-found", "invalid-mapping",
         "backup-error"],
)
def test_each_error_says_in_french_what_happened(error, message):
    assert str(error) == message
    assert isinstance(error, MaillageError)


@pytest.mark.parametrize(
    "kind", [UnusableBackup, TruncatedBackup, CorruptedBackup, NotADuckDBFile, NotAMaillageStore, NewerMaillageBackup,
             BackupInUse],
)
def test_an_unusable_backup_names_the_file_says_what_it_is_and_that_the_store_did_not_change(kind):
    error = kind(BACKUP, "s'arrête avant la fin de la base qu'il contient (copie interrompue ?).")
    assert str(error) == (f"{BACKUP} s'arrête avant la fin de la base qu'il contient (copie interrompue ?)."
                          " La base actuelle n'a pas changé.")
    assert (error.path, error.explanation) == (BACKUP, "s'arrête avant la fin de la base qu'il contient"
                                                       " (copie interrompue ?).")
    assert isinstance(error, UnusableBackup) and isinstance(error, BackupError) and isinstance(error, MaillageError)


def test_each_kind_of_unusable_backup_is_its_own_meaning():
    kinds = [TruncatedBackup, CorruptedBackup, NotADuckDBFile, NotAMaillageStore, NewerMaillageBackup, BackupInUse]
    for kind in kinds:
        error = kind(BACKUP, "…")
        assert [other for other in kinds if isinstance(error, other)] == [kind]


@pytest.mark.parametrize(
    ("error", "attributes"),
    [
        (StoreBusy(STORE), {"path": STORE}),
        (NotATable("lieux.xlsx", "l'onglet « Feuil2 » n'existe pas"),
         {"file": "lieux.xlsx", "reason": "l'onglet « Feuil2 » n'existe pas"}),
        (ImportRejected("lieux.csv", 2), {"file": "lieux.csv", "rejected": 2}),
        (StructureNotFound("abc"), {"structure_id": "abc"}),
    ],
    ids=["store-busy", "not-a-table", "import-rejected", "structure-not-found"],
)
def test_a_caller_reads_what_an_error_is_about_from_its_attributes_never_from_its_message(error, attributes):
    assert {name: getattr(error, name) for name in attributes} == attributes


def test_a_value_refused_by_normalisation_is_a_value_error_so_a_validator_reports_it_as_the_fields_problem():
    error = InvalidValue("Numéro « 12 » incomplet : il faut 10 chiffres pour un numéro de France.")
    assert isinstance(error, ValueError) and not isinstance(error, MaillageError)
    assert str(error) == "Numéro « 12 » incomplet : il faut 10 chiffres pour un numéro de France."


def test_every_error_meant_for_the_user_is_caught_by_its_base():
    with pytest.raises(MaillageError) as caught:
        raise ImportRejected("lieux.csv", 1)
    assert isinstance(caught.value, ImportRejected)


def test_the_registry_raises_structure_not_found_for_an_unknown_id(store):
    with pytest.raises(StructureNotFound) as caught, store.atomic() as con:
        update_structure(con, "inconnue", {"nom": "Autre"}, by="alice")
    assert caught.value.structure_id == "inconnue"
    assert str(caught.value) == "Structure introuvable : inconnue"

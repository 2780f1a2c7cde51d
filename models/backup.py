"""Backup, restore and export of every table of the store (issue 8).

- ``backup_store``: a consistent copy of the store in a new DuckDB file, taken while the app may be
  working in another process. The file is attached to the store's own DuckDB instance and filled by
  ``COPY FROM DATABASE store TO copy`` inside **one transaction**: DuckDB's MVCC gives the copy one
  snapshot (a transaction committed by another thread of this process during the copy is either
  wholly in it or not at all), and while this process holds the file no other process can write
  (DuckDB's file lock; ``Store`` retries it for a bounded time). Copying the file's bytes after a
  ``CHECKPOINT`` would be torn by any commit of this process landing during the copy (an automatic
  checkpoint rewrites blocks in place); ``EXPORT DATABASE`` writes files that must be imported
  again, and is slower (``python -m bench.backup``). The copy is written under a hidden temporary
  name in the destination's folder, checked (it opens, every table holds the snapshot's rows, every
  migration is applied), then renamed: a half-written file never stands at the destination.
  DuckDB's ``COPY FROM DATABASE`` does not copy ``CREATE INDEX`` indexes and trips on foreign keys
  (duckdb#24215): the store has neither (docs/architecture.md), and the row-count check would catch it.
- ``restore_store``: the backup is checked (a DuckDB file, a Maillage store, no migration newer
  than this code knows), copied beside the store and migrated; then, holding the store so no unit
  of work of another process writes in between, a safety copy of the current store is taken and
  the file is swapped with ``os.replace``. ``Store``'s shared instance notices the new file
  (device, inode) and reopens it.
- ``export_all``: every table of the catalog (``_maillage_migrations`` included) as Parquet (exact
  values, for programs) and CSV (for people: Maillage's one CSV writer, ``models.excel_csv``: French
  Excel's ``;`` and BOM, moments at the time of Paris, a text that would run as a formula made
  harmless), read in one transaction, written in a temporary folder renamed at the end.
  Password hashes (``SECRET_COLUMNS``) are never exported.

All three need the right ``exporter_tout`` (coordinators and admins; everyone in laptop mode).
Identifiers in SQL come from DuckDB's catalog and are quoted; paths are query parameters.
"""

from __future__ import annotations

import functools
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from models.access import require
from models.audit import record_audit
from models.errors import (
    BackupError,
    BackupInUse,
    CorruptedBackup,
    NewerMaillageBackup,
    NotADuckDBFile,
    NotAMaillageStore,
    TruncatedBackup,
    UnusableBackup,
)
from models.excel_csv import write_excel_csv  # imports nothing of Maillage
from models.moments import PARIS, moment_text
from models.store import Store, applied_migrations, default_db_path, sql_identifier, utc_now

RIGHT = "exporter_tout"
BACKUP_FOLDER = "backups"  # beside the store
MIGRATIONS_TABLE = "_maillage_migrations"
# Columns never written by an export, whatever their table: an export is a file people pass around.
SECRET_COLUMNS = frozenset({"password_hash"})


# -- reports -------------------------------------------------------------------------------------


def figure_text(number: int) -> str:
    """« 12 345 » (French thousands separator: a narrow no-break space)."""
    return f"{number:,}".replace(",", "\u202f")


def size_text(size: int) -> str:
    """« 512 octets », « 84,2 ko », « 12,3 Mo », « 1,4 Go »."""
    for unit, scale in (("Go", 1e9), ("Mo", 1e6), ("ko", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".", ",")
    return f"{size} octet" + ("s" if size > 1 else "")


def duration_text(seconds: float) -> str:
    """« 0,42 s », « 3,1 s »."""
    return (f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s").replace(".", ",")


def _tables_and_rows(counts: dict[str, int]) -> str:
    tables, rows = len(counts), sum(counts.values())
    return f"{tables} table{'s' if tables > 1 else ''}, {figure_text(rows)} ligne{'s' if rows > 1 else ''}"


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds: rows per table, migrations applied and those this code would add."""

    path: Path
    counts: dict[str, int]
    migrations: list[str]
    pending: list[str]
    size: int
    modified_at: datetime

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        return (f"{self.path} : base Maillage du {moment_text(self.modified_at)} ({_tables_and_rows(self.counts)},"
                f" {size_text(self.size)}, {len(self.migrations)} migrations).")


@dataclass(frozen=True)
class BackupReport:
    """A backup written: where, what it holds, how long it took."""

    path: Path
    counts: dict[str, int]
    size: int
    seconds: float
    taken_at: datetime

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        return (f"Sauvegarde écrite : {self.path} ({_tables_and_rows(self.counts)}, {size_text(self.size)})"
                f" en {duration_text(self.seconds)}.")


@dataclass(frozen=True)
class RestoreReport:
    """A restore done: from which file, the safety copy of the replaced store, what the store now holds."""

    store_path: Path
    backup_file: Path
    safety_copy: BackupReport
    counts: dict[str, int]
    migrations_applied: list[str]
    seconds: float

    def summary(self) -> str:
        lines = [f"Base {self.store_path} restaurée depuis {self.backup_file} ({_tables_and_rows(self.counts)})"
                 f" en {duration_text(self.seconds)}."]
        if self.migrations_applied:
            lines.append(f"Mise à jour du schéma de la sauvegarde : {', '.join(self.migrations_applied)}.")
        lines.append(f"Copie de sécurité de la base remplacée : {self.safety_copy.path}"
                     f" ({size_text(self.safety_copy.size)}).")
        return "\n".join(lines)


@dataclass(frozen=True)
class TableExport:
    name: str
    rows: int
    parquet: Path
    csv: Path


@dataclass(frozen=True)
class ExportReport:
    """Every table exported: one Parquet and one CSV file each, in ``folder``."""

    folder: Path
    tables: list[TableExport]
    size: int
    seconds: float

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)

    def summary(self) -> str:
        counts = {table.name: table.rows for table in self.tables}
        return (f"Export complet écrit dans {self.folder} : {_tables_and_rows(counts)}, en Parquet et en CSV"
                f" ({2 * len(self.tables)} fichiers, {size_text(self.size)}) en {duration_text(self.seconds)}.")


# -- DuckDB's catalog ----------------------------------------------------------------------------


def _current_catalog(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT current_database()").fetchall()[0][0]


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    """(schema, table) of every table of ``catalog``, as DuckDB's catalog lists them."""
    return con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? AND NOT internal"
        " AND NOT temporary ORDER BY schema_name, table_name", [catalog]).fetchall()


def _table_name(schema: str, table: str) -> str:
    return table if schema == "main" else f"{schema}.{table}"


def _qualified(catalog: str, schema: str, table: str) -> str:
    return ".".join(sql_identifier(part) for part in (catalog, schema, table))


def _row_counts(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, int]:
    return {_table_name(schema, table): con.execute("SELECT count(*) FROM " + _qualified(catalog, schema, table))
            .fetchall()[0][0] for schema, table in _tables(con, catalog)}


# -- files ---------------------------------------------------------------------------------------


def _stamp() -> str:
    """Now, as a person in France reads it, for file names: « 20261124-104107 »."""
    return utc_now().astimezone(PARIS).strftime("%Y%m%d-%H%M%S")


def backup_folder(store: Store) -> Path:
    """Where backups go by default, and the safety copies of a restore: ``backups/`` beside the store."""
    return store.path.parent / BACKUP_FOLDER


def _free_name(folder: Path, stem: str) -> Path:
    candidate, n = folder / f"{stem}.duckdb", 1
    while candidate.exists():
        n += 1
        candidate = folder / f"{stem}-{n}.duckdb"
    return candidate


def _temporary_beside(target: Path) -> Path:
    """A hidden name in ``target``'s folder (same file system: ``os.replace`` is then atomic)."""
    return target.with_name(f".{target.name}.partiel-{uuid.uuid4().hex[:12]}")


def _remove_database_file(path: Path) -> None:
    for leftover in (path, Path(f"{path}.wal")):
        with suppress(FileNotFoundError):
            leftover.unlink()


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX: fsync the directory)."""
    with suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _is_store_file(store: Store, path: Path) -> bool:
    if path.resolve() == store.path.resolve():
        return True
    try:
        return path.exists() and store.path.exists() and os.path.samefile(path, store.path)
    except OSError:
        return False


def _backup_target(store: Store, destination: str | os.PathLike[str] | None, suffix: str = "") -> Path:
    """The file a backup writes: ``destination``, a default name inside it when it is a folder,
    else ``backups/maillage-AAAAMMJJ-HHMMSS.duckdb`` beside the store. Never an existing file."""
    stem = f"maillage-{_stamp()}{suffix}"
    if destination is None:
        target = _free_name(backup_folder(store), stem)
    elif Path(destination).is_dir():
        target = _free_name(Path(destination), stem)
    else:
        target = Path(destination)
    if _is_store_file(store, target):
        raise BackupError(f"{target} est la base elle-même : choisissez un autre fichier pour la sauvegarde.")
    if target.exists() or Path(f"{target}.wal").exists():
        raise BackupError(f"{target} existe déjà : choisissez un autre nom (une sauvegarde n'en écrase jamais"
                          " une autre).")
    return target


# -- checking a backup ---------------------------------------------------------------------------


def inspect_backup(path: str | os.PathLike[str], *, read_everything: bool = False) -> BackupInfo:
    """Open a backup read-only and say what it holds, or refuse it in French (``UnusableBackup``,
    one subclass per meaning): not found; empty, text, an archive, not DuckDB; cut short; damaged;
    opened for writing by another program; a DuckDB file but not a Maillage store (no
    ``_maillage_migrations``, or tables its migrations create missing); made by a newer Maillage
    (a migration, or a DuckDB storage format, this code does not know).

    ``read_everything`` reads every value of every table, so that DuckDB checks each block's
    checksum: damage in the data itself is found before a restore, not by a page later."""
    from models.migrations import MIGRATIONS

    path = Path(path)
    if not path.is_file():
        raise BackupError(f"Sauvegarde introuvable : {path} n'est pas un fichier.")
    _refuse_what_is_not_duckdb(path)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise _unreadable(path, error) from None
    try:
        catalog = _current_catalog(con)
        if ("main", MIGRATIONS_TABLE) not in _tables(con, catalog):
            raise NotAMaillageStore(path, f"est une base DuckDB, mais pas une base Maillage (elle n'a pas de table"
                                          f" {MIGRATIONS_TABLE}) : ce n'est pas une sauvegarde de Maillage.")
        try:
            applied = applied_migrations(con)
        except (duckdb.BinderException, duckdb.CatalogException, duckdb.ConversionException):
            raise NotAMaillageStore(path, f"est une base DuckDB, mais pas une base Maillage (sa table"
                                          f" {MIGRATIONS_TABLE} n'est pas celle de Maillage) : ce n'est pas une"
                                          " sauvegarde de Maillage.") from None
        known = [migration.name for migration in MIGRATIONS]
        unknown = [name for name in applied if name not in known]
        if unknown:
            raise NewerMaillageBackup(path, f"vient d'une version plus récente de Maillage : son schéma a des"
                                            f" migrations que ce programme ne connaît pas ({', '.join(unknown)})."
                                            " Mettez Maillage à jour avant de la restaurer.")
        missing = _missing_schema(con, catalog, tuple(name for name in known if name in applied))
        if missing:
            raise NotAMaillageStore(path, f"est une base DuckDB, mais pas une base Maillage : {missing} que ses"
                                          " migrations auraient créées. Ce n'est pas une sauvegarde de Maillage"
                                          " (ou elle a été modifiée par un autre programme).")
        counts = _row_counts(con, catalog)
        if read_everything:
            _read_every_value(con, catalog)
    except duckdb.Error as error:
        raise _unreadable(path, error) from None
    finally:
        con.close()
    info = path.stat()
    return BackupInfo(path=path, counts=counts, migrations=applied, pending=[n for n in known if n not in applied],
                      size=info.st_size, modified_at=datetime.fromtimestamp(info.st_mtime, UTC))


DUCKDB_MAGIC = b"DUCK"  # bytes 8 to 11 of every DuckDB database file
DUCKDB_MAGIC_AT = 8
# What a file given instead of a backup often is, by its first bytes.
_LOOKALIKES = (
    (b"SQLite format 3\x00", "c'est une base SQLite"),
    (b"PK\x03\x04", ("c'est une archive zip : décompressez-la d'abord, la sauvegarde est le fichier .duckdb"
                      " qu'elle contient (un classeur Excel ou LibreOffice est aussi une archive zip)")),
    (b"\x1f\x8b", "c'est un fichier compressé (gzip) : décompressez-le d'abord"),
    (b"PAR1", "c'est un fichier Parquet (un export d'une table par « maillage export-all »), pas une sauvegarde"),
    (b"%PDF", "c'est un document PDF"),
)


def _refuse_what_is_not_duckdb(path: Path) -> None:
    """Refuse, saying what it is instead, a file that does not start as a DuckDB file does."""
    with path.open("rb") as file:
        head = file.read(4096)
    if not head:
        raise NotADuckDBFile(path, "est vide (0 octet) : ce n'est pas une sauvegarde de Maillage.")
    if head[DUCKDB_MAGIC_AT:DUCKDB_MAGIC_AT + len(DUCKDB_MAGIC)] == DUCKDB_MAGIC:
        return
    what = next((text for magic, text in _LOOKALIKES if head.startswith(magic)), None)
    if what is None:
        try:
            head.decode("utf-8")
            what = "c'est un fichier texte (un CSV, un JSON ?)"
        except UnicodeDecodeError as error:
            what = ("c'est un fichier texte (un CSV, un JSON ?)" if error.start >= len(head) - 3
                    else "il ne commence pas comme un fichier DuckDB")
    raise NotADuckDBFile(path, f"n'est pas une base DuckDB : {what}. Une sauvegarde de Maillage est le fichier"
                               " .duckdb qu'écrit « maillage backup ».")


def _unreadable(path: Path, error: duckdb.Error) -> UnusableBackup:
    """The French meaning of DuckDB's refusal to read a backup file (DuckDB 2.0's messages)."""
    text = str(error).split("\n")[0]
    size = path.stat().st_size if path.exists() else 0
    if "Could not read enough bytes" in text or "attempted to read" in text:
        return TruncatedBackup(path, f"est incomplet : le fichier ({size_text(size)}) s'arrête avant la fin de la"
                                     " base qu'il contient — une copie ou un téléchargement interrompu. Ce n'est pas"
                                     " une sauvegarde utilisable : reprenez le fichier d'origine.")
    if "Corrupt database file" in text or "checksum" in text:
        return CorruptedBackup(path, "est abîmé : une partie de son contenu n'est plus ce que DuckDB y avait écrit"
                                     " (ses sommes de contrôle ne correspondent plus) — un disque ou une copie"
                                     " défaillants. Ce n'est pas une sauvegarde utilisable : prenez-en une autre.")
    if "not a valid DuckDB database file" in text:
        return CorruptedBackup(path, "est abîmé : il commence comme une base DuckDB, mais son en-tête est illisible."
                                     " Ce n'est pas une sauvegarde utilisable : prenez-en une autre.")
    if "Could not set lock" in text or "Conflicting lock" in text:
        return BackupInUse(path, "est ouvert en écriture par un autre programme (Maillage, DuckDB…) : réessayez"
                                 " quand il l'aura fermé.")
    if "version number" in text or "storage version" in text.lower():
        return NewerMaillageBackup(path, "a été écrit par une version de DuckDB que ce programme ne sait pas lire,"
                                         " donc par une autre version de Maillage : mettez Maillage à jour avant"
                                         f" de la restaurer ({text}).")
    return CorruptedBackup(path, f"n'a pas pu être lu jusqu'au bout ({text}). Ce n'est pas une sauvegarde"
                                 " utilisable : prenez-en une autre.")


def _unrestorable(path: Path, error: duckdb.Error) -> UnusableBackup:
    """The French meaning of a failure to bring a copy of the backup up to this code's schema."""
    if isinstance(error, duckdb.IOException) or "Corrupt database file" in str(error) or "checksum" in str(error):
        return _unreadable(path, error)
    text = str(error).split("\n")[0]
    return NotAMaillageStore(path, f"est une base DuckDB, mais sa mise à jour vers cette version de Maillage a échoué"
                                   f" ({text}) : ce n'est pas une base Maillage intacte.")


@functools.cache
def _schema_of(migrations: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """The tables (and their columns) a store has once ``migrations`` are applied: the migrations
    themselves, run on an empty in-memory database."""
    from models.migrations import MIGRATIONS

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        for migration in MIGRATIONS:
            if migration.name in migrations:
                migration.apply(con)
        return _columns(con, _current_catalog(con))
    finally:
        con.close()


def _columns(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, frozenset[str]]:
    rows = con.execute("SELECT schema_name, table_name, column_name FROM duckdb_columns() WHERE database_name = ?"
                       " AND NOT internal", [catalog]).fetchall()
    tables: dict[str, set[str]] = {}
    for schema, table, column in rows:
        tables.setdefault(_table_name(schema, table), set()).add(column)
    return {name: frozenset(columns) for name, columns in tables.items()}


def _missing_schema(con: duckdb.DuckDBPyConnection, catalog: str, migrations: tuple[str, ...]) -> str | None:
    """What the backup lacks of the schema its migrations create (« il lui manque les tables … »), or None."""
    expected, present = _schema_of(migrations), _columns(con, catalog)
    tables = sorted(name for name in expected if name not in present)
    columns = sorted(f"{name}.{column}" for name, wanted in expected.items() if name in present
                     for column in wanted - present[name])
    parts = ([f"il lui manque {'les tables' if len(tables) > 1 else 'la table'} {', '.join(tables)}"] if tables else [])
    if columns:
        parts.append(f"{'il lui manque ' if not tables else ''}{'les colonnes' if len(columns) > 1 else 'la colonne'}"
                     f" {', '.join(columns)}")
    return " et ".join(parts) or None


def _read_every_value(con: duckdb.DuckDBPyConnection, catalog: str) -> None:
    """Read every value of every table (a hash of each column), so that DuckDB checks the checksum of
    every block holding data."""
    for schema, table in _tables(con, catalog):
        con.execute("SELECT bit_xor(hash(COLUMNS(*))) FROM " + _qualified(catalog, schema, table)).fetchall()


# -- backup --------------------------------------------------------------------------------------


@contextmanager
def _attached(con: duckdb.DuckDBPyConnection, path: Path) -> Iterator[str]:
    """``path`` attached to ``con``'s DuckDB instance under a name of our own, detached after
    (detaching checkpoints it: the file alone is then complete)."""
    alias = f"maillage_copie_{uuid.uuid4().hex[:12]}"
    con.execute("ATTACH ? AS " + sql_identifier(alias), [str(path)])
    try:
        yield alias
    finally:
        con.execute("DETACH " + sql_identifier(alias))


def _copy_store(con: duckdb.DuckDBPyConnection, store: Store, target: Path, *, by: str,
                before_upgrade: bool = False) -> BackupReport:
    """The backup itself, on a connection the caller holds (``restore_store`` holds it across the swap).
    ``before_upgrade``: the program's own copy before it migrates the store (no person's right to
    check; the copy keeps the schema the previous version reads)."""
    started, taken_at = time.perf_counter(), utc_now()
    if not before_upgrade:
        require(con, by, RIGHT)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_beside(target)
    try:
        source = _current_catalog(con)
        with _attached(con, temporary) as alias:
            con.execute("BEGIN TRANSACTION")
            try:
                counts = _row_counts(con, source)  # the transaction's first read of the store: its snapshot
                con.execute("COPY FROM DATABASE " + sql_identifier(source) + " TO " + sql_identifier(alias))
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        copied = inspect_backup(temporary)
        if copied.counts != counts:
            raise BackupError(f"La copie de {store.path} ne contient pas les mêmes lignes que la base : sauvegarde"
                              " abandonnée, rien n'a été écrit.")
        if copied.pending and not before_upgrade:  # a store not yet migrated by this code: its backup is
            Store(temporary, keep_open=0).migrate()
        os.replace(temporary, target)
    except BaseException:
        _remove_database_file(temporary)
        raise
    _sync_folder(target.parent)
    return BackupReport(path=target, counts=counts, size=target.stat().st_size,
                        seconds=time.perf_counter() - started, taken_at=taken_at)


def backup_store(store: Store, destination: str | os.PathLike[str] | None = None, *, by: str) -> BackupReport:
    """Copy the whole store into a new DuckDB file (default: ``backups/maillage-AAAAMMJJ-HHMMSS.duckdb``
    beside the store; a folder: that name inside it), consistent even while the app writes."""
    target = _backup_target(store, destination)
    with store.connect() as con:
        return _copy_store(con, store, target, by=by)


# -- upgrade -------------------------------------------------------------------------------------

UPGRADE_ACTOR = "maillage (mise à jour)"


def upgrade_store(store: Store) -> BackupReport | None:
    """Bring the store to this version's schema, after a backup when it holds data.

    The first start of a newer Maillage on a store of an older one: the store is copied whole, in the
    schema the older version reads (``backups/avant-mise-a-jour-AAAAMMJJ-HHMMSS.duckdb``, beside
    it), then migrated; the copy's report is returned. A new store (no migration yet) is only
    migrated. A store of a newer Maillage is refused untouched (``NewerStore``, from ``migrate``).
    """
    from models.migrations import MIGRATIONS

    applied = set(store.applied_migrations())  # none for a new (or absent) store
    report = None
    if applied and any(m.name not in applied for m in MIGRATIONS):  # an older version's store: copied first
        target = _free_name(backup_folder(store), f"avant-mise-a-jour-{_stamp()}")
        with store.connect() as con:
            report = _copy_store(con, store, target, by=UPGRADE_ACTOR, before_upgrade=True)
    store.migrate()
    return report


def open_store(path: str | os.PathLike[str] | None = None) -> Store:
    """The store at ``path`` (or the default), upgraded to this version's schema (``upgrade_store``)."""
    store = Store(Path(path) if path else default_db_path())
    upgrade_store(store)
    return store


# -- restore -------------------------------------------------------------------------------------


def _checkpointed(con: duckdb.DuckDBPyConnection, store: Store) -> None:
    """Fold the store's write-ahead log into its file, so nothing of the replaced file lingers beside
    the new one (DuckDB would refuse a log that does not match the file)."""
    wal = Path(f"{store.path}.wal")
    for _ in range(5):
        con.execute("CHECKPOINT")
        if not wal.exists():
            return
        time.sleep(0.05)
    raise BackupError(f"La base {store.path} est en cours d'écriture : restauration abandonnée, rien n'a changé."
                      " Réessayez dans un instant.")


def restore_store(store: Store, backup_file: str | os.PathLike[str], *, by: str) -> RestoreReport:
    """Replace the store by a backup: check it, keep a safety copy of the current store, swap the
    files atomically while holding the store, migrate; the restore is recorded in the history of
    the restored store (who, from which file, where the safety copy is)."""
    started = time.perf_counter()
    backup_file = Path(backup_file)
    if _is_store_file(store, backup_file):
        raise BackupError(f"{backup_file} est la base en service elle-même : choisissez une sauvegarde.")
    with store.connect() as con:  # refuse before any file is written
        require(con, by, RIGHT)
    inspect_backup(backup_file, read_everything=True)
    safety_target = _backup_target(store, None, "-avant-restauration")
    restored = _temporary_beside(store.path)
    try:
        shutil.copyfile(backup_file, restored)
        if Path(f"{backup_file}.wal").exists():  # a store copied by hand with its log: replayed on opening
            shutil.copyfile(f"{backup_file}.wal", f"{restored}.wal")
        restored_store = Store(restored, keep_open=0)
        try:
            migrations_applied = restored_store.migrate()
            with restored_store.atomic() as con:
                record_audit(con, actor=by, action="store.restore", entity="store", details={
                    "fichier": str(backup_file.resolve()), "copie_de_securite": str(safety_target.resolve()),
                    "migrations_appliquees": migrations_applied})
            with restored_store.connect() as con:
                counts = _row_counts(con, _current_catalog(con))
        except duckdb.Error as error:  # the copy, not the store: nothing was changed yet
            restored_store.release()
            raise _unrestorable(backup_file, error) from None
        # closed (checkpointed): no write-ahead log beside it
        with store.connect() as con:  # from here to the swap, no other process writes the store
            safety = _copy_store(con, store, safety_target, by=by)
            _checkpointed(con, store)
            os.replace(restored, store.path)
        _sync_folder(store.path.parent)
    except BaseException:
        _remove_database_file(restored)
        raise
    store.release()  # close the instance of the replaced file now (others notice the new inode)
    store.migrate()
    return RestoreReport(store_path=store.path, backup_file=backup_file, safety_copy=safety, counts=counts,
                         migrations_applied=migrations_applied, seconds=time.perf_counter() - started)


# -- export of every table -----------------------------------------------------------------------


def _export_table(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str, folder: Path) -> TableExport:
    columns = [name for (name,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? AND table_name = ?"
        " ORDER BY column_index", [catalog, schema, table]).fetchall() if name not in SECRET_COLUMNS]
    name = _table_name(schema, table)
    if Path(name).name != name or name.startswith("."):
        raise BackupError(f"Table « {name} » : nom impropre à un nom de fichier, export abandonné.")
    select = "SELECT " + ", ".join(sql_identifier(column) for column in columns) + " FROM " + _qualified(catalog, schema, table)
    parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
    rows = con.execute("COPY (" + select + ") TO ? (FORMAT parquet)", [str(parquet)]).fetchall()[0][0]
    written = write_excel_csv(csv, columns, _rows_for_people(con.execute(select), columns))
    if written != rows:
        raise BackupError(f"Table « {name} » : {written} lignes écrites en CSV pour {rows} en Parquet, export abandonné.")
    return TableExport(name=name, rows=rows, parquet=parquet, csv=csv)


def _rows_for_people(cursor: duckdb.DuckDBPyConnection, columns: list[str], batch: int = 10_000) -> Iterator[dict]:
    """The rows of a query, a batch at a time, as a person in France reads them: a moment (stored in
    UTC) at the time of Paris."""
    while chunk := cursor.fetchmany(batch):
        for values in chunk:
            yield {column: value.astimezone(PARIS).replace(tzinfo=None)
                   if isinstance(value, datetime) and value.tzinfo is not None else value
                   for column, value in zip(columns, values, strict=True)}


def export_all(store: Store, folder: str | os.PathLike[str], *, by: str) -> ExportReport:
    """Write every table of the store (from DuckDB's catalog) as ``TABLE.parquet`` (exact) and
    ``TABLE.csv`` (for French Excel, formulas made harmless) in ``folder`` (new or empty), from one
    snapshot; never a password hash."""
    started = time.perf_counter()
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} existe déjà et n'est pas un dossier vide : choisissez un dossier neuf pour"
                          " l'export.")
    with store.connect() as con:
        require(con, by, RIGHT)
        folder.parent.mkdir(parents=True, exist_ok=True)
        temporary = _temporary_beside(folder)
        temporary.mkdir()
        try:
            catalog = _current_catalog(con)
            con.execute("BEGIN TRANSACTION")
            try:
                written = [_export_table(con, catalog, schema, table, temporary)
                           for schema, table in _tables(con, catalog)]
            finally:
                con.execute("ROLLBACK")  # read only
            if folder.exists():
                folder.rmdir()  # empty (checked above)
            os.replace(temporary, folder)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
    _sync_folder(folder.parent)
    tables = [TableExport(t.name, t.rows, folder / t.parquet.name, folder / t.csv.name) for t in written]
    size = sum(t.parquet.stat().st_size + t.csv.stat().st_size for t in tables)
    return ExportReport(folder=folder, tables=tables, size=size, seconds=time.perf_counter() - started)

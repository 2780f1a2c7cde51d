"""The ``maillage`` command: the core's functions from a terminal.

Each command opens the store chosen by ``--db`` or ``$MAILLAGE_DB`` (default
``data/maillage.duckdb``), calls one core function and prints its French result. Errors of the
core become a French message and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from pathlib import Path

import click

from models.access import ROLES
from models.errors import MaillageError
from models.store import Store, default_db_path
from models.text import counted

# -- click in French -------------------------------------------------------------------------------
# click writes its own texts (« Error: », « Usage: », « Try … for help. », « Missing argument »,
# « No such option », the help's « Show this message and exit. »…) in English, through gettext's
# global domain, so only for a French locale holding a translation of click, which no system has.
# Maillage speaks French whatever the terminal's locale: click's modules get this catalogue instead
# (click 8.5, pinned; a text missing here stays in English, and the tests of refusals say so).

CLICK_FRENCH = {
    "Error: {message}": "Erreur : {message}",
    "Usage:": "Utilisation :",
    "Try '{command} {option}' for help.": "Essayez « {command} {option} » pour obtenir de l'aide.",
    "Aborted!": "Interrompu.",
    "Missing argument": "Argument manquant",
    "Missing option": "Option manquante",
    "Missing parameter": "Paramètre manquant",
    "Missing {param_type}": "{param_type} manquant",
    "Missing parameter: {param_name}": "Paramètre manquant : {param_name}",
    "Missing command.": "Commande manquante.",
    "No such option {name!r}.": "Option inconnue : {name}.",
    "No such command {name!r}.": "Commande inconnue : {name}.",
    "Invalid value: {message}": "Valeur invalide : {message}",
    "Invalid value for {param_hint}: {message}": "Valeur invalide pour {param_hint} : {message}",
    "Option {name!r} does not take a value.": "L'option {name} ne prend pas de valeur.",
    "Argument {name!r} takes {nargs} values.": "L'argument {name} prend {nargs} valeurs.",
    "Value must be an iterable.": "La valeur doit être une liste.",
    "Options": "Options",
    "Commands": "Commandes",
    "Positional arguments": "Arguments",
    "Show this message and exit.": "Afficher cette aide et quitter.",
    "default: {default}": "défaut : {default}",
    "env var: {var}": "variable d'environnement : {var}",
    "(dynamic)": "(calculé)",
    "deprecated": "obsolète",
    "Repeat for confirmation": "Répétez pour confirmer",
    "Error: The two entered values do not match.": "Erreur : les deux saisies diffèrent.",
    "Error: invalid input": "Erreur : saisie invalide.",
    "Do you want to continue?": "Continuer ?",
    "Confirm the action without prompting.": "Confirmer sans poser la question.",
    "Choose from:\n\t{choices}": "Au choix :\n\t{choices}",
    "{value!r} is not a valid {number_type}.": "« {value} » n'est pas un nombre valide.",
    "{value} is not in the range {range}.": "{value} n'est pas dans l'intervalle {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "« {value} » n'est ni oui ni non. Valeurs reconnues : {states}",
    "{value!r} is not a valid UUID.": "« {value} » n'est pas un UUID valide.",
    "{name} {filename!r} does not exist.": "{name} « {filename} » introuvable.",
    "{name} {filename!r} is a file.": "{name} « {filename} » est un fichier.",
    "{name} {filename!r} is a directory.": "{name} « {filename} » est un dossier.",
    "{name} {filename!r} is not readable.": "{name} « {filename} » illisible (droits d'accès).",
    "{name} {filename!r} is not writable.": "{name} « {filename} » n'est pas modifiable (droits d'accès).",
    "{name} {filename!r} is not executable.": "{name} « {filename} » n'est pas exécutable.",
    "file": "fichier",
    "directory": "dossier",
    "path": "chemin",
    "Could not open file {filename!r}: {message}": "Impossible d'ouvrir le fichier « {filename} » : {message}",
    "unknown error": "erreur inconnue",
}
# ngettext's texts: the singular's msgid → (singular, plural) in French (0 and 1 are singular).
CLICK_FRENCH_PLURALS = {
    "Did you mean {possibility}?": ("Vouliez-vous dire {possibility} ?", "(Vouliez-vous dire l'une de : {possibilities} ?)"),
    "Got unexpected extra argument ({args})": ("Argument en trop : {args}", "Arguments en trop : {args}"),
    "Option {name!r} requires an argument.": ("L'option {name} attend une valeur.", "L'option {name} attend {nargs} valeurs."),
    "{value!r} is not {choice}.": ("« {value} » n'est pas {choice}.", "« {value} » n'est pas l'un de {choices}."),
    "{value!r} does not match the format {format}.": ("« {value} » ne correspond pas au format {format}.",
                                                       "« {value} » ne correspond à aucun des formats {formats}."),
    "Takes {nargs} values but 1 was given.": ("Attend {nargs} valeurs, une seule donnée.",
                                              "Attend {nargs} valeurs, {len} données."),
    "{len_type} values are required, but {len_value} was given.": ("{len_type} valeurs attendues, {len_value} donnée.",
                                                                   "{len_type} valeurs attendues, {len_value} données."),
}


def _speak_french_to_click() -> None:
    """Give click's modules the French catalogue in place of gettext (before any command is
    declared: a ``click.Path`` names itself « fichier » when it is created)."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types

    def gettext(message: str) -> str:
        return CLICK_FRENCH.get(message, message)

    def ngettext(singular: str, plural: str, count: int) -> str:
        french = CLICK_FRENCH_PLURALS.get(singular)
        if french is None:
            return singular if count == 1 else plural
        return french[0] if count <= 1 else french[1]

    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.termui,
                   click.types):
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext


_speak_french_to_click()


class _FrenchHelpFormatter(click.HelpFormatter):
    """The help's headings with French spacing: « Options : », « Commandes : »."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading} :\n")


class _FrenchContext(click.Context):
    formatter_class = _FrenchHelpFormatter


class _FrenchCommand(click.Command):
    context_class = _FrenchContext


class _FrenchGroup(click.Group):
    """``maillage`` and its groups of commands: their commands and groups are French too."""

    context_class = _FrenchContext
    command_class = _FrenchCommand
    group_class = type  # a group's groups are of its own class


class Context:
    """What every command shares: the store's path, and who acts (``--par``)."""

    def __init__(self, db: str | None, par: str | None = None) -> None:
        self.db = Path(db) if db else default_db_path()
        self.par = par
        self._actor: str | None = None

    def store(self) -> Store:
        """The store with every migration applied (after a backup, the first time a newer Maillage opens it)."""
        from models.backup import upgrade_store

        store = Store(self.db)
        report = upgrade_store(store)
        if report is not None:
            click.echo(f"Base mise à jour pour cette version de Maillage ; copie d'avant la mise à jour : {report.path}",
                       err=True)
        return store

    def actor(self, store: Store, par: str | None = None) -> str:
        """Who the command acts as, recorded in the history and checked by the core's rights.

        Laptop mode (no account in the store): « cli ». Server mode: the account named by
        ``par`` (a command's own option) or the global ``--par`` / ``$MAILLAGE_UTILISATEUR``, once
        its password (``$MAILLAGE_MOT_DE_PASSE``, else asked) is checked. The password is asked
        with no transaction open, and a failed attempt is committed before the refusal.
        """
        from models.access import accounts_exist, authenticate

        login = par or self.par
        if self._actor is not None and (login is None or login == self._actor):
            return self._actor
        with store.connect() as con:
            if not accounts_exist(con):
                return "cli"
        if not login:
            raise MaillageError("Cette base a des comptes : indiquez qui agit avec --par IDENTIFIANT"
                                " (ou la variable MAILLAGE_UTILISATEUR) ; son mot de passe est demandé.")
        password = os.environ.get("MAILLAGE_MOT_DE_PASSE") or click.prompt(f"Mot de passe de {login}", hide_input=True)
        with store.atomic() as con:
            signed_in = authenticate(con, login, password)
        if signed_in.user is None:
            raise MaillageError(signed_in.refusal or "Connexion refusée.")
        self._actor = signed_in.user.login
        return self._actor


pass_context = click.make_pass_decorator(Context)


def _fail(error: Exception) -> click.ClickException:
    return click.ClickException(str(error))


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``maillage --version``: the version, and where this computer keeps the store and the secrets."""
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    from models.places import data_folder, secrets_path

    click.echo(f"Maillage {version('maillage')}")
    click.echo(f"Base : {default_db_path().expanduser().resolve()}")
    click.echo(f"Dossier de données : {data_folder().expanduser().resolve()}")
    click.echo(f"Fichier de secrets : {secrets_path()}")
    ctx.exit()


@click.group(name="maillage", cls=_FrenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar="MAILLAGE_DB",
    type=click.Path(dir_okay=False),
    help="Fichier DuckDB de la base (défaut : $MAILLAGE_DB, sinon maillage.duckdb dans le dossier de données :"
         " voir « maillage --version »).",
)
@click.option(
    "--par",
    envvar="MAILLAGE_UTILISATEUR",
    metavar="IDENTIFIANT",
    help="Base avec comptes (mode serveur) : le compte au nom duquel agir ; son mot de passe est demandé"
         " (ou lu dans $MAILLAGE_MOT_DE_PASSE).",
)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Afficher la version, la base et le dossier de données, puis quitter.")
@click.pass_context
def main(ctx: click.Context, db: str | None, par: str | None) -> None:
    """Maillage : registre des lieux d'inclusion numérique d'un territoire."""
    ctx.obj = Context(db, par)


@main.command(name="app")
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True,
              help="Port de l'application sur cet ordinateur.")
@click.option("--no-browser", "--sans-navigateur", "no_browser", is_flag=True,
              help="Ne pas ouvrir le navigateur (l'adresse s'affiche ; utile sur un serveur ou pour un test).")
@pass_context
def app_command(context: Context, port: int, no_browser: bool) -> None:
    """Lancer l'application sur la base de cet ordinateur (la démonstration se charge au premier démarrage)
    et ouvrir le navigateur ; Ctrl+C pour l'arrêter."""
    from ui.launch import run_app

    click.echo(f"Maillage sur http://localhost:{port} — base : {context.db.expanduser().resolve()}")
    run_app(context.db, port=port, open_browser=not no_browser)


@main.command()
@click.option("--demo", is_flag=True, help="Charger les 924 lieux de démonstration si la base est neuve.")
@pass_context
def init(context: Context, demo: bool) -> None:
    """Créer la base (ou la mettre à jour) et, avec --demo, charger la démonstration."""
    from collect.demo import load_demo

    try:
        store = context.store()
        click.echo(f"Base prête : {store.path}")
        if demo:
            reports = load_demo(store)
            for report in reports:
                click.echo(report.summary())
            if not reports:
                click.echo("Démonstration déjà chargée auparavant : rien à faire.")
    except MaillageError as error:
        raise _fail(error) from None


@main.command()
@click.option("--list", "list_only", is_flag=True, help="Lister les migrations appliquées et en attente, sans rien changer.")
@pass_context
def migrate(context: Context, list_only: bool) -> None:
    """Appliquer les migrations du schéma de la base (après une copie de la base, si elle a des données)."""
    from models.backup import upgrade_store

    store = Store(context.db)
    try:
        if list_only:
            for name in store.applied_migrations():
                click.echo(f"appliquée  {name}")
            for name in store.pending_migrations():
                click.echo(f"en attente {name}")
            return
        pending = store.pending_migrations()
        report = upgrade_store(store)
    except MaillageError as error:
        raise _fail(error) from None
    if report is not None:
        click.echo(f"Copie de la base avant la mise à jour : {report.path}")
    click.echo(f"{len(pending)} migration(s) appliquée(s)." if pending else "Base à jour.")


@main.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Simuler : tout vérifier et compter, n'importer aucun lieu ; "
              "affiche le sort de chaque colonne et la traduction des valeurs (--enregistrer-profil enregistre "
              "quand même le profil demandé).")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False), help="Fichier de correspondance des colonnes (YAML ou CSV).")
@click.option("--profil", "profile", metavar="NOM", help="Appliquer ce profil d'import (défaut : celui que l'en-tête du fichier fait reconnaître).")
@click.option("--sans-profil", "no_profile", is_flag=True, help="N'appliquer aucun profil d'import.")
@click.option("--enregistrer-profil", "save_as", metavar="NOM",
              help="Enregistrer la correspondance appliquée (et les traductions) comme profil de cette source.")
@click.option("--date-maj", "date_maj", metavar="AAAA-MM-JJ",
              help="Date du fichier, pour les lieux sans date de mise à jour (défaut : date du nom du fichier, sinon du jour).")
@click.option("--sheet", help="Onglet à lire dans un fichier Excel (défaut : le premier).")
@click.option("--tout-ou-rien", "all_or_nothing", is_flag=True, help="N'importer rien si une seule ligne est rejetée.")
@click.option("--rapport", type=click.Path(dir_okay=False), help="Écrire le détail des problèmes dans ce CSV (pour Excel).")
@click.option("--max-messages", default=50, show_default=True, help="Nombre de messages affichés.")
@pass_context
def import_command(
    context: Context, file: str, dry_run: bool, mapping: str | None, profile: str | None, no_profile: bool,
    save_as: str | None, date_maj: str | None, sheet: str | None, all_or_nothing: bool, rapport: str | None,
    max_messages: int,
) -> None:
    """Importer les structures d'un fichier CSV, Excel (.xlsx) ou JSON."""
    from collect.imports import import_file

    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="Lecture des lignes", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        store = context.store()
        report = import_file(
            store, file, sheet=sheet, mapping=mapping, profile=profile, use_profile=not no_profile,
            date_maj=_date_option(date_maj, "--date-maj"), dry_run=dry_run, all_or_nothing=all_or_nothing,
            by=context.actor(store), progress=progress,
        )
        if save_as:
            _save_profile(store, report, save_as, context.actor(store))
    except MaillageError as error:
        raise _fail(error) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if report.profile:
        how = "reconnu d'après l'en-tête du fichier" if report.profile_recognised else "choisi"
        click.echo(f"Profil d'import « {report.profile} » appliqué ({how}).")
    if dry_run:
        _echo_columns(report)
        _echo_translations(report)
    for issue in report.issues[:max_messages]:
        click.echo(f"[{issue.severity}] {issue}")
    if len(report.issues) > max_messages:
        click.echo(f"… et {len(report.issues) - max_messages} autre(s) message(s) (option --rapport pour tout voir).")
    if rapport:  # for Excel: « ; », BOM, and a value from the file never runs as a formula
        from models.excel_csv import write_excel_csv

        write_excel_csv(rapport, ["fichier", "ligne", "champ", "valeur", "gravité", "message"], report.issue_rows())
    click.echo(report.summary())


def _date_option(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"« {value} » n'est pas une date AAAA-MM-JJ.", param_hint=option) from None


def _save_profile(store: Store, report, name: str, by: str) -> None:
    from collect.import_profiles import save_profile
    from collect.imports import profile_from_report

    profile = profile_from_report(report, name)
    with store.atomic() as con:
        save_profile(con, profile, by=by)
    click.echo(f"Profil d'import « {name} » enregistré ({len(profile.colonnes)} colonnes).")


def _table(rows: list[list[str]], header: list[str], widths: list[int]) -> None:
    """A plain text table, each cell cut to its column's width."""
    def cut(text: str, width: int) -> str:
        text = " ".join(str(text).split())
        return text if len(text) <= width else text[: width - 1] + "…"

    click.echo("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(cut(c, w).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _echo_columns(report) -> None:
    click.echo(f"Colonnes du fichier ({len(report.columns)}) :")
    rows = [[u.column, u.fate, u.reason, " | ".join(u.samples)] for u in report.columns]
    _table(rows, ["colonne", "sort", "raison", "exemples"], [34, 40, 34, 50])


def _echo_translations(report) -> None:
    if not report.translations:
        return
    click.echo(f"Traduction des valeurs ({len(report.translations)}) :")
    rows = [[t.column, t.value, t.targets_text() or ("—" if not t.unknown else "(aucune : conservée à part)"),
             str(t.count), t.how] for t in report.translations]
    _table(rows, ["colonne", "valeur", "traduction", "lignes", "comment"], [28, 40, 44, 6, 18])


@main.group(name="profils")
def profiles_group() -> None:
    """Profils d'import : la correspondance des colonnes et la traduction des valeurs d'une source."""


@profiles_group.command(name="list")
@pass_context
def profiles_list(context: Context) -> None:
    """Lister les profils d'import enregistrés."""
    from collect.import_profiles import list_profiles

    try:
        with context.store().connect() as con:
            profiles = list_profiles(con)
    except MaillageError as error:
        raise _fail(error) from None
    if not profiles:
        click.echo("Aucun profil d'import enregistré.")
    for profile in profiles:
        used = sum(1 for field in profile.correspondance.values() if field)
        click.echo(f"{profile.nom} — {len(profile.colonnes)} colonnes, {used} choisies, "
                   f"{sum(len(v) for v in profile.traductions.values())} traductions")


@profiles_group.command(name="show")
@click.argument("nom")
@pass_context
def profiles_show(context: Context, nom: str) -> None:
    """Afficher un profil d'import : colonnes, champs choisis, traductions."""
    from collect.import_profiles import get_profile

    try:
        with context.store().connect() as con:
            profile = get_profile(con, nom)
    except MaillageError as error:
        raise _fail(error) from None
    click.echo(f"Profil « {profile.nom} » ({len(profile.colonnes)} colonnes dans l'en-tête) :")
    for column in profile.colonnes:
        if column in profile.correspondance:
            field = profile.correspondance[column]
            click.echo(f"  {column} → {field or '(écartée)'}")
    for column, values in profile.traductions.items():
        for value, targets in values.items():
            shown = " ; ".join(code for _, code in targets) or "(rien)"
            click.echo(f"  {column} : « {value} » → {shown}")


@profiles_group.command(name="delete")
@click.argument("nom")
@pass_context
def profiles_delete(context: Context, nom: str) -> None:
    """Supprimer un profil d'import."""
    from collect.import_profiles import delete_profile

    try:
        store = context.store()
        by = context.actor(store)
        with store.atomic() as con:
            profile = delete_profile(con, nom, by=by)
    except MaillageError as error:
        raise _fail(error) from None
    click.echo(f"Profil d'import « {profile.nom} » supprimé.")


def _as_of(value: str | None) -> date | datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"« {value} » n'est pas une date AAAA-MM-JJ.", param_hint="--as-of") from None


@main.command()
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--as-of", "as_of", help="Le registre tel qu'il était à cette date (AAAA-MM-JJ).")
@pass_context
def export(context: Context, out: str, fmt: str, as_of: str | None) -> None:
    """Exporter le registre au standard national des lieux de médiation numérique."""
    from sync.export import export_structures

    try:
        result = export_structures(context.store(), out, format=fmt, as_of=_as_of(as_of))
    except MaillageError as error:
        raise _fail(error) from None
    for line in result.withheld:
        click.echo(line)
    if result.not_open:
        click.echo(f"{result.not_open} lieu(x) fermé(s), inactif(s) ou masqué(s) dans leur source : non publié(s).")
    if result.withheld:
        click.echo(f"{len(result.withheld)} lieu(x) non publié(s) : données personnelles à retirer (voir ci-dessus).")
    click.echo(f"{result.count} lieux exportés dans {result.path} ({result.format}).")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--max-messages", default=100, show_default=True)
def validate(file: str, max_messages: int) -> None:
    """Vérifier un fichier (CSV ou JSON) contre le standard national, comme validata."""
    from sync.export import validate_file

    try:
        report = validate_file(file)
    except MaillageError as error:
        raise _fail(error) from None
    for error in report.errors[:max_messages]:
        click.echo(str(error))
    click.echo(report.summary())
    if not report.valid:
        sys.exit(1)



# --------------------------------------------------------------------------------------------
# Questionnaires (files only: nothing here touches the store)


def _shape(questionnaire) -> str:
    questions = sum(len(section.questions) for section in questionnaire.sections)
    return f"{counted(len(questionnaire.sections), 'section')}, {counted(questions, 'question')}"


@main.group()
def questionnaire() -> None:
    """Importer un XLSForm (ODK, KoboToolbox) et vérifier un questionnaire."""


@questionnaire.command(name="import")
@click.argument("form")
@click.option("--out", type=click.Path(dir_okay=False), help="Fichier YAML à écrire (défaut : FORM.yaml à côté).")
@click.option("--code", help="Code du questionnaire (défaut : le form_id des réglages, sinon le nom du fichier).")
def questionnaire_import(form: str, out: str | None, code: str | None) -> None:
    """Convertir un XLSForm (.xlsx) en questionnaire YAML, en signalant ce qui n'est pas repris.

    Chaque ligne non reprise est signalée (onglet, ligne, raison) et le reste est importé. Les
    lignes « à revoir » (condition, contrainte ou obligation illisible, retirée : une question
    obligatoire devient alors facultative) sont listées à la fin ; le YAML est tout de même
    écrit (statut 0).
    Statut 1 : aucun questionnaire produit.
    """
    from collect.questionnaire import questionnaire_to_yaml
    from collect.xlsform import import_xlsform

    result = import_xlsform(form, code=code)
    for problem in result.problems:
        click.echo(f"[{problem.severity}] {problem}")
    if result.questionnaire is None:
        errors = counted(len(result.errors), "erreur")
        click.echo(f"Aucun questionnaire produit : {errors} à corriger dans {Path(form).name}.")
        sys.exit(1)
    target = Path(out) if out else Path(form).with_suffix(".yaml")
    try:
        target.write_text(questionnaire_to_yaml(result.questionnaire), encoding="utf-8")
    except OSError as error:
        click.echo(f"[erreur] {target} : écriture impossible ({error.strerror or error}).")
        sys.exit(1)
    click.echo(f"Questionnaire « {result.questionnaire.titre} » : {_shape(result.questionnaire)} → {target}")
    if summary := result.review_summary():
        click.echo(f"Questionnaire à revoir avant de s'en servir : {summary}.")


def _read_questionnaire(file: str, review: list | None = None):
    """A questionnaire from a YAML file or an XLSForm (imported in memory), its problems printed
    in French; None when it is not valid. The problems « à revoir » of an XLSForm are added to
    ``review`` when it is given."""
    from collect.questionnaire import QuestionnaireInvalid, load_questionnaire
    from collect.xlsform import import_xlsform

    name = Path(file).name
    if name.lower().endswith((".xlsx", ".xlsm")):
        result = import_xlsform(file)
        for problem in result.problems:
            click.echo(f"[{problem.severity}] {problem}")
        if result.questionnaire is None:
            click.echo(f"{name} : questionnaire invalide ({counted(len(result.errors), 'erreur')}).")
        elif review is not None:
            review.extend(result.review)
        return result.questionnaire
    try:
        return load_questionnaire(file)
    except QuestionnaireInvalid as error:
        click.echo(str(error))
        return None


@questionnaire.command(name="check")
@click.argument("file")
def questionnaire_check(file: str) -> None:
    """Vérifier un questionnaire YAML (ou un XLSForm .xlsx, importé en mémoire).

    \b
    Statut de sortie :
      0  questionnaire valide ;
      1  questionnaire invalide (erreurs à corriger, aucun questionnaire) ;
      3  questionnaire à revoir : l'XLSForm s'importe, mais des conditions, contraintes ou
         obligations illisibles en ont été retirées (une question obligatoire devient alors
         facultative) ; les lignes à revoir sont listées.
    """
    from collect.xlsform import review_summary

    name = Path(file).name
    review: list = []
    checked = _read_questionnaire(file, review)
    if checked is None:
        sys.exit(1)
    if summary := review_summary(review):
        click.echo(f"{name} : questionnaire à revoir ({_shape(checked)}) : {summary}.")
        sys.exit(3)
    click.echo(f"{name} : questionnaire valide ({_shape(checked)}).")


@questionnaire.command(name="publish")
@click.argument("file")
@click.option("--campagne", "campaign", help="Nom d'une campagne à créer sous cette version (facultatif).")
@pass_context
def questionnaire_publish(context: Context, file: str, campaign: str | None) -> None:
    """Publier un questionnaire (YAML ou XLSForm) comme nouvelle version dans la base."""
    from collect.campaigns import create_campaign
    from collect.surveys import publish_questionnaire

    checked = _read_questionnaire(file)
    if checked is None:
        sys.exit(1)
    try:
        store = context.store()
        by = context.actor(store)
        with store.atomic() as con:
            stored = publish_questionnaire(con, checked, by=by)
            campaign_id = create_campaign(con, nom=campaign, questionnaire_id=stored.id, by=by) if campaign else None
    except MaillageError as error:
        raise _fail(error) from None
    click.echo(f"Questionnaire « {stored.code} » : version {stored.version} publiée ({_shape(stored.questionnaire)}).")
    if campaign_id:
        click.echo(f"Campagne « {campaign} » créée sous cette version.")


@main.group()
def reponses() -> None:
    """Exporter les réponses des enquêtes."""


@reponses.command(name="export")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--campagne", "campaign", help="Identifiant ou nom de la campagne (défaut : toutes).")
@click.option("--revisions", is_flag=True, help="Toutes les révisions, pas seulement la dernière de chaque réponse.")
@pass_context
def reponses_export(context: Context, out: str, campaign: str | None, revisions: bool) -> None:
    """Écrire les réponses en CSV pour Excel (« ; », UTF-8 avec BOM, une colonne par question)."""
    from collect.campaigns import find_campaign
    from collect.response_export import export_responses_csv

    try:
        store = context.store()
        campaign_id = None
        if campaign:
            with store.connect() as con:
                campaign_id = find_campaign(con, campaign)["id"]
        count = export_responses_csv(store, out, by=context.actor(store), campaign_id=campaign_id,
                                     include_revisions=revisions)
    except MaillageError as error:
        raise _fail(error) from None
    click.echo(f"{counted(count, 'réponse')} exportée{'s' if count > 1 else ''} dans {out}.")


# -- call campaigns ------------------------------------------------------------------------------


@main.group()
def campaign() -> None:
    """Campagnes d'appels : créer, cibler, attribuer, suivre."""


def _campaign(con, name: str) -> dict:
    from collect.campaigns import find_campaign

    return find_campaign(con, name)


@campaign.command(name="list")
@pass_context
def campaign_list(context: Context) -> None:
    """Lister les campagnes, avec leurs structures ciblées et complètes."""
    from collect.calls import load_cases
    from collect.campaigns import list_campaigns

    store = context.store()
    with store.connect() as con:
        campaigns = list_campaigns(con)
        if not campaigns:
            click.echo("Aucune campagne.")
        for row in campaigns:
            cases = load_cases(con, row["id"])
            done = sum(1 for c in cases if c.disposition.code == "1.1")
            click.echo(f"{row['nom']} ({row['id']}) : {counted(len(cases), 'structure ciblée', 'structures ciblées')},"
                       f" {done} complète{'s' if done > 1 else ''}")


@campaign.command(name="create")
@click.argument("nom")
@click.option("--questionnaire", "code", default="diagnostic", show_default=True,
              help="Code du questionnaire (sa dernière version publiée).")
@click.option("--debut", type=click.DateTime(["%Y-%m-%d", "%d/%m/%Y"]), help="Date de début (AAAA-MM-JJ ou JJ/MM/AAAA).")
@click.option("--fin", type=click.DateTime(["%Y-%m-%d", "%d/%m/%Y"]), help="Date de fin.")
@click.option("--max-tentatives", type=int, default=6, show_default=True, help="Appels au plus par structure.")
@click.option("--heures", default="Mo-Fr 09:00-12:30,13:30-18:00", show_default=True,
              help="Heures d'appel (syntaxe OpenStreetMap), dans l'heure de chaque structure.")
@pass_context
def campaign_create(context: Context, nom: str, code: str, debut, fin, max_tentatives: int, heures: str) -> None:
    """Créer une campagne d'appels sous la dernière version d'un questionnaire."""
    from collect.calls import configure_campaign
    from collect.campaigns import create_campaign
    from collect.questionnaire import default_questionnaire
    from collect.surveys import latest_questionnaire, publish_questionnaire

    try:
        store = context.store()
        by = context.actor(store)
        with store.atomic() as con:
            stored = latest_questionnaire(con, code)
            if stored is None and code == default_questionnaire().code:
                stored = publish_questionnaire(con, default_questionnaire(), by=by)
            if stored is None:
                raise click.ClickException(f"Aucun questionnaire publié sous le code « {code} ».")
            campaign_id = create_campaign(con, nom=nom, questionnaire_id=stored.id, by=by)
            configure_campaign(con, campaign_id, max_tentatives=max_tentatives, heures_appel=heures,
                               date_debut=debut.date() if debut else None, date_fin=fin.date() if fin else None, by=by)
    except MaillageError as error:
        raise _fail(error) from None
    click.echo(f"Campagne « {nom} » créée ({campaign_id}), questionnaire {stored.code} v{stored.version}.")


@campaign.command(name="target")
@click.argument("nom")
@click.option("--departement", "departements", multiple=True, help="Département (répétable : 16, 971, 2A…).")
@click.option("--typologie", "typologies", multiple=True, help="Typologie (répétable : CCAS, MUNI, BIB…).")
@click.option("--filtre", "saved", multiple=True, help="Nom d'un filtre enregistré sur la page Structures (répétable).")
@pass_context
def campaign_target(context: Context, nom: str, departements, typologies, saved) -> None:
    """Cibler des structures : par territoire et typologie, ou par filtre enregistré."""
    from collect.calls import load_cases, target_by_filters
    from models.saved_filters import get_filter, territory_filters

    if not (departements or typologies or saved):
        raise click.ClickException("Précisez --departement, --typologie ou --filtre.")
    try:
        store = context.store()
        by = context.actor(store)
        with store.atomic() as con:
            campaign_id = _campaign(con, nom)["id"]
            filters = [get_filter(con, name).criteria for name in saved]
            if departements or typologies:
                filters += territory_filters(list(departements), list(typologies))
            added = target_by_filters(con, campaign_id, filters, by=by)
            total = len(load_cases(con, campaign_id))
    except MaillageError as error:
        raise _fail(error) from None
    click.echo(f"{counted(added, 'structure ajoutée', 'structures ajoutées')} ; la campagne en cible {total}.")


@campaign.command(name="assign")
@click.argument("nom")
@click.option("--enqueteur", "surveyors", multiple=True, required=True, help="Enquêteur ou enquêtrice (répétable).")
@click.option("--reprendre", "leaving", help="Répartir les structures en cours de cette personne entre les autres.")
@pass_context
def campaign_assign(context: Context, nom: str, surveyors, leaving: str | None) -> None:
    """Attribuer les structures non attribuées (ou celles de --reprendre), en équilibrant les charges
    et en gardant chaque territoire ensemble ; l'historique des attributions est conservé."""
    from collect.calls import assign, load_cases, plan_balanced_assignment

    try:
        store = context.store()
        by = context.actor(store)
        with store.atomic() as con:
            campaign_id = _campaign(con, nom)["id"]
            ids = None
            if leaving:
                ids = [c.structure_id for c in load_cases(con, campaign_id)
                       if c.surveyor == leaving and not c.disposition.final]
            plan = plan_balanced_assignment(con, campaign_id, [s for s in surveyors if s != leaving], structure_ids=ids)
            for surveyor, share in plan.items():
                assign(con, campaign_id, share, surveyor, by=by)
    except MaillageError as error:
        raise _fail(error) from None
    if not plan:
        click.echo("Aucune structure à attribuer.")
    for surveyor, share in plan.items():
        click.echo(f"{surveyor} : {counted(len(share), 'structure attribuée', 'structures attribuées')}")


@campaign.command(name="report")
@click.argument("nom")
@click.option("--csv", "folder", type=click.Path(file_okay=False), help="Dossier où écrire chaque tableau en CSV pour Excel.")
@pass_context
def campaign_report(context: Context, nom: str, folder: str | None) -> None:
    """Afficher l'avancement d'une campagne et la charge de chaque enquêteur (et écrire les CSV)."""
    from dashboards.calls import TABLES, campaign_report, table_csv
    from models.store import utc_now

    try:
        store = context.store()
        by = context.actor(store)
        with store.connect() as con:
            found = _campaign(con, nom)
            tables = campaign_report(con, found["id"], now=utc_now(), by=by)
    except MaillageError as error:
        raise _fail(error) from None
    click.echo(f"Campagne « {found['nom']} »")
    for row in tables["funnel"]:
        share = "" if row["% des ciblées"] is None else f" ({row['% des ciblées']:.1f} %)".replace(".", ",")
        click.echo(f"  {row['Étape']} : {row['Structures']}{share}")
    click.echo("Par enquêteur :")
    for row in tables["surveyors"]:
        click.echo(f"  {row['Enquêteur']} : {row['Structures attribuées']} attribuées, {row['Restant à traiter']} à traiter,"
                   f" {row['Complets']} complets, {row['Rappels en retard']} rappels en retard")
    click.echo(f"Rappels en retard : {len(tables['late_callbacks'])} · non-répondants : {len(tables['non_respondents'])}")
    if folder:
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        for name, rows in tables.items():
            (target / f"{TABLES[name].file_stem}.csv").write_bytes(table_csv(name, rows))
        click.echo(f"{len(tables)} tableaux écrits dans {target}.")


def _exclusion_codes(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """The exclusion codes typed after --ecartees, each given by its code or its French title."""
    from models.errors import InvalidValue
    from models.records import relance_exclusion

    try:
        return tuple(relance_exclusion(value) for value in values)
    except InvalidValue as error:
        raise click.BadParameter(str(error)) from None


@campaign.command(name="relances")
@click.argument("nom")
@click.option("--regle", "rules", multiple=True, type=click.Choice(["sans_contact", "partielle", "promesse"]),
              default=("sans_contact", "partielle", "promesse"), show_default=True,
              help="Qui relancer (répétable) : jamais jointe après N tentatives, questionnaire partiel, promesse de répondre.")
@click.option("--tentatives", type=int, default=3, show_default=True, help="N, pour la règle sans_contact.")
@click.option("--ecartees", "left_out", multiple=True, metavar="RAISON", callback=_exclusion_codes,
              help="Lister aussi les structures écartées pour cette raison (répétable) : son code (delai)"
                   " ou son intitulé (« Relancée trop récemment »).")
@click.option("--envoyer", "send", is_flag=True, help="Envoyer par SMTP (réglages [smtp] de --secrets).")
@click.option("--exporter", "export_to", type=click.Path(),
              help="Écrire le lot en fichiers .eml + relances.csv dans ce dossier (ou ce .zip).")
@click.option("--reprendre-lot", "batch", help="Renvoyer ce qui n'est pas parti d'un lot déjà préparé (après un échec).")
@click.option("--secrets", type=click.Path(dir_okay=False), default=None,
              help="Fichier TOML contenant la table [smtp] (défaut : .streamlit/secrets.toml du dossier courant,"
                   " sinon celui du dossier de données).")
@pass_context
def campaign_relances(context: Context, nom: str, rules, tentatives: int, left_out: tuple[str, ...], send: bool,
                      export_to: str | None, batch: str | None, secrets: str | None) -> None:
    """Relancer les non-répondants par courriel : sans option, montre qui serait relancé et pourquoi
    les autres ne le sont pas ; --envoyer envoie, --exporter écrit les messages pour votre messagerie.
    Un message n'est jamais envoyé deux fois."""
    from collections import Counter

    from collect.relances.batches import prepare_batch
    from collect.relances.export import export_batch
    from collect.relances.selection import relance_candidates
    from collect.relances.transport import send_batch, smtp_settings_from_secrets
    from models.places import secrets_path
    from models.records import RELANCE_EXCLUSION_LABELS
    from models.secrets import read_secrets

    if send and export_to:
        raise click.ClickException("Choisissez --envoyer ou --exporter, pas les deux.")
    try:
        store = context.store()
        by = context.actor(store)
        secrets_file = Path(secrets) if secrets else secrets_path()
        settings = smtp_settings_from_secrets(read_secrets(secrets_file), secrets_file) if (send or batch) else None
        if batch:
            report = send_batch(store, batch, settings, by=by)
            click.echo(report.message)
            sys.exit(0 if not (report.echecs or report.non_tentees or report.connexion) else 1)
        with store.connect() as con:
            campaign_id = _campaign(con, nom)["id"]
            selection = relance_candidates(con, campaign_id, list(rules), min_attempts=tentatives)
        for candidate in selection.candidates:
            click.echo(f"  {candidate.nom} <{candidate.destinataire}> : {candidate.motif}")
        for exclusion in selection.excluded:
            if exclusion.code in left_out:
                click.echo(f"  {exclusion.nom} (écartée) : {exclusion.motif}")
        reasons = Counter(exclusion.code for exclusion in selection.excluded)
        by_reason = ", ".join(f"{RELANCE_EXCLUSION_LABELS[code]} : {n}" for code, n in reasons.most_common())
        click.echo(f"{counted(len(selection.candidates), 'structure à relancer', 'structures à relancer')} ;"
                   f" écartées : {len(selection.excluded)}" + (f" ({by_reason})" if by_reason else ""))
        if not (send or export_to) or not selection.candidates:
            return
        ids = [candidate.structure_id for candidate in selection.candidates]
        batch_id = prepare_batch(store, campaign_id, ids, canal="smtp" if send else "export", by=by)
        if send:
            report = send_batch(store, batch_id, settings, by=by)
            click.echo(report.message)
            if report.echecs or report.non_tentees or report.connexion:
                click.echo(f"Pour renvoyer ce qui n'est pas parti : maillage campaign relances \"{nom}\" --reprendre-lot {batch_id}")
                sys.exit(1)
        else:
            written = export_batch(store, batch_id, export_to, by=by)
            click.echo(f"{counted(len(ids), 'message écrit', 'messages écrits')} dans {written} (lot {batch_id}).")
    except MaillageError as error:
        raise _fail(error) from None


# -- Google Sheets hub -----------------------------------------------------------------------------


class _CannotSync(click.ClickException):
    """The sync could not run (settings, access to Google, store busy): exit status 2, French text."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"Synchronisation impossible : {self.format_message()}", file=file, err=True)


def _check_emulator_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    import re

    if value is not None and not re.fullmatch(r"https?://[^/\s]+(/\S*)?", value.strip().rstrip("/")):
        raise click.BadParameter(
            f"« {value} » n'est pas une adresse web : attendu par exemple http://127.0.0.1:8765"
            " (lancé par « maillage dev sheets-emulator »)."
        )
    return value


def _hub_settings(spreadsheet: str | None, emulator: str | None):
    """The hub's settings (secrets of the current directory, environment), overridden by the options."""
    import dataclasses
    import os

    from sync.credentials import ENV_EMULATOR, ENV_SPREADSHEET, hub_settings, parse_spreadsheet_id

    environ = dict(os.environ)
    if spreadsheet:
        environ[ENV_SPREADSHEET] = parse_spreadsheet_id(spreadsheet, "option --classeur")
    if emulator:
        environ[ENV_EMULATOR] = emulator
    settings = hub_settings(environ=environ)
    if spreadsheet:
        settings = dataclasses.replace(settings, spreadsheet_origin="option --classeur")
    if emulator:
        settings = dataclasses.replace(settings, credentials_origin=f"émulateur {settings.emulator_url} (option --emulateur), sans clé")
    return settings


def _octets(number: int, participle: str) -> str:
    """« 1 234 567 octets envoyés » (French thousands separator: a narrow no-break space)."""
    digits = f"{number:,}".replace(",", "\u202f")
    return f"{digits} octet {participle}" if number <= 1 else f"{digits} octets {participle}s"


def _print_sync_state(store: Store, settings) -> None:
    """What ``--etat`` shows: read from the store only, never a request to Google."""
    from models.moments import moment_text
    from sync.status import hub_overview

    with store.connect(read_only=True) as con:
        overview = hub_overview(con, settings.spreadsheet_id)
    origin = f" (source : {settings.spreadsheet_origin})" if settings.spreadsheet_origin else ""
    click.echo(f"Classeur : {overview.spreadsheet_id}{origin}")
    last = overview.last_run
    if last is None:
        click.echo("Dernière synchronisation : aucune avec ce classeur.")
    else:
        cost = f", {counted(last['requetes'], 'requête')}" if last["requetes"] is not None else ""
        click.echo(f"Dernière synchronisation : le {moment_text(last['fin'] or last['debut'], seconds=True)},"
                   f" {last['statut_libelle']}{cost}.")
        if last["erreur"]:
            click.echo(f"  [erreur] {last['erreur']}")
    detail = ", ".join(f"{tab} {count}" for tab, count in overview.waiting.items())
    click.echo(f"Modifications en attente d'envoi : {overview.waiting_total} ({detail}).")
    click.echo(f"Conflits ouverts : {overview.open_conflicts}.")
    if overview.pending_deletions:
        click.echo(f"Lignes supprimées dans le classeur, à confirmer : {overview.pending_deletions}.")


@main.command(name="sync")
@click.option("--classeur", "spreadsheet", metavar="ID_OU_URL",
              help="Classeur à synchroniser (adresse ou identifiant), à la place de celui des réglages.")
@click.option("--emulateur", "emulator", metavar="URL", callback=_check_emulator_url,
              help="Synchroniser avec un émulateur local (« maillage dev sheets-emulator ») plutôt qu'avec Google.")
@click.option("--etat", "state_only", is_flag=True,
              help="Afficher l'état (dernière synchronisation, modifications en attente, conflits) sans rien envoyer.")
@pass_context
def sync_command(context: Context, spreadsheet: str | None, emulator: str | None, state_only: bool) -> None:
    """Synchroniser la base avec le classeur Google Sheets partagé, dans les deux sens.

    Le classeur et la clé du compte de service sont lus dans .streamlit/secrets.toml (table
    [connections.gsheets]) du dossier courant, ou dans les variables MAILLAGE_GSHEETS_SPREADSHEET,
    MAILLAGE_GSHEETS_CREDENTIALS et MAILLAGE_GSHEETS_EMULATOR.

    Conçue pour cron : une synchronisation sans rien à faire coûte une seule requête, et elle est
    sans danger pendant que l'application est ouverte (la base n'est tenue que quelques instants
    à la fois ; une modification faite pendant la synchronisation part à la suivante). Codes de
    sortie : 0 tout est synchronisé, 1 synchronisation terminée mais des lignes attendent une
    personne (messages [erreur]), 2 synchronisation impossible (réglages, accès à Google, base
    occupée) ; rien n'est perdu, la suivante reprend.

    \b
    Exemple de crontab (toutes les 15 minutes) :
      */15 * * * * cd /chemin/de/maillage && .venv/bin/maillage sync >> sync.log 2>&1
    """
    from models.errors import MaillageError
    from sync.credentials import open_hub_client
    from sync.hub import sync_hub

    try:
        settings = _hub_settings(spreadsheet, emulator)
        store = context.store()
        if state_only:
            _print_sync_state(store, settings)
            return
        client, transport = open_hub_client(settings)
        progress = None
        if sys.stderr.isatty():
            def progress(label: str, share: float) -> None:
                click.echo(f"  {share:>4.0%} {label}…", err=True)
        report = sync_hub(store, client, settings.spreadsheet_id, stats=transport.stats, progress=progress,
                          by=context.actor(store))
    except MaillageError as error:
        raise _CannotSync(str(error)) from None
    click.echo(report.message)
    for error in report.errors:
        click.echo(f"[erreur] {error}")
    retries = f" (dont {counted(report.retries, 'réessai')})" if report.retries else ""
    cpu = f"{report.cpu_seconds:.2f}".replace(".", ",")
    click.echo(f"Coût : {counted(report.requests, 'requête')}{retries}, {_octets(report.bytes_sent, 'envoyé')},"
               f" {_octets(report.bytes_received, 'reçu')}, {cpu} s de CPU.")
    if report.errors:
        sys.exit(1)


# -- backup, restore, export of every table --------------------------------------------------------


@main.command()
@click.argument("destination", required=False, type=click.Path())
@pass_context
def backup(context: Context, destination: str | None) -> None:
    """Sauvegarder toute la base dans un fichier DuckDB, même pendant que l'application tourne.

    DESTINATION : le fichier à écrire, ou un dossier ; par défaut
    backups/maillage-AAAAMMJJ-HHMMSS.duckdb à côté de la base. Une sauvegarde n'en écrase jamais
    une autre.
    """
    from models.backup import backup_store

    try:
        store = context.store()
        by = context.actor(store)
        report = backup_store(store, destination, by=by)
    except MaillageError as error:
        raise _fail(error) from None
    click.echo(report.summary())


@main.command()
@click.argument("fichier", type=click.Path(dir_okay=False))
@click.option("--oui", is_flag=True, help="Ne pas demander de confirmation.")
@pass_context
def restore(context: Context, fichier: str, oui: bool) -> None:
    """Remplacer la base par une sauvegarde (FICHIER), après en avoir gardé une copie de sécurité.

    La sauvegarde est vérifiée d'abord (un fichier complet et intact, une base Maillage, d'une version
    que ce programme connaît ; sinon l'erreur dit pourquoi, et rien ne change) ;
    la base actuelle est copiée dans backups/ à côté d'elle, puis remplacée d'un coup. Ce qui a été
    enregistré depuis la sauvegarde n'est plus alors que dans cette copie de sécurité : à faire de
    préférence quand personne ne saisit.
    """
    from models.backup import backup_folder, inspect_backup, restore_store

    try:
        store = context.store()
        by = context.actor(store)
        click.echo(f"Sauvegarde {inspect_backup(fichier, read_everything=True).summary()}")  # checked before asking
        if not oui and click.prompt(
                f"Remplacer la base {store.path} par cette sauvegarde ? La base actuelle sera d'abord copiée"
                f" dans {backup_folder(store)}. Tapez oui pour confirmer", default="non").strip().lower() != "oui":
            click.echo("Restauration annulée : la base n'a pas changé.")
            sys.exit(1)
        report = restore_store(store, fichier, by=by)
    except MaillageError as error:
        raise _fail(error) from None
    click.echo(report.summary())


@main.command(name="export-all")
@click.argument("dossier", type=click.Path(file_okay=False))
@pass_context
def export_all_command(context: Context, dossier: str) -> None:
    """Exporter chaque table de la base en Parquet et en CSV dans DOSSIER (neuf ou vide).

    Le Parquet garde les valeurs exactes (pour les programmes) ; le CSV est pour Excel (points-virgules,
    heures de Paris, un texte qui ressemble à une formule y reste du texte). Un seul instantané de la
    base ; les empreintes de mots de passe ne sont jamais exportées.
    """
    from models.backup import export_all

    try:
        store = context.store()
        by = context.actor(store)
        report = export_all(store, dossier, by=by)
    except MaillageError as error:
        raise _fail(error) from None
    for table in report.tables:
        click.echo(f"  {table.name} : {counted(table.rows, 'ligne')}")
    click.echo(report.summary())


# -- accounts ------------------------------------------------------------------------------------


PAR_HELP = "Identifiant de l'administrateur qui fait ce changement (son mot de passe est demandé)."


@main.group()
def user() -> None:
    """Gérer les comptes (mode serveur) : le premier compte créé est celui d'un administrateur."""


def _acting_admin(context: Context, store: Store, par: str | None) -> str:
    """The admin making an account change from the terminal (``Context.actor``); the first
    account of a store is created by « terminal » (nobody to check yet)."""
    actor = context.actor(store, par)
    return "terminal" if actor == "cli" else actor


def _new_password() -> str:
    return click.prompt("Mot de passe du compte", hide_input=True, confirmation_prompt="Confirmez le mot de passe")


def _account_change(context: Context, par: str | None, change) -> None:
    """Check the acting admin (their failed attempts are kept), then make the change in one transaction."""
    try:
        store = context.store()
        by = _acting_admin(context, store, par)
        with store.atomic() as con:
            change(con, by)
    except MaillageError as error:
        raise _fail(error) from None


@user.command(name="add")
@click.argument("login")
@click.option("--nom", required=True, help="Nom et prénom de la personne.")
@click.option("--role", required=True, type=click.Choice(list(ROLES)),
              help="Rôle du compte.")
@click.option("--email", help="E-mail de connexion par OpenID Connect (alors sans mot de passe possible).")
@click.option("--sans-mot-de-passe", is_flag=True, help="Connexion par OpenID Connect seulement (--email requis).")
@click.option("--par", help=PAR_HELP)
@pass_context
def user_add(context: Context, login: str, nom: str, role: str, email: str | None, sans_mot_de_passe: bool,
             par: str | None) -> None:
    """Créer un compte."""
    from models.access import create_user

    password = None if sans_mot_de_passe else _new_password()
    _account_change(context, par, lambda con, by: create_user(con, login, nom=nom, role=role, password=password,
                                                               email=email, by=by))
    click.echo(f"Compte « {login} » créé ({role}).")


@user.command(name="list")
@pass_context
def user_list(context: Context) -> None:
    """Lister les comptes (sans les mots de passe)."""
    from models.access import list_users
    from models.moments import moment_text

    try:
        with context.store().connect() as con:
            users = list_users(con)
    except MaillageError as error:
        raise _fail(error) from None
    if not users:
        click.echo("Aucun compte : la base est en mode poste unique.")
    for account in users:
        state = "actif" if account.actif else "désactivé"
        if account.bloque_jusqua is not None:
            state += f", bloqué jusqu'au {moment_text(account.bloque_jusqua)}"
        seen = moment_text(account.derniere_connexion) or "jamais"
        click.echo(f"{account.login}\t{account.nom}\t{account.role}\t{state}\tdernière connexion : {seen}")


@user.command(name="passwd")
@click.argument("login")
@click.option("--par", help=PAR_HELP)
@pass_context
def user_passwd(context: Context, login: str, par: str | None) -> None:
    """Changer le mot de passe d'un compte (le débloque aussi)."""
    from models.access import set_password

    password = _new_password()
    _account_change(context, par, lambda con, by: set_password(con, login, password, by=by))
    click.echo(f"Mot de passe de « {login} » changé.")


@user.command(name="recover")
@click.argument("login")
@pass_context
def user_recover(context: Context, login: str) -> None:
    """Tous les mots de passe d'administrateur sont perdus : donner un nouveau mot de passe à ce
    compte admin (débloqué et réactivé), sans --par. Réservé à qui a la main sur le fichier de la
    base sur le serveur ; inscrit dans l'historique."""
    from models.access import recover_admin

    password = _new_password()
    try:
        with context.store().atomic() as con:
            recover_admin(con, login, password)
    except MaillageError as error:
        raise _fail(error) from None
    click.echo(f"Nouveau mot de passe enregistré pour l'administrateur « {login} » : connectez-vous avec.")


@user.command(name="role")
@click.argument("login")
@click.argument("role", type=click.Choice(list(ROLES)))
@click.option("--par", help=PAR_HELP)
@pass_context
def user_role(context: Context, login: str, role: str, par: str | None) -> None:
    """Changer le rôle d'un compte."""
    from models.access import set_role

    _account_change(context, par, lambda con, by: set_role(con, login, role, by=by))
    click.echo(f"« {login} » a maintenant le rôle {role}.")


def _set_active(context: Context, login: str, par: str | None, active: bool) -> None:
    from models.access import set_active

    _account_change(context, par, lambda con, by: set_active(con, login, active, by=by))
    click.echo(f"Compte « {login} » {'réactivé' if active else 'désactivé'}.")


@user.command(name="disable")
@click.argument("login")
@click.option("--par", help=PAR_HELP)
@pass_context
def user_disable(context: Context, login: str, par: str | None) -> None:
    """Désactiver un compte (il ne peut plus se connecter ; son historique reste)."""
    _set_active(context, login, par, False)


@user.command(name="enable")
@click.argument("login")
@click.option("--par", help=PAR_HELP)
@pass_context
def user_enable(context: Context, login: str, par: str | None) -> None:
    """Réactiver un compte."""
    _set_active(context, login, par, True)


# -- developer tools -----------------------------------------------------------------------------


@main.group()
def dev() -> None:
    """Outils de développement (sans compte Google)."""


@dev.command(name="sheets-emulator")
@click.option("--port", type=int, default=8765, show_default=True, help="Port d'écoute (0 : un port libre).")
@click.option("--titre", default="Maillage (émulateur)", show_default=True, help="Titre du classeur de démonstration.")
@click.option("--id", "spreadsheet_id", default="maillage-demo", show_default=True,
              help="Identifiant du classeur de démonstration.")
def dev_sheets_emulator(port: int, titre: str, spreadsheet_id: str) -> None:
    """Lancer un émulateur local de l'API Google Sheets (Ctrl-C pour arrêter)."""
    from sync.sheets_emulator import main as emulator_main

    sys.exit(emulator_main(["--port", str(port), "--titre", titre, "--id", spreadsheet_id]))


if __name__ == "__main__":
    main()

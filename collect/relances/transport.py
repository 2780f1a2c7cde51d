"""Transport: sending a batch's relances through the organisation's SMTP server, at most once.

The server is the ``[smtp]`` table of ``.streamlit/secrets.toml`` (``SmtpSettings``), read by
``smtp_settings_from_secrets`` from ``st.secrets`` on the page or ``read_secrets_file`` in the CLI.

At most once: a row is marked ``en_cours`` (committed) before its message is handed to the
server, then ``envoyee`` or ``echec``. ``send_batch`` only takes rows ``a_envoyer`` or ``echec``:
a retry after a failure sends only what was not sent. A row left ``en_cours`` (a crash, or a
connection cut while the server was taking the message) may have been delivered: it is never
re-sent automatically, but reported as « envoi incertain » until the coordinator says whether
it arrived (``collect.relances.batches.resolve_uncertain``).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from collect.relances.batches import MessageOutcome, cancel_unmailable, existing_batch, mark_relance
from collect.relances.errors import RelanceError
from collect.relances.templates import build_message
from models.access import require
from models.audit import record_audit
from models.errors import InvalidValue
from models.normalize import normalize_email
from models.records import RELANCE_PENDING_STATUSES
from models.secrets import SECRETS_PATH, shown_path
from models.store import Store

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


def smtp_settings_from_secrets(secrets: Mapping[str, Any], source: Path = SECRETS_PATH) -> SmtpSettings:
    """The SMTP settings of the ``[smtp]`` table of the secrets (``st.secrets``, or ``models.secrets.read_secrets``
    of the file ``source``); a missing or wrong key → ``RelanceError`` naming it and the file, in French."""
    where = f"la table [smtp] de {shown_path(source)}"
    try:
        section = secrets.get("smtp")
    except FileNotFoundError:  # st.secrets without a readable secrets.toml (StreamlitSecretNotFoundError)
        raise RelanceError(
            f"Le fichier {shown_path(source)} est introuvable ou illisible : créez-le avec une table [smtp]"
            " (host, port, expediteur…) ou exportez le lot pour votre propre messagerie."
        ) from None
    if section is None and not secrets and not Path(source).exists():  # read_secrets found no file
        raise RelanceError(
            f"Fichier {shown_path(source)} introuvable : créez-le avec une table [smtp] (host, port, expediteur…)"
            " ou exportez le lot pour votre propre messagerie."
        )
    if section is None:
        raise RelanceError(
            f"Aucun serveur d'envoi configuré : ajoutez {where} (clés host, port, expediteur, et au besoin"
            " username, password) ou exportez le lot pour votre propre messagerie."
        )
    if not isinstance(section, Mapping):
        raise RelanceError(
            f"« smtp » doit être une table dans {shown_path(source)} : [smtp] suivi de ses clés."
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


# -- sending --------------------------------------------------------------------------------------


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
        rows = existing_batch(con, batch_id)
    pending = []
    for row in rows:
        if row["statut"] == "en_cours":
            report.incertaines.append(MessageOutcome(
                row["id"], row["structure"], row["destinataire"],
                "envoi incertain : l'envoi a été interrompu, vérifiez auprès du destinataire avant de le renvoyer",
            ))
        elif row["statut"] in RELANCE_PENDING_STATUSES:
            pending.append(row)
        else:
            report.deja_traitees += 1
    to_send, report.annulees = cancel_unmailable(store, pending, by=by)
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
            if mark_relance(store, row["id"], "echec", by=by, erreur=str(error), failed=True,
                            only_from=RELANCE_PENDING_STATUSES):
                report.echecs.append(MessageOutcome(row["id"], row["structure"], row["destinataire"], str(error)))
        return
    try:
        for index, row in enumerate(to_send):
            if not mark_relance(store, row["id"], "en_cours", by=by, erreur=None, only_from=RELANCE_PENDING_STATUSES):
                continue  # taken by another send meanwhile
            message = build_message(row, expediteur=settings.expediteur, nom_expediteur=settings.nom_expediteur,
                                    repondre_a=settings.repondre_a)
            try:
                _deliver(smtp, settings.expediteur, message, row["destinataire"])
            except _Uncertain as error:
                reason = f"envoi incertain : connexion coupée pendant la transmission ({error})"
                mark_relance(store, row["id"], "en_cours", by=by, erreur=reason)
                report.incertaines.append(MessageOutcome(row["id"], row["structure"], row["destinataire"], reason))
                report.non_tentees = len(to_send) - index - 1
                report.connexion = "La connexion au serveur d'envoi a été perdue en cours de lot."
                return
            except _ConnectionLost as error:
                reason = f"connexion au serveur d'envoi perdue ({error})"
                mark_relance(store, row["id"], "echec", by=by, erreur=reason, failed=True)
                report.echecs.append(MessageOutcome(row["id"], row["structure"], row["destinataire"], reason))
                report.non_tentees = len(to_send) - index - 1
                report.connexion = "La connexion au serveur d'envoi a été perdue en cours de lot."
                return
            except smtplib.SMTPException as error:
                reason = _smtp_reason(error)
                mark_relance(store, row["id"], "echec", by=by, erreur=reason, failed=True)
                report.echecs.append(MessageOutcome(row["id"], row["structure"], row["destinataire"], reason))
                continue
            mark_relance(store, row["id"], "envoyee", by=by, sent=True)
            report.envoyees.append(MessageOutcome(row["id"], row["structure"], row["destinataire"]))
    finally:
        _quit(smtp)

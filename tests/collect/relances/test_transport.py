"""Sending a batch through a real local SMTP server (aiosmtpd on 127.0.0.1), each message at most
once, and the SMTP settings read from the ``[smtp]`` table of ``.streamlit/secrets.toml``."""

from __future__ import annotations

import smtplib
from collections import Counter

import pytest
from aiosmtpd.smtp import AuthResult

from collect.relances.batches import batch_rows, prepare_batch, resolve_uncertain
from collect.relances.errors import RelanceError
from collect.relances.opt_outs import add_opt_out
from collect.relances.transport import SmtpSettings, send_batch, smtp_settings_from_secrets
from models.secrets import read_secrets
from tests.collect.relances.scenario import ADDRESS, MAILABLE, call, statuses
from tests.mail_server import Mailbox, start_server
from tests.ports import free_port

# -- sending: at most once, a failure retried alone ---------------------------------------------


def test_a_batch_goes_to_the_local_server_with_each_structure_s_fields(store, campaign, mailbox):
    batch = prepare_batch(store, campaign["id"], [campaign[k] for k in MAILABLE], by="coord")
    report = send_batch(store, batch, mailbox.settings, by="coord")
    assert report.message == "4 relance(s) envoyée(s)."
    assert mailbox.recipients() == Counter(ADDRESS.values())
    cognac = mailbox.messages()["mediatheque@cognac.fr"]  # the first of the structure's public addresses
    assert cognac["Subject"] == "Médiathèque de Cognac : diagnostic de l'inclusion numérique, votre réponse compte"
    assert str(cognac["From"]) == "Équipe Diagnostic <enquete@maillage-charente.fr>"
    assert cognac["To"] == "mediatheque@cognac.fr"
    body = cognac.get_content()
    assert "campagne « Diagnostic 2026 »" in body
    assert "joindre Médiathèque de Cognac (Cognac)" in body
    assert "adresse : 10 place Cagnard, 16100 Cognac" in body
    assert "téléphone : 05 45 82 43 51" in body
    with store.connect() as con:
        rows = {row["destinataire"]: row for row in batch_rows(con, batch)}
    assert cognac["Message-ID"] == rows["mediatheque@cognac.fr"]["message_id"]
    assert {row["statut"] for row in rows.values()} == {"envoyee"}
    assert all(row["sent_at"] is not None for row in rows.values())
    # The contact's address is used when the structure has no public one.
    assert "lea.martin@tiers-lieu16.fr" in mailbox.recipients()


def test_a_failure_mid_batch_then_the_retry_sends_only_what_was_not_sent(store, campaign, mailbox):
    batch = prepare_batch(store, campaign["id"], [campaign[k] for k in MAILABLE], by="coord")
    mailbox.refuse.add("mediatheque@cognac.fr")  # the 3rd of the batch: a temporary error of the server

    first = send_batch(store, batch, mailbox.settings, by="coord")
    assert [o.structure for o in first.envoyees] == [
        "Espace numérique de Jarnac", "France services Segonzac", "Tiers-lieu de Châteauneuf"]
    assert [(o.structure, o.erreur) for o in first.echecs] == [
        ("Médiathèque de Cognac", "destinataire refusé temporairement par le serveur (451 4.3.0 Erreur temporaire)")]
    assert first.message == "3 relance(s) envoyée(s), 1 en échec (à renvoyer plus tard)."
    assert len(mailbox.received) == 3
    assert statuses(store, batch)["Médiathèque de Cognac"] == ("echec", 1)

    mailbox.refuse.clear()  # the server is fine again: the coordinator sends the batch again
    retry = send_batch(store, batch, mailbox.settings, by="coord")
    assert [o.destinataire for o in retry.envoyees] == ["mediatheque@cognac.fr"]
    assert retry.deja_traitees == 3
    assert len(mailbox.received) == 4
    assert mailbox.recipients() == Counter(ADDRESS.values())  # each structure exactly once

    again = send_batch(store, batch, mailbox.settings, by="coord")
    assert (again.envoyees, again.deja_traitees, len(mailbox.received)) == ([], 4, 4)
    with store.connect() as con:
        actions = [row[0] for row in con.execute(
            "SELECT action FROM audit_log WHERE action LIKE 'relance.%' ORDER BY occurred_at, id").fetchall()]
    assert actions == ["relance.prepare", "relance.send", "relance.send", "relance.send"]


def test_no_server_on_the_port_every_message_fails_and_none_is_marked_sent(store, campaign):
    batch = prepare_batch(store, campaign["id"], [campaign[k] for k in MAILABLE], by="coord")
    nobody = SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False, expediteur="enquete@maillage-charente.fr")
    report = send_batch(store, batch, nobody, by="coord")
    assert report.envoyees == []
    assert len(report.echecs) == 4
    assert report.connexion.startswith(
        f"Connexion impossible au serveur d'envoi 127.0.0.1:{nobody.port} : connexion refusée.")
    assert "[smtp] de .streamlit/secrets.toml" in report.connexion
    assert set(statuses(store, batch).values()) == {("echec", 1)}
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM relances WHERE sent_at IS NOT NULL").fetchone()[0] == 0


@pytest.mark.parametrize("delivered", [True, False])
def test_a_message_cut_while_the_server_took_it_is_never_resent_automatically(
    store, campaign, mailbox, monkeypatch, delivered
):
    batch = prepare_batch(store, campaign["id"], [campaign["jarnac"], campaign["segonzac"]], by="coord")
    real_data = smtplib.SMTP.data

    def data_then_cut(self, msg):  # the server takes the message, then the answer is lost
        real_data(self, msg)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(smtplib.SMTP, "data", data_then_cut)
    cut = send_batch(store, batch, mailbox.settings, by="coord")
    assert [o.structure for o in cut.incertaines] == ["Espace numérique de Jarnac"]
    assert cut.incertaines[0].erreur.startswith("envoi incertain")
    assert cut.non_tentees == 1  # the rest of the batch waits for a retry
    assert statuses(store, batch) == {"Espace numérique de Jarnac": ("en_cours", 0),
                                      "France services Segonzac": ("a_envoyer", 0)}

    monkeypatch.setattr(smtplib.SMTP, "data", real_data)
    retry = send_batch(store, batch, mailbox.settings, by="coord")
    assert [o.structure for o in retry.envoyees] == ["France services Segonzac"]
    assert [o.structure for o in retry.incertaines] == ["Espace numérique de Jarnac"]  # reported, not resent
    assert "envoi incertain" in retry.message
    assert mailbox.recipients() == {"epn@jarnac.fr": 1, "france-services@segonzac.fr": 1}

    # The coordinator checks with the structure, then settles it explicitly.
    with store.connect() as con:
        uncertain = next(r["id"] for r in batch_rows(con, batch) if r["statut"] == "en_cours")
    resolve_uncertain(store, uncertain, delivered=delivered, by="coord")
    send_batch(store, batch, mailbox.settings, by="coord")
    assert mailbox.recipients()["epn@jarnac.fr"] == (1 if delivered else 2)
    assert statuses(store, batch)["Espace numérique de Jarnac"][0] == "envoyee"
    with pytest.raises(RelanceError, match="n'est pas en « envoi incertain »"):
        resolve_uncertain(store, uncertain, delivered=True, by="coord")


def test_a_row_left_en_cours_by_a_crash_is_reported_not_sent(store, campaign, mailbox):
    batch = prepare_batch(store, campaign["id"], [campaign["jarnac"], campaign["cognac"]], by="coord")
    with store.atomic() as con:  # the process died between « en cours » and the server's answer
        con.execute("UPDATE relances SET statut = 'en_cours' WHERE destinataire = 'epn@jarnac.fr'")
    report = send_batch(store, batch, mailbox.settings, by="coord")
    assert [o.destinataire for o in report.envoyees] == ["mediatheque@cognac.fr"]
    assert [o.destinataire for o in report.incertaines] == ["epn@jarnac.fr"]
    assert "epn@jarnac.fr" not in mailbox.recipients()


def test_a_structure_that_answered_after_the_batch_was_prepared_is_not_mailed(store, campaign, mailbox):
    batch = prepare_batch(store, campaign["id"], [campaign["jarnac"], campaign["cognac"]], by="coord")
    call(store, campaign, "cognac", "complete", days_ago=0)
    with store.atomic() as con:
        add_opt_out(con, campaign["jarnac"], "a répondu STOP", by="coord")  # cancels its pending relance
    report = send_batch(store, batch, mailbox.settings, by="coord")
    assert report.envoyees == []
    assert [(o.structure, o.erreur) for o in report.annulees] == [
        ("Médiathèque de Cognac", "questionnaire complet (1.1) : déjà répondu")]
    assert report.deja_traitees == 1  # Jarnac, cancelled by its opt-out
    assert mailbox.received == []
    assert statuses(store, batch) == {"Espace numérique de Jarnac": ("annulee", 0),
                                      "Médiathèque de Cognac": ("annulee", 0)}


def test_smtp_authentication_is_used_and_a_wrong_password_is_explained(store, campaign):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"enquete", b"s3cret-16")
        return AuthResult(success=ok, handled=False)

    box = Mailbox()
    controller = start_server(box, authenticator=authenticator, auth_require_tls=False)
    try:
        secrets = {"host": "127.0.0.1", "port": controller.port, "starttls": False, "username": "enquete",
                   "expediteur": "enquete@maillage-charente.fr", "timeout": 5}
        batch = prepare_batch(store, campaign["id"], [campaign["cognac"]], by="coord")
        for password, message in [("faux", "refuse l'identifiant ou le mot de passe"),
                                  ("s3crét", "contient des caractères accentués")]:
            report = send_batch(store, batch, smtp_settings_from_secrets({"smtp": secrets | {"password": password}}),
                                by="coord")
            assert message in report.connexion
        right = send_batch(store, batch, smtp_settings_from_secrets({"smtp": secrets | {"password": "s3cret-16"}}),
                           by="coord")
        assert [o.destinataire for o in right.envoyees] == ["mediatheque@cognac.fr"]
        assert box.recipients() == {"mediatheque@cognac.fr": 1}
        assert statuses(store, batch) == {"Médiathèque de Cognac": ("envoyee", 2)}  # two failed tries before
    finally:
        controller.stop()


# -- SMTP settings from .streamlit/secrets.toml -------------------------------------------------

GOOD = {"host": "smtp.example.fr", "expediteur": "enquete@maillage-charente.fr"}


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ({}, "Fichier .streamlit/secrets.toml introuvable : créez-le avec une table [smtp]"),
        ({"connections": {}}, "Aucun serveur d'envoi configuré : ajoutez la table [smtp] de .streamlit/secrets.toml"),
        ({"smtp": {"expediteur": "enquete@maillage-charente.fr"}}, "la clé « host » manque"),
        ({"smtp": GOOD | {"port": "vingt-cinq"}},
         "la clé « port » est invalide : attendu un nombre entre 1 et 65535"),
        ({"smtp": GOOD | {"pasword": "x"}}, "la clé « pasword » n'est pas connue"),
        ({"smtp": GOOD | {"expediteur": "enquete.example.fr"}}, "la clé « expediteur » est invalide"),
        ({"smtp": GOOD | {"username": "enquete"}}, "« username » et « password » vont ensemble"),
        ({"smtp": GOOD | {"ssl": True, "starttls": True}},
         "« ssl » et « starttls » ne peuvent pas être activés ensemble"),
    ],
)
def test_wrong_smtp_settings_say_which_key_of_the_secrets_file(secrets, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a project folder without a secrets file, whatever the developer's own holds
    with pytest.raises(RelanceError, match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        smtp_settings_from_secrets(secrets)


def test_the_cli_reads_the_same_settings_from_the_secrets_file(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text(
        '[smtp]\nhost = "smtp.example.fr"\nport = 465\nssl = true\n'
        'expediteur = "Enquete@Maillage-Charente.fr"\nusername = "enquete"\npassword = "s3crét"\n',
        encoding="utf-8",
    )
    settings = smtp_settings_from_secrets(read_secrets(path), path)
    assert (settings.port, settings.ssl, settings.starttls, settings.expediteur) == (
        465, True, False, "enquete@maillage-charente.fr")
    assert "s3crét" not in repr(settings)  # the password never shows in logs
    absent = tmp_path / "absent.toml"
    with pytest.raises(RelanceError, match=f"Fichier {absent} introuvable : créez-le avec une table \\[smtp\\]"):
        smtp_settings_from_secrets(read_secrets(absent), absent)


def test_the_page_s_secrets_without_a_file_give_a_french_message():
    class NoSecretsFile(dict):  # what st.secrets does when .streamlit/secrets.toml is missing
        def get(self, key, default=None):
            raise FileNotFoundError("No secrets found")

    with pytest.raises(RelanceError, match=r"\.streamlit/secrets\.toml est introuvable ou illisible"):
        smtp_settings_from_secrets(NoSecretsFile())

"""Relances: choosing non-respondents by rule, the French template, and sending through a real
local SMTP server (aiosmtpd on 127.0.0.1) — or exporting — each message at most once."""

from __future__ import annotations

import csv
import io
import smtplib
import zipfile
from collections import Counter
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.smtp import AuthResult

from tests.mail_server import Mailbox, start_server
from tests.ports import free_port

from collect.calls import add_targets, log_attempt
from collect.questionnaire import default_questionnaire
from collect.relances import (
    DEFAULT_CORPS,
    RelanceError,
    SmtpSettings,
    add_opt_out,
    batch_rows,
    batch_zip_bytes,
    cancel_batch,
    check_template,
    export_batch,
    prepare_batch,
    preview_message,
    read_secrets_file,
    relance_candidates,
    relance_history,
    remove_opt_out,
    render_template,
    resolve_uncertain,
    send_batch,
    set_relance_settings,
    smtp_settings_from_secrets,
)
from collect.surveys import create_campaign, publish_questionnaire
from models.registry import create_structure
from models.store import utc_now

T0 = utc_now()
PARIS = ZoneInfo("Europe/Paris")

LIEUX = {
    "jarnac": {"nom": "Espace numérique de Jarnac", "commune": "Jarnac", "code_postal": "16200",
               "adresse": "3 rue des Chais", "courriels": ["epn@jarnac.fr"]},
    "segonzac": {"nom": "France services Segonzac", "commune": "Segonzac", "code_postal": "16130",
                 "adresse": "1 place de l'Église", "courriels": ["france-services@segonzac.fr"]},
    "cognac": {"nom": "Médiathèque de Cognac", "commune": "Cognac", "code_postal": "16100",
               "adresse": "10 place Cagnard", "telephone": "05 45 82 43 51",
               "courriels": ["mediatheque@cognac.fr", "accueil@cognac.fr"]},
    "chateauneuf": {"nom": "Tiers-lieu de Châteauneuf", "commune": "Châteauneuf-sur-Charente",
                    "code_postal": "16120", "adresse": "Rue Élie Vinet",
                    "contact_courriel": "lea.martin@tiers-lieu16.fr"},
    "barbezieux": {"nom": "Point numérique de Barbezieux", "commune": "Barbezieux-Saint-Hilaire",
                   "code_postal": "16300", "adresse": "Boulevard Chanzy"},
}
# The four structures with an address, in sending order (a batch goes out by structure name).
MAILABLE = ["jarnac", "segonzac", "cognac", "chateauneuf"]
ADDRESS = {"jarnac": "epn@jarnac.fr", "segonzac": "france-services@segonzac.fr", "cognac": "mediatheque@cognac.fr",
           "chateauneuf": "lea.martin@tiers-lieu16.fr"}


@pytest.fixture
def campaign(store):
    """A campaign « Diagnostic 2026 » targeting the five lieux (three attempts at most)."""
    with store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by="t")
        campaign_id = create_campaign(con, nom="Diagnostic 2026", questionnaire_id=stored.id, by="t")
        con.execute("UPDATE campaigns SET max_tentatives = 3 WHERE id = ?", [campaign_id])
        ids = {}
        for key, data in LIEUX.items():
            structure, issues = create_structure(con, data | {"date_maj": "2026-01-01"}, by="t")
            assert structure is not None, issues
            ids[key] = structure.id
        add_targets(con, campaign_id, list(ids.values()), by="coord")
    return {"id": campaign_id, **ids}


def call(store, campaign, who, outcome, *, days_ago, **kwargs):
    with store.atomic() as con:
        log_attempt(con, campaign["id"], campaign[who], outcome, surveyor="alice", by="alice",
                    at=T0 - timedelta(days=days_ago), **kwargs)


def statuses(store, batch_id):
    with store.connect() as con:
        return {row["structure"]: (row["statut"], row["tentatives"]) for row in batch_rows(con, batch_id)}


# -- a real SMTP server on 127.0.0.1 ------------------------------------------------------------


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = start_server(box)
    # The settings come from the [smtp] table of .streamlit/secrets.toml, as on the page.
    box.settings = smtp_settings_from_secrets({"smtp": {
        "host": "127.0.0.1", "port": controller.port, "starttls": False, "timeout": 5,
        "expediteur": "enquete@maillage-charente.fr", "nom_expediteur": "Équipe Diagnostic",
    }})
    yield box
    controller.stop()


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


# -- who is reminded, and why not ---------------------------------------------------------------


NO_ANSWER_3 = [("pas_de_reponse", 9), ("pas_de_reponse", 6), ("pas_de_reponse", 3)]


# Attempts on the Médiathèque de Cognac: (outcome, days ago[, call-back days ago]). Then either
# the reason it is chosen, or the code of the reason it is left out.
@pytest.mark.parametrize(
    ("attempts", "rules", "chosen", "left_out"),
    [
        pytest.param(NO_ANSWER_3, ["sans_contact"], "jamais jointe après 3 tentative(s)", None, id="never-reached"),
        pytest.param(NO_ANSWER_3[:2], ["sans_contact"], None, "hors_regles", id="too-few-attempts"),
        pytest.param([("repondeur_message", 9), ("occupe", 6), ("pas_de_reponse", 3)], ["sans_contact"],
                     None, "hors_regles", id="answering-machine-means-reached"),
        pytest.param([("partielle", 2)], ["partielle"], "questionnaire commencé, pas terminé", None, id="partial"),
        pytest.param([("partielle", 2)], ["sans_contact"], None, "hors_regles", id="partial-not-asked"),
        pytest.param([("rappel", 5, 2)], ["promesse"],
                     "a promis de répondre (rappel prévu le {callback}), sans entretien depuis", None,
                     id="promise-passed"),
        pytest.param([("rendez_vous", 5, -1)], ["promesse"], None, "hors_regles", id="appointment-still-to-come"),
        pytest.param([("rappel", 5, 2)], ["sans_contact", "partielle"], None, "hors_regles", id="promise-not-asked"),
        pytest.param([("partielle", 4), ("complete", 1)], ["partielle"], None, "complete", id="completed"),
        pytest.param([("refus_doux", 9)], ["sans_contact", "partielle", "promesse"], None, "refus", id="soft-refusal"),
        pytest.param([("rappel", 9, 8), ("refus_ferme", 1)], ["promesse"], None, "refus", id="hard-refusal"),
        pytest.param([("non_eligible", 3)], ["sans_contact"], None, "non_eligible", id="not-eligible"),
        pytest.param([("mauvais_numero", 3)], ["sans_contact"],
                     "numéro erroné (mauvais numéro) : le courriel est le seul moyen de la joindre", None,
                     id="wrong-number-4.41-mail-is-the-way"),
        pytest.param([("numero_inexistant", 3)], ["partielle"], None, "hors_regles", id="wrong-number-not-asked"),
        pytest.param([], ["sans_contact"], None, "hors_regles", id="never-called"),
    ],
)
def test_rules_choose_non_respondents_and_say_why_others_are_left_out(
    store, campaign, attempts, rules, chosen, left_out
):
    callback = None
    for outcome, days_ago, *callback_days_ago in attempts:
        if callback_days_ago:
            callback = T0 - timedelta(days=callback_days_ago[0])
            call(store, campaign, "cognac", outcome, days_ago=days_ago, callback_at=callback)
        else:
            call(store, campaign, "cognac", outcome, days_ago=days_ago)
    with store.connect() as con:
        selection = relance_candidates(con, campaign["id"], rules, min_attempts=3, now=T0)
    candidates = {c.structure_id: c for c in selection.candidates}
    excluded = {e.structure_id: e for e in selection.excluded}
    assert set(candidates) | set(excluded) == {campaign[k] for k in LIEUX}  # every target, in one list
    if chosen:
        # Times are told in the structure's own zone.
        when = f"{callback.astimezone(PARIS):%d/%m/%Y à %H:%M}" if callback else None
        assert candidates[campaign["cognac"]].motif == chosen.format(callback=when)
        assert candidates[campaign["cognac"]].destinataire == "mediatheque@cognac.fr"
    else:
        assert excluded[campaign["cognac"]].code == left_out


def test_opted_out_and_address_less_structures_are_left_out_with_their_reason(store, campaign):
    for key in LIEUX:
        for day in (9, 6, 3):
            call(store, campaign, key, "pas_de_reponse", days_ago=day)
    with store.atomic() as con:
        add_opt_out(con, campaign["segonzac"], "ne souhaite pas être sollicitée", by="coord")
        selection = relance_candidates(con, campaign["id"], ["sans_contact"], min_attempts=3, now=T0)
    assert [(c.nom, c.destinataire) for c in selection.candidates] == [
        ("Espace numérique de Jarnac", "epn@jarnac.fr"),
        ("Médiathèque de Cognac", "mediatheque@cognac.fr"),
        ("Tiers-lieu de Châteauneuf", "lea.martin@tiers-lieu16.fr"),
    ]
    assert [(e.nom, e.code, e.motif) for e in selection.excluded] == [
        ("France services Segonzac", "desinscrite",
         "a demandé à ne plus recevoir de courriels (ne souhaite pas être sollicitée)"),
        ("Point numérique de Barbezieux", "sans_courriel",
         "aucune adresse e-mail connue (ni courriel de la structure, ni courriel du contact)"),
    ]
    with store.atomic() as con:
        assert remove_opt_out(con, campaign["segonzac"], by="coord") is True
        selection = relance_candidates(con, campaign["id"], ["sans_contact"], min_attempts=3, now=T0)
    assert "France services Segonzac" in [c.nom for c in selection.candidates]


def test_the_delay_between_relances_and_their_maximum_are_respected(store, campaign):
    for day in (9, 6, 3):
        call(store, campaign, "cognac", "pas_de_reponse", days_ago=day)
    with store.atomic() as con:
        set_relance_settings(con, campaign["id"], objet=None, corps=None, delai_jours=7, max_relances=2, by="coord")

    def cognac_at(now):
        with store.connect() as con:
            selection = relance_candidates(con, campaign["id"], ["sans_contact"], now=now)
        if any(c.nom == "Médiathèque de Cognac" for c in selection.candidates):
            return "candidate"
        return next(e.code for e in selection.excluded if e.nom == "Médiathèque de Cognac")

    first = prepare_batch(store, campaign["id"], [campaign["cognac"]], canal="export", by="coord", now=T0)
    assert cognac_at(T0) == "en_attente"  # prepared, not sent: never put in a second batch
    batch_zip_bytes(store, first, by="coord")  # exported: counts as sent
    sent_at = utc_now()
    assert cognac_at(sent_at + timedelta(days=3)) == "delai"
    assert cognac_at(sent_at + timedelta(days=8)) == "candidate"
    with pytest.raises(RelanceError, match="Aucune structure à relancer .*7 jours au moins entre deux relances"):
        prepare_batch(store, campaign["id"], [campaign["cognac"]], by="coord", now=sent_at + timedelta(days=3))

    second = prepare_batch(store, campaign["id"], [campaign["cognac"]], canal="export", by="coord",
                           now=sent_at + timedelta(days=8))
    batch_zip_bytes(store, second, by="coord")
    assert cognac_at(sent_at + timedelta(days=30)) == "maximum"


def test_a_batch_never_holds_a_completed_refused_or_opted_out_structure_even_if_asked(store, campaign):
    call(store, campaign, "jarnac", "complete", days_ago=1)
    call(store, campaign, "segonzac", "refus_doux", days_ago=1)
    with store.atomic() as con:
        add_opt_out(con, campaign["chateauneuf"], None, by="coord")
    everyone = [campaign[k] for k in LIEUX]
    batch = prepare_batch(store, campaign["id"], everyone + ["pas-une-cible"], by="coord")
    assert statuses(store, batch) == {"Médiathèque de Cognac": ("a_envoyer", 0)}
    with pytest.raises(RelanceError, match="Aucune structure à relancer"):
        prepare_batch(store, campaign["id"], [campaign["jarnac"], campaign["segonzac"]], by="coord")
    assert cancel_batch(store, batch, by="coord") == 1
    assert statuses(store, batch) == {"Médiathèque de Cognac": ("annulee", 0)}


# -- the template -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Bonjour {nom} ({commune})", "Bonjour Médiathèque de Cognac (Cognac)"),
        ("{ Nom } – {code_postal}", "Médiathèque de Cognac – 16100"),
        ("Réponse avant le {date_fin}", "Réponse avant le 31/12/2026"),
        ("Accolades : {{nom}}", "Accolades : {nom}"),
        ("Site : {site_web}.", "Site : ."),  # an empty field is written as nothing
    ],
)
def test_placeholders_are_replaced_by_the_structure_s_fields(store, campaign, template, expected):
    with store.atomic() as con:
        con.execute("UPDATE campaigns SET date_fin = DATE '2026-12-31' WHERE id = ?", [campaign["id"]])
        set_relance_settings(con, campaign["id"], objet="Relance", corps=template, by="coord")
        assert preview_message(con, campaign["id"], campaign["cognac"])["corps"] == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("Votre SIRET : {siret2}", "« {siret2} » n'est pas un champ connu. Champs possibles : {nom}, {commune}"),
        ("{nom.__class__} {0}", "« {nom.__class__} », « {0} » ne sont pas des champs connus"),
    ],
)
def test_an_unknown_placeholder_is_named_in_french_and_nothing_is_saved(store, campaign, template, message):
    with pytest.raises(RelanceError, match=message.replace("{", r"\{").replace("}", r"\}").replace(".", r"\.")):
        check_template(template)
    with pytest.raises(RelanceError, match="Le texte du courriel"), store.atomic() as con:
        set_relance_settings(con, campaign["id"], objet=None, corps=template, by="coord")
    with store.connect() as con:
        assert con.execute("SELECT relance_corps FROM campaigns WHERE id = ?", [campaign["id"]]).fetchone()[0] is None


def test_a_blank_template_means_the_french_default_and_limits_are_checked(store, campaign):
    with store.atomic() as con:
        set_relance_settings(con, campaign["id"], objet="  ", corps="", delai_jours=10, max_relances=3, by="coord")
        preview = preview_message(con, campaign["id"], campaign["chateauneuf"])
    assert preview["destinataire"] == "lea.martin@tiers-lieu16.fr"
    assert preview["corps"].startswith("Bonjour,\n\nDans le cadre de la campagne « Diagnostic 2026 »")
    assert "{" not in preview["corps"] and DEFAULT_CORPS.count("{campagne}") == 2
    with pytest.raises(RelanceError, match="entre 0 et 365.*entre 1 et 10"), store.atomic() as con:
        set_relance_settings(con, campaign["id"], objet=None, corps=None, delai_jours=-1, max_relances=0, by="coord")
    with pytest.raises(RelanceError, match="une seule ligne"), store.atomic() as con:
        set_relance_settings(con, campaign["id"], objet="Bonjour\n{nom}", corps=None, by="coord")


def test_render_never_evaluates_what_the_template_says():
    assert render_template("{nom}{{0.__class__}}", {"nom": "A"}) == "A{0.__class__}"


# -- export for the organisation's own mailer ---------------------------------------------------


def test_export_writes_one_eml_per_message_and_a_french_excel_csv(store, campaign, tmp_path):
    batch = prepare_batch(store, campaign["id"], [campaign[k] for k in MAILABLE], canal="export", by="coord")
    folder = export_batch(store, batch, tmp_path / "lot", by="coord", expediteur="enquete@maillage-charente.fr",
                          nom_expediteur="Équipe Diagnostic")
    raw = (folder / "relances.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: French Excel reads the accents
    listing = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert [row["structure"] for row in listing] == [LIEUX[k]["nom"] for k in MAILABLE]
    assert listing[2]["fichier"].startswith("mediatheque-de-cognac-")
    for row in listing:
        with (folder / row["fichier"]).open("rb") as handle:
            message = BytesParser(policy=policy.default).parse(handle)
        assert message["To"] == row["destinataire"]
        assert message["Subject"] == row["objet"]
        assert message["X-Unsent"] == "1"  # Outlook opens it ready to send
        assert row["structure"] in message.get_content()
    assert set(statuses(store, batch).values()) == {("exportee", 0)}
    with pytest.raises(RelanceError, match="Rien à exporter"):  # never exported (hence sent) twice
        export_batch(store, batch, tmp_path / "encore", by="coord")
    export_batch(store, batch, tmp_path / "perdu.zip", by="coord", again=True)  # the same files, for a lost copy
    assert len(zipfile.ZipFile(tmp_path / "perdu.zip").namelist()) == 5


def test_the_zip_download_holds_the_same_files_and_the_history_shows_them(store, campaign):
    batch = prepare_batch(store, campaign["id"], [campaign["cognac"], campaign["jarnac"]], canal="export", by="coord")
    archive = zipfile.ZipFile(io.BytesIO(batch_zip_bytes(store, batch, by="coord")))
    names = sorted(archive.namelist())
    assert names[0].startswith("espace-numerique-de-jarnac-") and names[1].startswith("mediatheque-de-cognac-")
    assert names[2] == "relances.csv"
    message = BytesParser(policy=policy.default).parsebytes(archive.read(names[1]))
    assert message["Subject"].startswith("Médiathèque de Cognac")
    with store.connect() as con:
        history = relance_history(con, campaign["id"])
    assert [(h["structure"], h["destinataire"], h["statut_libelle"]) for h in history] == [
        ("Espace numérique de Jarnac", "epn@jarnac.fr", "Exportée"),
        ("Médiathèque de Cognac", "mediatheque@cognac.fr", "Exportée"),
    ]
    assert all(h["sent_at"] is not None and h["erreur"] is None for h in history)


# -- SMTP settings from .streamlit/secrets.toml -------------------------------------------------

GOOD = {"host": "smtp.example.fr", "expediteur": "enquete@maillage-charente.fr"}


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ({}, "Aucun serveur d'envoi configuré : ajoutez la table [smtp] de .streamlit/secrets.toml"),
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
def test_wrong_smtp_settings_say_which_key_of_the_secrets_file(secrets, message):
    with pytest.raises(RelanceError, match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        smtp_settings_from_secrets(secrets)


def test_the_cli_reads_the_same_settings_from_the_secrets_file(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text(
        '[smtp]\nhost = "smtp.example.fr"\nport = 465\nssl = true\n'
        'expediteur = "Enquete@Maillage-Charente.fr"\nusername = "enquete"\npassword = "s3crét"\n',
        encoding="utf-8",
    )
    settings = smtp_settings_from_secrets(read_secrets_file(path))
    assert (settings.port, settings.ssl, settings.starttls, settings.expediteur) == (
        465, True, False, "enquete@maillage-charente.fr")
    assert "s3crét" not in repr(settings)  # the password never shows in logs
    with pytest.raises(RelanceError, match="introuvable"):
        read_secrets_file(tmp_path / "absent.toml")
    path.write_text("[smtp\n", encoding="utf-8")
    with pytest.raises(RelanceError, match="n'est pas un TOML valide"):
        read_secrets_file(path)


def test_the_page_s_secrets_without_a_file_give_a_french_message():
    class NoSecretsFile(dict):  # what st.secrets does when .streamlit/secrets.toml is missing
        def get(self, key, default=None):
            raise FileNotFoundError("No secrets found")

    with pytest.raises(RelanceError, match=r"\.streamlit/secrets\.toml est introuvable ou illisible"):
        smtp_settings_from_secrets(NoSecretsFile())


# -- the template form edits field by field (issue 17) -----------------------------------------------


def test_two_coordinators_changing_different_settings_keep_both_and_the_same_one_is_a_conflict(store, campaign):
    from collect.relances import edit_relance_settings, relance_settings_shown
    from collect.surveys import get_campaign

    with store.connect() as con:
        seen = relance_settings_shown(get_campaign(con, campaign["id"]))  # both open the page

    def edit(new: dict, by: str):
        return store.transaction(lambda con: edit_relance_settings(
            con, campaign["id"], {name: (seen[name], value) for name, value in new.items()}, by=by))

    first = edit({"objet": "Votre lieu {nom} dans la carte"}, "claire")
    second = edit({"delai_jours": 14}, "dora")
    third = edit({"objet": "Relance pour {nom}", "max_relances": 4}, "eve")

    assert (first.saved, second.saved, third.saved) == (["objet"], ["delai_jours"], ["max_relances"])
    (conflict,) = third.conflicts
    assert (conflict.field, conflict.proposed, conflict.current) == (
        "objet", "Relance pour {nom}", "Votre lieu {nom} dans la carte")
    with store.connect() as con:
        shown = relance_settings_shown(get_campaign(con, campaign["id"]))
        stored = get_campaign(con, campaign["id"])
    assert (shown["objet"], shown["delai_jours"], shown["max_relances"]) == ("Votre lieu {nom} dans la carte", 14, 4)
    assert stored["relance_corps"] is None  # the body nobody changed stays the default one

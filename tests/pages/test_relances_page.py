"""The « Relances » page, driven through the real app with AppTest on a real store.

The store is conftest's copy of the 90 Nouvelle-Calédonie lieux with the demo campaign: 60
structures answered, five drafts (the rule « questionnaire commencé, pas terminé » picks them,
each with a public e-mail address) and a few weeks of calls. Sending goes through a real SMTP
server on 127.0.0.1 (aiosmtpd, ``tests.mail_server``), whose settings the page reads from
``st.secrets`` (``AppTest.secrets``); without them, ``st.secrets`` looks for a secrets file that
does not exist, as on a laptop where nobody configured SMTP. The exported zip is read from
Streamlit's media storage, where ``st.download_button`` puts the bytes it serves.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import streamlit
from streamlit import config
from streamlit.runtime.secrets import Secrets
from streamlit.testing.v1 import AppTest

from collect.campaigns import get_campaign
from collect.relances.batches import prepare_batch, relance_history
from collect.relances.opt_outs import list_opt_outs
from collect.relances.selection import Candidate, relance_candidates
from models.store import Store
from tests.mail_server import Mailbox, start_server
from tests.pages.ui import find_button, texts_of

PAGE = "pages/relances.py"
APP = Path(__file__).resolve().parents[2] / "app.py"
CAMPAIGN_KEY = "relances.campagne"
RULES_KEY = "relances.regles"
SEND = "Envoyer par courriel"
EXPORT = "Préparer un export (.eml + CSV)"




def _labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def _table(at: AppTest, first_column: str):
    found = [df.value for df in at.dataframe if df.value.columns[0] == first_column]
    assert len(found) == 1, [list(df.value.columns) for df in at.dataframe]
    return found[0]


def _table_with(at: AppTest, column: str):
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(found) == 1, [list(df.value.columns) for df in at.dataframe]
    return found[0]


def _candidates_table(at: AppTest):
    return _table_with(at, "Adresse e-mail")


def _history(at: AppTest):
    return _table_with(at, "Destinataire")


@pytest.fixture(autouse=True)
def no_secrets_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``st.secrets`` reads only a ``secrets.toml`` that does not exist: a developer's own file (and
    SMTP server) is never used; ``AppTest.secrets`` still replaces it for the runs of a test."""
    missing = [str(tmp_path / ".streamlit" / "secrets.toml")]
    get_option = config.get_option
    monkeypatch.setattr(config, "get_option", lambda key: missing if key == "secrets.files" else get_option(key))
    monkeypatch.setattr(streamlit, "secrets", Secrets())



@pytest.fixture
def partial(ui_store: Store, campaign_id: str) -> list[Candidate]:
    """The structures the rule « questionnaire commencé, pas terminé » picks (the demo's drafts)."""
    with ui_store.connect() as con:
        chosen = relance_candidates(con, campaign_id, ["partielle"]).candidates
    assert len(chosen) == 5
    return chosen



@pytest.fixture
def mailbox():
    """A real SMTP server on 127.0.0.1; ``mailbox.secrets`` is the ``[smtp]`` table pointing to it."""
    box = Mailbox()
    controller = start_server(box)
    box.secrets = {"host": "127.0.0.1", "port": controller.port, "starttls": False, "timeout": 5,
                   "expediteur": "enquete@maillage-nc.fr", "nom_expediteur": "Équipe Diagnostic"}
    yield box
    controller.stop()


def _open(at: AppTest, campaign_id: str, *, rules: list[str] | None = None) -> AppTest:
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert texts_of(at.title) == ["Relances"]
    at.selectbox(key=CAMPAIGN_KEY).set_value(campaign_id).run()
    if rules is not None:
        at.multiselect(key=RULES_KEY).set_value(rules).run()
    assert not at.exception, at.exception
    return at


def _statuses(store: Store, campaign_id: str, structure_ids) -> dict[str, str]:
    with store.connect() as con:
        return {row["structure_id"]: row["statut"] for row in relance_history(con, campaign_id)
                if row["structure_id"] in set(structure_ids)}


# -- who to remind ---------------------------------------------------------------------------------


def test_the_candidates_of_a_rule_are_listed_and_every_other_target_is_excluded_with_its_reason(
    app, ui_store, campaign_id, partial
):
    silent = partial[0]  # a draft whose structure has no e-mail address any more
    with ui_store.atomic() as con:
        con.execute("UPDATE structures SET courriels = [] WHERE id = ?", [silent.structure_id])
    at = _open(app, campaign_id, rules=["partielle"])
    shown = _candidates_table(at)
    assert list(shown.columns[:4]) == ["Structure", "Commune", "Adresse e-mail", "Motif"]
    assert list(shown["Structure"]) == [c.nom for c in partial[1:]]
    assert list(shown["Adresse e-mail"]) == [c.destinataire for c in partial[1:]]
    assert set(shown["Motif"]) == {"questionnaire commencé, pas terminé"}
    assert "4 structures à relancer." in texts_of(at.caption)

    assert [e.label for e in at.expander][0] == "Structures écartées et pourquoi (86 structures)"
    counts = dict(zip(*_table(at, "Raison").to_dict("list").values(), strict=True))
    assert counts["Questionnaire complet"] == 60
    assert counts["Aucune adresse e-mail"] == 1
    assert sum(counts.values()) == 86
    reasons = _table_with(at, "Raison de l'exclusion")
    reason = dict(zip(reasons["Structure"], reasons["Raison de l'exclusion"], strict=True))
    assert reason[silent.nom] == "aucune adresse e-mail connue (ni courriel de la structure, ni courriel du contact)"
    assert "questionnaire complet (1.1) : déjà répondu" in reason.values()

    # Leaving one out: the others stay chosen, and the preview is the first one left.
    kept, dropped = partial[2], partial[1]
    (leave_out,) = [m for m in at.multiselect if m.label == "Ne pas relancer"]
    leave_out.select(dropped.structure_id).run()
    assert "3 structures à relancer." in texts_of(at.caption)
    assert texts_of(at.text)[0].startswith(f"À : {kept.destinataire}\nObjet : {kept.nom} : diagnostic")
    assert f"joindre {kept.nom} ({kept.commune})" in at.code[0].value
    assert not at.exception


def test_no_rule_chosen_lists_nobody(app, campaign_id):
    at = _open(app, campaign_id, rules=[])
    assert "Choisissez au moins une règle." in texts_of(at.info)
    assert not [df for df in at.dataframe if "Adresse e-mail" in df.value.columns]
    assert find_button(at, EXPORT).disabled


# -- the template ----------------------------------------------------------------------------------


def test_a_template_with_an_unknown_field_is_refused_in_french_and_a_good_one_saved(
    app, ui_store, campaign_id, partial
):
    fields = ("relance_objet", "relance_corps", "relance_delai_jours", "relance_max")
    with ui_store.connect() as con:
        before = {k: get_campaign(con, campaign_id)[k] for k in fields}
    at = _open(app, campaign_id, rules=["partielle"])
    assert any("`{nom}` nom de la structure" in text and "`{commune}` commune" in text for text in texts_of(at.caption))
    objet = at.text_input(key=f"relances.objet.{campaign_id}")
    assert objet.value == "{nom} : diagnostic de l'inclusion numérique, votre réponse compte"
    objet.input("Relance {siret} pour {nom}")
    find_button(at, "Enregistrer le modèle").click().run()
    assert texts_of(at.error) == [
        "L'objet : « {siret} » n'est pas un champ connu. Champs possibles : {nom}, {commune}, {code_postal},"
        " {adresse}, {telephone}, {site_web}, {courriel}, {contact_nom}, {campagne}, {date_debut}, {date_fin}."
    ]
    with ui_store.connect() as con:
        assert {k: get_campaign(con, campaign_id)[k] for k in fields} == before
    assert at.text_input(key=f"relances.objet.{campaign_id}").value == "Relance {siret} pour {nom}"  # to correct

    at.text_input(key=f"relances.objet.{campaign_id}").input("Relance pour {nom} ({commune})")
    at.number_input(key=f"relances.delai.{campaign_id}").set_value(3)
    at.number_input(key=f"relances.maximum.{campaign_id}").set_value(4)
    find_button(at, "Enregistrer le modèle").click().run()
    assert texts_of(at.success) == ["Modèle et règles de relance enregistrés."]
    with ui_store.connect() as con:
        saved = get_campaign(con, campaign_id)
    assert (saved["relance_objet"], saved["relance_delai_jours"], saved["relance_max"]) == (
        "Relance pour {nom} ({commune})", 3, 4)
    first = partial[0]
    assert texts_of(at.text)[0] == f"À : {first.destinataire}\nObjet : Relance pour {first.nom} ({first.commune})"
    assert any(text.startswith("Au moins 3 jours entre deux relances, 4 au plus") for text in texts_of(at.caption))


# -- export, and the page without SMTP settings ----------------------------------------------------


def test_without_secrets_the_page_explains_the_smtp_table_and_the_export_still_works(
    app, ui_store, campaign_id, partial, downloads
):
    at = _open(app, campaign_id, rules=["partielle"])
    (warning,) = texts_of(at.warning)
    assert warning.startswith("Envoi par courriel indisponible. Le fichier .streamlit/secrets.toml est introuvable")
    assert "Configurer l'envoi par courriel" in [e.label for e in at.expander]
    example = next(code.value for code in at.code if "[smtp]" in code.value)
    for line in ('host = "smtp.example.fr"', "port = 587", 'expediteur = "enquete@example.fr"'):
        assert line in example
    assert not [label for label in _labels(at) if label.startswith(SEND)]

    find_button(at, EXPORT).click().run()
    assert not at.exception, at.exception
    assert texts_of(at.success)[0].startswith("5 relances exportées : téléchargez le lot ci-dessous.")
    (download,) = at.download_button
    assert download.label == "Télécharger le lot (5 messages .eml et relances.csv, zip)"
    (name,) = downloads
    assert name.startswith("relances-") and name.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(downloads[name])) as archive:
        names = archive.namelist()
        listing = list(csv.DictReader(io.StringIO(archive.read("relances.csv").decode("utf-8-sig")), delimiter=";"))
        messages = {n: BytesParser(policy=policy.default).parsebytes(archive.read(n)) for n in names
                    if n.endswith(".eml")}
    assert len(names) == 6 and len(messages) == 5
    assert sorted(row["destinataire"] for row in listing) == sorted(c.destinataire for c in partial)
    assert sorted(row["fichier"] for row in listing) == sorted(messages)
    assert sorted(m["To"] for m in messages.values()) == sorted(c.destinataire for c in partial)
    assert all(m["X-Unsent"] == "1" for m in messages.values())

    ids = [c.structure_id for c in partial]
    assert _statuses(ui_store, campaign_id, ids) == dict.fromkeys(ids, "exportee")
    history = _history(at)
    exported = history[history["Structure"].isin([c.nom for c in partial])]
    assert set(exported["Statut"]) == {"Exportée"} and set(exported["Canal"]) == {"Export"} and len(exported) == 5
    # Exported relances count as sent: nobody left to remind with this rule for 7 days.
    assert "Aucune structure à relancer avec ces règles" in texts_of(at.info)[0]
    reasons = _table_with(at, "Raison de l'exclusion")
    reason = dict(zip(reasons["Structure"], reasons["Raison de l'exclusion"], strict=True))
    assert "7 jours au moins entre deux relances" in reason[partial[0].nom]


# -- sending through a real SMTP server ------------------------------------------------------------


def test_sending_mails_each_structure_once_and_a_stale_second_tab_sends_nothing_more(
    app, ui_store, campaign_id, partial, mailbox
):
    tabs = []
    for at in (app, AppTest.from_file(str(APP), default_timeout=app.default_timeout)):
        at.secrets["smtp"] = mailbox.secrets
        tabs.append(_open(at, campaign_id, rules=["partielle"]))
    first, second = tabs
    assert any("127.0.0.1" in text and "enquete@maillage-nc.fr" in text for text in texts_of(first.caption))
    find_button(first, f"{SEND} (5)").click().run()
    assert not first.exception, first.exception
    assert texts_of(first.success) == ["5 relance(s) envoyée(s)."]
    assert mailbox.recipients() == Counter(c.destinataire for c in partial)
    received = mailbox.messages()
    for candidate in partial:
        message = received[candidate.destinataire]
        # (compared word by word: Python's email folding may double a space next to an encoded word)
        subject = " ".join(message["Subject"].split())
        assert subject == f"{candidate.nom} : diagnostic de l'inclusion numérique, votre réponse compte"
        assert str(message["From"]) == "Équipe Diagnostic <enquete@maillage-nc.fr>"
        assert "campagne « Diagnostic 2026 (démonstration) »" in message.get_content()

    ids = [c.structure_id for c in partial]
    assert _statuses(ui_store, campaign_id, ids) == dict.fromkeys(ids, "envoyee")
    history = _history(first)
    sent = history[history["Structure"].isin([c.nom for c in partial])]
    assert len(sent) == 5 and set(sent["Statut"]) == {"Envoyée"} and set(sent["Canal"]) == {"Courriel"}
    assert set(sent["Erreur"]) == {""}
    assert find_button(first, f"{SEND} (0)").disabled
    assert "Renvoyer les échecs" not in " ".join(_labels(first))

    # The other tab still lists the five: its click prepares nothing, sends nothing.
    find_button(second, f"{SEND} (5)").click().run()
    assert not second.exception, second.exception
    (error,) = texts_of(second.error)
    assert error.startswith("Aucune structure à relancer dans ce lot (")
    assert "7 jours au moins entre deux relances" in error
    assert mailbox.recipients() == Counter(c.destinataire for c in partial)
    with ui_store.connect() as con:
        assert len([r for r in relance_history(con, campaign_id) if r["structure_id"] in ids]) == 5


def test_a_failure_is_reported_and_renvoyer_les_echecs_sends_only_it(app, ui_store, campaign_id, partial, mailbox):
    refused = partial[1]
    mailbox.refuse = {refused.destinataire}
    app.secrets["smtp"] = mailbox.secrets
    at = _open(app, campaign_id, rules=["partielle"])
    find_button(at, f"{SEND} (5)").click().run()
    assert not at.exception, at.exception
    warnings = texts_of(at.warning)
    assert warnings[0] == "4 relance(s) envoyée(s), 1 en échec (à renvoyer plus tard)."
    assert "1 relance pas encore partie(s), dont 1 échec" in warnings[1]
    history = _history(at)
    (failed,) = history[history["Statut"] == "Échec"].to_dict("records")
    assert failed["Structure"] == refused.nom and "451" in failed["Erreur"]
    assert refused.destinataire not in mailbox.recipients()

    mailbox.refuse = set()
    find_button(at, "Renvoyer les échecs (1)").click().run()
    assert not at.exception, at.exception
    assert texts_of(at.success) == ["1 relance(s) envoyée(s), 4 déjà traitée(s)."]
    assert mailbox.recipients() == Counter(c.destinataire for c in partial)  # each structure once
    ids = [c.structure_id for c in partial]
    assert _statuses(ui_store, campaign_id, ids) == dict.fromkeys(ids, "envoyee")
    assert "Renvoyer les échecs" not in " ".join(_labels(at))


# -- history: an uncertain sending settled by hand ---------------------------------------------------


def test_an_uncertain_relance_is_marked_sent_or_to_send_again(app, ui_store, campaign_id, partial):
    arrived, lost = partial[0], partial[1]
    batch = prepare_batch(ui_store, campaign_id, [arrived.structure_id, lost.structure_id], by="coord")
    with ui_store.atomic() as con:
        con.execute("UPDATE relances SET statut = 'en_cours', erreur = 'envoi incertain : connexion coupée'"
                    " WHERE batch_id = ?", [batch])
        rows = {r["structure_id"]: r["id"] for r in relance_history(con, campaign_id) if r["batch_id"] == batch}
    at = _open(app, campaign_id)
    history = _history(at)
    assert list(history[history["Statut"] == "Envoi incertain"]["Structure"]) == sorted([arrived.nom, lost.nom])
    assert _labels(at).count("Marquer envoyée") == 2 and _labels(at).count("À renvoyer") == 2

    at.button(key=f"relances.arrivee.{rows[arrived.structure_id]}").click().run()
    assert texts_of(at.success) == ["Relance marquée comme envoyée."]
    at.button(key=f"relances.a_renvoyer.{rows[lost.structure_id]}").click().run()
    assert texts_of(at.success)[0].startswith("Relance remise en échec")
    ids = [arrived.structure_id, lost.structure_id]
    assert _statuses(ui_store, campaign_id, ids) == {arrived.structure_id: "envoyee", lost.structure_id: "echec"}
    assert "Marquer envoyée" not in _labels(at)

    # Without SMTP settings, what is left can still be cancelled.
    find_button(at, "Annuler ces relances (1)").click().run()
    assert texts_of(at.success) == ["1 relance annulée."]
    assert _statuses(ui_store, campaign_id, ids)[lost.structure_id] == "annulee"


# -- opt-outs --------------------------------------------------------------------------------------


def test_an_opted_out_structure_is_never_a_candidate_until_it_is_allowed_again(app, ui_store, campaign_id, partial):
    leaving = partial[0]
    at = _open(app, campaign_id, rules=["partielle"])
    assert "Aucune structure désinscrite." in texts_of(at.caption)
    at.selectbox(key=f"relances.desinscrire.{campaign_id}").set_value(leaving.structure_id)
    at.text_input(key="relances.desinscrire.motif").input("a répondu STOP")
    find_button(at, "Désinscrire").click().run()
    assert texts_of(at.success) == ["Structure désinscrite : elle ne recevra plus de relances."]
    with ui_store.connect() as con:
        assert [(r["structure_id"], r["motif"]) for r in list_opt_outs(con)] == [(leaving.structure_id, "a répondu STOP")]
    opted_out = _table_with(at, "Depuis le")
    assert list(opted_out["Structure"]) == [leaving.nom] and list(opted_out["Motif"]) == ["a répondu STOP"]
    assert leaving.nom not in list(_candidates_table(at)["Structure"])
    reasons = _table_with(at, "Raison de l'exclusion")
    reason = dict(zip(reasons["Structure"], reasons["Raison de l'exclusion"], strict=True))
    assert reason[leaving.nom] == "a demandé à ne plus recevoir de courriels (a répondu STOP)"

    at.selectbox(key="relances.reinscrire").set_value(leaving.structure_id)
    find_button(at, "Réinscrire").click().run()
    assert texts_of(at.success) == ["Structure réinscrite : elle peut de nouveau être relancée."]
    assert leaving.nom in list(_candidates_table(at)["Structure"])
    with ui_store.connect() as con:
        assert list_opt_outs(con) == []


def test_two_tabs_changing_different_settings_keep_both_and_the_same_one_is_a_conflict_to_settle(
    app, ui_store, campaign_id, partial
):
    first = _open(app, campaign_id)
    second = _open(AppTest.from_file(str(APP), default_timeout=30), campaign_id)
    second.text_input(key=f"relances.objet.{campaign_id}").input("Relance pour {nom}")
    find_button(second, "Enregistrer le modèle").click().run()
    first.number_input(key=f"relances.delai.{campaign_id}").set_value(3)
    find_button(first, "Enregistrer le modèle").click().run()
    assert texts_of(first.success) == ["Modèle et règles de relance enregistrés."]
    with ui_store.connect() as con:
        saved = get_campaign(con, campaign_id)
    assert (saved["relance_objet"], saved["relance_delai_jours"]) == ("Relance pour {nom}", 3)  # both kept

    second.number_input(key=f"relances.delai.{campaign_id}").set_value(10)  # still based on the default 7
    find_button(second, "Enregistrer le modèle").click().run()
    assert not second.exception
    warnings = texts_of(second.warning)
    assert warnings[0].startswith("Non enregistré, car changé ailleurs pendant que vous modifiiez : Jours entre deux")
    assert any(w.startswith("Jours entre deux relances : votre valeur « 10 » n'est pas enregistrée, car poste-test"
                            " l'a changée en « 3 » le ") for w in warnings)
    with ui_store.connect() as con:
        assert get_campaign(con, campaign_id)["relance_delai_jours"] == 3

    find_button(second, "Garder « 3 »").click().run()
    assert not [w for w in texts_of(second.warning) if "n'est pas enregistrée" in w]
    with ui_store.connect() as con:
        assert get_campaign(con, campaign_id)["relance_delai_jours"] == 3

"""The steering committee's pages, driven through the real app with AppTest on a real store.

The store is conftest's copy of the 90 Nouvelle-Calédonie lieux with the demo campaign (60
responses, a few weeks of calls). Figures on the pages are compared with what ``dashboards``
computes on the same store; filters are set through the sidebar's widgets or a link's query
parameters; downloads are generated as Streamlit does when the button is clicked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from html.parser import HTMLParser

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from collect.calls import load_cases
from collect.questionnaire import default_questionnaire
from collect.surveys import list_responses
from dashboards.filters import DashboardFilters, registry_in_scope
from dashboards.indicators import closed_questions, headline_indicators
from dashboards.rates import aapor_rates, group_counts
from tests.pages.conftest import NC_COUNT
from tests.pages.ui import PASSWORD, metric_values, sign_in, texts_of, with_accounts

PAGES = {
    "pages/tableau_de_bord.py": "Tableau de bord du comité de pilotage",
    "pages/taux_reponse.py": "Taux de réponse",
    "pages/offre.py": "Offre cartographiée",
    "pages/indicateurs.py": "Indicateurs de l'enquête",
}
TERRITOIRE, TYPOLOGIE, CAMPAGNE, PERIODE = ("dashboards.w.territoire", "dashboards.w.typologie",
                                            "dashboards.w.campagne", "dashboards.w.periode")


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], bytes]]:
    """The generators the app hands to download buttons whose file is made on click, by file name
    (calling one is what Streamlit does when the button is clicked)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    found: dict[str, Callable[[], bytes]] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        if file_name:
            found[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return found


def open_page(app: AppTest, path: str, **params: str) -> AppTest:
    """Run the app, then go to a committee page (with a link's query parameters, if any)."""
    at = app.run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(path).run()
    assert not at.exception, at.exception
    assert texts_of(at.title) == [PAGES[path]]
    return at


def chart_data(at: AppTest) -> list[pd.DataFrame]:
    """The data of every chart on the page (Streamlit ships them as Arrow tables)."""
    frames = []
    for chart in at.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            frames.append(pa.ipc.open_stream(dataset.data.data).read_all().to_pandas())
        spec = json.loads(chart.proto.spec)
        frames += [pd.DataFrame(values) for values in spec.get("datasets", {}).values()]
    return frames


def page_text(at: AppTest) -> str:
    """Everything a person could read on the page: texts, metrics, tables, chart data and specs."""
    parts = [*texts_of(at.markdown), *texts_of(at.caption), *texts_of(at.info), *texts_of(at.subheader)]
    parts += [f"{metric.label} {metric.value}" for metric in at.metric]
    parts += [frame.to_csv() for frame in (*(df.value for df in at.dataframe), *chart_data(at))]
    parts += [chart.proto.spec for chart in at.get("vega_lite_chart")]
    return "\n".join(parts)


@pytest.mark.parametrize("path", list(PAGES))
def test_every_committee_page_shows_the_demo_on_a_first_start(app, path, campaign_id):
    at = open_page(app, path)
    assert at.get("vega_lite_chart"), "a committee page is never empty on the demo"
    assert at.selectbox(key=CAMPAGNE).value == campaign_id
    assert at.query_params["campagne"] == campaign_id  # the link reproduces the view
    assert [b.label for b in at.sidebar.download_button] == ["Rapport (HTML)"]


def test_the_main_dashboard_shows_the_diagnostics_headline_figures(app, ui_store, campaign_id):
    at = open_page(app, "pages/tableau_de_bord.py")
    with ui_store.connect() as con:
        headline = headline_indicators(con, campaign_id)
        rates = aapor_rates(group_counts(case.disposition.code for case in load_cases(con, campaign_id)))
    shown = metric_values(at)
    assert shown["Structures enquêtées"] == "60"
    assert shown["Intéressées par un partenariat"] == f"{headline['Intéressées par un partenariat']:.0%}".replace("%", "\u202f%")
    assert shown["RR1"] == f"{rates['RR1']:.0%}".replace("%", "\u202f%")
    assert shown["Structures ciblées"] == str(NC_COUNT)
    assert shown["Lieux"] == str(NC_COUNT)


def test_a_filter_changes_the_view_and_the_link(app):
    at = open_page(app, "pages/tableau_de_bord.py")
    at.multiselect(key=TERRITOIRE).set_value(["988"]).run()
    assert at.query_params["territoire"] == "988"
    assert metric_values(at)["Lieux"] == str(NC_COUNT)
    at.multiselect(key=TYPOLOGIE).set_value(["CCAS"]).run()
    assert at.query_params["typologie"] == "CCAS"
    assert int(metric_values(at)["Lieux"]) < NC_COUNT


def test_a_link_reproduces_the_view_and_the_filters_follow_to_other_pages(app, ui_store):
    at = open_page(app, "pages/offre.py", territoire="988", typologie="MUNI")
    with ui_store.connect() as con:
        expected = registry_in_scope(con, DashboardFilters(territoire=["988"], typologie=["MUNI"]), date.today())
    assert at.multiselect(key=TERRITOIRE).value == ["988"] and at.multiselect(key=TYPOLOGIE).value == ["MUNI"]
    assert metric_values(at)["Lieux"] == str(len(expected)) and expected
    at.switch_page("pages/tableau_de_bord.py").run()  # Streamlit clears the URL on a page change
    assert at.multiselect(key=TYPOLOGIE).value == ["MUNI"]
    assert at.query_params["typologie"] == "MUNI" and at.query_params["territoire"] == "988"


@pytest.mark.parametrize("params, note", [
    ({"territoire": "ZZ"}, "Territoire « ZZ » inconnu"),
    ({"typologie": "PAS_UNE_TYPO"}, "Typologie « PAS_UNE_TYPO » inconnue"),
    ({"au": "24/11/2026"}, "Date de fin de période « 24/11/2026 » illisible"),
])
def test_a_wrong_link_is_explained_in_french_and_the_page_still_shows(app, params, note):
    at = open_page(app, "pages/tableau_de_bord.py", **params)
    assert any(text.startswith(note) for text in texts_of(at.warning))
    assert metric_values(at)["Lieux"] == str(NC_COUNT)


def test_the_offer_as_of_an_earlier_date_comes_from_the_history(app, ui_store):
    with ui_store.connect() as con:  # the demo's lieux are dated by the national dataset's date_maj
        first, middle = con.execute("SELECT min(valid_from), quantile_disc(valid_from, 0.5) FROM structure_versions"
                                    ).fetchall()[0]
    day = middle.date()
    with ui_store.connect() as con:
        then = registry_in_scope(con, DashboardFilters(), day)
    assert 0 < len(then) < NC_COUNT
    at = open_page(app, "pages/offre.py")
    at.slider(key=PERIODE).set_value((first.date() + timedelta(days=10), day)).run()
    assert not at.exception
    assert metric_values(at)["Lieux"] == str(len(then))
    assert at.query_params["au"] == day.isoformat()
    assert any(text.startswith("Évolution depuis le") for text in texts_of(at.subheader))


def test_the_offer_page_lists_white_zones_and_their_map(app):
    at = open_page(app, "pages/offre.py", territoire="988")
    at.selectbox(key="offre.categorie").set_value("Accès internet et matériel informatique").run()
    white = [df.value for df in at.dataframe if "Zones blanches" not in df.value.columns and "Commune" in df.value.columns]
    assert white and len(white[0]) > 0  # some communes of Nouvelle-Calédonie have no such lieu
    statuses = pd.concat([frame for frame in chart_data(at) if "statut" in frame.columns or "Statut" in frame.columns])
    assert {"Couverte", "Zone blanche"} <= set(statuses.get("Statut", statuses.get("statut")))
    at.radio(key="offre.echelle").set_value("epci").run()
    assert not at.exception


def test_the_rates_page_breaks_down_without_small_groups(app):
    at = open_page(app, "pages/taux_reponse.py")
    at.selectbox(key="taux.dimension").set_value("commune").run()
    table = next(df.value for df in at.dataframe if "Commune" in df.value.columns)
    assert (table["Structures"] >= 5).all()
    at.segmented_control(key="taux.periode").set_value("jour").run()
    assert not at.exception
    assert any("Jour" in df.value.columns for df in at.dataframe)


def test_the_disclosure_threshold_is_a_setting(app, monkeypatch):
    monkeypatch.setenv("MAILLAGE_SEUIL_DIFFUSION", "30")
    at = open_page(app, "pages/taux_reponse.py")
    at.selectbox(key="taux.dimension").set_value("enqueteur").run()
    table = next(df.value for df in at.dataframe if "Enquêteur" in df.value.columns)
    assert (table["Structures"] >= 30).all() and len(table) < 4


@pytest.mark.parametrize("value", ["zéro", "0", "-3", "2,5"])
def test_a_wrong_disclosure_threshold_is_refused_in_french(app, monkeypatch, value):
    monkeypatch.setenv("MAILLAGE_SEUIL_DIFFUSION", value)
    at = app.run()
    at.switch_page("pages/indicateurs.py").run()
    assert not at.exception
    assert texts_of(at.error) == [f"MAILLAGE_SEUIL_DIFFUSION vaut « {value} » : un nombre entier d'au moins 1 est"
                                  " attendu (par défaut 5)."]
    assert not at.get("vega_lite_chart")


def test_the_indicators_page_charts_every_closed_question(app, ui_store, campaign_id):
    at = open_page(app, "pages/indicateurs.py")
    with ui_store.connect() as con:
        questions = [q for q in closed_questions(con, campaign_id) if q.answered >= 5]
    titles = [json.loads(chart.proto.spec).get("title") for chart in at.get("vega_lite_chart")]
    assert [t["text"] if isinstance(t, dict) else t for t in titles] == [q.libelle for q in questions]


def test_a_scope_with_fewer_than_five_responses_shows_no_answer(app, ui_store, campaign_id):
    with ui_store.connect() as con:
        kinds = con.execute("SELECT t, count(*) FROM (SELECT unnest(s.typologie) AS t FROM responses r"
                            " JOIN structures s ON s.id = r.structure_id) GROUP BY t HAVING count(*) < 5 ORDER BY t"
                            ).fetchall()
    assert kinds, "the demo has a typology with fewer than 5 responses"
    at = open_page(app, "pages/indicateurs.py", typologie=kinds[0][0])
    assert any("Moins de 5 structures enquêtées" in text for text in texts_of(at.info))
    assert not at.get("vega_lite_chart")


@pytest.mark.parametrize("path", list(PAGES))
def test_no_personal_data_reaches_a_committee_page(app, ui_store, campaign_id, path):
    personal_codes = [q.code for s in default_questionnaire().sections for q in s.questions if q.personnel]
    with ui_store.connect() as con:
        registry = con.execute("SELECT contact_nom, contact_telephone, contact_courriel, telephone, courriels"
                               " FROM structures").fetchall()
        names = [row[0] for row in con.execute("SELECT nom FROM structures").fetchall()]
        answers = [row["answers"] for row in list_responses(con, campaign_id=campaign_id)]
    secrets = {str(value) for row in registry for value in row if value}
    secrets |= {str(item) for value in (a.get(code) for a in answers for code in personal_codes) if value
                for item in (value if isinstance(value, list) else [value])}
    secrets = {text for text in secrets if len(text) > 4 and text not in ("[]",)}
    assert secrets, "the demo has contact data to hide"
    at = open_page(app, path)
    text = page_text(at)
    if path in ("pages/tableau_de_bord.py", "pages/offre.py"):  # the map's data is read too: lieux are public
        assert any(name in text for name in names)
    leaked = sorted(secret for secret in secrets if secret.strip("[]'\"") in text)
    assert not leaked


def test_a_signed_in_committee_member_reaches_no_personal_data_through_pages_links_or_downloads(
        app, ui_store, campaign_id, downloads, deferred):
    with ui_store.connect() as con:
        registry = con.execute("SELECT contact_nom, contact_telephone, contact_courriel, telephone, courriels"
                               " FROM structures").fetchall()
        notes = con.execute("SELECT note FROM call_attempts WHERE note IS NOT NULL").fetchall()
        surveyors = con.execute("SELECT DISTINCT surveyor FROM call_attempts").fetchall()
    secrets = {str(value) for row in (*registry, *notes, *surveyors) for value in row if value and len(str(value)) > 4}
    with_accounts(ui_store, ("camille", "comite"))
    at = sign_in(app.run(), "camille", PASSWORD)
    texts = []
    # every page, and links a curious person could forge: unknown filters, a campaign id, SQL in a value
    for path in PAGES:
        for params in ({}, {"campagne": campaign_id, "territoire": "988", "seuil": "0"},
                       {"typologie": "' OR 1=1 --", "enqueteur": "eve", "structure": "x"}):
            for key, value in params.items():
                at.query_params[key] = value
            at.switch_page(path).run()
            assert not at.exception
            assert texts_of(at.title) == [PAGES[path]]
            texts.append(page_text(at))
            at.query_params.clear()
    texts += [data.decode("utf-8-sig", errors="replace") for data in downloads.values()]
    texts += [make().decode("utf-8", errors="replace") for name, make in deferred.items() if name.endswith(".html")]
    text = "\n".join(texts)
    leaked = sorted(secret for secret in secrets if secret.strip("[]'\"") in text)
    assert not leaked
    assert downloads and any(name.endswith(".html") for name in deferred)


def test_chart_downloads_are_png_and_svg(app, deferred):
    at = open_page(app, "pages/tableau_de_bord.py")
    png = deferred["taux-de-reponse-cumules-par-semaine-aapor.png"]()
    svg = deferred["taux-de-reponse-cumules-par-semaine-aapor.svg"]()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"<svg" in svg and "Taux de réponse cumulés".encode() in svg
    assert [b.label for b in at.download_button if b.label in ("PNG", "SVG")]


def test_the_report_is_one_file_of_the_current_view(app, deferred):
    at = open_page(app, "pages/tableau_de_bord.py", territoire="988")
    (name,) = [name for name in deferred if name.endswith(".html")]
    assert name.startswith("tableau-de-bord-du-comite-de-pilotage-")
    html = deferred[name]().decode()

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)

    parser = Tags()
    parser.feed(html)
    assert "script" not in parser.tags and "link" not in parser.tags
    assert parser.tags.count("svg") == len(at.get("vega_lite_chart"))
    assert "Nouvelle-Calédonie (988)" in html  # the filters of the view
    for subheader in texts_of(at.main.subheader):
        assert subheader.replace("'", "&#x27;") in html


def test_table_downloads_are_csv_for_french_excel(app, downloads):
    open_page(app, "pages/taux_reponse.py")
    name = next(name for name in downloads if name.startswith("tous-les-taux-aapor"))
    text = downloads[name].decode("utf-8-sig")
    assert text.splitlines()[0].split(";")[:2] == ["Taux", "Définition"]

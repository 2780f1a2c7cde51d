"""The French template: placeholders from an allowlist, the default text, the settings checked, and
the template form edited field by field."""

from __future__ import annotations

import pytest

from collect.campaigns import get_campaign
from collect.relances.errors import RelanceError
from collect.relances.templates import (
    DEFAULT_CORPS,
    check_template,
    edit_relance_settings,
    preview_message,
    relance_settings_shown,
    render_template,
    set_relance_settings,
)

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


# -- the template form edits field by field (issue 17) -----------------------------------------------


def test_two_coordinators_changing_different_settings_keep_both_and_the_same_one_is_a_conflict(store, campaign):
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

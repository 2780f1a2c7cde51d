"""The keyword tables of models/data/vocabulaire/ and models.vocabulary, on real cells.

Every value below was copied from a real export of shared/reference/raw-hub-exports/ (the source
is the test id); the expected code is what the mednum-cli configuration of that source means,
except where a comment says why Maillage reads it differently.
"""

from __future__ import annotations

import time
from collections import defaultdict

import pytest

from models import vocabulary
from models.errors import InvalidValue
from models.standard import standard_v1
from models.typologies import typologies
from models.vocabulary import (
    PUBLISHED_STATUTS,
    STATUT_LABELS,
    STATUTS,
    Meaning,
    keyword_rows,
    meanings,
    means_nothing,
    normalize_bool,
    split_items,
    status_of,
    table_fields,
    translate,
    translate_cell,
    typology_code,
    valid_codes,
    yes_no,
)

AIDE = "Aide aux démarches administratives"
MAITRISE = "Maîtrise des outils numériques du quotidien"
INSERTION = "Insertion professionnelle via le numérique"
SECURITE = "Utilisation sécurisée du numérique"
PARENTALITE = "Parentalité et éducation avec le numérique"
LOISIRS = "Loisirs et créations numériques"
COMPREHENSION = "Compréhension du monde numérique"
ACCES = "Accès internet et matériel informatique"
ACQUISITION = "Acquisition de matériel informatique à prix solidaire"


# --------------------------------------------------------------------------------------------
# The tables themselves
# --------------------------------------------------------------------------------------------

ENUMERATED_FIELDS = (
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "modalites_acces",
    "modalites_accompagnement",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "itinerance",
)


def test_every_list_of_the_standard_has_a_table():
    assert set(table_fields()) == {"typologie", "statut", *ENUMERATED_FIELDS}
    for field in ENUMERATED_FIELDS:
        assert standard_v1().choices(field)  # the table translates to a real enumeration


def _row_problem(row) -> str | None:
    if row.file != f"{row.champ}.csv":
        return "champ différent du nom du fichier"
    if not row.keyword.strip():
        return "mot-clé vide"
    if row.code == vocabulary.NO_CODE:
        return None if row.note else "un mot-clé sans code doit dire pourquoi (note)"
    return None if row.code in valid_codes(row.champ) else "code inconnu"


def test_every_code_of_every_table_is_a_valid_code():
    problems = [f"{row.file} « {row.mot_cle} » → « {row.code} » : {problem}"
                for row in keyword_rows() if (problem := _row_problem(row))]
    assert not problems, "\n".join(problems)
    assert len(keyword_rows()) > 1000


def test_valid_codes_come_from_the_standard_the_typology_list_and_statuts():
    assert set(valid_codes("typologie")) == set(typologies())
    assert tuple(valid_codes("statut")) == STATUTS
    assert set(valid_codes("services")) == set(standard_v1().choices("services"))


def _folded(row):
    return vocabulary._answer_key(row.keyword) if row.champ == "oui_non" else vocabulary.fold(row.keyword)


def test_no_keyword_maps_to_two_codes_of_the_same_field_unless_documented():
    codes = defaultdict(set)
    notes = defaultdict(list)
    for row in keyword_rows():
        key = (row.champ, _folded(row), row.whole_item)
        codes[key].add(row.code)
        notes[key].append(row.note)
    for key, found in codes.items():
        if len(found) > 1:
            assert all("plusieurs codes voulus" in note for note in notes[key]), key


def test_no_keyword_is_written_twice_in_a_table():
    seen = set()
    for row in keyword_rows():
        key = (row.champ, _folded(row), row.whole_item)
        assert key not in seen, f"{row.champ} : « {row.mot_cle} » répète un mot-clé (après pliage)"
        seen.add(key)


@pytest.mark.parametrize("field", ["typologie", *ENUMERATED_FIELDS, "statut"])
def test_every_code_has_at_least_one_keyword(field):
    with_keyword = {row.code for row in keyword_rows() if row.champ == field}
    assert set(valid_codes(field)) <= with_keyword


def test_statut_vocabulary_is_closed_and_labelled_in_french():
    assert STATUTS == ("ouvert", "a_valider", "masque", "inactif", "ferme", "a_supprimer")
    assert set(STATUT_LABELS) == set(STATUTS)
    assert STATUT_LABELS["a_supprimer"] == "À supprimer"
    assert PUBLISHED_STATUTS == ("ouvert",)


# --------------------------------------------------------------------------------------------
# Real cells translated
# --------------------------------------------------------------------------------------------

TYPOLOGIE_CASES = [
    pytest.param("ASSO", ["ASSO"], id="aix-en-provence:ASSO"),
    pytest.param("PE", ["FT"], id="aix-en-provence:PE"),
    pytest.param("PAD", ["PAD"], id="aix-en-provence:PAD"),
    pytest.param("Bibliotheque", ["BIB"], id="angers:Bibliotheque"),
    pytest.param("Maison de quartier", ["MQ"], id="angers:Maison de quartier"),
    pytest.param("Hotel de ville", ["MUNI"], id="angers:Hotel de ville"),
    pytest.param("Associations", ["ASSO"], id="epernay:Associations"),
    pytest.param("Communes", ["MUNI"], id="epernay:Communes"),
    pytest.param("other", ["Autre"], id="epernay:other"),
    pytest.param("Bibliothèque / Médiathèque", ["BIB"], id="epernay:Bibliothèque / Médiathèque"),
    pytest.param("_Centres communaux d'action soc", ["CCAS"], id="epernay:CCAS cut off"),
    # The configuration says PI; it is the PIJ/BIJ label cut at 31 characters by the form tool.
    pytest.param("_Points et bureaux information", ["PIJ_BIJ"], id="epernay:PIJ cut off"),
    pytest.param("Préfecture, Sous-préfecture", ["PREF"], id="epernay:Préfecture"),
    pytest.param("Conseils Départementaux (CD)", ["CD"], id="epernay:CD"),
    pytest.param("Caisses d'allocation familiale", ["CAF"], id="epernay:CAF"),
    pytest.param("Maison de l'emploi", ["MDE"], id="epernay:MDE"),
    pytest.param("Mission Locale", ["ML"], id="epernay:ML"),
    pytest.param("Réseau France Services", ["RFS"], id="epernay:RFS"),
    pytest.param("CSAPA - Centre de Soins d'Accompagnement et de Prévention en Addictologie", ["CSAPA"],
                 id="epernay:CSAPA"),
    pytest.param("Direction générale des finances publiques", ["CFP"], id="epernay:DGFIP"),
    pytest.param("La Poste", ["LA_POSTE"], id="epernay:La Poste"),
    pytest.param("Association", ["ASSO"], id="nouvelle-caledonie:Association"),
    pytest.param("Point et bureau information jeunesse (PIJ/BIJ)", ["PIJ_BIJ"], id="nouvelle-caledonie:PIJ"),
    pytest.param("Maison de quartier/maison commune", ["MQ"], id="nouvelle-caledonie:MQ"),
    pytest.param("Centre communal d’action sociale (CCAS)", ["CCAS"], id="nouvelle-caledonie:CCAS"),
    pytest.param("Municipalité", ["MUNI"], id="nouvelle-caledonie:Municipalité"),
    pytest.param("Chambre consulaire", ["CCONS"], id="nouvelle-caledonie:CCONS"),
    pytest.param("Organisme de formation", ["OF"], id="nouvelle-caledonie:OF"),
    pytest.param("Province", [], id="nouvelle-caledonie:Province (no code)"),
    pytest.param("EPN, Mairie", ["EPN", "MUNI"], id="hub-lo:EPN, Mairie"),
    pytest.param("Associatif", ["ASSO"], id="hub-lo:Associatif"),
    pytest.param("msap", ["MSAP"], id="hub-lo:msap"),
    pytest.param("CoWorking", ["TIERS_LIEUX"], id="hub-lo:CoWorking"),
    pytest.param("FabLab", ["FABLAB"], id="hub-lo:FabLab"),
    pytest.param("{Club-info}", ["EPN"], id="hub-lo:Club-info"),
    pytest.param('{Médiathèque,EPN}', ["BIB", "EPN"], id="hub-lo:array"),
    pytest.param("Espace Public Numérique autre", ["EPN"], id="ultra-num:EPN autre"),
    pytest.param("Cyberbase/Cybercase", ["EPN"], id="ultra-num:Cyberbase"),
    pytest.param("Fablab/Hackerspace", ["FABLAB"], id="ultra-num:Fablab"),
    pytest.param("Espace Culturel/Médiathèque", ["BIB"], id="ultra-num:Médiathèque"),
]

OTHER_TYPOLOGIE_WORDINGS = [
    ("Collectivité", []),
    ("Collectivité territoriale - commune", ["MUNI"]),
    ("Médiathèque - Bibliothèque", ["BIB"]),
    ("Mairie", ["MUNI"]),
    ("Maison France Services", ["RFS"]),
    ("France Services", ["RFS"]),
    ("Maison de services au public", ["MSAP"]),
    ("Centre communal d'action sociale", ["CCAS"]),
    ("Centres sociaux", ["CS"]),
    ("Centre social et culturel", ["CSC"]),
    ("Espace public numérique", ["EPN"]),
    ("Tiers-lieux", ["TIERS_LIEUX"]),
    ("Point information jeunesse", ["PIJ_BIJ"]),
    ("Pôle emploi", ["FT"]),
    ("France Travail", ["FT"]),
    ("Bureau de poste", ["LA_POSTE"]),
    ("Agence postale communale", ["LA_POSTE"]),
    ("Communauté de communes", ["CC"]),
    ("Communauté d'agglomération", ["EPCI"]),
    ("Point relais CAF", []),
    ("Conseiller numérique France Services", []),
    ("Postes informatiques", []),
]


@pytest.mark.parametrize(("cell", "expected"), TYPOLOGIE_CASES)
def test_real_typologie_cells(cell, expected):
    assert translate_cell("typologie", cell) == expected


@pytest.mark.parametrize(("text", "expected"), OTHER_TYPOLOGIE_WORDINGS)
def test_usual_typologie_wordings(text, expected):
    assert translate("typologie", text) == expected


SERVICES_CASES = [
    pytest.param("Devenir autonome dans les démarches administratives;Accéder à du matériel", [AIDE, ACCES],
                 id="aix-en-provence:v0.1 services"),
    pytest.param("Prendre en main un smartphone ou une tablette;Prendre en main un ordinateur;Utiliser le numérique "
                 "au quotidien;Soutenir la parentalité et l'éducation avec le numérique", [MAITRISE, PARENTALITE],
                 id="aix-en-provence:v0.1 services 2"),
    pytest.param("Initiation aux outils numériques", [MAITRISE], id="angers:QUALIF1"),
    pytest.param("Aide pour les démarches administratives", [AIDE], id="angers:QUALIF2"),
    pytest.param("Utilisation d'une imprimante", [ACCES], id="angers:QUALIF3"),
    pytest.param("Utilisation ordinateur et/ou tablette", [ACCES], id="angers:ACCES_ORDI"),
    pytest.param("Accès WIFI", [ACCES], id="angers:WIFI"),
    pytest.param("Prêt de matériel", [ACQUISITION], id="angers:PRET_MAT"),
    pytest.param("Réparation de matériel", [ACQUISITION], id="angers:REPAR_MAT"),
    pytest.param("Sensibilisation aux risques d'internet", [SECURITE], id="angers:SENS_INTER"),
    pytest.param("Aide aux démarches dématérialisées", [AIDE], id="angers:AIDE_DEMAT"),
    pytest.param("Avis éclairé sur les usagers numériques", [COMPREHENSION], id="angers:AVIS_NUM"),
    pytest.param("Devenir_autonome_dans_les_démar,Réaliser_des_démarches_administ,Accéder_à_une_connexion_interne,"
                 "Accéder_à_du_matériel_(accès_su,Accompagner_les_démarches_de_sa", [AIDE, ACCES],
                 id="epernay:cut-off answers"),
    pytest.param("_Favoriser_mon_insertion_profes,Créer_et_développer_mon_entrepr", [INSERTION],
                 id="epernay:insertion"),
    pytest.param("Devenir_autonome_dans_les_démar,Utiliser_le_numérique_au_quotid,Créer_avec_le_numérique,"
                 "Promouvoir_la_citoyenneté_numér", [AIDE, MAITRISE, LOISIRS, COMPREHENSION], id="epernay:mixed"),
    pytest.param("S'équiper_en_matériel_(don_vent", [ACQUISITION], id="epernay:s'équiper"),
    pytest.param("Je_mets_à_disposition_des_équip", [ACCES], id="epernay:acteur équipements"),
    pytest.param("J'équipe_les_usagers_(dons_prêt", [ACQUISITION], id="epernay:acteur équipe"),
    pytest.param("Accès-libre à un espace équipé ou connecté,\nAssistance sur les services administratifs en ligne",
                 [ACCES, AIDE], id="nouvelle-caledonie:services"),
    pytest.param("Accompagnement individuel,\nAteliers collectif ou formations,\nVente solidaire de matériel",
                 [ACQUISITION], id="nouvelle-caledonie:vente solidaire"),
    pytest.param("Formation aux bases du numérique\n Administration en ligne\n Scolarité et parentalité\n Culture, "
                 "loisirs et divertissement", [MAITRISE, AIDE, PARENTALITE, LOISIRS], id="nouvelle-caledonie:thématiques"),
    pytest.param("Fourniture de matériel reconditionné", [ACQUISITION], id="nouvelle-caledonie:reconditionné"),
    pytest.param("Accès WIFI\n Postes informatiques avec internet\n Copie de document", [ACCES],
                 id="nouvelle-caledonie:equipements"),
    pytest.param("Retoucher ses photos", [LOISIRS], id="ultra-num:Tag"),
    pytest.param("Organiser sa recherche d’emploi", [INSERTION], id="ultra-num:Tag emploi"),
    pytest.param("Sécuriser ses usages numériques", [SECURITE], id="ultra-num:Tag sécurité"),
    pytest.param("Etre parent à l’ère numérique", [PARENTALITE], id="ultra-num:Tag parent"),
    pytest.param("Comprendre les cultures numériques", [COMPREHENSION], id="ultra-num:Tag cultures"),
    pytest.param("Paramétrer un compte email", [MAITRISE], id="ultra-num:Tag email"),
    pytest.param("Accéder aux principaux services en ligne", [AIDE], id="ultra-num:Tag services en ligne"),
    pytest.param("Initiation au numerique  : Formation - Apprentissage - Perfectionnement", [MAITRISE],
                 id="fibre-64:activité principale"),
    pytest.param("Acces a des equipements et une connexion internet", [ACCES], id="fibre-64:accès"),
    pytest.param("Accompagnement de professionnels", [INSERTION], id="fibre-64:professionnels"),
    pytest.param("Ateliers CV et lettres de motivations", [INSERTION], id="hub-lo:CV"),
    pytest.param("Bases de l'informatique, Bureautique, photo, vidéo, 3D, web, culture numérique,...",
                 [MAITRISE, LOISIRS, COMPREHENSION], id="hub-lo:formation detail"),
    pytest.param("Utiliser le numérique au quotidien", [MAITRISE], id="la-creuse:services"),
]


@pytest.mark.parametrize(("cell", "expected"), SERVICES_CASES)
def test_real_services_cells(cell, expected):
    assert translate_cell("services", cell) == expected


LIST_CASES = [
    pytest.param("publics_specifiquement_adresses", "Jeune, Demandeur d'Emploi, Etranger, Réfugié", ["Jeunes"],
                 id="angers:PUBLIC_ jeunes"),
    pytest.param("prise_en_charge_specifique", "Jeune, Demandeur d'Emploi, Etranger, Réfugié",
                 ["Langues étrangères (autres)"], id="angers:PUBLIC_ étrangers"),
    pytest.param("publics_specifiquement_adresses", "Etudiant, Senior, Demandeur d'Emploi, Etranger",
                 ["Étudiants", "Seniors"], id="angers:PUBLIC_ étudiant senior"),
    pytest.param("publics_specifiquement_adresses", "Senior (plus de 45 ans)", ["Seniors"], id="angers:Senior"),
    pytest.param("publics_specifiquement_adresses",
                 "Tout_public,Seniors_(+_65_ans),Familles/enfants,Adultes,Jeunes_(16-26_ans),Public_langues_étrangères",
                 ["Seniors", "Familles et/ou enfants", "Jeunes"], id="epernay:publics"),
    pytest.param("prise_en_charge_specifique",
                 "Adultes,Jeunes_(16-26_ans),Public_langues_étrangères,Déficience_visuelle,Surdité,"
                 "Personnes_en_situation_d'illett",
                 ["Langues étrangères (autres)", "Déficience visuelle", "Surdité", "Illettrisme"], id="epernay:prise en charge"),
    pytest.param("prise_en_charge_specifique", "Handicaps_psychiques_:_troubles,Handicaps_mentaux_:_déficiences",
                 ["Handicaps mentaux"], id="epernay:handicaps"),
    pytest.param("publics_specifiquement_adresses", "Jeunes (16-26 ans)/Etudiants\n Adultes\n Familles/enfants\n "
                 "Seniors (+ 65 ans)\n Personnes en situation de handicap",
                 ["Jeunes", "Étudiants", "Familles et/ou enfants", "Seniors"], id="nouvelle-caledonie:publics"),
    pytest.param("publics_specifiquement_adresses", "Uniquement femmes,Tout types de publics", ["Femmes"],
                 id="nouvelle-caledonie:femmes"),
    pytest.param("publics_specifiquement_adresses", "Tout types de publics", [], id="nouvelle-caledonie:tout public"),
    pytest.param("prise_en_charge_specifique", "Personnes en situation de handicap", [],
                 id="nouvelle-caledonie:handicap non précisé"),
    pytest.param("publics_specifiquement_adresses", "16-25 ans", ["Jeunes"], id="hub-lo:16-25 ans"),
    pytest.param("publics_specifiquement_adresses", "12 - 30 ans", ["Jeunes"], id="hub-lo:12 - 30 ans"),
    pytest.param("publics_specifiquement_adresses", "3-99 ans", [], id="hub-lo:3-99 ans"),
    pytest.param("publics_specifiquement_adresses", "Jeunes - demandeurs d'emploi - Adultes - Séniors - tout public",
                 ["Jeunes", "Seniors"], id="hub-lo:dashes"),
    pytest.param("publics_specifiquement_adresses", "Les jeunes de 16 a 25 ans en descolarisation", ["Jeunes"],
                 id="fibre-64:jeunes"),
    pytest.param("prise_en_charge_specifique", "Seniors et seniors en situation de handicap psychique",
                 ["Handicaps mentaux"], id="fibre-64:handicap psychique"),
    pytest.param("prise_en_charge_specifique", "oui", [], id="hub-lo:c_acces_pmr value"),
    pytest.param("frais_a_charge", "Payant,Adhésion", ["Payant"], id="epernay:payant"),
    pytest.param("frais_a_charge", "Gratuit_sous_condition_(situati", ["Gratuit sous condition"], id="epernay:sous condition"),
    pytest.param("frais_a_charge", "0Euro", ["Gratuit"], id="fibre-64:0Euro"),
    pytest.param("frais_a_charge", "Service Public (gratuite)", ["Gratuit"], id="fibre-64:service public"),
    pytest.param("frais_a_charge", "100% finance", ["Gratuit sous condition"], id="fibre-64:100% financé"),
    pytest.param("frais_a_charge", "Selon public et prestation", ["Gratuit sous condition"], id="fibre-64:selon public"),
    pytest.param("frais_a_charge", "11 Euro l'adhesion annuelle\ngratuite sous conditions (DE, - 18 ans...)",
                 ["Payant", "Gratuit sous condition"], id="fibre-64:adhésion et conditions"),
    pytest.param("frais_a_charge", "Service public non payant. \nReserve aux territoires conventionnes", ["Gratuit"],
                 id="fibre-64:non payant"),
    pytest.param("frais_a_charge", "Photocopies payantes (110 XPF A4 noir et blanc)", ["Payant"],
                 id="nouvelle-caledonie:payantes"),
    pytest.param("modalites_acces", "Téléphone,Mail,Site_en_ligne,Guichet_d'accueil",
                 ["Téléphoner", "Contacter par mail", "Prendre un RDV en ligne", "Se présenter"], id="epernay:rdv"),
    pytest.param("modalites_acces", "La structure n'accueille plus de publics", ["Ce lieu n'accueille pas de public"],
                 id="epernay:pas de public"),
    pytest.param("modalites_accompagnement", "Accès-libre_à_une_connexion_et_,Assistance_individuelle,"
                 "Ateliers_collectifs,Ateliers_individuels,Formation_ponctuelle_(1_atelier",
                 ["En autonomie", "Accompagnement individuel", "Dans un atelier collectif"], id="epernay:modalités"),
    pytest.param("modalites_accompagnement", "Simple accès (ordinateurs sans accompagnement)", ["En autonomie"],
                 id="nouvelle-caledonie:simple accès"),
    pytest.param("modalites_accompagnement", "Espace public numérique (accès ordinateurs et accompagnement dédié)",
                 ["Accompagnement individuel"], id="nouvelle-caledonie:accompagnement dédié"),
    pytest.param("modalites_accompagnement", "Seul : j'ai accès à du matériel et une connexion,Avec de l'aide : je suis "
                 "accompagné seul dans l'usage du numérique", ["En autonomie", "Accompagnement individuel"],
                 id="nouvelle-caledonie:v0.1 modalités"),
    pytest.param("modalites_accompagnement", "Dans un atelier : j'apprends collectivement à utiliser le numérique",
                 ["Dans un atelier collectif"], id="la-creuse:atelier"),
    pytest.param("modalites_accompagnement", "Ateliers en présentiels plutôt réservé aux débutants. "
                 "Des ateliers en ligne pour tous.", ["Dans un atelier collectif", "À distance"], id="hub-lo:en ligne"),
    pytest.param("itinerance", "ateliers collectifs itinérants", ["Itinérant"], id="epernay:itinérants"),
    pytest.param("itinerance", "Hors les murs : Au sein d'établissements scolaires, RDV aux Jardins", ["Itinérant"],
                 id="epernay:hors les murs"),
    pytest.param("itinerance", "Espace France Service Itinérant", ["Itinérant"], id="bus-france-services:résumé"),
    pytest.param("itinerance", "Non", [], id="epernay:non (a yes/no, not a keyword)"),
    pytest.param("dispositif_programmes_nationaux", "France_Services,Aidants_Connect,Point_relais_CAF",
                 ["France Services", "Aidants Connect", "Point d'accès numérique CAF"], id="epernay:labels"),
    pytest.param("dispositif_programmes_nationaux", "France Services;CNFS;APTIC",
                 ["France Services", "Conseillers numériques"], id="bus-france-services:labels"),
    pytest.param("dispositif_programmes_nationaux", '{EPN,"Promeneur du net"}', ["Promeneurs du net"],
                 id="hub-lo:categories"),
    pytest.param("dispositif_programmes_nationaux", "Ambassadeur référent PDN", ["Promeneurs du net"], id="hub-lo:PDN"),
    pytest.param("dispositif_programmes_nationaux", "Certificateur Pix", ["Certification PIX"],
                 id="nouvelle-caledonie:Pix"),
    pytest.param("dispositif_programmes_nationaux", "Je_ne_sais_pas_", [], id="epernay:je ne sais pas"),
    pytest.param("formations_labels", "Étapes numériques", ["Étapes numériques(La Poste)"], id="etapes-numerique"),
]


@pytest.mark.parametrize(("field", "cell", "expected"), LIST_CASES)
def test_real_cells_of_the_other_lists(field, cell, expected):
    assert translate_cell(field, cell) == expected


def test_translate_returns_nothing_for_unknown_words_and_empty_cells():
    assert translate("services", "Logement") == []
    assert translate("services", "") == []
    assert translate("services", None) == []
    assert translate_cell("services", None) == []


def test_translate_refuses_a_field_without_table():
    with pytest.raises(KeyError):
        translate("nom", "Médiathèque")


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [("publics_specifiquement_adresses", "Tout public", True), ("typologie", "Collectivité", True),
     ("prise_en_charge_specifique", "Situation de handicap", True), ("typologie", "Médiathèque", False),
     ("typologie", "Truc inconnu", False)],
)
def test_means_nothing_tells_known_words_without_code_from_unknown_words(field, text, expected):
    assert means_nothing(field, text) is expected


# --------------------------------------------------------------------------------------------
# Splitting cells
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Médiathèque - Bibliothèque", ["Médiathèque - Bibliothèque"]),
        ("Centre social / EPN / France Services", ["Centre social", "EPN", "France Services"]),
        ('{EPN,"Promeneur du net",Fablab}', ["EPN", "Promeneur du net", "Fablab"]),
        ('["Wifi", "Imprimante"]', ["Wifi", "Imprimante"]),
        ("Point_relais_CAF", ["Point relais CAF"]),
        ("- Accompagnement aux démarches\n- Ateliers", ["Accompagnement aux démarches", "Ateliers"]),
        ("• Wifi\n• Imprimante", ["Wifi", "Imprimante"]),
        ("Familles et/ou enfants", ["Familles et/ou enfants"]),
        ("Jeunes (16-26 ans)/Etudiants", ["Jeunes (16-26 ans)", "Etudiants"]),
        ("Point et bureau information jeunesse (PIJ/BIJ)", ["Point et bureau information jeunesse (PIJ/BIJ)"]),
        ("Jeunes - demandeurs d'emploi - Adultes", ["Jeunes", "demandeurs d'emploi", "Adultes"]),
        ("CSAPA - Centre de soins", ["CSAPA - Centre de soins"]),
        ("Jeunes et familles", ["Jeunes", "familles"]),
        ("Centre social et culturel", ["Centre social et culturel"]),
        ("Acces a des equipements et une connexion internet", ["Acces a des equipements et une connexion internet"]),
        ("Accéder à une connexion internet,Accéder à du matériel ;", ["Accéder à une connexion internet",
                                                                      "Accéder à du matériel"]),
        ("Wifi + ordinateurs", ["Wifi", "ordinateurs"]),
        ("Seniors_(+_65_ans)", ["Seniors (+ 65 ans)"]),
        ("Tout_public,Seniors_(+_65_ans),Familles/enfants", ["Tout public", "Seniors (+ 65 ans)", "Familles", "enfants"]),
        ("Formation_ponctuelle_(1_atelier,Formation_courte_(série_d'ateli",
         ["Formation ponctuelle (1 atelier", "Formation courte (série d'ateli"]),
        ("Accès-libre à un espace équipé ou connecté,\nAccompagnement individuel,",
         ["Accès-libre à un espace équipé ou connecté", "Accompagnement individuel"]),
        ("Accueil 24h/24, 7j/7", ["Accueil 24h/24", "7j/7"]),
        ("Voir https://www.cclb64.fr/_files/ugd/x.pdf", ["Voir https://www.cclb64.fr/_files/ugd/x.pdf"]),
        ("EPN, EPN, epn", ["EPN"]),
        ("N/A", []),
        ("", []),
        (None, []),
    ],
)
def test_split_items(cell, expected):
    assert split_items(cell) == expected


# --------------------------------------------------------------------------------------------
# Column names and short labels
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "field", "code"),
    [
        ("c_mediatheque", "typologie", "BIB"),
        ("c_epn", "typologie", "EPN"),
        ("c_epn", "services", ACCES),
        ("c_b_epn", "typologie", "EPN"),
        ("c_coworking", "typologie", "TIERS_LIEUX"),
        ("c_fablab", "typologie", "FABLAB"),
        ("c_msap", "typologie", "MSAP"),
        ("c_mairie", "typologie", "MUNI"),
        ("c_club_info", "typologie", "EPN"),
        ("c_promeneur", "dispositif_programmes_nationaux", "Promeneurs du net"),
        ("c_acces_pmr", "prise_en_charge_specifique", "Handicaps moteurs"),
        ("c_materiel_info", "services", ACCES),
        ("c_accompagnement_personnel", "modalites_accompagnement", "Accompagnement individuel"),
        ("WIFI", "services", ACCES),
        ("PRET_MAT", "services", ACQUISITION),
        ("REPAR_MAT", "services", ACQUISITION),
        ("AIDE_DEMAT", "services", AIDE),
        ("ACCES_ORDI", "services", ACCES),
        ("SENS_INTER", "services", SECURITE),
        ("AVIS_NUM", "services", COMPREHENSION),
        ("Enlibreacces", "modalites_accompagnement", "En autonomie"),
        ("Enitinerance", "itinerance", "Itinérant"),
        ("Adomicilesouscertainesconditions", "itinerance", "Itinérant"),
        ("Individuellement", "modalites_accompagnement", "Accompagnement individuel"),
        ("Collectivement", "modalites_accompagnement", "Dans un atelier collectif"),
        ("Demarchesadministratives", "services", AIDE),
        ("InitiationaunumeriqueFormationApprentissagePerfectionnement", "services", MAITRISE),
        ("Accesadesequipementsetuneconnexioninternet", "services", ACCES),
        ("Accompagnementdeprofessionnels", "services", INSERTION),
        ("Accès WIFI", "services", ACCES),
        ("Prêt de matériel", "services", ACQUISITION),
        ("user_FabLab", "typologie", "FABLAB"),
        ("Actif", "statut", "ouvert"),
    ],
)
def test_meanings_of_column_names_and_labels(name, field, code):
    assert (field, code) in {(m.field, m.code) for m in meanings(name)}


@pytest.mark.parametrize(
    "name",
    ["Nomdelastructure", "Typedepublics", "Precisezsiaccueildepublicspecifique", "Lestarifsdemastructure",
     "Monaccompagnementactiviteprincipaleuneseulereponse", "Surrendezvousinscription", "USER_NOM", "QUALIF1", "PICTO",
     "c_sans_etiquette", "c_materiel_info_detail", "Adresse mail de la structure", "Numéro de téléphone de la structure",
     "Code postal", "Site Web de la structure", "c_statut_juridique", "", None],
)
def test_names_that_mean_no_code(name):
    assert meanings(name) == []


def test_meaning_names_the_keyword_it_was_found_by():
    assert meanings("c_mediatheque") == [Meaning("typologie", "BIB", "médiathèque")]


# --------------------------------------------------------------------------------------------
# Yes / no and status
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("oui", True), ("Oui", True), ("OUI", True), ("X", True), ("x", True), ("True", True), ("vrai", True),
        ("1", True), ("yes", True), ("o", True), ("✓", True), (1, True), (1.0, True), (True, True),
        ("Souvent", True), ("De temps en temps", True), ("Exceptionnellement", True), ("parfois", True),
        ("Régulièrement", True), ("Oui, cf questionnaire Médiathèque Simone-Veil", True),
        ("non", False), ("NON", False), ("Non.", False), ("false", False), ("Faux", False), ("0", False), ("n", False),
        ("no", False), ("Pas du tout", False), ("jamais", False), (0, False), (False, False),
        ("peut-être", None), ("oui/non", None), ("2", None), ("", None), (None, None), (2, None),
        ("Non pour accéder, oui pour certains ateliers organisés / rdv individuels", None),
        ("OUI FORMATION SUR LE LOGEMENT ET AUTRE", None), ("Je_ne_sais_pas_", None), ("Gratuit", None),
    ],
)
def test_yes_no(value, expected):
    assert yes_no(value) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fermé", "ferme"), ("Définitivement fermé", "ferme"), ("fermé définitivement", "ferme"), ("closed", "ferme"),
        ("inactif", "inactif"), ("Désactivé", "inactif"), ("archivé", "inactif"), ("fermé temporairement", "inactif"),
        ("masqué", "masque"), ("caché", "masque"), ("non publié", "masque"), ("brouillon", "masque"),
        ("à supprimer", "a_supprimer"), ("supprimé", "a_supprimer"),
        ("non validé", "a_valider"), ("en attente de validation", "a_valider"), ("A valider", "a_valider"),
        ("ouvert", "ouvert"), ("Actif", "ouvert"), ("publié", "ouvert"), ("validé", "ouvert"),
        ("non actif", "inactif"), ("non fermé", "ouvert"), ("Fermé - à supprimer", "a_supprimer"),
        ("ferme", "ferme"), ("0", None), ("Oui", None), ("Horaires", None), (None, None),
    ],
)
def test_status_of(text, expected):
    assert status_of(text) == expected


# --------------------------------------------------------------------------------------------
# Typology codes
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "expected"),
    [("ccas", "CCAS"), ("Associations", "ASSO"), ("Bibliothèque / Médiathèque", "BIB"), ("Médiathèque", "BIB"),
     ("Mairie", "MUNI"), ("Pôle emploi", "FT"), ("Hôtel de ville", "MUNI"), ("Espace public numérique", "EPN"),
     ("EPN, Mairie", None), ("Collectivité", None), ("n'importe quoi", None)],
)
def test_typology_code_reads_codes_labels_and_usual_wordings(value, expected):
    assert typology_code(value) == expected


# --------------------------------------------------------------------------------------------
# Speed: every distinct cell of a 20 000-line file
# --------------------------------------------------------------------------------------------

def test_translating_thousands_of_distinct_cells_is_fast():
    vocabulary._translated.cache_clear()
    vocabulary._items_of.cache_clear()
    cells = [f"Médiathèque municipale n°{i} / EPN, accès wifi gratuit et ateliers collectifs" for i in range(5000)]
    start = time.process_time()  # this process's CPU time: a loaded machine does not change it
    for cell in cells:
        translate_cell("typologie", cell)
        translate_cell("services", cell)
    assert time.process_time() - start < 5.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Oui", True), ("Non", False), ("O", True), ("N", False), ("oui", True), ("non", False), ("OUI", True),
     ("Vrai", True), ("Faux", False), ("true", True), ("false", False), ("TRUE", True), ("FALSE", False),
     ("1", True), ("0", False), (1, True), (0, False), (1.0, True), ("x", True), ("X", True), (True, True)],
)
def test_bool_reads_french_and_english_yes_no(raw, expected):
    assert normalize_bool(raw) is expected


@pytest.mark.parametrize("raw", ["peut-être", "2", "oui/non"])
def test_invalid_bool_is_rejected_in_french(raw):
    with pytest.raises(InvalidValue) as error:
        normalize_bool(raw)
    assert raw in str(error.value)


def test_empty_bool_is_rejected():
    with pytest.raises(InvalidValue, match="vide"):
        normalize_bool("")

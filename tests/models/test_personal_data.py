"""Personal data kept out of open data: whose e-mail, which people a text names, the export's check.

The cases are real values of the hub exports of other territories (hub-lo, ultra-num, fibre-64,
la-creuse, angers, epernay, nouvelle-caledonie, aix-en-provence), then constructed ones, one per rule.
"""

from __future__ import annotations

import pytest

from models.personal_data import (
    PersonalEmail,
    email_owner,
    known_people_from,
    people_in_text,
    person_name_from_email,
    publication_problems,
)

# Cells of the person columns of the real files (c_contacts, Contact : nom, the referent column).
HUB_LO_CONTACTS = (
    "#N/D", "Kouache Fawzi", "Mme KURT", "Marjorie", "Thierry Maury", "Nelly Charret et Brice Deguay",
    "Ingrid Avertin - accueil.plurielles@gmail.com", "Mairie de Saint Martin d'Abbat", "Marie Pierre PILLOY",
    "c.huque@adsea28.org,p.pelleray@adsea28.org", "Nicole MARÉCHAL", "Yacine FEKKAK",
)
FIBRE_64_REFERENTS = (
    "Sophie SAUBION", "Alain Auvigne/ Jean Coibion", "Boulanger Guy (Directeur SDSEI)", "Pierre Bregeaux - Directeur",
    "Remi Bousquet Directeur, Sophie Dubois responsable insertion", "Marianne LACAZETTE & Pascal LARRICART",
    "SYLVIE BURON BISCAY", "BERNARDIN GILLES", "Laurence Magnaudet", "Cazenave Valerie",
)
ULTRA_NUM_CONTACTS = (
    "ABDELKRIM Chibab", "NANIN Jean Fred", "MAILLOT Anne", "BOYER Alain", "CHASSAGNAC B.", "PICHON Bruno",
    "IBRAHIM Rahima", "VON-PINE Simon", "GUICHARD Jocelyne", "JANICKAN Christelle", "HUBERT JF", "LE GAC Erwann",
    "HOAREAU Alain", "HOARAU Nadège", "LORICOURT Julie", "FAUSTIN Nelly", "VITAL Jean-Michel", "BON Chimène",
    "DAMBREVILLE Laurent", "PAYET Patrick", "+262 2 62 93 17 34",
)
NOBODY: tuple[str, ...] = ()


# -- e-mails of the real files -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "people", "lieu", "rule", "reason"),
    [
        # hub-lo
        ("emeline.campo@bge-cher.com", HUB_LO_CONTACTS, "LA FABRIQUE 18", "prenom_nom", "prénom.nom (Emeline Campo)"),
        ("c.huque@adsea28.org", NOBODY, "ADSEA 28 : PÔLE DE JOUR POUR ADOLESCENTS", "prenom_nom",
         "initiale.nom (C. Huque)"),
        ("p.pelleray@adsea28.org", NOBODY, None, "prenom_nom", "initiale.nom (P. Pelleray)"),
        ("jy.serre@adsea28.org", NOBODY, "ADSEA 28 : PRÉVENTION SPÉCIALISÉE", "prenom_nom", "(J.Y. Serre)"),
        ("kouache@gmail.com", HUB_LO_CONTACTS, "ANNA (BGE CHER)", "personne_connue",
         "nom de famille d'une personne connue (Fawzi Kouache), sur une messagerie personnelle (gmail.com)"),
        ("jacky.cyberal@gmail.com", HUB_LO_CONTACTS, "CYBERAL", "prenom", "commence par un prénom (Jacky)"),
        ("monique.morin0618@orange.fr", HUB_LO_CONTACTS, None, "prenom_nom", "(Monique Morin), sur une messagerie"),
        ("joelle41.fluneau@wanadoo.fr", NOBODY, None, "prenom_nom", "(Joelle Fluneau)"),
        ("dolores.boue.ml@orange.fr", NOBODY, None, "prenom_nom", "(Dolores Boue)"),
        ("d.tarlet@dreux-agglomeration.fr", NOBODY, "LE DOME", "prenom_nom", "initiale.nom (D. Tarlet)"),
        ("ph.naudeau@citerichelieu.com", NOBODY, "CITE Richelieu", "prenom_nom", "(P.H. Naudeau)"),
        ("kevin.pdn37@gmail.com", NOBODY, None, "prenom", "(Kevin)"),
        ("yacine.fekkak@bge45.fr", HUB_LO_CONTACTS, "BGE LOIRET", "personne_connue", "(Yacine Fekkak)"),
        ("direction@actionnumerique.fr", HUB_LO_CONTACTS, "ACTION NUMERIQUE", None, None),
        ("pole-jeunesmajeurs@adsea28.org", NOBODY, "ADSEA 28 : PÔLE JEUNES MAJEURS", None, None),
        ("sps.equipedevernouillet@adsea28.org", NOBODY, None, None, None),
        ("tours-gentiana@leolagrange.org", NOBODY, "EPN GENTIANA", None, None),
        ("ascheres-oison@famillesrurales.org", NOBODY, "PMN Familles Rurales Aschères-le-Marché", None, None),
        ("leplato.romans@gmail.com", NOBODY, "LE PLATO", None, None),
        ("cbe.nogentlerotrou@wanadoo.fr", NOBODY, "Tiers-Lieu du CBE Perche Nogentais", None, None),
        ("madeleine@aselqo.asso.fr", NOBODY, "ASELQO MADELEINE", None, None),
        ("aurore.informatique@orange.fr", NOBODY, "Association Aurore", None, None),
        ("bibmunicipale.stgervais@orange.fr", NOBODY, "BIBLIOTHEQUE DE SAINT-GERVAIS-LA-FORET", None, None),
        ("clubinfo999.brinon18410@gmail.com", NOBODY, "CLUB INFORMATIQUE BRINON-SUR-SAULDRE", None, None),
        ("cm.thaumiers@orange.fr", NOBODY, "CENTRE MULTIMEDIA DE THAUMIERS", None, None),
        ("pass-age@acep-asso.fr", NOBODY, "PAEJ SANCOINS", None, None),
        # fibre-64
        ("ssaubion@simplon.co", FIBRE_64_REFERENTS, "Simplon.co", "personne_connue",
         "l'initiale et le nom d'une personne connue (Sophie Saubion)"),
        ("gbernardin@adie.org", FIBRE_64_REFERENTS, None, "personne_connue", "(Gilles Bernardin)"),
        ("sylvie.buron-biscay@assurance-maladie.fr", FIBRE_64_REFERENTS, None, "personne_connue",
         "le nom d'une personne connue (Sylvie Buron Biscay)"),
        ("laurence@mon-numerique.fr", FIBRE_64_REFERENTS, "Laurence Magnaudet - Formation & mediation numerique",
         "personne_connue", "le prénom d'une personne connue (Laurence Magnaudet)"),
        ("neil.hoare@le64.fr", FIBRE_64_REFERENTS, None, "prenom_nom", "(Neil Hoare)"),
        ("t.jaillat@anglet.fr", FIBRE_64_REFERENTS, None, "prenom_nom", "(T. Jaillat)"),
        ("espelette@france-services.gouv.fr", FIBRE_64_REFERENTS, None, None, None),
        ("saint-etienne-de-baigorry@france-services.gouv.fr", FIBRE_64_REFERENTS, None, None, None),
        ("seniors.mvcstetienne@gmail.com", FIBRE_64_REFERENTS, None, None, None),
        ("conseillernumerique.ccas@boucau.fr", FIBRE_64_REFERENTS, None, None, None),
        ("agir.abcdaquisud2@gmail.com", FIBRE_64_REFERENTS, "AGIRabcd Nouvelle Aquitaine Sud", None, None),
        # ultra-num
        ("a.maillotccas@orange.fr", ULTRA_NUM_CONTACTS, None, "personne_connue", "(Anne Maillot)"),
        ("arep.jocelyneguichard@yahoo.fr", ULTRA_NUM_CONTACTS, "AREP", "personne_connue", "(Jocelyne Guichard)"),
        ("christellejanickan@cyber-base.org", ULTRA_NUM_CONTACTS, None, "personne_connue", "(Christelle Janickan)"),
        ("nfaustin.ccassterose@orange.fr", ULTRA_NUM_CONTACTS, None, "personne_connue", "(Nelly Faustin)"),
        ("bruno@agame.re", ULTRA_NUM_CONTACTS, "AGAME", "personne_connue", "le prénom d'une personne connue"),
        ("omega.rahima@gmail.com", ULTRA_NUM_CONTACTS, "OMEGA FORMATION SASU", "personne_connue", "(Rahima Ibrahim)"),
        ("loricourt.adrie@gmail.com", ULTRA_NUM_CONTACTS, "ADRIE", "personne_connue", "(Julie Loricourt)"),
        ("jean.michel.vital@ville-saintbenoit.re", ULTRA_NUM_CONTACTS, None, "personne_connue", "(Jean-Michel Vital)"),
        ("hoareau.nadege@petite-ile.re", ULTRA_NUM_CONTACTS, None, "prenom_nom", "(Nadege Hoareau)"),
        ("ba.chassagnac@saint-andre.re", NOBODY, "CCAS Saint André", "prenom_nom", "(B.A. Chassagnac)"),
        ("leon.sophie@arep.re", NOBODY, "Associatrion Réunionnaise D’Education Populaire", "prenom_nom",
         "(Leon Sophie)"),
        ("ale.st-gilles-hauts@pole-emploi.fr", ULTRA_NUM_CONTACTS, None, None, None),
        ("ml.saintandre@mle.re", ULTRA_NUM_CONTACTS, None, None, None),
        ("mio.leport@mio.re", ULTRA_NUM_CONTACTS, "Plate Forme de services de l'Oasis", None, None),
        ("krike.reunion@gmail.com", ULTRA_NUM_CONTACTS, "Association Krike", None, None),
        ("apeps-tampon@orange.fr", ULTRA_NUM_CONTACTS, "APEPS TAMPON", None, None),
        ("la-possession.cyberbase@tco.re", ULTRA_NUM_CONTACTS, None, None, None),
        # angers, epernay, nouvelle-caledonie, aix-en-provence
        ("stephane.potier@ville.angers.fr", NOBODY, "Point accueil santé solidarités (PASS)", "prenom_nom",
         "(Stephane Potier)"),
        ("aideaccueil49@gmail.com", NOBODY, "Aide Accueil", None, None),
        ("cio.angerssegre@ac-nantes.fr", NOBODY, None, None, None),
        ("desruelles.emilie@mam.msa.fr", NOBODY, None, "prenom_nom", "(Emilie Desruelles)"),
        ("mediatheque-veil@ville-epernay.fr", NOBODY, None, None, None),
        ("aefti-marne@aefti51.com", NOBODY, "AEFTI Marne", None, None),
        ("sip.chalons-en-champagne@dgfip.finances.gouv.fr", NOBODY, None, None, None),
        ("t.delaunay98@gmail.com", NOBODY, "Formasen", "prenom_nom",
         "initiale.nom (T. Delaunay), sur une messagerie personnelle (gmail.com)"),
        ("adrienne.akilitoa@ville-montdore.nc", NOBODY, "Médiathèque de Boulari", "prenom_nom",
         "(Adrienne Akilitoa)"),
        ("c.daverat@mairie-bourail.nc", NOBODY, None, "prenom_nom", "(C. Daverat)"),
        ("apoaratigoopa@gmail.com", NOBODY, "Association POARA TI NANI GOOPA", None, None),
        ("cac.lerex@gmail.com", NOBODY, "Le Rex - ADAMIC", None, None),
        ("num.eric.988@gmail.com", NOBODY, "La NumÉric Éthique", None, None),
        ("mq.katiramona@ville-dumbea.nc", NOBODY, None, None, None),
        ("mediathequelifou.lohna@gmail.com", NOBODY, None, None, None),
        ("a.i.t.e@wanadoo.fr", NOBODY, None, None, None),
        ("csclaprovence.accueil@gmail.com", NOBODY, None, None, None),
    ],
)
def test_real_addresses_are_told_personal_or_not_with_the_reason(email, people, lieu, rule, reason):
    owner = email_owner(email, known_people=people, lieu_name=lieu)
    if rule is None:
        assert owner is None
    else:
        assert owner is not None and owner.rule == rule
        assert reason in owner.reason


# -- e-mails: one constructed case per rule ----------------------------------------------------


@pytest.mark.parametrize(
    ("email", "people", "person"),
    [
        ("sophie.saubion@bge.fr", ("Sophie SAUBION",), "Sophie Saubion"),  # prénom.nom
        ("saubion.sophie@bge.fr", ("Sophie SAUBION",), "Sophie Saubion"),  # nom.prénom
        ("SAUBION-S@bge.fr", ("Sophie SAUBION",), "Sophie Saubion"),  # nom-initiale, upper case
        ("jfnanin@mden-reunion.fr", ("NANIN Jean Fred",), "Jean Fred Nanin"),  # initials of a compound given name
        ("simonvonpine@gmail.com", ("VON-PINE Simon",), "Simon Von-Pine"),  # glued, hyphenated family name
        ("e.le-gac@tco.re", ("LE GAC Erwann",), "Erwann Le Gac"),  # family name with a particle
        ("alain.boyer-ccas@wanadoo.fr", ("BOYER Alain",), "Alain Boyer"),  # beside a role word
        ("leila.boubekeur@creuse.fr", ("Leïla BOUBEKEUR",), "Leïla Boubekeur"),  # accents
        ("marjorie@mairie.fr", ("Marjorie",), "Marjorie"),  # a one-word contact
    ],
)
def test_a_known_person_is_found_in_any_order_case_or_accents(email, people, person):
    owner = email_owner(email, known_people=people)
    assert owner == PersonalEmail(owner.email, "personne_connue", owner.reason, person)


def test_a_known_family_name_alone_says_nothing_in_a_role_mailbox():
    assert email_owner("maury@departement18.fr", known_people=["Thierry Maury"]).rule == "personne_connue"
    assert email_owner("mairie.maury@wanadoo.fr", known_people=["Thierry Maury"]) is None
    assert email_owner("saint-maury@wanadoo.fr", known_people=["Thierry Maury"]) is None


def test_a_common_family_name_alone_is_not_a_clue():
    assert email_owner("payet@wanadoo.fr", known_people=["PAYET Patrick"]) is None


@pytest.mark.parametrize(
    ("email", "rule"),
    [
        ("prenom.nom@conseiller-numerique.fr", "conseiller_numerique"),
        ("jean.dupont@hauts-de-france.conseiller-numerique.fr", "conseiller_numerique"),
        ("jdupont12@conseiller-numerique.fr", "conseiller_numerique"),  # no prénom.nom shape: the domain is enough
        ("contact@conseiller-numerique.fr", None),
        ("jdupont12@conseiller-numerique.fr.example.org", None),  # another domain
    ],
)
def test_conseiller_numerique_addresses_are_individual(email, rule):
    owner = email_owner(email)
    assert (owner.rule if owner else None) == rule
    if owner:
        assert owner.reason.startswith("adresse individuelle de conseiller numérique (@")


@pytest.mark.parametrize(
    ("email", "rule"),
    [
        ("marie.dupont@gmail.com", "prenom_nom"),
        ("m.dupont@hotmail.fr", "prenom_nom"),
        ("marie-dupont@outlook.fr", "prenom_nom"),
        ("marie_dupont@yahoo.fr", "prenom_nom"),
        ("eric@free.fr", "prenom"),
        ("aideaccueil49@gmail.com", None),
        ("clubdesaines@orange.fr", None),
        ("mairie.villebois@wanadoo.fr", None),
        ("bibliotheque.centrale@laposte.net", None),
    ],
)
def test_personal_webmail_is_personal_only_when_the_local_part_looks_like_a_person(email, rule):
    owner = email_owner(email)
    assert (owner.rule if owner else None) == rule
    if owner:
        assert "messagerie personnelle" in owner.reason


@pytest.mark.parametrize(
    "email",
    [
        "france.services@cc-exemple.fr", "mediatheque.veil@ville-epernay.fr", "pole-jeunesmajeurs@adsea28.org",
        "contact.cdhaix@gmail.com", "accueil-mauleon@le64.fr", "secretariat.ccas@mairie-saintleu.fr",
        "info.jeunes@ville.fr", "direction.jeunesse@ville.angers.fr", "espace.numerique@marcellemenet.fr",
        "equipe.epernay.511@secours-catholique.org", "pij.la-ville-aux-dames@ijcentre.fr",
    ],
)
def test_role_and_organisation_words_make_a_shared_mailbox(email):
    assert email_owner(email) is None


def test_the_lieu_name_clears_its_own_words_but_not_a_given_name_before_them():
    assert email_owner("gentiana-tours@fol37.org", lieu_name="EPN Gentiana") is None
    assert email_owner("robert.martin@asso.fr", lieu_name="Centre social Robert Doisneau").person == "Robert Martin"
    # a permanence named after its holder: the whole name is in the lieu's name, still a person
    assert email_owner("leila.boubekeur@creuse.fr", lieu_name="Chéniers - Leila Boubekeur").rule == "prenom_nom"


def test_the_first_part_being_the_domain_is_the_organisation():
    assert email_owner("mio.leport@mio.re") is None
    assert email_owner("emeline.campo@campo.fr").person == "Emeline Campo"


@pytest.mark.parametrize("value", ["", "pas une adresse", "a@b", "Via le site de la CAF", "msap.chateaumeillant.fr"])
def test_what_is_not_an_address_is_no_one_s(value):
    assert email_owner(value) is None


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("emeline.campo@bge-cher.com", "Emeline Campo"),
        ("c.huque@adsea28.org", "C. Huque"),
        ("desruelles.emilie@mam.msa.fr", "Emilie Desruelles"),
        ("marie-noelle.esteve-petit@agglo-bourgesplus.fr", "Marie-Noelle Esteve-Petit"),
        ("jean-christophe.l@lelabomotive.org", "Jean-Christophe L."),
        ("Jessica.drule@ville-port.re", "Jessica Drule"),
        ("direction@actionnumerique.fr", None),
        ("aideaccueil49@gmail.com", None),
        ("christellejanickan@cyber-base.org", None),  # glued: no shape to read
    ],
)
def test_person_name_from_email_reads_prenom_nom_addresses(email, name):
    assert person_name_from_email(email) == name


# -- known people from a person column --------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "people"),
    [
        (FIBRE_64_REFERENTS, ("Sophie Saubion", "Alain Auvigne", "Jean Coibion", "Guy Boulanger", "Pierre Bregeaux",
                              "Remi Bousquet", "Sophie Dubois", "Marianne Lacazette", "Pascal Larricart",
                              "Sylvie Buron Biscay", "Gilles Bernardin", "Laurence Magnaudet", "Valerie Cazenave")),
        (HUB_LO_CONTACTS, ("Fawzi Kouache", "Kurt", "Marjorie", "Thierry Maury", "Nelly Charret", "Brice Deguay",
                           "Ingrid Avertin", "Marie Pierre Pilloy", "Nicole Maréchal", "Yacine Fekkak")),
        (("ABDELKRIM Chibab", "CHASSAGNAC B.", "HUBERT JF", "LE GAC Erwann", "M’HOUMADY Philippe",
          "HUBERT Jean-François referent", "NANIN Jean Fred", "NANIN Jean-Fred", "ELISABETH  Joffroy"),
         ("Chibab Abdelkrim", "B. Chassagnac", "JF Hubert", "Erwann Le Gac", "Philippe M’Houmady",
          "Jean-François Hubert", "Jean Fred Nanin", "Joffroy Elisabeth")),
    ],
)
def test_known_people_are_normalised_split_and_deduplicated(cells, people):
    assert known_people_from(cells) == people


@pytest.mark.parametrize(
    "cell",
    ["#N/D", "Direction", "Accueil", "Secrétariat", "SERVICE_COM", "RTO", "1", "+262 2 62 93 17 34",
     "Agents_d'accueil", "Mairie de Saint Martin d'Abbat", "c.huque@adsea28.org,p.pelleray@adsea28.org", "", None],
)
def test_values_that_are_not_names_are_dropped(cell):
    assert known_people_from([cell]) == ()


# -- people in texts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "people", "found"),
    [
        # la-creuse: the lieu is named after the person holding the permanence, the description says so
        ("Chéniers - Leila Boubekeur", ("Leïla Boubekeur",), ["Leïla Boubekeur"]),
        ("Ateliers le vendredi toute la journée, par Leïla Boubekeur, à La Maison Multi-services.", NOBODY,
         ["Leïla Boubekeur"]),
        ("ATELIERS LE LUNDI APRÈS-MIDI, PAR BENOIT VILLOUTREIX, À LA SALLE POLYVALENTE.", NOBODY,
         ["BENOIT VILLOUTREIX"]),
        ("ATELIERS LE MERCREDI APRÈS-MIDI, PAR MARIE-PIERRE MERMET, À LA MAIRIE.", NOBODY, ["MARIE-PIERRE MERMET"]),
        ("Ateliers le vendredi de 15H à 17h, par Yves du club SympaTIC, à l'Alzire.", NOBODY, []),
        ("Ateliers le mardi soir, 18h, par IDO Numérique, à la mairie de Savennes.", NOBODY, []),
        ("Ateliers le mardi matin, par le CAVL AGIR.", NOBODY, []),
        # fibre-64: a referent's name as the lieu's name
        ("Laurence Magnaudet - Formation & mediation numerique", FIBRE_64_REFERENTS, ["Laurence Magnaudet"]),
        # hub-lo: a contact's family name that is also a word is not looked for alone
        ("Avenue du Maréchal Juin", HUB_LO_CONTACTS, []),
        ("Permanence de Mme KURT le mardi", NOBODY, ["Mme KURT"]),
        # ultra-num: streets named after people, and names in any order
        ("2 Rue Fortuné Hoareau", ULTRA_NUM_CONTACTS, ["Alain Hoareau"]),
        ("Accueil par Chimène BON, médiatrice", ULTRA_NUM_CONTACTS, ["Chimène Bon"]),
        ("Chimène est là le lundi", ULTRA_NUM_CONTACTS, []),
        ("Rendez-vous avec Mr Bon", ULTRA_NUM_CONTACTS, ["Mr Bon"]),
        ("PAYET Patrick vous accueille", ULTRA_NUM_CONTACTS, ["Patrick Payet"]),
        ("Rue Payet", ULTRA_NUM_CONTACTS, []),
        ("Médiathèque Bernadette Aleton", NOBODY, []),
        ("Maison de Quartier - Jacques Tati", NOBODY, []),
    ],
)
def test_people_in_real_texts(text, people, found):
    assert people_in_text(text, people) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Leila Boubekeur", ["Leila Boubekeur"]),
        ("LEÏLA BOUBEKEUR", ["Leila Boubekeur"]),
        ("Boubekeur Leila", ["Leila Boubekeur"]),
        ("Mme Boubekeur assure l'atelier", ["Leila Boubekeur"]),  # distinctive family name alone
        ("Les Boubekeurs", []),  # whole words only
        ("Leila assure l'atelier", []),  # a given name alone is not looked for
    ],
)
def test_a_known_name_is_found_whatever_the_order_case_or_accents(text, found):
    assert people_in_text(text, ["Leila Boubekeur"]) == found


def test_a_family_name_alone_is_looked_for_only_when_distinctive():
    people = ["Jean DORIAN", "Dorian Gray", "Marc Roy", "Anne FONTAINE"]
    assert people_in_text("Atelier Dorian", people) == []  # also someone's given name
    assert people_in_text("Atelier de M Roy", people) == []  # short
    assert people_in_text("Place de la Fontaine", people) == []  # a frequent surname and a word
    assert people_in_text("Atelier de Gray", people) == []  # short
    assert people_in_text("Atelier Boubekeur", ["Leila Boubekeur"]) == ["Leila Boubekeur"]


def test_surnames_false_keeps_full_names_only():
    assert people_in_text("2 Rue Fortuné Hoareau", ULTRA_NUM_CONTACTS, surnames=False) == []
    assert people_in_text("Chez Alain Hoareau, 2 rue Fortuné", ULTRA_NUM_CONTACTS, surnames=False) == ["Alain Hoareau"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Permanence de M. Dupont le lundi", ["M. Dupont"]),
        ("Mme Lucie Martin reçoit sur rendez-vous", ["Mme Lucie Martin"]),
        ("Contactez Madame Durand", ["Madame Durand"]),
        ("MONSIEUR PETIT", ["MONSIEUR PETIT"]),
        ("Mlle Girard, bénévole", ["Mlle Girard"]),
        ("M. et Mme Dupont", ["Mme Dupont"]),
        ("Monsieur le Maire vous accueille", []),
        ("Madame la Maire", []),
        ("Mme la Présidente", []),
        ("12 rue Madame Curie", []),
        ("Avenue M. Berthelot", []),
        ("Lycée Madame de Staël", []),
        ("Ateliers PMR.", []),
    ],
)
def test_a_civility_introduces_a_person_but_not_a_street_or_a_title(text, found):
    assert people_in_text(text, NOBODY) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Rencontre avec Florian Gillon à la médiathèque", ["Florian Gillon"]),
        ("Permanence auprès de Sylvie Sergeant", ["Sylvie Sergeant"]),
        ("Contact : Marie Dupont", ["Marie Dupont"]),
        ("Référente : Aurore Pommier", ["Aurore Pommier"]),
        ("avec Pôle Emploi", []),
        ("par Maison France Services", []),
        ("par claire bonhomme, à la quincaillerie", []),  # lower case: not seen (a limit)
    ],
)
def test_an_introducing_word_and_a_given_name_name_a_person(text, found):
    assert people_in_text(text, NOBODY) == found


@pytest.mark.parametrize("text", [None, ""])
def test_an_empty_text_names_no_one(text):
    assert people_in_text(text, ["Leila Boubekeur"]) == []


# -- the export's check ---------------------------------------------------------------------------


def problems_of(record, people=NOBODY):
    return [(p.field, p.found) for p in publication_problems(record, known_people=people)]


def test_la_creuse_permanences_named_after_their_holder_are_caught_from_the_description():
    record = {
        "nom": "Chéniers - Leila Boubekeur",
        "adresse": "9 Place de la Poste",
        "presentation_detail": "Ateliers le vendredi toute la journée, par Leïla Boubekeur, à La Maison "
                               "Multi-services.   Numéro de téléphone : 07 63 96 03 77",
    }
    problems = publication_problems(record)
    assert [(p.field, p.found) for p in problems] == [("nom", "Leïla Boubekeur"),
                                                        ("presentation_detail", "Leïla Boubekeur")]
    assert "nommée dans le champ presentation_detail" in problems[0].message
    assert problems[0].line(record["nom"]).startswith(
        "lieu Chéniers - Leila Boubekeur, champ nom : cite « Leïla Boubekeur »")


def test_a_personal_address_in_courriels_is_reported_with_its_reason():
    record = {"nom": "LA FABRIQUE 18", "courriels": "emeline.campo@bge-cher.com", "adresse": "2 rue de Sarrebourg"}
    [problem] = publication_problems(record, known_people=HUB_LO_CONTACTS)
    assert (problem.field, problem.value, problem.found) == ("courriels", "emeline.campo@bge-cher.com",
                                                             "emeline.campo@bge-cher.com")
    assert problem.message == ("« emeline.campo@bge-cher.com » semble être l'adresse d'une personne : "
                               "l'adresse a la forme prénom.nom (Emeline Campo).")
    assert problem.line("LA FABRIQUE 18") == f"lieu LA FABRIQUE 18, champ courriels : {problem.message}"


def test_every_address_of_a_cell_or_a_list_is_checked():
    cell = ("valerie.locquet@angersloiremetropole.fr ou naomi.riley@angersloiremetropole.fr ou "
            "corinne.chartier@ville.angers.fr")
    record = {"nom": "Service d'Accueil des Gens du Voyage", "courriels": cell}
    assert [found for _, found in problems_of(record)] == [
        "valerie.locquet@angersloiremetropole.fr", "naomi.riley@angersloiremetropole.fr",
        "corinne.chartier@ville.angers.fr"]
    record = {"nom": "BIJ 41", "courriels": ["contact@infojeune41.org", "adeline.martin@infojeune41.org"]}
    assert problems_of(record) == [("courriels", "adeline.martin@infojeune41.org")]


def test_the_name_of_a_personal_address_is_looked_for_in_the_other_fields():
    record = {"nom": "Permanence Emeline Campo", "courriels": ["emeline.campo@bge-cher.com"]}
    assert problems_of(record) == [("courriels", "emeline.campo@bge-cher.com"), ("nom", "Emeline Campo")]


def test_the_contact_person_never_appears_in_published_fields():
    record = {
        "nom": "Médiathèque de Felletin - Flavien Panunzio",
        "presentation_resume": "Ateliers numériques le mercredi",
        "courriels": "ppascaline@cyber-base.org",
        "contact_nom": "PANUNZIO Flavien",
        "contact_courriel": "ppascaline@cyber-base.org",
    }
    problems = publication_problems(record)
    assert [(p.field, p.found) for p in problems] == [("courriels", "ppascaline@cyber-base.org"),
                                                        ("nom", "Flavien Panunzio")]
    assert "personne contact du lieu (contact_courriel)" in problems[0].message
    assert "personne contact du lieu (contact_nom)" in problems[1].message


@pytest.mark.parametrize(
    ("lieu", "address"),
    [
        ("BIBLIOTHEQUE CHAON", "bibliotheque@chaon.fr"),  # a role mailbox
        ("APEPS TAMPON", "apeps-tampon@orange.fr"),  # the lieu's name
        ("ADESIR Ass.développement Sociaux culturels pour la Réunion", "adesir97438@adesir.fr"),  # its own domain
    ],
)
def test_a_shared_mailbox_given_as_contact_may_be_published(lieu, address):
    assert problems_of({"nom": lieu, "courriels": address, "contact_courriel": address}) == []


def test_addresses_written_in_a_text_are_checked():
    record = {"nom": "La Renouée (La Bascule) - Gentioux",
              "presentation_detail": "mail : labascule@millevaches.net ou marie.dupont@gmail.com"}
    assert problems_of(record) == [("presentation_detail", "marie.dupont@gmail.com")]


def test_streets_named_after_a_known_person_are_not_reported():
    record = {"nom": "CCAS", "adresse": "2 Rue Fortuné Hoareau", "complement_adresse": "Résidence Dambreville"}
    assert problems_of(record, ULTRA_NUM_CONTACTS) == []
    assert problems_of({"nom": "Chez Alain Hoareau", "adresse": "2 rue des Lilas"}, ULTRA_NUM_CONTACTS) == [
        ("nom", "Alain Hoareau")]


def test_a_known_referent_in_the_lieu_name_is_reported():
    record = {"nom": "Laurence Magnaudet - Formation & mediation numerique", "courriels": "laurence@mon-numerique.fr"}
    problems = publication_problems(record, known_people=FIBRE_64_REFERENTS)
    assert [(p.field, p.found) for p in problems] == [("courriels", "laurence@mon-numerique.fr"),
                                                        ("nom", "Laurence Magnaudet")]
    assert "contact ou référent" in problems[1].message


def test_a_lieu_without_personal_data_has_no_problem():
    record = {"nom": "Anonymal", "adresse": "4 rue de la Masse", "courriels": "contact@anonymal.tv",
              "presentation_resume": "Web-télé associative : ateliers vidéo et numérique."}
    assert publication_problems(record, known_people=HUB_LO_CONTACTS) == []

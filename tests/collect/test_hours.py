"""collect.hours: opening hours from real files (French text, one column per day, morning/afternoon
columns) turned into OpenStreetMap syntax, or kept aside with the reason."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from opening_hours import OpeningHours

from collect.hours import (
    DAYS,
    PARTS,
    DayColumn,
    HoursReading,
    day_column,
    days_from_text,
    hours_from_columns,
    hours_from_day_parts,
    hours_from_days,
    hours_from_text,
)


def _params(source: str, cases: list[tuple]) -> list:
    return [pytest.param(*case, id=f"{source}-{number}") for number, case in enumerate(cases, 1)]


# --------------------------------------------------------------------------------------------
# Free text: real cells of /work/shared/reference/raw-hub-exports, with the OSM a careful reader writes
# --------------------------------------------------------------------------------------------

READABLE_TEXTS = (
    _params("angers", [
        ("9h-12h et 14h-17h du lundi au vendredi", "Mo-Fr 09:00-12:00,14:00-17:00"),
        ("Du lundi au vendredi, de 9h30 à 17h", "Mo-Fr 09:30-17:00"),
        (
            (
                "Lundi et Jeudi : 9h à 12h30 et 13h30 à 17h Mardi 9h à 12h30 et 13h30 à 18h30 Mercredi 13h30 à 17h "
                "Vendredi 9h à 12h30"
            ),
            "Mo,Th 09:00-12:30,13:30-17:00; Tu 09:00-12:30,13:30-18:30; We 13:30-17:00; Fr 09:00-12:30",
        ),
        (
            "Mardi : 15h à18h30 Mercredi : 9h30 à 12h30 et 14h à 18h30 Samedi : 9h30 à 12h30 et 14h à 17h30",
            "Tu 15:00-18:30; We 09:30-12:30,14:00-18:30; Sa 09:30-12:30,14:00-17:30",
        ),
        (
            "Mardi de 15h à 20h Mercredi de 10h à 18h Vendredi de 15h à 18h30 Samedi de 10h à 17h30",
            "Tu 15:00-20:00; We 10:00-18:00; Fr 15:00-18:30; Sa 10:00-17:30",
        ),
        ("Du Mardi au Samedi : 9h30 à 13h", "Tu-Sa 09:30-13:00"),
        (
            (
                "Le lundi de 13h30 à 18h30 Du mardi au vendredi de 9h00 à 12h00 et de 13h30 à 18h30 Le samedi de 9h à "
                "12h et de 13h30 à 17h30"
            ),
            "Mo 13:30-18:30; Tu-Fr 09:00-12:00,13:30-18:30; Sa 09:00-12:00,13:30-17:30",
        ),
        (
            "Lundi, mercredi, jeudi : 10h -12h30 / 14h - 18h Mardi, vendredi : 14h - 18h",
            "Mo,We,Th 10:00-12:30,14:00-18:00; Tu,Fr 14:00-18:00",
        ),
        (
            "Lundi, Mercredi, Jeudi et Vendredi de 9 à 12h et de 14 à 18h30 Mardi de 14 à 18h30",
            "Mo,We-Fr 09:00-12:00,14:00-18:30; Tu 14:00-18:30",
        ),
        ("Lundi, mercredi et vendredi : 8h à 11h30 et 14h à16h", "Mo,We,Fr 08:00-11:30,14:00-16:00"),
        ("lundi, mardi et vendredi matin de 9h15 à 12h30", "Mo,Tu,Fr 09:15-12:30"),
        (
            "Lundi au jeudi : 9h à 12h et 14h à 17h, vendredi : 9h à 12h",
            "Mo-Th 09:00-12:00,14:00-17:00; Fr 09:00-12:00",
        ),
    ])
    + _params("la-creuse", [
        ("mercredi de 14 à 18h", "We 14:00-18:00"),
        (
            "Lundi, Mardi, Mercredi et Vendredi de 9H30 à 10H30 puis 11h à 12H et Vendredi de 14h à 15H",
            "Mo-We 09:30-10:30,11:00-12:00; Fr 09:30-10:30,11:00-12:00,14:00-15:00",
        ),
        (
            "mardi de 10h à 12h, le mardi de 14h à 16h, le mercredi de 10h à 12h, le vendredi de 14 à 16h",
            "Tu 10:00-12:00,14:00-16:00; We 10:00-12:00; Fr 14:00-16:00",
        ),
        ("MERCREDI 17h - 19h", "We 17:00-19:00"),
        ("jeudi de 14h à 15h30, et 15h30 à 17h", "Th 14:00-15:30,15:30-17:00"),
        (
            "le lundi et le mardi de 17H30 à 19H30, le mercredi de 10h à 12H et le jeudi de 17H à 19H",
            "Mo,Tu 17:30-19:30; We 10:00-12:00; Th 17:00-19:00",
        ),
        ("mardi matin 9h-10h30", "Tu 09:00-10:30"),
        ("lundi au samedi de 10h à 18h", "Mo-Sa 10:00-18:00"),
    ])
    + _params("epernay", [
        (
            (
                "mardi 13:30-19:00\nmercredi 10:00-12:00 13:30-18:00\njeudi 13:30-18:00\nvendredi 13:30-18:00\n"
                "samedi 10:00-18:00"
            ),
            "Tu 13:30-19:00; We 10:00-12:00,13:30-18:00; Th,Fr 13:30-18:00; Sa 10:00-18:00",
        ),
        ("vendredi 14h00  / 18h00", "Fr 14:00-18:00"),
        (
            "lundi 7h-11h45/13h45-15h15\nmardi 7h-16h30\njeudi 7h-17h\nvendredi 7h-11h45/13h45-17h\nsamedi 7h-12h",
            "Mo 07:00-11:45,13:45-15:15; Tu 07:00-16:30; Th 07:00-17:00; Fr 07:00-11:45,13:45-17:00; Sa 07:00-12:00",
        ),
        ("Lundi-Vendredi 08:30-12:30\nLundi-Vendredi 13:30-17:00", "Mo-Fr 08:30-12:30,13:30-17:00"),
        ("Mardi 14h/19h", "Tu 14:00-19:00"),
        (
            (
                "Du Lundi au Jeudi\n9 h 30 – 12 h / 15 h 30 – 18 h\nLe Vendredi\n9 h 30 – 12 h / 15 h 30 – 17 h\n"
                "Le Samedi\n9 h 00 – 12 h"
            ),
            "Mo-Th 09:30-12:00,15:30-18:00; Fr 09:30-12:00,15:30-17:00; Sa 09:00-12:00",
        ),
        (
            "Lundi 09:00-12h30\nMardi-jeudi 09:00-12:30 13:30-17:30\nVendredi 09:00-12:30 13:30-17:00",
            "Mo 09:00-12:30; Tu-Th 09:00-12:30,13:30-17:30; Fr 09:00-12:30,13:30-17:00",
        ),
        ("lundi-vendredi 08.30-17:30", "Mo-Fr 08:30-17:30"),
        (
            (
                "jeudi\t09:00–12:00, 14:00–18:00\nvendredi\t09:00–12:00, 14:00–18:00\nsamedi\tFermé\ndimanche\tFermé\n"
                "lundi\t09:00–12:00, 14:00–18:00\nmardi\t09:00–12:00, 14:00–18:00\nmercredi\t09:00–12:00, 14:00–18:00"
            ),
            "Mo-Fr 09:00-12:00,14:00-18:00",
        ),
        ("Lundi - Mardi 9:00- 16:00\nJeudi 9:00-16:00", "Mo,Tu,Th 09:00-16:00"),
        (
            (
                "Fermée lundi\nMardi 16h - 19h\nMercredi 9h - 12h / 14h - 18h\nJeudi10h - 12h / Vendredi : 16h - 19h "
                "Samedi : 9h - 12h"
            ),
            "Tu,Fr 16:00-19:00; We 09:00-12:00,14:00-18:00; Th 10:00-12:00; Sa 09:00-12:00",
        ),
    ])
    + _params("fibre-64", [
        ("Du lundi au vendredi de 9h00 a 12h30 et de 13h30 a 17h00", "Mo-Fr 09:00-12:30,13:30-17:00"),
        (
            "Lundi et Mercredi : 9h a 12h30 – 13h30 a 17h\nMardi, Jeudi et Vendredi : 9h a 12h30",
            "Mo,We 09:00-12:30,13:30-17:00; Tu,Th,Fr 09:00-12:30",
        ),
        ("Lundi au vendredi\n9H-12H / 13H-17H", "Mo-Fr 09:00-12:00,13:00-17:00"),
        ("8h/12h15 et 13h15/17h du lundi au vendredi", "Mo-Fr 08:00-12:15,13:15-17:00"),
        (
            "Lundi Mardi Vendredi Samedi 9h00 a 12h00\nMercredi Jeudi 9h00 a 12h00 / 13h30 a 16h30",
            "Mo,Tu,Fr,Sa 09:00-12:00; We,Th 09:00-12:00,13:30-16:30",
        ),
        (
            "lundi 10-12h/14-18h30\nmercredi 14-18h30\nvendredi 10-12/14h-18h30\nsamedi 14-18h30",
            "Mo,Fr 10:00-12:00,14:00-18:30; We,Sa 14:00-18:30",
        ),
        ("Du Lundi au Vendredi:\n\n8h30-12h30 / 13h30 - 17h30", "Mo-Fr 08:30-12:30,13:30-17:30"),
    ])
    + _params("hub-lo", [
        ("Accueil du public du lundi au vendredi de 09h00 à 12h30 sans RDV.", "Mo-Fr 09:00-12:30"),
        (
            "Lundi, Mardi, Vendredi :  9h-12h / 14h-17h Mercredi :  9h-12h - 15h30-17h ; Jeudi :  10h30-12h-14h-17h",
            "Mo,Tu,Fr 09:00-12:00,14:00-17:00; We 09:00-12:00,15:30-17:00; Th 10:30-12:00,14:00-17:00",
        ),
        (
            (
                "Mardi 16 h 18 h Mercredi : 9 h 30 12 h - 14 h 18 h. Vendredi : 16 h 18 h. "
                "Samedi 9 h 30 12 h - 14h 17 heures"
            ),
            "Tu,Fr 16:00-18:00; We 09:30-12:00,14:00-18:00; Sa 09:30-12:00,14:00-17:00",
        ),
        (
            "Mardi : 15H-18H30 -- Mercredi : 10H-12H et 14H-18H30 -- Samedi : 10H-13H et 14H-17H",
            "Tu 15:00-18:30; We 10:00-12:00,14:00-18:30; Sa 10:00-13:00,14:00-17:00",
        ),
        (
            (
                "Lundi : 15h18h  /  Mardi : 10h-12h30 - 15h-18h  /  Mercredi : 10h-19h  /  Jeudi : 15h-18h  /  "
                "Vendredi : 10h-12h30 - 15h-18h  /  Samedi : 10h-12h30 - 15h-18h"
            ),
            "Mo,Th 15:00-18:00; Tu,Fr,Sa 10:00-12:30,15:00-18:00; We 10:00-19:00",
        ),
        (
            "mar-mer-jeu-ven 10h-12h 13h30-18h30  et le sam 10h-12h30  14h-17h30",
            "Tu-Fr 10:00-12:00,13:30-18:30; Sa 10:00-12:30,14:00-17:30",
        ),
        (
            "lundi matin : 8h15/12h, mardi, mercredi et jeudi : 9h/12h-13h30/17h, vendredi 9h/12h",
            "Mo 08:15-12:00; Tu-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00",
        ),
        (
            "Du lundi au vendredi de 9h à 12h30 et de 13h30 à 17h30, fermé les mardi après-midi",
            "Mo,We-Fr 09:00-12:30,13:30-17:30; Tu 09:00-12:30",
        ),
        (
            (
                "Lundi et mercredi de 9h à 12h30 et de 13h30 à 18h - "
                "mardi et jeudi de 9h à 12h30 et de 13h30 à 17h30 - vendredi de 9h à 12h30 et de 13h 30 à 16h30"
            ),
            "Mo,We 09:00-12:30,13:30-18:00; Tu,Th 09:00-12:30,13:30-17:30; Fr 09:00-12:30,13:30-16:30",
        ),
        (
            (
                "Lundi : FERME  Mardi : 9h - 12h30 et 13h30 - 17h30  Mercredi : 9h - 12h30 et 13h30 - 17h30  "
                "Samedi : 9h30 - 12h30"
            ),
            "Tu,We 09:00-12:30,13:30-17:30; Sa 09:30-12:30",
        ),
        (
            "Du lundi au jeudi : 09h-12h et 13h15-17h30 / Le vendredi : 09h-16h00 (journée continue)",
            "Mo-Th 09:00-12:00,13:15-17:30; Fr 09:00-16:00",
        ),
        (
            "Lundi\n13h30 – 17h30\n\nMardi\n13h30 – 17h30\n\nMercredi\n10h – 12h  13h30 – 17h30\n\nSamedi\nFermé",
            "Mo,Tu 13:30-17:30; We 10:00-12:00,13:30-17:30",
        ),
        (
            (
                "lundi :\t09:00–11:45, 13:30–16:30 mardi :\t13:30–16:30 mercredi :\t09:00–11:45 jeudi :\t09:00–11:45, "
                "13:30–16:30 vendredi : 09:00–11:45, 14:00–16:00"
            ),
            "Mo,Th 09:00-11:45,13:30-16:30; Tu 13:30-16:30; We 09:00-11:45; Fr 09:00-11:45,14:00-16:00",
        ),
        ("du lundi au vendredi de 10 h à 18 h", "Mo-Fr 10:00-18:00"),
        ("Du mardi au vendredi : 14 h -19 h", "Tu-Fr 14:00-19:00"),
    ])
)

UNREADABLE_TEXTS = (
    _params("angers", [
        ("Ligne Irigo N° 6, 11 - arrêt les Deniers", "texte non reconnu"),
        ("Du lundi au vendredi, de 8h30 à 17h, sur rendez-vous uniquement", "rendez-vous"),
        ("9h à 12h / 13h à 17h (17h30 le mercredi)", "plages début-fin"),
        ("Lundi au vendredi : 9h à 18h (lundi et jeudi matin fermé)", "demi-journée sur plusieurs jours"),
        ("Lundi au vendredi : 9h à 12h30 et 13h30 à 17h30 (17h00 pendant les vacances scolaires)", "période"),
        (
            (
                "Mardi, jeudi et vendredi : 13h-18h30 Mercredi : 9h30-18h30 Samedi : 9h30-17h30 "
                "Dimanche (2e dimanche du mois uniquement) : 14h-17h30"
            ),
            "irréguliers",
        ),
        (
            "Lundi, mardi, mercredi, jeudi et vendredi : 10h30 à 12h30 et 14h à 19h (sauf jeudi, 18h30)",
            "plages début-fin",
        ),
        (
            (
                "Lundi et Jeudi : 14h à 17h30 Mardi et Mercredi : 9h à 12h30 et 14h à 17h30 "
                "Vendredi : 9h à 12h30 à 14h à 16h30"
            ),
            "mal séparées",
        ),
        ("pour les résidentes : 9h30 à 22h30 pour les personnes extérieures : 9h à 20h30", "texte non reconnu"),
        (
            (
                "Lundi au Samedi : 8h30 à 22h30 de septembre à juin Dimanche : 13h à 20h d'octobre à juin "
                "Horaires d'été : lundi au vendredi, 8h30 à 18h"
            ),
            "période",
        ),
    ])
    + _params("la-creuse", [
        ("samedi APRÈS-MIDI Tous Les 15 jours de 14H à 16h", "irréguliers"),
    ])
    + _params("epernay", [
        ("9h-12h 14h-17h", "aucun jour"),
        ("du lundi au vendredi de h30 à 12h30 et de 13h30 à 17h", "texte non reconnu"),
        ("Permanence le dernier samedi de chaque mois, de 9 heures à 12 h 30", "irréguliers"),
        ("Ouverture au public sur RDV Lundi 13H30 - 17H\nMardi 13H30 - 18H\nJeudi 11- 18H", "rendez-vous"),
        ("Vendredi 21/04\n10:00 - 12:30\nSamedi 22/04\nFermé", "nombres sans « h »"),
        (
            "Lundi 9h00-17h00\nMardi 9h00-17h00\nLa structure n'est plus ouverte aux publics",
            "texte non reconnu",
        ),
    ])
    + _params("fibre-64", [
        ("Lundi - samedi", "aucune heure"),
        ("14H 17H", "aucun jour"),
        ("en fonction des actions", "irréguliers"),
        (
            "MARDI-JEUDI ET VENDREDI 9H00-12H00 / 13H30-16H30\nMERCREDI ET SAMEDI 9H00-12H00",
            "le mercredi reçoit des horaires qui se chevauchent",
        ),
        ("LUNDI MERDI MERCREDI et VENDREDI 9h00 a 12h00 / 13h30 a 16h45", "« MERDI »"),
        ("Voir avec Helene, la formatrice 06 75 92 99 25", "texte non reconnu"),
    ])
    + _params("hub-lo", [
        ("Atelier ouvert sur rendez vous", "rendez-vous"),
        ("Sur RDV : 02.47.74.56.08", "rendez-vous"),
        ("2ème Jeudi du mois de 14h à 17h", "irréguliers"),
        ("Tous les 1er vendredis du mois de 9h30 à 12h30", "irréguliers"),
        (
            "Mardi et Jeudi : 16H - 18H -- Mercredi : 10H-12H ; 14H-16H (semaine paire) ou 16H-18H (semaine impaire)",
            "irréguliers",
        ),
        ("Un lundi sur deux en alternance avec le site de Sancerre.", "irréguliers"),
        ("En période scolaire :\nMercredi et samedi : de 13h00 à 18h00", "période"),
        (
            "9h-12h - 14h-17h fermé le mercredi et vendredi matin. Ouvert 24h/24 - 7j/7 pour les coworkers",
            "texte non reconnu"
        ),
        (
            "Lundi : 8h30 – 12h30 / 13h45 – 17h30\nMardi : Fermé au public le matin / 13h45 – 17h30",
            "ne suit aucun jour",
        ),
        ("Jeudi 09h30h-12h30 et 13h30 17h00", "texte non reconnu"),
        ("True", "texte non reconnu"),
        ("De 09h à 17h", "aucun jour"),
    ])
)


@pytest.mark.parametrize(("text", "osm"), READABLE_TEXTS)
def test_french_text_becomes_osm(text: str, osm: str) -> None:
    reading = hours_from_text(text)
    assert reading.osm == osm
    assert reading.ok
    assert "convertis au format OpenStreetMap" in reading.message


@pytest.mark.parametrize(("text", "reason"), UNREADABLE_TEXTS)
def test_unreadable_text_is_kept_aside_with_its_reason(text: str, reason: str) -> None:
    reading = hours_from_text(text)
    assert reading.osm is None
    assert not reading.ok
    assert reading.message.startswith("Horaires « ")
    assert reason in reading.message


# --------------------------------------------------------------------------------------------
# Free text: constructed cases for each rule
# --------------------------------------------------------------------------------------------

CONSTRUCTED_TEXTS = [
    ("tous les jours de 9h à 18h", "Mo-Su 09:00-18:00"),
    ("7j/7 8h-20h", "Mo-Su 08:00-20:00"),
    ("en semaine 9h-17h", "Mo-Fr 09:00-17:00"),
    ("le week-end 10h-18h", "Sa,Su 10:00-18:00"),
    ("lun. 9h-12h, mar. 14h-17h", "Mo 09:00-12:00; Tu 14:00-17:00"),
    ("Lundis et jeudis : 9h-12h", "Mo,Th 09:00-12:00"),
    ("lundi de 9h à midi", "Mo 09:00-12:00"),
    ("vendredi de 20h à minuit", "Fr 20:00-24:00"),
    ("lundi de 9h à 12h 30", "Mo 09:00-12:30"),
    ("lundi 9 heures 30 - 12 heures", "Mo 09:30-12:00"),
    ("Lundi - samedi 9h-12h", "Mo-Sa 09:00-12:00"),
    ("lundi-mardi-jeudi 9h-12h", "Mo,Tu,Th 09:00-12:00"),
    ("du samedi au lundi 10h-12h", "Mo,Sa,Su 10:00-12:00"),
    ("du lundi au vendredi sauf le mercredi 9h-12h", "Mo,Tu,Th,Fr 09:00-12:00"),
    ("Lundi au vendredi 9h-12h sauf mercredi", "Mo,Tu,Th,Fr 09:00-12:00"),
    ("tous les jours sauf le lundi de 10h à 18h", "Tu-Su 10:00-18:00"),
    ("du lundi au vendredi 9h-17h sauf le vendredi 9h-12h", "Mo-Th 09:00-17:00; Fr 09:00-12:00"),
    ("du lundi au vendredi 9h-17h, fermé le mercredi", "Mo,Tu,Th,Fr 09:00-17:00"),
    ("du lundi au vendredi 9h-17h sauf le mercredi. Mercredi 14h-17h", "Mo,Tu,Th,Fr 09:00-17:00; We 14:00-17:00"),
    (
        "du lundi au vendredi 9h-12h et 14h-17h, fermé le mercredi après-midi",
        "Mo,Tu,Th,Fr 09:00-12:00,14:00-17:00; We 09:00-12:00"
    ),
    (
        "du lundi au vendredi 9h-12h et 14h-17h, fermeture le jeudi matin",
        "Mo-We,Fr 09:00-12:00,14:00-17:00; Th 14:00-17:00"
    ),
    ("du lundi au vendredi 9h-17h, fermé les jours fériés", "Mo-Fr 09:00-17:00; PH off"),
    (
        "8h30-12h / 13h30-17h30 du lundi au vendredi, 8h30-12h le samedi",
        "Mo-Fr 08:30-12:00,13:30-17:30; Sa 08:30-12:00"
    ),
    ("9h-12h lundi, 14h-17h mardi", "Mo 09:00-12:00; Tu 14:00-17:00"),
    ("Lundi 9h-12h. Mardi 14h-17h.", "Mo 09:00-12:00; Tu 14:00-17:00"),
    ("lundi 0h-24h", "Mo 00:00-24:00"),
    ("Jours et Heures d'ouvertures : du Lundi au Vendredi de 9h à 12h", "Mo-Fr 09:00-12:00"),
]


@pytest.mark.parametrize(("text", "osm"), CONSTRUCTED_TEXTS)
def test_constructed_text_becomes_osm(text: str, osm: str) -> None:
    assert hours_from_text(text).osm == osm


CONSTRUCTED_UNREADABLE = [
    ("9h-12h", "aucun jour n'est indiqué pour « 9h-12h »"),
    ("9h-12h lundi 14h-17h mardi", "aucun jour"),  # which day goes with which times?
    ("lundi", "aucune heure"),
    ("lundi 9h-12h et mardi", "aucune heure n'est indiquée pour « mardi »"),
    ("lundi 9h", "plages début-fin"),
    ("lundi 14h-12h", "inversée"),
    ("lundi 22h-2h", "inversée"),  # overnight ranges are not read
    ("lundi 9h-12h, 11h-13h", "se chevauchent"),
    ("lundi 9h-12h\nlundi 11h-14h", "le lundi reçoit des horaires qui se chevauchent"),
    ("lundi 9h75-12h", "« 75 »"),
    ("lundi 25h-26h", "texte non reconnu"),
    ("lundi 12:15 - 16:", "heure incomplète"),
    ("lundi 10-12", "nombres sans « h »"),
    ("lundi matin 14h-17h", "heures de l'après-midi"),
    ("samedi après-midi 9h-12h", "heures du matin"),
    ("du lundi au vendredi 9h-17h, fermé le mercredi après-midi", "mercredi après-midi est dit fermé"),
    ("Fermé lundi. Lundi 9h-12h", "le lundi est dit fermé et ouvert"),
    ("fermé de 12h à 14h", "« fermé » suivi d'heures"),
    ("Fermé", "« fermé » sans jour"),
    ("matin 9h-12h", "ne suit aucun jour"),
    ("sauf le lundi 9h-12h", "sans horaires"),
    ("lundi 9h-12h sauf", "n'est suivi d'aucun jour"),
    ("lundi 9h-12h, jours fériés 10h-12h", "jours fériés"),
    ("lundi au mercredi au vendredi 9h-12h", "suite de jours"),
    ("lundi 9h-12h sur RDV", "rendez-vous"),
    ("lundi 9h-12h les semaines impaires", "irréguliers"),
    ("le 1er mardi du mois 9h-12h", "irréguliers"),
    ("lundi 9h-12h en juillet", "période"),
    ("lundi 9h-12h ou 14h-17h", "« ou »"),
]


@pytest.mark.parametrize(("text", "reason"), CONSTRUCTED_UNREADABLE)
def test_constructed_text_kept_aside(text: str, reason: str) -> None:
    reading = hours_from_text(text)
    assert reading.osm is None
    assert reason in reading.message


def test_sans_rendez_vous_is_no_condition() -> None:
    assert hours_from_text("Lundi 9h-12h sans rendez-vous").osm == "Mo 09:00-12:00"
    assert hours_from_text("Lundi 9h-12h sans rendez-vous, 14h-17h sur rendez-vous").osm is None


@pytest.mark.parametrize("text", ["", "   ", None, "nan", "-"])
def test_empty_text_has_nothing_to_read(text: str | None) -> None:
    assert hours_from_text(text) == HoursReading(None, None)


def test_messages_quote_a_short_excerpt_of_long_texts() -> None:
    text = "Lundi 9h-12h " + "et aussi beaucoup de texte " * 10
    message = hours_from_text(text).message
    assert "…" in message
    assert len(message) < 300


# --------------------------------------------------------------------------------------------
# Text already in OSM syntax (aix-en-provence, bus-france-services-charente)
# --------------------------------------------------------------------------------------------

OSM_TEXTS = [
    ("Mo-Fr 08:00-12:15,13:15-16:30", "Mo-Fr 08:00-12:15,13:15-16:30", None),
    ("Tu-Sa 09:00-13:00,14:00-18:00; We,Fr 14:00-18:00", "Tu-Sa 09:00-13:00,14:00-18:00; We,Fr 14:00-18:00", None),
    ("Mo 14:00-18:00; Tu-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00",
     "Mo 14:00-18:00; Tu-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00", None),
    ("Mo 09:30-12:30,13:30-15:30; PH off", "Mo 09:30-12:30,13:30-15:30; PH off", None),
    ("24/7", "24/7", None),
    ("mo-fr 9:00-12:00", "Mo-Fr 09:00-12:00", "remis en forme"),
    ("Mo-Fr 09:00-12:00\nSa 10:00-12:00", "Mo-Fr 09:00-12:00; Sa 10:00-12:00", "remis en forme"),
    ("Mo-Fr 09:00-12:00;\nSa 10:00-12:00", "Mo-Fr 09:00-12:00; Sa 10:00-12:00", "remis sur une ligne"),
]


@pytest.mark.parametrize(("text", "osm", "note"), OSM_TEXTS)
def test_osm_text_is_kept_and_tidied(text: str, osm: str, note: str | None) -> None:
    reading = hours_from_text(text)
    assert reading.osm == osm
    if note is None:
        assert reading.message is None
    else:
        assert note in reading.message


@pytest.mark.parametrize("marker", ["Mo", "Th", "PH off"])
def test_a_lone_osm_day_is_a_marker_not_hours(marker: str) -> None:
    # "Mo" is valid OSM (all day Monday) but in ultra-num it marks the day's columns
    assert hours_from_text(marker).osm is None


# --------------------------------------------------------------------------------------------
# Days given beside the text (hub-lo's c_jours_semaine)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("days_cell", "codes"),
    [
        ("{Lundi,Mardi,Mercredi,Jeudi,Vendredi}", ("Mo", "Tu", "We", "Th", "Fr")),
        ("{Mardi,Lundi,Mercredi,Jeudi,Vendredi}", ("Mo", "Tu", "We", "Th", "Fr")),
        ("{Mercredi,Jeudi,Samedi,Dimanche}", ("We", "Th", "Sa", "Su")),
        ("{Jeudi}", ("Th",)),
        ("du lundi au vendredi", ("Mo", "Tu", "We", "Th", "Fr")),
        ("lundi 9h-12h", None),
        ("Nouvel an", None),
        ("", None),
    ],
)
def test_days_from_text(days_cell: str, codes: tuple[str, ...] | None) -> None:
    assert days_from_text(days_cell) == codes


HUB_LO_WITH_DAYS = [
    ("9h à  12h /  14h à  17h", "{Lundi,Mardi,Mercredi,Jeudi,Vendredi}", "Mo-Fr 09:00-12:00,14:00-17:00"),
    ("13h30 - 18h", "{Lundi,Mercredi,Jeudi,Vendredi,Samedi}", "Mo,We-Sa 13:30-18:00"),
    ("09h00 12h00 14h00 17h00", "{Lundi,Mardi,Jeudi,Vendredi}", "Mo,Tu,Th,Fr 09:00-12:00,14:00-17:00"),
    ("9h/12h - 14h/17h", "{Lundi,Mardi,Mercredi,Jeudi,Vendredi}", "Mo-Fr 09:00-12:00,14:00-17:00"),
    (
        "Horaires d'ouverture : 8h-12h 13h-17h sauf le vendredi 8h-12h 13h-16h30",
        "{Lundi,Mardi,Jeudi,Vendredi}",
        "Mo,Tu,Th 08:00-12:00,13:00-17:00; Fr 08:00-12:00,13:00-16:30",
    ),
]


@pytest.mark.parametrize(("text", "days_cell", "osm"), HUB_LO_WITH_DAYS)
def test_days_given_beside_take_the_times_of_a_text_without_days(text: str, days_cell: str, osm: str) -> None:
    assert hours_from_text(text).osm != osm
    assert hours_from_text(text, days_from_text(days_cell)).osm == osm


def test_days_named_in_the_text_win_over_days_given_beside() -> None:
    # hub-lo: the text says Tuesday and Saturday, its c_jours_semaine says Tuesday, Wednesday and Saturday
    reading = hours_from_text("Mardi : 15H-18H30 -- Samedi : 10H-13H", days_from_text("{Mardi,Mercredi,Samedi}"))
    assert reading.osm == "Tu 15:00-18:30; Sa 10:00-13:00"
    assert "pris à côté" not in reading.message


def test_days_given_beside_are_named_in_the_message() -> None:
    assert "jours d'ouverture pris à côté du texte" in hours_from_text("9h-12h", ["Mo"]).message


def test_text_mixing_dated_and_undated_times_stays_unreadable() -> None:
    reading = hours_from_text("9h-12h, samedi 10h-12h", ["Mo", "Tu"])
    assert reading.osm is None
    assert "certaines heures ont leurs jours et d'autres non" in reading.message


def test_unknown_day_codes_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="jours OSM inconnus"):
        hours_from_text("9h-12h", ["Monday"])


# --------------------------------------------------------------------------------------------
# One cell per day (nouvelle-caledonie: horaires_lundi … horaires_dimanche)
# --------------------------------------------------------------------------------------------

WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr")

DAY_CELLS = _params("nouvelle-caledonie", [
    (
        {"Mo": "09:00 - 11:00, 15:30 - 17:30", "Tu": "15:30 - 17:30", "We": "14:30 - 17:30", "Th": "09:00 - 11:00",
         "Fr": "15:00 - 17:00"},
        "Mo 09:00-11:00,15:30-17:30; Tu 15:30-17:30; We 14:30-17:30; Th 09:00-11:00; Fr 15:00-17:00",
    ),
    ({day: "07:30-11:30, 12:15-16:00" for day in WEEKDAYS}, "Mo-Fr 07:30-11:30,12:15-16:00"),
    (
        {"Mo": "07:45 -15:00", "Tu": "07:45 -15:00", "We": "07:45 -15:00", "Th": "07:45 -15:00", "Fr": "07:45 -11:15"},
        "Mo-Th 07:45-15:00; Fr 07:45-11:15",
    ),
    (
        {**{day: "17:00 - 22:00" for day in WEEKDAYS}, "Sa": "09:00 - 12:00 , 13:00 - 18:00", "Su": "09:00 - 12:00"},
        "Mo-Fr 17:00-22:00; Sa 09:00-12:00,13:00-18:00; Su 09:00-12:00",
    ),
    (
        {"Mo": "Fermé", "Tu": "10h à 17h", "We": "10h à 18h", "Th": "10h à 17h", "Fr": "10h à 17h", "Sa": "8h30 à 12h"},
        "Tu,Th,Fr 10:00-17:00; We 10:00-18:00; Sa 08:30-12:00",
    ),
    ({day: "7 : 30 - 11 : 30 / 12 : 30 - 15 :30" for day in WEEKDAYS}, "Mo-Fr 07:30-11:30,12:30-15:30"),
    (
        {"Tu": "8:30 11:30; 13:00 17:00", "We": "8:30 11:30; 13:00 17:00", "Fr": "8:30 11:30; 13:00 16:00"},
        "Tu,We 08:30-11:30,13:00-17:00; Fr 08:30-11:30,13:00-16:00",
    ),
    ({"Mo": "7:00-11:30 et 12:00-15:30", "Tu": None, "We": ""}, "Mo 07:00-11:30,12:00-15:30"),
    ({"Tu": "10:00-12:00 / 14:30-16:30", "Sa": "10:00-12:00 / 14:30-16:30"}, "Tu,Sa 10:00-12:00,14:30-16:30"),
])


@pytest.mark.parametrize(("cells", "osm"), DAY_CELLS)
def test_day_cells_become_osm(cells: dict[str, str | None], osm: str) -> None:
    assert hours_from_days(cells) == HoursReading(osm, None)


UNREADABLE_DAY_CELLS = _params("nouvelle-caledonie", [
    ({day: "7:30 - 11:30 ; 12:15 - 16:" for day in WEEKDAYS}, "lundi, mardi, mercredi, jeudi, vendredi", "incomplète"),
    ({"Mo": "15: à 17:", "Tu": "9: à 18:"}, "lundi « 15: à 17: »", "incomplète"),
    ({"Mo": "13:16:59.999998", "Tu": "08:00-16:00"}, "lundi « 13:16:59.999998 »", "texte non reconnu"),
    ({"Mo": "08:00-16:00", "Fr": "7:00-11:30 et pas d'accueil en apres midi"}, "vendredi", "texte non reconnu"),
    ({"We": "10:00-11-00, 12:00-17:00"}, "mercredi", "plages début-fin"),
    ({"Th": "réservé aux scolaires"}, "jeudi", "texte non reconnu"),
    ({"Sa": "08:00-11:30 (les premiers samedis de chaque mois)"}, "samedi", "irréguliers"),
    ({"Mo": "10: à 18: (en continu)"}, "lundi", "incomplète"),
])


@pytest.mark.parametrize(("cells", "days", "reason"), UNREADABLE_DAY_CELLS)
def test_unreadable_day_cell_names_its_day(cells: dict[str, str], days: str, reason: str) -> None:
    reading = hours_from_days(cells)
    assert reading.osm is None
    assert reading.message.startswith("Horaires par jour gardés à part")
    assert days in reading.message
    assert reason in reading.message


def test_a_day_cell_about_another_day_is_unreadable() -> None:
    assert "autres jours" in hours_from_days({"Mo": "mardi 9h-12h"}).message


def test_day_cells_all_closed_or_empty() -> None:
    assert hours_from_days({"Mo": None, "Tu": " "}) == HoursReading(None, None)
    assert "fermés" in hours_from_days({"Mo": "Fermé", "Tu": "fermée"}).message


def test_a_day_cell_with_one_time_is_no_range() -> None:
    assert "plages début-fin" in hours_from_days({"Mo": dt.time(9, 0)}).message


def test_day_cells_reject_unknown_day_codes() -> None:
    with pytest.raises(ValueError):
        hours_from_days({"Lu": "9h-12h"})


# --------------------------------------------------------------------------------------------
# Morning / afternoon opening and closing per day (ultra-num)
# --------------------------------------------------------------------------------------------

def _parts(**days: tuple[str | None, ...]) -> dict[tuple[str, str], str | None]:
    return {(day, part): value for day, values in days.items() for part, value in zip(PARTS, values, strict=False)}


DAY_PARTS = _params("ultra-num", [
    (_parts(**{day: ("08:30", "16:30", "", "") for day in WEEKDAYS}), "Mo-Fr 08:30-16:30"),
    (
        _parts(**{day: ("08:00", "20:00", "", "") for day in WEEKDAYS}, Sa=("08:00", "16:00", "", "")),
        "Mo-Fr 08:00-20:00; Sa 08:00-16:00",
    ),
    (_parts(Mo=("09:00", "12:00", "", ""), Th=("09:00", "12:00", "", "")), "Mo,Th 09:00-12:00"),
    (_parts(**{day: ("08:30", "12:00", "13:00", "16:30") for day in WEEKDAYS}), "Mo-Fr 08:30-12:00,13:00-16:30"),
    (
        _parts(Mo=("13:00", "17:00", "", ""), Tu=("08:00", "17:00", "", ""), We=("08:00", "16:00", "", ""),
               Th=("08:00", "17:00", "", ""), Fr=("08:00", "12:00", "", "")),
        "Mo 13:00-17:00; Tu,Th 08:00-17:00; We 08:00-16:00; Fr 08:00-12:00",
    ),
    (
        _parts(Mo=("08:00", "12:00", "", ""), **{day: ("08:00", "12:00", "13:00", "15:30") for day in WEEKDAYS[1:]},
               Sa=("08:00", "12:00", "", "")),
        "Mo,Sa 08:00-12:00; Tu-Fr 08:00-12:00,13:00-15:30",
    ),
    (_parts(**{day: ("08:30", "12:00", "13:00", "17:00") for day in DAYS}), "Mo-Su 08:30-12:00,13:00-17:00"),
    (_parts(Th=("08:30", "11:45", "", "")), "Th 08:30-11:45"),
])


@pytest.mark.parametrize(("parts", "osm"), DAY_PARTS)
def test_day_parts_become_osm(parts: dict, osm: str) -> None:
    assert hours_from_day_parts(parts) == HoursReading(osm, None)


def test_morning_opening_and_afternoon_closing_make_a_continuous_day() -> None:
    # ultra-num: Wednesday "09:00", "", "", "17:30" among days with a lunch break
    parts = _parts(Tu=("09:00", "12:00", "13:30", "17:30"), We=("09:00", "", "", "17:30"))
    reading = hours_from_day_parts(parts)
    assert reading.osm == "Tu 09:00-12:00,13:30-17:30; We 09:00-17:30"
    assert "Journée continue retenue (mercredi)" in reading.message


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (("", "", "", ";"), "heure illisible « ; » pour la fermeture de l'après-midi"),  # ultra-num, a Monday
        (("09:00", "13:00", "12:00", "17:00"), "se chevauchent"),
        (("12:00", "09:00", "", ""), "plage inversée"),
        (("09:00", "", "14:00", "17:00"), "il manque la fermeture du matin"),
        (("09:00", "", "", ""), "il manque la fermeture du matin et l'ouverture de l'après-midi et la fermeture"),
        (("9: ", "12:00", "", ""), "heure illisible"),
        (("13:16:59.999998", "14:00", "", ""), "heure illisible"),
    ],
)
def test_unreadable_day_parts_name_the_day(values: tuple[str, ...], reason: str) -> None:
    reading = hours_from_day_parts(_parts(Mo=values, Tu=("09:00", "12:00", "", "")))
    assert reading.osm is None
    assert "le lundi" in reading.message
    assert reason in reading.message


@pytest.mark.parametrize(
    ("values", "osm"),
    [
        (("8h", "12h", "14h", "17h30"), "Mo 08:00-12:00,14:00-17:30"),
        (("08:00:00", "12:00:00", None, None), "Mo 08:00-12:00"),
        ((dt.time(8, 30), dt.time(12), dt.time(12), dt.time(17)), "Mo 08:30-17:00"),  # touching: one range
        (("Fermé", "Fermé", "14:00", "17:00"), "Mo 14:00-17:00"),
        (("9", "12", "", ""), "Mo 09:00-12:00"),
    ],
)
def test_day_parts_accept_common_time_shapes(values: tuple, osm: str) -> None:
    assert hours_from_day_parts(_parts(Mo=values)).osm == osm


def test_day_parts_empty_and_bad_keys() -> None:
    assert hours_from_day_parts({}) == HoursReading(None, None)
    with pytest.raises(ValueError):
        hours_from_day_parts({("Mo", "matin"): "09:00"})


# --------------------------------------------------------------------------------------------
# Column names
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("horaires_lundi", DayColumn("Mo")),  # nouvelle-caledonie
        ("horaires_dimanche", DayColumn("Su")),
        ("Lundi", DayColumn("Mo")),  # ultra-num's marker column
        ("Horaires du mardi", DayColumn("Tu")),
        ("Horaires de lundi", DayColumn("Mo")),
        ("HorairesLundi", DayColumn("Mo")),
        ("Samedis", DayColumn("Sa")),
        ("Ouverture matin (ou journée continue) lundi", DayColumn("Mo", "matin_ouverture")),  # ultra-num
        ("Fermeture matin lundi", DayColumn("Mo", "matin_fermeture")),
        ("Ouverture après-midi (sauf si une seule tranche horaire) dimanche", DayColumn("Su", "apres_midi_ouverture")),
        ("Fermeture après-midi vendredi", DayColumn("Fr", "apres_midi_fermeture")),
        ("lun_matin_ouverture", DayColumn("Mo", "matin_ouverture")),
        ("jeudi_pm_fin", DayColumn("Th", "apres_midi_fermeture")),
        ("mardi_am_de", DayColumn("Tu", "matin_ouverture")),
        ("vendredi_apres_midi_debut", DayColumn("Fr", "apres_midi_ouverture")),
        ("Mercredi après-midi fermeture", DayColumn("We", "apres_midi_fermeture")),
        ("ouverturematinlundi", DayColumn("Mo", "matin_ouverture")),
        ("heure_debut_matin", None),  # hub-lo: no day
        ("c_heure_fin_aprem", None),
        ("c_jours_semaine", None),
        ("Leshorairesdemastructure", None),  # fibre-64: hours, but of the whole week
        ("Ouvert le samedi ?", None),
        ("lundi_matin", None),  # a half without opening or closing
        ("lundi_ouverture", None),  # opening of which half?
        ("lundi_mardi", None),
        ("ouverture_fermeture_matin_lundi", None),
        ("horaires_lundi_2", None),
        ("Nom de la structure", None),
    ],
)
def test_day_column(header: str, column: DayColumn | None) -> None:
    assert day_column(header) == column


def test_hours_from_columns_prefers_the_parts_over_marker_columns() -> None:
    row = {"Nom de l'organisation": "Mairie", "Lundi": "Mo", "Mardi": "Tu"}
    for day, name in (("lundi", "Mo"), ("mardi", "Tu")):
        row |= {
            f"Ouverture matin (ou journée continue) {day}": "09:00",
            f"Fermeture matin {day}": "12:00",
            f"Ouverture après-midi (sauf si une seule tranche horaire) {day}": "14:00" if name == "Mo" else "",
            f"Fermeture après-midi {day}": "17:00" if name == "Mo" else "",
        }
    assert hours_from_columns(row) == HoursReading("Mo 09:00-12:00,14:00-17:00; Tu 09:00-12:00", None)


def test_hours_from_columns_reads_one_column_per_day() -> None:
    row = {"nom": "Médiathèque", "horaires_lundi": "08:00-16:00", "horaires_mardi": "08:00-16:00",
           "horaires_samedi": "Fermé", "horaires_dimanche": None}
    assert hours_from_columns(row).osm == "Mo,Tu 08:00-16:00"


def test_hours_from_columns_without_day_columns() -> None:
    assert hours_from_columns({"nom": "Mairie", "horaires": "Lundi 9h-12h"}) is None


def test_hours_from_columns_with_two_columns_for_one_day() -> None:
    reading = hours_from_columns({"horaires_lundi": "9h-12h", "Lundi": "14h-17h"})
    assert reading.osm is None
    assert "deux colonnes" in reading.message


# --------------------------------------------------------------------------------------------
# Every OSM this file expects is itself valid for opening-hours-py
# --------------------------------------------------------------------------------------------

def _expected_osm() -> list[str]:
    found = [param.values[1] for param in READABLE_TEXTS + DAY_CELLS + DAY_PARTS]
    found += [osm for _, osm in CONSTRUCTED_TEXTS] + [osm for _, osm, _ in OSM_TEXTS]
    found += [osm for *_, osm in HUB_LO_WITH_DAYS]
    return sorted(set(found))


@pytest.mark.parametrize("osm", _expected_osm())
def test_expected_osm_parses(osm: str) -> None:
    OpeningHours(osm)


def test_reading_is_frozen_and_memoised() -> None:
    reading = hours_from_text("lundi 9h-12h")
    with pytest.raises(dataclasses.FrozenInstanceError):
        reading.osm = "Tu 09:00-12:00"
    assert hours_from_text("lundi 9h-12h") is reading
    assert day_column("horaires_lundi") is day_column("horaires_lundi")

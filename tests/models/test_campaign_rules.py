"""A campaign's calling rules: one model, its defaults the schema's own."""

from __future__ import annotations

from datetime import date

import pytest

from models.campaign_rules import (
    DEFAULT_DELAI_JOURS,
    DEFAULT_HEURES_APPEL,
    DEFAULT_MAX_RELANCES,
    DEFAULT_MAX_TENTATIVES,
    RULE_FIELDS,
    CampaignRules,
    proposed_campaign_dates,
)


@pytest.mark.parametrize(("column", "default"), [
    ("max_tentatives", DEFAULT_MAX_TENTATIVES), ("heures_appel", DEFAULT_HEURES_APPEL),
    ("relance_delai_jours", DEFAULT_DELAI_JOURS), ("relance_max", DEFAULT_MAX_RELANCES),
])
def test_the_defaults_are_the_column_defaults_of_the_schema(store, column, default):
    with store.connect() as con:
        (expression,) = con.execute("SELECT column_default FROM duckdb_columns() WHERE table_name = 'campaigns'"
                                    " AND column_name = ?", [column]).fetchone()
        assert con.execute("SELECT " + expression).fetchone()[0] == default


@pytest.mark.parametrize(("row", "expected"), [
    ({}, CampaignRules()),
    ({"max_tentatives": None, "heures_appel": None}, CampaignRules()),
    ({"max_tentatives": 0, "heures_appel": "  "}, CampaignRules()),
    ({"max_tentatives": 3, "heures_appel": "Mo-Sa 08:00-20:00 ", "date_debut": date(2027, 1, 4)},
     CampaignRules(max_tentatives=3, heures_appel="Mo-Sa 08:00-20:00", date_debut=date(2027, 1, 4))),
])
def test_a_rule_missing_or_empty_on_a_campaign_reads_as_its_default(row, expected):
    assert CampaignRules.of(row) == expected


def test_the_rule_names_are_the_model_fields():
    assert tuple(CampaignRules.model_fields) == RULE_FIELDS


def test_a_new_campaign_is_proposed_from_today_for_sixty_days():
    assert proposed_campaign_dates(date(2026, 12, 7)) == (date(2026, 12, 7), date(2027, 2, 5))

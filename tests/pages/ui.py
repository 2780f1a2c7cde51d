"""Small readers of an AppTest run shared by the page tests: texts, buttons, metrics."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def texts_of(elements) -> list[str]:
    """The values of some elements (``at.caption``, ``at.info``…), in page order."""
    return [element.value for element in elements]


def find_button(at: AppTest, label: str):
    """The button (or form submit button) with this label, else the first whose label starts with
    it (labels that carry a count: « Ajouter 90 structures… »)."""
    buttons = [*at.button, *at.form_submit_button]
    found = [b for b in buttons if b.label == label] or [b for b in buttons if b.label.startswith(label)]
    assert found, f"pas de bouton « {label} » parmi {[b.label for b in buttons]}"
    return found[0]


def metric_values(at: AppTest) -> dict[str, str]:
    """Each metric's value by its label."""
    return {metric.label: metric.value for metric in at.metric}

"""What the pages share, kept out of ``pages/`` (Streamlit serves every file of that folder as a page
of its own on a first start): the store and the navigation (``ui.shared``), who is at the screen
(``ui.session``), the committee's dashboards (``ui.dashboard``) and the survey's text field
(``ui.saisie``). Only pages and ``app.py`` import them; they never import a page.
"""

"""Relances: reminder mails to a campaign's non-respondents, sent by SMTP or exported.

The coordinator works in four steps; each name is imported from the module that holds it:

1. **Choose** — ``selection``: ``relance_candidates`` gives the targets matching the rules
   (``RelanceRule``: ``sans_contact``, ``partielle``, ``promesse``) and every other target with
   its exclusion code (``models.records.RelanceExclusion``) and French reason; ``opt_outs``
   records the structures that asked not to be mailed (``add_opt_out``, ``remove_opt_out``,
   ``list_opt_outs``).
2. **Prepare** — ``batches``: ``prepare_batch`` records one ``relances`` row per structure, the
   message rendered by ``templates`` (the campaign's French template, ``{champ}`` placeholders,
   its settings ``set_relance_settings``/``edit_relance_settings``, and ``build_message``).
3. **Send** — ``transport``: ``send_batch`` through the ``[smtp]`` server of
   ``.streamlit/secrets.toml`` (``SmtpSettings``, ``smtp_settings_from_secrets``), at most once;
   or **export** — ``export``: ``export_batch``, ``batch_zip_bytes`` (``.eml`` files and a
   ``relances.csv``).
4. **Follow** — ``batches``: ``relance_history``, ``batch_rows``, and settle what is uncertain
   (``resolve_uncertain``) or abandoned (``cancel_batch``).

``errors`` holds ``RelanceError``. The modules import one another one way only:
``errors`` ← ``selection`` ← ``templates`` ← ``batches`` ← ``transport``, ``export``; ``opt_outs``
stands alone.

Statuses of a row (``models.records.RelanceStatus``): ``a_envoyer`` → ``en_cours`` → ``envoyee`` |
``echec`` (retried by the next ``send_batch``); ``exportee`` once written to files; ``annulee`` when
cancelled or when the structure became un-mailable (completed, refused, opted out) before sending.
"""

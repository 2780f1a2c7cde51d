"""Export for the organisation's own mailer: one ``.eml`` per message and a French Excel CSV, in a
folder or a zip, never exported twice."""

from __future__ import annotations

import csv
import io
import zipfile
from email import policy
from email.parser import BytesParser

import pytest

from collect.relances.batches import prepare_batch, relance_history
from collect.relances.errors import RelanceError
from collect.relances.export import batch_zip_bytes, export_batch
from tests.collect.relances.scenario import LIEUX, MAILABLE, statuses


def test_export_writes_one_eml_per_message_and_a_french_excel_csv(store, campaign, tmp_path):
    batch = prepare_batch(store, campaign["id"], [campaign[k] for k in MAILABLE], canal="export", by="coord")
    folder = export_batch(store, batch, tmp_path / "lot", by="coord", expediteur="enquete@maillage-charente.fr",
                          nom_expediteur="Équipe Diagnostic")
    raw = (folder / "relances.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: French Excel reads the accents
    listing = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert [row["structure"] for row in listing] == [LIEUX[k]["nom"] for k in MAILABLE]
    assert listing[2]["fichier"].startswith("mediatheque-de-cognac-")
    for row in listing:
        with (folder / row["fichier"]).open("rb") as handle:
            message = BytesParser(policy=policy.default).parse(handle)
        assert message["To"] == row["destinataire"]
        assert message["Subject"] == row["objet"]
        assert message["X-Unsent"] == "1"  # Outlook opens it ready to send
        assert row["structure"] in message.get_content()
    assert set(statuses(store, batch).values()) == {("exportee", 0)}
    with pytest.raises(RelanceError, match="Rien à exporter"):  # never exported (hence sent) twice
        export_batch(store, batch, tmp_path / "encore", by="coord")
    export_batch(store, batch, tmp_path / "perdu.zip", by="coord", again=True)  # the same files, for a lost copy
    assert len(zipfile.ZipFile(tmp_path / "perdu.zip").namelist()) == 5


def test_the_zip_download_holds_the_same_files_and_the_history_shows_them(store, campaign):
    batch = prepare_batch(store, campaign["id"], [campaign["cognac"], campaign["jarnac"]], canal="export", by="coord")
    archive = zipfile.ZipFile(io.BytesIO(batch_zip_bytes(store, batch, by="coord")))
    names = sorted(archive.namelist())
    assert names[0].startswith("espace-numerique-de-jarnac-") and names[1].startswith("mediatheque-de-cognac-")
    assert names[2] == "relances.csv"
    message = BytesParser(policy=policy.default).parsebytes(archive.read(names[1]))
    assert message["Subject"].startswith("Médiathèque de Cognac")
    with store.connect() as con:
        history = relance_history(con, campaign["id"])
    assert [(h["structure"], h["destinataire"], h["statut_libelle"]) for h in history] == [
        ("Espace numérique de Jarnac", "epn@jarnac.fr", "Exportée"),
        ("Médiathèque de Cognac", "mediatheque@cognac.fr", "Exportée"),
    ]
    assert all(h["sent_at"] is not None and h["erreur"] is None for h in history)

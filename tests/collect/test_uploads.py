"""An uploaded file is kept on disk while its person works on it (``collect.uploads``): the server's
memory holds only its path, a dropped file is deleted, a closed tab's file is deleted a day later."""

from __future__ import annotations

import io
import os
import stat
import time

import pytest

from collect.uploads import MAX_AGE_SECONDS, UploadGone, spool_upload, sweep_spool


def test_an_upload_is_written_once_to_a_private_file_and_read_back_whole(tmp_path):
    data = "nom;adresse\nMédiathèque;1 rue Coligny\n".encode() * 10_000
    stream = io.BytesIO(data)
    stream.read(10)  # the widget's stream, read from its start whatever was read before
    upload = spool_upload(stream, "2024-03-20_lieux.csv", folder=tmp_path)
    assert (upload.name, upload.size) == ("2024-03-20_lieux.csv", len(data))
    assert upload.path.suffix == ".csv" and upload.path.parent == tmp_path
    assert stat.S_IMODE(upload.path.stat().st_mode) == 0o600  # personal data: the server's account alone
    assert upload.read() == data


def test_a_dropped_upload_is_deleted_and_reading_it_then_says_so_in_french(tmp_path):
    upload = spool_upload(io.BytesIO(b"nom\nA\n"), "lieux.csv", folder=tmp_path)
    upload.discard()
    upload.discard()  # twice: nothing to do
    assert not upload.path.exists()
    with pytest.raises(UploadGone, match="« lieux.csv » n'est plus disponible.*choisissez-le à nouveau"):
        upload.read()


@pytest.mark.parametrize(("age_hours", "kept"), [(1, True), (23, True), (25, False), (24 * 30, False)])
def test_each_new_upload_deletes_the_files_of_tabs_closed_more_than_a_day_ago(tmp_path, age_hours, kept):
    old = spool_upload(io.BytesIO(b"nom\nA\n"), "ancien.csv", folder=tmp_path)
    moment = time.time() - age_hours * 3600
    os.utime(old.path, (moment, moment))
    spool_upload(io.BytesIO(b"nom\nB\n"), "nouveau.csv", folder=tmp_path)
    assert old.path.exists() is kept


def test_reading_an_upload_makes_it_young_again_a_tab_still_working_keeps_its_file(tmp_path):
    upload = spool_upload(io.BytesIO(b"nom\nA\n"), "lieux.csv", folder=tmp_path)
    moment = time.time() - MAX_AGE_SECONDS + 60
    os.utime(upload.path, (moment, moment))
    upload.read()
    assert sweep_spool(tmp_path, now=time.time() + 120) == 0 and upload.path.exists()

"""Identifiers: UUIDv7 made on the device, time-ordered, never the same twice (even across threads)."""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import UTC, datetime

from models.ids import new_id

UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _milliseconds(identifier: str) -> int:
    """The Unix time in milliseconds a UUIDv7 carries in its first 48 bits."""
    return int(uuid.UUID(identifier).hex[:12], 16)


def test_an_id_is_a_version_7_uuid_written_as_lowercase_text():
    identifier = new_id()
    assert isinstance(identifier, str) and UUID_TEXT.match(identifier), identifier
    parsed = uuid.UUID(identifier)
    assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert str(parsed) == identifier


def test_an_id_carries_the_moment_it_was_made():
    before = int(datetime.now(UTC).timestamp() * 1000)
    identifier = new_id()
    after = int(datetime.now(UTC).timestamp() * 1000)
    assert before <= _milliseconds(identifier) <= after + 1


def test_ids_made_one_after_another_sort_in_the_order_they_were_made():
    ids = [new_id() for _ in range(20_000)]  # many within the same millisecond
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_an_id_made_later_sorts_after_one_made_earlier():
    first = new_id()
    time.sleep(0.002)
    second = new_id()
    assert first < second and _milliseconds(first) < _milliseconds(second)


def test_ids_made_at_the_same_time_in_several_threads_are_all_different():
    made: list[list[str]] = [[] for _ in range(8)]
    start = threading.Barrier(len(made))

    def make(bucket: list[str]) -> None:
        start.wait()
        bucket.extend(new_id() for _ in range(5_000))

    threads = [threading.Thread(target=make, args=(bucket,)) for bucket in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [identifier for bucket in made for identifier in bucket]
    assert len(set(every)) == len(every) == 40_000
    assert all(bucket == sorted(bucket) for bucket in made)  # each thread's own ids stay in order

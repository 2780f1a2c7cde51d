"""The collector pause of bulk steps: overlapping steps (nested, or in two sessions of one server)
leave the collector off until the last one ends, and as they found it."""

from __future__ import annotations

import gc
import threading

import pytest

from models.runtime import bulk, collector_paused


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_a_bulk_step_pauses_the_collector_and_restarts_it(collector_on):
    @bulk
    def step() -> bool:
        return gc.isenabled()

    assert step() is False
    assert gc.isenabled()


def test_the_collector_restarts_when_the_last_of_overlapping_steps_ends(collector_on):
    first_in, second_done, release = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def long_step() -> None:
        with collector_paused():
            first_in.set()
            release.wait(5)

    def short_step() -> None:
        first_in.wait(5)
        with collector_paused():
            pass
        seen.append(gc.isenabled())  # the long step still runs: the collector stays off
        second_done.set()

    threads = [threading.Thread(target=long_step), threading.Thread(target=short_step)]
    for thread in threads:
        thread.start()
    second_done.wait(5)
    release.set()
    for thread in threads:
        thread.join(5)
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_turned_off_before_stays_off(collector_on):
    gc.disable()
    with collector_paused():
        with collector_paused():
            pass
    assert not gc.isenabled()

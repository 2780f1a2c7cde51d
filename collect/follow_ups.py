"""What an action sets off elsewhere, as one table read top to bottom: action → its follow-ups.

A module that does something another module must answer (a submitted survey closes the structure's
call case) does not call that module itself: it hands an event to ``follow_up``, which runs the
handlers ``FOLLOW_UPS`` lists for the event's action, in order, on the same connection, so inside
the same transaction (the action and its follow-ups are saved together or not at all). ODK Central
maps its audit actions to jobs the same way (``submission.create`` → its jobs); here the follow-ups
run at once, not from a queue, because none of them waits on the network.

The table is the one place to read what follows what: the modules that act (``collect.surveys``)
stay below the modules that answer (``collect.calls``) and import neither of them back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

import duckdb

from collect.calls import record_interview


@dataclass(frozen=True)
class ResponseSubmitted:
    """A survey response was submitted (``collect.surveys.submit_draft``), a correction included."""

    action: ClassVar[str] = "response.submit"  # the audit log's name of the action
    campaign_id: str
    structure_id: str
    surveyor: str
    by: str
    at: datetime


def _log_the_interview_as_a_complete_call(con: duckdb.DuckDBPyConnection, event: ResponseSubmitted) -> None:
    """The interview was the call: the case closes as 1.1 without the surveyor logging it by hand."""
    record_interview(con, event.campaign_id, event.structure_id, surveyor=event.surveyor, by=event.by, at=event.at)


Event = ResponseSubmitted
Handler = Callable[[duckdb.DuckDBPyConnection, Event], None]

FOLLOW_UPS: Mapping[str, tuple[Handler, ...]] = {
    ResponseSubmitted.action: (_log_the_interview_as_a_complete_call,),
}


def follow_up(con: duckdb.DuckDBPyConnection, event: Event) -> None:
    """Run the follow-ups of ``event``'s action, in the table's order, on ``con`` (its transaction)."""
    for handler in FOLLOW_UPS.get(event.action, ()):
        handler(con, event)

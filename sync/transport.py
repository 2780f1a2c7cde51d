"""The HTTP side of a sync: every request counted, 429 and 5xx retried with backoff.

``SyncTransport`` wraps the ``requests`` session gspread uses (Google's authorised session, or
the emulator's) and is handed to ``gspread.Client(auth=None, session=transport)``. It:

- counts requests, bytes sent and received, and retries (``stats``), so a sync reports its cost;
- retries 429 (quota) and 500/502/503/504 with exponential backoff and full jitter, waiting at
  least what ``Retry-After`` asks, up to ``max_tries`` tries in all;
- retries a dropped connection only for requests that may be sent twice safely: reads, and the
  values writes that set cells to given values (``values:batchUpdate``, ``…ByDataFilter``,
  ``values:batchClear``). A structural ``spreadsheets:batchUpdate`` or a ``values:append`` cut
  mid-way is not re-sent: it may have been applied, and sending it again would add a second tab
  or rows; the sync's journal completes it at the next sync.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from models.errors import MaillageError

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
# Path endings of POSTs that set given values: sending one twice leaves the same cells.
_REPEATABLE_POSTS = ("values:batchGet", "values:batchUpdate", "values:batchClear", "values:batchGetByDataFilter",
                     "values:batchUpdateByDataFilter", "values:batchClearByDataFilter", "developerMetadata:search")


class TransportError(MaillageError):
    """The Google API could not be reached or kept refusing; message in French."""


@dataclass
class TransportStats:
    """What a sync cost on the wire."""

    requests: int = 0
    retries: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    waited_seconds: float = 0.0


def is_repeatable(method: str, url: str) -> bool:
    """Whether a request may be sent again after a dropped connection without changing the result."""
    method = method.upper()
    if method in ("GET", "HEAD"):
        return True
    path = urlsplit(url).path
    if method == "PUT":  # values.update: the same cells set to the same values
        return "/values/" in path
    return method == "POST" and path.endswith(_REPEATABLE_POSTS)


def backoff_delay(attempt: int, *, base: float, cap: float, retry_after: float | None, rng: Callable[[], float]) -> float:
    """Seconds to wait before try ``attempt + 1`` (attempt counts from 1): full jitter over
    ``base × 2^(attempt-1)`` capped at ``cap``, and never less than ``Retry-After``."""
    delay = rng() * min(cap, base * 2 ** (attempt - 1))
    return max(delay, retry_after or 0.0)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: the backoff applies


class SyncTransport:
    """A ``requests`` session wrapper counting and retrying (see the module docstring)."""

    def __init__(
        self,
        session: requests.Session,
        *,
        max_tries: int = 6,
        base_delay: float = 1.0,
        max_delay: float = 32.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.session = session
        self.max_tries = max_tries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.rng = rng
        self.stats = TransportStats()

    def __getattr__(self, name: str) -> Any:  # headers, close, mount…: the wrapped session's
        return getattr(self.session, name)

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send one request, retried as the module says; the last response is returned (gspread
        turns an error status into its APIError), or a French ``TransportError`` when the
        connection itself keeps failing."""
        if kwargs.get("json") is not None:  # encoded once here: the size counted is what goes on the wire
            kwargs["data"] = json.dumps(kwargs.pop("json"), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Content-Type": "application/json"}
        body = kwargs.get("data") or b""
        size = len(body.encode("utf-8")) if isinstance(body, str) else len(body) if isinstance(body, bytes) else 0
        for attempt in range(1, self.max_tries + 1):
            self.stats.requests += 1
            self.stats.bytes_sent += size
            try:
                response = self.session.request(method, url, **kwargs)
            except requests.ConnectionError as error:
                if not is_repeatable(method, url):
                    raise TransportError(
                        "La connexion à Google Sheets a été coupée pendant une modification de la structure du"
                        " classeur ; elle n'est pas renvoyée (elle a pu être appliquée) : la prochaine"
                        " synchronisation la complétera."
                    ) from error
                if attempt == self.max_tries:
                    raise TransportError(
                        f"Google Sheets est injoignable ({self.max_tries} essais) : vérifiez la connexion à"
                        " Internet, puis relancez la synchronisation ; rien n'est perdu."
                    ) from error
                self._wait(attempt, None)
                continue
            self.stats.bytes_received += len(response.content)
            if response.status_code not in RETRIED_STATUSES or attempt == self.max_tries:
                return response
            self._wait(attempt, _retry_after(response))
        raise AssertionError("unreachable")  # the loop returns or raises

    def _wait(self, attempt: int, retry_after: float | None) -> None:
        delay = backoff_delay(attempt, base=self.base_delay, cap=self.max_delay, retry_after=retry_after, rng=self.rng)
        self.stats.retries += 1
        self.stats.waited_seconds += delay
        self.sleep(delay)

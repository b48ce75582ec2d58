"""The exposure answer under load: computed once per window, shared by every request.

``GET /api/exposure`` is what a dashboard asks first and most often, usually for the same few
windows.  :class:`ExposureCache` keeps the finished answer -- the CLI's JSON already encoded
(plain and gzip) and the first three days of ground track -- keyed by

    (catalogue number, newest element epoch, number of element sets, start, days, step)

so a refreshed element history is a new key, never a stale answer.  A repeated request is
answered from the event loop (:meth:`ExposureCache.peek`) when the same text was resolved in
the last 5 s, without a thread, a database or a file.  Entries live
``ttl_s`` (10 min: the answer's ``element_age_days`` is rounded to 0.01 day = 14 min) and at
most ``max_entries`` are kept (least recently used leaves first).

Concurrent requests for a window not yet computed share one computation (single flight): the
first computes, the others wait for its result, so 200 simultaneous requests cost one
propagation, not 200.  Failures are not cached.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from deorbit.service.registry import ExposureParams, window_start
from deorbit.service.views import dumps, track_json

__all__ = ["EXPOSURE_CACHE", "ExposureCache", "ExposureEntry"]

#: Hours of ground track kept with each entry (what ``/api/track`` can serve).
TRACK_HOURS_KEPT = 72.0


@dataclass(frozen=True)
class ExposureEntry:
    """One computed window: the CLI answer (dict, JSON, gzip JSON) and its track."""

    result: dict[str, Any]
    body: bytes
    body_gzip: bytes
    track: dict[str, Any]
    created: float


class ExposureCache:
    """A thread-safe, single-flight LRU of exposure answers (see the module docstring)."""

    def __init__(
        self, max_entries: int = 64, ttl_s: float = 600.0, resolve_ttl_s: float = 5.0
    ) -> None:
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self.resolve_ttl_s = resolve_ttl_s
        #: request as typed -> (entry key, when it was resolved), for :meth:`peek`.
        self._resolved: OrderedDict[tuple, tuple[tuple, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, ExposureEntry] = OrderedDict()
        self._pending: dict[tuple, Future[ExposureEntry]] = {}
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        """Forget every entry (computations under way still deliver to their waiters)."""
        with self._lock:
            self._entries.clear()
            self._resolved.clear()

    def stats(self) -> dict[str, int]:
        """Entries, hits and misses so far."""
        with self._lock:
            return {"entries": len(self._entries), "hits": self.hits, "misses": self.misses}

    def peek(self, params: ExposureParams) -> ExposureEntry | None:
        """The cached answer for ``params`` as typed (object not yet resolved), or None.

        The fast path of ``GET /api/exposure``: no file, database or thread is touched.  It
        only answers when the same request text was resolved less than ``resolve_ttl_s`` ago
        (so a refreshed element store is seen within seconds) and its entry is fresh.
        """
        now = time.monotonic()
        with self._lock:
            seen = self._resolved.get(self._request_key(params))
            if seen is None or now - seen[1] > self.resolve_ttl_s:
                return None
            entry = self._entries.get(seen[0])
            if entry is None or now - entry.created >= self.ttl_s:
                return None
            self._entries.move_to_end(seen[0])
            self.hits += 1
            return entry

    @staticmethod
    def _request_key(params: ExposureParams) -> tuple:
        start = (params.start or "epoch").strip().lower()
        if start == "now":  # 'now' means a different window every minute
            start = datetime.now(UTC).strftime("now@%Y-%m-%dT%H:%M")
        return (params.object.strip().upper(), start, float(params.days), float(params.step))

    def get(self, params: ExposureParams, raw: ExposureParams | None = None) -> ExposureEntry:
        """The answer for ``params`` (whose ``object`` is already a catalogue number);
        ``raw`` is the request as typed, remembered for :meth:`peek`."""
        from deorbit.jobs import resolve

        start = window_start(params.start)
        obj = resolve(params.object)  # ~1 ms; its newest epoch makes the key honest
        key = (
            obj.norad_id,
            obj.latest.epoch_utc.isoformat(),
            len(obj.history),
            start.isoformat() if isinstance(start, datetime) else "epoch",
            float(params.days),
            float(params.step),
        )
        now = time.monotonic()
        if raw is not None:
            with self._lock:
                self._resolved[self._request_key(raw)] = (key, now)
                while len(self._resolved) > 16 * self.max_entries:
                    self._resolved.popitem(last=False)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry.created < self.ttl_s:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry
            future = self._pending.get(key)
            owner = future is None
            if owner:
                future = Future()
                self._pending[key] = future
                self.misses += 1
            else:
                self.hits += 1
        assert future is not None
        if not owner:
            return future.result()
        try:
            entry = self._compute(params, start)
        except BaseException as exc:
            with self._lock:
                self._pending.pop(key, None)
            future.set_exception(exc)
            raise
        with self._lock:
            self._pending.pop(key, None)
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        future.set_result(entry)
        return entry

    @staticmethod
    def _compute(params: ExposureParams, start: datetime | str | None) -> ExposureEntry:
        from deorbit.jobs import exposure_job, run_exposure

        run = run_exposure(params.object, start=start, days=params.days, step_s=params.step)
        result = exposure_job(run)
        body = dumps(result)
        return ExposureEntry(
            result=result,
            body=body,
            body_gzip=gzip.compress(body, compresslevel=5),
            track=track_json(run, hours=TRACK_HOURS_KEPT),
            created=time.monotonic(),
        )


#: The service's cache (one per process).
EXPOSURE_CACHE = ExposureCache()

"""Background jobs: a bounded scheduler with progress, cancellation and timeouts.

:class:`JobManager` runs at most ``max_running`` jobs at once and queues at most
``max_queued`` more (FIFO); beyond that :meth:`JobManager.submit` raises :class:`QueueFull`
(HTTP 429).  Each job is driven by one small thread of the server:

* ``isolation="process"`` (predict and other long computations): the job runs in a fresh
  *spawned* worker process.  Progress and the result come back over a pipe.  Cancelling or a
  timeout terminates the process -- immediately, whatever it is doing -- and the server's
  event loop never competes with the job for the GIL.  Cost: ~1 s to start a worker.
* ``isolation="thread"``: the job runs in the driver thread (fast jobs that use the server's
  caches).  Cancellation is cooperative: the job's next ``progress(...)`` call raises
  :class:`~deorbit.service.registry.JobCancelled`.

A job's life: ``queued`` -> ``running`` -> ``succeeded`` | ``failed`` | ``cancelled``.
Finished jobs are kept ``keep_s`` seconds (at most ``keep_max``) so their results can be read;
a submission with the same kind and prepared parameters as a kept job that has not failed or
been cancelled returns that job instead of starting another (so ``GET /api/predict?...`` is
idempotent).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import traceback
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from typing import Any, Literal

from pydantic import BaseModel

from deorbit.elements import format_utc
from deorbit.errors import DeorbitError, InputError
from deorbit.service.registry import JobCancelled, JobKind, JobResult

__all__ = ["Job", "JobManager", "QueueFull"]

Status = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINISHED: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


class QueueFull(Exception):
    """Too many jobs queued; try again later."""


@dataclass
class Job:
    """One job and everything a client may ask about it."""

    id: str
    kind: JobKind
    params: BaseModel
    key: str
    status: Status = "queued"
    progress: float | None = 0.0
    message: str = "queued"
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: datetime | None = None
    finished: datetime | None = None
    result: dict[str, Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    #: Bumped on every change (SSE sends an event when it moves).
    version: int = 0

    def to_json(self, include_result: bool = True) -> dict[str, Any]:
        """The job document of ``GET /api/jobs/{id}``."""
        runtime = None
        if self.started is not None:
            runtime = ((self.finished or datetime.now(UTC)) - self.started).total_seconds()
        doc: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind.name,
            "params": self.params.model_dump(),
            "status": self.status,
            "progress": self.progress,
            "message": self.message,
            "created_utc": format_utc(self.created),
            "started_utc": format_utc(self.started) if self.started else None,
            "finished_utc": format_utc(self.finished) if self.finished else None,
            "runtime_s": round(runtime, 3) if runtime is not None else None,
            "error": self.error,
            "links": {"self": f"/api/jobs/{self.id}", "events": f"/api/jobs/{self.id}/events"},
        }
        if include_result:
            doc["result"] = self.result
            doc["extras"] = self.extras
        return doc


def _error_doc(exc: BaseException) -> dict[str, Any]:
    """What a client sees of a failure: deorbit's own message, or the exception's type only."""
    if isinstance(exc, DeorbitError):
        return {
            "type": type(exc).__name__,
            "message": str(exc),
            "input_error": isinstance(exc, InputError),
        }
    return {
        "type": type(exc).__name__,
        "message": f"internal error ({type(exc).__name__}: {exc})",
        "input_error": False,
    }


def _child_main(kind: JobKind, params: BaseModel, conn: Connection) -> None:
    """Entry point of a worker process: run the job, send progress, then the outcome."""

    def progress(fraction: float | None, message: str) -> None:
        conn.send(("progress", fraction, message))

    try:
        out = kind.run(params, progress)
        if not isinstance(out, JobResult):
            out = JobResult(result=out)
        conn.send(("done", out.result, out.extras))
    except BaseException as exc:  # report everything; the parent decides
        conn.send(("error", _error_doc(exc), traceback.format_exc(limit=5)))
    finally:
        conn.close()


class JobManager:
    """Bounded background jobs (see the module docstring)."""

    def __init__(
        self,
        *,
        max_running: int = 1,
        max_queued: int = 8,
        keep_s: float = 3600.0,
        keep_max: int = 100,
        force_thread: bool = False,
    ) -> None:
        if max_running < 1:
            raise ValueError("max_running must be at least 1")
        self.max_running = max_running
        self.max_queued = max_queued
        self.keep_s = keep_s
        self.keep_max = keep_max
        #: Run "process" kinds in threads too (debugging; no hard cancellation then).
        self.force_thread = force_thread
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: deque[Job] = deque()
        self._running = 0
        self._closed = False
        self._ctx = multiprocessing.get_context("spawn")

    # -- public API ----------------------------------------------------------------------------
    def submit(self, kind: JobKind, params: BaseModel) -> tuple[Job, bool]:
        """Queue a job, or return the kept identical one; (job, created)."""
        key = f"{kind.name}:{params.model_dump_json()}"
        with self._lock:
            if self._closed:
                raise QueueFull("the service is shutting down")
            self._expire()
            for job in reversed(self._jobs.values()):
                if job.key == key and job.status not in ("failed", "cancelled"):
                    return job, False
            if len(self._queue) >= self.max_queued:
                raise QueueFull(
                    f"{len(self._queue)} jobs are already waiting (limit {self.max_queued}); "
                    "try again when one has finished"
                )
            job = Job(id=uuid.uuid4().hex, kind=kind, params=params, key=key)
            self._jobs[job.id] = job
            self._queue.append(job)
            self._start_queued()
            return job, True

    def get(self, job_id: str) -> Job | None:
        """The job with this id, if it is still kept."""
        with self._lock:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        """Kept jobs, oldest first."""
        with self._lock:
            self._expire()
            return list(self._jobs.values())

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued or running job (no effect on a finished one)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.status in FINISHED:
                return job
            job.cancel_requested.set()
            if job.status == "queued":
                self._queue.remove(job)
                self._finish(job, "cancelled", "cancelled before it started")
        return job

    def wait(self, job_id: str, timeout_s: float) -> Job | None:
        """Block until the job finishes or ``timeout_s`` passes; the job (or None)."""
        job = self.get(job_id)
        if job is not None:
            job.done.wait(timeout_s)
        return job

    def wait_change(self, job: Job, version: int, timeout_s: float) -> int:
        """Block until ``job.version`` differs from ``version`` (or timeout); the new version."""
        with self._changed:
            self._changed.wait_for(lambda: job.version != version, timeout=timeout_s)
            return job.version

    def counts(self) -> dict[str, int]:
        """Running and queued jobs, and the limits."""
        with self._lock:
            return {
                "running": self._running,
                "queued": len(self._queue),
                "max_running": self.max_running,
                "max_queued": self.max_queued,
            }

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Cancel everything and wait (briefly) for the drivers to stop."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
        for job in jobs:
            self.cancel(job.id)
        deadline = time.monotonic() + timeout_s
        for job in jobs:
            job.done.wait(max(0.0, deadline - time.monotonic()))

    # -- internals (called with the lock held unless noted) ---------------------------------
    def _touch(self, job: Job) -> None:
        job.version += 1
        self._changed.notify_all()

    def _finish(self, job: Job, status: Status, message: str) -> None:
        job.status = status
        job.message = message
        job.finished = datetime.now(UTC)
        if status == "succeeded":
            job.progress = 1.0
        self._touch(job)
        job.done.set()

    def _start_queued(self) -> None:
        while self._queue and self._running < self.max_running:
            job = self._queue.popleft()
            self._running += 1
            job.status = "running"
            job.message = "starting"
            job.started = datetime.now(UTC)
            self._touch(job)
            threading.Thread(target=self._drive, args=(job,), daemon=True).start()

    def _expire(self) -> None:
        now = datetime.now(UTC)
        finished = [j for j in self._jobs.values() if j.status in FINISHED]
        for job in finished:
            if job.finished and (now - job.finished).total_seconds() > self.keep_s:
                del self._jobs[job.id]
        finished = [j for j in self._jobs.values() if j.status in FINISHED]
        for job in finished[: max(0, len(finished) - self.keep_max)]:
            del self._jobs[job.id]

    def _progress(self, job: Job, fraction: float | None, message: str) -> None:
        with self._lock:
            if job.status == "running":
                job.progress = None if fraction is None else min(1.0, max(0.0, float(fraction)))
                job.message = str(message)[:500]
                self._touch(job)

    def _drive(self, job: Job) -> None:
        """Run one job to its end (in its own thread, without the lock)."""
        try:
            if job.kind.isolation == "process" and not self.force_thread:
                outcome = self._run_in_process(job)
            else:
                outcome = self._run_in_thread(job)
        except BaseException as exc:  # the driver itself must never die silently
            outcome = ("failed", None, {}, _error_doc(exc))
        status, result, extras, error = outcome
        with self._lock:
            self._running -= 1
            if job.status == "running":
                job.result, job.extras, job.error = result, extras, error
                if status == "succeeded":
                    message = "done"
                elif status == "cancelled":
                    message = "cancelled"
                else:
                    message = (error or {}).get("message", "failed")
                self._finish(job, status, message)
            self._start_queued()

    def _run_in_thread(self, job: Job) -> tuple[str, Any, dict, Any]:
        def progress(fraction: float | None, message: str) -> None:
            if job.cancel_requested.is_set():
                raise JobCancelled(job.id)
            self._progress(job, fraction, message)

        if job.cancel_requested.is_set():
            return "cancelled", None, {}, None
        try:
            out = job.kind.run(job.params, progress)
        except JobCancelled:
            return "cancelled", None, {}, None
        except BaseException as exc:
            return "failed", None, {}, _error_doc(exc)
        if job.cancel_requested.is_set():
            return "cancelled", None, {}, None
        if not isinstance(out, JobResult):
            out = JobResult(result=out)
        return "succeeded", out.result, out.extras, None

    def _run_in_process(self, job: Job) -> tuple[str, Any, dict, Any]:
        parent, child = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(
            target=_child_main,
            args=(job.kind, job.params, child),
            name=f"deorbit-job-{job.kind.name}-{job.id[:8]}",
            daemon=True,
        )
        self._progress(job, job.progress, "starting a worker process")
        proc.start()
        child.close()
        deadline = time.monotonic() + job.kind.timeout_s
        outcome: tuple[str, Any, dict, Any] | None = None
        try:
            while outcome is None:
                if job.cancel_requested.is_set():
                    outcome = ("cancelled", None, {}, None)
                    break
                if time.monotonic() > deadline:
                    outcome = (
                        "failed",
                        None,
                        {},
                        {
                            "type": "Timeout",
                            "message": f"stopped after {job.kind.timeout_s:g} s (the limit "
                            f"for {job.kind.name} jobs)",
                            "input_error": False,
                        },
                    )
                    break
                ready = wait([parent, proc.sentinel], timeout=0.2)
                if parent in ready:
                    try:
                        message = parent.recv()
                    except EOFError:
                        message = None
                    if message is None:
                        pass
                    elif message[0] == "progress":
                        self._progress(job, message[1], message[2])
                        continue
                    elif message[0] == "done":
                        outcome = ("succeeded", message[1], message[2], None)
                        break
                    elif message[0] == "error":
                        outcome = ("failed", None, {}, message[1])
                        break
                if proc.sentinel in ready and not parent.poll():
                    proc.join(1.0)
                    outcome = (
                        "failed",
                        None,
                        {},
                        {
                            "type": "WorkerDied",
                            "message": f"the worker process exited (code {proc.exitcode}) "
                            "without an answer",
                            "input_error": False,
                        },
                    )
        finally:
            if proc.is_alive():
                proc.terminate()
                proc.join(2.0)
                if proc.is_alive():
                    proc.kill()
                    proc.join(2.0)
            parent.close()
        return outcome

"""The local web service, its background jobs and the dashboard (``deorbit serve``).

- :mod:`deorbit.service.app` -- :func:`create_app` (FastAPI) and :func:`serve` (uvicorn);
- :mod:`deorbit.service.jobs` -- the bounded background job manager;
- :mod:`deorbit.service.registry` -- the job kinds (exposure, predict, and those added later);
- :mod:`deorbit.service.objects` -- objects as names/numbers only, and the search box;
- :mod:`deorbit.service.views` -- map and chart data shared with :mod:`deorbit.report`;
- ``static/`` -- the dashboard, built from ``frontend/`` (see docs/notes/service.md).

FastAPI and uvicorn are the ``service`` extra; importing this package does not need them,
only :func:`create_app` and :func:`serve` do.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "serve"]


def create_app(**kwargs: Any) -> Any:
    """:func:`deorbit.service.app.create_app` (imported on first use)."""
    from deorbit.service.app import create_app as _create_app

    return _create_app(**kwargs)


def serve(host: str = "127.0.0.1", port: int = 8000, **kwargs: Any) -> None:
    """:func:`deorbit.service.app.serve` (imported on first use)."""
    from deorbit.service.app import serve as _serve

    _serve(host, port, **kwargs)

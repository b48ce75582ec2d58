"""Reference data shipped inside the package, read with :mod:`importlib.resources`.

See ``PROVENANCE.md`` in this folder for the source and licence of every file.  Nothing here is
downloaded at import or at run time.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from importlib.resources.abc import Traversable

__all__ = ["as_file", "data_file"]


def data_file(*parts: str) -> Traversable:
    """The bundled file ``deorbit/data/<parts...>`` (a Traversable: use ``.open()`` or ``as_file``)."""
    resource = files(__name__)
    for part in parts:
        resource = resource.joinpath(part)
    if not resource.is_file():
        raise FileNotFoundError(f"bundled data file missing: deorbit/data/{'/'.join(parts)}")
    return resource

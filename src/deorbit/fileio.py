"""Where deorbit keeps the user's files, and atomic file output (a reader sees the old file or
the new one, never half of either).

Two folders, following the XDG base-directory convention:

* the **data** folder holds what the user would lose work by deleting: the element-history
  store (``elements.sqlite``, built by ``deorbit ingest`` / ``fetch``) and refreshed space
  weather (``SW-All.csv``): ``$DEORBIT_DATA_DIR``, else ``$XDG_DATA_HOME/deorbit``, else
  ``~/.local/share/deorbit``;
* the **cache** folder holds what can be rebuilt at any time (parsed space-weather arrays):
  ``$DEORBIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/deorbit``, else ``~/.cache/deorbit``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_text", "user_cache_dir", "user_data_dir"]


def user_data_dir() -> Path:
    """``$DEORBIT_DATA_DIR``, else ``$XDG_DATA_HOME/deorbit``, else ``~/.local/share/deorbit``."""
    return _xdg_dir("DEORBIT_DATA_DIR", "XDG_DATA_HOME", (".local", "share"))


def user_cache_dir() -> Path:
    """``$DEORBIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/deorbit``, else ``~/.cache/deorbit``."""
    return _xdg_dir("DEORBIT_CACHE_DIR", "XDG_CACHE_HOME", (".cache",))


def _xdg_dir(own: str, xdg: str, home_parts: tuple[str, ...]) -> Path:
    env = os.environ.get(own)
    if env:
        return Path(env).expanduser()
    base = os.environ.get(xdg)
    return (Path(base).expanduser() if base else Path.home().joinpath(*home_parts)) / "deorbit"


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    The folder is created when missing.  On any failure the temporary file is removed and the
    previous content of ``path`` (if any) is left untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Text version of :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode(encoding))

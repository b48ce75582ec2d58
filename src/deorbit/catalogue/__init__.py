"""Catalogue-scale work: bulk ingest into the element store, screening, and the re-entry watch.

* :mod:`.ingest` -- TLE/OMM/GP files (and CelesTrak answers) into :class:`~deorbit.store.
  ElementStore`, with a columnar TLE reader that stores >100,000 sets/s;
* :mod:`.screen` -- a vectorised King-Hele lifetime estimate for every object, to pick the
  few that need a full Monte Carlo prediction;
* :mod:`.watch` -- screening and Monte Carlo as Dask tasks, the ranked list of upcoming
  re-entries, JSON and CSV;
* :mod:`.synthetic` -- synthetic LEO catalogues for benchmarks and tests.

See ``docs/notes/catalogue.md`` for the design, the measured speeds and the accuracy.
"""

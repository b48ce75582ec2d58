"""deorbit: where does it fly, when will it come down, where can it fall, and who is under it?

The public API is small and layered (see docs/architecture.md):

- :mod:`deorbit.elements` - the :class:`ElementSet` type every source produces;
- :mod:`deorbit.formats` - parsers for TLE, CCSDS OMM (KVN/XML) and CelesTrak GP (JSON/CSV);
- :mod:`deorbit.propagate` and :mod:`deorbit.frames` - vectorised SGP4 and TEME -> ITRS -> WGS-84;
- :mod:`deorbit.geography` - countries, ocean and population under a track;
- :mod:`deorbit.exposure` - long-run and windowed share of time over each country.
"""

__version__ = "0.1.0"

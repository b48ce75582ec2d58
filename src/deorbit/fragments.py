"""What survives re-entry: fragment lists (parsed from JSON or YAML) and a default model.

What
    A :class:`FragmentList` is the set of objects that come out of the break-up of a re-entering
    spacecraft: for each fragment *class* a name, a mass (kg), a mean projected area (m^2,
    averaged over a tumbling attitude), a count (identical pieces), whether it demises (burns up
    before reaching the ground: it then carries no casualty area) and its ballistic coefficient
    ``bc_m2_per_kg = Cd A / m`` (the convention of :mod:`deorbit.drag`).  Its inverse
    ``beta_kg_m2 = m / (Cd A)`` is the "mass-to-drag" ratio that sets how far a fragment flies
    after break-up (:mod:`deorbit.footprint`): dense, compact pieces (large ``beta``) travel far,
    light, draggy ones stop short.

File format (JSON always; YAML too when PyYAML is installed)
    Either a list of entries, or an object ``{"object": ..., "source": ..., "notes": ...,
    "fragments": [...]}``.  Each entry::

        {"name": "battery box", "mass_kg": 42.0, "area_m2": 0.35,
         "count": 2,                 # optional, default 1 (integer, 1..100000)
         "demise": false,            # optional, default false
         "bc_m2_per_kg": 0.011}      # optional, default Cd * area_m2 / mass_kg, Cd = 1.2

    Validation is strict: unknown fields, wrong types (``true`` is not a number, ``2.5`` is not a
    count), non-finite, zero, negative or absurd values (mass > 1e6 kg, area > 1e4 m^2,
    count > 1e5, bc outside [1e-5, 100] m^2/kg) raise :class:`~deorbit.errors.InputError`
    naming the file, the entry (index and name) and the field.

Default model (:func:`default_fragments`), used when only the total mass is known
    *Surviving mass.*  Re-entry analyses of large spacecraft with NASA DAS/ORSAT and ESA
    DRAMA/SCARAB find that 10-40 % of the dry mass reaches the ground (the range quoted by
    ESA's Space Debris Office and by Ailor et al., "Space debris reentry hazards", in
    *Space Safety Regulations and Standards*, 2010; Lips & Fritsche, "A comparison of commonly
    used re-entry analysis tools", Acta Astronautica 57, 2005, show the tools agree on the
    surviving mass within roughly a factor 2).  Examples: UARS 532 of 5,668 kg (9 %, NASA
    2011), Columbia ~38 % of the orbiter recovered, ROSAT ~1.6 of 2.4 t (66 %, a glass-ceramic
    mirror).  Central value :data:`SURVIVING_FRACTION` = 0.25 (the middle of 10-40 %), spread
    :data:`SURVIVING_FRACTION_RANGE` = (0.10, 0.40), to be read as a uniform uncertainty.

    *Sizes.*  Survivors are components (tanks, reaction wheels, batteries, structure, optics)
    of a few kg to a few tonnes.  The default spreads the surviving mass *equally over
    logarithmic mass intervals* (dM/d ln m constant, i.e. dN/dm ~ m^-2) between
    :data:`MIN_FRAGMENT_KG` = 5 kg and ``min(surviving mass / 4, 5 t)``.  This is deorbit's
    assumption, not a published law: it gives a mean mass of ~20 kg for UARS-sized objects
    (UARS: 26 objects, 532 kg, mean 20 kg) and ~35 kg for the ISS (Mir: ~1,500 surviving
    fragments for 135 t, ~20 kg each, a few of them several tonnes).
    Each fragment's tumble-averaged area is that of a compact body of effective bulk density
    :data:`BULK_DENSITY_KG_M3` = 1,000 kg/m^3 (hollow tanks ~200, batteries and wheels
    ~2,000-3,000, solid metal > 2,700): ``A = 1.5 (m / rho)^(2/3)`` (a cube's mean projected
    area is a quarter of its surface, 1.5 L^2, by Cauchy's theorem).  A 20 kg piece gets
    0.11 m^2, i.e. 0.87 m^2 of casualty area, the UARS average (22.5 m^2 / 26 objects): the
    density was chosen with that figure in mind, so UARS is not an independent check of it.
    The ISS (420 t, 25 % surviving) becomes ~3,000 fragments of 5 kg-5 t.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from deorbit.errors import InputError

__all__ = [
    "BULK_DENSITY_KG_M3",
    "DEFAULT_CD",
    "MAX_AREA_M2",
    "MAX_COUNT",
    "MAX_MASS_KG",
    "MIN_FRAGMENT_KG",
    "SURVIVING_FRACTION",
    "SURVIVING_FRACTION_RANGE",
    "Fragment",
    "FragmentList",
    "default_fragments",
    "fragments_to_json",
    "load_fragments",
    "parse_fragments",
]

#: Drag coefficient used to derive ``bc_m2_per_kg`` when a fragment gives none: a tumbling
#: compact body in hypersonic continuum flow below ~80 km (sphere 0.92, tumbling cube and
#: cylinder 1.1-1.3, flat plate broadside ~1.8; Klinkrad, *Space Debris*, 2006, ch. 8).
DEFAULT_CD = 1.2
#: Central surviving mass fraction of a large spacecraft (see the module docstring).
SURVIVING_FRACTION = 0.25
#: Literature range of the surviving mass fraction (NASA DAS / ESA DRAMA studies).
SURVIVING_FRACTION_RANGE = (0.10, 0.40)
#: Smallest fragment of the default model (kg).
MIN_FRAGMENT_KG = 5.0
#: Largest fragment of the default model (kg), also capped at a quarter of the surviving mass.
MAX_DEFAULT_FRAGMENT_KG = 5000.0
#: Effective bulk density of the default model's fragments (kg/m^3).
BULK_DENSITY_KG_M3 = 1000.0
#: Mass classes per factor 10 of mass in the default model.
_CLASSES_PER_DECADE = 4

#: Sanity limits: anything beyond is a unit or typing error, not a fragment.
MAX_MASS_KG = 1e6
MAX_AREA_M2 = 1e4
MAX_COUNT = 100_000
_BC_RANGE = (1e-5, 100.0)

_FIELDS = ("name", "mass_kg", "area_m2", "count", "demise", "bc_m2_per_kg")
_TOP_FIELDS = ("object", "source", "notes", "fragments")


@dataclass(frozen=True)
class Fragment:
    """One fragment class: ``count`` identical pieces of ``mass_kg`` and mean area ``area_m2``."""

    name: str
    mass_kg: float
    area_m2: float
    count: int = 1
    demise: bool = False
    #: Cd A / m (m^2/kg); None = derive with :data:`DEFAULT_CD`.
    bc_m2_per_kg: float | None = None

    @property
    def bc(self) -> float:
        """The ballistic coefficient in use (m^2/kg), given or derived."""
        if self.bc_m2_per_kg is not None:
            return self.bc_m2_per_kg
        return DEFAULT_CD * self.area_m2 / self.mass_kg


@dataclass(frozen=True, eq=False)
class FragmentList:
    """Fragment classes as arrays (shape (K,)), ready for vectorised footprints.

    Build with :meth:`from_fragments`, :func:`parse_fragments`, :func:`load_fragments` or
    :func:`default_fragments`; every constructor validates.
    """

    names: tuple[str, ...]
    mass_kg: npt.NDArray[np.float64]
    area_m2: npt.NDArray[np.float64]
    count: npt.NDArray[np.int64]
    demise: npt.NDArray[np.bool_]
    bc_m2_per_kg: npt.NDArray[np.float64]
    #: Where the list came from (file name, "default model ...").
    source: str = ""
    #: Name of the parent object, when the file gives it.
    object_name: str | None = None

    @classmethod
    def from_fragments(
        cls, fragments: Iterable[Fragment], *, source: str = "", object_name: str | None = None
    ) -> FragmentList:
        """Validate ``fragments`` (see the module docstring) and pack them into arrays."""
        frags = list(fragments)
        if not frags:
            raise InputError("the fragment list is empty", source=source or None)
        for k, f in enumerate(frags):
            _check_entry(
                {name: getattr(f, name) for name in _FIELDS if getattr(f, name) is not None},
                k,
                source,
            )
        return cls(
            names=tuple(f.name for f in frags),
            mass_kg=np.array([f.mass_kg for f in frags], dtype=np.float64),
            area_m2=np.array([f.area_m2 for f in frags], dtype=np.float64),
            count=np.array([f.count for f in frags], dtype=np.int64),
            demise=np.array([f.demise for f in frags], dtype=bool),
            bc_m2_per_kg=np.array([f.bc for f in frags], dtype=np.float64),
            source=source,
            object_name=object_name,
        )

    def __len__(self) -> int:
        return len(self.names)

    @property
    def beta_kg_m2(self) -> npt.NDArray[np.float64]:
        """Mass-to-drag ratio m / (Cd A) = 1 / ``bc_m2_per_kg`` (kg/m^2)."""
        return 1.0 / self.bc_m2_per_kg

    @property
    def n_pieces(self) -> int:
        """Number of physical pieces (sum of counts)."""
        return int(self.count.sum())

    @property
    def total_mass_kg(self) -> float:
        """Mass of all pieces, demising or not (kg)."""
        return float(np.sum(self.mass_kg * self.count))

    @property
    def surviving_mass_kg(self) -> float:
        """Mass of the pieces that reach the ground (kg)."""
        return float(np.sum((self.mass_kg * self.count)[~self.demise]))

    def surviving(self) -> FragmentList:
        """The classes that reach the ground (``demise`` false)."""
        keep = ~self.demise
        if not keep.any():
            raise InputError("every fragment demises: nothing reaches the ground", field="demise")
        return FragmentList(
            tuple(n for n, k in zip(self.names, keep, strict=True) if k),
            self.mass_kg[keep],
            self.area_m2[keep],
            self.count[keep],
            self.demise[keep],
            self.bc_m2_per_kg[keep],
            self.source,
            self.object_name,
        )

    def to_fragments(self) -> list[Fragment]:
        """Back to a list of :class:`Fragment` (``bc_m2_per_kg`` always explicit)."""
        return [
            Fragment(n, float(m), float(a), int(c), bool(d), float(b))
            for n, m, a, c, d, b in zip(
                self.names,
                self.mass_kg,
                self.area_m2,
                self.count,
                self.demise,
                self.bc_m2_per_kg,
                strict=True,
            )
        ]


# -- parsing ------------------------------------------------------------------------------------


def load_fragments(path: str | Path) -> FragmentList:
    """Read a fragment list from a ``.json`` or ``.yaml``/``.yml`` file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot read fragment list: {exc.strerror or exc}", source=str(p)
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError("fragment list is not UTF-8 text", source=str(p)) from exc
    fmt = "yaml" if p.suffix.lower() in (".yaml", ".yml") else "json"
    return parse_fragments(text, source=str(p), fmt=fmt)


def parse_fragments(text: str, *, source: str = "<fragments>", fmt: str = "json") -> FragmentList:
    """Parse and validate fragment-list text (``fmt`` "json" or "yaml")."""
    if fmt == "json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", source=source, line=exc.lineno) from exc
    elif fmt == "yaml":
        try:
            import yaml
        except ImportError as exc:
            raise InputError(
                "YAML fragment lists need PyYAML (pip install pyyaml); use JSON", source=source
            ) from exc
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            raise InputError(f"invalid YAML: {exc}", source=source, line=line) from exc
    else:
        raise InputError(f"unknown fragment-list format {fmt!r} (json or yaml)", field="fmt")
    return _from_document(doc, source)


def _from_document(doc: Any, source: str) -> FragmentList:
    object_name = None
    if isinstance(doc, Mapping):
        unknown = sorted(str(k) for k in doc if k not in _TOP_FIELDS)
        if unknown:
            raise InputError(
                f"unknown top-level field(s) {unknown}; allowed {list(_TOP_FIELDS)}",
                source=source,
                field=unknown[0],
            )
        if "fragments" not in doc:
            raise InputError("no 'fragments' list", source=source, field="fragments")
        object_name = doc.get("object")
        if object_name is not None and not isinstance(object_name, str):
            raise InputError("'object' must be a string", source=source, field="object")
        entries = doc["fragments"]
    else:
        entries = doc
    if not isinstance(entries, list):
        raise InputError(
            f"expected a list of fragments, got {type(entries).__name__}",
            source=source,
            field="fragments",
        )
    if not entries:
        raise InputError("the fragment list is empty", source=source, field="fragments")
    frags = []
    for k, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise InputError(
                f"fragment #{k} is a {type(entry).__name__}, not an object",
                source=source,
                field=f"fragments[{k}]",
            )
        _check_entry(entry, k, source)
        frags.append(
            Fragment(
                name=entry["name"],
                mass_kg=float(entry["mass_kg"]),
                area_m2=float(entry["area_m2"]),
                count=int(entry.get("count", 1)),
                demise=bool(entry.get("demise", False)),
                bc_m2_per_kg=(
                    None if entry.get("bc_m2_per_kg") is None else float(entry["bc_m2_per_kg"])
                ),
            )
        )
    return FragmentList.from_fragments(frags, source=source, object_name=object_name)


def _check_entry(entry: Mapping[str, Any], k: int, source: str) -> None:
    """Raise InputError naming file, entry and field for anything wrong in one entry."""
    raw_name = entry.get("name")
    label = f"fragment #{k}" + (f" ({raw_name!r})" if isinstance(raw_name, str) else "")

    def fail(field: str, message: str) -> None:
        raise InputError(f"{label}: {message}", source=source or None, field=field)

    unknown = sorted(str(f) for f in entry if f not in _FIELDS)
    if unknown:
        fail(unknown[0], f"unknown field(s) {unknown}; allowed {list(_FIELDS)}")
    for req in ("name", "mass_kg", "area_m2"):
        if req not in entry:
            fail(req, f"missing required field {req!r}")
    if not isinstance(raw_name, str) or not raw_name.strip():
        fail("name", "name must be a non-empty string")
    limits = {"mass_kg": MAX_MASS_KG, "area_m2": MAX_AREA_M2}
    for field, upper in limits.items():
        v = entry[field]
        if not _is_number(v):
            fail(field, f"{field} must be a number, got {v!r}")
        if not (math.isfinite(v) and 0.0 < v <= upper):
            fail(field, f"{field} = {v!r} is outside (0, {upper:g}]")
    if "count" in entry:
        c = entry["count"]
        if isinstance(c, bool) or not isinstance(c, int | np.integer):
            fail("count", f"count must be an integer, got {c!r}")
        if not 1 <= c <= MAX_COUNT:
            fail("count", f"count = {c} is outside [1, {MAX_COUNT}]")
    if "demise" in entry and not isinstance(entry["demise"], bool | np.bool_):
        fail("demise", f"demise must be true or false, got {entry['demise']!r}")
    if entry.get("bc_m2_per_kg") is not None:
        b = entry["bc_m2_per_kg"]
        if not _is_number(b):
            fail("bc_m2_per_kg", f"bc_m2_per_kg must be a number, got {b!r}")
        lo, hi = _BC_RANGE
        if not (math.isfinite(b) and lo <= b <= hi):
            fail("bc_m2_per_kg", f"bc_m2_per_kg = {b!r} is outside [{lo:g}, {hi:g}] m^2/kg")
    else:
        bc = DEFAULT_CD * float(entry["area_m2"]) / float(entry["mass_kg"])
        lo, hi = _BC_RANGE
        if not lo <= bc <= hi:
            fail(
                "area_m2",
                f"area/mass gives bc = {bc:.3g} m^2/kg outside [{lo:g}, {hi:g}]: "
                "check the units of mass_kg and area_m2",
            )


def _is_number(v: Any) -> bool:
    return not isinstance(v, bool | np.bool_) and isinstance(
        v, int | float | np.integer | np.floating
    )


# -- default model ------------------------------------------------------------------------------


def default_fragments(
    total_mass_kg: float,
    surviving_fraction: float = SURVIVING_FRACTION,
    *,
    name: str = "spacecraft",
) -> FragmentList:
    """Surviving fragments of a spacecraft of which only the total mass is known.

    The surviving mass ``surviving_fraction * total_mass_kg`` is spread equally over
    logarithmic mass intervals between :data:`MIN_FRAGMENT_KG` and
    ``min(surviving mass / 4, 5 t)``, in classes of a factor 10^(1/4) in mass; each class gets an
    integer count (at least one piece) and the class mass that preserves its share of the
    surviving mass; areas follow ``A = 1.5 (m / rho)^(2/3)`` with ``rho`` =
    :data:`BULK_DENSITY_KG_M3`, and ``bc = DEFAULT_CD * A / m``.  See the module docstring for
    the sources and the caveats.  Accuracy: a factor ~2 in casualty area, the spread between
    re-entry tools on a known design (Lips & Fritsche 2005) and well inside the 10-40 %
    survival range.
    """
    if not (_is_number(total_mass_kg) and 0.0 < total_mass_kg <= MAX_MASS_KG):
        raise InputError(
            f"total mass {total_mass_kg!r} kg is outside (0, {MAX_MASS_KG:g}]",
            field="total_mass_kg",
        )
    if not (_is_number(surviving_fraction) and 0.0 < surviving_fraction <= 1.0):
        raise InputError(
            f"surviving fraction {surviving_fraction!r} is outside (0, 1]",
            field="surviving_fraction",
        )
    m_surv = float(total_mass_kg) * float(surviving_fraction)
    m_min = MIN_FRAGMENT_KG
    m_max = min(m_surv / 4.0, MAX_DEFAULT_FRAGMENT_KG)
    if m_max <= m_min:  # small object: one surviving piece
        masses, counts = np.array([m_surv]), np.array([1])
    else:
        n_cls = max(1, math.ceil(_CLASSES_PER_DECADE * math.log10(m_max / m_min)))
        edges = np.geomspace(m_min, m_max, n_cls + 1)
        class_mass = np.full(n_cls, m_surv / n_cls)  # equal mass per log interval
        # Pieces per class: mass / (mass-weighted mean of m in the class, dN/dm ~ m^-2).
        mean_m = np.log(edges[1:] / edges[:-1]) / (1.0 / edges[:-1] - 1.0 / edges[1:])
        counts = np.maximum(1, np.rint(class_mass / mean_m)).astype(np.int64)
        masses = class_mass / counts
    areas = 1.5 * (masses / BULK_DENSITY_KG_M3) ** (2.0 / 3.0)
    frags = [
        Fragment(f"{name} fragment {m:.3g} kg", float(m), float(a), int(c))
        for m, a, c in zip(masses, areas, counts, strict=True)
    ]
    src = (
        f"default model: {surviving_fraction:.0%} of {total_mass_kg:g} kg survives "
        f"(deorbit.fragments.default_fragments)"
    )
    return FragmentList.from_fragments(frags, source=src, object_name=name)


def fragments_to_json(fragments: FragmentList | Sequence[Fragment]) -> str:
    """Serialise a fragment list in the file format :func:`parse_fragments` reads."""
    frags = fragments.to_fragments() if isinstance(fragments, FragmentList) else list(fragments)
    entries = [
        {
            "name": f.name,
            "mass_kg": f.mass_kg,
            "area_m2": f.area_m2,
            "count": f.count,
            "demise": f.demise,
            "bc_m2_per_kg": f.bc,
        }
        for f in frags
    ]
    return json.dumps({"fragments": entries}, indent=1)

"""Small, exact geometry for the mobile-data indicators: great-circle distances, a spatial index
answering "is this point within range of any of these sites?", and GeoJSON point-in-polygon.

Coordinates are WGS84 lon/lat in degrees on a sphere of the IUGG mean Earth radius. Distances
are haversine (great-circle) distances; at the 100 m - 30 km scale of cell ranges the sphere
differs from the ellipsoid by well under 0.5%.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from ecomstat.indicators.errors import InvalidIndicatorInput

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius
_QUERY_CHUNK = 1_000_000  # points per k-d tree query: bounds memory on huge grids


def haversine_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Great-circle distance in metres between points given in degrees (numpy broadcasting)."""
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def to_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Earth-centred cartesian coordinates in metres, shape (n, 3).

    Straight-line (chord) distance between two such points grows monotonically with their
    great-circle distance, so a chord threshold is an exact haversine threshold; and there is
    no antimeridian or pole seam."""
    lon_r = np.radians(np.asarray(lon, dtype=float))
    lat_r = np.radians(np.asarray(lat, dtype=float))
    cos_lat = np.cos(lat_r)
    return EARTH_RADIUS_M * np.column_stack(
        (cos_lat * np.cos(lon_r), cos_lat * np.sin(lon_r), np.sin(lat_r))
    )


def chord_m(distance_m: np.ndarray) -> np.ndarray:
    """The chord length of a great-circle arc of `distance_m` metres."""
    return 2 * EARTH_RADIUS_M * np.sin(np.asarray(distance_m, dtype=float) / (2 * EARTH_RADIUS_M))


class RangeIndex:
    """Answers "which query points lie within range of at least one site?" without testing all
    (point, site) pairs, even though every site has its own range.

    Power-distance lifting: with site s at chord coordinates c_s and chord range r_s, give it a
    fourth coordinate w_s = sqrt(K - r_s^2), K = max r^2, and give query points w = 0. Then the
    squared 4-D distance is |p - c_s|^2 + K - r_s^2, so the NEAREST lifted site minimises
    |p - c_s|^2 - r_s^2 and the point is covered by some site iff that minimum is <= 0, i.e. iff
    the nearest lifted distance^2 <= K. One exact k-d tree nearest-neighbour query per point.

    Sites are split into range classes (factor 2 apart), one lifted tree each: within a class
    the fourth coordinate varies little, so the trees prune as well as plain spatial ones (7x
    faster on Munich's mix of 500 m and 27 km ranges). Classes are queried from the longest
    ranges down, each only for the points still uncovered.
    """

    def __init__(self, lon: np.ndarray, lat: np.ndarray, range_m: np.ndarray) -> None:
        ranges = np.asarray(range_m, dtype=float)
        keep = ranges > 0  # NaN compares False: sites without a range cover nothing
        self.size = int(keep.sum())
        self._trees: list[tuple[cKDTree, float]] = []
        if self.size == 0:
            return
        chord = chord_m(ranges[keep])
        xyz = to_xyz(np.asarray(lon, dtype=float)[keep], np.asarray(lat, dtype=float)[keep])
        range_class = np.floor(np.log2(chord)).astype(int)
        for value in sorted(set(range_class.tolist()), reverse=True):
            members = range_class == value
            k = float(np.max(chord[members]) ** 2)
            lift = np.sqrt(np.maximum(k - chord[members] ** 2, 0.0))
            tree = cKDTree(np.column_stack((xyz[members], lift)))
            # 1 micrometre of slack: a point exactly on the range circle counts as covered
            # despite rounding in the lifted coordinates.
            self._trees.append((tree, np.sqrt(k) + 1e-6))

    def covered(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Boolean array: is each (lon, lat) within range (haversine) of at least one site?"""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        result = np.zeros(lon.shape[0], dtype=bool)
        for start in range(0, lon.shape[0], _QUERY_CHUNK):
            stop = min(start + _QUERY_CHUNK, lon.shape[0])
            points = np.column_stack(
                (to_xyz(lon[start:stop], lat[start:stop]), np.zeros(stop - start))
            )
            todo = np.arange(stop - start)
            for tree, bound in self._trees:
                if todo.size == 0:
                    break
                distance, _ = tree.query(points[todo], k=1, distance_upper_bound=bound)
                hit = distance <= bound
                result[start + todo[hit]] = True
                todo = todo[~hit]
        return result


@dataclass
class Area:
    """A named area: one or more polygons, each a list of rings (outer ring first, then holes),
    each ring an (n, 2) array of lon/lat."""

    name: str
    polygons: list[list[np.ndarray]] = field(default_factory=list)

    def bounds(self) -> tuple[float, float, float, float]:
        rings = np.vstack([ring for polygon in self.polygons for ring in polygon])
        return rings[:, 0].min(), rings[:, 1].min(), rings[:, 0].max(), rings[:, 1].max()

    def contains(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Boolean array; even-odd rule within each polygon (so holes are excluded), union over
        the polygons of a multipolygon."""
        from matplotlib.path import Path as MplPath  # C point-in-polygon, lazily imported

        points = np.column_stack((lon, lat))
        inside = np.zeros(points.shape[0], dtype=bool)
        for polygon in self.polygons:
            in_polygon = np.zeros(points.shape[0], dtype=bool)
            for ring in polygon:
                in_polygon ^= MplPath(ring).contains_points(points)
            inside |= in_polygon
        return inside


def _rings(coordinates: Any, where: str) -> list[np.ndarray]:
    if not isinstance(coordinates, list) or not coordinates:
        raise InvalidIndicatorInput(f"{where}: a polygon needs at least one ring")
    rings = []
    for ring in coordinates:
        try:
            array = np.asarray(ring, dtype=float)
        except (TypeError, ValueError):
            raise InvalidIndicatorInput(f"{where}: ring coordinates must be numbers") from None
        if array.ndim != 2 or array.shape[1] < 2 or array.shape[0] < 4:
            raise InvalidIndicatorInput(f"{where}: a ring needs at least 4 [lon, lat] positions")
        array = array[:, :2]
        if (
            not np.all(np.isfinite(array))
            or np.abs(array[:, 0]).max() > 180
            or np.abs(array[:, 1]).max() > 90
        ):
            raise InvalidIndicatorInput(f"{where}: ring coordinates outside lon/lat range")
        rings.append(array)
    return rings


def _features(document: Any) -> Iterator[dict[str, Any]]:
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise InvalidIndicatorInput("FeatureCollection without a 'features' list")
        yield from features
    elif kind == "Feature":
        yield document
    else:
        raise InvalidIndicatorInput(
            f"expected a GeoJSON FeatureCollection or Feature, got {kind!r}"
        )


def load_areas(path: str | Path, name_property: str = "name") -> list[Area]:
    """Read Polygon/MultiPolygon features from a GeoJSON file. Features sharing a name form one
    area (their union). Polygons must not cross the antimeridian (lon/lat is planar here)."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidIndicatorInput(f"cannot read areas file {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidIndicatorInput(f"areas file {path} is not valid GeoJSON: {exc}") from None
    areas: dict[str, Area] = {}
    for number, feature in enumerate(_features(document), start=1):
        where = f"{path}: feature {number}"
        if not isinstance(feature, dict):
            raise InvalidIndicatorInput(f"{where} is not an object")
        name = (feature.get("properties") or {}).get(name_property)
        if name is None or str(name).strip() == "":
            raise InvalidIndicatorInput(f"{where} has no '{name_property}' property")
        name = str(name).strip()
        if name in {"total", "outside"}:
            raise InvalidIndicatorInput(f"{where}: area name {name!r} is reserved")
        geometry = feature.get("geometry") or {}
        kind = geometry.get("type")
        if kind == "Polygon":
            polygons = [_rings(geometry.get("coordinates"), where)]
        elif kind == "MultiPolygon":
            parts = geometry.get("coordinates")
            if not isinstance(parts, list) or not parts:
                raise InvalidIndicatorInput(f"{where}: MultiPolygon without polygons")
            polygons = [_rings(part, where) for part in parts]
        else:
            raise InvalidIndicatorInput(
                f"{where}: geometry must be Polygon or MultiPolygon, got {kind!r}"
            )
        areas.setdefault(name, Area(name)).polygons.extend(polygons)
    if not areas:
        raise InvalidIndicatorInput(f"areas file {path} has no features")
    return list(areas.values())


def assign_areas(lon: np.ndarray, lat: np.ndarray, areas: Sequence[Area]) -> np.ndarray:
    """Index into `areas` of the area containing each point, -1 for none. A point in several
    (overlapping) areas goes to the first in file order. Bounding boxes prefilter the points."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    assigned = np.full(lon.shape[0], -1, dtype=np.int32)
    for index, area in enumerate(areas):
        west, south, east, north = area.bounds()
        candidates = np.flatnonzero(
            (assigned < 0) & (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
        )
        if candidates.size:
            inside = area.contains(lon[candidates], lat[candidates])
            assigned[candidates[inside]] = index
    return assigned

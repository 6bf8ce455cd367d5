"""Urban/rural breakdown for SDG 9.c.1: the grid classes of the Degree of Urbanisation (DEGURBA;
Eurostat, "Applying the Degree of Urbanisation", 2021 edition, chapter 2).

Population is summed into 1 km² cells of a Lambert azimuthal equal-area projection centred on
the data; then, per the manual's grid rules:

- urban centre: 4-connected cells (edges only) of >= 1,500 inhabitants/km² whose cluster holds
  >= 50,000 inhabitants; gaps are filled and edges smoothed by adding, repeatedly, any cell with
  at least 5 of its 8 neighbours in an urban centre;
- urban cluster: 8-connected cells (diagonals too) of >= 300 inhabitants/km² whose cluster holds
  >= 5,000 inhabitants, minus the urban-centre cells;
- rural: every other cell.

Simplifications, documented: the 1 km grid is the projection's own (not the official GEOSTAT
grid) and the gap filling does not check that the neighbours belong to the SAME centre. Every
input grid cell takes the class of the 1 km cell holding its centroid.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ecomstat.indicators.geo import EARTH_RADIUS_M

URBAN_CENTRE, URBAN_CLUSTER, RURAL = "urban centre", "urban cluster", "rural"
CLASSES = (URBAN_CENTRE, URBAN_CLUSTER, RURAL)
_KM = 1000.0
_CENTRE_DENSITY, _CENTRE_POPULATION = 1500.0, 50_000.0
_CLUSTER_DENSITY, _CLUSTER_POPULATION = 300.0, 5_000.0


def laea_xy(
    lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float
) -> tuple[np.ndarray, np.ndarray]:
    """Spherical Lambert azimuthal equal-area projection (metres) centred on (lon0, lat0)."""
    lam, phi = np.radians(lon) - np.radians(lon0), np.radians(lat)
    phi0 = np.radians(lat0)
    k = np.sqrt(2 / (1 + np.sin(phi0) * np.sin(phi) + np.cos(phi0) * np.cos(phi) * np.cos(lam)))
    x = EARTH_RADIUS_M * k * np.cos(phi) * np.sin(lam)
    y = EARTH_RADIUS_M * k * (np.cos(phi0) * np.sin(phi) - np.sin(phi0) * np.cos(phi) * np.cos(lam))
    return x, y


def _clusters(
    mask: np.ndarray, people: np.ndarray, structure: np.ndarray, minimum: float
) -> np.ndarray:
    labels, count = ndimage.label(mask, structure=structure)
    if count == 0:
        return np.zeros_like(mask)
    totals = np.bincount(labels.ravel(), weights=people.ravel(), minlength=count + 1)
    keep = totals >= minimum
    keep[0] = False  # background
    return keep[labels]


def degurba_classes(lon: np.ndarray, lat: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Index into CLASSES (0 urban centre, 1 urban cluster, 2 rural) for each grid cell."""
    classes = np.full(lon.shape[0], CLASSES.index(RURAL), dtype=np.int8)
    if lon.shape[0] == 0:
        return classes
    x, y = laea_xy(lon, lat, float(np.mean(lon)), float(np.mean(lat)))
    col = np.floor(x / _KM).astype(np.int64)
    row = np.floor(y / _KM).astype(np.int64)
    col -= col.min() - 1  # a one-cell empty margin keeps the neighbourhood rules simple
    row -= row.min() - 1
    shape = (int(row.max()) + 2, int(col.max()) + 2)
    flat = row * shape[1] + col
    people = np.bincount(flat, weights=population, minlength=shape[0] * shape[1]).reshape(shape)
    classes[:] = classify_km_cells(people).ravel()[flat]
    return classes


def classify_km_cells(people: np.ndarray) -> np.ndarray:
    """DEGURBA grid class (index into CLASSES) of each cell of a 2-D array of inhabitants per
    1 km² cell."""
    density = people  # inhabitants per km² on a 1 km² grid
    edges = ndimage.generate_binary_structure(2, 1)
    full = ndimage.generate_binary_structure(2, 2)
    centre = _clusters(density >= _CENTRE_DENSITY, people, edges, _CENTRE_POPULATION)
    ring = np.ones((3, 3), dtype=int)
    ring[1, 1] = 0
    while True:  # fill gaps / smooth edges: >= 5 of the 8 neighbours are urban centre
        neighbours = ndimage.convolve(centre.astype(int), ring, mode="constant")
        grow = (neighbours >= 5) & ~centre
        if not grow.any():
            break
        centre |= grow
    cluster = _clusters(density >= _CLUSTER_DENSITY, people, full, _CLUSTER_POPULATION) & ~centre
    cell_class = np.full(people.shape, CLASSES.index(RURAL), dtype=np.int8)
    cell_class[cluster] = CLASSES.index(URBAN_CLUSTER)
    cell_class[centre] = CLASSES.index(URBAN_CENTRE)
    return cell_class

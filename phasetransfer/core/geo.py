"""Straight-line distances and the postcode districts the service knows."""

from __future__ import annotations

import csv
import math
import re
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data"  # phasetransfer/data/
EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
_OUTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance: what councils call 'straight-line distance'."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def km_to_miles(km: float) -> float:
    return km / KM_PER_MILE


def normalise_postcode(value: str) -> str | None:
    """'me15 6lx' -> 'ME15 6LX'; None when it is not a UK postcode."""
    compact = re.sub(r"\s+", "", value.upper())
    match = _POSTCODE.match(compact)
    if not match:
        return None
    return f"{match.group(1)} {match.group(2)}"


def outcode_of(postcode: str) -> str | None:
    normalised = normalise_postcode(postcode)
    if normalised:
        return normalised.split(" ")[0]
    compact = postcode.strip().upper()
    return compact if _OUTCODE.match(compact) else None


@cache
def outcode_centroids() -> dict[str, tuple[float, float]]:
    with (DATA_DIR / "kent-outcodes.csv").open(newline="", encoding="utf-8") as handle:
        return {
            row["outcode"]: (float(row["latitude"]), float(row["longitude"]))
            for row in csv.DictReader(handle)
        }


def locate_postcode(postcode: str) -> tuple[float, float] | None:
    """The centroid of the postcode's district, if the service knows the district."""
    outcode = outcode_of(postcode)
    return outcode_centroids().get(outcode) if outcode else None


@cache
def _districts() -> dict[str, tuple[str, str]]:
    with (DATA_DIR / "kent-districts.csv").open(newline="", encoding="utf-8") as handle:
        return {
            row["outcode"]: (row["district"], row["send_area"]) for row in csv.DictReader(handle)
        }


OUTSIDE = "Outside Kent"


def district_of(postcode: str) -> str:
    outcode = outcode_of(postcode)
    found = _districts().get(outcode) if outcode else None
    return found[0] if found else OUTSIDE


def area_of(postcode: str) -> str:
    outcode = outcode_of(postcode)
    found = _districts().get(outcode) if outcode else None
    return found[1] if found else OUTSIDE


def send_areas() -> list[str]:
    return sorted({area for _, area in _districts().values()})


def districts() -> list[str]:
    return sorted({district for district, _ in _districts().values()})

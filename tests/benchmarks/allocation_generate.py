"""Seeded, realistic-looking allocation problems for the benchmark.

Children and settings sit on a plane around towns; each family lists settings among the
nearest few, ordered by distance, a per-setting attractiveness and some noise, so popular
settings are oversubscribed while total capacity stays about 1.05x the number of children.
About one setting in ten is paired with a resourced provision at the same site sharing a group
capacity. Costs are a rank weight plus tenths of a km, and leaving a child unplaced costs far
more than any placement.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

RANK_WEIGHTS = (0, 100, 250, 450, 700, 1000, 1400, 1900)
UNPLACED_COST = 100_000
CAPACITY_RATIO = 1.05
ATTRACTIVENESS_KM = 1.0  # spread of how far families will travel for a well-regarded setting
TASTE_KM = 1.5  # spread of individual preference
KM_PER_SETTING_SIDE = 2.6  # a 529-setting county comes out about 60 km across


def _positions(
    rng: np.random.Generator, count: int, towns: np.ndarray, weights: np.ndarray, spread: float
) -> np.ndarray:
    town = rng.choice(len(towns), size=count, p=weights)
    return towns[town] + rng.normal(0.0, spread, size=(count, 2))


def _capacities(
    rng: np.random.Generator, near: np.ndarray, settings: int, children: int
) -> np.ndarray:
    """Places roughly where the demand is (as an authority plans them), with noise.

    Each child adds demand to its few nearest settings; capacity is that demand times a
    lognormal factor, scaled so the total is exactly CAPACITY_RATIO x children.
    """
    demand = np.bincount(near[:, :4].ravel(), minlength=settings) / 4.0 + 0.5
    scaled = demand * rng.lognormal(0.0, 0.35, size=settings)
    target = round(children * CAPACITY_RATIO)
    scaled = scaled / scaled.sum() * target
    capacity = np.floor(scaled).astype(np.int64)
    # Largest remainders make the total exactly the target, deterministically.
    short = target - int(capacity.sum())
    capacity[np.argsort(-(scaled - capacity), kind="stable")[:short]] += 1
    return capacity


def _nearest(
    children_xy: np.ndarray, settings_xy: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and distances of the k nearest settings per child, nearest first."""
    k = min(k, len(settings_xy))
    index = np.empty((len(children_xy), k), dtype=np.int64)
    dist = np.empty((len(children_xy), k), dtype=np.float64)
    for lo in range(0, len(children_xy), 2048):
        block = children_xy[lo : lo + 2048]
        d2 = ((block[:, None, :] - settings_xy[None, :, :]) ** 2).sum(axis=2)
        part = np.argpartition(d2, k - 1, axis=1)[:, :k]
        part_d2 = np.take_along_axis(d2, part, axis=1)
        order = np.argsort(part_d2, axis=1, kind="stable")
        index[lo : lo + len(block)] = np.take_along_axis(part, order, axis=1)
        dist[lo : lo + len(block)] = np.sqrt(np.take_along_axis(part_d2, order, axis=1))
    return index, dist


def generate(children: int, settings: int, options: int, seed: int) -> dict[str, object]:
    """A problem as the file contract's JSON object."""
    rng = np.random.default_rng(seed)
    side = KM_PER_SETTING_SIDE * settings**0.5
    towns = rng.uniform(0.0, side, size=(max(4, settings // 15), 2))
    town_weights = rng.lognormal(0.0, 0.8, size=len(towns))
    town_weights /= town_weights.sum()
    settings_xy = _positions(rng, settings, towns, town_weights, side / 25)
    pairs = settings // 10
    # Settings 2i and 2i+1 (i < pairs) are a school and its resourced provision: one site.
    settings_xy[1 : 2 * pairs : 2] = settings_xy[0 : 2 * pairs : 2]
    attractiveness = rng.normal(0.0, ATTRACTIVENESS_KM, size=settings)
    children_xy = _positions(rng, children, towns, town_weights, side / 20)
    near, dist = _nearest(children_xy, settings_xy, 3 * options)
    capacity = _capacities(rng, near, settings, children)
    utility = -dist + attractiveness[near] + rng.gumbel(0.0, TASTE_KM, size=dist.shape)
    chosen = np.argsort(-utility, axis=1, kind="stable")[:, :options]
    listed = np.take_along_axis(near, chosen, axis=1)
    listed_km = np.take_along_axis(dist, chosen, axis=1)
    costs = np.array(RANK_WEIGHTS[:options], dtype=np.int64) + np.rint(listed_km * 10).astype(
        np.int64
    )
    setting_ids = [f"s{i:05d}" for i in range(settings)]
    group_of = {2 * i + j: f"g{i:04d}" for i in range(pairs) for j in (0, 1)}
    return {
        "groups": [
            {
                "id": f"g{i:04d}",
                "capacity": int(round(0.85 * (capacity[2 * i] + capacity[2 * i + 1]))),
            }
            for i in range(pairs)
        ],
        "settings": [
            {
                "id": setting_ids[i],
                "capacity": int(capacity[i]),
                **({"group": group_of[i]} if i in group_of else {}),
            }
            for i in range(settings)
        ],
        "children": [
            {
                "id": f"c{c:06d}",
                "options": [
                    {"setting": setting_ids[s], "cost": k}
                    for s, k in zip(listed[c].tolist(), costs[c].tolist(), strict=True)
                ],
                "unplaced_cost": UNPLACED_COST,
            }
            for c in range(children)
        ],
    }


def write(path: Path, children: int, settings: int, options: int, seed: int) -> Path:
    path.write_text(json.dumps(generate(children, settings, options, seed)))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--children", type=int, default=3000)
    parser.add_argument("--settings", type=int, default=529)
    parser.add_argument("--options", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write(args.path, args.children, args.settings, args.options, args.seed)


if __name__ == "__main__":
    main()

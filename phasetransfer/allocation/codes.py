"""The codes of why a preference was not proposed, as stored on each proposal's reasons.

The engine's own codes ("full", "cost") come from the pure model; these are the service's.
Kept apart so compile, reasons and selectors can all use them without importing each other.
"""

from __future__ import annotations

RULED_OUT = "ruled_out"  # the setting said on consultation it cannot meet the need
NO_PLACES = "no_places"  # no places recorded this round
NOT_LISTED = "not_listed"  # named by the family but not a setting the model knows
WRONG_PHASE = "wrong_phase"  # the setting does not take this phase
COST_TEST = "cost_test"  # an independent place failed the per-child annual cost test
# "full" under the "ranks" objective, by who holds the places (services._Claims):
FULL_CAME_FIRST = "full"  # every holder's claim came before this child's
FULL_PLACING_OTHERS = "full_placing_others"  # some places went to place more children
FULL_CODES = (FULL_CAME_FIRST, FULL_PLACING_OTHERS)

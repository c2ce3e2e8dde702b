"""The factory round's calendar, and the moments tests stand at in it, each defined once.

``RoundFactory`` (tests/factories) takes its dates from here: a secondary round for entry in
September 2027, its preference window open from ``WINDOW_OPENS`` to ``WINDOW_CLOSES`` and its
offer day at ``OFFER_DAY``, with the model's default 15 days to answer a consultation. Every
other moment is named for where it stands in that calendar, so a test that travels to one
knows what the service makes of it. In calendar order, London time.

A moment that only one test needs, and that means nothing for the round, stays in that test
(the outbox's ``ENQUEUED_AT``, the scheduler's ``START``...).
"""

from __future__ import annotations

import datetime as dt

from phasetransfer.core.clock import LONDON

# --- The round RoundFactory makes ---------------------------------------------------------

WINDOW_OPENS = dt.datetime(2026, 9, 1, 9, 0, tzinfo=LONDON)
WINDOW_CLOSES = dt.datetime(2026, 12, 11, 17, 0, tzinfo=LONDON)  # a Friday
OFFER_DAY = dt.datetime(2027, 2, 12, 16, 0, tzinfo=LONDON)  # a Friday

# What the service derives from it (not factory fields):
# the end of 7 February, the last panel day: offer day less the 5 days panels have to approve.
PANEL_CUTOFF_ENDS = dt.datetime(2027, 2, 8, 0, 0, tzinfo=LONDON)
# the end of 15 February, the statutory deadline of a secondary round (reg 18).
STATUTORY_DEADLINE_ENDS = dt.datetime(2027, 2, 16, 0, 0, tzinfo=LONDON)

# --- Moments in that calendar ------------------------------------------------------------

# The window is open: invitations and reminders go out, families name their preferences.
WINDOW_OPEN = dt.datetime(2026, 11, 27, 12, 0, tzinfo=LONDON)
# The morning after the window closed (a Saturday): preferences can no longer change.
WINDOW_CLOSED = dt.datetime(2026, 12, 12, 9, 0, tzinfo=LONDON)
# The Monday after the window closed: a round's consultations go out, due by the end of
# Tuesday 29 December.
FIRST_WORKING_DAY_AFTER_CLOSE = dt.datetime(2026, 12, 14, 9, 0, tzinfo=LONDON)
# Allocation has run and panels are being planned, weeks before the first one sits: "now"
# in most panel tests.
BEFORE_PANELS = dt.datetime(2026, 12, 15, 9, 0, tzinfo=LONDON)
# ConsultationFactory's sent_at, after the Christmas holidays: due by the end of 19 January.
CONSULTATIONS_SENT = dt.datetime(2027, 1, 4, 10, 0, tzinfo=LONDON)
# Consultations sent at CONSULTATIONS_SENT are with the schools, not yet due.
CONSULTATIONS_PENDING = dt.datetime(2027, 1, 8, 11, 0, tzinfo=LONDON)
# The first panel sits (a Monday): PanelSessionFactory's sessions start from here, one a day,
# and at_panel() schedules its case into a session at this time.
PANEL_SITS = dt.datetime(2027, 1, 11, 10, 0, tzinfo=LONDON)
# That panel has sat: its decisions are recorded and signed off.
PANEL_HAS_SAT = PANEL_SITS + dt.timedelta(hours=3)
# The first day consultations sent at CONSULTATIONS_SENT are overdue: chasers go out.
CONSULTATIONS_FIRST_LATE_DAY = dt.datetime(2027, 1, 20, 9, 0, tzinfo=LONDON)
# The panel that decided the cases decided_case() makes (session_for(), the West session).
DECIDING_PANEL_SITS = dt.datetime(2027, 1, 20, 10, 0, tzinfo=LONDON)
# Mid-round on the co-ordination board: the window has closed (cases not yet invited are
# overdue), 18 days before the panel cut-off.
MID_ROUND = dt.datetime(2027, 1, 20, 12, 0, tzinfo=LONDON)
# Consultations sent at CONSULTATIONS_SENT are two days overdue.
CONSULTATIONS_OVERDUE = dt.datetime(2027, 1, 22, 10, 0, tzinfo=LONDON)
# Either side of the moment of offer day, by a second.
JUST_BEFORE_OFFER_DAY = OFFER_DAY - dt.timedelta(seconds=1)
JUST_AFTER_OFFER_DAY = OFFER_DAY + dt.timedelta(seconds=1)
# Outcomes and letters are out, families are answering; before the statutory deadline.
AFTER_OFFER_DAY = OFFER_DAY + dt.timedelta(days=2)
# Weeks after the statutory deadline: the round's figures are final.
AFTER_DEADLINE = dt.datetime(2027, 3, 1, 12, 0, tzinfo=LONDON)

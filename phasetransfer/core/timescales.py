"""The statutory timescales after offer day, defined once: the caseworker's page (offers)
and the co-ordination board (coordination) must give the same dates.

The council arranges mediation within 30 days of being told the family wants it; the
mediator issues the certificate within 3 working days of its end; the council answers
the Tribunal within 30 working days of the appeal; an order naming a school is carried
out within 5 weeks (DOMAIN.md). An agreement reached at mediation is approved in the
certificate's time: no rule sets one, so the service holds it to the nearest.
"""

from __future__ import annotations

import datetime as dt

from phasetransfer.core.workdays import add_working_days

MEDIATION_DAYS = 30
CERTIFICATE_WORKING_DAYS = 3
RESPONSE_WORKING_DAYS = 30
ORDER_WEEKS = 5


def mediation_by(requested_on: dt.date) -> dt.date:
    return requested_on + dt.timedelta(days=MEDIATION_DAYS)


def certificate_by(ended_on: dt.date) -> dt.date:
    """Also the day an agreed change is to be approved by."""
    return add_working_days(ended_on, CERTIFICATE_WORKING_DAYS)


def tribunal_response_by(lodged_on: dt.date) -> dt.date:
    return add_working_days(lodged_on, RESPONSE_WORKING_DAYS)


def order_by(decided_on: dt.date) -> dt.date:
    return decided_on + dt.timedelta(weeks=ORDER_WEEKS)

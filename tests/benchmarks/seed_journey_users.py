"""Seed the journey load test's database: the Kent demo, small, plus N parent accounts.

``python tests/benchmarks/seed_journey_users.py --users 50 --out var/bench/journey_users.json``

Run against an empty, migrated database (``run_journey_load.sh`` makes one). Loads the
529 real Kent schools with a small synthetic Year 6 -> 7 cohort built around today, so
the preference window is open, then gives the first N families that have an email
address an account of their own: one per simulated user, so no two users change the
same case. Writes their emails, case references and password to ``--out`` for
``locust_journey.py``. Every account and child is synthetic.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Not a secret: a synthetic account in a throwaway benchmark database.
BENCH_PASSWORD = "bench-journey-password-2027"
EMAIL_DOMAIN = "bench.family.example"


def seed(*, users: int, children: int) -> list[dict[str, str]]:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from phasetransfer.core.roles import Role, grant_role
    from phasetransfer.demo.seed import demo_seed
    from phasetransfer.models import Contact, Phase, Round, User

    if children < users:
        raise SystemExit(f"--children ({children}) must be at least --users ({users})")
    demo_seed(secondary_children=children, post16_children=0)
    round_ = Round.objects.get(is_synthetic=True, phase=Phase.SECONDARY)
    contacts = list(
        Contact.objects.filter(case__round=round_, is_primary=True, user__isnull=True)
        .exclude(email="")
        .select_related("case")
        .order_by("case__reference")[:users]
    )
    if len(contacts) < users:
        raise SystemExit(f"Only {len(contacts)} families have an email address; asked for {users}")
    # Hashed once: the login cost under load is the real one (verifying), not this.
    password_hash = make_password(BENCH_PASSWORD)
    accounts: list[dict[str, str]] = []
    with transaction.atomic():
        for number, contact in enumerate(contacts, start=1):
            email = f"parent{number:03d}@{EMAIL_DOMAIN}"
            user = User.objects.create(email=email, full_name=contact.name, password=password_hash)
            grant_role(user, Role.PARENT)
            contact.user = user
            contact.email = email
            contact.save(update_fields=["user", "email"])
            accounts.append({"email": email, "reference": contact.case.reference})
    return accounts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="parent accounts to create")
    parser.add_argument("--children", type=int, default=300, help="synthetic Year 6 -> 7 cohort")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the locust users")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phasetransfer.config.settings")
    import django

    django.setup()
    accounts = seed(users=args.users, children=args.children)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"password": BENCH_PASSWORD, "accounts": accounts}, indent=1))
    print(f"Seeded {args.children} synthetic children and {len(accounts)} parent accounts")


if __name__ == "__main__":
    main()

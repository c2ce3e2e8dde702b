"""How passwords are stored: Argon2id at OWASP's recommended settings.

Why not Django's default (PBKDF2-SHA256, 1,000,000 iterations): its strength is CPU time
alone, 0.22 s of one core per check here, which an attacker with GPUs buys cheaply while
our 2-core web server can then check only about 9 passwords a second; 3,000 families
signing in on offer day would need 5.5 minutes of both cores for hashing alone. Argon2id,
the Password Hashing Competition winner and the hasher Django's documentation recommends,
is memory-hard: each guess needs 19 MiB of memory, which is what makes GPU and ASIC
cracking expensive. OWASP's Password Storage Cheat Sheet puts Argon2id first, at a
minimum of m=19 MiB, t=2, p=1 (used here), and keeps PBKDF2 for when FIPS-140
compliance is required. A check costs about 20 ms here.

Django's own ``Argon2PasswordHasher`` defaults to 100 MiB and 8 lanes: more memory per
guess, but 0.19 s of CPU per check here, as slow as PBKDF2. OWASP's baseline is the
balance between what a guess costs an attacker and the sign-ins offer day needs
(docs/security.md, "Load"); raise ``memory_cost`` when the web tier has cores to spare.

Hashes made by an earlier hasher still verify (they stay in ``PASSWORD_HASHERS``) and
are re-hashed with these settings at the next successful sign-in (Django's
``must_update``), so no reset is needed.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id with OWASP's baseline parameters (m=19 MiB, t=2, p=1)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

"""Ingredients of the synthetic demo: needs mix, names, invented settings.

Everything here is invented (apart from the needs mix, which is England's) and
the records made from it are flagged ``is_synthetic``.
"""

from __future__ import annotations

import random

from phasetransfer.models import Need

# Primary need of EHC plans in England, January 2025 (DfE "Education, health and
# care plans", 2024/25, national, % of 638,745 plans; "other" and "unknown"
# left out and the rest rescaled by the weighted choice).
NEED_SHARES: dict[str, float] = {
    Need.ASD: 31.5,
    Need.SLCN: 21.3,
    Need.SEMH: 20.7,
    Need.MLD: 10.6,
    Need.PD: 3.9,
    Need.SLD: 3.9,
    Need.SPLD: 2.4,
    Need.HI: 1.4,
    Need.PMLD: 1.3,
    Need.VI: 0.8,
    Need.MSI: 0.3,
}

# Needs that typically lead to a special school place rather than mainstream.
SPECIALIST_NEEDS = {Need.SLD, Need.PMLD, Need.MSI}

FIRST_NAMES = (
    "Oliver Amelia George Isla Harry Ava Noah Mia Jack Ivy Leo Freya Arthur Lily Muhammad "
    "Florence Oscar Willow Charlie Rosie Jacob Sophia Thomas Evie Henry Grace Freddie Poppy "
    "Alfie Ella Theo Daisy William Sienna Archie Phoebe Joshua Layla Finley Ruby Isaac Millie "
    "Lucas Harper Alexander Emily Ethan Maya Samuel Aria Reuben Zara Kai Hannah Dylan Erin "
    "Riley Chloe Logan Matilda Mason Eliza Toby Imogen Max Esme Harrison Alice Edward Lucy"
).split()
LAST_NAMES = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson "
    "Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan "
    "Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell "
    "Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan "
    "Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb"
).split()
CARER_TITLES = ["Mum", "Dad", "Carer"]

NEEDS_SUMMARY = {
    Need.ASD: "Needs a predictable routine, a low-arousal space and support with social "
    "communication; sensory sensitivities to noise.",
    Need.SLCN: "Needs speech and language therapy input and visual support to understand "
    "instructions; small-group teaching.",
    Need.SEMH: "Needs a consistent key adult, a nurture base and a graduated plan to manage "
    "anxiety and dysregulation.",
    Need.MLD: "Working well below age-related expectations; needs small-group teaching and "
    "adapted curriculum.",
    Need.PD: "Uses a wheelchair; needs an accessible site, physiotherapy and personal care.",
    Need.SLD: "Needs a specialist curriculum, high adult ratio and support for self-care.",
    Need.SPLD: "Dyslexia; needs assistive technology and specialist literacy intervention.",
    Need.HI: "Profoundly deaf; uses BSL and needs a Teacher of the Deaf and a radio aid.",
    Need.PMLD: "Needs a sensory curriculum, 1:1 support, medical care plan and hoisting.",
    Need.VI: "Severely sight impaired; needs braille, mobility training and modified resources.",
    Need.MSI: "Deafblind; needs an intervenor and a specialist multi-sensory curriculum.",
}


def pick_need(rng: random.Random) -> str:
    needs = list(NEED_SHARES)
    return rng.choices(needs, weights=[NEED_SHARES[n] for n in needs])[0]


def pick_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


# Invented settings that the real GIAS extract does not hold but a phase-transfer
# round needs: FE colleges for post-16, and independent/non-maintained specialists.
# (name, town, outcode, kind, needs, phases)
INVENTED_SETTINGS: list[tuple[str, str, str, str, list[str], list[str]]] = [
    ("North Kent Further Education College", "Dartford", "DA1", "fe_college", [], ["post16"]),
    ("Medway Valley College", "Maidstone", "ME15", "fe_college", [], ["post16"]),
    ("East Kent Coast College", "Canterbury", "CT1", "fe_college", [], ["post16"]),
    ("Weald Land-based College", "Tonbridge", "TN11", "fe_college", [], ["post16"]),
    ("Channel Coast College", "Folkestone", "CT20", "fe_college", [], ["post16"]),
    ("Thanet Skills College", "Margate", "CT9", "fe_college", [], ["post16"]),
    (
        "Oakwood Independent Specialist School",
        "Sevenoaks",
        "TN13",
        "independent_s41",
        ["ASD", "SLCN"],
        ["secondary", "post16"],
    ),
    (
        "Marsh View School for Autism",
        "Ashford",
        "TN24",
        "independent_s41",
        ["ASD"],
        ["secondary", "post16"],
    ),
    (
        "Beacon Hill Therapeutic School",
        "Canterbury",
        "CT2",
        "independent_s41",
        ["SEMH"],
        ["secondary"],
    ),
    (
        "Kingsdown Independent School",
        "Deal",
        "CT14",
        "independent_s41",
        ["SEMH", "ASD"],
        ["secondary", "post16"],
    ),
    (
        "Greensand Ridge School",
        "Maidstone",
        "ME17",
        "independent_s41",
        ["SpLD", "SLCN"],
        ["secondary"],
    ),
    (
        "Orchard Grange College",
        "Tunbridge Wells",
        "TN2",
        "independent_s41",
        ["ASD", "MLD"],
        ["post16"],
    ),
    (
        "Royal South Coast School for the Deaf",
        "Margate",
        "CT9",
        "non_maintained_special",
        ["HI", "MSI"],
        ["reception", "junior", "secondary", "post16"],
    ),
    (
        "Fairlight Sensory School",
        "Tunbridge Wells",
        "TN4",
        "non_maintained_special",
        ["VI", "MSI", "PMLD"],
        ["reception", "junior", "secondary", "post16"],
    ),
]

"""Fictional name pools and transliteration variants for the synthetic generator.

Names are combined at random from common given names and invented or very common family
names; no combination is meant to be, or is checked against, a real listed person. Designated
names for the synthetic list are built only from :data:`DESIGNATED_GIVEN` and the invented
:data:`DESIGNATED_FAMILY` words.
"""

from __future__ import annotations

import numpy as np

LATIN_GIVEN = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Susan",
    "Richard",
    "Jessica",
    "Joseph",
    "Sarah",
    "Thomas",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Paul",
    "Ashley",
    "Steven",
    "Emily",
    "Andrew",
    "Donna",
    "Kevin",
    "Michelle",
    "Brian",
    "Carol",
    "George",
    "Amanda",
    "Edward",
    "Melissa",
    "Ana",
    "Carlos",
    "Maria",
    "Jose",
    "Luis",
    "Sofia",
    "Elena",
    "Ion",
    "Mihai",
    "Ioana",
    "Olena",
    "Dmytro",
    "Irina",
    "Nguyen",
    "Mai",
    "Anh",
    "Grace",
    "Chinedu",
    "Ngozi",
    "Emeka",
    "Aisha",
    "Fatima",
    "Omar",
    "Ali",
    "Hassan",
    "Amina",
    "Rosa",
    "Juan",
]
LATIN_FAMILY = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Popescu",
    "Ionescu",
    "Kovalenko",
    "Shevchenko",
    "Tran",
    "Le",
    "Pham",
    "Okafor",
    "Adeyemi",
    "Eze",
    "Reyes",
    "Cruz",
    "Morales",
    "Ortiz",
    "Santos",
    "Petrov",
    "Dimitrova",
    "Haddad",
    "Mansour",
    "Khalil",
    "Nasser",
    "Yilmaz",
    "Demir",
    "Khan",
    "Ahmed",
    "Hussein",
    "Abdi",
]
COMPANY_WORDS = [
    "Atlas",
    "Summit",
    "Harbor",
    "Pioneer",
    "Cedar",
    "Northstar",
    "Bluewater",
    "Granite",
    "Maple",
    "Liberty",
    "Keystone",
    "Evergreen",
    "Silverline",
    "Redwood",
    "Horizon",
    "Lakeside",
    "Ironwood",
    "Sunrise",
    "Crescent",
    "Meridian",
    "Oakmont",
    "Riverside",
    "Westgate",
    "Beacon",
    "Sterling",
]
COMPANY_KINDS = {
    "employer": [
        "Logistics",
        "Construction",
        "Farms",
        "Cleaning Services",
        "Manufacturing",
        "Staffing",
        "Hospitality Group",
        "Packing",
        "Foods",
    ],
    "cash_business": [
        "Market",
        "Car Wash",
        "Nail Salon",
        "Laundromat",
        "Restaurant",
        "Deli",
        "Grocery",
        "Liquor Store",
        "Gas Station",
    ],
    "merchant": ["Store", "Shop", "Outlet", "Supplies"],
    "utility": ["Power", "Water", "Telecom", "Gas"],
    "landlord": ["Properties", "Realty", "Apartments", "Housing"],
    "npo": [
        "Relief Fund",
        "Aid Foundation",
        "Community Trust",
        "Humanitarian Society",
        "Children's Fund",
    ],
    "msb": ["Money Transfer", "Remit", "Express Transfer"],
    "exchange_house": ["Exchange", "Currency Exchange"],
    "hawala": ["Trading", "General Trading"],
    "company": ["Holdings", "Enterprises", "Consulting", "Imports", "Services"],
}

# Transliteration variants: each group holds spellings of one name. Scenario parties use one
# variant, the synthetic list another, so screening must cope (SAN-01).
TRANSLIT_GROUPS: list[list[str]] = [
    ["Mohammed", "Muhammad", "Mohamad", "Mohamed", "Muhammed"],
    ["Yusuf", "Youssef", "Yousef", "Jusuf"],
    ["Abdulrahman", "Abd al-Rahman", "Abdurrahman", "Abdel Rahman"],
    ["Hussein", "Husayn", "Hussain", "Husein"],
    ["Omar", "Umar", "Omer"],
    ["Khalid", "Khaled", "Halid"],
    ["Ibrahim", "Ebrahim", "Ibragim"],
    ["Suleiman", "Sulayman", "Sulejman", "Slimane"],
    ["Abdullah", "Abdallah", "Abdulla"],
    ["Mustafa", "Mostafa", "Moustafa"],
]
DESIGNATED_GIVEN = [g[0] for g in TRANSLIT_GROUPS]
# Invented family or tribal names (checked not to be common words); used with al-/el- prefixes.
DESIGNATED_FAMILY = [
    "Zarqawan",
    "Tahrimi",
    "Qassaduri",
    "Bardawili",
    "Hamzaweh",
    "Sukhrani",
    "Falluqi",
    "Maskhadri",
    "Rashwandi",
    "Khouzari",
    "Dabbasi",
    "Naqrawi",
    "Jubrali",
    "Tawfiqani",
]
DESIGNATED_ENTITY_WORDS = [
    "Nahrawan",
    "Qudsiya",
    "Tariqat",
    "Warda",
    "Sabeel",
    "Furqaniya",
    "Hidaya",
    "Bayraq",
]
NOM_DE_GUERRE = ["Abu Hamza", "Abu Talha", "Abu Yahya", "Abu Musab", "Abu Bara", "Abu Khattab"]


def variants_of(given: str) -> list[str]:
    """All spellings of ``given`` known here (itself if none)."""
    for group in TRANSLIT_GROUPS:
        if given in group:
            return group
    return [given]


def prefix_variant(family: str, rng: np.random.Generator) -> str:
    """``al-X`` written as one of al-X, Al X, el-X or X."""
    return str(rng.choice([f"al-{family}", f"Al {family}", f"el-{family}", family]))


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    given = rng.choice(LATIN_GIVEN, n)
    family = rng.choice(LATIN_FAMILY, n)
    return np.char.add(np.char.add(given.astype(str), " "), family.astype(str))


def company_name(rng: np.random.Generator, kind: str) -> str:
    words = COMPANY_KINDS.get(kind, COMPANY_KINDS["company"])
    suffix = rng.choice(["LLC", "Inc", "Ltd", "Co", ""])
    return f"{rng.choice(COMPANY_WORDS)} {rng.choice(words)} {suffix}".strip()

"""The words a generated region is made of: sectors with their capabilities and the sectors they buy from,
the roles, and the pieces of names. ``ingest.generate`` draws from these."""

from __future__ import annotations

# sector -> (cluster name, capabilities (term, what offering it means), sectors it buys from)
SECTORS: dict[str, tuple[str, list[tuple[str, str]], list[str]]] = {
    "food": (
        "Food Processing",
        [
            ("industrial baking", "baking bread and pastry at industrial scale"),
            ("dairy processing", "processing milk into cheese, yoghurt and butter"),
            ("meat processing", "cutting, curing and smoking meat"),
            ("beverage bottling", "filling and bottling beverages"),
            ("frozen food production", "cooking and blast-freezing ready meals"),
            ("fruit processing", "pressing juices and making preserves"),
        ],
        ["vision", "automation", "packaging", "lab", "logistics", "design"],
    ),
    "metal": (
        "Precision Engineering",
        [
            ("cnc machining", "machining precision parts on CNC centres"),
            ("sheet metal forming", "laser cutting and bending sheet metal"),
            ("casting", "casting iron and aluminium parts"),
            ("welding", "welding steel assemblies"),
            ("toolmaking", "building moulds and dies"),
            ("surface coating", "coating and hardening metal surfaces"),
        ],
        ["vision", "automation", "analytics", "metrology", "additive"],
    ),
    "vision": (
        "Machine Vision",
        [
            ("machine vision", "camera systems that inspect products on the line"),
            ("defect detection", "deep-learning models that find defects in images"),
            ("optical sorting", "sorting machines that eject bad items by colour and shape"),
            ("hyperspectral imaging", "imaging that sees the chemistry of products"),
        ],
        ["automation", "analytics"],
    ),
    "automation": (
        "Automation",
        [
            ("robotic packaging", "robot cells that pick and pack products"),
            ("robot integration", "integrating industrial robots into production lines"),
            ("plc programming", "programming and retrofitting line controls"),
        ],
        ["vision", "metal"],
    ),
    "analytics": (
        "Industrial Analytics",
        [
            ("predictive maintenance", "predicting machine failures from sensor data"),
            ("production scheduling", "optimising production plans and schedules"),
            ("digital twin", "simulating machines and lines as digital twins"),
            ("energy monitoring", "measuring and cutting energy use in plants"),
        ],
        ["metal", "food"],
    ),
    "packaging": (
        "Packaging",
        [
            ("modified atmosphere packaging", "packs that keep food fresh longer"),
            ("recyclable packaging", "mono-material packaging that can be recycled"),
        ],
        ["design", "lab"],
    ),
    "lab": (
        "Testing Laboratories",
        [
            ("food safety testing", "testing food for microbes, residues and allergens"),
            ("shelf-life studies", "measuring and extending the shelf life of products"),
        ],
        ["analytics"],
    ),
    "logistics": (
        "Logistics",
        [
            ("cold chain logistics", "refrigerated transport and storage"),
            ("warehouse automation", "automated storage and order picking"),
        ],
        ["analytics", "automation"],
    ),
    "metrology": (
        "Metrology",
        [
            ("coordinate measuring", "measuring parts to the micrometre"),
            ("optical 3d scanning", "scanning parts in 3D to compare them with CAD"),
        ],
        ["vision"],
    ),
    "additive": (
        "Additive Manufacturing",
        [
            ("metal 3d printing", "printing metal parts by laser melting"),
            ("design for additive manufacturing", "redesigning parts for 3D printing"),
        ],
        ["metal", "metrology"],
    ),
    "design": (
        "Creative Industries",
        [
            ("brand design", "brand identities and logos"),
            ("packaging design", "designing packs that sell"),
            ("web shops", "online shops and e-commerce"),
            ("product photography", "photographs of products for shops and catalogues"),
        ],
        ["analytics"],
    ),
}
ROLE_BY_SECTOR = {
    "food": "firm",
    "metal": "firm",
    "design": "firm",
    "vision": "vendor",
    "automation": "vendor",
    "analytics": "vendor",
    "packaging": "vendor",
    "lab": "vendor",
    "logistics": "vendor",
    "metrology": "vendor",
    "additive": "vendor",
}
# share of organizations that are not firms or vendors, with the sectors they work in
OTHER_ROLES = [
    ("university", 0.02),
    ("research_institute", 0.03),
    ("knowledge_broker", 0.02),
    ("public_body", 0.01),
    ("other", 0.01),
]
SYLLABLES = [
    "al",
    "an",
    "ber",
    "bor",
    "dan",
    "del",
    "fen",
    "gar",
    "hal",
    "kor",
    "lin",
    "mar",
    "nor",
    "ost",
    "rav",
    "sel",
    "ster",
    "tal",
    "ven",
    "wald",
]
FIRM_WORDS = ["Werke", "Technik", "Systems", "Solutions", "Industries", "Labs", "Group", "Works", "Partners"]
LEGAL = ["GmbH", "AG", "KG", "Ltd", "SA", "BV", "Oy", "s.r.o.", ""]
RESEARCH_NAMES = {
    "university": "University of {}",
    "research_institute": "{} Institute of Applied Research",
    "knowledge_broker": "{} Innovation Agency",
    "public_body": "{} Economic Development Office",
    "other": "{} Industry Association",
}
COUNTRIES = ["AT", "DE", "CZ", "SI", "IT", "NL", "FI", "PL"]

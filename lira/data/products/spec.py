"""The English side of the product catalogue: categories, attributes, brands and the
substitute / complement tables that the relevance rules read.

Everything here is written by hand for this dataset (it is the curated inventory). The words
in the seven languages are *not* here: they come from ``lira/resources/products/lexicon.json``,
which ``extract`` mines from CLDR and Debian packages (see ``extract.py``), each entry with its
source. ``LANG_PICKS`` below only says *which* of the strings a source offers for an emoji
(its name or one of its keywords) is the shop word; the extractor checks that the string is
really in the package before it writes it.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGS: tuple[str, ...] = ("th", "vi", "id", "ms", "fil", "ur", "bn")
ALL_LANGS: tuple[str, ...] = ("en",) + LANGS

# --------------------------------------------------------------------------------------
# Attribute values (English). Keys are concept ids used in the lexicon ("colour/red").
# --------------------------------------------------------------------------------------

COLOURS: dict[str, str] = {
    "red": "Red", "orange": "Orange", "yellow": "Yellow", "green": "Green", "blue": "Blue",
    "purple": "Purple", "brown": "Brown", "black": "Black", "white": "White", "grey": "Grey",
    "pink": "Pink",
}

# Emoji whose CLDR names share the colour word (circle, square, heart). The extractor keeps
# the keyword that occurs inside the name of every emoji of the group (see extract.py).
COLOUR_EMOJI: dict[str, tuple[str, ...]] = {
    "red": ("🔴", "🟥", "❤"), "orange": ("🟠", "🟧", "🧡"), "yellow": ("🟡", "🟨", "💛"),
    "green": ("🟢", "🟩", "💚"), "blue": ("🔵", "🟦", "💙"), "purple": ("🟣", "🟪", "💜"),
    "brown": ("🟤", "🟫", "🤎"), "black": ("⚫", "⬛", "🖤"), "white": ("⚪", "⬜", "🤍"),
    "grey": ("🩶",), "pink": ("🩷",),
}

MATERIALS: dict[str, str] = {
    "cotton": "Cotton", "polyester": "Polyester", "denim": "Denim", "silk": "Silk", "wool": "Wool",
    "leather": "Leather", "canvas": "Canvas", "rubber": "Rubber", "nylon": "Nylon",
    "wood": "Wood", "metal": "Metal", "plastic": "Plastic", "ceramic": "Ceramic", "glass": "Glass",
    "gold": "Gold", "silver": "Silver", "bamboo": "Bamboo", "rattan": "Rattan",
}

GENDERS: dict[str, str] = {"men": "Men's", "women": "Women's", "kids": "Kids'", "unisex": "Unisex"}

APPAREL_SIZES: tuple[str, ...] = ("S", "M", "L", "XL", "XXL")
SHOE_SIZES: tuple[str, ...] = tuple(str(s) for s in range(36, 46))

# CLDR unit ids for the measures; the symbol is what English titles print.
UNITS: dict[str, tuple[str, str]] = {
    "kg": ("mass-kilogram", "kg"), "g": ("mass-gram", "g"), "L": ("volume-liter", "L"),
    "mL": ("volume-milliliter", "mL"), "cm": ("length-centimeter", "cm"), "m": ("length-meter", "m"),
    "inch": ("length-inch", "inch"), "GB": ("digital-gigabyte", "GB"), "TB": ("digital-terabyte", "TB"),
    "W": ("power-watt", "W"),
}
# English long unit names (singular, plural) for English queries.
UNIT_EN_LONG: dict[str, tuple[str, str]] = {
    "kg": ("kilogram", "kilograms"), "g": ("gram", "grams"), "L": ("liter", "liters"),
    "mL": ("milliliter", "milliliters"), "cm": ("centimeter", "centimeters"), "m": ("meter", "meters"),
    "inch": ("inch", "inches"), "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"),
    "W": ("watt", "watts"),
}

# Label words used inside titles ("Size M"): from GTK / Firefox catalogues.
LABELS: dict[str, str] = {"size": "Size"}

# --------------------------------------------------------------------------------------
# Attribute profiles per department.
# --------------------------------------------------------------------------------------

APPAREL_COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "brown", "black", "white", "grey", "pink")
BASIC_COLOURS = ("red", "blue", "green", "black", "white", "grey", "pink", "yellow")
TECH_COLOURS = ("black", "white", "grey", "blue", "pink")


@dataclass(frozen=True)
class Profile:
    colours: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    model: bool = False
    measures: tuple[tuple[float, str], ...] = ()  # (value, unit) ; unit "pcs" = pack count


PROFILES: dict[str, Profile] = {
    "apparel": Profile(APPAREL_COLOURS, ("cotton", "polyester", "silk", "wool"), ("men", "women", "kids", "unisex"), APPAREL_SIZES),
    "footwear": Profile(("black", "white", "brown", "red", "blue", "grey", "pink"), ("leather", "canvas", "rubber"), ("men", "women", "kids"), SHOE_SIZES),
    "bags": Profile(("black", "brown", "red", "blue", "grey", "pink", "white"), ("leather", "canvas", "nylon"), ("men", "women", "unisex")),
    "eyewear": Profile(("black", "brown", "red", "blue", "grey"), ("plastic", "metal"), ("men", "women", "unisex")),
    "jewelry": Profile((), ("gold", "silver", "metal"), ("men", "women")),
    "electronics": Profile(TECH_COLOURS, (), (), (), True),
    "furniture": Profile(("black", "white", "brown", "grey", "blue", "green"), ("wood", "metal", "plastic", "rattan", "bamboo")),
    "kitchen": Profile(("black", "white", "red", "green", "blue"), ("metal", "wood", "plastic", "ceramic", "glass", "bamboo")),
    "household": Profile(BASIC_COLOURS),
    "beauty": Profile(("red", "pink", "purple", "brown", "orange", "black")),
    "tools": Profile(("red", "yellow", "black", "blue", "orange", "green"), ("metal", "wood", "plastic")),
    "sports": Profile(BASIC_COLOURS + ("orange",)),
    "toys": Profile(BASIC_COLOURS + ("brown", "purple")),
    "music": Profile(("black", "white", "brown", "red", "blue"), ("wood", "metal", "plastic")),
    "stationery": Profile(("black", "blue", "red", "green", "pink", "purple", "yellow")),
    "grocery": Profile(),
}


@dataclass(frozen=True)
class Category:
    id: str
    en: str  # English noun as titles print it
    emoji: str  # CLDR annotation key the local names come from
    dept: str
    measures: tuple[tuple[float, str], ...] = ()
    colours: tuple[str, ...] | None = None  # None: the department's
    materials: tuple[str, ...] | None = None
    genders: tuple[str, ...] | None = None
    sizes: tuple[str, ...] | None = None


def _c(id_, en, emoji, dept, **kw) -> Category:
    return Category(id_, en, emoji, dept, **kw)


NOG: tuple[str, ...] = ()  # "no gender attribute" (the noun already carries one, or none applies)

CATEGORIES: tuple[Category, ...] = (
    # apparel
    _c("t_shirt", "T-Shirt", "👕", "apparel"),
    _c("dress", "Dress", "👗", "apparel", genders=("women", "kids")),
    _c("jeans", "Jeans", "👖", "apparel", materials=("denim", "cotton"), colours=("blue", "black", "grey", "white")),
    _c("shorts", "Shorts", "🩳", "apparel"),
    _c("coat", "Coat", "🧥", "apparel", materials=("wool", "polyester", "leather", "cotton")),
    _c("socks", "Socks", "🧦", "apparel", measures=((3, "pcs"), (5, "pcs"))),
    _c("scarf", "Scarf", "🧣", "apparel", sizes=()),
    _c("gloves", "Gloves", "🧤", "apparel", materials=("wool", "leather", "cotton")),
    _c("cap", "Cap", "🧢", "apparel", sizes=()),
    _c("womens_hat", "Hat", "👒", "apparel", genders=NOG, sizes=()),
    _c("swimsuit", "Swimsuit", "🩱", "apparel", genders=("women", "kids"), materials=("polyester", "nylon")),
    _c("bikini", "Bikini", "👙", "apparel", genders=NOG, materials=("polyester", "nylon")),
    _c("sari", "Sari", "🥻", "apparel", genders=NOG, sizes=(), materials=("silk", "cotton", "polyester")),
    _c("necktie", "Necktie", "👔", "apparel", genders=NOG, sizes=(), materials=("silk", "polyester")),
    _c("briefs", "Briefs", "🩲", "apparel", genders=("men", "kids"), materials=("cotton", "nylon")),
    # footwear
    _c("running_shoes", "Running Shoes", "👟", "footwear"),
    _c("high_heels", "High Heels", "👠", "footwear", genders=NOG, materials=("leather", "rubber")),
    _c("womens_sandals", "Sandals", "👡", "footwear", genders=NOG),
    _c("womens_boots", "Boots", "👢", "footwear", genders=NOG, materials=("leather", "rubber")),
    _c("hiking_boots", "Hiking Boots", "🥾", "footwear"),
    _c("flat_shoes", "Flat Shoes", "🥿", "footwear", genders=("women", "kids")),
    _c("flip_flops", "Flip-Flops", "🩴", "footwear", materials=("rubber",)),
    _c("mens_shoes", "Shoes", "👞", "footwear", genders=NOG, materials=("leather",)),
    # bags & accessories
    _c("handbag", "Handbag", "👜", "bags", genders=("women",)),
    _c("purse", "Wallet", "👛", "bags"),
    _c("backpack", "Backpack", "🎒", "bags"),
    _c("briefcase", "Briefcase", "💼", "bags", genders=("men", "women", "unisex")),
    _c("luggage", "Suitcase", "🧳", "bags", materials=("plastic", "nylon", "canvas"), genders=NOG),
    _c("umbrella", "Umbrella", "☂", "bags", materials=("nylon", "polyester"), genders=NOG),
    _c("sunglasses", "Sunglasses", "🕶", "eyewear"),
    _c("glasses", "Glasses", "👓", "eyewear"),
    _c("watch", "Watch", "⌚", "jewelry", colours=("black", "white", "blue", "brown", "grey"), materials=("metal", "leather", "plastic", "gold", "silver")),
    _c("ring", "Ring", "💍", "jewelry"),
    # electronics
    _c("mobile_phone", "Mobile Phone", "📱", "electronics", measures=((64, "GB"), (128, "GB"), (256, "GB"), (512, "GB"))),
    _c("laptop", "Laptop", "💻", "electronics", measures=((256, "GB"), (512, "GB"), (1, "TB"), (2, "TB"))),
    _c("desktop_computer", "Desktop Computer", "🖥", "electronics", measures=((512, "GB"), (1, "TB"), (2, "TB"))),
    _c("keyboard", "Keyboard", "⌨", "electronics"),
    _c("computer_mouse", "Computer Mouse", "🖱", "electronics"),
    _c("printer", "Printer", "🖨", "electronics", colours=("black", "white", "grey")),
    _c("camera", "Camera", "📷", "electronics", colours=("black", "white", "grey")),
    _c("video_camera", "Video Camera", "📹", "electronics", colours=("black", "grey")),
    _c("headphones", "Headphones", "🎧", "electronics"),
    _c("television", "Television", "📺", "electronics", colours=("black", "grey", "white"), measures=((32, "inch"), (43, "inch"), (50, "inch"), (55, "inch"), (65, "inch"))),
    _c("radio", "Radio", "📻", "electronics"),
    _c("battery", "Battery", "🔋", "electronics", colours=(), measures=((2, "pcs"), (4, "pcs"), (8, "pcs"))),
    _c("plug", "Plug", "🔌", "electronics", colours=("black", "white")),
    _c("light_bulb", "Light Bulb", "💡", "electronics", colours=("white", "yellow"), measures=((5, "W"), (9, "W"), (12, "W"), (18, "W"))),
    _c("flashlight", "Flashlight", "🔦", "electronics"),
    _c("game_controller", "Game Controller", "🎮", "electronics"),
    _c("microphone", "Microphone", "🎤", "electronics"),
    _c("alarm_clock", "Alarm Clock", "⏰", "electronics", colours=("black", "white", "pink", "blue", "red")),
    # home: furniture, kitchen, household
    _c("chair", "Chair", "🪑", "furniture"),
    _c("bed", "Bed", "🛏", "furniture", materials=("wood", "metal", "rattan")),
    _c("sofa", "Sofa", "🛋", "furniture", materials=("wood", "rattan", "metal")),
    _c("mirror", "Mirror", "🪞", "furniture", materials=("wood", "metal", "plastic"), measures=((40, "cm"), (60, "cm"), (80, "cm"))),
    _c("teapot", "Teapot", "🫖", "kitchen", materials=("ceramic", "glass", "metal"), measures=((0.5, "L"), (0.8, "L"), (1, "L"), (1.2, "L"))),
    _c("kitchen_knife", "Kitchen Knife", "🔪", "kitchen", materials=("metal", "ceramic"), measures=((15, "cm"), (18, "cm"), (20, "cm"))),
    _c("spoon", "Spoon", "🥄", "kitchen", materials=("metal", "wood", "plastic", "bamboo"), measures=((6, "pcs"), (12, "pcs"))),
    _c("chopsticks", "Chopsticks", "🥢", "kitchen", materials=("wood", "bamboo", "metal", "plastic"), measures=((5, "pcs"), (10, "pcs"), (20, "pcs"))),
    _c("jar", "Jar", "🫙", "kitchen", materials=("glass", "plastic", "ceramic"), measures=((0.5, "L"), (1, "L"), (1.5, "L"), (2, "L"))),
    _c("broom", "Broom", "🧹", "household", materials=("plastic", "bamboo", "wood")),
    _c("basket", "Basket", "🧺", "household", materials=("plastic", "rattan", "bamboo")),
    _c("bucket", "Bucket", "🪣", "household", materials=("plastic", "metal"), measures=((5, "L"), (10, "L"), (15, "L"), (20, "L"))),
    _c("candle", "Candle", "🕯", "household", measures=((6, "pcs"), (12, "pcs"))),
    _c("toilet_paper", "Toilet Paper", "🧻", "household", colours=("white",), measures=((4, "pcs"), (6, "pcs"), (10, "pcs"), (12, "pcs"), (24, "pcs"))),
    _c("soap", "Soap", "🧼", "household", colours=("white", "green", "pink", "yellow"), measures=((75, "g"), (100, "g"), (125, "g"))),
    _c("sponge", "Sponge", "🧽", "household", colours=("yellow", "green", "blue", "pink"), measures=((3, "pcs"), (5, "pcs"), (10, "pcs"))),
    _c("toothbrush", "Toothbrush", "🪥", "household", measures=((1, "pcs"), (2, "pcs"), (4, "pcs"))),
    _c("baby_bottle", "Baby Bottle", "🍼", "household", colours=("white", "blue", "pink", "green"), materials=("plastic", "glass"), measures=((120, "mL"), (150, "mL"), (240, "mL"))),
    # beauty
    _c("lotion", "Lotion", "🧴", "beauty", colours=(), measures=((100, "mL"), (200, "mL"), (400, "mL"))),
    _c("lipstick", "Lipstick", "💄", "beauty"),
    _c("nail_polish", "Nail Polish", "💅", "beauty", measures=((10, "mL"), (15, "mL"))),
    _c("razor", "Razor", "🪒", "beauty", colours=("black", "blue", "pink", "orange"), measures=((1, "pcs"), (3, "pcs"), (5, "pcs"))),
    _c("comb", "Comb", "🪮", "beauty", colours=("black", "brown", "pink"), materials=("wood", "plastic", "bamboo")),
    # tools
    _c("scissors", "Scissors", "✂", "tools", materials=("metal",), measures=((15, "cm"), (20, "cm"), (25, "cm"))),
    _c("hammer", "Hammer", "🔨", "tools"),
    _c("screwdriver", "Screwdriver", "🪛", "tools", materials=("metal",), measures=((1, "pcs"), (6, "pcs"), (12, "pcs"))),
    _c("wrench", "Wrench", "🔧", "tools", materials=("metal",), measures=((20, "cm"), (25, "cm"), (30, "cm"))),
    _c("saw", "Saw", "🪚", "tools", measures=((30, "cm"), (45, "cm"), (55, "cm"))),
    _c("ladder", "Ladder", "🪜", "tools", materials=("metal", "wood"), measures=((1.5, "m"), (2, "m"), (2.5, "m"), (3, "m"))),
    _c("toolbox", "Toolbox", "🧰", "tools", materials=("metal", "plastic")),
    _c("thermometer", "Thermometer", "🌡", "tools", colours=("white", "blue"), materials=("plastic", "glass")),
    # sports, toys, music
    _c("football", "Football", "⚽", "sports", colours=("white", "black", "blue", "yellow", "orange"), sizes=("3", "4", "5")),
    _c("basketball", "Basketball", "🏀", "sports", colours=("orange", "black", "blue"), sizes=("5", "6", "7")),
    _c("volleyball", "Volleyball", "🏐", "sports", colours=("white", "yellow", "blue")),
    _c("badminton", "Badminton Racket", "🏸", "sports"),
    _c("tennis", "Tennis Racket", "🎾", "sports"),
    _c("ping_pong", "Table Tennis Paddle", "🏓", "sports", materials=("wood", "rubber")),
    _c("cricket", "Cricket Bat", "🏏", "sports", colours=("brown", "white"), materials=("wood",)),
    _c("boxing_gloves", "Boxing Gloves", "🥊", "sports", colours=("red", "black", "blue"), materials=("leather",)),
    _c("bicycle", "Bicycle", "🚲", "sports", measures=((16, "inch"), (20, "inch"), (24, "inch"), (26, "inch"), (27.5, "inch"))),
    _c("skateboard", "Skateboard", "🛹", "sports", materials=("wood", "plastic")),
    _c("roller_skates", "Roller Skates", "🛼", "sports", sizes=SHOE_SIZES[:8]),
    _c("fishing_rod", "Fishing Rod", "🎣", "sports", colours=("black", "blue", "red"), measures=((1.8, "m"), (2.1, "m"), (2.4, "m"), (2.7, "m"))),
    _c("tent", "Tent", "⛺", "sports", colours=("green", "blue", "orange", "grey", "yellow")),
    _c("goggles", "Goggles", "🥽", "sports", colours=("black", "blue", "pink", "white")),
    _c("diving_mask", "Diving Mask", "🤿", "sports", colours=("black", "blue", "yellow")),
    _c("kite", "Kite", "🪁", "toys"),
    _c("teddy_bear", "Teddy Bear", "🧸", "toys", colours=("brown", "white", "pink", "grey"), measures=((25, "cm"), (40, "cm"), (60, "cm"), (80, "cm"))),
    _c("yo_yo", "Yo-Yo", "🪀", "toys"),
    _c("puzzle", "Jigsaw Puzzle", "🧩", "toys", colours=(), measures=((100, "pcs"), (500, "pcs"), (1000, "pcs"))),
    _c("guitar", "Guitar", "🎸", "music", materials=("wood",)),
    _c("violin", "Violin", "🎻", "music", colours=("brown", "black"), materials=("wood",)),
    _c("drum", "Drum", "🥁", "music", materials=("wood", "metal")),
    # stationery
    _c("books", "Book", "📚", "stationery", colours=()),
    _c("notebook", "Notebook", "📓", "stationery", measures=((1, "pcs"), (3, "pcs"), (5, "pcs"))),
    _c("pencil", "Pencil", "✏", "stationery", colours=("black", "yellow", "red"), measures=((10, "pcs"), (12, "pcs"), (24, "pcs"))),
    _c("pen", "Pen", "🖊", "stationery", measures=((3, "pcs"), (5, "pcs"), (10, "pcs"))),
    _c("fountain_pen", "Fountain Pen", "🖋", "stationery", colours=("black", "blue", "red", "green")),
    _c("crayon", "Crayons", "🖍", "stationery", colours=(), measures=((12, "pcs"), (24, "pcs"), (36, "pcs"))),
    _c("paintbrush", "Paintbrush", "🖌", "stationery", colours=(), measures=((1, "pcs"), (5, "pcs"), (10, "pcs"))),
    _c("ruler", "Ruler", "📏", "stationery", colours=(), materials=("plastic", "metal", "wood"), measures=((15, "cm"), (20, "cm"), (30, "cm"))),
    _c("paperclip", "Paper Clips", "📎", "stationery", colours=(), measures=((50, "pcs"), (100, "pcs"), (200, "pcs"))),
    _c("clipboard", "Clipboard", "📋", "stationery", colours=("black", "blue", "brown"), materials=("plastic", "wood")),
    # grocery
    _c("rice", "Rice", "🍚", "grocery", measures=((1, "kg"), (2, "kg"), (5, "kg"), (10, "kg"))),
    _c("bread", "Bread", "🍞", "grocery", measures=((300, "g"), (400, "g"), (600, "g"))),
    _c("milk", "Milk", "🥛", "grocery", measures=((0.5, "L"), (1, "L"), (2, "L"), (200, "mL"))),
    _c("coffee", "Coffee", "☕", "grocery", measures=((100, "g"), (200, "g"), (250, "g"), (500, "g"))),
    _c("tea", "Tea", "🍵", "grocery", measures=((50, "g"), (100, "g"), (200, "g"))),
    _c("honey", "Honey", "🍯", "grocery", measures=((250, "g"), (500, "g"), (1, "kg"))),
    _c("salt", "Salt", "🧂", "grocery", measures=((250, "g"), (500, "g"), (1, "kg"))),
    _c("eggs", "Eggs", "🥚", "grocery", measures=((6, "pcs"), (10, "pcs"), (12, "pcs"), (30, "pcs"))),
    _c("cheese", "Cheese", "🧀", "grocery", measures=((150, "g"), (200, "g"), (250, "g"))),
    _c("butter", "Butter", "🧈", "grocery", measures=((100, "g"), (200, "g"), (250, "g"))),
    _c("chocolate", "Chocolate", "🍫", "grocery", measures=((45, "g"), (100, "g"), (200, "g"))),
    _c("cookies", "Cookies", "🍪", "grocery", measures=((150, "g"), (300, "g"), (500, "g"))),
    _c("noodles", "Noodles", "🍜", "grocery", measures=((70, "g"), (85, "g"), (120, "g"), (5, "pcs"))),
    _c("juice", "Juice", "🧃", "grocery", measures=((180, "mL"), (250, "mL"), (1, "L"))),
    _c("canned_food", "Canned Food", "🥫", "grocery", measures=((155, "g"), (400, "g"))),
    _c("bubble_tea", "Bubble Tea", "🧋", "grocery", measures=((350, "mL"), (500, "mL"))),
    _c("mango", "Mango", "🥭", "grocery", measures=((0.5, "kg"), (1, "kg"), (2, "kg"))),
    _c("banana", "Banana", "🍌", "grocery", measures=((0.5, "kg"), (1, "kg"), (1.5, "kg"))),
    _c("coconut", "Coconut", "🥥", "grocery", measures=((1, "pcs"), (2, "pcs"), (4, "pcs"))),
)

CATEGORY_BY_ID: dict[str, Category] = {c.id: c for c in CATEGORIES}

# Which string of the CLDR annotation is the shop word, where the emoji's name (tts) is a
# depiction ("glass of milk", "steaming bowl") rather than the product. Value: a keyword of
# that emoji in that language (the extractor refuses a value that is not in the package).
# "-" means: no fitting string; leave the category untranslated (English) for that language.
LANG_PICKS: dict[str, dict[str, str]] = {
    "milk": {"th": "นม", "vi": "sữa", "id": "susu", "ms": "susu", "fil": "gatas", "ur": "دودھ", "bn": "দুধ"},
    "coffee": {"th": "กาแฟ", "vi": "cà phê", "id": "kopi", "ms": "kopi", "fil": "kape", "ur": "کافی", "bn": "কফি"},
    "tea": {"th": "ชา", "vi": "trà", "id": "teh", "ms": "teh", "fil": "tsaa", "ur": "چائے", "bn": "চা"},
    "noodles": {"th": "บะหมี่", "vi": "mỳ", "id": "mie", "ms": "mi", "fil": "noodle", "ur": "نوڈل", "bn": "নুডল"},
    "juice": {"th": "น้ำผลไม้", "vi": "nước ép", "id": "jus", "ms": "jus", "fil": "juice", "ur": "جوس", "bn": "ফলের রস"},
    # the annotation names cooked rice; th/vi/ur/bn keywords include the grain, id/fil only cooked rice
    "rice": {"th": "ข้าว", "vi": "gạo", "id": "-", "ms": "-", "fil": "-", "ur": "چاول", "bn": "চাল"},
    "cheese": {"th": "ชีส", "vi": "phô mai", "id": "keju", "ms": "keju", "fil": "keso", "ur": "پنیر", "bn": "চিজ"},
    "honey": {"th": "น้ำผึ้ง", "vi": "mật ong", "id": "madu", "ms": "madu", "ur": "شہد", "bn": "মধু"},
    "sofa": {"th": "โซฟา", "vi": "đi văng", "id": "sofa", "ms": "sofa", "fil": "sofa", "ur": "کاؤچ", "bn": "সোফা"},
    "chocolate": {"vi": "sô cô la", "id": "cokelat", "ms": "coklat", "ur": "چاکلیٹ", "bn": "চকলেট"},
    "backpack": {"id": "ransel", "ms": "beg galas", "fil": "backpack", "ur": "بیگ پیک", "bn": "ব্যাকপ্যাক"},
    "game_controller": {"th": "จอยสติ๊ก", "vi": "tay điều khiển", "id": "pengontrol", "ms": "alat kawalan", "fil": "controller", "bn": "কন্ট্রোলার"},
    "cap": {"fil": "cap", "ur": "ٹوپی", "bn": "ক্যাপ"},
    "fishing_rod": {"th": "เบ็ด", "vi": "cần câu"},
    "toilet_paper": {"vi": "giấy vệ sinh", "id": "tisu toilet", "fil": "toilet tissue", "ur": "ٹوائلٹ پیپر", "bn": "টয়লেট পেপার"},
    "comb": {"th": "หวี", "vi": "lược", "id": "sisir", "ms": "sikat", "fil": "suklay", "ur": "کنگھی", "bn": "চিরুনি"},
    "lotion": {"th": "โลชั่น", "vi": "sữa dưỡng da", "id": "losion", "ms": "losyen", "fil": "lotion", "ur": "لوشن", "bn": "লোশন"},
    "briefs": {"id": "-"},  # the Indonesian name is "swimming trunks"
}

# Gender words: which keyword / name token of which emoji (extract.py checks each).
# kind: "tts" (the whole name), "keyword", "token" (a space-separated word of the name).
GENDER_PICKS: dict[str, dict[str, tuple[str, str, str]]] = {
    "men": {"th": ("👨", "tts", "ผู้ชาย"), "vi": ("🚹", "keyword", "nam"), "id": ("🚹", "keyword", "pria"), "ms": ("🚹", "keyword", "lelaki"),
            "fil": ("🚹", "keyword", "panlalaki"), "ur": ("🚹", "keyword", "مردانہ"), "bn": ("🚹", "token", "পুরুষদের")},
    "women": {"th": ("👩", "tts", "ผู้หญิง"), "vi": ("🚺", "keyword", "nữ"), "id": ("🚺", "keyword", "wanita"), "ms": ("🚺", "keyword", "wanita"),
              "fil": ("🚺", "keyword", "pambabae"), "ur": ("🚺", "keyword", "زنانہ"), "bn": ("🚺", "token", "মহিলাদের")},
    "kids": {"th": ("🧒", "tts", "เด็ก"), "vi": ("🧒", "tts", "trẻ em"), "id": ("🧒", "tts", "anak"), "ms": ("🧒", "tts", "kanak-kanak"),
             "fil": ("🧒", "tts", "bata"), "ur": ("🚸", "token", "بچوں"), "bn": ("🍼", "token", "শিশুদের")},
}

# Materials with a source: (kind, details). Others stay English in every language.
MATERIAL_SOURCES: dict[str, list[dict]] = {
    "wood": [{"kind": "cldr-annotation", "emoji": "🪵", "field": "tts"}],
    "gold": [{"kind": "cldr-currency", "code": "XAU"}],
    "silver": [{"kind": "cldr-currency", "code": "XAG"}, {"kind": "gettext", "package": "iso-codes", "domain": "iso_4217", "msgid": "Silver"}],
    "metal": [{"kind": "gettext", "package": "libreoffice-l10n-{lang}", "domain": "svx", "msgctxt": "docking3deffects|favorites", "msgid": "Metal"}],
    "plastic": [{"kind": "gettext", "package": "libreoffice-l10n-{lang}", "domain": "svx", "msgctxt": "docking3deffects|favorites", "msgid": "Plastic"}],
}
LABEL_SOURCES: dict[str, list[dict]] = {
    "size": [
        {"kind": "gettext", "package": "libgtk-3-common", "domain": "gtk30", "msgctxt": "", "msgid": "Size"},
        {"kind": "fluent", "package": "firefox-esr-l10n-{lang}", "file": "browser/preferences/fonts.ftl", "key": "fonts-proportional-size"},
    ],
}

# --------------------------------------------------------------------------------------
# Brands (fictional; printed in Latin letters in every language, as shops do).
# --------------------------------------------------------------------------------------

BRANDS: dict[str, tuple[str, ...]] = {
    "apparel": ("Saranya", "Kalinga Wear", "Mayura", "Tarsio", "Nordika", "Batikara", "Ruvana", "Lotusline"),
    "footwear": ("Stridex", "Kasuta", "Padma Steps", "Velora", "Trekko", "Sandara"),
    "bags": ("Bagwise", "Rantai", "Kulit Co", "Vesta", "Carrymore", "Anyam"),
    "eyewear": ("Lensara", "Optiva", "Sunmora", "Kacamo"),
    "jewelry": ("Aurelis", "Sonara", "Perakin", "Tempora"),
    "electronics": ("Voltix", "Nexora", "Kairo", "Zentra", "Lumio", "Sonik", "Pixora", "Arkon"),
    "furniture": ("Rumahku", "Kayuna", "Sofora", "Mebelia"),
    "kitchen": ("Dapura", "Cookwell", "Rasoi", "Bepnha", "Kitcha"),
    "household": ("Bersih", "Homely", "Safai", "Clenza", "Tidyo"),
    "beauty": ("Cantika", "Rupa", "Glowra", "Sundari"),
    "tools": ("Forja", "Toolmax", "Kuatra", "Hathiyar"),
    "sports": ("Sportiva", "Khelo", "Athla", "Jumpa", "Olara"),
    "toys": ("Mainan", "Khilona", "Playra", "Toyto"),
    "music": ("Melodia", "Sangeet", "Gitara", "Ritmo"),
    "stationery": ("Tulisa", "Kalam", "Notera", "Penna"),
    "grocery": ("Kirana", "Pasar Segar", "Annapurna", "Lokal Farm", "Hariyali", "Dapur Ibu"),
}
MODEL_PREFIXES: tuple[str, ...] = ("X", "A", "S", "Pro ", "Z", "M", "Neo ", "K")

# --------------------------------------------------------------------------------------
# Relations for the relevance rules (symmetric; see labels.py).
# --------------------------------------------------------------------------------------

SUBSTITUTES: tuple[tuple[str, ...], ...] = (
    ("jeans", "shorts"),
    ("cap", "womens_hat"),
    ("swimsuit", "bikini"),
    ("scarf", "necktie"),
    ("running_shoes", "hiking_boots", "flat_shoes", "mens_shoes"),
    ("high_heels", "flat_shoes", "womens_sandals"),
    ("womens_sandals", "flip_flops"),
    ("womens_boots", "hiking_boots"),
    ("handbag", "purse", "backpack"),
    ("backpack", "briefcase", "luggage"),
    ("sunglasses", "glasses", "goggles"),
    ("laptop", "desktop_computer"),
    ("camera", "video_camera"),
    ("headphones", "radio"),
    ("light_bulb", "flashlight", "candle"),
    ("alarm_clock", "watch"),
    ("chair", "sofa"),
    ("spoon", "chopsticks"),
    ("teapot", "jar"),
    ("broom", "sponge"),
    ("basket", "bucket"),
    ("soap", "lotion"),
    ("screwdriver", "wrench"),
    ("hammer", "saw"),
    ("badminton", "tennis", "ping_pong"),
    ("football", "volleyball", "basketball"),
    ("bicycle", "skateboard", "roller_skates"),
    ("goggles", "diving_mask"),
    ("kite", "yo_yo", "teddy_bear", "puzzle"),
    ("guitar", "violin", "drum"),
    ("pencil", "pen", "fountain_pen", "crayon"),
    ("notebook", "books"),
    ("coffee", "tea", "bubble_tea"),
    ("milk", "juice", "bubble_tea"),
    ("rice", "noodles", "bread"),
    ("butter", "cheese"),
    ("honey", "chocolate"),
    ("cookies", "chocolate", "bread"),
    ("mango", "banana", "coconut"),
)

COMPLEMENTS: tuple[tuple[str, str], ...] = (
    ("mobile_phone", "headphones"), ("mobile_phone", "plug"), ("mobile_phone", "battery"),
    ("laptop", "computer_mouse"), ("laptop", "keyboard"), ("laptop", "backpack"), ("laptop", "printer"),
    ("desktop_computer", "keyboard"), ("desktop_computer", "computer_mouse"), ("desktop_computer", "printer"),
    ("desktop_computer", "headphones"), ("camera", "battery"), ("video_camera", "microphone"),
    ("television", "game_controller"), ("flashlight", "battery"), ("radio", "battery"), ("alarm_clock", "battery"),
    ("t_shirt", "jeans"), ("t_shirt", "shorts"), ("dress", "high_heels"), ("dress", "handbag"),
    ("coat", "scarf"), ("coat", "gloves"), ("running_shoes", "socks"), ("hiking_boots", "socks"),
    ("hiking_boots", "tent"), ("hiking_boots", "backpack"), ("swimsuit", "sunglasses"), ("bikini", "sunglasses"),
    ("swimsuit", "goggles"), ("sari", "womens_sandals"), ("necktie", "mens_shoes"), ("ring", "watch"),
    ("teapot", "tea"), ("coffee", "milk"), ("bread", "butter"), ("bread", "honey"), ("bread", "cheese"),
    ("tea", "honey"), ("cookies", "milk"), ("noodles", "chopsticks"), ("rice", "chopsticks"), ("rice", "spoon"),
    ("baby_bottle", "milk"), ("kitchen_knife", "basket"), ("bucket", "sponge"), ("bucket", "broom"),
    ("toothbrush", "soap"), ("razor", "soap"), ("comb", "mirror"), ("lipstick", "mirror"), ("nail_polish", "lipstick"),
    ("hammer", "toolbox"), ("screwdriver", "toolbox"), ("wrench", "toolbox"), ("saw", "toolbox"), ("saw", "ladder"),
    ("tent", "flashlight"), ("fishing_rod", "bucket"), ("bicycle", "flashlight"), ("boxing_gloves", "t_shirt"),
    ("cricket", "cap"), ("tennis", "running_shoes"), ("badminton", "running_shoes"),
    ("guitar", "microphone"), ("pencil", "notebook"), ("pen", "notebook"), ("pencil", "ruler"), ("crayon", "paintbrush"),
    ("paperclip", "clipboard"), ("notebook", "backpack"), ("books", "backpack"), ("bed", "alarm_clock"),
    ("bed", "mirror"), ("sofa", "television"), ("mirror", "comb"), ("lotion", "soap"),
)

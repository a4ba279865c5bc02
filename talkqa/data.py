"""Deterministic test data: create payloads per system entity, and fresh values for edits.

Everything comes from the catalogue (`talkqa/spec/systems/*.toml`): which fields an entity
has, their types, which are required, read-only, references, their maximum lengths and
choices, and how the system writes decimals. Values are realistic per field name (`RULES`:
company names, people, emails, phones, addresses, amounts, dates) from Faker's Norwegian
locale, and kept short enough to fit the other systems' fields they travel to.

Public API
----------
``DataFactory(seed, marker, *, locale="no_NO")``
    One per scenario, seeded e.g. with the scenario's node id. The same seed gives the same
    values (Faker is pinned). Each value is drawn from a Faker reseeded with its own key
    (seed, system, entity, record number, field), so adding a field or a record does not
    shift any other value, and recorded request bodies keep matching.

``DataFactory.payload(system, entity, *, references=None, won=True, fields=None) -> dict``
    A valid create body in the API's JSON shape: required fields always, every field with a
    value rule, nested objects for Customerp addresses, decimals as the system writes them
    (Customerp "1234.50", others numbers). `references` maps reference fields to record ids
    (`{"Account_Name": "5725..."}` becomes Zoho's `{"id": ...}`, `{"customer_id": 12}` an
    integer); a required reference left out is a `DataError`. `won` meets the entity's
    selective-sync condition (Zoho Deals: Stage "Closed Won"); `won=False` picks another
    choice (an open stage). `fields` overrides values by catalogue path. Successive calls
    for one entity give different records.

``DataFactory.new_value(system, entity, field_path, data_type, previous) -> Any``
    A value for editing one property: valid for the field, different from `previous` as
    `data_type` compares (`talkqa.spec.compare.same_value`).

``marker_field(entity) -> str``
    The field that carries the run marker: the entity's label, or the last name its label
    is made of (ZohoCRM `Full_Name`, webCRM `PersonName`).

``MARKER_PATTERN``, ``new_marker(rng=None) -> str``
    Run markers ("tqa-1a2b3c4d") are embedded in every record's marker field ("Acme AS
    tqa-1a2b3c4d") and emails ("name.tqa-1a2b3c4d@example.com"), so live runs never meet an
    earlier run's records and leftovers can be found; a cassette matcher masks them with
    the pattern.
"""

from __future__ import annotations

import random
import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from faker import Faker

from talkqa.spec.catalogue import CatalogueError, Entity, Field, System, load_catalogue
from talkqa.spec.compare import RULES, same_value

MARKER_PREFIX = "tqa-"
MARKER_PATTERN = re.compile(r"\btqa-[0-9a-f]{8}\b")
EMAIL_DOMAIN = "example.com"  # reserved (RFC 2606): no test email ever reaches anyone
DATES = (date(2024, 1, 1), date(2026, 12, 31))
BIRTH_DATES = (date(1950, 1, 1), date(2000, 12, 31))
_ATTEMPTS = 20

COUNTIES = (
    "Oslo", "Rogaland", "Møre og Romsdal", "Nordland", "Viken", "Innlandet",
    "Vestfold og Telemark", "Agder", "Vestland", "Trøndelag", "Troms og Finnmark",
)  # fmt: skip
DEAL_TOPICS = ("renewal", "expansion", "new licences", "upgrade", "service agreement", "pilot")
PRODUCT_ADJECTIVES = ("Ergonomic", "Compact", "Heavy-duty", "Wireless", "Premium", "Recycled")
PRODUCT_NOUNS = ("office chair", "desk lamp", "headset", "standing desk", "router", "notebook")
DEPARTMENTS = ("Sales", "Finance", "Purchasing", "IT", "Operations", "Marketing")
SALUTATIONS = ("Mr.", "Mrs.", "Ms.", "Dr.", "Prof.")
VAT_CODES = ("25", "15", "12", "0")
TAGS = ("key account", "nordic", "partner", "prospect", "wholesale", "public sector")

# The catalogue type a mapping's data type stands for, for properties it does not know.
_FIELD_TYPES = {"integer": "integer", "decimal": "decimal", "float": "float", "boolean": "boolean"}
_FIELD_TYPES |= {"list": "list", "date": "date", "datetime": "datetime"}


class DataError(ValueError):
    """Test data that cannot be made as asked: says what is wrong and what to pass."""


def new_marker(rng: random.Random | None = None) -> str:
    """A fresh run marker, "tqa-" and 8 hex digits (from `rng`, else from `secrets`)."""
    bits = rng.getrandbits(32) if rng is not None else secrets.randbits(32)
    return f"{MARKER_PREFIX}{bits:08x}"


def _key(name: str, entity: Entity | None = None) -> str:
    """A field name as the value rules see it: its last dotted part, lower-case letters
    only, without the entity's own prefix (webCRM `OrganisationCity` -> `city`)."""
    key = re.sub(r"[^a-z0-9]", "", name.rsplit(".", 1)[-1].casefold())
    prefix = entity.name.casefold().rstrip("s") if entity is not None else ""
    if prefix and key.startswith(prefix) and len(key) > len(prefix):
        key = key[len(prefix) :]
    return key


def marker_field(entity: Entity) -> str:
    """Where the run marker goes: the label, unless the label is read-only or made of a
    person's name parts, then the last name (which shows in the label)."""
    label = entity.fields.get(entity.label)
    last = next(
        (
            name
            for name, spec in entity.fields.items()
            if _key(name).endswith("lastname") and not spec.read_only
        ),
        None,
    )
    if last is not None and (label is None or label.read_only or last != entity.label):
        return last
    if label is not None and not label.read_only:
        return entity.label
    raise DataError(
        f"{entity.system}.{entity.name}: its label {entity.label} is read-only and it has no "
        "last-name field to carry the run marker; fix the label in the catalogue"
    )


def _kind(entity: Entity) -> str:
    """What records of the entity are: company, person, deal, product (or thing)."""
    names = " ".join((entity.name, entity.collection, *entity.aliases)).casefold()
    kinds = (
        ("company", ("account", "customer", "organi", "company")),
        ("person", ("contact", "person", "people")),
        ("deal", ("deal", "order", "opportunit")),
        ("product", ("product",)),
    )
    for kind, words in kinds:
        if any(word in names for word in words):
            return kind
    return "thing"


def _slug(text: str, limit: int = 30) -> str:
    text = text.casefold().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:limit].strip("-") or "x"


@dataclass
class _Record:
    """What one record's values share: its names, marker and the Faker to draw from."""

    fake: Faker
    marker: str
    kind: str
    system: System
    entity: Entity
    key: str  # the seed prefix of this record (or edit)
    names: dict[str, str] = field(default_factory=dict)

    def draw(self, what: str) -> Faker:
        """The Faker, reseeded for one value: values never depend on each other's order."""
        self.fake.seed_instance(f"{self.key}|{what}")
        return self.fake

    def name(self, part: str) -> str:
        return self.names[part]

    def draw_names(self) -> None:
        """A first, last and company name of the record, drawn before any other value,
        so that the values using them do not depend on which field asked first."""
        self.names = {
            "first": self.draw("name:first").first_name(),
            "last": self.draw("name:last").last_name(),
            "company": self.draw("name:company").company(),
        }


def _money(low: int, high: int) -> Callable[[_Record, Field], Any]:
    def make(rec: _Record, spec: Field) -> Any:
        cents = rec.fake.pyint(low * 100, high * 100)
        return _number(rec, spec, Decimal(cents) / 100)

    return make


def _number(rec: _Record, spec: Field, value: Decimal) -> Any:
    """A number as the field's type and the system's decimal style hold it."""
    if spec.type == "integer":
        return int(value)
    if spec.type == "decimal" and rec.system.decimals == "string":
        return f"{value.quantize(Decimal('0.01'))}"
    return float(value)


def _email(rec: _Record, spec: Field) -> str:
    if rec.kind == "person":
        local = f"{_slug(rec.name('first'), 20)}.{_slug(rec.name('last'), 20)}"
    else:
        local = _slug(rec.name("company"))
    domain = EMAIL_DOMAIN if _key(spec.name, rec.entity) == "email" else "example.net"
    return f"{local}.{rec.marker}@{domain}"


def _date(low: date, high: date) -> Callable[[_Record, Field], str]:
    return lambda rec, spec: rec.fake.date_between_dates(low, high).isoformat()


def _datetime(rec: _Record, spec: Field) -> str:
    day = rec.fake.date_between_dates(*DATES)
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment.replace(hour=rec.fake.pyint(7, 18), minute=rec.fake.pyint(0, 59)).isoformat()


def _words(rec: _Record, spec: Field) -> list[str]:
    return sorted(rec.fake.random_sample(TAGS, length=2))


Make = Callable[[_Record, Field], Any]


def _halves(high: int) -> Make:
    """Numbers from 0 to `high` in steps of 0.5 (stock, discounts)."""
    return lambda rec, spec: _number(rec, spec, Decimal(rec.fake.pyint(0, high * 2)) / 2)


@dataclass(frozen=True)
class Rule:
    """Values for fields whose name (as `_key` gives it) matches `pattern`, of `types`;
    `cap` keeps them short enough for the other systems' fields they travel to."""

    pattern: str
    types: frozenset[str]
    make: Make
    cap: int | None = None


_TEXT = frozenset({"string"})
_NUMBERS = frozenset({"integer", "decimal", "float"})
RULES_BY_NAME: tuple[Rule, ...] = (
    Rule(r"email", _TEXT, _email, 100),
    Rule(r"^firstname$", _TEXT, lambda r, s: r.name("first"), 40),
    Rule(r"^lastname$", _TEXT, lambda r, s: r.name("last"), 60),
    Rule(r"phone|mobile|fax", _TEXT, lambda r, s: r.fake.phone_number(), 30),
    Rule(r"website|www|url", _TEXT, lambda r, s: r.fake.url(), 50),
    Rule(r"vatcode", _TEXT, lambda r, s: r.fake.random_element(VAT_CODES), 10),
    Rule(r"vatnumber", _TEXT, lambda r, s: f"NO{r.fake.numerify('#########')}MVA", 30),
    Rule(r"organi[sz]ationnumber|orgnumber", _TEXT, lambda r, s: r.fake.numerify("9########")),
    Rule(r"siccode", frozenset({"integer"}), lambda r, s: r.fake.pyint(1000, 9999)),
    Rule(r"(street|address)$", _TEXT, lambda r, s: r.fake.street_address(), 60),
    Rule(r"city$", _TEXT, lambda r, s: r.fake.city(), 30),
    Rule(r"state$", _TEXT, lambda r, s: r.fake.random_element(COUNTIES), 30),
    Rule(r"(code|zip)$", _TEXT, lambda r, s: r.fake.postcode(), 20),
    Rule(r"country$", _TEXT, lambda r, s: r.fake.country(), 30),
    Rule(r"employees", frozenset({"integer"}), lambda r, s: r.fake.pyint(2, 5000)),
    Rule(r"revenue", _NUMBERS, _money(100_000, 50_000_000)),
    Rule(r"creditlimit", _NUMBERS, _money(10_000, 1_000_000)),
    Rule(r"amount", _NUMBERS, _money(1_000, 500_000)),
    Rule(r"cost", _NUMBERS, _money(10, 1_000)),
    Rule(r"price", _NUMBERS, _money(1_000, 10_000)),
    Rule(r"discount", _NUMBERS, _halves(30)),
    Rule(r"quantity|stock", _NUMBERS, _halves(2000)),
    Rule(r"description|comment", _TEXT, lambda r, s: r.fake.sentence(nb_words=8), 200),
    Rule(r"^title$", _TEXT, lambda r, s: r.fake.job(), 50),
    Rule(r"department", _TEXT, lambda r, s: r.fake.random_element(DEPARTMENTS)),
    Rule(r"salutation", _TEXT, lambda r, s: r.fake.random_element(SALUTATIONS)),
    Rule(r"birth", frozenset({"date"}), _date(*BIRTH_DATES)),
    Rule(r"date", frozenset({"date"}), _date(*DATES)),
    Rule(r"optout", frozenset({"boolean"}), lambda r, s: r.fake.pybool(20)),
    Rule(r"active", frozenset({"boolean"}), lambda r, s: r.fake.pybool(90)),
    Rule(r"^number$", _TEXT, lambda r, s: r.fake.numerify("1#######"), 40),
    Rule(r"tickersymbol", _TEXT, lambda r, s: r.fake.lexify("????").upper(), 30),
    Rule(r"currency", _TEXT, lambda r, s: "NOK", 3),
    Rule(r"sku", _TEXT, lambda r, s: f"SKU-{r.fake.numerify('#####')}-{r.marker}", 64),
    Rule(r"tags", frozenset({"list"}), _words),
    Rule(r"nextstep", _TEXT, lambda r, s: r.fake.sentence(nb_words=4), 100),
)

# Values by type alone: for required fields no rule knows.
_BY_TYPE: dict[str, Make] = {
    "string": lambda r, s: r.fake.word().capitalize(),
    "integer": lambda r, s: r.fake.pyint(1, 100),
    "decimal": _money(10, 1_000),
    "float": _money(10, 1_000),
    "boolean": lambda r, s: r.fake.pybool(),
    "date": _date(*DATES),
    "datetime": _datetime,
    "list": _words,
}


def _label(rec: _Record, spec: Field) -> str:
    """The marker field's value: a name for the kind of record, then the marker."""
    fake = rec.fake
    base = {
        "company": lambda: rec.name("company"),
        "person": lambda: rec.name("last"),
        "deal": lambda: f"{rec.name('company')} {fake.random_element(DEAL_TOPICS)}",
        "product": lambda: (
            f"{fake.random_element(PRODUCT_ADJECTIVES)} {fake.random_element(PRODUCT_NOUNS)}"
        ),
    }.get(rec.kind, lambda: fake.catch_phrase())()
    room = (spec.max_length or 200) - len(rec.marker) - 1
    return f"{base[:room].rstrip()} {rec.marker}"


def _rule(spec: Field, entity: Entity) -> Rule | None:
    key = _key(spec.name, entity)
    for rule in RULES_BY_NAME:
        if spec.type in rule.types and re.search(rule.pattern, key):
            return rule
    return None


def _maker(spec: Field, rec: _Record) -> tuple[Make, int | None] | None:
    """How to make a value of `spec`, and the length it must keep to; None: no rule."""
    if spec.name == marker_field(rec.entity):
        return _label, spec.max_length
    if spec.choices:
        return (lambda r, s: r.fake.random_element(s.choices)), None
    rule = _rule(spec, rec.entity)
    if rule is not None:
        caps = [c for c in (rule.cap, spec.max_length) if c is not None]
        return rule.make, min(caps) if caps else None
    return None


def _make(rec: _Record, spec: Field, make: Make, limit: int | None, what: str) -> Any:
    """A value that fits `limit`: drawn again (differently seeded) if too long, else cut."""
    value: Any = None
    for attempt in range(_ATTEMPTS):
        rec.draw(f"{what}:{attempt}")
        value = make(rec, spec)
        if limit is None or not isinstance(value, str) or len(value) <= limit:
            return value
    return value[:limit] if isinstance(value, str) else value


class DataFactory:
    """Deterministic payloads and edit values for one scenario (see the module doc)."""

    def __init__(self, seed: str | int, marker: str, *, locale: str = "no_NO") -> None:
        if not MARKER_PATTERN.fullmatch(marker):
            raise DataError(
                f"run marker {marker!r} does not match {MARKER_PATTERN.pattern}; "
                "make one with talkqa.data.new_marker()"
            )
        self.seed = str(seed)
        self.marker = marker
        self._fake = Faker(locale)
        self._counts: dict[str, int] = {}

    def _next(self, key: str) -> int:
        self._counts[key] = self._counts.get(key, 0) + 1
        return self._counts[key]

    def _resolve(self, system: str, entity: str) -> tuple[System, Entity]:
        try:
            return load_catalogue().require(system, entity)
        except CatalogueError as err:
            raise DataError(str(err)) from None

    def _record(self, system: System, entity: Entity, key: str) -> _Record:
        seed = f"{self.seed}|{system.key}|{entity.name}|{key}"
        rec = _Record(self._fake, self.marker, _kind(entity), system, entity, seed)
        rec.draw_names()
        return rec

    def payload(
        self,
        system: str,
        entity: str,
        *,
        references: Mapping[str, str | int] | None = None,
        won: bool = True,
        fields: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A create body for one new record of `entity` (see the module doc)."""
        found_system, found = self._resolve(system, entity)
        number = self._next(f"{found_system.key}|{found.name}")
        rec = self._record(found_system, found, f"record:{number}")
        values: dict[str, Any] = {}
        for name, spec in found.fields.items():
            if spec.read_only or spec.entity is not None:
                continue
            maker = _maker(spec, rec)
            if maker is None and spec.required:
                maker = _BY_TYPE[spec.type], spec.max_length
            if maker is not None:
                values[name] = _make(rec, spec, *maker, what=name)
        condition = found.sync_when
        if condition is not None:
            values[condition.field] = _condition_value(found, won)
        values |= _references(found_system, found, references or {})
        for name, value in (fields or {}).items():
            if found.field(name) is None:
                raise DataError(f"{found_system.title} {found.name} has no field {name!r}")
            values[name] = value
        return _nested(found, values)

    def new_value(
        self, system: str, entity: str, field_path: str, data_type: str, previous: Any
    ) -> Any:
        """A value to edit `field_path` to: valid for the field, and different from
        `previous` as `data_type` compares values."""
        found_system, found = self._resolve(system, entity)
        where = f"{found_system.title} {found.name}.{field_path}"
        spec = found.fields.get(field_path)
        if spec is None and found.field(field_path) is not None:
            spec = found.field(field_path)  # a reference path: Account_Name.id
        if spec is None:
            spec = Field(field_path, _FIELD_TYPES.get(data_type, "string"))
        if spec.read_only:
            raise DataError(f"{where} is read-only: it cannot be given a new value")
        if spec.entity is not None:
            raise DataError(
                f"{where} refers to a {spec.entity}: create another {spec.entity} and set "
                "its id instead of a made-up value"
            )
        compare_as = data_type if data_type in RULES and data_type != "n/a" else spec.type
        compare_as = compare_as if compare_as in RULES else "string"
        if spec.type == "boolean":
            return not same_value(True, previous, "boolean")
        number = self._next(f"new|{found_system.key}|{found.name}|{field_path}")
        for attempt in range(_ATTEMPTS):
            rec = self._record(found_system, found, f"new:{field_path}:{number}:{attempt}")
            default = (_BY_TYPE.get(spec.type, _BY_TYPE["string"]), spec.max_length)
            value = _make(rec, spec, *(_maker(spec, rec) or default), what=field_path)
            # Compared without run markers: whether a value is new must not depend on
            # the run, or a replay would pick another value than its recording did.
            if not same_value(_unmarked(value), _unmarked(previous), compare_as):
                return value
        raise DataError(f"{where}: found no value different from {previous!r}")

    def references(
        self, system: str, entity: str, references: Mapping[str, str | int]
    ) -> dict[str, Any]:
        """Reference fields as the API takes them, for an update: `{"Account_Name":
        "5725..."}` becomes Zoho's `{"Account_Name": {"id": "5725..."}}`."""
        found_system, found = self._resolve(system, entity)
        return _references(found_system, found, references, complete=False)


def _unmarked(value: Any) -> Any:
    return MARKER_PATTERN.sub(MARKER_PREFIX, value) if isinstance(value, str) else value


def _condition_value(entity: Entity, won: bool) -> Any:
    """The selective-sync field's value: meeting the condition, or (not won) the first
    other choice (Zoho Deals: Qualification)."""
    condition = entity.sync_when
    assert condition is not None
    if won:
        return condition.equals
    spec = entity.fields[condition.field]
    if isinstance(condition.equals, bool):
        return not condition.equals
    others = [c for c in spec.choices if c != condition.equals]
    if not others:
        raise DataError(
            f"{entity.system}.{entity.name}.{condition.field} has no choice besides "
            f"{condition.equals!r}; add its choices to the catalogue"
        )
    return others[0]


def _references(
    system: System, entity: Entity, references: Mapping[str, str | int], complete: bool = True
) -> dict[str, Any]:
    """Reference fields as the API takes them: Zoho's `{"id": ...}` (string ids), a bare
    integer where the referenced entity's ids are integers."""
    out: dict[str, Any] = {}
    for name, ref in references.items():
        spec = entity.fields.get(name) or entity.field(name)
        if spec is None or spec.entity is None:
            refs = [n for n, s in entity.fields.items() if s.entity and not s.read_only]
            raise DataError(
                f"{system.title} {entity.name}.{name} is not a reference field; "
                f"its references are: {', '.join(refs) or 'none'}"
            )
        target = system.entities.get(spec.entity)
        id_type = target.id_type if target is not None else "string"
        if id_type == "integer":
            out[spec.name] = int(ref)
        elif spec.type == "lookup":
            out[spec.name] = {"id": str(ref)}
        else:
            out[spec.name] = str(ref)
    missing = [
        name
        for name, spec in entity.fields.items()
        if complete and spec.required and spec.entity is not None and name not in out
    ]
    if missing:
        wanted = ", ".join(f"{n!r}: <{entity.fields[n].entity} id>" for n in missing)
        raise DataError(
            f"a new {system.title} {entity.name} needs references={{{wanted}}}: "
            "create the referenced record first and pass its id"
        )
    return out


def _nested(entity: Entity, values: dict[str, Any]) -> dict[str, Any]:
    """Dotted catalogue paths as the nested objects the API takes; an object has all its
    members (null where no value), as Customerp's address schema requires."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        group, dot, member = name.partition(".")
        if not dot or group in entity.fields:
            out[name] = value
            continue
        members = out.setdefault(group, {})
        if isinstance(members, dict):
            members[member] = value
    for name in entity.fields:
        group, dot, member = name.partition(".")
        if dot and isinstance(out.get(group), dict):
            out[group].setdefault(member, None)
    return out

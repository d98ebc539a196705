"""Deterministic, lazy generation of the portal's records from (seed, scale).

Only per-record arrays are materialized up front (ids, createdAt, updatedAt, archived flags); property values are
derived on demand from a 64-bit mix of (seed, object type, record id, property) that indexes a small pool of
precomputed strings per property. A page of 100 full-width contacts is one numpy gather, so the sandbox is never
the bottleneck, and `large` (1,000,000 contacts) fits in a few hundred MB.

Same seed and scale give the same ids, timestamps, values, history and associations in every process.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

import numpy as np

from hubspot_assets.sandbox.portal import (
    ASSOCIATIONS,
    DATA_END_MS,
    DATA_START_MS,
    PIPELINES,
    SPECS,
    AssociationKind,
    ObjectSpec,
    PropertyDef,
)

POOL_SIZE = 64
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MASK = (1 << 64) - 1


def stable_hash(*parts: object) -> int:
    """A process-independent 32-bit hash of the parts (Python's `hash` of str changes per process)."""
    return zlib.crc32(":".join(str(p) for p in parts).encode())


def mix(values: np.ndarray, salt: np.ndarray | int) -> np.ndarray:
    """splitmix64 of values combined with salt; uint64 in, uint64 out, vectorized and wrap-around."""
    z = values.astype(np.uint64) * _GOLDEN + np.asarray(salt, dtype=np.uint64)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def mix1(value: int, salt: int) -> int:
    """Scalar `mix` (same result as the vectorized one)."""
    z = (value * 0x9E3779B97F4A7C15 + salt) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def iso(ms: int) -> str:
    """Epoch milliseconds as HubSpot's ISO-8601 (`2025-12-22T18:16:33.376Z`)."""
    return str(np.datetime64(int(ms), "ms")) + "Z"


def iso_many(ms: np.ndarray) -> list[str]:
    """Vectorized `iso`."""
    return [s + "Z" for s in np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms").tolist()]


# --- value pools -------------------------------------------------------------------------------------------------

FIRST = ("Alice", "Bob", "Chloé", "David", "Émilie", "Farah", "Grégoire", "Hana", "Ivan", "José", "Kofi", "Léa",
         "Mateo", "Nguyễn", "Olga", "Priya", "Quentin", "Rūta", "Søren", "Tomás", "Uma", "Václav", "Wei", "Xóchitl",
         "Yusuf", "Zoë", "Björn", "Łukasz", "Ana-María", "Sinéad", "健太", "Мария")
LAST = ("Martin", "O'Brien", "Müller", "García", "Núñez", "Kowalski", "Dubois", "Smith", "Tanaka", "Ødegaard",
        "Żukowska", "van der Berg", "Johnson", "Lefèvre", "Rossi", "Haddad", "Nakamura", "Silva", "Brown", "Schmidt",
        "Petrov", "Öztürk", "Fernández", "Ng", "Dupont", "山田", "Ivanova", "Kim")
ASCII_FIRST = ("alice", "bob", "chloe", "david", "emilie", "farah", "greg", "hana", "ivan", "jose", "kofi", "lea",
               "mateo", "olga", "priya", "ruta", "soren", "tomas", "uma", "wei", "yusuf", "zoe")
COMPANY = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises", "Soylent",
           "Cyberdyne", "Tyrell", "Wonka", "Aperture", "Pied Piper", "Vandelay", "Dunder Mifflin", "Oceanic",
           "Société Générale de Tests", "Nordlicht GmbH", "Łódź Logistics", "Kōbe Robotics", "Café Crème SARL")
SUFFIX = ("Inc.", "LLC", "GmbH", "SAS", "Ltd", "KK", "AB", "S.p.A.", "")
CITY = ("Paris", "Berlin", "New York", "São Paulo", "Zürich", "Kraków", "Tokyo", "Montréal", "Reykjavík",
        "Cape Town", "Austin", "Lyon", "München", "Sydney", "Dublin", "Bogotá")
COUNTRY = ("France", "Germany", "United States", "Brazil", "Switzerland", "Poland", "Japan", "Canada", "Iceland",
           "South Africa", "Australia", "Ireland", "Colombia", "España", "Česko")
STATE = ("CA", "NY", "TX", "Île-de-France", "Bavaria", "Ontario", "Québec", "NSW", "Kantō")
JOB = ("CEO", "CTO", "VP Sales", "Head of Marketing", "Data Engineer", "Account Executive", "Office Manager",
       "Responsable achats", "Geschäftsführer", "Support Lead", "Product Manager", "Analyst")
WORDS = ("renewal", "pricing", "onboarding", "integration", "contract", "feedback", "roadmap", "invoice", "demo",
         "migration", "security", "review", "budget", "timeline", "training", "escalation", "déploiement", "Angebot",
         "proposal", "kickoff", "follow-up", "quote", "SLA", "upgrade")
DISPOSITIONS = ("f240bbac-87c9-4f6e-bf70-924b57d47db7", "a4c4c377-d246-4b32-a13b-75a56a4cd0ff",
                "b2cf5968-551e-4856-9783-52b3da59a7d0", "73a0d17f-1163-4015-bdd5-ec830791da20",
                "17b47fee-58de-441e-a44c-c6300d46f273", "9d9162e7-6cf3-4944-bf63-4dff82258764")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(3, 9))]
    return (" ".join(words)).capitalize() + rng.choice((".", "!", "?", " — à suivre.", " 🚀"))


def _html(rng: random.Random) -> str:
    items = "".join(f"<li>{_sentence(rng)}</li>" for _ in range(rng.randint(1, 4)))
    return (f"<div><p>{_sentence(rng)} <b>{rng.choice(WORDS)}</b> &amp; {rng.choice(FIRST)}</p>"
            f"<ul>{items}</ul><p><a href=\"https://example.com/{rng.randint(1, 999)}\">link</a></p></div>")


def _datetime_str(rng: random.Random) -> str:
    return iso(rng.randint(DATA_START_MS, DATA_END_MS))


def _pool_value(prop: PropertyDef, rng: random.Random) -> str:
    v = prop.vocab
    if v == "firstname":
        return rng.choice(FIRST)
    if v == "lastname":
        return rng.choice(LAST)
    if v == "company":
        return f"{rng.choice(COMPANY)} {rng.choice(SUFFIX)}".strip()
    if v == "domain":
        return f"{rng.choice(COMPANY).split()[0].lower()}{rng.randint(1, 999)}.example.com"
    if v == "website":
        return f"https://www.{rng.choice(COMPANY).split()[0].lower()}{rng.randint(1, 99)}.example.com"
    if v == "phone":
        country = rng.choice((1, 33, 49, 44, 81))
        return f"+{country} {rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    if v == "jobtitle":
        return rng.choice(JOB)
    if v == "city":
        return rng.choice(CITY)
    if v == "country":
        return rng.choice(COUNTRY)
    if v == "state":
        return rng.choice(STATE)
    if v == "zip":
        return f"{rng.randint(1000, 99999):05d}"
    if v == "street":
        return f"{rng.randint(1, 200)} {rng.choice(('rue de la Paix', 'Main Street', 'Hauptstraße', 'Calle Mayor'))}"
    if v == "industry_text":
        return rng.choice(("Software", "Finance", "Santé", "Retail", "Education"))
    if v == "money":
        if rng.random() < 0.7:
            return f"{rng.randint(0, 500000)}"
        return f"{rng.randint(0, 500000)}.{rng.randint(0, 99):02d}"
    if v == "price":
        return f"{rng.randint(5, 5000)}.{rng.choice((0, 50, 99)):02d}"
    if v == "count":
        return str(rng.randint(0, 5000))
    if v == "small_count":
        return str(rng.randint(0, 12))
    if v == "probability":
        return str(rng.choice((0.1, 0.25, 0.5, 0.75, 0.9)))
    if v == "year":
        return str(rng.randint(1950, 2025))
    if v == "weight":
        return f"{rng.randint(1, 60)}.{rng.randint(0, 9)}"
    if v == "duration":
        return str(rng.randint(5, 3600) * 1000)
    if v == "quote_number":
        return f"{rng.randint(20230000, 20259999)}-{rng.randint(100, 999)}"
    if v == "sku":
        return f"SKU-{rng.randint(10000, 99999)}-{rng.choice('ABCDEFGH')}"
    if v == "product":
        return rng.choice(("Starter plan", "Pro plan", "Enterprise plan", "Onboarding package", "Support add-on",
                           "Formation (1 jour)", "Extra seats", "API add-on"))
    if v == "period":
        return rng.choice(("P12M", "P24M", "P1M", "P3M"))
    if v == "subject":
        return _sentence(rng)[:60]
    if v == "dealname":
        return f"{rng.choice(COMPANY)} — {rng.choice(WORDS)} {rng.randint(2023, 2026)}"
    if v == "sentence":
        return _sentence(rng)
    if v == "paragraph":
        return " ".join(_sentence(rng) for _ in range(rng.randint(1, 4)))
    if v == "html":
        return _html(rng)
    if v == "disposition":
        return rng.choice(DISPOSITIONS)
    if v == "recording":
        return f"https://api.twilio.com/recordings/RE{rng.getrandbits(64):016x}.mp3"
    if v == "attachments":
        return ";".join(str(rng.randint(10_000_000, 99_999_999)) for _ in range(rng.randint(1, 3)))
    if v == "email_headers":
        a, b = rng.choice(ASCII_FIRST), rng.choice(ASCII_FIRST)
        return ('{"from":{"email":"%s@example.com","firstName":"%s"},"to":[{"email":"%s@example.org"}],"cc":[],'
                '"bcc":[]}' % (a, a.title(), b))
    # by type
    t = prop.type
    if t == "bool":
        return rng.choice(("true", "false"))
    if t == "number":
        return str(rng.randint(0, 10_000)) if rng.random() < 0.8 else f"{rng.uniform(0, 1000):.2f}"
    if t == "date":
        return str(np.datetime64(rng.randint(DATA_START_MS, DATA_END_MS), "ms").astype("datetime64[D]"))
    if t == "datetime":
        return _datetime_str(rng)
    if t == "phone_number":
        return f"+1{rng.randint(200, 999)}{rng.randint(1000000, 9999999)}"
    if t == "enumeration":
        values = [value for _, value in prop.options] or ["a", "b"]
        if prop.field_type == "checkbox":
            return ";".join(rng.sample(values, rng.randint(1, min(3, len(values)))))
        return rng.choice(values)
    if prop.field_type == "textarea":
        return " ".join(_sentence(rng) for _ in range(rng.randint(1, 3)))
    return f"{rng.choice(WORDS)} {rng.choice(FIRST)} {rng.randint(1, 9999)}"


def build_pool(seed: int, object_type: str, prop: PropertyDef, owner_ids: list[int],
               product_ids: np.ndarray | None) -> list[str | None]:
    """The POOL_SIZE values a property draws from (None entries give its null rate)."""
    rng = random.Random(stable_hash(seed, object_type, prop.name))
    nulls = round(POOL_SIZE * prop.null_rate)
    if prop.vocab == "@owner":
        values: list[str | None] = [str(rng.choice(owner_ids)) for _ in range(POOL_SIZE - nulls)]
    elif prop.vocab == "@product":
        ids = product_ids if product_ids is not None and len(product_ids) else np.array([1])
        values = [str(int(ids[rng.randrange(len(ids))])) for _ in range(POOL_SIZE - nulls)]
    elif prop.vocab.startswith("@"):
        values = [None] * (POOL_SIZE - nulls)  # computed per record
    else:
        values = [_pool_value(prop, rng) for _ in range(POOL_SIZE - nulls)]
    values += [None] * nulls
    rng.shuffle(values)
    return values


# --- owners ------------------------------------------------------------------------------------------------------

TEAMS = ({"id": "9001", "name": "Sales EMEA"}, {"id": "9002", "name": "Sales Americas"},
         {"id": "9003", "name": "Support"})


def build_owners(seed: int, count: int = 20) -> list[dict]:
    """About 20 owners (a few queues, two archived) as `GET /crm/v3/owners` answers them."""
    rng = random.Random(stable_hash(seed, "owners"))
    owners = []
    for k in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        owner_id = 40_000_000 + k * 7919 + rng.randint(1, 999)
        created = rng.randint(DATA_START_MS - 200 * 86_400_000, DATA_START_MS)
        queue = k in (5, 13)
        team = TEAMS[k % len(TEAMS)]
        teams = [{"id": team["id"], "name": team["name"], "primary": True}]
        if k % 4 == 0:
            other = TEAMS[(k + 1) % len(TEAMS)]
            teams.append({"id": other["id"], "name": other["name"], "primary": False})
        user_id = 7_000_000 + k * 131
        owners.append({
            "id": str(owner_id),
            "email": f"{ASCII_FIRST[k % len(ASCII_FIRST)]}.{k}@sandbox-portal.example.com",
            "type": "QUEUE" if queue else "PERSON",
            "firstName": "" if queue else first,
            "lastName": f"Queue {k}" if queue else last,
            "userId": None if queue else user_id,
            "userIdIncludingInactive": None if queue else user_id,
            "createdAt": iso(created),
            "updatedAt": iso(created + rng.randint(0, 300) * 86_400_000),
            "archived": k in (7, 17),
            "teams": teams,
        })
    owners.sort(key=lambda o: int(o["id"]))
    return owners


# --- per-type data -----------------------------------------------------------------------------------------------

def type_count(spec: ObjectSpec, contacts: int) -> int:
    """How many base records a type has for a given contact count."""
    if spec.name == "contacts":
        return contacts
    return max(3, round(contacts * spec.ratio))


@dataclass
class BaseArrays:
    """The materialized state of a type's generated records (index k is the k-th smallest id)."""

    ids: np.ndarray  # int64 ascending
    created: np.ndarray  # int64 epoch ms
    updated: np.ndarray  # int64 epoch ms
    archived: np.ndarray  # bool
    merged_into: dict[int, int]  # merged (archived) id -> primary id
    merged_from: dict[int, list[int]]  # primary id -> merged ids


def build_arrays(seed: int, spec: ObjectSpec, n: int) -> BaseArrays:
    """Ids (ascending with gaps), timestamps and archive/merge flags for a type's n generated records."""
    rng = np.random.default_rng([seed, stable_hash(spec.name)])
    ids = spec.id_base + np.cumsum(rng.integers(1, 4, size=n, dtype=np.int64))
    span = DATA_END_MS - DATA_START_MS
    # Ids grow with creation time, as in HubSpot; a little jitter keeps ties rare but order loose.
    created = DATA_START_MS + (np.arange(n, dtype=np.int64) * span) // max(n, 1) + rng.integers(0, 3_600_000, n)
    age = DATA_END_MS - created
    frac = rng.random(n) ** 2  # most records were touched well after creation; some recently
    updated = created + (frac * age).astype(np.int64)
    updated = np.minimum(updated + rng.integers(0, 1000, n), DATA_END_MS)
    archived = rng.random(n) < 0.02
    merged_into: dict[int, int] = {}
    merged_from: dict[int, list[int]] = {}
    if spec.name in ("contacts", "companies") and n > 10:
        candidates = np.flatnonzero((rng.random(n) < 0.01) & ~archived)
        for k in candidates.tolist():
            primary = k - 1
            if primary < 0 or archived[primary] or int(ids[primary]) in merged_into or k in merged_from:
                continue
            archived[k] = True
            merged_into[int(ids[k])] = int(ids[primary])
            merged_from.setdefault(int(ids[primary]), []).append(int(ids[k]))
            updated[primary] = max(int(updated[primary]), int(updated[k]))
    return BaseArrays(ids, created, updated, archived, merged_into, merged_from)


Computed = Callable[[int, int, int], "str | None"]  # (id, created ms, updated ms) -> value


class TypeGenerator:
    """Property values, history and generated associations of one object type's base records."""

    def __init__(self, seed: int, spec: ObjectSpec, base: BaseArrays, owner_ids: list[int],
                 product_ids: np.ndarray | None) -> None:
        self.seed = seed
        self.spec = spec
        self.base = base
        self.props = list(spec.properties)
        self.names = [p.name for p in self.props]
        self.index = {name: j for j, name in enumerate(self.names)}
        pools = [build_pool(seed, spec.name, p, owner_ids, product_ids) for p in self.props]
        self.flatpool = np.empty(len(pools) * POOL_SIZE, dtype=object)
        for j, pool in enumerate(pools):
            self.flatpool[j * POOL_SIZE:(j + 1) * POOL_SIZE] = pool
        self.offsets = np.arange(len(pools), dtype=np.uint64) * np.uint64(POOL_SIZE)
        self.salts = np.array([stable_hash(seed, spec.name, p.name) for p in self.props], dtype=np.uint64)
        self.computed: dict[str, Computed] = {}
        self._setup_computed()

    # -- values --

    def values(self, ids: np.ndarray, columns: np.ndarray) -> list[list[str | None]]:
        """Pool values for records `ids` (int64) and property columns (indexes into self.names): rows of lists."""
        h = mix(ids[:, None], self.salts[columns][None, :])
        flat = self.offsets[columns][None, :] + (h % np.uint64(POOL_SIZE))
        return self.flatpool[flat.astype(np.intp)].tolist()

    def _setup_computed(self) -> None:
        spec, seed = self.spec, self.seed
        c = self.computed
        c["hs_object_id"] = lambda i, cr, up: str(i)
        c[spec.createdate] = lambda i, cr, up: iso(cr)
        c[spec.lastmodified] = lambda i, cr, up: iso(up)
        merged_from = self.base.merged_from
        c["hs_merged_object_ids"] = lambda i, cr, up: (";".join(map(str, merged_from[i])) if i in merged_from
                                                       else None)
        if spec.name == "contacts":
            salt = stable_hash(seed, "email")

            def email(i: int, cr: int, up: int) -> str:
                h = mix1(i, salt)
                return (f"{ASCII_FIRST[h % len(ASCII_FIRST)]}.{i}@"
                        f"{('example.com', 'example.org', 'mail.example.net', 'exemple.fr')[(h >> 8) % 4]}")

            c["email"] = email
        if spec.name == "line_items":
            quantity, price, discount = (self._pooled(n) for n in ("quantity", "price", "discount"))

            def amount(i: int, cr: int, up: int) -> str:
                # HubSpot's net price: quantity x (unit price - unit discount), never below zero.
                unit = max(Decimal(price(i) or "0") - Decimal(discount(i) or "0"), Decimal(0))
                return str((Decimal(quantity(i) or "0") * unit).quantize(Decimal("0.01")))

            c["amount"] = amount
        if "hs_timestamp" in self.index:
            c["hs_timestamp"] = lambda i, cr, up: iso(cr - (mix1(i, 77) % (7 * 86_400_000)))
        if spec.name == "calls":
            c["hs_call_has_transcript"] = lambda i, cr, up: "true" if self.has_transcript(i) else "false"
            c["hs_call_transcription_id"] = lambda i, cr, up: (transcription_id(i) if self.has_transcript(i)
                                                               else None)
        if spec.name in PIPELINES:
            pipe_prop, stage_prop = ("pipeline", "dealstage") if spec.name == "deals" else ("hs_pipeline",
                                                                                           "hs_pipeline_stage")
            c[pipe_prop] = lambda i, cr, up: self.pipeline_of(i)[0].id
            c[stage_prop] = lambda i, cr, up: self.pipeline_of(i)[0].stages[self.pipeline_of(i)[1]].id
            for pipeline in PIPELINES[spec.name]:
                for k, stage in enumerate(pipeline.stages):
                    c[f"hs_v2_date_entered_{stage.id}"] = self._stage_time(pipeline.id, k, entered=True)
                    c[f"hs_v2_date_exited_{stage.id}"] = self._stage_time(pipeline.id, k, entered=False)

    def _pooled(self, name: str) -> Callable[[int], str | None]:
        """The generated (pool) value of one property for one record id, as `values` gives it."""
        j = self.index[name]
        salt, start = int(self.salts[j]), j * POOL_SIZE
        return lambda i: self.flatpool[start + mix1(i, salt) % POOL_SIZE]

    def has_transcript(self, call_id: int) -> bool:
        return mix1(call_id, stable_hash(self.seed, "transcript")) % 3 == 0

    def pipeline_of(self, record_id: int) -> tuple:
        """(pipeline, current stage index) of a deal or ticket."""
        pipelines = PIPELINES[self.spec.name]
        h = mix1(record_id, stable_hash(self.seed, "pipeline"))
        pipeline = pipelines[0] if h % 10 < 8 else pipelines[1]
        return pipeline, (h >> 16) % len(pipeline.stages)

    def _stage_time(self, pipeline_id: str, k: int, entered: bool) -> Computed:
        def value(i: int, cr: int, up: int) -> str | None:
            pipeline, current = self.pipeline_of(i)
            if pipeline.id != pipeline_id or k > current or (not entered and k == current):
                return None
            step = max(1, (up - cr) // (current + 1))
            return iso(cr + step * (k + 1 if not entered else k))
        return value

    def history(self, record_id: int, name: str, current: str | None, created: int, updated: int) -> list[dict]:
        """Generated versions of a property, newest first (the current value at the top)."""
        j = self.index.get(name)
        if current is None or j is None:
            return []
        h = mix1(record_id, int(self.salts[j]) ^ 0x5A5A)
        computed = name in self.computed
        versions = 1 if computed else 1 + h % 3
        span = max(1, updated - created)
        out = []
        sources = ("CRM_UI", "IMPORT", "API", "INTEGRATION", "CALCULATED")
        for v in range(versions):
            if v == 0:
                value, ts = current, updated if computed or versions > 1 else created
            else:
                pick = (h >> (8 * v)) % POOL_SIZE
                value = self.flatpool[j * POOL_SIZE + pick]
                if value is None:
                    value = ""
                ts = created + span * (versions - v - 1) // versions
            source = sources[(h >> (4 + v)) % len(sources)]
            entry = {"value": value, "timestamp": iso(ts), "sourceType": source}
            if source == "CRM_UI":
                entry["updatedByUserId"] = 7_000_000 + 131 * ((h >> 20) % 20)
            elif source in ("INTEGRATION", "API"):
                entry["sourceId"] = f"{(h >> 24) % 900000 + 100000}"
                entry["sourceLabel"] = "Sandbox sync"
            out.append(entry)
        return out

    def history_many(self, ids: np.ndarray, created: np.ndarray, updated: np.ndarray, names: list[str],
                     currents: list[dict]) -> list[dict[str, list[dict]]]:
        """`history` for a page at once: ids/created/updated (generated values) and the current generated
        values per record; same answer as calling `history` per (record, name), several times faster."""
        columns = np.array([self.index[n] for n in names], dtype=np.intp)
        salts = self.salts[columns] ^ np.uint64(0x5A5A)
        hashes = mix(ids[:, None], salts[None, :]).tolist()
        span = np.maximum(1, updated - created)
        created_iso = iso_many(created)
        updated_iso = iso_many(updated)
        third_iso = iso_many(created + span // 3)
        sources = ("CRM_UI", "IMPORT", "API", "INTEGRATION", "CALCULATED")
        computed = [n in self.computed for n in names]
        flatpool = self.flatpool
        out = []
        for r, row in enumerate(hashes):
            per_record: dict[str, list[dict]] = {}
            current = currents[r]
            stamps = (created_iso[r], third_iso[r], updated_iso[r])
            for c, name in enumerate(names):
                value = current.get(name)
                if value is None:
                    per_record[name] = []
                    continue
                h = row[c]
                versions = 1 if computed[c] else 1 + h % 3
                entries = []
                for v in range(versions):
                    if v == 0:
                        ts = stamps[2] if computed[c] or versions > 1 else stamps[0]
                    else:
                        value = flatpool[int(columns[c]) * POOL_SIZE + (h >> (8 * v)) % POOL_SIZE]
                        if value is None:
                            value = ""
                        # created + span * (versions - v - 1) // versions: the creation, or a third of the way
                        ts = stamps[1] if versions - v - 1 == 1 else stamps[0]
                    source = sources[(h >> (4 + v)) % 5]
                    entry = {"value": value, "timestamp": ts, "sourceType": source}
                    if source == "CRM_UI":
                        entry["updatedByUserId"] = 7_000_000 + 131 * ((h >> 20) % 20)
                    elif source in ("INTEGRATION", "API"):
                        entry["sourceId"] = f"{(h >> 24) % 900000 + 100000}"
                        entry["sourceLabel"] = "Sandbox sync"
                    entries.append(entry)
                per_record[name] = entries
            out.append(per_record)
        return out

    # -- associations --

    def edges_to_parent(self, kind: AssociationKind, child_ids: np.ndarray, parent_n: int) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
        """Parent indexes (first link, second link; -1 when absent) for generated child ids."""
        salt = stable_hash(self.seed, kind.child, kind.parent)
        h1 = mix(child_ids, salt)
        h2 = mix(child_ids, salt ^ 0xFFFF)
        first = np.where(h1 % np.uint64(1000) < np.uint64(int(kind.coverage * 1000)),
                         (h1 >> np.uint64(16)) % np.uint64(parent_n), np.uint64(parent_n)).astype(np.int64)
        second = np.where((h2 % np.uint64(1000) < np.uint64(int(kind.second_rate * 1000)))
                          & (first < parent_n), (h2 >> np.uint64(16)) % np.uint64(parent_n),
                          np.uint64(parent_n)).astype(np.int64)
        first[first >= parent_n] = -1
        second[(second >= parent_n) | (second == first)] = -1
        return first, second


def transcription_id(call_id: int) -> str:
    """The transcript id a call with a transcript carries (`store.call_for_transcript` inverts it)."""
    return str(call_id * 10 + 7)


def call_id_from_transcription(transcript_id: str) -> int | None:
    try:
        value = int(transcript_id)
    except (TypeError, ValueError):
        return None
    return value // 10 if value % 10 == 7 else None


def link_types(kind: AssociationKind, child_id: int, seed: int, link: int, child_to_parent: bool) -> list[dict]:
    """associationTypes of a generated link (link 0 first, 1 second), in the given direction."""
    out = []
    if child_to_parent and link == 0 and kind.primary_child_to_parent is not None:
        out.append({"category": "HUBSPOT_DEFINED", "typeId": kind.primary_child_to_parent, "label": "Primary"})
    out.append({"category": "HUBSPOT_DEFINED",
                "typeId": kind.child_to_parent if child_to_parent else kind.parent_to_child, "label": None})
    if kind.user_label is not None and mix1(child_id, stable_hash(seed, kind.child, kind.parent, link)) % 4 == 0:
        type_id = kind.user_label[0] if child_to_parent else kind.user_label[1]
        out.append({"category": "USER_DEFINED", "typeId": type_id, "label": kind.user_label[2]})
    return out


__all__ = ["ASSOCIATIONS", "SPECS", "BaseArrays", "TypeGenerator", "build_arrays", "build_owners", "iso",
           "iso_many", "link_types", "mix", "mix1", "stable_hash", "transcription_id", "type_count"]

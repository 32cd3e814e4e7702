"""Demo data: a realistic county court, deterministic for a seed.

Cases are generated in memory with the columns the apps above the register fill for new cases
(`extensions.prepare_new`: the statutory clock), worked out once per filing date and kind of case,
and written in bulk (COPY on PostgreSQL, bulk_create
elsewhere); their "registered" and "closed" events are then written by one INSERT … SELECT each.
On PostgreSQL the case and event tables' secondary indexes, unique and foreign-key constraints are
dropped for the load and rebuilt after it, in the same transaction, with the same definitions:
building an index once is several times cheaper than keeping it up to date row by row, and a
foreign key added to a full table is checked by one query instead of a trigger per row. A million
cases take about a minute and a half on PostgreSQL (see bench/RESULTS.md).
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from . import ageing, case_numbers, extensions
from .models import Case, CaseEvent, CaseStatus, Court, Division, DivisionKind, User
from .roles import Role

DEMO_PASSWORD = "courtflow-demo"  # noqa: S105 - printed on screen for the demo logins
COURT_CODE = "黔0281"
COURT_NAME = "盘州市人民法院"

DIVISIONS = [
    # code, name, kind, handlers, clerks
    ("filing", "立案庭", DivisionKind.FILING, 2, 2),
    ("civil-1", "民一庭", DivisionKind.CIVIL, 4, 3),
    ("civil-2", "民二庭", DivisionKind.CIVIL, 4, 2),
    ("criminal", "刑事审判庭", DivisionKind.CRIMINAL, 3, 2),
    ("administrative", "行政审判庭", DivisionKind.ADMINISTRATIVE, 1, 1),
    ("enforcement", "执行局", DivisionKind.ENFORCEMENT, 5, 3),
    ("tribunal-hongguo", "红果人民法庭", DivisionKind.TRIBUNAL, 2, 2),
    ("tribunal-baiguo", "柏果人民法庭", DivisionKind.TRIBUNAL, 1, 1),
    ("tribunal-panguan", "盘关人民法庭", DivisionKind.TRIBUNAL, 1, 1),
    ("trial-management", "审判管理办公室", DivisionKind.TRIAL_MANAGEMENT, 0, 0),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏飞宇晨欣怡浩然子涵雨轩婷雪梅海波"
COMPANIES = [
    "贵州盘江建设有限公司",
    "盘州市宏达商贸有限公司",
    "六盘水农村商业银行",
    "盘州市鑫源煤业有限公司",
    "中国建设银行盘州支行",
    "贵州黔西南物流有限公司",
    "盘州市城投公司",
    "贵州恒信小额贷款有限公司",
]

CAUSES = {
    "civil": [
        "民间借贷纠纷",
        "买卖合同纠纷",
        "离婚纠纷",
        "机动车交通事故责任纠纷",
        "劳务合同纠纷",
        "金融借款合同纠纷",
        "建设工程施工合同纠纷",
        "物业服务合同纠纷",
        "房屋租赁合同纠纷",
        "提供劳务者受害责任纠纷",
        "抚养纠纷",
        "继承纠纷",
        "信用卡纠纷",
        "追索劳动报酬纠纷",
    ],
    "criminal": [
        "危险驾驶罪",
        "盗窃罪",
        "故意伤害罪",
        "诈骗罪",
        "帮助信息网络犯罪活动罪",
        "交通肇事罪",
        "开设赌场罪",
        "非法采矿罪",
        "寻衅滋事罪",
        "掩饰、隐瞒犯罪所得罪",
    ],
    "administrative": ["行政处罚", "行政强制", "行政登记", "行政征收", "工伤认定", "政府信息公开"],
    "enforcement": [
        "民间借贷纠纷",
        "买卖合同纠纷",
        "金融借款合同纠纷",
        "劳务合同纠纷",
        "机动车交通事故责任纠纷",
        "追索劳动报酬纠纷",
        "离婚纠纷",
    ],
    "other": ["司法救助", "破产清算", "国家赔偿"],
}

# (type code, share of intake, divisions it goes to)
TYPE_MIX = [
    ("民初", 0.50, ["civil-1", "civil-2", "tribunal-hongguo", "tribunal-baiguo", "tribunal-panguan"]),
    ("民特", 0.03, ["filing"]),
    ("民督", 0.01, ["filing"]),
    ("刑初", 0.08, ["criminal"]),
    ("行初", 0.015, ["administrative"]),
    ("行审", 0.015, ["administrative"]),
    ("执", 0.24, ["enforcement"]),
    ("执恢", 0.04, ["enforcement"]),
    ("执保", 0.045, ["enforcement"]),
    ("执异", 0.015, ["enforcement"]),
    ("司救", 0.005, ["filing"]),
    ("破申", 0.005, ["civil-2"]),
]

PROCEDURES = {
    "民初": [("simple", 0.55), ("small_claims", 0.15), ("ordinary", 0.30)],
    "刑初": [("fast_track", 0.30), ("simple", 0.40), ("ordinary", 0.30)],
    "行初": [("simple", 0.30), ("ordinary", 0.70)],
    "民特": [("special", 1.0)],
    "民督": [("special", 1.0)],
}

CLOSURES = {
    "civil": [
        ("judgment", 0.35),
        ("mediation", 0.35),
        ("withdrawal", 0.22),
        ("dismissal", 0.03),
        ("transfer", 0.02),
        ("ruling", 0.03),
    ],
    "criminal": [("judgment", 0.95), ("withdrawal", 0.03), ("ruling", 0.02)],
    "administrative": [("judgment", 0.55), ("withdrawal", 0.30), ("ruling", 0.15)],
    "enforcement": [
        ("enforcement_completed", 0.45),
        ("terminated_for_now", 0.45),
        ("withdrawal", 0.05),
        ("ruling", 0.05),
    ],
    "other": [("ruling", 0.7), ("other", 0.3)],
}


def _weighted(rng: random.Random, pairs):
    x = rng.random()
    acc = 0.0
    for value, weight in pairs:
        acc += weight
        if x < acc:
            return value
    return pairs[-1][0]


def _duration_days(rng: random.Random, category: str) -> int:
    """Days to closing: most within a few months, a long tail past 6 and 15 months."""
    x = rng.random()
    if x < 0.62:
        return rng.randint(5, 90)
    if x < 0.86:
        return rng.randint(91, 180)
    if x < 0.95:
        return rng.randint(181, 365)
    if x < 0.985:
        return rng.randint(366, 456)
    return rng.randint(457, 1100 if category != "criminal" else 700)


@dataclass
class SeedResult:
    court: Court
    users: dict[str, User]
    cases: int


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        if name not in used:
            used.add(name)
            return name


@transaction.atomic
def build_staff(rng: random.Random) -> tuple[Court, dict[str, Division], dict[str, list[User]], dict[str, User]]:
    court = Court.objects.create(name=COURT_NAME, code=COURT_CODE)
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in Role.ALL}
    password = make_password(DEMO_PASSWORD)
    used: set[str] = set()
    divisions: dict[str, Division] = {}
    for order, (code, name, kind, _h, _c) in enumerate(DIVISIONS):
        divisions[code] = Division.objects.create(court=court, code=code, name=name, kind=kind, sort_order=order)

    def person(username: str, division: Division | None, *roles: str) -> User:
        user = User.objects.create(
            username=username,
            name=_name(rng, used),
            court=court,
            division=division,
            password=password,
            is_staff=Role.ADMIN in roles,
            is_superuser=Role.ADMIN in roles,
        )
        user.groups.add(*(groups[r] for r in roles))
        return user

    demo: dict[str, User] = {}
    tmo = divisions["trial-management"]
    demo["president"] = person("president", tmo, Role.PRESIDENT, Role.HANDLER)
    vps = [person(f"vp{i}", tmo, Role.VICE_PRESIDENT, Role.HANDLER) for i in (1, 2, 3)]
    demo["vice_president"] = vps[0]
    officers = [person(f"tracker{i}", tmo, Role.TRACKING_OFFICER) for i in (1, 2)]
    demo["tracking_officer"] = officers[0]
    demo["integration"] = person("integration", None, Role.INTEGRATION)
    demo["admin"] = person("admin", None, Role.ADMIN)
    handlers: dict[str, list[User]] = {}
    for i, (code, _label, _kind, n_handlers, n_clerks) in enumerate(DIVISIONS):
        division = divisions[code]
        if code == "trial-management":
            division.head = officers[0]
            division.tracking_officer = officers[0]
            division.vice_president = demo["president"]
            division.save()
            continue
        head = person(f"head-{code}", division, Role.DIVISION_HEAD, Role.HANDLER)
        judges = [head] + [person(f"judge-{code}-{n}", division, Role.HANDLER) for n in range(1, n_handlers + 1)]
        clerks = [person(f"clerk-{code}-{n}", division, Role.CLERK) for n in range(1, n_clerks + 1)]
        handlers[code] = judges
        handlers[f"{code}:clerks"] = clerks
        division.head = head
        division.vice_president = vps[i % len(vps)]
        division.tracking_officer = officers[i % len(officers)]
        division.save()
    demo["division_head"] = divisions["civil-1"].head
    demo["handler"] = handlers["civil-1"][1]
    demo["clerk"] = handlers["civil-1:clerks"][0]
    return court, divisions, handlers, demo


def generate_cases(
    rng: random.Random,
    court: Court,
    divisions: dict[str, Division],
    handlers: dict[str, list[User]],
    count: int,
    today: dt.date,
) -> Iterator[dict]:
    """Yield case rows, in filing order, with consecutive sequence numbers per year and type."""
    start = today.replace(year=today.year - 3)
    span = (today - start).days
    # Intake grows a little each year; draw filing days, then sort so numbers run in filing order.
    days = sorted(int(span * (rng.random() ** 0.85)) for _ in range(count))
    seq: dict[tuple[int, str], int] = defaultdict(int)
    type_weights = [(code, share) for code, share, _d in TYPE_MIX]
    type_divisions = {code: d for code, _s, d in TYPE_MIX}
    for offset in days:
        filed_on = start + dt.timedelta(days=offset)
        type_code = _weighted(rng, type_weights)
        kind = case_numbers.CASE_TYPES[type_code]
        seq[(filed_on.year, type_code)] += 1
        division_code = rng.choice(type_divisions[type_code])
        judges = handlers[division_code]
        clerks = handlers[f"{division_code}:clerks"]
        duration = _duration_days(rng, kind.category)
        closed_on = filed_on + dt.timedelta(days=duration)
        if closed_on > today:
            closed_on = None
            status = "suspended" if rng.random() < 0.06 else "open"
            method = ""
        else:
            status = "closed"
            method = _weighted(rng, CLOSURES[kind.category])
        cause = rng.choice(CAUSES[kind.category])
        if kind.category == "criminal":
            parties = f"{COURT_NAME[:3]}人民检察院诉{rng.choice(SURNAMES)}某"
        elif rng.random() < 0.3:
            parties = f"{rng.choice(COMPANIES)}诉{rng.choice(SURNAMES)}某"
        else:
            parties = f"{rng.choice(SURNAMES)}某诉{rng.choice(SURNAMES)}某"
        lines = ageing.lines_for(filed_on)
        yield {
            "court_id": court.id,
            "case_number": f"（{filed_on.year}）{court.code}{type_code}{seq[(filed_on.year, type_code)]}号",
            "year": filed_on.year,
            "court_code": court.code,
            "case_type": type_code,
            "seq": seq[(filed_on.year, type_code)],
            "category": kind.category,
            "stage": kind.stage,
            "procedure": _weighted(rng, PROCEDURES.get(type_code, [("other", 1.0)])),
            "cause": cause,
            "parties": parties,
            "filed_on": filed_on,
            "division_id": divisions[division_code].id,
            "handler_id": rng.choice(judges).id,
            "clerk_id": rng.choice(clerks).id if clerks else None,
            "status": status,
            "closed_on": closed_on,
            "closure_method": method,
            "business_environment": kind.category in ("civil", "enforcement") and rng.random() < 0.12,
            "external_id": None,
            **lines,
        }


def with_derived_columns(rows: Iterator[dict], today: dt.date) -> Iterator[dict]:
    """The case rows with the columns the apps above the register fill for new cases
    (`extensions.prepare_new`: the statutory clock, a suspended case's suspension running from
    `today`). What they fill depends on the filing date, the kind of case and whether it is
    suspended, so it is worked out once for every such combination the demo can draw (one call,
    before the rows are read: they are read during a COPY, when the connection runs no other
    statement), and copied into each row."""
    start = today.replace(year=today.year - 3)  # as generate_cases
    kinds = {
        (case_numbers.CASE_TYPES[code].category, case_numbers.CASE_TYPES[code].stage, procedure)
        for code, _share, _divisions in TYPE_MIX
        for procedure, _weight in PROCEDURES.get(code, [("other", 1.0)])
    }
    days = [start + dt.timedelta(days=n) for n in range((today - start).days + 1)]
    keys = [(day, *kind, suspended) for day in days for kind in sorted(kinds) for suspended in (False, True)]
    return _with_derived(rows, _derive(keys, today), today)


def _with_derived(rows: Iterator[dict], derived: dict[tuple, dict], today: dt.date) -> Iterator[dict]:
    for row in rows:
        key = (row["filed_on"], row["category"], row["stage"], row["procedure"], row["status"] == CaseStatus.SUSPENDED)
        if key not in derived:  # not drawn from the tables above: worked out on its own
            derived.update(_derive([key], today))
        row.update(derived[key])
        yield row


def _derive(keys: list[tuple], today: dt.date) -> dict[tuple, dict]:
    probes = [
        Case(
            filed_on=filed_on,
            category=category,
            stage=stage,
            procedure=procedure,
            status=CaseStatus.SUSPENDED if suspended else CaseStatus.OPEN,
        )
        for filed_on, category, stage, procedure, suspended in keys
    ]
    extensions.prepare_new(probes, today)
    return {
        key: {name: getattr(case, name) for name in DERIVED_COLUMNS} for key, case in zip(keys, probes, strict=True)
    }


COLUMNS = [
    "court_id",
    "case_number",
    "year",
    "court_code",
    "case_type",
    "seq",
    "category",
    "stage",
    "procedure",
    "cause",
    "parties",
    "filed_on",
    "division_id",
    "handler_id",
    "clerk_id",
    "status",
    "closed_on",
    "closure_method",
    "business_environment",
    "external_id",
    "line_6m",
    "line_12m",
    "line_15m",
]
# The columns the register leaves to the apps above it (the statutory clock): filled for new cases
# by `extensions.prepare_new`, copied with the rest.
DERIVED_COLUMNS = [
    field.attname
    for field in Case._meta.concrete_fields
    if not field.primary_key and field.attname not in (*COLUMNS, "created_at", "updated_at")
]
COLUMNS += DERIVED_COLUMNS


class _CopySource(io.TextIOBase):
    """The rows as COPY text, produced as PostgreSQL reads them: one COPY statement streams every
    row, so that the server stores one part while Python generates the next (two cores busy)."""

    def __init__(self, rows: Iterator[dict], now: dt.datetime, every: int, progress: Callable[[int], None] | None):
        self.rows, self.every, self.progress = rows, every, progress
        self.stamps = f"\t{now.isoformat()}\t{now.isoformat()}\n"  # created_at, updated_at
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        lines, length = [], 0
        for row in self.rows:
            line = (
                "\t".join(
                    [
                        "\\N" if v is None else ("t" if v else "f") if v.__class__ is bool else str(v)
                        for v in map(row.__getitem__, COLUMNS)
                    ]
                )
                + self.stamps
            )
            lines.append(line)
            length += len(line)
            self.count += 1
            if self.progress and self.count % self.every == 0:
                self.progress(self.count)
            if 0 <= size <= length:
                break
        return "".join(lines)


def _copy_rows(
    rows: Iterator[dict], now: dt.datetime, batch: int = 50_000, progress: Callable[[int], None] | None = None
) -> int:
    """PostgreSQL COPY of every row in one statement, read as it is generated (memory stays flat);
    `progress` hears of every `batch` rows."""
    cols = COLUMNS + ["created_at", "updated_at"]
    source = _CopySource(rows, now, batch, progress)
    with connection.cursor() as cursor:
        # Read in parts of 256 KiB (the size argument of psycopg2's copy_expert).
        cursor.copy_expert(f"COPY cases_case ({', '.join(cols)}) FROM STDIN WITH (FORMAT text)", source, 256 * 1024)
    return source.count


@contextmanager
def _rebuilt_after(*models) -> Iterator[None]:
    """PostgreSQL, empty tables: drop the secondary indexes and the unique and foreign-key
    constraints of `models`' tables, and create them again, same names and definitions, after the
    block (in the caller's transaction)."""
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        # Deferred checks still pending from earlier in the transaction run now: ALTER TABLE
        # refuses a table with pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') ORDER BY conrelid, conname",
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary "
            "AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid) "
            "ORDER BY indrelid, indexrelid",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in constraints:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # back to the foreign keys' own timing


def _bulk_rows(rows: Iterator[dict], batch: int = 5_000) -> int:
    total = 0
    chunk: list[Case] = []
    for row in rows:
        chunk.append(Case(**row))
        if len(chunk) == batch:
            Case.objects.bulk_create(chunk)
            total += len(chunk)
            chunk = []
    if chunk:
        Case.objects.bulk_create(chunk)
        total += len(chunk)
    return total


def seed(
    count: int, seed_value: int = 1, today: dt.date | None = None, progress: Callable[[int], None] | None = None
) -> SeedResult:
    """Build the demo court with `count` cases. Refuses to run on a database that has a court."""
    if Court.objects.exists():
        raise RuntimeError("The database already holds a court; seed_demo --reset starts afresh.")
    today = today or timezone.localdate()
    rng = random.Random(seed_value)
    court, divisions, handlers, demo = build_staff(rng)
    rows = with_derived_columns(generate_cases(rng, court, divisions, handlers, count, today), today)
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with _rebuilt_after(Case, CaseEvent):
                written = _copy_rows(rows, now, progress=progress)
                _write_events(now)
        else:
            written = _bulk_rows(rows)
            _write_events(now)
    # What the other apps derive from the loaded cases (the clock: the running suspension periods).
    extensions.after_seeded(court, today)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case")
    return SeedResult(court=court, users=demo, cases=written)


def _write_events(now: dt.datetime) -> None:
    """One statement for every case's "registered" event, and one for the closings, in the order of
    the cases (the events' ids do not depend on where the rows landed in the table)."""
    with connection.cursor() as cursor:
        table = CaseEvent._meta.db_table
        cursor.execute(
            f"INSERT INTO {table} (case_id, kind, actor_id, occurred_at, effective_on, before, after, note) "
            f"SELECT id, 'registered', NULL, %s, filed_on, '{{}}', '{{}}', 'demo data' FROM cases_case ORDER BY id",
            [now],
        )
        cursor.execute(
            f"INSERT INTO {table} (case_id, kind, actor_id, occurred_at, effective_on, before, after, note) "
            f"SELECT id, 'closed', NULL, %s, closed_on, '{{}}', '{{}}', 'demo data' FROM cases_case "
            f"WHERE closed_on IS NOT NULL ORDER BY id",
            [now],
        )


@transaction.atomic
def reset() -> None:
    """Delete everything the demo made (cases, staff, divisions, courts)."""
    CaseEvent.objects.all().delete()
    Case.links.field.model.objects.all().delete()
    Case.objects.all().delete()
    Division.objects.update(head=None, acting_head=None, vice_president=None, tracking_officer=None)
    User.objects.all().delete()
    Division.objects.all().delete()
    Court.objects.all().delete()

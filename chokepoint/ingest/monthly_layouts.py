"""The three public monthly customs layouts that ``ingest monthly`` reads, and their code tables.

* **HMRC** UK overseas trade statistics (uktradeinfo OTS, as the OTS API / its CSV exports name the
  fields): ``MonthId`` (YYYYMM), ``FlowTypeId`` (1 EU imports, 2 EU exports, 3 non-EU imports,
  4 non-EU exports), ``SuppressionIndex``, ``CommodityId`` (CN8 as an integer; ``Cn8Code`` also
  accepted), ``CountryId`` (HMRC's own number) or ``CountryCodeAlpha`` (ISO 3166 alpha-2),
  ``Value`` (pounds sterling), ``NetMass`` (kg). ``CountryId`` needs HMRC's country lookup
  (the Country table: ``CountryId``, ``CountryCodeAlpha``, ...) among the files.
* **Comex Stat** (Brazil, MDIC/SECEX) bulk files ``IMP_YYYY.csv`` / ``EXP_YYYY.csv``: ';'-separated
  ``CO_ANO;CO_MES;CO_NCM;CO_UNID;CO_PAIS;SG_UF_NCM;CO_VIA;CO_URF;QT_ESTAT;KG_LIQUIDO;VL_FOB`` (imports
  add freight and insurance). The flow is in the file name. ``CO_PAIS`` is Comex Stat's own country
  code: it needs Comex Stat's ``PAIS.csv`` (``CO_PAIS;CO_PAIS_ISON3;CO_PAIS_ISOA3;NO_PAIS;...``)
  among the files, unless the file carries ``CO_PAIS_ISOA3`` itself. ``VL_FOB`` is US dollars FOB.
* **UN Comtrade** monthly downloads (freqCode ``M``, period ``YYYYMM``), with the column-name variants
  the annual Comtrade ingest matches (``comtrade.ALIASES``). ``primaryValue`` is US dollars.

Each trade file becomes rows of the ingest's ``raw`` table (one INSERT streamed by DuckDB's CSV
reader with explicit types, catalogue HS lines only); ``first_line`` finds the line of a row that a
later check refuses.
"""
from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import pycountry

from .. import catalog
from .common import IngestError, sql_str, text_reader
from .comtrade import _norm, _open_text, _roles

HMRC, COMEX, COMTRADE = "hmrc", "comexstat", "comtrade"
HMRC_COUNTRIES, COMEX_PAIS = "hmrc-countries", "comexstat-pais"

#: layout -> (producer, url, licence, currency of the value column, what the value is)
PRODUCERS = {
    HMRC: ("HM Revenue & Customs (UK overseas trade statistics)", "https://www.uktradeinfo.com/",
           "Open Government Licence v3.0", "GBP", "pounds sterling (OTS Value) as published"),
    COMEX: ("MDIC/SECEX Comex Stat (Brazil)", "https://comexstat.mdic.gov.br/",
            "public government statistics of MDIC/SECEX, cited as the producer", "USD",
            "US dollars FOB (VL_FOB) as published"),
    COMTRADE: ("United Nations Statistics Division (UN Comtrade)", "https://comtradeplus.un.org/",
               "UN Comtrade terms of use (attribute United Nations Statistics Division)", "USD",
               "US dollars (primaryValue: CIF for imports, FOB for exports) as reported"),
}
HMRC_FLOWS = {1: "import", 3: "import", 2: "export", 4: "export"}
#: ISO 3166 user-assigned alpha-2 codes: customs offices use them for non-countries (stores and
#: provisions, confidential or undetermined partners); rows with them are dropped and counted.
USER_ASSIGNED = re.compile(r"^(AA|Q[M-Z]|X[A-Z]|ZZ)$")


@dataclass
class TradeFile:
    """One input trade file: its layout, header and the columns each role is read from."""
    path: Path
    layout: str
    names: list[str]
    delim: str
    roles: dict[str, str]
    flow: str | None = None                      # Comex Stat: from the file name
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def code_column(self) -> str:
        return self.roles["cmd"]


# ------------------------------------------------------------------------------ detection
_HMRC_ROLES = {"period": ("monthid",), "flow": ("flowtypeid",), "cmd": ("commodityid", "cn8code"),
               "value": ("value",), "mass": ("netmass",), "alpha": ("countrycodealpha",),
               "country_id": ("countryid",), "country_name": ("countryname",),
               "suppression": ("suppressionindex",)}
_COMEX_ROLES = {"year": ("coano",), "month": ("comes",), "cmd": ("concm",), "country": ("copais",),
                "iso3": ("copaisisoa3",), "mass": ("kgliquido",), "value": ("vlfob",)}


def _match(names: list[str], table: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    by_norm: dict[str, str] = {}
    for n in names:
        by_norm.setdefault(_norm(n), n)
    return {role: by_norm[a] for role, aliases in table.items() for a in aliases if a in by_norm}


def _missing(path: Path, names: list[str], want: list[str]) -> IngestError:
    found = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return IngestError(path, 1, f"missing column(s) {', '.join(want)} (found: {found})")


def _header(path: Path) -> tuple[list[str], str]:
    """(column names, delimiter) of the first line; UTF-8, else cp1252 (Comex Stat's code tables)."""
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as f:
            first = f.readline(1 << 16)
    except (OSError, EOFError) as e:
        raise IngestError(path, 1, f"cannot read the header line: {e}") from None
    text = text_reader(first).read().rstrip("\r\n")
    if not text.strip():
        raise IngestError(path, 1, "empty file (no header line)")
    delim = max((",", "\t", ";"), key=text.count)
    names = next(csv.reader([text], delimiter=delim))
    return [n.strip() or f"column{i + 1}" for i, n in enumerate(names)], delim


def classify(path: Path) -> tuple[str, list[str], str]:
    """(kind, header names, delimiter) of an input file: a trade layout or a code table."""
    names, delim = _header(path)
    norm = {_norm(n) for n in names}
    if {"countryid", "countrycodealpha"} <= norm and "monthid" not in norm:
        return HMRC_COUNTRIES, names, delim
    if {"copais", "copaisisoa3"} <= norm and "coano" not in norm:
        return COMEX_PAIS, names, delim
    if "monthid" in norm or "flowtypeid" in norm:
        return HMRC, names, delim
    if "coano" in norm or "concm" in norm:
        return COMEX, names, delim
    if {"reporteriso", "reporteriso3", "cmdcode", "commoditycode", "freqcode"} & norm:
        return COMTRADE, names, delim
    found = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    raise IngestError(path, 1, "not a known monthly layout: expected HMRC OTS columns (MonthId, FlowTypeId, "
                               "CommodityId, CountryId, Value, NetMass), Comex Stat columns (CO_ANO;CO_MES;"
                               "CO_NCM;CO_PAIS;KG_LIQUIDO;VL_FOB) or UN Comtrade columns (freqCode, period, "
                               f"reporterISO, partnerISO, flowCode, cmdCode, primaryValue); found: {found}")


def trade_file(path: Path, layout: str, names: list[str], delim: str) -> TradeFile:
    """The TradeFile of a trade layout, its required columns checked (line 1 names what is missing)."""
    if layout == HMRC:
        roles = _match(names, _HMRC_ROLES)
        want = [w for r, w in (("period", "MonthId"), ("flow", "FlowTypeId"), ("cmd", "CommodityId"),
                               ("value", "Value"), ("mass", "NetMass")) if r not in roles]
        if "alpha" not in roles and "country_id" not in roles:
            want.append("CountryId or CountryCodeAlpha")
        if want:
            raise _missing(path, names, want)
        return TradeFile(path, layout, names, delim, roles)
    if layout == COMEX:
        roles = _match(names, _COMEX_ROLES)
        want = [w for r, w in (("year", "CO_ANO"), ("month", "CO_MES"), ("cmd", "CO_NCM"),
                               ("mass", "KG_LIQUIDO"), ("value", "VL_FOB")) if r not in roles]
        if "country" not in roles and "iso3" not in roles:
            want.append("CO_PAIS")
        if want:
            raise _missing(path, names, want)
        m = re.match(r"^(IMP|EXP)", path.name, re.I)
        if not m:
            raise IngestError(path, None, "a Comex Stat file does not say its flow: name it as Comex Stat "
                                          "publishes it, IMP_YYYY.csv (imports) or EXP_YYYY.csv (exports)")
        return TradeFile(path, layout, names, delim, roles, flow="import" if m.group(1).upper() == "IMP" else "export")
    roles = _roles(names, path)              # Comtrade: the annual ingest's column matching
    extra = _match(names, {"month": ("refmonth",)})
    return TradeFile(path, layout, names, delim, roles, extra=extra)


# ------------------------------------------------------------------------------ code tables
def read_code_table(path: Path, kind: str, cap: int) -> dict[str, str]:
    """HMRC country lookup (CountryId -> CountryCodeAlpha) or Comex Stat PAIS.csv
    (CO_PAIS -> CO_PAIS_ISOA3), read with a byte cap; a non-integer id is refused with its line."""
    data = path.read_bytes() if path.stat().st_size <= cap else None
    if data is None:
        raise IngestError(path, None, f"larger than the {cap >> 20} MB a code table may be")
    _, delim = _header(path)
    reader = csv.DictReader(text_reader(data), delimiter=delim)
    cols = {_norm(f or ""): f for f in reader.fieldnames or []}
    key, val = (("countryid", "countrycodealpha") if kind == HMRC_COUNTRIES else ("copais", "copaisisoa3"))
    out: dict[str, str] = {}
    for row in reader:
        code = (row.get(cols[key]) or "").strip()
        if not re.fullmatch(r"-?\d+", code):
            raise IngestError(path, reader.line_num, f"{cols[key]} {code!r} is not an integer")
        out[str(int(code))] = (row.get(cols[val]) or "").strip().upper()
    return out


def alpha_to_iso3(code: str) -> tuple[str | None, bool]:
    """(ISO3, is a country) of an ISO 3166 alpha-2 or alpha-3 code; (None, False) for a
    user-assigned code (a customs non-country); (None, True) for a code that is neither."""
    code = (code or "").strip().upper()
    if len(code) == 2:
        if USER_ASSIGNED.match(code):
            return None, False
        c = pycountry.countries.get(alpha_2=code)
        if c is not None:
            return c.alpha_3, True
        return ("XKX", True) if code == "XK" else (None, True)
    if len(code) == 3 and catalog.is_iso3(code) and code not in ("WLD", "ROW", "EUN"):
        return code, True
    if len(code) == 3 and (code == "ZZZ" or code[0] == "X" or code in ("WLD", "ROW", "EUN")):
        return None, False
    return None, True


# ------------------------------------------------------------------------------ SQL per layout
def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(tf: TradeFile, types: dict[str, str]) -> str:
    return "{" + ", ".join(f"{sql_str(n)}: {sql_str(types.get(n, 'VARCHAR'))}" for n in tf.names) + "}"


def _read(tf: TradeFile, types: dict[str, str]) -> str:
    return (f"read_csv({sql_str(tf.path)}, header = true, auto_detect = false, columns = {_columns(tf, types)}, "
            f"delim = {sql_str(tf.delim)}, quote = '\"', escape = '\"', strict_mode = true)")


def insert_sql(tf: TradeFile, fid: int) -> str:
    """INSERT INTO raw of one trade file's catalogue HS rows (see monthly._RAW_TABLE)."""
    r = tf.roles
    if tf.layout == HMRC:
        types = {r["period"]: "INTEGER", r["flow"]: "INTEGER", r["value"]: "DOUBLE", r["mass"]: "DOUBLE"}
        types.update({r[k]: "INTEGER" for k in ("country_id", "suppression") if k in r})
        code = f"lpad(trim({_q(r['cmd'])}), 8, '0')"
        partner = f"upper(trim({_q(r['alpha'])}))" if "alpha" in r else f"CAST({_q(r['country_id'])} AS VARCHAR)"
        desc = f"trim({_q(r['country_name'])})" if "country_name" in r else "NULL"
        flow = "CASE " + " ".join(f"WHEN {_q(r['flow'])} = {k} THEN '{v}'" for k, v in HMRC_FLOWS.items()) + \
               f" ELSE 'FlowTypeId ' || coalesce(CAST({_q(r['flow'])} AS VARCHAR), 'empty') END"
        conf = f"{_q(r['suppression'])} > 0" if "suppression" in r else "NULL"
        select = (f"{_q(r['period'])}, 'GBR', 'United Kingdom', {partner}, {desc}, {flow}, {code}, "
                  f"{_q(r['value'])}, {_q(r['mass'])}, {conf}, true, false")
    elif tf.layout == COMEX:
        types = {r["year"]: "INTEGER", r["month"]: "INTEGER", r["value"]: "DOUBLE", r["mass"]: "DOUBLE"}
        if "iso3" not in r:
            types[r["country"]] = "INTEGER"
        code = f"lpad(trim({_q(r['cmd'])}), 8, '0')"
        partner = f"upper(trim({_q(r['iso3'])}))" if "iso3" in r else f"CAST({_q(r['country'])} AS VARCHAR)"
        select = (f"{_q(r['year'])} * 100 + {_q(r['month'])}, 'BRA', 'Brazil', {partner}, NULL, "
                  f"'{tf.flow}', {code}, {_q(r['value'])}, {_q(r['mass'])}, NULL, true, false")
    else:
        return _comtrade_sql(tf, fid)
    return (f"INSERT INTO raw SELECT {fid}, {select} FROM {_read(tf, types)} "
            f"WHERE left({code}, 6) IN (SELECT hs6 FROM hs_keep)")


def _comtrade_sql(tf: TradeFile, fid: int) -> str:
    r, ex = tf.roles, tf.extra
    types = {r[k]: "DOUBLE" for k in ("value", "netwgt", "qty") if k in r}

    def col(role: str) -> str:
        name = r.get(role) or ex.get(role)
        return f"nullif(trim({_q(name)}), '')" if name else "NULL"

    per = col("period")
    period = (f"CASE WHEN length({per}) = 6 THEN {per} WHEN length({per}) = 8 THEN left({per}, 6) "
              f"ELSE {col('year')} || lpad({col('month')}, 2, '0') END")
    annual = f"(length({per}) = 4)" + (f" OR upper({col('freq')}) = 'A'" if "freq" in r else "")
    flow = f"upper({col('flow')})"
    flows = {"M": "import", "X": "export", "1": "import", "2": "export"}
    flow_sql = "CASE " + " ".join(f"WHEN {flow} = '{k}' THEN '{v}'" for k, v in flows.items()) + f" ELSE {flow} END"
    total = (f"({col('customs')} IS NULL OR upper({col('customs')}) = 'C00') AND ({col('mot')} IS NULL OR "
             f"{col('mot')} = '0') AND ({col('partner2')} IS NULL OR {col('partner2')} = '0')")
    netwgt = _q(r["netwgt"]) if "netwgt" in r else "NULL"
    qty = (f"CASE WHEN lower({col('qtyunit')}) IN ('kg', 'weight in kilograms') THEN {_q(r['qty'])} END"
           if "qty" in r else "NULL")
    code = f"lpad({col('cmd')}, 6, '0')"
    return (f"INSERT INTO raw SELECT {fid}, TRY_CAST({period} AS INTEGER), upper({col('reporter')}), "
            f"{col('reporter_desc')}, upper({col('partner')}), {col('partner_desc')}, {flow_sql}, {code}, "
            f"{_q(r['value'])}, coalesce({netwgt}, {qty}), NULL, {total}, coalesce({annual}, false) "
            f"FROM {_read(tf, types)} WHERE {code} IN (SELECT hs6 FROM hs_keep)")


# ------------------------------------------------------------------------------ line finder
def first_line(tf: TradeFile, bad: Callable[[dict[str, str]], bool]) -> int | None:
    """Line number of the first catalogue-HS row of ``tf`` for which ``bad(row)`` holds (slow path,
    only after a check has refused the file)."""
    codes = set(catalog.hs_codes())
    width = 6 if tf.layout == COMTRADE else 8
    with _open_text(tf.path) as f:
        reader = csv.reader(f, delimiter=tf.delim)
        header = next(reader, [])
        for fields in reader:
            row = dict(zip(header, fields))
            if (row.get(tf.code_column) or "").strip().zfill(width)[:6] in codes and bad(row):
                return reader.line_num
    return None


def value_of(row: dict[str, str], column: str | None) -> str:
    return (row.get(column) or "").strip() if column else ""


__all__ = ["TradeFile", "classify", "trade_file", "read_code_table", "alpha_to_iso3",
           "insert_sql", "first_line", "PRODUCERS"]

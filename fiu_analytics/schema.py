"""Canonical tables: the single source of truth for every column the project stores.

Each table is a :class:`Table` of :class:`Column` definitions with an Arrow type, a
description (the data dictionary is generated from it, see :func:`data_dictionary_markdown`),
nullability and, where it applies, the allowed values or a value check.

:func:`validate` checks a pandas frame against a table and reports *every* failing cell at
once in a :class:`~fiu_analytics.errors.SchemaError`; :func:`to_arrow` returns an Arrow table
with exactly the canonical columns and types.

Example::

    >>> from fiu_analytics import schema
    >>> table = schema.to_arrow(frame, schema.TRANSACTIONS)   # raises SchemaError if invalid
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from fiu_analytics.errors import SchemaError

if TYPE_CHECKING:
    import pandas as pd

CHANNELS: tuple[str, ...] = (
    "wire",
    "cash_deposit",
    "cash_withdrawal",
    "card",
    "mobile_money",
    "msb_remittance",
    "hawala",
    "crypto",
    "cheque",
    "internal",
    "other",
)
"""Canonical payment channels. Per-FIU code lists (goAML ``transmode_code``) map onto these."""

PARTY_TYPES = ("person", "entity")
ENTITY_KINDS = (
    "company",
    "cash_business",
    "npo",
    "msb",
    "hawala",
    "exchange_house",
    "employer",
    "merchant",
    "utility",
    "landlord",
)
ACCOUNT_TYPES = ("current", "savings", "business", "msb_ledger", "wallet", "card", "external")
ALIAS_QUALITIES = ("Good", "Low")
NAME_KINDS = ("primary", "alias", "original_script")
ALERT_STATUSES = ("new", "updated", "unchanged", "closed")
LABEL_SOURCES = ("synthetic", "research", "analyst")

TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    type: pa.DataType
    description: str
    nullable: bool = True
    allowed: tuple[str, ...] | None = None
    check: Callable[[pd.Series], pd.Series] | None = None
    """Returns a boolean mask of *valid* values (nulls are handled separately)."""
    check_text: str = ""


@dataclass(frozen=True)
class Table:
    """A canonical table: its name, purpose, columns and how it is partitioned in the store."""

    name: str
    description: str
    columns: tuple[Column, ...]
    partition_by: str | None = None
    key: tuple[str, ...] = field(default_factory=tuple)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [
                pa.field(
                    c.name, c.type, nullable=c.nullable, metadata={"description": c.description}
                )
                for c in self.columns
            ],
            metadata={"table": self.name, "description": self.description},
        )

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table '{self.name}' has no column '{name}'; columns: {self.names}")


def _non_negative(s: pd.Series) -> pd.Series:
    return s >= 0


def _iso_country(s: pd.Series) -> pd.Series:
    return s.astype(str).str.fullmatch(r"[A-Z]{2}")


def _iso_currency(s: pd.Series) -> pd.Series:
    return s.astype(str).str.fullmatch(r"[A-Z]{3}")


def _mcc(s: pd.Series) -> pd.Series:
    return s.astype(str).str.fullmatch(r"\d{4}")


C = Column

TRANSACTIONS = Table(
    name="transactions",
    description=(
        "One row per value transfer, from any report format, deduplicated across reporters. "
        "Cash deposits and withdrawals are self-loops on the account (src = dst)."
    ),
    partition_by="month",
    key=("txn_id",),
    columns=(
        C("txn_id", pa.string(), "Stable transaction id (reporter's number, or derived).", False),
        C("timestamp", TS, "When the transaction happened, UTC.", False),
        C(
            "amount",
            pa.float64(),
            "Amount in the original currency.",
            False,
            check=_non_negative,
            check_text=">= 0",
        ),
        C(
            "currency",
            pa.string(),
            "ISO 4217 code of the original currency.",
            False,
            check=_iso_currency,
            check_text="three upper-case letters",
        ),
        C(
            "amount_base",
            pa.float64(),
            "Amount in the store's base currency (dated FX table).",
            False,
            check=_non_negative,
            check_text=">= 0",
        ),
        C("channel", pa.string(), "Canonical channel.", False, allowed=CHANNELS),
        C("src_account_key", pa.int64(), "accounts.account_key of the paying account.", False),
        C("dst_account_key", pa.int64(), "accounts.account_key of the receiving account.", False),
        C(
            "src_country",
            pa.string(),
            "ISO 3166 alpha-2 country of the paying side.",
            check=_iso_country,
            check_text="two upper-case letters",
        ),
        C(
            "dst_country",
            pa.string(),
            "ISO 3166 alpha-2 country of the receiving side.",
            check=_iso_country,
            check_text="two upper-case letters",
        ),
        C("city", pa.string(), "City where it happened (ATM, branch, merchant or agent)."),
        C(
            "mcc",
            pa.string(),
            "Merchant category code (ISO 18245) for card spend.",
            check=_mcc,
            check_text="four digits",
        ),
        C("merchant", pa.string(), "Merchant name for card spend."),
        C("narrative", pa.string(), "Free text: description, remittance information, memo."),
        C("purpose_code", pa.string(), "ISO 20022 ExternalPurpose1Code (SALA, CHAR, GIFT ...)."),
        C(
            "conductor_party_id",
            pa.string(),
            "Party who physically conducted it, if not the owner.",
        ),
        C("reporter_id", pa.string(), "Reporting institution that reported it."),
        C("report_id", pa.string(), "Report(s) it came from; several ids joined by ';'."),
        C("batch_id", pa.string(), "Store batch that wrote it.", False),
    ),
)

ACCOUNTS = Table(
    name="accounts",
    description="Accounts at reporting or foreign institutions; one row per institution + number.",
    key=("account_key",),
    columns=(
        C("account_key", pa.int64(), "Integer key used in transactions (fast joins).", False),
        C("account_id", pa.string(), "Institution code + '/' + account number or IBAN.", False),
        C("owner_party_id", pa.string(), "parties.party_id of the holder."),
        C("institution", pa.string(), "Institution code (BIC or reporter id).", False),
        C(
            "country",
            pa.string(),
            "Country of the institution.",
            check=_iso_country,
            check_text="two upper-case letters",
        ),
        C("opened_at", TS, "When the account was opened, if known."),
        C("account_type", pa.string(), "Kind of account.", allowed=ACCOUNT_TYPES),
        C("batch_id", pa.string(), "Store batch that wrote it.", False),
    ),
)

PARTIES = Table(
    name="parties",
    description="Persons and entities, resolved across reports.",
    key=("party_id",),
    columns=(
        C("party_id", pa.string(), "Stable party id.", False),
        C("party_type", pa.string(), "person or entity.", False, allowed=PARTY_TYPES),
        C("name", pa.string(), "Full name as reported.", False),
        C("birth_date", pa.date32(), "Date of birth (persons)."),
        C(
            "nationality",
            pa.string(),
            "ISO alpha-2 nationality (persons).",
            check=_iso_country,
            check_text="two upper-case letters",
        ),
        C(
            "country",
            pa.string(),
            "Country of residence or incorporation.",
            check=_iso_country,
            check_text="two upper-case letters",
        ),
        C(
            "entity_kind",
            pa.string(),
            "Kind of entity (company, npo, msb, hawala ...).",
            allowed=ENTITY_KINDS,
        ),
        C("id_document", pa.string(), "Identity document or registration number."),
        C("phone", pa.string(), "Phone number."),
        C("address", pa.string(), "Postal address."),
        C("device_id", pa.string(), "Online-banking device fingerprint."),
        C("batch_id", pa.string(), "Store batch that wrote it.", False),
    ),
)

DESIGNATIONS = Table(
    name="designations",
    description="Designated persons and entities (UN Consolidated List); one row per name.",
    key=("reference_number", "name"),
    columns=(
        C("reference_number", pa.string(), "List reference, e.g. QDi.299 or QDe.115.", False),
        C("dataid", pa.string(), "UN DATAID of the record."),
        C("list_type", pa.string(), "UN_LIST_TYPE (regime), e.g. Al-Qaida."),
        C(
            "record_type",
            pa.string(),
            "individual or entity.",
            False,
            allowed=("individual", "entity"),
        ),
        C("name", pa.string(), "One name of the record.", False),
        C(
            "name_kind",
            pa.string(),
            "primary, alias or original_script.",
            False,
            allowed=NAME_KINDS,
        ),
        C("alias_quality", pa.string(), "Good or Low for aliases.", allowed=ALIAS_QUALITIES),
        C("birth_dates", pa.string(), "Dates of birth: 'YYYY-MM-DD', 'YYYY' or 'YYYY-YYYY', ';'."),
        C("nationalities", pa.string(), "Nationalities as listed, ';'-separated."),
        C("documents", pa.string(), "Identity documents 'type:number', ';'-separated."),
        C("listed_on", pa.date32(), "Date of listing."),
        C("comments", pa.string(), "COMMENTS1 text, which carries cross-references."),
        C("batch_id", pa.string(), "Store batch that wrote it.", False),
    ),
)

LABELS = Table(
    name="labels",
    description=(
        "Ground truth: synthetic scenarios, research-data labels or analyst dispositions. "
        "Account rows carry a role, transaction rows a stage."
    ),
    columns=(
        C("scenario_id", pa.string(), "Scenario (or case) id.", False),
        C("typology", pa.string(), "Typology code, e.g. HTSE, NX-04, GEN-01, fan_in.", False),
        C("account_key", pa.int64(), "Labelled account (account rows)."),
        C("txn_id", pa.string(), "Labelled transaction (transaction rows)."),
        C("role", pa.string(), "Account role: victim, controller, intermediary, endpoint ..."),
        C("stage", pa.string(), "Transaction stage: collection, placement, layering, transfer ..."),
        C("is_core", pa.bool_(), "Core account: finding it counts as finding the scenario."),
        C("source", pa.string(), "synthetic, research or analyst.", False, allowed=LABEL_SOURCES),
        C("batch_id", pa.string(), "Store batch that wrote it.", False),
    ),
)

PROFILES = Table(
    name="profiles",
    description=(
        "Synthetic only: the normal-behaviour profile that generated each account, including the "
        "hard negatives that look like typologies (e.g. migrant_remitter, cash_shop)."
    ),
    columns=(
        C("account_key", pa.int64(), "Account.", False),
        C("profile", pa.string(), "Behaviour profile name.", False),
        C("hard_negative_for", pa.string(), "Typology codes this profile mimics, ';'-separated."),
        C("batch_id", pa.string(), "Store batch that wrote it.", False),
    ),
)

ALERTS = Table(
    name="alerts",
    description="Alerts raised by typology scoring; the id is stable across runs.",
    key=("alert_id",),
    columns=(
        C("alert_id", pa.string(), "Stable id: typology, subject and period.", False),
        C("typology_id", pa.string(), "Typology id.", False),
        C("typology_version", pa.string(), "Typology version that raised it.", False),
        C("subject_account_key", pa.int64(), "Subject account key.", False),
        C("subject", pa.string(), "Subject account id.", False),
        C("score", pa.float64(), "Typology score in [0, 1].", False),
        C("indicators", pa.string(), "Indicators that fired: 'ID=value (reason)', '; '-separated."),
        C("evidence_txn_ids", pa.string(), "Evidence transaction ids, ';'-separated."),
        C("path", pa.string(), "Money path for nexus alerts."),
        C("period_start", TS, "Start of the scored period.", False),
        C("period_end", TS, "End of the scored period.", False),
        C("first_seen", TS, "Run time when first raised."),
        C("last_seen", TS, "Run time when last raised."),
        C("status", pa.string(), "Lifecycle status.", allowed=ALERT_STATUSES),
    ),
)

TXN_REPORTS = Table(
    name="txn_reports",
    description=(
        "Every report of a transaction, linked to the one stored transaction: both sides of a "
        "wire reported by two institutions become one transaction with two rows here."
    ),
    columns=(
        C("txn_id", pa.string(), "The stored transaction.", False),
        C("reporter_id", pa.string(), "Reporting institution."),
        C("report_id", pa.string(), "Report it came in."),
        C("txn_ref", pa.string(), "The reporter's own transaction number."),
        C("source_file", pa.string(), "File it was read from.", False),
        C("locator", pa.string(), "Where in the file: line number or XPath.", False),
        C("fingerprint", pa.int64(), "Content hash (accounts, day, amount, currency).", False),
        C(
            "linked_as",
            pa.string(),
            "stored (first report) or duplicate (linked to it).",
            False,
            allowed=("stored", "duplicate"),
        ),
        C("batch_id", pa.string(), "Store batch that wrote it.", False),
    ),
)

QUARANTINE = Table(
    name="quarantine",
    description="Records that could not be stored, with where they came from and why.",
    columns=(
        C("source_file", pa.string(), "File the record came from.", False),
        C("locator", pa.string(), "Where in the file: line number or XPath.", False),
        C("field", pa.string(), "Field at fault, if one."),
        C("value", pa.string(), "Value received."),
        C("reason", pa.string(), "What was wrong and what was expected.", False),
        C("batch_id", pa.string(), "Store batch that wrote it.", False),
    ),
)

PARTY_MATCHES = Table(
    name="party_matches",
    description="Why a reported party was resolved to a stored party (entity resolution trail).",
    columns=(
        C("party_id", pa.string(), "Resolved party.", False),
        C(
            "matched_on",
            pa.string(),
            "Rule that matched.",
            False,
            allowed=(
                "new",
                "id_document",
                "name+birth_date",
                "registration",
                "name+country",
                "name+account",
            ),
        ),
        C("match_key", pa.string(), "Normalised value the rule compared.", False),
        C("source_file", pa.string(), "File of the record.", False),
        C("locator", pa.string(), "Where in the file.", False),
        C("batch_id", pa.string(), "Store batch that wrote it.", False),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        TRANSACTIONS,
        ACCOUNTS,
        PARTIES,
        DESIGNATIONS,
        LABELS,
        PROFILES,
        ALERTS,
        TXN_REPORTS,
        QUARANTINE,
        PARTY_MATCHES,
    )
}


def get_table(name: str) -> Table:
    """Return the canonical table called ``name``."""
    import pandas as pd

    try:
        return TABLES[name]
    except KeyError:
        raise SchemaError(
            name,
            pd.DataFrame(
                [
                    {
                        "row": None,
                        "field": None,
                        "value": name,
                        "problem": f"unknown table; expected one of {sorted(TABLES)}",
                    }
                ]
            ),
        ) from None


def _coerce(series: pd.Series, col: Column) -> tuple[pd.Series, pd.Series]:
    """Coerce a series to the column's type; return (coerced, mask of values that failed)."""
    import pandas as pd

    t = col.type
    notnull = series.notna()
    if pa.types.is_timestamp(t):
        out = pd.to_datetime(series, errors="coerce", utc=True, format="ISO8601")
    elif pa.types.is_date32(t):
        out = pd.to_datetime(series, errors="coerce", format="ISO8601").dt.date
        out = out.where(pd.notna(out), None)
    elif pa.types.is_floating(t):
        out = pd.to_numeric(series, errors="coerce").astype("float64")
    elif pa.types.is_integer(t):
        num = pd.to_numeric(series, errors="coerce")
        bad_int = num.notna() & (num != np.floor(num.fillna(0)))
        out = num.where(~bad_int)
    elif pa.types.is_boolean(t):
        out = series.map(lambda v: v if isinstance(v, (bool, np.bool_)) else None)
    elif pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        out = series  # text already (the usual case): nothing to convert
    else:
        out = series.where(series.isna(), series.astype(str))
    failed = notnull & pd.isna(out)
    return out, failed


def validate(frame: pd.DataFrame, table: Table, source: str | None = None) -> pd.DataFrame:
    """Validate ``frame`` against ``table`` and return it with canonical columns and dtypes.

    Every failing cell is collected; if there is any, :class:`SchemaError` is raised with all of
    them in ``failures`` (row label, field, value, problem). Missing nullable columns are added
    as nulls; unknown columns are an error (they would be silently dropped otherwise).
    """
    import pandas as pd

    failures: list[dict[str, object]] = []
    unknown = [c for c in frame.columns if c not in table.names]
    for name in unknown:
        failures.append(
            {
                "row": None,
                "field": name,
                "value": None,
                "problem": f"unknown column; expected only {table.names}",
            }
        )
    out: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.name not in frame.columns:
            if not col.nullable:
                failures.append(
                    {
                        "row": None,
                        "field": col.name,
                        "value": None,
                        "problem": "required column is missing",
                    }
                )
            out[col.name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            continue
        raw = frame[col.name]
        coerced, failed = _coerce(raw, col)
        for idx in raw.index[failed.to_numpy()]:
            failures.append(
                {
                    "row": idx,
                    "field": col.name,
                    "value": raw.at[idx],
                    "problem": f"cannot be read as {col.type}",
                }
            )
        isnull = pd.isna(coerced)
        if not col.nullable:
            for idx in raw.index[(isnull & ~failed).to_numpy()]:
                failures.append(
                    {
                        "row": idx,
                        "field": col.name,
                        "value": None,
                        "problem": "null in a required field",
                    }
                )
        present = ~isnull
        if col.allowed is not None:
            bad = present & ~coerced.isin(col.allowed)
            for idx in raw.index[bad.to_numpy()]:
                failures.append(
                    {
                        "row": idx,
                        "field": col.name,
                        "value": raw.at[idx],
                        "problem": f"not one of {list(col.allowed)}",
                    }
                )
        if col.check is not None and present.any():
            ok = pd.Series(True, index=coerced.index)
            ok[present] = col.check(coerced[present]).fillna(False).astype(bool)
            for idx in raw.index[(~ok).to_numpy()]:
                failures.append(
                    {
                        "row": idx,
                        "field": col.name,
                        "value": raw.at[idx],
                        "problem": f"expected {col.check_text}",
                    }
                )
        out[col.name] = coerced
    if failures:
        raise SchemaError(
            table.name, pd.DataFrame(failures, columns=["row", "field", "value", "problem"]), source
        )
    return pd.DataFrame(out, index=frame.index)


def to_arrow(
    frame: pd.DataFrame, table: Table, source: str | None = None, validated: bool = False
) -> pa.Table:
    """Validate (unless ``validated``) and convert to an Arrow table with the canonical schema."""
    import pandas as pd

    df = frame if validated else validate(frame, table, source)
    arrays = []
    for col in table.columns:
        s = df[col.name] if col.name in df.columns else pd.Series([None] * len(df))
        arrays.append(pa.array(s, type=col.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=table.arrow_schema)


def empty(table: Table) -> pd.DataFrame:
    """An empty frame with the table's columns."""

    return table.arrow_schema.empty_table().to_pandas()


def data_dictionary_markdown(tables: Sequence[Table] | None = None) -> str:
    """The data dictionary (docs/data-dictionary.md) generated from the table definitions."""
    lines = [
        "# Data dictionary",
        "",
        "Generated from `fiu_analytics/schema.py` by `fiu schema`; do not edit by hand.",
        "",
    ]
    for t in tables or TABLES.values():
        lines += [f"## {t.name}", "", t.description, ""]
        if t.partition_by:
            lines += [f"Partitioned in the store by {t.partition_by} of `timestamp`.", ""]
        lines += ["| column | type | required | description |", "|---|---|---|---|"]
        for c in t.columns:
            desc = c.description
            if c.allowed:
                desc += " One of: " + ", ".join(f"`{a}`" for a in c.allowed) + "."
            if c.check_text:
                desc += f" Must be {c.check_text}."
            lines.append(
                f"| `{c.name}` | {c.type} | {'yes' if not c.nullable else 'no'} | {desc} |"
            )
        lines.append("")
    return "\n".join(lines)

"""Closure tables for ConceptMap/$closure: server state kept across requests, in SQLite.

A closure table (https://hl7.org/fhir/R4/terminology-service.html#closure) is a named set of
concepts a client has submitted, with the subsumption entries among them that the server has
already sent, each stamped with the table version that first carried it, so a client can replay
what it missed. Unlike the content, this is state: it lives in a SQLite database (the standard
library's `sqlite3`) so that every worker process of one server (`--workers N`) reads and writes
the same tables. Each call is one `BEGIN IMMEDIATE` transaction (one writer at a time; readers
are never blocked in WAL mode), so two workers extending one table cannot both issue a version.

The database is a file, or `:memory:` (one private database per `ClosureTables` object: per
process, lost at exit; for library use and single-worker runs). Tables are kept per FHIR base
(`r4`, `r5`): the two bases are two endpoints, each with its own namespace of table names.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from plugin.config import CLOSURE_BUSY_S, MAX_CLOSURE_CONCEPTS, MAX_CLOSURE_TABLES
from plugin.errors import FhirError, not_found
from plugin.outcomes import ClosureLink as Link

MEMORY = ":memory:"

# Bumped when the tables change shape; a database of another shape is refused, never rewritten.
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS closure_table (
    id INTEGER PRIMARY KEY,
    base TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    UNIQUE (base, name)
);
CREATE TABLE IF NOT EXISTS closure_concept (
    table_id INTEGER NOT NULL REFERENCES closure_table (id),
    system TEXT NOT NULL,
    pinned TEXT NOT NULL,
    code TEXT NOT NULL,
    cs_version TEXT NOT NULL,
    added INTEGER NOT NULL,
    PRIMARY KEY (table_id, system, pinned, code)
);
CREATE TABLE IF NOT EXISTS closure_entry (
    table_id INTEGER NOT NULL REFERENCES closure_table (id),
    system TEXT NOT NULL,
    cs_version TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    relation TEXT NOT NULL,
    added INTEGER NOT NULL,
    PRIMARY KEY (table_id, system, cs_version, source, target)
);
CREATE INDEX IF NOT EXISTS closure_entry_added ON closure_entry (table_id, added);
"""


@dataclass(frozen=True)
class Member:
    """A concept of a table: the Coding's system, the version it named (`pinned`, "" when none),
    its code as given, and the code system version it was resolved in ("" when unversioned)."""

    system: str
    pinned: str
    code: str
    cs_version: str


@dataclass(frozen=True)
class TableState:
    """A table as a call finds it: its name, latest version and members."""

    name: str
    version: int
    members: tuple[Member, ...]


# Given the state, the members and entries a call adds (it may raise FhirError to refuse).
Work = Callable[[TableState], tuple[list[Member], list[Link]]]


def _busy(exc: sqlite3.OperationalError) -> FhirError:
    """Another worker held the table for longer than a request may wait: retry later."""
    return FhirError(
        "throttled",
        f"The closure tables are busy (another request is updating them): {exc}; retry",
        ("name",),
    )


class ClosureTables:
    """The closure tables of one server, in one SQLite database (a file, or `:memory:`)."""

    def __init__(self, path: str | Path = MEMORY) -> None:
        self.path = str(path)
        self._conn: sqlite3.Connection | None = None
        # One connection per object, used by one request at a time: the operation may run on
        # the event loop's thread or in the worker thread pool.
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are begun and ended here, explicitly.
        conn = sqlite3.connect(
            self.path, timeout=CLOSURE_BUSY_S, isolation_level=None, check_same_thread=False
        )
        try:
            if self.path != MEMORY:
                # WAL: readers never wait for the writer; FULL: a version a client was sent
                # survives a power cut (the client keeps it to replay from).
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
            conn.execute("BEGIN IMMEDIATE")
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            if found not in (0, SCHEMA_VERSION):
                conn.execute("ROLLBACK")
                raise ValueError(
                    f"{self.path} holds closure tables of schema {found}, "
                    f"not {SCHEMA_VERSION}: use another --closure-db file"
                )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def check(self) -> None:
        """Open the database now (creating it and its folder): a start-up check of the path."""
        with self._lock:
            self._connect()

    def close(self) -> None:
        """Close the connection (the next call opens it again)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                conn = self._connect()
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise _busy(exc) from None
                raise
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    raise _busy(exc) from None
                raise

    def initialise(self, base: str, name: str) -> int:
        """Create table `name` (or empty it again): FHIR's first $closure call. Version 0."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT id FROM closure_table WHERE base = ? AND name = ?", (base, name)
            ).fetchone()
            if row is None:
                (count,) = conn.execute("SELECT count(*) FROM closure_table").fetchone()
                if count >= MAX_CLOSURE_TABLES:
                    raise FhirError(
                        "too-costly",
                        f"This server keeps at most {MAX_CLOSURE_TABLES} closure tables; "
                        f"'{name}' cannot be created",
                        ("name",),
                    )
                conn.execute(
                    "INSERT INTO closure_table (base, name, version) VALUES (?, ?, 0)",
                    (base, name),
                )
            else:
                for table in ("closure_concept", "closure_entry"):
                    conn.execute(f"DELETE FROM {table} WHERE table_id = ?", (row[0],))
                conn.execute("UPDATE closure_table SET version = 0 WHERE id = ?", (row[0],))
        return 0

    def _state(self, conn: sqlite3.Connection, base: str, name: str) -> tuple[int, TableState]:
        row = conn.execute(
            "SELECT id, version FROM closure_table WHERE base = ? AND name = ?", (base, name)
        ).fetchone()
        if row is None:
            raise not_found(
                f'invalid closure name "{name}": no such closure table has been initialised '
                "(call $closure with the name alone first)",
                "name",
            )
        members = conn.execute(
            "SELECT system, pinned, code, cs_version FROM closure_concept WHERE table_id = ? "
            "ORDER BY added, rowid",
            (row[0],),
        ).fetchall()
        return row[0], TableState(name, row[1], tuple(Member(*m) for m in members))

    def update(self, base: str, name: str, work: Work) -> tuple[int, list[Link]]:
        """Add members to a table: `work` says what is new; one new version carries its entries.

        Every call that adds concepts issues a new version (FHIR: "each new invocation of the
        $closure operation returns a new version"), also when nothing was new.
        """
        with self._transaction() as conn:
            table_id, state = self._state(conn, base, name)
            members, links = work(state)
            if len(state.members) + len(members) > MAX_CLOSURE_CONCEPTS:
                raise FhirError(
                    "too-costly",
                    f"Closure table '{name}' would hold {len(state.members) + len(members)} "
                    f"concepts; this server keeps at most {MAX_CLOSURE_CONCEPTS} per table",
                    ("concept",),
                )
            version = state.version + 1
            conn.executemany(
                "INSERT INTO closure_concept VALUES (?, ?, ?, ?, ?, ?)",
                [(table_id, m.system, m.pinned, m.code, m.cs_version, version) for m in members],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO closure_entry VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (table_id, k.system, k.cs_version, k.source, k.target, k.relation, version)
                    for k in links
                ],
            )
            conn.execute("UPDATE closure_table SET version = ? WHERE id = ?", (version, table_id))
        return version, links

    def replay(
        self, base: str, name: str, since: int, check: Callable[[TableState], None]
    ) -> tuple[int, list[Link]]:
        """The entries added after version `since` (0: all), and the table's latest version.

        `check` may refuse the replay (raise FhirError) after seeing the table's state.
        """
        with self._transaction() as conn:
            table_id, state = self._state(conn, base, name)
            check(state)
            if since > state.version:
                raise FhirError(
                    "invalid",
                    f"Closure table '{name}' has issued versions 0 to {state.version}; "
                    f"'{since}' is not one of them",
                    ("version",),
                )
            rows = conn.execute(
                "SELECT system, cs_version, source, target, relation FROM closure_entry "
                "WHERE table_id = ? AND added > ? ORDER BY added, rowid",
                (table_id, since),
            ).fetchall()
        return state.version, [Link(*r) for r in rows]

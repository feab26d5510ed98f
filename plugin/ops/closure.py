"""ConceptMap/$closure: maintain a client's closure table from the server's hierarchies.

FHIR (https://hl7.org/fhir/R4/conceptmap-operation-closure.html and the terminology service
page, "Maintaining a Closure Table"): `name` alone initialises a table (an empty ConceptMap,
version 0); `name` + `concept`s adds them and returns only the new subsumption entries among
every concept the table has seen; `name` + `version` replays every entry added after that
version (0: all). The ConceptMap's version is the table's. Subsumption is the code system's
is-a hierarchy, as `CodeSystem/$subsumes` reads it (`plugin.ops.subsumes.relation`); concepts of
different code systems (or versions) are never related. The tables are server state, kept in
SQLite (`plugin.content.closure`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import partial

from plugin.content.closure import ClosureTables, Member, TableState
from plugin.content.codesystem import CodeSystemIndex
from plugin.content.store import Store
from plugin.errors import FhirError, invalid
from plugin.ops.lookup import resolve_system
from plugin.ops.operation import Context, Operation
from plugin.ops.params import Param, coding_of, mutually_exclusive
from plugin.ops.subsumes import concept_code
from plugin.outcomes import ClosureLink, ClosureOutcome
from plugin.types import Resource
from plugin.wire.closure import render

PARAMS = (
    Param("name", "string", "The name of the closure table (letters, digits, '-', '.'; <= 64)"),
    Param("concept", "Coding", "A concept to add to the closure table", max=None),
    Param(
        "version",
        "string",
        "Replay: every entry added after this version of the table (0: all of them)",
    ),
    # A client whose code systems are not on the server sends them with every call (as the
    # HL7 test suite does); a table then keeps its entries while they resolve the same way.
    Param("tx-resource", "Resource", "CodeSystem used for this request only", max=None),
)

# Table names are at the server's discretion (FHIR); a FHIR id, so the ConceptMap's id is it.
_NAME = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def _name(ctx: Context) -> str:
    name = ctx.args.get("name")
    if not name:
        raise invalid("$closure needs the name of the closure table ('name')", "name")
    if not _NAME.match(name):
        raise invalid(
            f'invalid closure name "{name}": use 1 to 64 letters, digits, "-" or "."', "name"
        )
    return str(name)


def _since(text: str) -> int:
    if not text.isdigit() or len(text) > 9:
        raise invalid(
            f"'{text}' is not a version this server issues (its versions are 0, 1, 2, ...)",
            "version",
        )
    return int(text)


def _reinitialise(name: str, why: str) -> FhirError:
    """FHIR: 422 when the terminology under a table changed; the client must initialise the
    table again and resubmit its concepts."""
    return FhirError("business-rule", f'closure "{name}" must be reinitialized: {why}', ("name",))


def _unchanged(store: Store, state: TableState) -> None:
    """Refuse a table whose code systems now resolve to another version (or not at all)."""
    for system, pinned, cs_version in {(m.system, m.pinned, m.cs_version) for m in state.members}:
        entry = store.resolve("CodeSystem", system, pinned or None)
        now = (entry.version or "") if entry is not None else None
        if now != cs_version:
            was = f"{system}|{cs_version}" if cs_version else system
            became = "is no longer known" if now is None else f"is now version '{now}'"
            raise _reinitialise(state.name, f"{was} {became}")


def _links(cs: CodeSystemIndex, members: list[tuple[Member, bool]], name: str) -> list[ClosureLink]:
    """The entries among one code system version's members that involve a new member.

    `source` is-a `target` when $subsumes would answer that target `subsumes` source (target is
    one of source's ancestors in `CodeSystemIndex.ancestors`, the hierarchy `relation` reads);
    two codes of one concept (a code form, or case in a case-insensitive system) are `equal`.
    Each member's ancestors are read once, so a call costs the size of those ancestor sets,
    not the square of the table.
    """
    canon = []
    for m, _ in members:
        concept = cs.get(m.code)
        if concept is None:  # only an earlier member can be missing: new ones were checked
            raise _reinitialise(name, f"{m.code} is no longer a code of {cs.url}")
        canon.append(concept.code)
    by_canon: dict[str, list[int]] = {}
    for i, c in enumerate(canon):
        by_canon.setdefault(c, []).append(i)
    out: list[ClosureLink] = []
    for i, (member, is_new) in enumerate(members):
        for j in by_canon[canon[i]]:
            # The same concept under two codes: one `equal` entry, from the newer code.
            if j > i and (is_new or members[j][1]):
                first, second = (members[j][0], member) if not is_new else (member, members[j][0])
                out.append(ClosureLink(cs.url, member.cs_version, first.code, second.code, "equal"))
        for ancestor in sorted(cs.ancestors(canon[i])):
            for j in by_canon.get(ancestor, ()):
                if is_new or members[j][1]:
                    target = members[j][0].code
                    link = ClosureLink(cs.url, member.cs_version, member.code, target, "subsumes")
                    out.append(link)
    return out


def _add(
    store: Store, codings: list[Resource], state: TableState
) -> tuple[list[Member], list[ClosureLink]]:
    """The new members among `codings` and the new entries they bring (see `ClosureTables`)."""
    _unchanged(store, state)
    seen = {(m.system, m.cs_version, m.code) for m in state.members}
    systems: dict[tuple[str, str], CodeSystemIndex] = {}
    new: list[Member] = []
    for i, coding in enumerate(codings):
        where = f"concept[{i}]"
        system, code, _, pinned = coding_of(coding, where)
        if not system:
            raise invalid(f"{where} has no system: closure tables relate codes of a system", where)
        cs = resolve_system(store, system, pinned, where)
        concept_code(cs, code, where)  # 400 for a code the system does not define
        member = Member(cs.url, pinned or "", code, cs.version or "")
        systems[(member.system, member.cs_version)] = cs
        # A code is the same member whether its Coding named the version it resolves to or not.
        if (member.system, member.cs_version, member.code) not in seen:
            seen.add((member.system, member.cs_version, member.code))
            new.append(member)
    links: list[ClosureLink] = []
    for key, cs in systems.items():
        group = [(m, False) for m in state.members if (m.system, m.cs_version) == key]
        group += [(m, True) for m in new if (m.system, m.cs_version) == key]
        links += _links(cs, group, state.name)
    return new, links


def evaluate(ctx: Context) -> ClosureOutcome:
    """FHIR $closure: initialise (`name`), add (`name` + `concept`s) or replay (`name` +
    `version`); a table that was never initialised is 404, `concept` with `version` is 400."""
    if ctx.instance is not None:
        raise invalid("$closure is not invoked on a ConceptMap instance: use [base]/$closure", "id")
    name = _name(ctx)
    mutually_exclusive(ctx.args, "concept", "version")
    tables: ClosureTables | None = ctx.store.closures
    if tables is None:
        raise FhirError("not-supported", "This server keeps no closure tables", ("name",))
    base = "r5" if ctx.r5 else "r4"
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if ctx.args.has("version"):
        since = _since(str(ctx.args.get("version")))
        version, links = tables.replay(base, name, since, partial(_unchanged, ctx.store))
        return ClosureOutcome(name, version, "replay", now, tuple(links), since)
    if ctx.args.has("concept"):
        work = partial(_add, ctx.store, ctx.args.all("concept"))
        version, links = tables.update(base, name, work)
        return ClosureOutcome(name, version, "update", now, tuple(links))
    return ClosureOutcome(name, tables.initialise(base, name), "created", now)


def run(ctx: Context) -> Resource:
    """The $closure operation: evaluate, then render the ConceptMap for the base's version."""
    return render(evaluate(ctx), ctx.r5)


OPERATION = Operation(
    name="closure",
    definition="http://hl7.org/fhir/OperationDefinition/ConceptMap-closure",
    resource_types=("ConceptMap",),
    params=PARAMS,
    run=run,
    instance=False,
    system=True,
    returns="ConceptMap",
    affects_state=True,
)

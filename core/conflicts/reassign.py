"""Fewest moves that remove every overbooking: a small integer programme per group of overlapping bookings.

Each booking gets exactly one room it may use (its own, or one its organizer may book); in every room no
two overlapping bookings may stay (interval graphs: one constraint per booking start is enough); the
objective counts bookings that leave their room. When no assignment exists, virtual "extra accounts" are
allowed at a cost far above any move, so the answer says how many accounts are missing and for which times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix


@dataclass(frozen=True)
class Item:
    id: int
    room: int
    start: datetime
    end: datetime
    allowed: frozenset[int]  # rooms it may move to (its own room is always allowed to stay)


@dataclass
class Plan:
    moves: dict[int, int] = field(default_factory=dict)  # booking id -> new room
    extra_accounts: int = 0
    unplaced: list[tuple[datetime, datetime, list[int]]] = field(default_factory=list)  # times, booking ids


def _groups(items: list[Item]) -> list[list[Item]]:
    """Bookings chained by overlap in time (any room): only these can influence each other's placement."""
    ordered = sorted(items, key=lambda i: (i.start, i.end))
    groups: list[list[Item]] = []
    reach: datetime | None = None
    for item in ordered:
        if reach is None or item.start >= reach:
            groups.append([])
            reach = item.end
        groups[-1].append(item)
        reach = max(reach, item.end)
    return groups


def plan_reassignment(items: list[Item]) -> Plan:
    """The assignment with the fewest moves (exact), or the fewest extra accounts when none exists."""
    plan = Plan()
    for group in _groups(items):
        if len(group) > 1:
            _solve(group, plan)
    return plan


def _solve(group: list[Item], plan: Plan) -> None:
    rooms = sorted({i.room for i in group} | {r for i in group for r in i.allowed})
    virtual = max(1, len(group) - 1)  # never more extra accounts than bookings could need
    columns = [(b, r) for b, item in enumerate(group) for r in sorted({item.room, *item.allowed})]
    columns += [(b, -1 - v) for b in range(len(group)) for v in range(virtual)]
    n_x, n = len(columns), len(columns) + virtual
    cost = np.zeros(n)
    for k, (b, r) in enumerate(columns):
        cost[k] = 0.0 if r == group[b].room else 1.0
    cost[n_x:] = 10.0 * (len(group) + 1)  # one extra account outweighs any number of moves
    rows, lower, upper = [], [], []
    for b in range(len(group)):  # every booking gets exactly one room
        rows.append([k for k, (bb, _) in enumerate(columns) if bb == b])
        lower.append(1)
        upper.append(1)
    for r in [*rooms, *(-1 - v for v in range(virtual))]:
        members = [(k, group[b]) for k, (b, rr) in enumerate(columns) if rr == r]
        for _, anchor in members:  # bookings holding the room at this start instant: at most one
            here = [k for k, other in members if other.start <= anchor.start < other.end]
            if len(here) > 1:
                rows.append(here)
                lower.append(-np.inf)
                upper.append(1)
    matrix = lil_matrix((len(rows) + n_x, n))
    for i, ks in enumerate(rows):
        for k in ks:
            matrix[i, k] = 1
    for k, (_, r) in enumerate(columns):  # a virtual room is used (y_v = 1) if anything is placed in it
        if r < 0:
            row = len(rows) + k
            matrix[row, k], matrix[row, n_x + (-1 - r)] = 1, -1
            lower.append(-np.inf)
            upper.append(0)
        else:
            lower.append(-np.inf)
            upper.append(np.inf)
    result = milp(
        cost, constraints=LinearConstraint(matrix.tocsr(), lower, upper), integrality=np.ones(n), bounds=Bounds(0, 1)
    )
    chosen = [columns[k] for k in range(n_x) if result.x[k] > 0.5]
    used = [v for v in range(virtual) if result.x[n_x + v] > 0.5]
    plan.extra_accounts += len(used)
    for b, r in chosen:
        if r >= 0 and r != group[b].room:
            plan.moves[group[b].id] = r
    for v in used:
        ids = [group[b].id for b, r in chosen if r == -1 - v]
        members = [group[b] for b, r in chosen if r == -1 - v]
        plan.unplaced.append((min(m.start for m in members), max(m.end for m in members), ids))

"""Graph-pattern kernels (private): temporal cycles and scatter-gather closed by each edge.

Both walk a compressed adjacency of the transfer graph (CSR over accounts, then over distinct
counterparty pairs, then over the pair's transaction times, all sorted) and are compiled with
numba: a vectorised join grows one partial path per row, which for 1M edges and a 21-day window
means hundreds of millions of rows, whereas a depth-first walk needs only a few small arrays per
thread. Queries are independent, so they run in parallel chunks.

Costs follow density, so both are capped, causally (only edges before the query count) and
visibly (the ``pattern_capped`` column): an account with more than ``hub_degree`` outgoing
transfers inside the window is not walked through, and a walk stops after ``max_steps``
extensions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numba import njit, prange


@dataclass
class Adjacency:
    """Transfers (no self-loops) as CSR: account -> pairs -> times, sorted at every level."""

    pair_ptr: np.ndarray  # per account code, its pairs [pair_ptr[a], pair_ptr[a + 1])
    pair_other: np.ndarray  # the counterparty of each pair
    edge_ptr: np.ndarray  # per pair, its edges [edge_ptr[p], edge_ptr[p + 1])
    edge_t: np.ndarray  # edge times, ascending within a pair
    time_ptr: np.ndarray  # per account code, its edges sorted by time alone
    time_t: np.ndarray
    pair_t0: np.ndarray  # first (earliest) time of each pair, stored beside pair_other so
    pair_t1: np.ndarray  # that single-transfer pairs (most of them) need no random access


def build_adjacency(a: np.ndarray, b: np.ndarray, t: np.ndarray, n: int) -> Adjacency:
    """Adjacency of edges ``a -> b`` at ``t`` (codes in ``[0, n)``), keyed by ``a``."""
    order = np.lexsort((t, b, a))
    a_s, b_s, t_s = a[order], b[order], t[order].astype(np.int64)
    new_pair = np.r_[True, (a_s[1:] != a_s[:-1]) | (b_s[1:] != b_s[:-1])] if len(a_s) else []
    starts = np.flatnonzero(new_pair)
    edge_ptr = np.r_[starts, len(a_s)].astype(np.int64)
    pair_a = a_s[starts]
    pair_ptr = np.searchsorted(pair_a, np.arange(n + 1), "left").astype(np.int64)
    order_t = np.lexsort((t, a))
    time_t = t[order_t].astype(np.int64)
    time_ptr = np.searchsorted(a[order_t], np.arange(n + 1), "left").astype(np.int64)
    return Adjacency(
        pair_ptr,
        b_s[starts].astype(np.int64),
        edge_ptr,
        t_s,
        time_ptr,
        time_t,
        t_s[edge_ptr[:-1]] if len(t_s) else np.zeros(0, np.int64),
        t_s[edge_ptr[1:] - 1] if len(t_s) else np.zeros(0, np.int64),
    )


@njit(cache=True, nogil=True)
def _first_after(arr: np.ndarray, lo: int, hi: int, x: int) -> int:
    """First index in ``arr[lo:hi]`` (ascending) with ``arr[i] > x``; ``hi`` if none."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if arr[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def _earliest_after(p, tau, pt0, pt1, eptr, et):  # fmt: skip
    """Time of pair p's first transfer after ``tau``, or a huge value if none."""
    if pt0[p] > tau:
        return pt0[p]
    if pt1[p] <= tau:
        return np.int64(2**62)
    return et[_first_after(et, eptr[p], eptr[p + 1], tau)]


@njit(cache=True, nogil=True)
def _latest_upto(p, lim, pt0, pt1, eptr, et):  # fmt: skip
    """Time of pair p's last transfer at or before ``lim``, or a very small value if none."""
    if pt1[p] <= lim:
        return pt1[p]
    if pt0[p] > lim:
        return np.int64(-(2**62))
    return et[_first_after(et, eptr[p], eptr[p + 1], lim) - 1]


@njit(cache=True, nogil=True)
def _count_between(tptr: np.ndarray, tt: np.ndarray, node: int, lo: int, hi: int) -> int:
    """Edges of ``node`` with time in ``(lo, hi]``."""
    a, b = tptr[node], tptr[node + 1]
    return _first_after(tt, a, b, hi) - _first_after(tt, a, b, lo)


@njit(cache=True, nogil=True)
def _find_pair(pair_other: np.ndarray, lo: int, hi: int, x: int) -> int:
    """Index of the pair with counterparty ``x`` in ``pair_other[lo:hi]``, or -1."""
    top = hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if pair_other[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    if lo < top and pair_other[lo] == x:
        return lo
    return -1


@njit(cache=True, nogil=True)
def _cycles_one(
    u, v, t, lo_t, max_len, pptr, pother, pt0, pt1, eptr, et, tptr, tt,
    iptr, iother, ipt0, ipt1, ieptr, iet, hub, max_steps, out_row, path, tau, cur, end,
    ld1, ld2, touched,
):  # fmt: skip
    """Distinct simple rings v -> ... -> u whose hops leave one after another inside
    ``(lo_t, t)``; closed by the edge u -> v at t. Adds to ``out_row[length]``; returns whether
    a cap cut the search.

    Earliest-arrival walk forward from v: among the transfers of one pair, the first one after
    the previous hop leaves the most room for the rest, so each ring is found once. It meets a
    backward mark from u: ``ld1[x]``, the latest transfer x -> u before t, and ``ld2[x]``, the
    latest departure from x that still reaches u in two hops. A ring's last hop is then a
    lookup, and a branch that cannot reach u in the hops left is never walked."""
    if _count_between(tptr, tt, v, lo_t, t - 1) > hub:
        return True
    none = lo_t
    n_touched = 0
    # backward marks (arrays hold lo_t, i.e. "no way", outside the touched list)
    for q in range(iptr[u], iptr[u + 1]):
        x = iother[q]
        tl = _latest_upto(q, t - 1, ipt0, ipt1, ieptr, iet)
        if tl > lo_t and x != u:
            ld1[x] = tl
            touched[n_touched] = x
            n_touched += 1
    n1 = n_touched
    if max_len >= 4:
        for j in range(n1):
            x = touched[j]
            lim = ld1[x] - 1
            for q in range(iptr[x], iptr[x + 1]):
                w = iother[q]
                if w == u:
                    continue
                tl = _latest_upto(q, lim, ipt0, ipt1, ieptr, iet)
                if tl > lo_t and tl > ld2[w]:
                    if ld2[w] <= none and ld1[w] <= none:
                        touched[n_touched] = w
                        n_touched += 1
                    ld2[w] = tl
    capped = False
    path[0] = v
    tau[0] = lo_t
    cur[0] = pptr[v]
    end[0] = pptr[v + 1]
    if ld1[v] > lo_t:
        out_row[2] += 1
    depth = 0
    steps = 0
    while depth >= 0:
        if cur[depth] >= end[depth]:
            depth -= 1
            continue
        p = cur[depth]
        cur[depth] += 1
        z = pother[p]
        if z == u or z == v:  # noqa: SIM109 (numba: plain comparisons)
            continue
        te = _earliest_after(p, tau[depth], pt0, pt1, eptr, et)
        if te >= t:
            continue
        if depth + 3 >= max_len and ld1[z] <= lo_t and ld2[z] <= lo_t:
            continue  # z cannot reach u in the two hops left
        hops = depth + 1  # hops from v to z
        left = max_len - 1 - hops  # hops z may still take to reach u
        if left < 1:
            continue
        dup = False
        for i in range(1, depth + 1):
            if path[i] == z:
                dup = True
                break
        if dup:
            continue
        if ld1[z] > te:
            out_row[hops + 2] += 1
        if left == 1:
            continue
        if left == 2 and ld2[z] <= te:
            continue
        if _count_between(tptr, tt, z, te, t - 1) > hub:
            capped = True
            continue
        steps += 1
        if steps > max_steps:
            capped = True
            break
        depth += 1
        path[depth] = z
        tau[depth] = te
        cur[depth] = pptr[z]
        end[depth] = pptr[z + 1]
    for j in range(n_touched):
        ld1[touched[j]] = none
        ld2[touched[j]] = none
    return capped


@njit(cache=True, parallel=True)
def temporal_cycles(
    q_u, q_v, q_t, window, max_len, pptr, pother, pt0, pt1, eptr, et, tptr, tt,
    iptr, iother, ipt0, ipt1, ieptr, iet, hub, max_steps, n_chunks, n_nodes,
):  # fmt: skip
    """Per query edge u -> v at t: rings of each length 2..max_len it closes (column = length)
    within ``(t - window, t]``, and whether a cap cut the search."""
    nq = len(q_t)
    counts = np.zeros((nq, max_len + 1), np.int64)
    capped = np.zeros(nq, np.bool_)
    size = (nq + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        path = np.empty(max_len + 1, np.int64)
        tau = np.empty(max_len + 1, np.int64)
        cur = np.empty(max_len + 1, np.int64)
        end = np.empty(max_len + 1, np.int64)
        ld1 = np.empty(n_nodes, np.int64)
        ld2 = np.empty(n_nodes, np.int64)
        touched = np.empty(n_nodes, np.int64)
        last_lo = np.int64(-(2**62))
        ld1[:] = last_lo
        ld2[:] = last_lo
        for i in range(c * size, min(nq, (c + 1) * size)):
            u, v = q_u[i], q_v[i]
            if u == v or u < 0:
                continue
            lo = q_t[i] - window
            # the marks mean "no way" when <= lo; reset them if lo moved back in time
            if lo < last_lo:
                ld1[:] = lo
                ld2[:] = lo
            last_lo = lo
            capped[i] = _cycles_one(
                u, v, q_t[i], lo, max_len, pptr, pother, pt0, pt1, eptr, et, tptr, tt,
                iptr, iother, ipt0, ipt1, ieptr, iet, hub, max_steps, counts[i],
                path, tau, cur, end, ld1, ld2, touched,
            )  # fmt: skip
    return counts, capped


@njit(cache=True, parallel=True)
def scatter_gather(
    q_u, q_v, q_t, window, ordered, out_pptr, out_other, out_pt0, out_pt1, out_eptr, out_et,
    out_tptr, out_tt, in_pptr, in_other, in_pt0, in_pt1, in_eptr, in_et, hub, n_chunks, n_nodes,
):  # fmt: skip
    """Per query edge u -> v at t, the scatter-gathers it closes as a gather leg: for every
    source s that paid u inside ``(t - window, t]``, the intermediaries m (u among them) with
    s -> m and m -> v inside the window (``ordered``: s -> m strictly before m -> v). Returns
    the largest number of intermediaries of one source, how many sources reach at least two,
    and whether a cap cut the search. ``last[m]`` marks the latest m -> v transfer."""
    nq = len(q_t)
    best = np.zeros(nq, np.int64)
    sources = np.zeros(nq, np.int64)
    capped = np.zeros(nq, np.bool_)
    size = (nq + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        last = np.empty(n_nodes, np.int64)
        last[:] = -(2**62)
        touched = np.empty(n_nodes, np.int64)
        for i in range(c * size, min(nq, (c + 1) * size)):
            u, v, t = q_u[i], q_v[i], q_t[i]
            if u == v or u < 0:
                continue
            lo = t - window
            if _count_between(out_tptr, out_tt, u, lo, t) > hub:
                capped[i] = True
                continue
            n_touched = 0
            for q in range(in_pptr[v], in_pptr[v + 1]):
                tl = _latest_upto(q, t, in_pt0, in_pt1, in_eptr, in_et)
                if tl > lo:
                    last[in_other[q]] = tl
                    touched[n_touched] = in_other[q]
                    n_touched += 1
            s_lim = t - 1 if ordered else t
            for q in range(in_pptr[u], in_pptr[u + 1]):
                s = in_other[q]
                if s == v or s == u:  # noqa: SIM109 (numba: plain comparisons)
                    continue
                if _earliest_after(q, lo, in_pt0, in_pt1, in_eptr, in_et) > s_lim:
                    continue
                if _count_between(out_tptr, out_tt, s, lo, t) > hub:
                    capped[i] = True
                    continue
                cnt = 0
                for p in range(out_pptr[s], out_pptr[s + 1]):
                    m = out_other[p]
                    if m == v or last[m] <= lo:
                        continue
                    t1 = _earliest_after(p, lo, out_pt0, out_pt1, out_eptr, out_et)
                    if t1 > s_lim or (ordered and last[m] <= t1):
                        continue
                    cnt += 1
                if cnt >= 2:
                    sources[i] += 1
                    if cnt > best[i]:
                        best[i] = cnt
            for j in range(n_touched):
                last[touched[j]] = -(2**62)
    return best, sources, capped


def set_threads(n_jobs: int | None) -> int:
    """Threads for the kernels: ``n_jobs`` (None: numba's default, all cores), never more
    than numba allows."""
    limit = numba.config.NUMBA_NUM_THREADS
    n = limit if n_jobs is None else max(1, min(int(n_jobs), limit))
    numba.set_num_threads(n)
    return n

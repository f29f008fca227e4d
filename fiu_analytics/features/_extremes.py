"""Trailing-window maximum and minimum per group (private), in one pass.

Events and queries are both sorted by the same ``(group, time)`` key (see
:func:`fiu_analytics.features._common.group_keys`): groups are ``span`` apart in key space and
``span`` exceeds every window, so one sliding window over the whole key range never mixes two
groups. Two monotone deques give each query the extremes of the events with key in
``(q - window, q]`` in O(events + queries) time and O(events) memory, whatever the degree of an
account (a per-query scan would cost the account's events in the window, quadratic on hubs).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def window_extremes(
    ev_key: np.ndarray, ev_val: np.ndarray, q_key: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Max and min of ``ev_val`` over events with key in ``(q - window, q]``, per query.

    ``ev_key`` and ``q_key`` must be ascending. A query with no event in its window gets 0.
    """
    n_q, n_e = len(q_key), len(ev_key)
    mx = np.zeros(n_q)
    mn = np.zeros(n_q)
    dq_max = np.empty(n_e, np.int64)
    dq_min = np.empty(n_e, np.int64)
    h_max = t_max = h_min = t_min = 0
    j = 0
    for i in range(n_q):
        q = q_key[i]
        while j < n_e and ev_key[j] <= q:
            v = ev_val[j]
            while t_max > h_max and ev_val[dq_max[t_max - 1]] <= v:
                t_max -= 1
            dq_max[t_max] = j
            t_max += 1
            while t_min > h_min and ev_val[dq_min[t_min - 1]] >= v:
                t_min -= 1
            dq_min[t_min] = j
            t_min += 1
            j += 1
        lo = q - window
        while h_max < t_max and ev_key[dq_max[h_max]] <= lo:
            h_max += 1
        while h_min < t_min and ev_key[dq_min[h_min]] <= lo:
            h_min += 1
        if h_max < t_max:
            mx[i] = ev_val[dq_max[h_max]]
            mn[i] = ev_val[dq_min[h_min]]
    return mx, mn

"""Terrorism-financing scenarios: TF-small (TF-01, TF-04), NPO misuse (TF-07), hawala (TF-08),
designated-party links (SAN-01, SAN-02) and the headline nexus NX-04."""

from __future__ import annotations

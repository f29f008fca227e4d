"""The trafficking-to-terrorism-financing nexus: temporal money paths to TF endpoints."""

from fiu_analytics.nexus.paths import best_paths, describe_path, trace_paths

__all__ = ["best_paths", "describe_path", "trace_paths"]

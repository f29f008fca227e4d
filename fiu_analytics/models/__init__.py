"""Account models: supervised boosted trees, an unsupervised anomaly model, their training
tables, persistence with a model card, and ranking metrics for an analyst's alert budget.

See docs/models.md for the design and docs/evaluation-models.md for measured results.
"""

from fiu_analytics.models.card import ModelCard, load_model, load_models, read_card, save_model
from fiu_analytics.models.dataset import (
    account_labels,
    account_table,
    designated_accounts,
    with_feedback,
)
from fiu_analytics.models.estimators import AccountAnomalyModel, AccountRiskModel
from fiu_analytics.models.metrics import (
    f1_of,
    method_metrics,
    ranking_metrics,
    threshold_for_budget,
)
from fiu_analytics.models.training import score_store, train_account_model

__all__ = [
    "AccountAnomalyModel",
    "AccountRiskModel",
    "ModelCard",
    "account_labels",
    "account_table",
    "designated_accounts",
    "f1_of",
    "load_model",
    "load_models",
    "method_metrics",
    "ranking_metrics",
    "read_card",
    "save_model",
    "score_store",
    "threshold_for_budget",
    "train_account_model",
    "with_feedback",
]

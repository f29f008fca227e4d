"""The scikit-learn estimator contract on the feature transformers (numeric-array input with the
documented column order; see docs/features.md)."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from fiu_analytics.features import AccountFeatures, EdgeFeatures

EXPECTED_FAILED = {
    "check_transformer_preserve_dtypes": (
        "transform returns a pandas DataFrame by design (named features, the input's index); "
        "the check reads a numpy `.dtype`, which a frame does not have. Every column is float64."
    ),
}


@parametrize_with_checks(
    [
        EdgeFeatures(windows=("1D", "7D"), n_jobs=1),
        AccountFeatures(windows=("7D",)),
    ],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_contract(estimator, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)

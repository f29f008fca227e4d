# Quick start: `make demo` runs the monitoring flow on the committed sample data;
# `make test` runs the test suite. Each creates or refreshes .venv first.
.PHONY: demo test lint venv sample bench-generate docs

venv:
	@scripts/bootstrap.sh

demo: venv
	.venv/bin/fiu run --data-dir sample_data/store --out-dir output/demo

test: venv
	.venv/bin/python -m pytest -q

lint: venv
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

# Regenerate the committed sample data (deterministic for the seed).
sample: venv
	.venv/bin/python scripts/make_sample_data.py

bench-generate: venv
	.venv/bin/python benchmarks/bench_generate.py

docs: venv
	.venv/bin/fiu schema > docs/data-dictionary.md
	.venv/bin/python -c "from fiu_analytics.detection.alerts import alert_csv_markdown as m; open('docs/alerts-csv.md', 'w').write(m())"

# Benchmarks (issue 6), as root: `make bench` runs the whole comparison,
# `make bench BENCH_FLAGS=--quick` a short smoke run. Never part of check:
# a benchmark is a report, not a timed assertion.

BENCH_FLAGS ?=

bench:
	bench/run.sh $(BENCH_FLAGS)

.PHONY: bench

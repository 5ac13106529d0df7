#!/usr/bin/env bash
# Evaluation speed of the ETL expression language (docs/etl-expressions.md, "Performance"): builds
# bench/expressions/main.swift with ShoalETL's column and expression sources in one optimised module, and runs it
# on a 1,000,000-row batch (or the row count given). Prints only.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
mkdir -p bench/work
swiftc -O -wmo -module-name ExpressionBench -o bench/work/expressions-bench \
  Sources/ShoalETL/Columns/*.swift $(find Sources/ShoalETL/Expressions -name '*.swift') bench/expressions/main.swift
bench/work/expressions-bench "${1:-1000000}" ${2:+"$2"}

#!/usr/bin/env bash
# The test command of README.md and .ci/run: every unit, node and process test.
set -euo pipefail
cd "$(dirname "$0")/.."
exec swift test "$@"

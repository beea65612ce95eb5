#!/usr/bin/env bash
# `npm test`: the same set-up as `npm run up` plus the test tools, then the whole suite on SQLite,
# PostgreSQL and MySQL/MariaDB.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
exec node scripts/run-tests.mjs "$@"

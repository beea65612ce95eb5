#!/usr/bin/env bash
# `npm run up`: set up, then start Octavius on its embedded defaults (API on http://127.0.0.1:9876,
# worker and housekeeping in the same process, SQLite under the state directory).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/cli/main.js up "$@"

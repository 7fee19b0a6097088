#!/usr/bin/env bash
# Installs what the tests need (idempotently) and runs every test: style check, unit, integration, slow suites.
# Usage: bash scripts/test.sh            (everything)
#        bash scripts/test.sh --fast     (skip the slow categories: Crash, Load, Browser, Redis)
set -euo pipefail
cd "$(dirname "$0")/.."

filter=()
if [[ "${1:-}" == "--fast" ]]; then
  filter=(--filter "TestCategory!=Crash&TestCategory!=Load&TestCategory!=Browser&TestCategory!=Redis")
fi

bash scripts/install-test-deps.sh

echo "== style: dotnet format --verify-no-changes"
dotnet format FeedbackMetrics.sln --verify-no-changes

echo "== build"
dotnet build FeedbackMetrics.sln -c Release -nologo -v quiet

echo "== tests"
results=$(mktemp -d)
set +e
dotnet test FeedbackMetrics.sln -c Release --no-build --nologo \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" "${filter[@]}"
status=$?
set -e

# A closing line any CI reads: "N passed, N failed, N skipped".
python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    c = ET.parse(path).getroot().find(".//{*}Counters")
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0)); skipped += int(c.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status

#!/usr/bin/env bash
# Regenerates Tests/ContentNegotiationTests/Fixtures/bson-vectors.json with a second, independent BSON
# implementation: the `bson` package of PyMongo, installed into a throw-away virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check 'pymongo==4.20.0'
exec "$venv/bin/python" scripts/make-bson-fixtures.py "$@"

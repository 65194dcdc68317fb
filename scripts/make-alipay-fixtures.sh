#!/usr/bin/env bash
# Regenerates Tests/AlipayTests/Fixtures with the official Alipay Python SDK (installed on demand).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c 'import alipay.aop.api.util.SignatureUtils' 2>/dev/null; then
    python3 -m pip install --quiet 'alipay-sdk-python==3.7.1411'
fi
exec python3 scripts/make-alipay-fixtures.py "$@"

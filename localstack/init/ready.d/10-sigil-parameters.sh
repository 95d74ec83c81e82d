#!/bin/bash
# LocalStack "ready" hook: what the stack expects to exist before it runs, and does not create itself —
# the Tatum API key as an SSM SecureString (serverless.yml reads only its name, /sigil/<stage>/tatum-api-key).
# The value is a placeholder for the sandbox (or SIGIL_LOCAL_TATUM_API_KEY); never put a real key here.
set -euo pipefail

stage="${SIGIL_LOCAL_STAGE:-local}"
awslocal ssm put-parameter \
  --name "/sigil/${stage}/tatum-api-key" \
  --type SecureString \
  --value "${SIGIL_LOCAL_TATUM_API_KEY:-sandbox-api-key}" \
  --overwrite >/dev/null
echo "sigil: SSM parameter /sigil/${stage}/tatum-api-key is ready"

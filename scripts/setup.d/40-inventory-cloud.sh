#!/usr/bin/env bash
# inventory-cloud tests: moto in server mode (AWS APIs on 127.0.0.1) and the cloud SDKs the
# live collectors use. Idempotent: pip skips what is already installed.
set -euo pipefail
python3 -m pip install -q --disable-pip-version-check \
  'moto[server]>=5' 'boto3>=1.34' 'azure-identity>=1.15' 'azure-mgmt-resourcegraph>=8' \
  'google-cloud-asset>=3.24'

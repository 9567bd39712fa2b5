#!/usr/bin/env bash
# What can be checked of terraform/ without a cloud or a provider download:
#   - `terraform fmt -check -recursive` over every root and module;
#   - `terraform init`, `validate` and `test` of modules/rollout-plan, which has no providers
#     (the region list, rollout order and canary weights, with their validations).
# The roots and modules that use the cloudflare and kubernetes providers cannot be validated
# here: `terraform init` would download those providers. terraform/README.md says what that
# leaves unchecked. Ends with one summary line (npm test prints it).
#
# terraform itself is in neither Debian's archive nor the npm registry (the npm wrappers
# download it from HashiCorp at run time, which this network refuses). When it is not on PATH,
# this says so and succeeds: nothing of terraform/ is checked on such a machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v terraform >/dev/null; then
  echo "terraform: not installed (not packaged by Debian or npm); fmt, validate and test of terraform/ not run"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/terraformrc"
# No user CLI config, no checkpoint calls, state and plugins in a scratch folder.
export TF_CLI_CONFIG_FILE=$tmp/terraformrc TF_DATA_DIR=$tmp/data TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

terraform fmt -check -recursive -diff terraform
plan=terraform/modules/rollout-plan
terraform -chdir="$plan" init -backend=false -input=false -no-color >/dev/null
terraform -chdir="$plan" validate -no-color >/dev/null
tests=$(terraform -chdir="$plan" test -no-color -filter=tests/plan.tftest.hcl)
echo "$tests" | grep -q 'Success!' || { echo "$tests" >&2; exit 1; }
# The committed region list through the same validations.
committed=$(terraform -chdir="$plan" test -no-color -filter=tests/committed.tftest.hcl -var-file=../../regions/regions.auto.tfvars \
  -var core_image=ghcr.io/tcc-log/core:check-stable -var canary_image=ghcr.io/tcc-log/core:check-canary)
echo "$committed" | grep -q 'Success!' || { echo "$committed" >&2; exit 1; }
echo "terraform $(terraform version | head -n1 | grep -o 'v[0-9.]*'): fmt ok; rollout-plan valid, $(echo "$tests" | grep -o '[0-9]* passed') tests; regions.auto.tfvars valid"

# No providers: this module is pure data, so `terraform init`, `validate` and `test` run on it
# anywhere, offline (scripts/ops/terraform-check.sh runs them in npm test).
terraform {
  required_version = ">= 1.6.0, < 2.0.0"
}

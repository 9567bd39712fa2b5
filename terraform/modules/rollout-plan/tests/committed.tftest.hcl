# The region list actually committed (regions/regions.auto.tfvars), through the same
# validations: scripts/ops/terraform-check.sh runs this file with
#   -var-file=../../regions/regions.auto.tfvars -var core_image=… -var canary_image=…
run "committed_regions_plan" {
  command = plan

  assert {
    condition     = length(output.order) == length(distinct(output.order)) && length(output.order) > 0
    error_message = "the committed regions must be a non-empty list of unique names"
  }
  assert {
    condition     = length(output.canary_regions) > 0 && output.canary_regions[0].name == output.order[0]
    error_message = "the committed list canaries in its first region first"
  }
}

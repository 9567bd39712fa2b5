# `terraform test` from terraform/modules/rollout-plan (scripts/ops/terraform-check.sh runs it).
variables {
  core_image   = "ghcr.io/tcc-log/core:1.4.0"
  canary_image = "ghcr.io/tcc-log/core:1.5.0"
  regions = [
    { name = "eu-west-1", kube_context = "tcc-eu-west-1", canary_weight = 10 },
    { name = "ap-southeast-1", kube_context = "tcc-ap-southeast-1" },
    { name = "us-east-1", kube_context = "tcc-us-east-1", canary_weight = 100, canary_replicas = 3 },
  ]
}

run "canary_only_where_weighted" {
  command = plan

  assert {
    condition     = output.order == ["eu-west-1", "ap-southeast-1", "us-east-1"]
    error_message = "rollout order must be the list's order"
  }
  assert {
    condition     = output.regions["eu-west-1"].canary == { image = "ghcr.io/tcc-log/core:1.5.0", weight = 10, replicas = 1 }
    error_message = "eu-west-1 should canary 10% on one pod"
  }
  assert {
    condition     = output.regions["ap-southeast-1"].canary == null
    error_message = "a region with weight 0 runs no canary"
  }
  assert {
    condition     = output.canary_regions == [{ name = "eu-west-1", weight = 10 }, { name = "us-east-1", weight = 100 }]
    error_message = "canary_regions lists weighted regions in order"
  }
  assert {
    condition     = output.regions["us-east-1"].min_replicas == 3 && output.regions["us-east-1"].ingress_hosts == tolist(["api.tcclog.com"])
    error_message = "defaults apply to every region"
  }
}

run "no_canary_image_no_canary" {
  command = plan
  variables {
    canary_image = null
  }
  assert {
    condition     = alltrue([for r in values(output.regions) : r.canary == null]) && output.canary_regions == []
    error_message = "without canary_image no region runs a canary, whatever its weight"
  }
}

run "duplicate_region_refused" {
  command = plan
  variables {
    regions = [{ name = "eu-west-1", kube_context = "a" }, { name = "eu-west-1", kube_context = "b" }]
  }
  expect_failures = [var.regions]
}

run "weight_out_of_range_refused" {
  command = plan
  variables {
    regions = [{ name = "eu-west-1", kube_context = "a", canary_weight = 101 }]
  }
  expect_failures = [var.regions]
}

run "fractional_weight_refused" {
  command = plan
  variables {
    regions = [{ name = "eu-west-1", kube_context = "a", canary_weight = 2.5 }]
  }
  expect_failures = [var.regions]
}

run "unpinned_canary_refused" {
  command = plan
  variables {
    canary_image = "ghcr.io/tcc-log/core:latest"
  }
  expect_failures = [var.canary_image]
}

run "canary_of_the_running_image_refused" {
  command = plan
  variables {
    canary_image = "ghcr.io/tcc-log/core:1.4.0"
  }
  expect_failures = [output.regions]
}

# The rollout as data (offline-tested): regions by name, their order, and each one's canary.
module "plan" {
  source       = "../modules/rollout-plan"
  regions      = var.regions
  core_image   = var.core_image
  canary_image = var.canary_image
}

locals {
  # The workspace names the region; null in a workspace that names no region.
  region = lookup(module.plan.regions, terraform.workspace, null)
  # Zero or one region, as a map, so nothing below ever dereferences a null region.
  selected = local.region == null ? {} : { (terraform.workspace) = local.region }
}

# Fails the plan with a clear message instead of an index error when the workspace is wrong
# (the `default` workspace in particular, which manages no region).
resource "terraform_data" "region_guard" {
  input = terraform.workspace
  lifecycle {
    precondition {
      condition     = local.region != null
      error_message = "Workspace \"${terraform.workspace}\" names no region in var.regions (${join(", ", module.plan.order)}). Run: terraform workspace select <region>"
    }
  }
}

module "core" {
  source   = "../modules/core-k8s"
  for_each = local.selected

  region                = each.key
  image                 = var.core_image
  min_replicas          = each.value.min_replicas
  max_replicas          = each.value.max_replicas
  database_secret       = each.value.database_secret
  app_secret            = each.value.app_secret
  ingress_hosts         = each.value.ingress_hosts
  ingress_source_ranges = each.value.ingress_source_ranges
  # null, or {image, weight, replicas}: a second Deployment taking `weight` percent of traffic.
  canary = each.value.canary
  # The gateway's address is fixed by its module's name and port, so core does not wait on it.
  env = merge({ PUBLIC_URL = var.public_url, AI_GATEWAY_URL = "http://tcc-ai-gateway.tcc-prod.svc.cluster.local:8090" }, each.value.env)

  prometheus_rules = each.value.prometheus_operator ? file("${path.module}/../../deploy/prometheus/alerts.yml") : null
}

# The AI gateway beside core in every region. With no lmstudio_nodes it serves its built-in
# provider (local embeddings, extractive answers), so core's AI routes work before GPUs exist.
module "ai_gateway" {
  source   = "../modules/ai-gateway-k8s"
  for_each = local.selected

  region         = each.key
  namespace      = module.core[each.key].namespace
  image          = var.ai_gateway_image
  replicas       = each.value.ai_gateway_replicas
  lmstudio_nodes = each.value.lmstudio_nodes
  app_secret     = each.value.ai_gateway_secret
  env            = each.value.ai_gateway_env
}

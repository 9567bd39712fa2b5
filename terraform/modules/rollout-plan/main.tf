# The region rollout as data: which regions exist, in what order a new image reaches them, and
# what share of each region's traffic goes to the canary image. No resources, no providers, so
# it is validated and unit-tested offline (tests/); the regions root reads its outputs.
locals {
  canary_on = var.canary_image != null

  regions = {
    for r in var.regions : r.name => merge(r, {
      # A canary exists in a region only while there is an image to canary and a weight for it.
      canary = local.canary_on && r.canary_weight > 0 ? {
        image    = var.canary_image
        weight   = r.canary_weight
        replicas = r.canary_replicas
      } : null
    })
  }
}

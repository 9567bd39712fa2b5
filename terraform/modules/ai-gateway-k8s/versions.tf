# The caller configures the provider (one per region's cluster); the module only names it.
terraform {
  required_providers {
    kubernetes = {
      source = "hashicorp/kubernetes"
    }
  }
}

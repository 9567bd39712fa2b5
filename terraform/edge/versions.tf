# Global Cloudflare resources: one state for the whole world, separate from the per-region
# Kubernetes states so an edge change never plans (or locks) every region.
terraform {
  # >= 1.6: optional() object attributes with defaults, check blocks, terraform_data.
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    cloudflare = {
      source = "cloudflare/cloudflare"
      # v5 is the rewrite whose resource names and nested-attribute syntax this file uses
      # (cloudflare_workers_script with bindings = [...], migrations = {...}); v4 differs.
      version = "~> 5.14"
    }
  }

  # State backend is per organisation; configure at init, e.g.
  #   terraform init -backend-config=backend.hcl
  # backend "s3" {}
}

provider "cloudflare" {
  # Token from CLOUDFLARE_API_TOKEN, never from a file in the repo. It needs
  # Workers Scripts:Edit, Workers KV Storage:Edit (account) and Workers Routes:Edit (zones).
}

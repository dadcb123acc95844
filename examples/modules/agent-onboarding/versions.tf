terraform {
  # Ephemeral input variables (1.10) and write-only attributes (1.11).
  required_version = ">= 1.11"
  required_providers {
    lkps = {
      source = "bayer/lkps"
    }
  }
}

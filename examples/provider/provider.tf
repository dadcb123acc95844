terraform {
  required_providers {
    lkps = {
      source  = "bayer/lkps"
      version = "~> 0.1"
    }
  }
}

# Non-production EU is the default; credentials come from the ARM_* environment variables
# (the same ones the azuread provider reads) or from the Azure CLI's signed-in account.
provider "lkps" {
  environment = "nonprod"
  region      = "eu"
}

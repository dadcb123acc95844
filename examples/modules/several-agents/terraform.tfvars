# Two agents with their clients (example IDs; use your own). The secrets come from the pipeline, as
# TF_VAR_agent_client_secrets='{"voice":"…","support":"…"}'.
agents = {
  voice = {
    agent_client_id = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e01"
    clients = {
      web    = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e11"
      mobile = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e12"
    }
  }
  support = {
    agent_client_id = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e02"
    clients = {
      web = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e11"
    }
  }
}

# Your agent and your clients (example IDs: replace them with yours).
agent_client_id = "2c9e5a10-7b3d-4f8e-9a61-5d2f0c4b8e01"
clients = {
  web_frontend = "2c9e5a10-7b3d-4f8e-9a61-5d2f0c4b8e02"
  mobile_app   = "2c9e5a10-7b3d-4f8e-9a61-5d2f0c4b8e03"
}

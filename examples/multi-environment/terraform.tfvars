# Example IDs: use your agent's app registrations and your clients.
agent_client_ids = {
  nonprod = "7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c01"
  prod    = "7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c02"
}
clients = {
  nonprod = { web = "7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c11", qa_tool = "7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c12" }
  prod    = { web = "7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c21" }
}

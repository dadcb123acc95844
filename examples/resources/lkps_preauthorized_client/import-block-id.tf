# Terraform 1.5 and later: import by "<agent client ID>/<client ID>".
import {
  to = lkps_preauthorized_client.web_frontend
  id = "426758d8-100a-4420-9ae2-5f17e44f7df4/5b0a8e1e-3c7d-4f6a-9b2e-8d1c0f4a7e31"
}

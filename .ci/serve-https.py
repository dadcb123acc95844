#!/usr/bin/env python3
"""Usage: .ci/serve-https.py <dir> <cert.pem> <key.pem> <port file> [<request log>]

A static HTTPS file server on loopback (127.0.0.1, a free port written to <port file>), standing in
for the static hosts a team serves `make registry`'s tree from (an Artifactory generic repository, a
bucket's website, nginx): GET and HEAD of files only, no directory listings, files without an extension
(the registry protocol's `versions` and download documents) as application/json. Each request is logged
as "<status> <path>" to <request log> (default: stderr).
"""
import http.server
import os
import ssl
import sys

root, cert, key, port_file = sys.argv[1:5]
log = open(sys.argv[5], "a", buffering=1) if len(sys.argv) > 5 else sys.stderr


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=root, **kwargs)

    def guess_type(self, path):
        if not os.path.splitext(path)[1]:
            return "application/json"
        return super().guess_type(path)

    def list_directory(self, path):
        self.send_error(404, "Not Found")
        return None

    def log_message(self, fmt, *args):
        pass

    def log_request(self, code="-", size="-"):
        log.write(f"{code} {self.path}\n")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(port_file + ".tmp", port_file)
server.serve_forever()

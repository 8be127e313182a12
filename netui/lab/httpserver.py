"""An HTTP server for the lab that never resolves names.

The standard library's HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS query sent
to the machine's resolver: it stalls where there is no DNS, and from the root namespace it would
be traffic the lab must never send. This server only binds.
"""

from __future__ import annotations

import socketserver
from http.server import ThreadingHTTPServer


class LabHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

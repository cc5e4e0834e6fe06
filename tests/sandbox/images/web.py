"""A tiny HTTP server for sandbox tests: answers on $PORT with its pod name and greeting."""

import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SICK: list[bool] = []  # set once /sicken was asked: /healthz answers 500 from then on


class Handler(BaseHTTPRequestHandler):
    """/ about this process, /healthz (500 after /sicken), /file serves $FILE_TO_SERVE."""

    def do_GET(self) -> None:
        """Answer one request."""
        code = 200
        if self.path == "/healthz":
            code = 500 if SICK else 200
            body = b"sick" if SICK else b"ok"
        elif self.path == "/sicken":
            SICK.append(True)
            body = b"now failing /healthz"
        elif self.path == "/file":
            with open(os.environ["FILE_TO_SERVE"], "rb") as served:
                body = served.read()
        else:
            about = {
                "pod": os.environ.get("POD_NAME", ""),
                "greeting": os.environ.get("GREETING", ""),
                "message": os.environ.get("MESSAGE", ""),
                "pid": os.getpid(),
                "env": sorted(os.environ),
            }
            body = json.dumps(about).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Log requests to stdout (the container log)."""
        print(format % args, flush=True)


def main() -> None:
    """Serve until SIGTERM."""
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

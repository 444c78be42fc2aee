"""Run moto's server with DynamoDB requests serialised.

moto's server is threaded, and its DynamoDB backend evaluates a
transaction's conditions and applies its writes without a lock, so two
concurrent TransactWriteItems calls can both pass a condition that only one
of them should (seen here: two tickets got the same number). DynamoDB
itself makes each request atomic. Serialising DynamoDB and DynamoDB Streams
requests gives the emulator that guarantee; other services (SQS long polls
in particular) stay concurrent.

Usage: moto_server.py [-H HOST] [-p PORT]
"""

import argparse
import signal
import sys
import threading

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app


class SerializeDynamoDB:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return self.app(environ, start_response)
        with self.lock:
            body = self.app(environ, start_response)
            try:
                data = b"".join(body)
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
        return [data]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=4566)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, SerializeDynamoDB(app), threaded=True)


if __name__ == "__main__":
    main()

"""An embedded AWS emulator (moto's server, over HTTP) for the demo and the tests.

Only the demo and the tests import this; moto is a development dependency.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from logbaseline.emulation.gateway import Gateway

REGION = "us-east-1"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


@contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# The gateway in front of the running emulator (quotas and Security Hub's findings): tests read its counts.
GATEWAY: Gateway | None = None


@contextmanager
def moto_server(throttling: bool | None = None) -> Iterator[str]:
    """Start moto's server on a free local port, behind the gateway (AWS's request rates and Security Hub as AWS
    answers); boto3 follows AWS_ENDPOINT_URL to it. Throttling is on unless LOGBASELINE_EMULATOR_QUOTAS=off."""
    global GATEWAY
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from logbaseline.emulation.gateway import Gateway

    if throttling is None:
        throttling = os.environ.get("LOGBASELINE_EMULATOR_QUOTAS", "on") != "off"
    gateway = Gateway(DomainDispatcherApplication(create_backend_app), throttling)

    class Server(ThreadedMotoServer):
        def _server_entry(self) -> None:
            self._server = make_server(
                self._ip_address, self._port, gateway, threaded=True, request_handler=MotoRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = Server(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    outer, GATEWAY = GATEWAY, gateway
    try:
        with patched_environ({"AWS_ENDPOINT_URL": endpoint, **CREDENTIALS}):
            yield endpoint
    finally:
        GATEWAY = outer  # an emulator started inside another (the demo in a test) gives the outer one back
        server.stop()


def reset(endpoint: str) -> None:
    """Forget every resource the emulator holds (moto's reset API)."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()

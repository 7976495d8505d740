"""A detente server in a process of its own, for the benchmarks that load it over HTTP.

``serving(["monitor", "serve"], url, env, ready="/openapi.json")`` starts the command on a
free port of 127.0.0.1 with the database ``url``, waits until ``ready`` answers 200, yields
the base URL and the server's process (for its CPU time), and stops the server afterwards.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import httpx
import psutil

#: How long a server may take to answer its first request.
START_SECONDS = 90.0


@dataclass(frozen=True)
class Server:
    """A running server: where it answers and its process."""

    base: str
    process: psutil.Process


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(
    command: Sequence[str], url: str, env: dict[str, str], *, ready: str
) -> Iterator[Server]:
    """Run ``detente COMMAND --db URL --port P`` until the block ends."""
    port = free_port()
    cmd = [sys.executable, "-c", "from detente.cli import main; main()", *command]
    proc = subprocess.Popen(
        [*cmd, "--db", url, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    try:
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}{ready}", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the server did not start: {' '.join(command)}")
            time.sleep(0.2)
        yield Server(base, psutil.Process(proc.pid))
    finally:
        proc.terminate()
        proc.wait(30)

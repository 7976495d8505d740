"""Locust users of the monitoring benchmark: each posts incident reports back to back.

Run by ``bench_monitor`` (``locust --headless``) in a process of its own; the token, agreement
and sector come from the environment it sets. Every report carries an ``Idempotency-Key`` (its
label) and is sent again with that key until the server answers 201, as a careful client does.
When locust quits, the labels sent and the incident id answered for each label are written as
JSON to ``$DETENTE_BENCH_LEDGER``. Locust stops its users in the middle of their requests: a
report then in flight was sent, may be stored, but was never answered; the benchmark settles
it afterwards by sending it once more with its key.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import gevent
from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser

from bench_monitor import incident_body  # locust puts this folder on sys.path

#: Every label sent, and the incident id answered for each label that got its 201.
SENT: list[str] = []
ANSWERED: dict[str, int] = {}


@events.quitting.add_listener
def _write_ledger(**_kwargs: object) -> None:
    path = os.environ.get("DETENTE_BENCH_LEDGER")
    if path:
        Path(path).write_text(json.dumps({"sent": SENT, "answered": ANSWERED}))


class Monitor(FastHttpUser):
    """A monitor filing reports as fast as the server answers (closed loop, no think time).

    ``FastHttpUser`` (geventhttpclient) rather than ``HttpUser`` (requests): it costs the load
    generator several times less CPU per request, which counts when it shares the machine.
    """

    wait_time = constant(0)
    network_timeout = 30.0

    def on_start(self) -> None:
        """Read the token, agreement and sector the benchmark prepared."""
        self.auth = {"Authorization": f"Bearer {os.environ['DETENTE_BENCH_TOKEN']}"}
        self.agreement = int(os.environ["DETENTE_BENCH_AGREEMENT"])
        self.sector = int(os.environ["DETENTE_BENCH_SECTOR"])

    @task
    def report(self) -> None:
        """Send one new report, again with its key after any failure, until it is answered."""
        label = uuid.uuid4().hex
        SENT.append(label)
        body = incident_body(label, self.agreement, self.sector)
        headers = {**self.auth, "Idempotency-Key": label}
        while True:
            response = self.client.post(
                "/api/incidents", json=body, headers=headers, name="POST /api/incidents"
            )
            if response.status_code == 201 and response.content:
                ANSWERED[label] = int(json.loads(response.content)["id"])
                return
            if 400 <= response.status_code < 500:  # refused: sending it again changes nothing
                return
            gevent.sleep(0.1)  # no answer, or a 5xx: the server may be busy

"""Locust users of the monitoring benchmark: each posts incident reports back to back.

Run by ``bench_monitor`` (``locust --headless``) in a process of its own; the token, agreement
and sector come from the environment it sets.
"""

from __future__ import annotations

import os
import uuid

from locust import HttpUser, constant, task


class Monitor(HttpUser):
    """A monitor filing reports as fast as the server answers (closed loop, no think time)."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {os.environ['DETENTE_BENCH_TOKEN']}"
        self.agreement = int(os.environ["DETENTE_BENCH_AGREEMENT"])
        self.sector = int(os.environ["DETENTE_BENCH_SECTOR"])

    @task
    def report(self) -> None:
        label = uuid.uuid4().hex
        body = {
            "agreement_id": self.agreement,
            "occurred_at": "2026-03-01T10:00:00Z",
            "type": "small_arms_fire",
            "sector_id": self.sector,
            "longitude": 20.25,
            "latitude": 45.25,
            "sources": "load test",
            "description": f"bench {label}",
        }
        self.client.post(
            "/api/incidents",
            json=body,
            headers={"Idempotency-Key": label},
            name="POST /api/incidents",
        )

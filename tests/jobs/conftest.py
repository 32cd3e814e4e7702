"""The job machinery's tests: a tracking officer, and jobs declared by a test alone."""

from __future__ import annotations

import pytest

from jobs import registry
from tests.factories import UserFactory


@pytest.fixture
def officer(court):
    return UserFactory(username="officer", court=court, division=None, roles=["tracking_officer"])


@pytest.fixture
def declare():
    """Declare jobs for one test: `declare(Job(...))`; they are forgotten afterwards."""
    names: list[str] = []

    def add(job: registry.Job) -> registry.Job:
        registry.register(job)
        names.append(job.name)
        return job

    yield add
    for name in names:
        registry.unregister(name)

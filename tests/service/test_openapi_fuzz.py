"""schemathesis against the service's OpenAPI document: no 500s, every response matches the schema.

Runs against the real server (uvicorn on a loopback port) with an admin token, so every operation
is reachable; the endless server-sent event streams are left out (they never finish a response).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from service_helpers import auth, make_settings, serving

from nadhir.service.app import create_app
from nadhir.service.settings import RateLimit

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.specs.openapi.checks import (  # noqa: E402
    negative_data_rejection,
    positive_data_acceptance,
)

_schema_app = create_app(make_settings(Path("unused")))
schema = schemathesis.openapi.from_dict(_schema_app.openapi()).exclude(path_regex=r"/sse$")
ADMIN = auth("admin")["Authorization"]


@schema.auth()
class AdminToken:
    """The admin's bearer token, given so schemathesis can also try the API without it."""

    def get(self, case: object, context: object) -> str:
        return ADMIN

    def set(self, case: object, data: str, context: object) -> None:
        headers = case.headers or {}  # type: ignore[attr-defined]
        headers["Authorization"] = data
        case.headers = headers  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # A fuzzer is a flood from one address: lift the limit on requests without a valid token.
    settings_ = make_settings(tmp_path_factory.mktemp("fuzz"))
    limits = dict(settings_.rate_limits)
    limits["anonymous"] = RateLimit(10_000.0, 10_000)
    app = create_app(replace(settings_, rate_limits=limits))
    with serving(app) as base:
        yield base


def negative_data_rejected_or_too_large(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schema-violating data must be refused; a body over the service's limit is refused with 413
    before it is read, which schemathesis's own check does not count as a refusal."""
    if response.status_code == 413:
        return True
    result: bool | None = negative_data_rejection(ctx, response, case)
    return result


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case: object, base_url: str) -> None:
    # Every check but "schema-valid data is accepted": an event can be schema-valid and still not a
    # usable event (a report with neither text nor any field; an admin's event without its source),
    # which the service rightly refuses with a 422 that says why.
    case.call_and_validate(  # type: ignore[attr-defined]
        base_url=base_url,
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
        additional_checks=[negative_data_rejected_or_too_large],
    )

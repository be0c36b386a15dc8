"""Tokens and partners given in the environment (``NADHIR_TOKENS``, ``NADHIR_PARTNERS``): comma-
separated ``a:b:c`` items, read one way for both."""

from __future__ import annotations

import pytest

from nadhir.service.settings import PartnerSpec, SettingsError, hash_token, load_settings

SECRET = "partner-secret-0123456789"
TOKEN = "operator:token:with-colons-0123"


def test_tokens_and_partners_are_read_from_the_environment_with_blank_items_skipped() -> None:
    settings = load_settings(
        environ={
            "NADHIR_TOKENS": f" operator:olga:{TOKEN} ,, viewer:vera:viewer-token-0123456789ab,",
            "NADHIR_PARTNERS": f"ocha:{SECRET}:https://partner.example:8443/hook , ",
        }
    )
    assert [(t.role, t.subject, t.token_sha256) for t in settings.tokens] == [
        ("operator", "olga", hash_token(TOKEN)),  # the last part keeps its colons
        ("viewer", "vera", hash_token("viewer-token-0123456789ab")),
    ]
    assert settings.partners == (PartnerSpec("ocha", "https://partner.example:8443/hook", SECRET),)


@pytest.mark.parametrize(
    ("variable", "value", "error"),
    [
        ("NADHIR_TOKENS", "operator:olga", "NADHIR_TOKENS items are role:subject:token"),
        ("NADHIR_PARTNERS", "ocha;https", "NADHIR_PARTNERS items are name:secret:url"),
        # Item by item: the first item's own fault is told before the second's shape.
        ("NADHIR_TOKENS", "pilot:olga:operator-token-0123456789,viewer", "unknown role 'pilot'"),
        ("NADHIR_PARTNERS", "ocha:short:https://partner.example/hook,ocha", "secret is too short"),
    ],
)
def test_a_malformed_item_is_refused_by_name(variable: str, value: str, error: str) -> None:
    with pytest.raises(SettingsError, match=error):
        load_settings(environ={variable: value})

"""Settings of the live service: where its data is, who may do what, how fast.

Read from a TOML file (``nadhir serve --settings FILE`` or ``NADHIR_SETTINGS``)
and then from environment variables, which win. See ``docs/service.md``.

::

    scenario = "/srv/nadhir/region"          # sites.geojson, gazetteer.json, reporters.json
    db = "sqlite:////srv/nadhir/nadhir.sqlite3"
    cors_origins = []                        # CORS is off unless origins are listed

    [rate_limits]                            # per source: sustained requests/s and burst
    observer = { rate = 1.0, burst = 20 }
    sensor = { rate = 10.0, burst = 50 }

    [[tokens]]
    role = "observer"                        # observer | sensor | viewer | operator | admin
    subject = "obs-hmeimim-0"                # the reporter id it may submit as (a name for people)
    token_sha256 = "9f86d0..."               # or token = "..." (plain text)

Environment: ``NADHIR_DB``, ``NADHIR_SCENARIO``, ``NADHIR_CORS_ORIGINS``
(comma-separated), and ``NADHIR_TOKENS`` as ``role:subject:token`` items
separated by commas. Alert delivery (``docs/service.md``): ``NADHIR_SIRENS``,
``NADHIR_TELEGRAM_TOKEN``, ``NADHIR_TELEGRAM_CHANNELS``,
``NADHIR_SMS_GATEWAY_URL``, ``NADHIR_SMS_GATEWAY_AUTH`` and
``NADHIR_PARTNERS`` (``name:secret:url`` items separated by commas).
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from nadhir.delivery.channels.sms import SmsGatewayConfig

# ``health``: health coordinators and focal points, who see the private health records (attacks'
# sources and narratives, facilities' exact places) that viewers and operators do not.
Role = Literal["observer", "sensor", "viewer", "operator", "health", "admin"]
ROLES: tuple[Role, ...] = ("observer", "sensor", "viewer", "operator", "health", "admin")
SOURCE_ROLES: frozenset[Role] = frozenset({"observer", "sensor"})


# The parts of the cluster a process may run (``nadhir serve --role``; docs/scaling.md).
SERVICE_ROLES = ("intake", "engine", "delivery", "console")


class SettingsError(ValueError):
    """The settings cannot be used."""


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """One API token: its role, whom it stands for, and the SHA-256 of its secret."""

    role: Role
    subject: str
    token_sha256: str


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A token bucket: ``rate`` requests per second sustained, ``burst`` at once."""

    rate: float
    burst: int


DEFAULT_RATE_LIMITS: dict[str, RateLimit] = {
    "observer": RateLimit(1.0, 20),
    "sensor": RateLimit(10.0, 50),
    "viewer": RateLimit(20.0, 100),
    "operator": RateLimit(20.0, 100),
    "health": RateLimit(20.0, 100),
    "admin": RateLimit(1000.0, 2000),
    "anonymous": RateLimit(5.0, 30),  # per client address, for requests without a valid token
    # Per client address, for public kiosk reads: a bucket of their own, so that bad-token requests
    # from the same address (which drain "anonymous") cannot starve the kiosks behind it. Each kiosk
    # holds one event stream open; the burst lets a hospital's kiosks all reconnect at once.
    "kiosk": RateLimit(10.0, 100),
}


@dataclass(frozen=True, slots=True)
class PartnerSpec:
    """A partner that gets every alert as a signed webhook (HMAC-SHA256 with ``secret``)."""

    name: str
    url: str
    secret: str

    def __post_init__(self) -> None:
        if not self.name or any(c in self.name for c in ":,/ "):
            raise SettingsError(f"partner name {self.name!r} must be non-empty, without : , / or spaces")
        if not self.url.startswith(("http://", "https://")):
            raise SettingsError(f"partner {self.name}: url must be http(s), not {self.url!r}")
        if len(self.secret) < 16:
            raise SettingsError(f"partner {self.name}: secret is too short (16 characters at least)")


@dataclass(frozen=True, slots=True)
class RegionSpec:
    """One engine partition: its sites, and the ground around them it takes events from (km)."""

    id: str
    sites: tuple[str, ...]
    halo_km: float = 60.0

    def __post_init__(self) -> None:
        if not self.id or not all(c.isalnum() or c in "-_" for c in self.id):
            raise SettingsError(f"region id {self.id!r}: letters, digits, - and _ only")
        if not self.sites:
            raise SettingsError(f"region {self.id}: no sites")
        if not self.halo_km >= 0:
            raise SettingsError(f"region {self.id}: halo_km must be >= 0")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app needs; every field has a usable default except the tokens."""

    scenario: Path | None = None  # None: the bundled demo region
    db: str | None = None  # None: nadhir.sqlite3 in the working folder
    tokens: tuple[TokenSpec, ...] = ()
    cors_origins: tuple[str, ...] = ()
    rate_limits: Mapping[str, RateLimit] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    max_future_s: float = 30.0  # an event stamped later than now + this is refused
    max_body_bytes: int = 64 * 1024
    run_name: str = "live"
    public_kiosk: bool = True  # /kiosk/<site> and its feed need no token (sirens are public)
    outbox: bool = True  # store every alert with its deliveries in the durable outbox (same database)
    sirens_broker: str | None = None  # host:port of the MQTT broker: also send siren commands
    # SMS gateway webhook (POST /api/v1/intake/sms): HMAC secret, and phone number -> observer id.
    sms_secret: str | None = None
    sms_numbers: Mapping[str, str] = field(default_factory=dict)
    # Telegram bot: token, one-time registration codes -> observer id, where registrations are kept.
    telegram_token: str | None = None
    telegram_codes: Mapping[str, str] = field(default_factory=dict)
    telegram_registry: Path | None = None
    telegram_api: str = "https://api.telegram.org"
    # Alert delivery to people and partners (with the outbox). Telegram uses telegram_token's bot:
    # posts to these public channels, and direct messages to subscribers who chose Telegram.
    telegram_channels: tuple[str, ...] = ()
    sms_gateway: SmsGatewayConfig | None = None  # SMS to subscribers who chose SMS
    partners: tuple[PartnerSpec, ...] = ()
    alert_tz: str = "Asia/Damascus"  # local time in alert texts and CAP
    sms_max_segments: int = 2
    siren_silent_after_s: float = 15.0  # no heartbeat for this long: the nearest siren takes over
    sirens_topic_root: str = "nadhir/sirens"  # MQTT topics of siren ID are under ROOT/ID/
    # The cluster (``nadhir serve --role ...``, docs/scaling.md): NATS JetStream, the names made
    # there (streams, buckets) start with nats_prefix, and the regions each engine partition takes.
    nats: str = "nats://127.0.0.1:4222"
    nats_prefix: str = "nadhir"
    regions: tuple[RegionSpec, ...] = ()
    lease_s: float = 3.0  # an active engine silent this long loses its region to a standby
    snapshot_s: float = 2.0  # how often an active engine snapshots its pipeline
    idle_clock_s: float = 5.0  # a region's stream quiet this long (wall): its clock moves on

    def with_tokens(self, *tokens: TokenSpec) -> Settings:
        """A copy with more tokens."""
        return replace(self, tokens=(*self.tokens, *tokens))

    def rate_limit(self, role: str) -> RateLimit:
        return self.rate_limits.get(role) or DEFAULT_RATE_LIMITS[role]


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is kept."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_spec(role: str, subject: str, token: str) -> TokenSpec:
    """A token spec from its plain secret."""
    if role not in ROLES:
        raise SettingsError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    if not subject:
        raise SettingsError("a token needs a subject")
    if len(token) < 16:
        raise SettingsError(f"token for {role} {subject!r} is too short (16 characters at least)")
    return TokenSpec(role, subject, hash_token(token))


def _token_from_table(i: int, row: Any) -> TokenSpec:
    if not isinstance(row, dict):
        raise SettingsError(f"tokens[{i}] is not a table")
    role, subject = str(row.get("role", "")), str(row.get("subject", ""))
    if "token_sha256" in row:
        digest = str(row["token_sha256"]).lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise SettingsError(f"tokens[{i}].token_sha256 is not a SHA-256 hex digest")
        if role not in ROLES:
            raise SettingsError(f"tokens[{i}]: unknown role {role!r}")
        if not subject:
            raise SettingsError(f"tokens[{i}] needs a subject")
        return TokenSpec(role, subject, digest)
    if "token" in row:
        return token_spec(role, subject, str(row["token"]))
    raise SettingsError(f"tokens[{i}] needs token or token_sha256")


def _rate_limits(raw: Any) -> dict[str, RateLimit]:
    out = dict(DEFAULT_RATE_LIMITS)
    if raw is None:
        return out
    if not isinstance(raw, dict):
        raise SettingsError("rate_limits must be a table")
    for role, spec in raw.items():
        if role not in out:
            raise SettingsError(f"rate_limits: unknown role {role!r}")
        try:
            rate, burst = float(spec["rate"]), int(spec["burst"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SettingsError(f"rate_limits.{role} needs rate and burst numbers") from exc
        if rate <= 0 or burst < 1:
            raise SettingsError(f"rate_limits.{role}: rate must be > 0 and burst >= 1")
        out[role] = RateLimit(rate, burst)
    return out


def settings_from_mapping(data: Mapping[str, Any], base: Path | None = None) -> Settings:
    """Settings from a decoded TOML document; relative paths are taken from ``base``."""
    known = {
        "scenario",
        "db",
        "tokens",
        "cors_origins",
        "rate_limits",
        "max_future_s",
        "max_body_bytes",
        "run_name",
        "public_kiosk",
        "outbox",
        "sirens_broker",
        "sms_secret",
        "sms_numbers",
        "telegram_token",
        "telegram_codes",
        "telegram_registry",
        "telegram_api",
        "telegram_channels",
        "sms_gateway",
        "partners",
        "alert_tz",
        "sms_max_segments",
        "siren_silent_after_s",
        "sirens_topic_root",
        "nats",
        "nats_prefix",
        "regions",
        "lease_s",
        "snapshot_s",
        "idle_clock_s",
    }
    unknown = set(data) - known
    if unknown:
        raise SettingsError(f"unknown settings: {', '.join(sorted(unknown))}")
    scenario = data.get("scenario")
    scenario_path = None
    if scenario is not None:
        scenario_path = Path(str(scenario)).expanduser()
        if base is not None and not scenario_path.is_absolute():
            scenario_path = base / scenario_path
    tokens_raw = data.get("tokens", [])
    if not isinstance(tokens_raw, list):
        raise SettingsError("tokens must be an array of tables")
    origins = data.get("cors_origins", [])
    if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
        raise SettingsError("cors_origins must be a list of strings")
    try:
        return Settings(
            scenario=scenario_path,
            db=str(data["db"]) if data.get("db") else None,
            tokens=tuple(_token_from_table(i, row) for i, row in enumerate(tokens_raw)),
            cors_origins=tuple(origins),
            rate_limits=_rate_limits(data.get("rate_limits")),
            max_future_s=float(data.get("max_future_s", 30.0)),
            max_body_bytes=int(data.get("max_body_bytes", 64 * 1024)),
            run_name=str(data.get("run_name", "live")),
            public_kiosk=bool(data.get("public_kiosk", True)),
            outbox=bool(data.get("outbox", True)),
            sirens_broker=str(data["sirens_broker"]) if data.get("sirens_broker") else None,
            sms_secret=str(data["sms_secret"]) if data.get("sms_secret") else None,
            sms_numbers=_str_table(data.get("sms_numbers", {}), "sms_numbers"),
            telegram_token=str(data["telegram_token"]) if data.get("telegram_token") else None,
            telegram_codes=_str_table(data.get("telegram_codes", {}), "telegram_codes"),
            telegram_registry=_path(data.get("telegram_registry"), base),
            telegram_api=str(data.get("telegram_api", "https://api.telegram.org")),
            telegram_channels=_str_list(data.get("telegram_channels", []), "telegram_channels"),
            sms_gateway=sms_gateway_config(data.get("sms_gateway")),
            partners=_partners(data.get("partners", [])),
            alert_tz=_tz(str(data.get("alert_tz", "Asia/Damascus"))),
            sms_max_segments=_int_in(data.get("sms_max_segments", 2), "sms_max_segments", 1, 10),
            siren_silent_after_s=float(data.get("siren_silent_after_s", 15.0)),
            sirens_topic_root=str(data.get("sirens_topic_root", "nadhir/sirens")),
            nats=str(data.get("nats", "nats://127.0.0.1:4222")),
            nats_prefix=_token(data.get("nats_prefix", "nadhir"), "nats_prefix"),
            regions=_regions(data.get("regions", [])),
            lease_s=_positive(data.get("lease_s", 3.0), "lease_s"),
            snapshot_s=_positive(data.get("snapshot_s", 2.0), "snapshot_s"),
            idle_clock_s=_positive(data.get("idle_clock_s", 5.0), "idle_clock_s"),
        )
    except (TypeError, ValueError) as exc:
        if isinstance(exc, SettingsError):
            raise
        raise SettingsError(str(exc)) from exc


def _token(value: object, name: str) -> str:
    text = str(value)
    if not text or not all(c.isalnum() or c in "-_" for c in text):
        raise SettingsError(f"{name}: letters, digits, - and _ only")
    return text


def _positive(value: object, name: str) -> float:
    number = float(value)  # type: ignore[arg-type]
    if not number > 0 or number == float("inf"):
        raise SettingsError(f"{name} must be a positive number of seconds")
    return number


def _regions(raw: object) -> tuple[RegionSpec, ...]:
    """``[[regions]]`` tables: ``id``, ``sites`` (site ids), ``halo_km``."""
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise SettingsError("regions must be an array of tables")
    out = []
    for i, row in enumerate(raw):
        unknown = set(row) - {"id", "sites", "halo_km"}
        if unknown:
            raise SettingsError(f"regions[{i}]: unknown keys {', '.join(sorted(unknown))}")
        out.append(RegionSpec(str(row.get("id", "")), _str_list(row.get("sites", []), f"regions[{i}].sites"),
                              float(row.get("halo_km", 60.0))))  # fmt: skip
    if len({r.id for r in out}) != len(out):
        raise SettingsError("regions: two regions share an id")
    return tuple(out)


def _str_list(value: object, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SettingsError(f"{name} must be a list of non-empty strings")
    return tuple(value)


def _int_in(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}")
    return value


def _tz(name: str) -> str:
    from nadhir.alerting.text import resolve_tz

    try:
        resolve_tz(name)
    except ValueError as exc:
        raise SettingsError(f"alert_tz: {exc}") from exc
    return name


def sms_gateway_config(raw: object) -> SmsGatewayConfig | None:
    """The ``[sms_gateway]`` table (``url``, ``body``, ``fields``, ``headers``, ``sender``, ``method``,
    ``timeout_s``) as the SMS channel's configuration; None when absent."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise SettingsError("sms_gateway must be a table")
    from nadhir.delivery.channels.sms import SmsGatewayConfig

    unknown = set(raw) - {"url", "body", "fields", "headers", "sender", "method", "timeout_s"}
    if unknown:
        raise SettingsError(f"sms_gateway: unknown keys {', '.join(sorted(unknown))}")
    if not isinstance(raw.get("url"), str):
        raise SettingsError("sms_gateway needs a url")
    kwargs: dict[str, Any] = {"url": raw["url"]}
    for name in ("fields", "headers"):
        if name in raw:
            kwargs[name] = _str_table(raw[name], f"sms_gateway.{name}")
    for name in ("body", "sender", "method"):
        if name in raw:
            kwargs[name] = str(raw[name])
    if "timeout_s" in raw:
        kwargs["timeout_s"] = float(raw["timeout_s"])
    try:
        return SmsGatewayConfig(**kwargs)
    except ValueError as exc:
        raise SettingsError(f"sms_gateway: {exc}") from exc


def _partners(raw: object) -> tuple[PartnerSpec, ...]:
    if not isinstance(raw, list):
        raise SettingsError("partners must be an array of tables")
    out = []
    for i, row in enumerate(raw):
        if not isinstance(row, dict) or not all(
            isinstance(row.get(k), str) for k in ("name", "url", "secret")
        ):
            raise SettingsError(f"partners[{i}] needs name, url and secret strings")
        out.append(PartnerSpec(row["name"], row["url"], row["secret"]))
    names = [p.name for p in out]
    if len(set(names)) != len(names):
        raise SettingsError("partners: each name must be used once")
    return tuple(out)


def partners_from_env(value: str) -> tuple[PartnerSpec, ...]:
    """``name:secret:url,name:secret:url`` -> partner specs."""
    items = _env_items(value, "NADHIR_PARTNERS", "name:secret:url")
    return tuple(PartnerSpec(name, url, secret) for name, secret, url in items)


def _env_items(value: str, variable: str, shape: str) -> Iterator[tuple[str, str, str]]:
    """The ``a:b:c`` items of a comma-separated variable, one at a time (so that an item's own
    error comes before a later item's); blank items are skipped and the last part keeps its ``:``
    (a URL, a token)."""
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        parts = item.split(":", 2)
        if len(parts) != 3:
            raise SettingsError(f"{variable} items are {shape}")
        yield parts[0], parts[1], parts[2]


def _str_table(value: object, name: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise SettingsError(f"{name} must be a table of strings")
    return {str(k): v for k, v in value.items()}


def _path(value: object, base: Path | None) -> Path | None:
    if value is None:
        return None
    path = Path(str(value)).expanduser()
    return base / path if base is not None and not path.is_absolute() else path


def tokens_from_env(value: str) -> tuple[TokenSpec, ...]:
    """``role:subject:token,role:subject:token`` -> token specs."""
    items = _env_items(value, "NADHIR_TOKENS", "role:subject:token")
    return tuple(token_spec(role, subject, token) for role, subject, token in items)


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``path`` (or ``NADHIR_SETTINGS``), then the environment on top."""
    env = os.environ if environ is None else environ
    if path is None and env.get("NADHIR_SETTINGS"):
        path = Path(env["NADHIR_SETTINGS"])
    settings = Settings()
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"{path}: {exc.strerror or exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML ({exc})") from exc
        settings = settings_from_mapping(data, base=path.parent)
    if env.get("NADHIR_DB"):
        settings = replace(settings, db=env["NADHIR_DB"])
    if env.get("NADHIR_NATS"):
        settings = replace(settings, nats=env["NADHIR_NATS"])
    if env.get("NADHIR_SCENARIO"):
        settings = replace(settings, scenario=Path(env["NADHIR_SCENARIO"]))
    if env.get("NADHIR_CORS_ORIGINS"):
        origins = tuple(o.strip() for o in env["NADHIR_CORS_ORIGINS"].split(",") if o.strip())
        settings = replace(settings, cors_origins=origins)
    if env.get("NADHIR_TOKENS"):
        settings = settings.with_tokens(*tokens_from_env(env["NADHIR_TOKENS"]))
    return _delivery_from_env(settings, env)


def _delivery_from_env(settings: Settings, env: Mapping[str, str]) -> Settings:
    """Alert-delivery settings from the environment (secrets are better kept out of files)."""
    if env.get("NADHIR_SIRENS"):
        settings = replace(settings, sirens_broker=env["NADHIR_SIRENS"])
    if env.get("NADHIR_TELEGRAM_TOKEN"):
        settings = replace(settings, telegram_token=env["NADHIR_TELEGRAM_TOKEN"])
    if env.get("NADHIR_TELEGRAM_CHANNELS"):
        chats = tuple(c.strip() for c in env["NADHIR_TELEGRAM_CHANNELS"].split(",") if c.strip())
        settings = replace(settings, telegram_channels=chats)
    if env.get("NADHIR_SMS_GATEWAY_URL") or env.get("NADHIR_SMS_GATEWAY_AUTH"):
        base = settings.sms_gateway
        url = env.get("NADHIR_SMS_GATEWAY_URL") or (base.url if base is not None else None)
        if url is None:
            raise SettingsError("NADHIR_SMS_GATEWAY_AUTH needs a gateway url (NADHIR_SMS_GATEWAY_URL)")
        try:
            gateway = replace(base, url=url) if base is not None else sms_gateway_config({"url": url})
        except ValueError as exc:
            raise SettingsError(f"NADHIR_SMS_GATEWAY_URL: {exc}") from exc
        assert gateway is not None
        if env.get("NADHIR_SMS_GATEWAY_AUTH"):
            gateway = replace(
                gateway, headers={**gateway.headers, "Authorization": env["NADHIR_SMS_GATEWAY_AUTH"]}
            )
        settings = replace(settings, sms_gateway=gateway)
    if env.get("NADHIR_PARTNERS"):
        settings = replace(
            settings, partners=(*settings.partners, *partners_from_env(env["NADHIR_PARTNERS"]))
        )
    if settings.telegram_channels and not settings.telegram_token:
        raise SettingsError("telegram_channels need a bot: set telegram_token (or NADHIR_TELEGRAM_TOKEN)")
    return settings

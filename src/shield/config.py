"""Settings of every Shield service, read from `SHIELD_*` environment variables.

Each service has one settings class built from small mixins, one per concern, so that a variable
means the same thing in every service that reads it. Validators refuse combinations that would be
unsafe (a network-reachable API without a token) with messages that name the variable to fix.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import MutableMapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shield.allowlist import parse_allowlist
from shield.fields import COLLECTION_NAME_PATTERN
from shield.logging import register_settings_secrets

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "password", "token", "test"}
MIN_TOKEN_LENGTH = 16


def is_loopback(host: str) -> bool:
    """Whether a listen address is reachable only from this machine."""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secret_value(secret: SecretStr | None) -> str | None:
    """The plain value of an optional secret, for the one place that sends it."""
    return secret.get_secret_value() if secret is not None else None


def check_token(name: str, token: SecretStr | None, sent_to: str | None = None) -> None:
    """Refuse tokens that are too short or known placeholders. `sent_to`: the service a client
    sends the token to; a client is told to use the token it was given, never to make one up."""
    if token is None:
        return
    value = token.get_secret_value()
    if (value.lower() in PLACEHOLDER_SECRETS or len(value) < MIN_TOKEN_LENGTH) and sent_to:
        raise ValueError(
            f"{name} is not a token {sent_to} accepts (its tokens are random strings of at least "
            f"{MIN_TOKEN_LENGTH} characters); set it to the token you were given: {sent_to}'s "
            "own, or a named token from 'shield tokens create' (a deployment by `make up` keeps "
            "its token in inventories/local/.secrets/api-token)"
        )
    if value.lower() in PLACEHOLDER_SECRETS or len(value) < MIN_TOKEN_LENGTH:
        raise ValueError(
            f"{name} must be a random string of at least {MIN_TOKEN_LENGTH} characters "
            "(generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )


def strong_token(name: str, sent_to: str | None = None) -> AfterValidator:
    """A token field's check (`check_token`), for the variable `name`."""

    def check(token: SecretStr | None) -> SecretStr | None:
        check_token(name, token, sent_to)
        return token

    return AfterValidator(check)


# A host, and nothing a page could be tricked by (the console links to some of them).
_HTTP_URL = re.compile(r"^https?://[^/\s\"'<>][^\s\"'<>]*$")


def http_url(example: str, empty: str | None = None) -> AfterValidator:
    """A URL field's check: http(s), its trailing slash dropped; `empty` says what an empty
    value means, where one is allowed."""

    def check(value: str) -> str:
        if not value and empty is not None:
            return value
        if not _HTTP_URL.match(value):
            allowed = f"empty ({empty}) or " if empty is not None else ""
            raise ValueError(f"must be {allowed}an http(s):// URL, e.g. {example}")
        return value.rstrip("/")

    return AfterValidator(check)


def token_when_reachable(missing: bool, host: str, variable: str, service: str) -> None:
    """A service listening where other machines reach it must demand a token."""
    if missing and not is_loopback(host):
        raise ValueError(
            f"{variable} must be set when {service} listens on {host!r}, an address other "
            "machines can reach"
        )


def read_secret_files(environ: MutableMapping[str, str]) -> None:
    """`SHIELD_X_FILE` names a file that holds `SHIELD_X` (a container's secret, mounted under
    /run/secrets): its content, without the final newline, becomes `SHIELD_X` unless that is set
    already. ValueError naming the variable when the file cannot be read."""
    for name, path in list(environ.items()):
        if not (name.startswith("SHIELD_") and name.endswith("_FILE")):
            continue
        target = name.removesuffix("_FILE")
        if environ.get(target):
            continue
        try:
            environ[target] = Path(path).read_text().rstrip("\r\n")
        except OSError as exc:
            raise ValueError(f"{name}: cannot read {path}: {exc.strerror}") from None


# Every settings class, mixins included, carries the same config: with multiple inheritance the
# last base's config wins, and a mixin without it would silently drop the SHIELD_ prefix.
# An empty variable means "not set" (rendered env files carry every key): without this, an empty
# SHIELD_INBOX_DIR would be the path "." and open the working directory to ingests.
_CONFIG = SettingsConfigDict(
    env_prefix="SHIELD_", extra="ignore", validate_default=True, frozen=True, env_ignore_empty=True
)


class ServiceSettings(BaseSettings):
    """What the settings of every Shield service share: logging and circuit breakers."""

    model_config = _CONFIG

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    breaker_failures: int = Field(
        default=5, ge=1, le=1000, description="Failed calls in a row that open a circuit breaker."
    )
    breaker_recovery_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="Seconds an open circuit breaker waits before it lets one call through.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    def model_post_init(self, context: Any, /) -> None:
        # Settings know their secrets: each is masked in every log line from here on.
        register_settings_secrets(self)


class RedisMixin(BaseSettings):
    model_config = _CONFIG

    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="Redis holding the job queue and job states (redis:// or rediss://).",
    )
    redis_timeout: float = Field(default=5.0, gt=0, description="Seconds per Redis command.")

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if not re.match(r"^rediss?://", value):
            raise ValueError("must start with redis:// or rediss://, e.g. redis://127.0.0.1:6379/0")
        return value


class EmbeddingMixin(BaseSettings):
    model_config = _CONFIG

    embedding_provider: Literal["local", "ollama", "openai"] = "local"
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="Model name; for `local` only the bundled all-MiniLM-L6-v2 is available.",
    )
    embedding_url: str = Field(default="", description="Base URL of an Ollama or OpenAI API.")
    embedding_api_key: SecretStr | None = None
    embedding_timeout: float = Field(default=30.0, gt=0)
    embedding_batch_size: int = Field(default=32, ge=1, le=2048)
    embedding_threads: int = Field(
        default=0,
        ge=0,
        le=1024,
        description=(
            "CPU threads the local model uses in this process; 0: every CPU. Workers sharing a "
            "host should split its CPUs between them, or they slow each other down."
        ),
    )
    embedding_cache_size: int = Field(
        default=10_000, ge=0, description="Vectors kept in memory per process; 0 turns it off."
    )

    @model_validator(mode="after")
    def _remote_needs_url(self) -> EmbeddingMixin:
        if self.embedding_provider != "local" and not self.embedding_url:
            raise ValueError(
                f"SHIELD_EMBEDDING_URL is required when SHIELD_EMBEDDING_PROVIDER="
                f"{self.embedding_provider} (e.g. http://127.0.0.1:11434 for Ollama)"
            )
        if self.embedding_provider == "local" and self.embedding_model != "all-MiniLM-L6-v2":
            raise ValueError(
                "the local provider only has the bundled all-MiniLM-L6-v2 model; "
                "set SHIELD_EMBEDDING_MODEL=all-MiniLM-L6-v2 or choose ollama/openai"
            )
        return self


class JobMixin(BaseSettings):
    model_config = _CONFIG

    queue_name: str = Field(default="shield-ingest", pattern=r"^[A-Za-z0-9_.-]+$")
    job_timeout: int = Field(default=3600, ge=10, description="Seconds a job may run at most.")
    job_retries: int = Field(default=2, ge=0, le=10, description="Retries after a crash.")
    job_heartbeat_seconds: int = Field(
        default=30, ge=3, description="A running job not heard of for this long is abandoned."
    )
    job_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60, description="Job states kept.")
    interactive_max_bytes: int = Field(
        default=1024 * 1024,
        ge=0,
        description=(
            "One inline text or uploaded file of at most this size is interactive work, which "
            "workers take before bulk work (crawls, URLs, folders, larger files); 0: none."
        ),
    )


class DocumentLimitsMixin(BaseSettings):
    """What a file may be: shield-api checks uploads, workers check URLs and inbox files."""

    model_config = _CONFIG

    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1024, description="Largest file accepted (upload, URL, inbox)."
    )
    max_expanded_bytes: int = Field(
        default=512 * 1024 * 1024,
        ge=1024,
        description="Largest total an Office file (a ZIP archive) may expand to.",
    )
    max_compression_ratio: int = Field(
        default=200, ge=10, description="Highest compression ratio of a part of an Office file."
    )


class ApiClientMixin(BaseSettings):
    """How a service reaches shield-api (the worker, shield-mcp)."""

    model_config = _CONFIG

    api_url: Annotated[str, http_url("http://127.0.0.1:8080")] = Field(
        default="http://127.0.0.1:8080", description="Where shield-api is."
    )
    api_token: Annotated[SecretStr | None, strong_token("SHIELD_API_TOKEN", "shield-api")] = Field(
        default=None, description="The token shield-api demands."
    )
    api_timeout: float = Field(default=60.0, gt=0, description="Seconds per call to shield-api.")
    api_breaker_failures: int = Field(
        default=5, ge=1, le=1000, description="Failed calls in a row that open the breaker."
    )
    api_breaker_recovery_seconds: float = Field(
        default=60.0, gt=0, le=3600, description="Seconds an open breaker waits to try again."
    )


class LightragClientMixin(BaseSettings):
    """How shield-api and the workers reach shield-lightrag (the knowledge graph)."""

    model_config = _CONFIG

    lightrag_url: Annotated[str, http_url("http://127.0.0.1:8090", "no knowledge graph")] = Field(
        default="", description="Where shield-lightrag is; empty: no knowledge graph."
    )
    lightrag_token: SecretStr | None = Field(
        default=None, description="The token shield-lightrag demands."
    )
    lightrag_timeout: float = Field(default=60.0, gt=0, description="Seconds per graph call.")


class ApiSettings(
    ServiceSettings, RedisMixin, EmbeddingMixin, JobMixin, DocumentLimitsMixin, LightragClientMixin
):
    """shield-api: the orchestrator and the single owner of the vector store."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    api_token: Annotated[SecretStr | None, strong_token("SHIELD_API_TOKEN")] = Field(
        default=None, description="Bearer token clients send."
    )
    data_dir: Path = Field(default=Path("/var/lib/shield"))
    qdrant_url: Annotated[str, http_url("http://qdrant.internal:6333", "embedded store")] = Field(
        default="", description="Qdrant server URL; empty: embedded store."
    )
    qdrant_api_key: SecretStr | None = None
    qdrant_timeout: float = Field(default=10.0, gt=0)
    default_collection: str = Field(default="shield", pattern=COLLECTION_NAME_PATTERN)
    inbox_dir: Path | None = Field(
        default=None,
        description=(
            "The workers' inbox as shield-api sees it (the same host, or a shared mount); set, "
            "a path ingest naming nothing there is refused at once instead of failing later."
        ),
    )
    grafana_url: Annotated[str, http_url("https://grafana.example.org", "no link")] = Field(
        default="", description="Grafana's address, for the console to link to; empty: no link."
    )
    search_hnsw_ef: int = Field(
        default=256, ge=8, le=4096, description="HNSW search breadth: recall against latency."
    )
    index_min_points: int = Field(
        default=10_000, ge=1, description="Unindexed points that make the embedded store index."
    )
    index_idle_seconds: float = Field(
        default=10.0, ge=0, description="Quiet time (no writes) before the embedded store indexes."
    )
    graph_batch_size: int = Field(
        default=32, ge=1, le=256, description="Documents the graph feeder sends in one batch."
    )
    graph_idle_seconds: float = Field(
        default=2.0,
        ge=0,
        description="Quiet time (no document written) before the graph feeder sends a batch.",
    )
    graph_max_wait_seconds: float = Field(
        default=300.0,
        ge=0,
        description="A document waiting this long for the graph is sent even during ingestion.",
    )
    graph_max_attempts: int = Field(
        default=5, ge=1, description="Times the graph may fail a document before it stays failed."
    )
    graph_retry_seconds: float = Field(
        default=30.0, gt=0, description="Wait before the first retry; it doubles each time."
    )
    lightrag_insert_timeout: float = Field(
        default=900.0, gt=0, description="Seconds the graph may take to take in one batch."
    )
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    internal_max_body_bytes: int = Field(default=256 * 1024 * 1024, ge=1024)
    max_restore_bytes: int = Field(
        default=64 * 1024**3, ge=1024, description="Largest backup archive POST /restore takes."
    )
    max_text_chars: int = Field(default=5_000_000, ge=1, description="Inline document limit.")
    max_store_chars: int = Field(default=65_536, ge=1, description="qdrant_store text limit.")

    @model_validator(mode="after")
    def _token_when_reachable(self) -> ApiSettings:
        token_when_reachable(self.api_token is None, self.host, "SHIELD_API_TOKEN", "shield-api")
        return self


class WorkerSettings(
    ServiceSettings,
    RedisMixin,
    EmbeddingMixin,
    JobMixin,
    ApiClientMixin,
    DocumentLimitsMixin,
):
    """shield-worker: runs ingest jobs and sends embedded chunks to shield-api (which hands
    them on to the knowledge graph: a worker never talks to it)."""

    chunk_tokens: int = Field(default=200, ge=16, le=512, description="Tokens per chunk, at most.")
    chunk_overlap: int = Field(default=30, ge=0, le=256)
    inbox_dir: Path | None = Field(
        default=None, description="Folder whose files `path` ingests may read; unset: none."
    )
    inbox_max_files: int = Field(default=1000, ge=1, description="Files one folder ingest reads.")
    source_max_remove_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description=(
            "The largest share of a source's documents one sync may remove: a sync that would "
            "remove more (a site half gone, most likely broken) removes nothing and fails."
        ),
    )
    git_credentials_path: Path | None = Field(
        default=None,
        description=(
            "A git-credentials file (a line `https://USER:TOKEN@HOST` each) for Git sources "
            "that need them, readable by the worker only; git reads it itself, so its tokens "
            "never reach a source's record, a log or the environment."
        ),
    )
    git_timeout: float = Field(
        default=600.0, gt=0, le=86_400, description="Seconds one fetch of a Git source may take."
    )
    convert_timeout: float = Field(default=300.0, gt=0, description="Seconds per conversion.")
    dependency_patience_seconds: float = Field(
        default=900.0,
        ge=0,
        le=86_400,
        description=(
            "Seconds a job waits for shield-api or the embedding server while they are "
            "unavailable, before that attempt fails; several times a breaker's recovery window."
        ),
    )
    worker_lane: Literal["all", "interactive"] = Field(
        default="all",
        description=(
            "The work this worker takes: all (interactive first, then bulk), or interactive "
            "only, so that small uploads never wait behind a long crawl or a large file."
        ),
    )
    max_document_pages: int = Field(default=2000, ge=1, description="Pages per document, at most.")
    max_document_chunks: int = Field(
        default=5000,
        ge=1,
        description="Passages one document may have (about 2 minutes of embedding on 2 CPUs).",
    )
    max_document_seconds: float = Field(
        default=600.0,
        gt=0,
        description="Seconds one document may take to convert, chunk and embed, waits excluded.",
    )
    docling_artifacts_path: Path | None = Field(
        default=None,
        description="Folder of Docling's models; set, PDFs get layout analysis; unset, native.",
    )
    ocr_languages: str = Field(
        default="eng",
        pattern=r"^([a-z]{3}(_[a-z]+)?(\+[a-z]{3}(_[a-z]+)?)*)?$",
        description=(
            "Tesseract's languages for pages without text (scans, photos), e.g. eng+deu; "
            "each needs its package (tesseract-ocr-deu). Empty: no OCR."
        ),
    )
    ocr_page_seconds: float = Field(
        default=60.0, gt=0, le=3600, description="Seconds OCR may take to read one page."
    )
    crawl_allowlist: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Hosts or CIDRs that fetches may reach although private (comma-separated).",
    )
    fetch_timeout: float = Field(default=30.0, gt=0, description="Seconds per fetched URL.")
    data_dir: Path = Field(
        default=Path("/var/lib/shield"), description="Where the worker keeps Crawl4AI's state."
    )
    crawl_concurrency: int = Field(default=8, ge=1, le=64, description="Pages fetched at once.")
    crawl_per_host_concurrency: int = Field(default=4, ge=1, le=64)
    crawl_per_host_delay: float = Field(
        default=0.0, ge=0, le=60, description="Seconds between two requests to one host."
    )
    crawl_page_timeout: float = Field(default=20.0, gt=0, description="Seconds per page.")
    crawl_max_page_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    crawl_respect_robots: bool = Field(default=True, description="Obey robots.txt.")
    crawl_use_sitemaps: bool = Field(default=True, description="Seed crawls from sitemaps.")
    crawl_engine: Literal["http", "browser"] = Field(
        default="http", description="How pages are read unless a crawl asks otherwise."
    )
    crawl_browser_path: str = Field(
        default="chromium", description="The Chromium executable of the browser engine."
    )

    @field_validator("crawl_allowlist", mode="before")
    @classmethod
    def _split_allowlist(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part for part in re.split(r"[,\s]+", value) if part)
        return value

    @field_validator("crawl_allowlist")
    @classmethod
    def _valid_allowlist(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        parse_allowlist(value)  # raises ValueError naming the bad entry
        return value

    @field_validator("inbox_dir", "docling_artifacts_path")
    @classmethod
    def _existing_folder(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a folder")
        return value

    @model_validator(mode="after")
    def _sane_chunks(self) -> WorkerSettings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("SHIELD_CHUNK_OVERLAP must be smaller than SHIELD_CHUNK_TOKENS")
        if self.dependency_patience_seconds >= self.job_timeout:
            raise ValueError(
                "SHIELD_DEPENDENCY_PATIENCE_SECONDS must be shorter than SHIELD_JOB_TIMEOUT, or "
                "a job waiting for a dependency would be stopped by its timeout"
            )
        return self


class McpSettings(ServiceSettings, ApiClientMixin):
    """shield-mcp: the MCP server. It holds no state; everything goes through shield-api."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    mcp_token: Annotated[SecretStr | None, strong_token("SHIELD_MCP_TOKEN")] = Field(
        default=None, description="Bearer token MCP clients send."
    )
    mcp_jwt_jwks_uri: str | None = Field(
        default=None,
        description="JWKS URL of an identity provider: clients may send its JWTs as bearer tokens.",
    )
    mcp_jwt_public_key: str | None = Field(
        default=None, description="Or the PEM public key the JWTs are signed with."
    )
    mcp_jwt_issuer: str | None = Field(default=None, description="The `iss` JWTs must carry.")
    mcp_jwt_audience: str | None = Field(default=None, description="The `aud` JWTs must carry.")
    mcp_jwt_algorithm: str = Field(default="RS256", description="The JWTs' signing algorithm.")
    mcp_jwt_scopes_claim: str = Field(
        default="scope",
        min_length=1,
        description="The JWT claim whose `shield:`-prefixed values are the caller's scopes "
        "(`shield:read:ops`); a space-separated string or a list.",
    )
    mcp_public_url: str | None = Field(
        default=None,
        description="The URL clients reach shield-mcp at (https://mcp.example.org); with an "
        "identity provider, its OAuth protected resource metadata (RFC 9728) names it.",
    )
    api_timeout: float = Field(default=30.0, gt=0, description="Seconds per call to shield-api.")
    read_only: bool = Field(default=False, description="Register no tool that writes.")
    mcp_wait_seconds: float = Field(
        default=600.0,
        gt=0,
        le=3600,
        description="Longest a tool called with `wait: true` follows its job before answering.",
    )
    mcp_task_seconds: float = Field(
        default=86_400.0,
        gt=0,
        le=7 * 86_400,
        description="Longest an MCP task follows its job; it then ends with the job as it stands.",
    )
    mcp_task_concurrency: int = Field(
        default=16,
        ge=1,
        le=1000,
        description="MCP tasks following their jobs at once; more wait for one to end.",
    )
    max_concurrent_calls: int = Field(
        default=32, ge=1, le=10_000, description="Tool calls served at once; more are refused."
    )

    @field_validator("mcp_jwt_jwks_uri")
    @classmethod
    def _jwks_is_a_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"https?://[^/\s]+", value):
            raise ValueError(
                f"SHIELD_MCP_JWT_JWKS_URI must be the http(s) URL of the provider's JWKS, "
                f"not {value!r}"
            )
        return value

    @property
    def jwt_configured(self) -> bool:
        return bool(self.mcp_jwt_jwks_uri or self.mcp_jwt_public_key)

    @model_validator(mode="after")
    def _resource_metadata(self) -> McpSettings:
        if self.mcp_public_url is None:
            return self
        if not re.match(r"https?://[^/\s]+", self.mcp_public_url):
            raise ValueError(
                "SHIELD_MCP_PUBLIC_URL must be an http(s) URL, e.g. https://mcp.example.org"
            )
        if not self.jwt_configured or not re.match(r"https?://", self.mcp_jwt_issuer or ""):
            raise ValueError(
                "SHIELD_MCP_PUBLIC_URL announces an identity provider to clients: set "
                "SHIELD_MCP_JWT_ISSUER to its URL and SHIELD_MCP_JWT_JWKS_URI or "
                "SHIELD_MCP_JWT_PUBLIC_KEY too"
            )
        return self

    @model_validator(mode="after")
    def _token_when_reachable(self) -> McpSettings:
        missing = self.mcp_token is None and not self.jwt_configured
        token_when_reachable(
            missing, self.host, "SHIELD_MCP_TOKEN (or SHIELD_MCP_JWT_*)", "shield-mcp"
        )
        return self

    @model_validator(mode="after")
    def _complete_jwt(self) -> McpSettings:
        if self.mcp_jwt_jwks_uri and self.mcp_jwt_public_key:
            raise ValueError("give SHIELD_MCP_JWT_JWKS_URI or SHIELD_MCP_JWT_PUBLIC_KEY, not both")
        if self.jwt_configured and not (self.mcp_jwt_issuer and self.mcp_jwt_audience):
            raise ValueError(
                "SHIELD_MCP_JWT_ISSUER and SHIELD_MCP_JWT_AUDIENCE are required with JWTs: "
                "without them any token the provider ever signed would do"
            )
        if self.mcp_jwt_public_key and not self.mcp_jwt_algorithm.upper().startswith("HS"):
            _check_pem_public_key(self.mcp_jwt_public_key)
        return self


def _check_pem_public_key(pem: str) -> None:
    """A key that does not load would make every JWT fail, silently, at each request."""
    # Imported here: only shield-mcp's install (the `mcp` extra) has cryptography.
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise ValueError(
            "SHIELD_MCP_JWT_PUBLIC_KEY is not a PEM public key (the text from "
            "'-----BEGIN PUBLIC KEY-----' to '-----END PUBLIC KEY-----', newlines kept): "
            f"{str(exc).splitlines()[0]}"
        ) from None


class LightragSettings(ServiceSettings, EmbeddingMixin):
    """shield-lightrag: the knowledge graph (LightRAG); it alone owns the graph's state."""

    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=1, le=65535)
    lightrag_token: Annotated[SecretStr | None, strong_token("SHIELD_LIGHTRAG_TOKEN")] = Field(
        default=None, description="Bearer token shield-api sends."
    )
    data_dir: Path = Field(
        default=Path("/var/lib/shield"), description="The graph lives in <data dir>/lightrag."
    )
    llm_provider: Literal["none", "ollama", "openai"] = Field(
        default="none", description="none: offline extraction; or an Ollama/OpenAI chat API."
    )
    llm_url: Annotated[str, http_url("http://127.0.0.1:11434", "no LLM")] = Field(
        default="", description="Base URL of the Ollama or OpenAI-style API."
    )
    llm_model: str = Field(default="", description="The chat model's name.")
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=120.0, gt=0, description="Seconds per LLM request.")
    llm_retries: int = Field(default=2, ge=0, le=10, description="Retries of transient errors.")
    llm_max_concurrency: int = Field(
        default=4, ge=1, le=64, description="LLM requests the graph makes at once, at most."
    )

    @model_validator(mode="after")
    def _llm_complete(self) -> LightragSettings:
        if self.llm_provider != "none" and not (self.llm_url and self.llm_model):
            raise ValueError(
                f"SHIELD_LLM_URL and SHIELD_LLM_MODEL are required when SHIELD_LLM_PROVIDER="
                f"{self.llm_provider} (e.g. http://127.0.0.1:11434 and qwen2.5:7b for Ollama)"
            )
        return self

    @model_validator(mode="after")
    def _token_when_reachable(self) -> LightragSettings:
        missing = self.lightrag_token is None
        token_when_reachable(missing, self.host, "SHIELD_LIGHTRAG_TOKEN", "shield-lightrag")
        return self


class ClientSettings(ApiClientMixin):
    """The `shield` commands that call a running shield-api (`shield eval`): where it is
    (SHIELD_API_URL) and the token it demands (SHIELD_API_TOKEN)."""

    def model_post_init(self, context: Any, /) -> None:
        register_settings_secrets(self)


SERVICE_SETTINGS: dict[str, type[BaseSettings]] = {
    "api": ApiSettings,
    "worker": WorkerSettings,
    "mcp": McpSettings,
    "lightrag": LightragSettings,
}


ENV_PREFIX = "SHIELD_"


def friendly_errors(error: ValidationError) -> list[str]:
    """One line per problem, naming the environment variable to fix."""
    lines = []
    for item in error.errors():
        loc = [str(p) for p in item.get("loc", ())]
        name = f"{ENV_PREFIX}{loc[0].upper()}" if loc else "configuration"
        message = str(item.get("msg", "")).removeprefix("Value error, ")
        given = item.get("input")
        shown = "" if not loc or "token" in name.lower() or "key" in name.lower() else given
        suffix = (
            f" (got {shown!r})" if shown not in ("", None) and not isinstance(shown, dict) else ""
        )
        lines.append(f"{name}: {message}{suffix}" if loc else message)
    return lines

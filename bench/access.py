"""What checking a token costs per request (goal: <= 0.1 ms), measured in this run beside the
check it replaced (one constant-time comparison with the one API token):

- in process: the bearer found among 1,000 named tokens kept in a real Redis (hash, lookup,
  expiry; the table reloaded when it changed, looked at every 0.5 s), then the scope check;
- end to end: `GET /whoami` of a shield-api process, with SHIELD_API_TOKEN and with a named
  token, p50 over the same number of calls.

    python -m bench.access [--calls 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from pydantic import SecretStr

from bench.common import TOKEN, median, percentile, save
from shield.access.authenticator import Authenticator
from shield.access.scopes import Access
from shield.access.tokens import TokenStore, TokenTable
from shield.web.tokens import token_matches
from support.processes import RedisServer
from support.services import ApiProcess, process_env

NAMED_TOKENS = 1000


def per_call_us(check: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        check()
    return (time.perf_counter() - start) / calls * 1e6


def http_p50_ms(url: str, token: str, calls: int) -> float:
    samples = []
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(calls):
            start = time.perf_counter()
            client.get(f"{url}/whoami").raise_for_status()
            samples.append((time.perf_counter() - start) * 1000)
    return percentile(samples, 50)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--http-calls", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        redis = RedisServer(root)
        try:
            store = TokenStore(redis.client())
            secrets = [
                store.create(f"bot-{i}", frozenset({f"read:c{i}"}), None)[1]
                for i in range(NAMED_TOKENS)
            ]
            named = secrets[NAMED_TOKENS // 2]
            authenticator = Authenticator(SecretStr(TOKEN), TokenTable(store))
            service = SecretStr(TOKEN)
            rounds: dict[str, list[float]] = {"before": [], "service": [], "named": []}
            for _ in range(args.rounds):
                rounds["before"].append(
                    per_call_us(lambda: token_matches(TOKEN, service), args.calls)
                )
                rounds["service"].append(
                    per_call_us(lambda: authenticator.principal(TOKEN), args.calls)
                )
                rounds["named"].append(
                    per_call_us(
                        lambda: authenticator.principal(named).may(Access.READ, "c500"),
                        args.calls,
                    )
                )
            env = process_env(redis.url, root / "data", SHIELD_API_TOKEN=TOKEN)
            api = ApiProcess(env, root / "api.log")
            try:
                http: dict[str, list[float]] = {"service": [], "named": []}
                for _ in range(args.rounds):
                    http["service"].append(http_p50_ms(api.url, TOKEN, args.http_calls))
                    http["named"].append(http_p50_ms(api.url, named, args.http_calls))
            finally:
                api.stop()
        finally:
            redis.stop()
    check = {name: median(values) for name, values in rounds.items()}
    web = {name: median(values) for name, values in http.items()}
    ratio = web["named"] / web["service"]
    figures = {"check_us": check, "whoami_p50_ms": web, "whoami_ratio": ratio}
    save("access", {"named_tokens": NAMED_TOKENS, **figures})
    print(f"token check per request, median of {args.rounds} rounds ({NAMED_TOKENS} named tokens)")
    print(f"  one API token (before):        {check['before']:7.2f} us")
    print(f"  SHIELD_API_TOKEN (now):        {check['service']:7.2f} us")
    print(f"  named token + scope (now):     {check['named']:7.2f} us   goal <= 100 us")
    print(
        f"GET /whoami p50: service {web['service']:.2f} ms, named {web['named']:.2f} ms, "
        f"ratio {ratio:.2f}"
    )


if __name__ == "__main__":
    main()

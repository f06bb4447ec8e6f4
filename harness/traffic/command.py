"""The Locust command line and environment of the traffic process: every setting explicit, no
LOCUST_* variables, no locust.conf or pyproject.toml picked up (pitfall 29). This module does not
import locust."""

from __future__ import annotations

import ipaddress
import math
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from harness.traffic.config import CONFIG_ENV, TrafficConfig

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def locust_argv(config: TrafficConfig, web_port: int | None = None) -> list[str]:
    """Locust's command line: every setting explicit; reports named as pitfall 11 says.

    With `steps` the load shape sets the users (no --users: Locust would ignore it and warn).
    With `web_port` Locust serves its own web UI on 127.0.0.1:PORT instead of running headless;
    the people at the UI start and stop the diners.
    """
    prefix = str(config.locust_prefix)
    mode = (
        ["--headless"]
        if web_port is None
        else ["--web-host", "127.0.0.1", "--web-port", str(web_port)]
    )
    users = (
        ["--users", str(config.diners), "--spawn-rate", f"{config.spawn_rate:g}"]
        if config.steps is None
        else []
    )
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        *mode,
        *users,
        "--host",
        config.service_url,
        # No --run-time: it takes whole seconds; the locustfile stops at run_time_s exactly.
        "--stop-timeout",
        str(math.ceil(config.stop_grace_s)),
        "--only-summary",
        "--csv",
        prefix,
        "--html",
        str(config.html_path),
        "--json-file",
        prefix,  # Locust writes PREFIX.json
        "--exit-code-on-error",
        "0",  # the accounting, not Locust's failure count, decides the exit code
        "--loglevel",
        "INFO",
    ]


def locust_env(config_path: Path, home: Path, config: TrafficConfig) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    env.update(
        {
            CONFIG_ENV: str(config_path.resolve()),
            "HOME": str(home),  # no ~/.locust.conf
            "PYTHONUNBUFFERED": "1",
        }
    )
    hosts = {urlsplit(url).hostname or "" for url in (config.service_url, config.jwks_url)}
    if "GEVENT_RESOLVER" not in env and all(map(needs_no_dns, hosts)):
        env["GEVENT_RESOLVER"] = "block"
    return env


def needs_no_dns(host: str) -> bool:
    """An IP address or localhost: answered at once without asking a name server.

    Why: gevent's default resolver hands every lookup to a thread pool. A thinking diner finds
    its connection closed by the service's keep-alive timeout and opens a new one per order, so
    at 5,000 diners that hand-off took about a fifth of the diners' CPU (py-spy: getaddrinfo and
    the pool's queue). The blocking resolver is safe only where no DNS query can block the loop."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host.lower() == "localhost"
    return True

"""`harness demo` (what `make demo` runs): the seed incident's fail-and-report cycle, by hand.

Starts the mock factory and the reference service on free loopback ports, has a diner order a few
pizzas, arms `fail` chaos, shows the failing order with its report URL, follows that URL, shows
the next pizza arriving, and stops everything, on every exit path.
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
from pathlib import Path
from typing import Any

import httpx

from harness.errors import ExitCode, HarnessError
from harness.procs import ProcessGroup
from harness.runner.stack import FactoryControl, Stack, start_servers

PIZZA = {
    "franchiseId": 1,
    "storeId": 1,
    "items": [{"menuId": 1, "description": "Veggie", "price": 0.0038}],
}


def register(commands: argparse._SubParsersAction, servers: argparse._SubParsersAction) -> None:
    p = commands.add_parser("demo", help="the fail-and-report cycle on a local factory + service")
    p.add_argument("--orders", type=int, default=3, help="healthy orders before chaos (default 3)")
    p.add_argument("--log-dir", default=None, help="keep the servers' logs here")
    p.set_defaults(run=run_demo)


def say(step: str, detail: Any = "") -> None:
    text = detail if isinstance(detail, str) else json.dumps(detail)
    print(f"  {step:<34} {text}", flush=True)


def order(client: httpx.Client, service: str, token: str) -> httpx.Response:
    return client.post(
        f"{service}/api/order", json=PIZZA, headers={"authorization": f"Bearer {token}"}
    )


def cycle(client: httpx.Client, stack: Stack, orders: int) -> None:
    service = stack.service_url
    diner = {
        "name": "Demo Diner",
        "email": f"diner-{secrets.token_hex(3)}@jwt.com",
        "password": "pizza",
    }
    token = client.post(f"{service}/api/auth", json=diner).json()["token"]
    say("diner registered", diner["email"])
    for n in range(1, orders + 1):
        answer = order(client, service, token)
        pizza = answer.json().get("jwt", "")
        say(f"order {n}", f"{answer.status_code} pizza jwt {pizza[:24]}...")
    FactoryControl(stack).arm("fail")
    say("factory chaos armed", "fail (starts now)")
    failed = order(client, service, token)
    say("order during chaos", f"{failed.status_code} {json.dumps(failed.json())}")
    report_url = failed.json().get("followLinkToEndChaos")
    if failed.status_code != 500 or not report_url:
        raise HarnessError(
            "the order during chaos did not fail with a report URL",
            fix="check the service log in the log directory",
        )
    say("calling the report URL", client.get(report_url).json())
    recovered = order(client, service, token)
    say(
        "next order", f"{recovered.status_code} pizza jwt {recovered.json().get('jwt', '')[:24]}..."
    )
    if recovered.status_code != 200:
        raise HarnessError("pizza did not come back after the report")
    say("service metrics", service_counters(client, service))


def service_counters(client: httpx.Client, service: str) -> str:
    """Orders accepted vs pizzas made: the incident's impact is the difference."""
    wanted = ("pizza_orders_total", "pizzas_made_total", "pizza_factory_failures_total")
    lines = client.get(f"{service}/metrics").text.splitlines()
    shown = [line for line in lines if line.startswith(wanted)]
    return "; ".join(shown)


def run_demo(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="harness-demo-") as tmp, ProcessGroup() as group:
        log_dir = Path(args.log_dir).resolve() if args.log_dir else Path(tmp)
        log_dir.mkdir(parents=True, exist_ok=True)
        print("JWT Pizza chaos harness: the seed incident's fail-and-report cycle")
        stack = start_servers(group, log_dir)
        say("factory (mock Headquarters)", stack.factory_url)
        say("pizza service (reference)", stack.service_url)
        with httpx.Client(timeout=10) as client:
            cycle(client, stack, args.orders)
        print("Pizza is back on the menu. Stopping the servers.")
    return ExitCode.OK

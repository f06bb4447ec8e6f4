"""The service's settings and its command line: bad values are refused with the flag and a fix,
before anything starts; a file database keeps its diners and orders across restarts."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from service_support import JWT_SECRET, service_config
from starlette.testclient import TestClient

from harness.cli import build_parser, main
from harness.errors import ConfigError, ExitCode
from harness.service import ServiceConfig, create_app
from harness.service.cli import config_from_args
from harness.service.server import banner

REQUIRED = ["--factory-url", "http://127.0.0.1:8090", "--factory-key", "k" * 32]


def parse(*extra: str) -> ServiceConfig:
    return config_from_args(build_parser().parse_args(["serve", "service", *REQUIRED, *extra]))


def test_defaults_match_the_real_service() -> None:
    config = parse()
    assert (config.host, config.port, config.db) == ("127.0.0.1", 8091, ":memory:")
    assert config.report_field == "followLinkToEndChaos"
    assert config.factory_timeout_s is None and config.factory_transport == "aiohttp"
    assert config.workers == 1 and len(config.jwt_secret) >= 32


def test_every_flag_reaches_the_config(tmp_path: Path) -> None:
    config = parse(
        "--host", "0.0.0.0", "--port", "9000", "--db", str(tmp_path / "pizza.db"),
        "--report-field", "reportUrl", "--factory-timeout", "2.5",
        "--factory-transport", "httpx", "--jwt-secret", JWT_SECRET, "--workers", "3",
        "--log-file", str(tmp_path / "log.jsonl"), "--quiet-logs",
    )  # fmt: skip
    assert config == ServiceConfig(
        factory_url="http://127.0.0.1:8090",
        factory_key="k" * 32,
        host="0.0.0.0",
        port=9000,
        db=str(tmp_path / "pizza.db"),
        report_field="reportUrl",
        factory_timeout_s=2.5,
        factory_transport="httpx",
        jwt_secret=JWT_SECRET,
        workers=3,
        log_file=str(tmp_path / "log.jsonl"),
        quiet_logs=True,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"factory_url": ""}, "--factory-url"),
        ({"factory_url": "127.0.0.1:8090"}, "--factory-url"),
        ({"factory_key": ""}, "--factory-key"),
        ({"factory_timeout_s": 0}, "--factory-timeout"),
        ({"factory_transport": "curl"}, "--factory-transport"),
        ({"report_field": ""}, "--report-field"),
        ({"report_field": "jwt"}, "--report-field"),
        ({"report_field": "report url"}, "--report-field"),
        ({"workers": 0}, "--workers"),
        ({"workers": 2}, "--workers"),  # with the default :memory: database
        ({"db": "/no/such/dir/pizza.db"}, "--db"),
        ({"port": 70000}, "--port"),
        ({"jwt_secret": "short"}, "--jwt-secret"),
    ],
)
def test_bad_settings_name_the_flag_and_a_fix(
    tmp_path: Path, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        service_config(tmp_path, **overrides).validate()
    assert caught.value.field == field and caught.value.fix


def test_several_workers_need_a_file_database(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        service_config(tmp_path, workers=2).validate()
    assert "--db PATH" in (caught.value.fix or "")
    service_config(tmp_path, workers=2, db=str(tmp_path / "pizza.db")).validate()


def test_the_cli_refuses_bad_values_with_exit_code_2(capsys: pytest.CaptureFixture) -> None:
    previous = signal.getsignal(signal.SIGTERM)  # main() installs its own SIGTERM handler
    try:
        code = main(["serve", "service", *REQUIRED, "--workers", "2"])
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert code == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert err.startswith("harness: error: --workers:") and "fix:" in err
    assert "Traceback" not in err


def test_banner_names_the_url_factory_db_and_report_field() -> None:
    text = banner(parse("--port", "9001", "--report-field", "reportUrl"))
    for part in ("http://127.0.0.1:9001", "http://127.0.0.1:8090", ":memory:", "reportUrl"):
        assert part in text


def test_a_file_database_is_seeded_once_and_keeps_diners(tmp_path: Path) -> None:
    db = str(tmp_path / "pizza.db")
    with TestClient(create_app(service_config(tmp_path, db=db))) as first:
        token = first.post(
            "/api/auth", json={"name": "d", "email": "keep@jwt.com", "password": "p"}
        ).json()["token"]
    with TestClient(create_app(service_config(tmp_path, db=db))) as second:
        assert len(second.get("/api/order/menu").json()) == 5  # not seeded twice
        me = second.get("/api/user/me", headers={"authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["email"] == "keep@jwt.com"
        franchises = second.get("/api/franchise").json()["franchises"]
        assert [f["name"] for f in franchises] == ["pizzaPocket"]
    mode = second.app.state.service.store.conn  # type: ignore[attr-defined]
    assert mode.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

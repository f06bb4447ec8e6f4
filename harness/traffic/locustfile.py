"""Locust's entry point for the traffic process: `python -m harness.traffic` runs
`python -m locust -f <this file>` with the config's path in $HARNESS_TRAFFIC_CONFIG.

Imports locust: never import this module from anywhere else.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from harness.errors import ConfigError
from harness.traffic.config import CONFIG_ENV
from harness.traffic.diner import setup, step_shape

if CONFIG_ENV not in os.environ:
    sys.exit(f"traffic: ${CONFIG_ENV} is not set (start traffic with python -m harness.traffic)")
try:
    PizzaDiner = setup(Path(os.environ[CONFIG_ENV]))
except ConfigError as exc:
    sys.exit(f"traffic: {exc}")
StepRamp = step_shape(PizzaDiner.traffic)  # Locust runs a shape class it finds here
if StepRamp is None:
    del StepRamp

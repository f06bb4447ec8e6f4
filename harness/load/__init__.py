"""`harness load SCENARIO`: the load test. Ramps diners by steps until an expectation breaks, once
with a healthy factory and once with each configured degradation, and reports the capacity table
and the breaking point in the run folder.

    config.py   the scenario's `load:` section
    measure.py  per-step figures read from the diners' events file (pure)
    table.py    the capacity table: text, Markdown, JSON
    ramp.py     one configuration: fresh servers, its fault, the stepped diners, always rolled back
    run.py      every configuration, the run folder, the exit code
    web.py      `--web`: Locust's own web UI against one configuration
    cli.py      the `harness load` command

Locust itself only ever runs in the traffic process (`python -m harness.traffic`).
"""

"""Game day: `harness gameday SCENARIO` runs the incident in real time with people responding
through `harness ack`, `harness resolve URL` and `harness abort` (see run.py and commands.py)."""

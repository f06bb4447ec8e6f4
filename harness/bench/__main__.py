"""`python -m harness.bench` (what `make bench` runs)."""

from harness.bench.run import main

raise SystemExit(main())

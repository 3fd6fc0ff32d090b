"""`python -m gcs` is the same as the `gcs` command."""

from gcs.cli import main

raise SystemExit(main())

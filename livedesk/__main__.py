"""``python -m livedesk`` and the ``livedesk`` console script."""

from livedesk.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

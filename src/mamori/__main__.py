"""Allow ``python -m mamori``."""

import sys

from mamori.cli import main

if __name__ == "__main__":  # not when a worker process imports it
    sys.exit(main())

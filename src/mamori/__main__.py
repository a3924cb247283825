"""Allow ``python -m mamori``."""

import sys

from mamori.cli import main

sys.exit(main())

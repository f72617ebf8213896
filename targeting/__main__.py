"""Entry point for `python -m targeting`."""

import sys

from .cli import main

sys.exit(main())

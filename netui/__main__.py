"""`python -m netui`: the `netui` command."""

import sys

from netui.cli import main

sys.exit(main())

"""`python -m kartoteka …` runs the same command line as `kartoteka …`."""

import sys

from kartoteka.cli import main

sys.exit(main())

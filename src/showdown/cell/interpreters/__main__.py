import sys

from .discovery import main

sys.exit(main())

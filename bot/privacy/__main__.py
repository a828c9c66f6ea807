"""`python -m bot.privacy`: text lines on stdin, one JSON object of spans a line out."""

import sys

from bot.privacy.detector import main

if __name__ == "__main__":
    sys.exit(main())

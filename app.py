"""`python app.py`: the web chat over the shipped index (same as `cda serve`)."""
import sys

from assistant.app.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))

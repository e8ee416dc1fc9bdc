#!/usr/bin/env python
import atexit
import gc
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stq02.settings")
    from django.core.management import execute_from_command_line

    # A command runs once and exits. Python's last garbage collection, at exit, walks
    # every object still alive (some 130,000 once Django, NumPy and Arrow are loaded:
    # 0.3 s here) to free memory the system takes back anyway; frozen objects are
    # left out of it. Registered first, so it runs after every other exit handler.
    atexit.register(gc.freeze)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

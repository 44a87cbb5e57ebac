#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.umask(0o077)  # owner-only files (0600, folders 0700), as `jaring` does
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaring.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

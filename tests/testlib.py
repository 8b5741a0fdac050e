"""What the Python end-to-end tests (tests/client, tests/web) share: checks that are said and
fatal when they fail, running the project's tools, a free local port."""

import socket
import subprocess
import sys

CHECKS = []


def check(what, ok, detail=""):
    """One check: said, and fatal when it fails."""
    CHECKS.append(what)
    if not ok:
        sys.exit(f"FAILED: {what}\n  {detail}")
    print(f"ok  {what}")


def run(*cmd, stdin=None):
    """A command's stdout; its stderr shown when it fails."""
    r = subprocess.run([str(c) for c in cmd], input=stdin, capture_output=True, text=True)
    if r.returncode not in (0, 1):  # 1: some input was bad (the pipeline's tools say so)
        sys.exit(f"FAILED: {' '.join(map(str, cmd))}\n{r.stderr}")
    return r.stdout


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port

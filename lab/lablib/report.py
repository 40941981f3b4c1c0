"""The lab's readable report: one line per fact or check, `[PASS]`/`[FAIL]` on checks, and a final
`RESULT <mode> PASS|FAIL` line that run.sh and the tests read."""
import sys
import time


class Report:
    def __init__(self, mode, title):
        self.mode = mode
        self.failed = []
        self.passed = 0
        self.start = time.monotonic()
        print("=== %s: %s ===" % (mode, title), flush=True)

    def info(self, key, text):
        print("  %-12s %s" % (key, text), flush=True)

    def check(self, name, ok, detail):
        print("  [%s] %-8s %s" % ("PASS" if ok else "FAIL", name, detail), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)
        return ok

    def error(self, name, exc):
        """A step that could not run at all counts as a failed check."""
        return self.check(name, False, "%s: %s" % (type(exc).__name__, exc))

    def finish(self):
        took = time.monotonic() - self.start
        status = "PASS" if not self.failed else "FAIL"
        extra = "" if not self.failed else ", failed: " + " ".join(self.failed)
        print("RESULT %s %s (%d/%d checks passed, %.1f s%s)" % (
            self.mode, status, self.passed, self.passed + len(self.failed), took, extra), flush=True)
        sys.stdout.flush()
        return 0 if not self.failed else 1

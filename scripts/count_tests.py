#!/usr/bin/env python3
"""Sums a meson testlog JSON: doctest binaries count their test cases, other tests count as one."""
import json
import re
import sys

DOCTEST = re.compile(r"\[doctest\] test cases:\s*(\d+) \|\s*(\d+) passed \|\s*(\d+) failed")

passed = failed = 0
with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
    for line in log:
        if not line.strip():
            continue
        entry = json.loads(line)
        ok = entry.get("result") in ("OK", "EXPECTEDFAIL")
        match = DOCTEST.search(entry.get("stdout", "") or "")
        if match:
            passed += int(match.group(2))
            failed += int(match.group(3))
            if not ok and int(match.group(3)) == 0:
                failed += 1  # crashed or timed out after the summary
        elif ok:
            passed += 1
        else:
            failed += 1
print(passed, failed)

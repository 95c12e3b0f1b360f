#!/usr/bin/python3
"""Parses an iCalendar file with python3-icalendar and checks it.

usage: check_ics.py FILE MIN_EVENTS [SUMMARY_THAT_MUST_APPEAR ...]
Prints "ok N" (N events) or the problem; exits 0 or 1.
"""
import sys

from icalendar import Calendar


def main():
    path, minimum = sys.argv[1], int(sys.argv[2])
    data = open(path, "rb").read()
    for line in data.split(b"\r\n"):
        if len(line) > 75:
            return "a content line is longer than 75 octets"
    cal = Calendar.from_ical(data)
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    if len(events) < minimum:
        return "expected at least %d events, found %d" % (minimum, len(events))
    summaries = {str(e.get("summary")) for e in events}
    for want in sys.argv[3:]:
        if want not in summaries:
            return "no event titled %r" % want
    for e in events:
        if e.get("dtstart") is None or e.get("uid") is None:
            return "an event lacks DTSTART or UID"
    print("ok %d" % len(events))
    return None


if __name__ == "__main__":
    problem = main()
    if problem:
        print(problem)
        sys.exit(1)

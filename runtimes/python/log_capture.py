"""Tags every line a handler writes with its invocation's request id (standard library only).

The runner attributes each line to the right invocation even when several run at once on
worker threads (protocol/function-logs.ts: "\\x1e<requestId>\\x1f<line>"). sys.stdout and
sys.stderr are wrapped, which covers print() and logging's StreamHandler (created on them).
The current invocation is a contextvar, set on the thread that runs the handler. A line is
written whole once it ends, so partial writes of concurrent invocations never mix (print()
writes its text and its newline separately), and a multi-line write becomes one tagged line per
line. Writes outside an invocation pass through untouched. Loaded by bootstrap.py by path, so it
never shadows a function's own modules.
"""
import contextvars
import sys
import threading

TAG_START = "\x1e"
TAG_END = "\x1f"

_current = contextvars.ContextVar("hotswap_request_log", default=None)


class _RequestLog:
    __slots__ = ("prefix", "out", "err", "ended")

    def __init__(self, request_id):
        self.prefix = TAG_START + request_id + TAG_END
        self.out = ""
        self.err = ""
        self.ended = False


class TaggedStream:
    """A text stream that writes the current invocation's lines whole and tagged."""

    def __init__(self, raw, slot):
        self._raw = raw
        self._slot = slot
        self._lock = threading.Lock()

    def write(self, s):
        log = _current.get()
        if log is None or log.ended or not isinstance(s, str):
            return self._raw.write(s)
        pending = getattr(log, self._slot) + s
        last = pending.rfind("\n")
        if last < 0:
            setattr(log, self._slot, pending)
            return len(s)
        setattr(log, self._slot, pending[last + 1:])
        lines = pending[:last]
        if "\n" in lines:
            lines = lines.replace("\n", "\n" + log.prefix)
        self._put(log.prefix + lines + "\n")
        return len(s)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        self._raw.flush()

    def _put(self, text):
        with self._lock:
            self._raw.write(text)
            self._raw.flush()

    def _end(self, log):
        rest = getattr(log, self._slot)
        if rest:
            setattr(log, self._slot, "")
            self._put(log.prefix + rest + "\n")

    def __getattr__(self, name):
        return getattr(self._raw, name)


def install():
    """Wrap sys.stdout and sys.stderr once, before the handler's module is imported."""
    if not isinstance(sys.stdout, TaggedStream):
        sys.stdout = TaggedStream(sys.stdout, "out")
    if not isinstance(sys.stderr, TaggedStream):
        sys.stderr = TaggedStream(sys.stderr, "err")


def call(request_id, fn, *args):
    """Call fn(*args) with the lines it writes on this thread tagged `request_id`."""
    log = _RequestLog(request_id)
    token = _current.set(log)
    try:
        return fn(*args)
    finally:
        log.ended = True
        _current.reset(token)
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, TaggedStream):
                stream._end(log)

"""HotSwap Python bootstrap (standard library only; Python 3.11+).

Speaks HotSwap's fast channel (runtimes/PROTOCOL.md) when HOTSWAP_CHANNEL_FD,
HOTSWAP_CHANNEL_SOCKET or HOTSWAP_CHANNEL_TCP is set, otherwise the AWS Lambda Runtime API (AWS_LAMBDA_RUNTIME_API).
Runs Lambda-style handlers `handler(event, context)` named `module.sub.func`.
Its stdout/stderr are the function's log; protocol data only ever crosses the channel.
"""
import os
import sys

# The bootstrap's own directory must not shadow the function's modules.
_HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0] or ".") == _HERE:
    del sys.path[0]

import decimal  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402


def _load_log_capture():
    """log_capture.py beside this file, by path: the bootstrap's directory is not on sys.path."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("_hotswap_log_capture", os.path.join(_HERE, "log_capture.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_logs = _load_log_capture()

_PREFIX = struct.Struct(">II")
# Largest frame accepted, prefix included: the same limit as protocol/frame.ts and the Node bootstrap.
MAX_FRAME_BYTES = 64 * 1024 * 1024
_ACCOUNT_ID = "000000000000"
_API = "/2018-06-01/runtime"


# Set by the fast channel: tells the runner this instance is going, before it goes (see _exit).
_announce_exit = None


def _exit(code):
    """Leave now, without waiting for threads stuck in a handler, after flushing the log.

    On the fast channel the runner first gets an `exiting` frame (as from the Node bootstrap), so it
    sends nothing more here and runs the next invocation on a new instance: whatever ends the
    instance (a handler's sys.exit, SIGTERM, a broken frame), no later call meets a dead one.
    """
    if _announce_exit is not None:
        _announce_exit()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(code)


class InitFailure(Exception):
    def __init__(self, error_type, message, stack=None):
        super().__init__(message)
        self.error_type = error_type
        self.stack = stack or []

    def payload(self):
        # The document AWS's Python runtime posts for an init error (requestId is empty at init).
        return {"errorMessage": str(self), "errorType": self.error_type, "requestId": "", "stackTrace": self.stack}


def _user_frames(tb):
    """Formatted stack frames, without the bootstrap's own."""
    frames = [f for f in traceback.extract_tb(tb) if os.path.abspath(f.filename) != os.path.abspath(__file__)]
    return traceback.format_list(frames)


def load_handler(task_root, handler):
    """Import `module.sub.func` from task_root; InitFailure with AWS's error types otherwise."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError:
        raise InitFailure("Runtime.MalformedHandlerName",
                          "Bad handler '%s': expected <module>.<function>, for example 'handler.handler'" % handler)
    modname = modname.replace("/", ".")
    if modname.split(".")[0] in sys.builtin_module_names:
        # Importing it would give Python's own module (`sys`, `time`...), never the function's file.
        raise InitFailure("Runtime.BuiltInModuleConflict", "Cannot use built-in module %s as a handler module" % modname)
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    try:
        module = importlib.import_module(modname)
    except SyntaxError as e:
        raise InitFailure("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (modname, e),
                          _user_frames(e.__traceback__))
    except ImportError as e:
        raise InitFailure("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (modname, e),
                          _user_frames(e.__traceback__))
    except Exception as e:
        # Top-level code threw: AWS reports the error's own type and message.
        raise InitFailure(type(e).__name__, str(e), _user_frames(e.__traceback__))
    fn = getattr(module, fname, None)
    if fn is None:
        raise InitFailure("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (fname, modname))
    if not callable(fn):
        raise InitFailure("Runtime.HandlerNotFound", "Handler '%s' on module '%s' is not callable" % (fname, modname))
    return fn


# Python 3.12 and later answer non-ASCII text as it is ("£1.00"); earlier runtimes escape it, as on AWS.
_ENSURE_ASCII = sys.version_info < (3, 12)


class FunctionInfo:
    """Per-function facts shared by every context."""

    def __init__(self, env):
        self.name = env.get("AWS_LAMBDA_FUNCTION_NAME", "function")
        self.version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        region = env.get("AWS_REGION", "us-east-1")
        # Unqualified; an invocation through an alias or a version adds ":<qualifier>" (see qualified_arn).
        self.arn = "arn:aws:lambda:%s:%s:function:%s" % (region, _ACCOUNT_ID, self.name)
        self.log_group = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + self.name)
        self.log_stream = env.get("AWS_LAMBDA_LOG_STREAM_NAME",
                                  time.strftime("%Y/%m/%d/", time.gmtime()) + "[%s]%s" % (self.version, os.urandom(16).hex()))

    def qualified_arn(self, qualifier):
        return "%s:%s" % (self.arn, qualifier) if qualifier else None


# The trace context of the invocation running on this thread (see _enter_trace).
_trace = threading.local()


def _xray_trace_id(traceparent):
    """X-Ray trace header from a W3C traceparent, as AWS maps one to the other (None if malformed)."""
    p = traceparent.split("-")
    if len(p) != 4 or len(p[1]) != 32 or len(p[2]) != 16 or len(p[3]) != 2:
        return None
    try:
        sampled = int(p[3], 16) & 1
        int(p[1], 16), int(p[2], 16)
    except ValueError:
        return None
    return "Root=1-%s-%s;Parent=%s;Sampled=%d" % (p[1][:8], p[1][8:], p[2], sampled)


def _enter_trace(traceparent, xray, concurrency):
    """The next invocation on this thread runs in this trace context, as Lambda's runtimes give it:
    `_X_AMZN_TRACE_ID` (X-Ray) and `TRACEPARENT` (W3C) in os.environ when the instance runs one
    invocation at a time, and `context.xray_trace_id` / `context.traceparent` always."""
    tp = _header_text(traceparent) if traceparent else None
    x = _header_text(xray) if xray else (_xray_trace_id(tp) if tp else None)
    _trace.traceparent, _trace.xray = tp, x
    if concurrency == 1:
        for k, v in (("_X_AMZN_TRACE_ID", x), ("TRACEPARENT", tp)):
            if v:
                os.environ[k] = v
            else:
                os.environ.pop(k, None)


class _Fields(object):
    """An object whose fields are read from a dict, missing ones None (AWS's make_obj_from_dict)."""
    __slots__ = ()

    def __init__(self, d=None):
        d = d if isinstance(d, dict) else {}
        for f in self.__slots__:
            setattr(self, f, d.get(f))

    def __repr__(self):
        return "%s([%s])" % (type(self).__name__, ",".join("%s=%s" % (f, getattr(self, f)) for f in self.__slots__))


class CognitoIdentity(_Fields):
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")


class Client(_Fields):
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")


class ClientContext(_Fields):
    __slots__ = ("custom", "env", "client")

    def __init__(self, d):
        super().__init__(d)
        self.client = Client(self.client) if self.client is not None else None


class LambdaContext:
    """The `context` argument, with the attributes and methods AWS's Python runtime provides."""

    __slots__ = ("aws_request_id", "function_name", "function_version", "invoked_function_arn",
                 "memory_limit_in_mb", "log_group_name", "log_stream_name", "identity", "client_context",
                 "_deadline_ms", "traceparent", "xray_trace_id")

    def __init__(self, info, request_id, deadline_ms, arn, client_context):
        self.aws_request_id = request_id
        self.function_name = info.name
        self.function_version = info.version
        self.invoked_function_arn = arn or info.arn
        self.memory_limit_in_mb = info.memory
        self.log_group_name = info.log_group
        self.log_stream_name = info.log_stream
        self.identity = CognitoIdentity()
        self.client_context = ClientContext(client_context) if isinstance(client_context, dict) else None
        self._deadline_ms = deadline_ms
        self.traceparent = getattr(_trace, "traceparent", None)
        self.xray_trace_id = getattr(_trace, "xray", None)

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def log(self, msg):
        """Write to the function's log, as AWS's context.log (no newline added)."""
        sys.stdout.write(str(msg))


def _json_default(o):
    if isinstance(o, decimal.Decimal):
        return int(o) if o == o.to_integral_value() else float(o)
    raise TypeError("Object of type %s is not JSON serializable" % type(o).__name__)


def run_handler(fn, info, event, request_id, deadline_ms, arn, client_context):
    """Run one invocation; returns (ok, JSON bytes of the result or of the error)."""
    context = LambdaContext(info, request_id, deadline_ms, arn, client_context)
    try:
        result = _logs.call(request_id, fn, event, context)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        _exit(code)
    except Exception as e:
        payload = {"errorMessage": str(e), "errorType": type(e).__name__, "requestId": request_id,
                   "stackTrace": _user_frames(e.__traceback__)}
        return False, json.dumps(payload, default=str).encode()
    if isinstance(result, (bytes, bytearray)):
        return True, bytes(result)  # returned as it is, as AWS's runtime does
    try:
        return True, json.dumps(result, default=_json_default, ensure_ascii=_ENSURE_ASCII).encode()
    except (TypeError, ValueError, OverflowError, RecursionError) as e:
        payload = {"errorMessage": "Unable to marshal response: %s" % e, "errorType": "Runtime.MarshalError",
                   "requestId": request_id, "stackTrace": []}
        return False, json.dumps(payload).encode()


class UnmarshalError(Exception):
    """The event cannot become a Python value: the invocation fails, the instance lives on."""

    def payload(self):
        return json.dumps({"errorType": "Runtime.UnmarshalError", "errorMessage": str(self),
                           "stackTrace": []}).encode()


def _parse_event(body):
    """The event as a Python value, or UnmarshalError: json.loads recurses, so valid JSON nested
    deeper than the interpreter's recursion limit is as unreadable as invalid JSON."""
    if not body:
        return {}
    try:
        return json.loads(body)
    except RecursionError:
        raise UnmarshalError("The event is nested too deeply to unmarshal (more than about %d levels); "
                             "send a flatter event" % sys.getrecursionlimit()) from None
    except ValueError as e:
        raise UnmarshalError("The event is not valid JSON: %s" % e) from None


def _header_text(value):
    """A header as http.client gives it (bytes read as latin1), as the UTF-8 text that was sent."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _decode_client_context(b64):
    if not b64:
        return None
    try:
        import base64
        return json.loads(base64.b64decode(b64))
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# Fast channel
# ---------------------------------------------------------------------------------------------
# The frame codec (runtimes/PROTOCOL.md): u32 BE header length, u32 BE body length, the header
# (UTF-8 JSON with "type"), the body (raw bytes). This bootstrap keeps its own stdlib-only copy;
# the golden frames in runtimes/fixtures/frames (test_frames.py) prove it agrees with the runner's
# protocol/frame.ts and the Node bootstrap's lib/frame.mjs.

class FrameError(Exception):
    """The peer sent something that is not a valid frame; the channel cannot recover."""


def encode_frame(header, body=b""):
    """One frame as bytes; `header` is the header's JSON text as bytes."""
    return _PREFIX.pack(len(header), len(body)) + header + body


def reply_header(kind, request_id):
    """The compact reply header, {"type":"result","id":"<id>"} (or "error"), that the runner reads without JSON.parse."""
    return b'{"type":"' + kind + b'","id":' + json.dumps(request_id).encode() + b"}"


def parse_header(raw):
    """The header object of a frame; FrameError unless it is JSON object with a string "type"."""
    try:
        header = json.loads(raw)
    except ValueError:
        raise FrameError("frame header is not valid JSON") from None
    if not isinstance(header, dict) or not isinstance(header.get("type"), str):
        raise FrameError('frame header is not an object with a string "type"')
    return header


def read_frame(rfile, max_frame_bytes=MAX_FRAME_BYTES):
    """Next (header, body) from a buffered binary stream, or None when it ends (mid-frame included).

    Raises FrameError as soon as a prefix announces more than max_frame_bytes, before reading it.
    """
    prefix = rfile.read(8)
    if len(prefix) < 8:
        return None
    hl, bl = _PREFIX.unpack(prefix)
    total = 8 + hl + bl
    if total > max_frame_bytes:
        raise FrameError("frame of %d bytes exceeds the %d-byte limit" % (total, max_frame_bytes))
    header = rfile.read(hl)
    body = rfile.read(bl) if bl else b""
    if len(header) < hl or len(body) < bl:
        return None
    return parse_header(header), body


class FastChannel:
    def __init__(self, sock):
        self.sock = sock
        self.rfile = sock.makefile("rb", buffering=65536)
        self.lock = threading.Lock()

    def send(self, header, body=b""):
        with self.lock:
            if len(body) > 65536:
                # Avoid copying a multi-megabyte body just to prepend eight bytes.
                self.sock.sendall(_PREFIX.pack(len(header), len(body)) + header)
                self.sock.sendall(body)
            else:
                self.sock.sendall(encode_frame(header, body))

    def read(self):
        """Next (header, body), or None when the runner closed the channel."""
        return read_frame(self.rfile)

    def say_exiting(self):
        """Send `exiting` if the channel is free within a second (a signal may have interrupted a send
        on this very thread, which then holds the lock); the runner also copes without it."""
        if self.lock.acquire(timeout=1):
            try:
                self.sock.sendall(encode_frame(b'{"type":"exiting"}'))
            except OSError:
                pass
            finally:
                self.lock.release()


def serve_fast(chan, token=None):
    global _announce_exit
    _announce_exit = chan.say_exiting
    state = {"fn": None, "info": None}
    hello = {"type": "hello", "runtime": "python", "version": "%d.%d.%d" % sys.version_info[:3], "pid": os.getpid()}
    if token:
        hello["token"] = token
    chan.send(json.dumps(hello).encode())

    def handle(header, body):
        request_id = header["id"]
        if state["fn"] is None:
            err = {"errorType": "Runtime.NotInitialized", "errorMessage": "invoke received before a successful init",
                   "stackTrace": []}
            chan.send(reply_header(b"error", request_id), json.dumps(err).encode())
            return
        try:
            event = _parse_event(body)
        except UnmarshalError as e:
            chan.send(reply_header(b"error", request_id), e.payload())
            return
        _enter_trace(header.get("traceparent"), None, state.get("concurrency", 1))
        info = state["info"]
        ok, out = run_handler(state["fn"], info, event, request_id, header.get("deadline", 0),
                              info.qualified_arn(header.get("qualifier")), _decode_client_context(header.get("clientContext")))
        chan.send(reply_header(b"result" if ok else b"error", request_id), out)

    work = None  # a queue when the function runs several invocations at once

    def worker(q):
        while True:
            header, body = q.get()
            try:
                handle(header, body)
            except BaseException as e:  # noqa: BLE001 - a worker must never die silently
                _unexpected(header, e)

    def _unexpected(header, e):
        # Whatever escaped (a bug here, never the handler's own errors, which run_handler answers):
        # answer the invocation so its caller is not left waiting, and keep the worker.
        sys.stderr.write("hotswap bootstrap: unexpected %s: %s\n" % (type(e).__name__, e))
        err = {"errorType": "Runtime.Unknown", "errorMessage": "%s: %s" % (type(e).__name__, e), "stackTrace": []}
        try:
            chan.send(reply_header(b"error", header.get("id", "")), json.dumps(err).encode())
        except OSError:
            _exit(1)

    def init(h):
        nonlocal work
        for k, v in (h.get("env") or {}).items():
            os.environ[k] = str(v)
        os.environ["LAMBDA_TASK_ROOT"] = h["taskRoot"]
        os.environ["_HANDLER"] = h["handler"]
        os.environ["AWS_LAMBDA_FUNCTION_NAME"] = h["functionName"]
        os.environ["AWS_LAMBDA_FUNCTION_VERSION"] = str(h["functionVersion"])
        os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(h["memorySize"])
        os.environ.setdefault("AWS_REGION", "us-east-1")
        try:
            try:
                os.chdir(h["taskRoot"])
            except OSError as e:
                raise InitFailure("Runtime.InvalidTaskRoot", "Cannot use code directory %s: %s" % (h["taskRoot"], e))
            state["info"] = FunctionInfo(os.environ)
            state["fn"] = load_handler(h["taskRoot"], h["handler"])
        except InitFailure as f:
            chan.send(b'{"type":"initError"}', json.dumps(f.payload()).encode())
            _exit(1)
        except BaseException as e:  # noqa: BLE001 - anything at all must become an initError
            f = InitFailure(type(e).__name__, str(e), _user_frames(e.__traceback__))
            chan.send(b'{"type":"initError"}', json.dumps(f.payload()).encode())
            _exit(1)
        concurrency = int(h.get("concurrency") or 1)
        state["concurrency"] = concurrency
        if concurrency > 1:
            import queue
            work = queue.SimpleQueue()
            for _ in range(concurrency):
                threading.Thread(target=worker, args=(work,), daemon=True).start()
        chan.send(b'{"type":"ready"}')

    while True:
        try:
            frame = chan.read()
        except FrameError as e:
            # A corrupt or oversized frame cannot be skipped (the stream cannot be resynchronised):
            # say why and leave; the runner sees the channel close.
            sys.stderr.write("hotswap bootstrap: %s; closing the channel\n" % e)
            _exit(1)
        if frame is None:
            _exit(0)
        header, body = frame
        kind = header.get("type")
        if kind == "invoke":
            if work is not None:
                work.put((header, body))
            else:
                # One at a time: run on the main thread, no hand-off latency.
                try:
                    handle(header, body)
                except Exception as e:  # noqa: BLE001 - SystemExit still ends the process
                    _unexpected(header, e)
        elif kind == "init":
            if state["fn"] is None:
                init(header)
        # Unknown types are ignored so a newer runner can add messages.


# ---------------------------------------------------------------------------------------------
# AWS Lambda Runtime API
# ---------------------------------------------------------------------------------------------

class RuntimeApiClient:
    """One keep-alive HTTP connection to the Runtime API (one per loop thread)."""

    def __init__(self, address):
        import http.client
        self._http = http.client
        host, _, port = address.rpartition(":")  # "host:port"
        self.host = host.strip("[]")
        self.port = int(port)
        self.conn = None

    def call(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = self._http.HTTPConnection(self.host, self.port)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
                return resp.status, resp.headers, data
            except (self._http.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection closed under us: reconnect once.
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise

    def post(self, path, body, error_type=None):
        headers = {"Content-Type": "application/json"}
        if error_type:
            headers["Lambda-Runtime-Function-Error-Type"] = error_type
        return self.call("POST", path, body, headers)


def serve_runtime_api(address):
    env = os.environ
    concurrency = max(1, int(env.get("HOTSWAP_CONCURRENCY") or env.get("AWS_LAMBDA_MAX_CONCURRENCY") or 1))
    task_root = env.get("LAMBDA_TASK_ROOT") or os.getcwd()
    try:
        if not env.get("_HANDLER"):
            raise InitFailure("Runtime.MalformedHandlerName", "_HANDLER is not set")
        try:
            os.chdir(task_root)
        except OSError as e:
            raise InitFailure("Runtime.InvalidTaskRoot", "Cannot use code directory %s: %s" % (task_root, e))
        fn = load_handler(task_root, env["_HANDLER"])
    except InitFailure as f:
        try:
            RuntimeApiClient(address).post(_API + "/init/error", json.dumps(f.payload()).encode(), f.error_type)
        except OSError:
            pass
        _exit(1)
    info = FunctionInfo(env)

    def loop():
        client = RuntimeApiClient(address)
        try:
            while True:
                status, headers, body = client.call("GET", _API + "/invocation/next")
                if status != 200:
                    sys.stderr.write("hotswap bootstrap: /next answered %d: %r\n" % (status, body[:200]))
                    _exit(1)
                request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
                deadline = int(headers.get("Lambda-Runtime-Deadline-Ms") or (time.time() * 1000 + 3000))
                arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
                _enter_trace(headers.get("traceparent"), headers.get("Lambda-Runtime-Trace-Id"), concurrency)
                client_context = None
                if headers.get("Lambda-Runtime-Client-Context"):
                    try:
                        client_context = json.loads(_header_text(headers["Lambda-Runtime-Client-Context"]))
                    except (ValueError, RecursionError):
                        client_context = None
                try:
                    event = _parse_event(body)
                except UnmarshalError as e:
                    client.post(_API + "/invocation/%s/error" % request_id, e.payload(), "Runtime.UnmarshalError")
                    continue
                ok, out = run_handler(fn, info, event, request_id, deadline, arn, client_context)
                if ok:
                    client.post(_API + "/invocation/%s/response" % request_id, out)
                else:
                    client.post(_API + "/invocation/%s/error" % request_id, out, "Unhandled")
        except OSError as e:
            sys.stderr.write("hotswap bootstrap: the Runtime API at %s is unreachable (%s); exiting\n" % (address, e))
            _exit(1)

    for _ in range(concurrency - 1):
        threading.Thread(target=loop, daemon=True).start()
    loop()


def _exit_on_stop_signals():
    """Exit 0 on SIGTERM or SIGINT, promptly. A Python-level handler alone runs on the main thread
    between bytecodes: a signal that lands just before the main thread blocks in a read (waiting
    for the next frame while workers run handlers) would wait for that frame. The interpreter's C
    handler also writes the signal's number to the wakeup fd at once; a thread waits on it."""
    stop = (signal.SIGTERM, signal.SIGINT)
    for sig in stop:
        signal.signal(sig, lambda *_: _exit(0))
    r, w = os.pipe()
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w, warn_on_full_buffer=False)

    def watch():
        while True:
            if os.read(r, 1)[0] in stop:
                _exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main():
    _exit_on_stop_signals()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(line_buffering=True)
        except (AttributeError, ValueError):
            pass
    # Each line a handler writes carries its request id (log_capture.py).
    _logs.install()
    env = os.environ
    # One-time token identifying this instance on a shared TCP listener; never the function's.
    token = env.pop("HOTSWAP_CHANNEL_TOKEN", None)
    if env.get("HOTSWAP_CHANNEL_FD"):
        fd = int(env.pop("HOTSWAP_CHANNEL_FD"))
        serve_fast(FastChannel(socket.socket(fileno=fd)))
    elif env.get("HOTSWAP_CHANNEL_SOCKET"):
        path = env.pop("HOTSWAP_CHANNEL_SOCKET")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
        except OSError as e:
            sys.stderr.write("hotswap bootstrap: cannot connect to %s: %s\n" % (path, e))
            _exit(1)
        serve_fast(FastChannel(sock))
    elif env.get("HOTSWAP_CHANNEL_TCP"):
        addr = env.pop("HOTSWAP_CHANNEL_TCP")
        host, _, port = addr.rpartition(":")
        try:
            sock = socket.create_connection((host.strip("[]"), int(port)))
        except (OSError, ValueError) as e:
            sys.stderr.write("hotswap bootstrap: cannot connect to %s: %s\n" % (addr, e))
            _exit(1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        serve_fast(FastChannel(sock), token)
    elif env.get("AWS_LAMBDA_RUNTIME_API"):
        serve_runtime_api(env["AWS_LAMBDA_RUNTIME_API"])
    else:
        sys.stderr.write("hotswap bootstrap: set HOTSWAP_CHANNEL_FD, HOTSWAP_CHANNEL_SOCKET, HOTSWAP_CHANNEL_TCP or AWS_LAMBDA_RUNTIME_API\n")
        _exit(2)


if __name__ == "__main__":
    try:
        main()
    except Exception:  # a bug in the bootstrap's own loop: report it, tell the runner (see _exit), leave
        traceback.print_exc()
        _exit(1)

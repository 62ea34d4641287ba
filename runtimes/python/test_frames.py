"""The Python bootstrap's side of the golden frames (runtimes/fixtures/frames), standard library only.

Its codec (read_frame, encode_frame, reply_header in bootstrap.py) decodes every case as
frames.json says however the reads are cut, refuses the invalid ones with the same messages as
protocol/frame.ts and the Node bootstrap, and encodes to the stored bytes; the bootstrap, run as a
process, leaves with that message on a golden oversized frame instead of reading it. The runner
and Node suites replay the same bytes. Run by frames.test.ts (npm test), or alone:
    python3 runtimes/python/test_frames.py -v
"""
import importlib.util
import io
import json
import os
import socket
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "frames")

_spec = importlib.util.spec_from_file_location("hotswap_bootstrap", os.path.join(HERE, "bootstrap.py"))
bootstrap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bootstrap)

with open(os.path.join(FIXTURES, "frames.json"), encoding="utf-8") as _f:
    MANIFEST = json.load(_f)
CASES = {c["name"]: c for c in MANIFEST["cases"]}


def case_bytes(case):
    with open(os.path.join(FIXTURES, case["file"]), "rb") as f:
        return f.read()


def body_of(frame):
    unit = bytes.fromhex(frame["bodyHex"]) if "bodyHex" in frame else frame.get("bodyText", "").encode("utf-8")
    return unit * frame.get("bodyRepeat", 1)


class Chunked(io.RawIOBase):
    """A stream whose every read returns at most one of the given chunks, as a socket may."""

    def __init__(self, chunks):
        self.chunks = [c for c in chunks if c]

    def readable(self):
        return True

    def readinto(self, b):
        if not self.chunks:
            return 0
        c = self.chunks[0]
        n = min(len(b), len(c))
        b[:n] = c[:n]
        if n == len(c):
            self.chunks.pop(0)
        else:
            self.chunks[0] = c[n:]
        return n


def deliveries(case, data):
    """Whole, one byte per read, the case's own reads, and cut in two anywhere (small cases)."""
    out = [("in one read", [data]), ("one byte per read", [data[i:i + 1] for i in range(len(data))])]
    if "reads" in case:
        chunks, off = [], 0
        for n in case["reads"]:
            chunks.append(data[off:off + n])
            off += n
        chunks.append(data[off:])
        out.append(("in reads of %s and the rest" % case["reads"], chunks))
    if len(data) <= 4096:
        out.extend(("cut at %d" % cut, [data[:cut], data[cut:]]) for cut in range(1, len(data)))
    return out


def decode(chunks):
    """(frames, error message or None) for the bytes delivered in these chunks."""
    rfile = io.BufferedReader(Chunked(chunks), buffer_size=65536)
    frames = []
    try:
        while True:
            frame = bootstrap.read_frame(rfile)
            if frame is None:
                return frames, None
            frames.append(frame)
    except bootstrap.FrameError as e:
        return frames, str(e)


class GoldenFrames(unittest.TestCase):
    def test_the_maximum_frame_size_is_the_protocols(self):
        self.assertEqual(bootstrap.MAX_FRAME_BYTES, MANIFEST["maxFrameBytes"])

    def test_decodes_every_case_as_the_manifest_says_however_the_reads_are_cut(self):
        for case in MANIFEST["cases"]:
            want = [(f["header"], body_of(f)) for f in case["frames"]]
            for how, chunks in deliveries(case, case_bytes(case)):
                frames, error = decode(chunks)
                where = "%s %s" % (case["name"], how)
                self.assertEqual(frames, want, where)
                self.assertEqual(error, case.get("error"), where)

    def test_encodes_every_frame_to_the_stored_bytes(self):
        for case in MANIFEST["cases"]:
            data = case_bytes(case)
            off = 0
            for f in case["frames"]:
                enc = bootstrap.encode_frame(f["headerText"].encode("utf-8"), body_of(f))
                self.assertEqual(data[off:off + len(enc)], enc, case["name"])
                off += len(enc)
            if "error" not in case and "incomplete" not in case:
                self.assertEqual(off, len(data), case["name"])

    def test_writes_compact_reply_headers_and_sends_them_as_stored(self):
        checked = 0
        for name in ("result-compact", "error-compact", "result-empty-body", "batch-replies", "result-large-body"):
            case = CASES[name]
            a, b = socket.socketpair()
            try:
                chan = bootstrap.FastChannel(a)
                for f in case["frames"]:
                    self.assertEqual(f.get("compact"), "reply", name)
                    header = bootstrap.reply_header(f["header"]["type"].encode(), f["header"]["id"])
                    self.assertEqual(header, f["headerText"].encode("utf-8"), name)
                    chan.send(header, body_of(f))
                    checked += 1
                a.shutdown(socket.SHUT_WR)
                received = b"".join(iter(lambda: b.recv(1 << 16), b""))
                self.assertEqual(received, case_bytes(case), name)
            finally:
                a.close()
                b.close()
        self.assertGreater(checked, 0)

    def test_the_bootstrap_process_refuses_an_oversized_frame_with_the_reason(self):
        for name in ("oversize-by-one", "header-not-json"):
            case = CASES[name]
            parent, child = socket.socketpair()
            env = {"PATH": os.environ.get("PATH", ""), "HOTSWAP_CHANNEL_FD": str(child.fileno())}
            proc = subprocess.Popen([sys.executable, "-B", os.path.join(HERE, "bootstrap.py")], env=env,
                                    pass_fds=(child.fileno(),), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            child.close()
            try:
                rfile = parent.makefile("rb")
                hello = bootstrap.read_frame(rfile)
                self.assertEqual(hello[0]["type"], "hello", name)
                parent.sendall(case_bytes(case))
                _, stderr = proc.communicate(timeout=10)
                self.assertEqual(proc.returncode, 1, "%s: %s" % (name, stderr))
                self.assertIn("hotswap bootstrap: %s" % case["error"], stderr.decode(), name)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                parent.close()


if __name__ == "__main__":
    unittest.main()

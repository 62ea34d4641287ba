/*
 * Tags every line a handler writes with its invocation's request id, "\x1e<requestId>\x1f<line>"
 * (runtimes/PROTOCOL.md, protocol/function-logs.ts), so the runner attributes each line to its
 * invocation even when several run at once. System.out and System.err are replaced by streams
 * that know, per thread, the invocation running there: its lines are written whole once they end
 * (concurrent invocations never mix halves of lines), the unfinished last one when it ends.
 * Writes from threads outside an invocation pass through untouched.
 */
package dev.hotswap.bootstrap;

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

final class LogCapture extends OutputStream {
    private static final ThreadLocal<byte[]> PREFIX = new ThreadLocal<>();
    private static LogCapture out, err;

    private final OutputStream raw;
    private final ThreadLocal<ByteArrayOutputStream> pending = ThreadLocal.withInitial(ByteArrayOutputStream::new);

    private LogCapture(OutputStream raw) {
        this.raw = raw;
    }

    /** Replace System.out and System.err (autoflushing, UTF-8) before any function code loads. */
    static void install() {
        out = new LogCapture(new FileOutputStream(FileDescriptor.out));
        err = new LogCapture(new FileOutputStream(FileDescriptor.err));
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    /** Lines written on this thread from now on belong to `requestId`. */
    static void begin(String requestId) {
        PREFIX.set(("\u001e" + requestId + "\u001f").getBytes(StandardCharsets.UTF_8));
    }

    /** The invocation on this thread ended: write its unfinished lines, stop tagging. */
    static void end() {
        System.out.flush();
        System.err.flush();
        if (out != null) out.finish();
        if (err != null) err.finish();
        PREFIX.remove();
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        byte[] prefix = PREFIX.get();
        if (prefix == null) {
            synchronized (raw) {
                raw.write(b, off, len);
            }
            return;
        }
        ByteArrayOutputStream buf = pending.get();
        int start = off;
        for (int k = off; k < off + len; k++) {
            if (b[k] != '\n') continue;
            buf.write(b, start, k - start);
            emit(prefix, buf);
            start = k + 1;
        }
        buf.write(b, start, off + len - start);
    }

    private void emit(byte[] prefix, ByteArrayOutputStream line) throws IOException {
        byte[] text = new byte[prefix.length + line.size() + 1];
        System.arraycopy(prefix, 0, text, 0, prefix.length);
        byte[] body = line.toByteArray();
        System.arraycopy(body, 0, text, prefix.length, body.length);
        text[text.length - 1] = '\n';
        line.reset();
        synchronized (raw) {
            raw.write(text);
        }
    }

    private void finish() {
        byte[] prefix = PREFIX.get();
        ByteArrayOutputStream buf = pending.get();
        if (prefix == null || buf.size() == 0) return;
        try {
            emit(prefix, buf);
        } catch (IOException e) {
            buf.reset();
        }
    }
}

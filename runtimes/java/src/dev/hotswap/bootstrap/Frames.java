/*
 * The fast channel's frame codec (runtimes/PROTOCOL.md), the Java bootstrap's own copy: u32 BE
 * header length, u32 BE body length, the header (UTF-8 JSON object with a string "type"), the raw
 * body; 64 MiB at most, prefix included, refused as soon as the prefix announces more. The golden
 * frames in runtimes/fixtures/frames (FramesTest, run by frames.test.ts) prove it agrees with the
 * runner's protocol/frame.ts and the Node and Python bootstraps.
 */
package dev.hotswap.bootstrap;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

public final class Frames {
    private Frames() {}

    public static final long MAX_FRAME_BYTES = 64L * 1024 * 1024;

    /** The peer sent something that is not a valid frame; the channel cannot recover. */
    public static final class FrameException extends IOException {
        private static final long serialVersionUID = 1L;

        FrameException(String message) {
            super(message);
        }
    }

    public static final class Frame {
        public final Map<String, Object> header;
        public final byte[] body;

        Frame(Map<String, Object> header, byte[] body) {
            this.header = header;
            this.body = body;
        }

        public String type() {
            return (String) header.get("type");
        }
    }

    /** Next frame, or null when the stream ends (mid-frame included); FrameException for an invalid one. */
    public static Frame read(InputStream in) throws IOException {
        byte[] prefix = new byte[8];
        if (!readFully(in, prefix)) return null;
        long hl = u32(prefix, 0), bl = u32(prefix, 4);
        long total = 8 + hl + bl;
        if (total > MAX_FRAME_BYTES) throw new FrameException("frame of " + total + " bytes exceeds the " + MAX_FRAME_BYTES + "-byte limit");
        byte[] header = new byte[(int) hl];
        byte[] body = new byte[(int) bl];
        if (!readFully(in, header) || !readFully(in, body)) return null;
        return new Frame(parseHeader(header), body);
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseHeader(byte[] raw) throws FrameException {
        Object h;
        try {
            h = Json.parse(raw);
        } catch (Json.ParseException e) {
            throw new FrameException("frame header is not valid JSON");
        }
        if (!(h instanceof Map) || !(((Map<String, Object>) h).get("type") instanceof String)) {
            throw new FrameException("frame header is not an object with a string \"type\"");
        }
        return (Map<String, Object>) h;
    }

    private static long u32(byte[] b, int o) {
        return ((b[o] & 0xffL) << 24) | ((b[o + 1] & 0xffL) << 16) | ((b[o + 2] & 0xffL) << 8) | (b[o + 3] & 0xffL);
    }

    /** False when the stream ends before `buf` is full. */
    private static boolean readFully(InputStream in, byte[] buf) throws IOException {
        int off = 0;
        while (off < buf.length) {
            int n;
            try {
                n = in.read(buf, off, buf.length - off);
            } catch (EOFException e) {
                return false;
            }
            if (n < 0) return false;
            off += n;
        }
        return true;
    }

    /** The prefix of a frame with these lengths. */
    public static byte[] prefix(int headerLength, int bodyLength) {
        byte[] p = new byte[8];
        put32(p, 0, headerLength);
        put32(p, 4, bodyLength);
        return p;
    }

    private static void put32(byte[] b, int o, int v) {
        b[o] = (byte) (v >>> 24);
        b[o + 1] = (byte) (v >>> 16);
        b[o + 2] = (byte) (v >>> 8);
        b[o + 3] = (byte) v;
    }

    /** One whole frame as bytes; `header` is the header's JSON text. */
    public static byte[] encode(byte[] header, byte[] body) {
        byte[] out = new byte[8 + header.length + body.length];
        System.arraycopy(prefix(header.length, body.length), 0, out, 0, 8);
        System.arraycopy(header, 0, out, 8, header.length);
        System.arraycopy(body, 0, out, 8 + header.length, body.length);
        return out;
    }

    /** The compact reply header {"type":"result","id":"<id>"} (or "error") the runner reads without a JSON parser. */
    public static byte[] replyHeader(String kind, String id) {
        return ("{\"type\":\"" + kind + "\",\"id\":" + Json.quote(id) + "}").getBytes(StandardCharsets.UTF_8);
    }

    /** Writes one frame; large bodies are written after the prefix and header rather than copied. */
    public static void write(OutputStream out, byte[] header, byte[] body) throws IOException {
        if (body.length > 65536) {
            byte[] head = new byte[8 + header.length];
            System.arraycopy(prefix(header.length, body.length), 0, head, 0, 8);
            System.arraycopy(header, 0, head, 8, header.length);
            out.write(head);
            out.write(body);
        } else {
            out.write(encode(header, body));
        }
        out.flush();
    }
}

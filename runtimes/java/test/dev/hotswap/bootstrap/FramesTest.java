/*
 * The Java bootstrap's side of the golden frames (runtimes/fixtures/frames): its codec (Frames)
 * decodes every case as frames.json says however the reads are cut, refuses the invalid ones with
 * the protocol's messages, encodes every frame to the stored bytes, and writes the compact reply
 * headers byte for byte. Standard library only; run by runtimes/java/frames.test.ts (npm test):
 *   java -cp <bootstrap classes>:<test classes> dev.hotswap.bootstrap.FramesTest runtimes/fixtures/frames
 * Prints one line per failure and exits 1, or prints "OK <checks> checks" and exits 0.
 */
package dev.hotswap.bootstrap;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

public final class FramesTest {
    private static int checks;
    private static final List<String> failures = new ArrayList<>();

    private static void check(boolean ok, String what) {
        checks++;
        if (!ok) failures.add(what);
    }

    /** A stream whose every read returns at most one of the given chunks, as a socket may. */
    private static final class Chunked extends InputStream {
        private final List<byte[]> chunks;
        private int at, off;

        Chunked(List<byte[]> chunks) {
            this.chunks = chunks;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int o, int len) {
            while (at < chunks.size() && off == chunks.get(at).length) {
                at++;
                off = 0;
            }
            if (at >= chunks.size()) return -1;
            byte[] c = chunks.get(at);
            int n = Math.min(len, c.length - off);
            System.arraycopy(c, off, b, o, n);
            off += n;
            return n;
        }
    }

    private static byte[] bodyOf(Map<?, ?> frame) {
        byte[] unit = frame.containsKey("bodyHex") ? HexFormat.of().parseHex((String) frame.get("bodyHex"))
                : String.valueOf(frame.containsKey("bodyText") ? frame.get("bodyText") : "").getBytes(StandardCharsets.UTF_8);
        int repeat = frame.containsKey("bodyRepeat") ? ((Number) frame.get("bodyRepeat")).intValue() : 1;
        byte[] out = new byte[unit.length * repeat];
        for (int k = 0; k < repeat; k++) System.arraycopy(unit, 0, out, k * unit.length, unit.length);
        return out;
    }

    private static List<Object[]> deliveries(Map<?, ?> c, byte[] data) {
        List<Object[]> out = new ArrayList<>();
        out.add(new Object[] {"in one read", List.of(data)});
        List<byte[]> bytes = new ArrayList<>();
        for (int k = 0; k < data.length; k++) bytes.add(new byte[] {data[k]});
        out.add(new Object[] {"one byte per read", bytes});
        if (c.containsKey("reads")) {
            List<byte[]> chunks = new ArrayList<>();
            int off = 0;
            for (Object n : (List<?>) c.get("reads")) {
                int len = ((Number) n).intValue();
                chunks.add(Arrays.copyOfRange(data, off, off + len));
                off += len;
            }
            chunks.add(Arrays.copyOfRange(data, off, data.length));
            out.add(new Object[] {"in the case's reads", chunks});
        }
        if (data.length <= 4096) {
            for (int cut = 1; cut < data.length; cut++) {
                out.add(new Object[] {"cut at " + cut, List.of(Arrays.copyOfRange(data, 0, cut), Arrays.copyOfRange(data, cut, data.length))});
            }
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "runtimes/fixtures/frames");
        Map<?, ?> manifest = (Map<?, ?>) Json.parse(Files.readAllBytes(dir.resolve("frames.json")));
        check(((Number) manifest.get("maxFrameBytes")).longValue() == Frames.MAX_FRAME_BYTES, "the maximum frame size is the protocol's");
        int compactReplies = 0;
        for (Object o : (List<?>) manifest.get("cases")) {
            Map<?, ?> c = (Map<?, ?>) o;
            String name = (String) c.get("name");
            byte[] data = Files.readAllBytes(dir.resolve((String) c.get("file")));
            List<?> frames = (List<?>) c.get("frames");
            // Decoding, however the reads are cut.
            for (Object[] d : deliveries(c, data)) {
                @SuppressWarnings("unchecked")
                InputStream in = new Chunked((List<byte[]>) d[1]);
                List<Frames.Frame> got = new ArrayList<>();
                String error = null;
                try {
                    for (Frames.Frame f; (f = Frames.read(in)) != null; ) got.add(f);
                } catch (Frames.FrameException e) {
                    error = e.getMessage();
                } catch (IOException e) {
                    error = "unexpected " + e;
                }
                String where = name + " " + d[0];
                check(Objects.equals(error, c.get("error")), where + ": error " + error + ", want " + c.get("error"));
                check(got.size() == frames.size(), where + ": " + got.size() + " frames, want " + frames.size());
                for (int k = 0; k < Math.min(got.size(), frames.size()); k++) {
                    Map<?, ?> want = (Map<?, ?>) frames.get(k);
                    check(got.get(k).header.equals(want.get("header")), where + " frame " + k + ": header " + got.get(k).header + ", want " + want.get("header"));
                    check(Arrays.equals(got.get(k).body, bodyOf(want)), where + " frame " + k + ": body differs");
                }
            }
            // Encoding to the stored bytes, and the compact reply headers.
            int off = 0;
            for (Object fo : frames) {
                Map<?, ?> f = (Map<?, ?>) fo;
                byte[] enc = Frames.encode(((String) f.get("headerText")).getBytes(StandardCharsets.UTF_8), bodyOf(f));
                check(off + enc.length <= data.length && Arrays.equals(Arrays.copyOfRange(data, off, off + enc.length), enc), name + ": encoded frame differs from the stored bytes");
                off += enc.length;
                if ("reply".equals(f.get("compact"))) {
                    Map<?, ?> h = (Map<?, ?>) f.get("header");
                    byte[] compact = Frames.replyHeader((String) h.get("type"), (String) h.get("id"));
                    check(Arrays.equals(compact, ((String) f.get("headerText")).getBytes(StandardCharsets.UTF_8)), name + ": compact reply header " + new String(compact, StandardCharsets.UTF_8));
                    compactReplies++;
                }
            }
            if (!c.containsKey("error") && !c.containsKey("incomplete")) check(off == data.length, name + ": encoded length " + off + ", stored " + data.length);
        }
        check(compactReplies > 0, "some cases have compact replies");
        for (String f : failures) System.out.println("FAIL " + f);
        if (!failures.isEmpty()) {
            System.out.println(failures.size() + " of " + checks + " checks failed");
            System.exit(1);
        }
        System.out.println("OK " + checks + " checks");
    }
}

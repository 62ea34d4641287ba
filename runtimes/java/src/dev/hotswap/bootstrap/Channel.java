/*
 * The fast channel's byte stream, from whichever transport the environment names
 * (runtimes/PROTOCOL.md): an inherited socket fd (HOTSWAP_CHANNEL_FD; the JVM has no public way to
 * adopt one, so a FileDescriptor is set by reflection, which needs
 * --add-opens java.base/java.io=ALL-UNNAMED), a Unix socket path, or TCP. Frames are written
 * whole under one lock, so worker threads may reply concurrently while the main thread reads.
 */
package dev.hotswap.bootstrap;

import java.io.BufferedInputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

final class Channel {
    private final InputStream in;
    private final OutputStream out;
    private final ReentrantLock lock = new ReentrantLock();

    private Channel(InputStream in, OutputStream out) {
        this.in = new BufferedInputStream(in, 65536);
        this.out = out;
    }

    static Channel fromFd(int n) throws IOException {
        FileDescriptor fd = new FileDescriptor();
        try {
            Field f = FileDescriptor.class.getDeclaredField("fd");
            f.setAccessible(true);
            f.setInt(fd, n);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("cannot adopt fd " + n + " (start the JVM with --add-opens java.base/java.io=ALL-UNNAMED): " + e, e);
        }
        return new Channel(new FileInputStream(fd), new FileOutputStream(fd));
    }

    static Channel fromUnixSocket(String path) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(path));
        // Not Channels.newInputStream/newOutputStream: those share one lock, so a blocked read would stall every reply.
        InputStream in = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return ch.read(ByteBuffer.wrap(b, off, len));
            }
        };
        OutputStream out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) ch.write(buf);
            }
        };
        return new Channel(in, out);
    }

    static Channel fromTcp(String address) throws IOException {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) throw new IOException("not a host:port address: " + address);
        String host = address.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IOException("not a host:port address: " + address);
        }
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(host, port));
        return new Channel(s.getInputStream(), s.getOutputStream());
    }

    Frames.Frame read() throws IOException {
        return Frames.read(in);
    }

    void send(byte[] header, byte[] body) throws IOException {
        lock.lock();
        try {
            Frames.write(out, header, body);
        } finally {
            lock.unlock();
        }
    }

    /** Sends `exiting` if the channel is free within a second; the runner also copes without it. */
    void sayExiting() {
        try {
            if (!lock.tryLock(1, TimeUnit.SECONDS)) return;
        } catch (InterruptedException e) {
            return;
        }
        try {
            Frames.write(out, "{\"type\":\"exiting\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8), new byte[0]);
        } catch (IOException e) {
            // the runner is gone already
        } finally {
            lock.unlock();
        }
    }
}

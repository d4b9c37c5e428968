package org.devhost.systemd;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.io.OutputStream;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * The running host's Gogo shell on a Unix socket ({@code devhost.admin.socket}, the package's
 * {@code /run/devhost/admin.sock}), for {@code devhost shell} and {@code devhost dev:lsmod}: one
 * session per connection, each line a command, its output back, and after the client's end of
 * input a last line {@code \0exit N} (0 when every command succeeded). Only root and the members of
 * {@code devhost.admin.group} may use it: the socket file is {@code rw-rw----} owned by that group
 * (or {@code rw-------} without one), and the peer's credentials ({@code SO_PEERCRED}, the kernel's
 * word on who connected, not a password) are checked again on every connection: a user who could
 * open the file without being root or in the group (through a supplementary group the kernel
 * knows and {@code /etc/group} does not) is refused with EACCES. A session ends when either side
 * goes.
 */
@Component(immediate = true)
public final class AdminSocket {
    static final String SOCKET_PROPERTY = "devhost.admin.socket";
    static final String GROUP_PROPERTY = "devhost.admin.group";
    static final String EXIT = "\0exit ";

    private final CommandProcessor shell;
    private final Logger log;
    private final Path path;
    private final String group;
    private final AtomicInteger sessions = new AtomicInteger();
    private ServerSocketChannel server;

    @Activate
    public AdminSocket(@Reference CommandProcessor shell, @Reference(service = LoggerFactory.class) Logger log, BundleContext context)
            throws IOException {
        this.shell = shell;
        this.log = log;
        String p = context.getProperty(SOCKET_PROPERTY);
        String g = context.getProperty(GROUP_PROPERTY);
        this.path = p == null || p.isBlank() ? null : Path.of(p.trim()).toAbsolutePath();
        this.group = g == null || g.isBlank() ? null : g.trim();
        if (path == null) {
            return;
        }
        GroupPrincipal owner = null;
        if (group != null) {
            try { // before anything is made: a group that does not exist leaves nothing behind
                owner = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
            } catch (java.nio.file.attribute.UserPrincipalNotFoundException e) {
                throw new IOException(GROUP_PROPERTY + "=" + group + " names no group of this machine (ENOENT): give an"
                        + " existing group (getent group), or leave it out for root alone", e);
            }
        }
        Files.createDirectories(path.getParent()); // /run/devhost: systemd's RuntimeDirectory, or made here
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            if (!"s".equals(fileType(path))) {
                throw new IOException(path + " exists and is not a socket; not replacing it (EEXIST): remove it or give "
                        + SOCKET_PROPERTY + " another path");
            }
            Files.delete(path); // a stale socket of an earlier host
        }
        // Bound under a name of its own, given its group and mode, then renamed into place: the
        // socket never shows at its path with other rights than its own.
        Path fresh = path.resolveSibling("." + path.getFileName() + "." + ProcessHandle.current().pid());
        Files.deleteIfExists(fresh);
        try {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(fresh));
            if (owner != null) {
                Files.getFileAttributeView(fresh, java.nio.file.attribute.PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setGroup(owner);
                Files.setPosixFilePermissions(fresh, PosixFilePermissions.fromString("rw-rw----"));
            } else {
                Files.setPosixFilePermissions(fresh, PosixFilePermissions.fromString("rw-------"));
            }
            Files.move(fresh, path, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                server.close();
            }
            Files.deleteIfExists(fresh); // nothing of a failed start stays
            throw e;
        }
        Thread accept = new Thread(this::accept, "devhost admin socket");
        accept.setDaemon(true);
        accept.start();
        log.info("admin shell on {} for root{}", path, group == null ? "" : " and group " + group);
    }

    /** The file's type as stat(1) would say it, by NIO: s for a socket. */
    private static String fileType(Path p) throws IOException {
        var a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        return a.isOther() ? "s" : a.isSymbolicLink() ? "l" : a.isDirectory() ? "d" : "f";
    }

    private void accept() {
        while (server.isOpen()) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                return; // closed: the host is stopping
            }
            Thread t = new Thread(() -> serve(c), "devhost admin session " + sessions.incrementAndGet());
            t.setDaemon(true);
            t.start();
        }
    }

    /** Who may use the shell: root, the group's members by name or primary group. */
    static boolean allowed(String user, String primaryGroup, String group, List<String> groupMembers) {
        return "root".equals(user) || group != null && (group.equals(primaryGroup) || groupMembers.contains(user));
    }

    /** The members /etc/group lists for {@code group}. */
    static List<String> members(String group) {
        if (group == null) {
            return List.of();
        }
        try {
            for (String line : Files.readAllLines(Path.of("/etc/group"))) {
                String[] f = line.split(":", -1);
                if (f.length >= 4 && f[0].equals(group)) {
                    return f[3].isEmpty() ? List.of() : List.of(f[3].split(","));
                }
            }
        } catch (IOException e) {
            // no /etc/group: nobody is a member by name
        }
        return List.of();
    }

    private void serve(SocketChannel c) {
        try (c; PrintStream out = new PrintStream(output(c), true, StandardCharsets.UTF_8)) {
            UnixDomainPrincipal peer = c.getOption(ExtendedSocketOptions.SO_PEERCRED);
            String user = peer.user().getName();
            if (!allowed(user, peer.group().getName(), group, members(group))) {
                out.println("devhost: the admin shell is for root" + (group == null ? "" : " and the members of group " + group)
                        + "; " + user + " is neither (EACCES)");
                out.print(EXIT + "13\n");
                log.warn("admin shell: refused {} (group {})", user, peer.group().getName());
                return;
            }
            java.io.InputStream stream = input(c);
            CommandSession session = shell.createSession(stream, out, out);
            int status = 0;
            BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    Object result = session.execute(line);
                    if (result != null) {
                        out.println(session.format(result, Converter.INSPECT));
                    }
                } catch (Exception e) {
                    out.println("gogo: " + e.getClass().getSimpleName() + ": " + e.getMessage());
                    status = 1;
                }
                out.flush();
            }
            session.close();
            out.print(EXIT + status + "\n");
        } catch (IOException | RuntimeException e) {
            log.debug("admin shell session ended: {}", e.toString());
        }
    }

    @Deactivate
    void deactivate() throws IOException {
        if (server != null) {
            server.close();
            Files.deleteIfExists(path);
        }
    }

    /** A stream that reads the channel directly: Channels' streams share one lock, so a read would block a write. */
    static java.io.InputStream input(SocketChannel c) {
        return new java.io.InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return len == 0 ? 0 : c.read(java.nio.ByteBuffer.wrap(b, off, len));
            }
        };
    }

    /** A stream that writes the channel directly (see {@link #input}). */
    static OutputStream output(SocketChannel c) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    c.write(buf);
                }
            }
        };
    }
}

package org.devhost.web;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.fileupload.FileCountLimitExceededException;
import org.apache.commons.fileupload.FileItem;
import org.apache.commons.fileupload.FileUpload;
import org.apache.commons.fileupload.FileUploadBase;
import org.apache.commons.fileupload.FileUploadException;
import org.apache.commons.fileupload.UploadContext;
import org.apache.commons.fileupload.disk.DiskFileItemFactory;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * Every multipart upload to the console (a driver jar on the Modules page, a bundle on the Bundles
 * page) is read here, after the login and before any console servlet: bounded, spooled into a
 * folder only the host's user can enter, and deleted when the request ends, whatever the servlet
 * did with it.
 *
 * <p>Why not the HTTP service's own multipart support, which the console turns on: it spools into
 * the JVM's temporary folder ({@code /tmp/upload_*.tmp}, readable by every local user), without a
 * size limit, and keeps the files until the JVM exits. Here:
 * <ul>
 * <li>the body is parsed at once, up to {@code devhost.web.upload.max} bytes in all (a body known
 *     to be larger was refused by {@link ConsoleGuard} before a byte was read; a chunked one is
 *     refused with 413 as soon as it goes past, and what was spooled of it is deleted), at most
 *     {@value #MAX_PARTS} parts;
 * <li>parts larger than {@value #IN_MEMORY} bytes go to {@code data/spool} of this bundle (inside
 *     the framework storage, emptied at every start), made mode 0700 at activation and emptied;
 * <li>the servlet gets the parts and the form fields from a {@link SpooledRequest}, and every part
 *     is deleted in {@code finally}.
 * </ul>
 * A body that is not valid multipart is 400, with the parser's reason.
 *
 * <p>A whiteboard filter of the console's servlet context, ranked first. Thread-safe: the parser is
 * made per request.
 */
@Component(service = Filter.class, property = {
        "osgi.http.whiteboard.filter.pattern=/*",
        "osgi.http.whiteboard.context.select=(osgi.http.whiteboard.context.name=org.apache.felix.webconsole)",
        "service.ranking:Integer=1000"})
public final class UploadSpool implements Filter {
    static final int MAX_PARTS = 50;
    static final int IN_MEMORY = 16 * 1024;

    private final long max;
    private final Path folder;
    private final RefusalLog refusals;

    @Activate
    public UploadSpool(BundleContext context, @Reference(service = LoggerFactory.class) Logger log) throws IOException {
        this.max = ConsoleSettings.from(context::getProperty).uploadMax();
        File data = context.getDataFile("spool");
        if (data == null) {
            throw new IOException("the framework gives org.devhost.web no storage to spool uploads in");
        }
        this.folder = privateFolder(data.toPath());
        this.refusals = new RefusalLog(log, System::nanoTime);
    }

    /**
     * Makes {@code dir} a folder only its owner can enter (0700), not a link, and empty: what a
     * crashed host left there goes.
     */
    static Path privateFolder(Path dir) throws IOException {
        privateFolderKeeping(dir);
        try (var left = Files.walk(dir)) {
            for (Path f : left.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (!f.equals(dir)) {
                    Files.deleteIfExists(f); // deepest first; a link is removed, not followed
                }
            }
        }
        return dir;
    }

    /** Makes {@code dir} a folder only its owner can enter (0700), not a link; what is in it stays. */
    static Path privateFolderKeeping(Path dir) throws IOException {
        if (Files.isSymbolicLink(dir) || (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS))) {
            throw new IOException(dir + " is not a folder; the console keeps uploads there: remove it");
        }
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        return dir;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest req = (HttpServletRequest) request;
        String type = req.getContentType();
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/")) {
            chain.doFilter(request, response);
            return;
        }
        List<FileItem> parts = new ArrayList<>();
        try {
            FileUpload upload = new FileUpload(new DiskFileItemFactory(IN_MEMORY, folder.toFile()));
            upload.setSizeMax(max);
            upload.setFileSizeMax(max);
            upload.setFileCountMax(MAX_PARTS);
            upload.setHeaderEncoding(req.getCharacterEncoding() != null ? req.getCharacterEncoding() : "UTF-8");
            // the parser deletes what it spooled when it fails
            upload.parseParameterMap(new Body(req)).values().forEach(parts::addAll);
        } catch (FileUploadBase.SizeLimitExceededException | FileUploadBase.FileSizeLimitExceededException e) {
            ConsoleGuard.refuse(req, (HttpServletResponse) response, RequestRules.tooLarge(req.getContentLengthLong(), max), refusals);
            return;
        } catch (FileCountLimitExceededException e) {
            ConsoleGuard.refuse(req, (HttpServletResponse) response,
                    new RequestRules.Refusal(413, "it has more than " + MAX_PARTS + " parts"), refusals);
            return;
        } catch (FileUploadException e) {
            ConsoleGuard.refuse(req, (HttpServletResponse) response,
                    new RequestRules.Refusal(400, "its multipart body cannot be read: " + e.getMessage()), refusals);
            return;
        }
        try {
            chain.doFilter(new SpooledRequest(req, parts, folder), response);
        } finally {
            for (FileItem part : parts) {
                part.delete();
            }
        }
    }

    /** The request's body as the parser reads it. */
    private static final class Body implements UploadContext {
        private final HttpServletRequest req;

        Body(HttpServletRequest req) {
            this.req = req;
        }

        @Override
        public String getCharacterEncoding() {
            return req.getCharacterEncoding();
        }

        @Override
        public String getContentType() {
            return req.getContentType();
        }

        @Override
        @Deprecated
        public int getContentLength() {
            return req.getContentLength();
        }

        @Override
        public long contentLength() {
            return req.getContentLengthLong();
        }

        @Override
        public InputStream getInputStream() throws IOException {
            return req.getInputStream();
        }
    }
}

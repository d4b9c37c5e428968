package org.devhost.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.fileupload.FileItem;
import org.apache.commons.fileupload.FileItemHeaders;

/**
 * A multipart request whose body {@link UploadSpool} has read already: its parts ({@link
 * #getParts}, {@link #getPart}) and parameters (the query string's, then the form fields') come
 * from what was parsed, so nothing below reads the body again (the HTTP service's own multipart
 * support would, and spool it where it likes). A form field's text is read in the charset its
 * part names, else UTF-8.
 *
 * <p>Used by one request's thread; the parts are deleted by {@link UploadSpool} when it ends.
 */
final class SpooledRequest extends HttpServletRequestWrapper {
    private final List<Part> parts = new ArrayList<>();
    private final Map<String, String[]> parameters;

    SpooledRequest(HttpServletRequest request, List<FileItem> items, Path folder) {
        super(request);
        Map<String, List<String>> values = new LinkedHashMap<>();
        query(request.getQueryString(), values);
        for (FileItem item : items) {
            parts.add(new SpooledPart(item, folder));
            if (item.isFormField()) {
                values.computeIfAbsent(item.getFieldName(), k -> new ArrayList<>()).add(text(item));
            }
        }
        Map<String, String[]> map = new LinkedHashMap<>();
        values.forEach((k, v) -> map.put(k, v.toArray(new String[0])));
        this.parameters = Collections.unmodifiableMap(map);
    }

    private static void query(String query, Map<String, List<String>> into) {
        if (query == null || query.isEmpty()) {
            return;
        }
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            into.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
    }

    private static String text(FileItem item) {
        Charset charset = StandardCharsets.UTF_8;
        String type = item.getContentType();
        int at = type == null ? -1 : type.toLowerCase(java.util.Locale.ROOT).indexOf("charset=");
        if (at >= 0) {
            try {
                charset = Charset.forName(type.substring(at + 8).replace("\"", "").split(";")[0].trim());
            } catch (IllegalArgumentException unknown) {
                charset = StandardCharsets.UTF_8;
            }
        }
        byte[] bytes = item.get(); // null when a spooled field could not be read back
        return bytes == null ? "" : new String(bytes, charset);
    }

    @Override
    public Collection<Part> getParts() {
        return Collections.unmodifiableList(parts);
    }

    @Override
    public Part getPart(String name) {
        return parts.stream().filter(p -> p.getName().equals(name)).findFirst().orElse(null);
    }

    @Override
    public String getParameter(String name) {
        String[] v = parameters.get(name);
        return v == null || v.length == 0 ? null : v[0];
    }

    @Override
    public Map<String, String[]> getParameterMap() {
        return parameters;
    }

    @Override
    public Enumeration<String> getParameterNames() {
        return Collections.enumeration(parameters.keySet());
    }

    @Override
    public String[] getParameterValues(String name) {
        String[] v = parameters.get(name);
        return v == null ? null : v.clone();
    }

    /** One parsed part. {@link #write} takes a name relative to the spool folder, as the servlet API says. */
    private static final class SpooledPart implements Part {
        private final FileItem item;
        private final Path folder;

        SpooledPart(FileItem item, Path folder) {
            this.item = item;
            this.folder = folder;
        }

        @Override
        public InputStream getInputStream() throws IOException {
            return item.getInputStream();
        }

        @Override
        public String getContentType() {
            return item.getContentType();
        }

        @Override
        public String getName() {
            return item.getFieldName();
        }

        @Override
        public String getSubmittedFileName() {
            return item.getName();
        }

        @Override
        public long getSize() {
            return item.getSize();
        }

        @Override
        public void write(String fileName) throws IOException {
            try {
                item.write(folder.resolve(fileName).toFile());
            } catch (IOException e) {
                throw e;
            } catch (Exception e) { // FileItem.write declares Exception
                throw new IOException(e);
            }
        }

        @Override
        public void delete() {
            item.delete();
        }

        @Override
        public String getHeader(String name) {
            FileItemHeaders h = item.getHeaders();
            return h == null ? null : h.getHeader(name);
        }

        @Override
        public Collection<String> getHeaders(String name) {
            return list(item.getHeaders() == null ? null : item.getHeaders().getHeaders(name));
        }

        @Override
        public Collection<String> getHeaderNames() {
            return list(item.getHeaders() == null ? null : item.getHeaders().getHeaderNames());
        }

        private static Collection<String> list(Iterator<String> it) {
            List<String> out = new ArrayList<>();
            while (it != null && it.hasNext()) {
                out.add(it.next());
            }
            return out;
        }
    }
}

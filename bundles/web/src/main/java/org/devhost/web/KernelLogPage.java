package org.devhost.web;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.devhost.kernel.KernLevel;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.LogLine;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The Kernel log page ({@code /system/console/dmesg}): the kernel's ring buffer as {@code dmesg}
 * prints it, live (the script asks for the lines after the last one it has, once a second), with a
 * level filter.
 *
 * <p>{@code GET /system/console/dmesg.json?after=SEQ&level=LEVEL} answers
 * {@code {"first":SEQ|null,"last":SEQ|null,"lines":[{"seq","time","uptime","level","source",
 * "message","text"}]}}: the lines with a sequence number above {@code after} (all when absent),
 * and with {@code level} (emerg .. debug, as {@code dmesg -l} takes them) only that level and the
 * more urgent ones. {@code text} is the dmesg line. {@code first} lets a reader see that the ring
 * was cleared or wrapped past what it had. A read holds every line logged before it (the kernel
 * log's barrier). A bad level is EINVAL.
 *
 * <p>Reads only; thread-safe.
 */
@Component(service = Servlet.class, property = {
        "felix.webconsole.label=dmesg",
        "felix.webconsole.title=Kernel log",
        "felix.webconsole.category=devhost"})
public final class KernelLogPage extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient KernelLog log;

    @Activate
    public KernelLogPage(@Reference KernelLog log) {
        this.log = log;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!Pages.wantsJson(req)) {
            Pages.page(req, resp, "dmesg");
            return;
        }
        try {
            long after = number(req.getParameter("after"));
            String level = req.getParameter("level");
            KernLevel max = level == null || level.isEmpty() || level.equals("all") ? KernLevel.DEBUG : KernLevel.parse(level);
            List<LogLine> all = log.lines();
            List<Map<String, Object>> lines = new ArrayList<>();
            for (LogLine l : all) {
                if (l.sequence() > after && l.level().ordinal() <= max.ordinal()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("seq", l.sequence());
                    row.put("time", l.time().toString());
                    row.put("uptime", l.uptimeNanos() / 1000 / 1e6);
                    row.put("level", l.level().label());
                    row.put("source", l.source());
                    row.put("message", l.message());
                    row.put("text", l.toString());
                    lines.add(row);
                }
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("first", all.isEmpty() ? null : all.get(0).sequence());
            body.put("last", all.isEmpty() ? null : all.get(all.size() - 1).sequence());
            body.put("lines", lines);
            Pages.json(resp, HttpServletResponse.SC_OK, body);
        } catch (KernelException e) {
            Pages.failure(resp, e);
        }
    }

    private static long number(String text) {
        if (text == null || text.isEmpty()) {
            return -1;
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new KernelException(org.devhost.kernel.Errno.EINVAL, "after '" + text + "': not a line number");
        }
    }
}

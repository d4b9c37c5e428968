package org.devhost.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.servlet.whiteboard.Preprocessor;

/**
 * Stands in front of the whole web server: every request, to every console path (devhost's pages
 * and the Felix console's own Bundles, Configuration, Components ... endpoints, its resources, the
 * login itself), first goes through {@link RequestRules}: a wrong {@code Host} is 421, a change
 * that does not come from the console's own pages is 403, a body over the upload limit by its
 * {@code Content-Length} is 413, each answered with a sentence saying why (plain text) and logged
 * in the kernel log ({@link RefusalLog}). What passes goes on unchanged.
 *
 * <p>Why a whiteboard {@link Preprocessor} and not a filter of the console: a preprocessor runs
 * before the servlet context is chosen and before its login ({@code handleSecurity}), so a request
 * under a foreign name learns nothing, not even that a login is asked, an oversized body is
 * refused before anyone reads it, and no console path can be registered around it.
 *
 * <p>Thread-safe: its settings are read once at activation.
 */
@Component(service = Preprocessor.class, property = "service.ranking:Integer=1000")
public final class ConsoleGuard implements Preprocessor {
    private final ConsoleSettings settings;
    private final RefusalLog refusals;

    @Activate
    public ConsoleGuard(BundleContext context, @Reference(service = LoggerFactory.class) Logger log) {
        this.settings = ConsoleSettings.from(context::getProperty);
        this.refusals = new RefusalLog(log, System::nanoTime);
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest req = (HttpServletRequest) request;
        Optional<RequestRules.Refusal> refusal = RequestRules.check(settings, new RequestRules.Request(req.getMethod(),
                req.getRequestURI(), req.getScheme(), req.getHeader("Host"), req.getHeader("Origin"),
                req.getHeader("Sec-Fetch-Site"), req.getHeader(RequestRules.CONSOLE_HEADER), req.getContentLengthLong(),
                req.getLocalPort(), req.getLocalAddr()));
        if (refusal.isPresent()) {
            refuse(req, (HttpServletResponse) response, refusal.get(), refusals);
            return;
        }
        chain.doFilter(request, response);
    }

    /**
     * Answers {@code refusal} (its status, and "devhost refused METHOD PATH: why" as plain text),
     * closes the connection when the request's body is left unread, and logs it.
     */
    static void refuse(HttpServletRequest req, HttpServletResponse resp, RequestRules.Refusal refusal, RefusalLog log)
            throws IOException {
        String what = req.getMethod() + " " + RequestRules.shown(req.getRequestURI());
        String origin = req.getHeader("Origin");
        log.refused("web console refused " + what + " from " + req.getRemoteAddr()
                + (origin != null ? " (Origin " + RequestRules.shown(origin) + ")" : "") + ": " + refusal.why());
        if (resp.isCommitted()) {
            return; // an answer is on its way already; the line above says what happened
        }
        resp.reset();
        resp.setStatus(refusal.status());
        resp.setContentType("text/plain;charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        if (req.getContentLengthLong() != 0) {
            resp.setHeader("Connection", "close"); // the body is not read: the connection cannot carry another request
        }
        byte[] body = ("devhost refused " + what + ": " + refusal.why() + "\n").getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
        resp.flushBuffer();
    }
}

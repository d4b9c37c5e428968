package org.devhost.web;

import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiPredicate;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.felix.webconsole.spi.SecurityProvider;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.servlet.whiteboard.Preprocessor;

/**
 * The console's login: HTTP Basic, checked against the launcher's credentials (a salted PBKDF2
 * hash the launcher holds, given here as a {@code BiPredicate} service with {@code
 * devhost.web.login}: no form of the password is in any property the console's status dump
 * prints), with wrong passwords slowed down per client address ({@link LoginThrottle}: 429 and
 * {@code Retry-After} while an address waits).
 *
 * <p>The console serves nothing until this provider is registered: the launcher sets {@code
 * felix.webconsole.security.providers=devhost}, and the console's own Basic login (ranked lowest,
 * with a password hash that matches no password) is never asked while this one, ranked higher, is
 * there. This provider in turn starts only with {@link ConsoleGuard} and {@link UploadSpool}
 * running, so the console fails closed: without its guards it does not serve at all.
 *
 * <p>Cost: checking a password costs one PBKDF2 derivation (a few hundred ms), so a browser's
 * dozens of requests per page would cost seconds. A login that passed is remembered as an
 * HMAC-SHA-256 of its {@code Authorization} header under a key made at activation (at most
 * {@value #REMEMBERED}, the least recently used forgotten first); the same header again passes at
 * once. Derivations run one at a time, so that a browser's parallel first requests wait for the
 * first one instead of each deriving.
 *
 * <p>Thread-safe: the throttle and the remembered logins have their own locks.
 */
@Component(service = SecurityProvider.class, property = {
        "webconsole.security.provider.id=devhost",
        "service.ranking:Integer=1000"})
public final class ConsoleLogin implements SecurityProvider {
    static final int REMEMBERED = 16;
    private static final String AUTH_TYPE = "org.osgi.service.http.authentication.type";
    private static final String REMOTE_USER = "org.osgi.service.http.authentication.remote.user";

    private final BiPredicate<String, String> credentials;
    private final String realm;
    private final RefusalLog refusals;
    private final LoginThrottle throttle = new LoginThrottle();
    private final SecretKeySpec key;
    private final Object deriving = new Object();
    private final Map<String, Boolean> passed = new LinkedHashMap<>(32, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };

    /**
     * The guard and the upload spool are asked for only so that this login (which the console
     * waits for) is there only when they are: if either cannot start, the console serves nothing
     * instead of serving without them.
     */
    @Activate
    public ConsoleLogin(BundleContext context,
            @Reference(target = "(devhost.web.login=*)") BiPredicate<String, String> credentials,
            @Reference(service = LoggerFactory.class) Logger log,
            @Reference(target = "(component.name=org.devhost.web.ConsoleGuard)") Preprocessor guard,
            @Reference(target = "(component.name=org.devhost.web.UploadSpool)") Filter uploads) {
        this.credentials = credentials;
        String r = context.getProperty("felix.webconsole.realm");
        this.realm = r == null || r.isBlank() ? "devhost" : r.replace("\"", "");
        this.refusals = new RefusalLog(log, System::nanoTime);
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        this.key = new SecretKeySpec(k, "HmacSHA256");
    }

    @Override
    public Object authenticate(HttpServletRequest req, HttpServletResponse resp) {
        String address = req.getRemoteAddr();
        try {
            long wait = throttle.waitMs(address, millis());
            if (wait > 0) {
                tooMany(req, resp, address, wait);
                return null;
            }
            String header = req.getHeader("Authorization");
            if (header == null) {
                challenge(resp); // a browser's first request: not a failure
                return null;
            }
            String[] login = basic(header);
            if (login != null) {
                String mark = mark(header);
                boolean ok = remembered(mark);
                if (!ok) {
                    synchronized (deriving) {
                        ok = remembered(mark) || credentials.test(login[0], login[1]);
                    }
                }
                if (ok) {
                    remember(mark);
                    throttle.passed(address);
                    req.setAttribute(AUTH_TYPE, "BASIC");
                    req.setAttribute(REMOTE_USER, login[0]);
                    return login[0];
                }
            }
            long next = throttle.failed(address, millis());
            refusals.refused("web console: wrong login" + (login != null ? " for user '" + RequestRules.shown(login[0]) + "'" : "")
                    + " from " + address + (next > 0 ? "; that address now waits " + next + " ms before its next try" : ""));
            challenge(resp);
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean authorize(Object user, String role) {
        return user != null; // one user, who may do everything the console offers
    }

    @Override
    public void logout(HttpServletRequest req, HttpServletResponse resp) {
        // HTTP Basic has no session to end: the browser forgets the password when it is closed
    }

    private void challenge(HttpServletResponse resp) throws IOException {
        resp.setHeader("WWW-Authenticate", "Basic realm=\"" + realm + "\", charset=\"UTF-8\"");
        resp.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        resp.setContentLength(0);
        resp.flushBuffer();
    }

    private void tooMany(HttpServletRequest req, HttpServletResponse resp, String address, long waitMs) throws IOException {
        long seconds = (waitMs + 999) / 1000;
        resp.setStatus(429);
        resp.setHeader("Retry-After", Long.toString(seconds));
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentType("text/plain;charset=utf-8");
        byte[] body = ("devhost refused " + req.getMethod() + " " + RequestRules.shown(req.getRequestURI())
                + ": too many wrong passwords in a row from " + address + "; try again in " + seconds
                + " s (each further wrong one doubles the wait, up to " + LoginThrottle.MAX_WAIT_MS / 1000 + " s)\n")
                .getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
        resp.flushBuffer();
    }

    /** User and password of a Basic {@code Authorization} header; null when it is not one. */
    static String[] basic(String header) {
        String h = header.trim();
        int space = h.indexOf(' ');
        if (space < 0 || !h.substring(0, space).equalsIgnoreCase("Basic")) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(h.substring(space + 1).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notBase64) {
            return null;
        }
        int colon = decoded.indexOf(':');
        return colon < 0 ? null : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    }

    private String mark(String header) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return Base64.getEncoder().encodeToString(mac.doFinal(header.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no HmacSHA256", e);
        }
    }

    private boolean remembered(String mark) {
        synchronized (passed) {
            return passed.get(mark) != null;
        }
    }

    private void remember(String mark) {
        synchronized (passed) {
            passed.put(mark, Boolean.TRUE);
        }
    }

    private static long millis() {
        return System.nanoTime() / 1_000_000;
    }
}

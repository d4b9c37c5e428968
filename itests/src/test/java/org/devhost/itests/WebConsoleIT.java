package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console as a person uses it: {@code ./devhost --web} started as the README says, its
 * printed address and generated password read from its output, and the pages driven in a real
 * headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, through Selenium).
 * Skipped, with the reason, where either binary is missing. Each scenario leaves a screenshot in
 * {@code target/screenshots}.
 *
 * <p>One host serves all scenarios, in order (each builds on what the previous left: scull
 * stopped and started again, rust_chrdev unloaded and uploaded). Every wait is for a state on the
 * page, bounded so that a missing state fails with what the host printed.
 *
 * <p>Scenarios 7 to 11 are the console's guards (SECURITY.md): changes only from the console's own
 * pages and only under its own names, over HTTP ({@link RawHttp} where {@code java.net.http} will
 * not send the request) and from a page of another origin open in the logged-in browser ({@link
 * CrossOriginSite}); uploads bounded and never left behind; no hash of the password in the status
 * dump; wrong passwords slowed down (11, because it makes this address wait).
 *
 * <p>Scenarios 12 to 14 come after it (the right password clears the count): the {@code /proc/devices}
 * and {@code /proc/misc} printers checked against the kernel's devices ({@code devices.json}); the
 * sample module {@code faulty} loaded again with {@code fault=oops} and read through devfs until the
 * supervisor restarts it, then its restarts and last failure on the Modules page and in {@code
 * modules.json} (skipped, with the reason, without devfs: {@code --no-shell} leaves no other way to
 * drive a driver); and module parameters checked whichever PID a Configuration save names.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebConsoleIT {
    private static final Path ROOT = Path.of(System.getProperty("devhost.root", "..")).toAbsolutePath().normalize();
    private static final Path BUNDLES = Path.of(System.getProperty("itest.bundles", "target/bundles"));
    private static final Path SHOTS = Path.of(System.getProperty("itest.screenshots", "target/screenshots"));
    private static final Path CHROMIUM = Path.of(System.getProperty("devhost.chromium", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER = Path.of(System.getProperty("webdriver.chrome.driver", "/usr/bin/chromedriver"));
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** The upload limit this host gets ({@code devhost.web.upload.max}): small, so going past it is cheap. */
    private static final int UPLOAD_MAX = 4 << 20;
    /** Failed logins from one address that are answered as usual (401) before the next ones wait (429). */
    private static final int FREE_FAILURES = 5;
    private static final Pattern CONSOLE_LINE = Pattern.compile(
            "devhost: web console at (\\S+)/system/console/devices, user (\\S+), password (\\S+) \\(generated");

    private Path own;
    private Process host;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private Path mount;
    private String base;
    private String user;
    private String password;
    private ChromeDriver driver;
    private String main;
    private WebDriverWait wait;

    @BeforeAll
    void startHostAndBrowser() throws Exception {
        Needs.that(Files.isExecutable(CHROMIUM), CHROMIUM + " is missing: apt-get install -y chromium chromium-driver");
        Needs.that(Files.isExecutable(CHROMEDRIVER), CHROMEDRIVER + " is missing: apt-get install -y chromium chromium-driver");
        Files.createDirectories(SHOTS);
        own = Files.createTempDirectory("devhost-webconsole-it");
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("devhost").toString(), "--web", "--no-shell",
                "devhost.web.port=" + freePort(), "devhost.web.upload.max=" + UPLOAD_MAX,
                "org.osgi.framework.storage=" + own.resolve("cache"),
                "devhost.deploy=" + own.resolve("deploy"), "devhost.conf=" + own.resolve("conf")));
        if (devfsUsable()) {
            mount = Path.of("/tmp/devhost-itest-web-" + ProcessHandle.current().pid() + "-" + System.nanoTime(), "dev");
            cmd.addAll(List.of("devhost.devfs=on", "devhost.devfs.mount=" + mount));
        } else {
            cmd.add("devhost.devfs=off");
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("DEVHOST_NO_BUILD", "1"); // the reactor built it already
        host = pb.start();
        Drain.of(host.getInputStream(), new java.io.OutputStream() {
            @Override
            public void write(int b) {
                synchronized (out) {
                    out.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (out) {
                    out.write(b, off, len);
                }
            }
        });
        Matcher m = awaitOutput(CONSOLE_LINE);
        base = m.group(1);
        user = m.group(2);
        password = m.group(3);
        if (mount != null) {
            awaitOutput(Pattern.compile(Pattern.quote("devices are files under " + mount)));
        }

        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--user-data-dir=" + Files.createDirectories(own.resolve("chromium-profile")));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        // Selenium also opens a DevTools connection, which this suite does not use; on JDK 25 that
        // opening never answers and waits out the read timeout (180 s by default): 30 s bound it.
        driver = new ChromeDriver(service, options,
                org.openqa.selenium.remote.http.ClientConfig.defaultConfig().readTimeout(java.time.Duration.ofSeconds(30)));
        wait = new WebDriverWait(driver, WAIT);
        // the pages redraw their tables every few seconds: a row found a moment ago may be gone, try again
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        main = driver.getWindowHandle();
        authorize();
    }

    /** Each scenario starts in the main tab, whatever the one before left open. */
    @BeforeEach
    void backToTheMainTab() {
        for (String w : driver.getWindowHandles()) {
            if (!w.equals(main)) {
                driver.switchTo().window(w).close();
            }
        }
        driver.switchTo().window(main);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (driver != null) {
                driver.quit();
            }
        } finally {
            if (host != null) {
                host.destroy(); // SIGTERM: the framework stops, devfs unmounts
                if (!host.waitFor(60, TimeUnit.SECONDS)) {
                    host.destroyForcibly();
                }
            }
            if (mount != null) {
                new ProcessBuilder("sh", "-c", "umount -l " + mount + " 2>/dev/null; rm -rf " + mount.getParent())
                        .start().waitFor(30, TimeUnit.SECONDS);
            }
            if (own != null && (host == null || !host.isAlive())) {
                // the host's storage, deploy and conf folders, and the browser profile: this run's alone
                new ProcessBuilder("rm", "-rf", own.toString()).start().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    // ---- 1. without credentials: 401

    @Test
    @Order(1)
    void withoutCredentialsEveryPageAndEndpointIs401() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String path : List.of("/system/console/devices", "/system/console/devices.json", "/system/console/modules.json",
                "/system/console/dmesg.json", "/system/console/bundles")) {
            HttpResponse<String> plain = http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, plain.statusCode(), path);
            assertTrue(plain.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"), path);
        }
        // the console's built-in admin/admin is not a way in, nor a wrong password (two failures
        // only: more in a row are slowed down, scenario 11)
        for (String login : List.of("admin:admin", user + ":wrong" + password)) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/system/console/devices.json"))
                    .header("Authorization", basic(login)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, r.statusCode(), "as " + login);
        }
        HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(base + "/system/console/devices.json"))
                .header("Authorization", basic(user + ":" + password)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode());

        // the browser, in a tab that has no credentials: no console page at all, only the refusal
        // (headless Chromium shows an empty page for a 401 it has no dialog for; the caption written
        // into it for the screenshot is what the test's own request got)
        driver.switchTo().newWindow(WindowType.TAB);
        driver.get(base + "/system/console/devices");
        // what the browser itself got for the page (Navigation Timing's status of the document)
        assertEquals(401L, ((JavascriptExecutor) driver).executeScript(
                "return performance.getEntriesByType('navigation')[0].responseStatus;"), driver.getPageSource());
        assertTrue(driver.findElements(By.id("devices-table")).isEmpty(), driver.getPageSource());
        assertFalse(driver.getPageSource().contains("Web Console"), driver.getPageSource());
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(base + "/system/console/devices")).build(),
                HttpResponse.BodyHandlers.ofString());
        ((JavascriptExecutor) driver).executeScript("document.body.textContent = arguments[0];",
                "This tab sends no credentials and gets no page: GET /system/console/devices answers HTTP "
                        + refused.statusCode() + ", WWW-Authenticate: " + refused.headers().firstValue("WWW-Authenticate").orElse("none"));
        shot("1-without-credentials");
    }

    /**
     * From here on the current tab sends the printed credentials with every request, as a person
     * who typed them into the login dialog would (headless Chromium has no dialog). Per tab: a
     * new tab needs it again.
     */
    private void authorize() {
        driver.executeCdpCommand("Network.enable", Map.of());
        driver.executeCdpCommand("Network.setExtraHTTPHeaders",
                Map.of("headers", Map.of("Authorization", basic(user + ":" + password))));
    }

    // ---- 2. the Devices page lists rust_chrdev0 on 254:0 and the misc devices

    @Test
    @Order(2)
    void devicesPageListsTheChrdevAndTheMiscDevices() throws Exception {
        driver.get(base + "/system/console/devices");
        assertEquals("char", cellOf("rust_chrdev0", 1));
        assertEquals("crw-------", cellOf("rust_chrdev0", 2));
        assertEquals("254:0", cellOf("rust_chrdev0", 3));
        assertEquals("rust_chrdev", cellOf("rust_chrdev0", 4));
        for (String misc : List.of("rust_miscdev", "rust_random", "rust_semaphore")) {
            assertEquals("misc", cellOf(misc, 1), misc);
            String number = cellOf(misc, 3);
            assertTrue(number.startsWith("10:"), misc + " is on " + number);
        }
        if (mount != null) {
            assertEquals(mount + "/rust_chrdev0", cellOf("rust_chrdev0", 7));
        }
        // the filter narrows the rows to the matching devices: exactly those, none of the others
        // (an empty table would satisfy "every row matches", so the expected rows are named)
        driver.findElement(By.id("devices-filter")).sendKeys("rust_");
        List<String> rust = List.of("rust_chrdev0", "rust_chrdev1", "rust_miscdev", "rust_random", "rust_semaphore");
        wait.until(d -> shownDevices().stream().sorted().collect(java.util.stream.Collectors.toList()).equals(rust));
        assertTrue(driver.findElements(By.cssSelector("tr[data-device='scull0']")).isEmpty());
        // by number too (major:minor, as the placeholder says)
        driver.findElement(By.id("devices-filter")).clear();
        driver.findElement(By.id("devices-filter")).sendKeys("254:1");
        wait.until(d -> shownDevices().equals(List.of("rust_chrdev1")));
        shot("2-devices");
        driver.findElement(By.id("devices-filter")).clear();
    }

    /**
     * The devices the table shows now, read in one script: the page re-renders its rows every few
     * seconds, so rows found one call earlier may be gone.
     */
    @SuppressWarnings("unchecked")
    private List<String> shownDevices() {
        return (List<String>) ((JavascriptExecutor) driver).executeScript(
                "return Array.from(document.querySelectorAll('#devices-table tbody tr')).map(r => r.getAttribute('data-device'));");
    }

    // ---- 3. stop scull from the Bundles page: scull0 goes from the Devices page without a reload

    @Test
    @Order(3)
    void stoppingScullOnTheBundlesPageTakesScull0OffTheDevicesPageLive() throws Exception {
        driver.get(base + "/system/console/devices");
        awaitRow("scull0");
        String devices = driver.getWindowHandle();
        // a mark that a reload would wipe: the page must change by itself
        ((JavascriptExecutor) driver).executeScript("window.devhostNotReloaded = true;");

        driver.switchTo().newWindow(WindowType.TAB);
        authorize();
        String bundles = driver.getWindowHandle();
        driver.get(base + "/system/console/bundles");
        bundleAction("org.devhost.drivers.scull", "Stop");
        awaitBundleState("org.devhost.drivers.scull", "Resolved");
        shot("3a-bundles-scull-stopped");

        driver.switchTo().window(devices);
        wait.until(d -> d.findElements(By.cssSelector("tr[data-device='scull0']")).isEmpty());
        assertEquals(Boolean.TRUE, ((JavascriptExecutor) driver).executeScript("return window.devhostNotReloaded === true;"));
        shot("3b-devices-without-scull");

        driver.switchTo().window(bundles);
        bundleAction("org.devhost.drivers.scull", "Start");
        awaitBundleState("org.devhost.drivers.scull", "Active");

        driver.switchTo().window(devices);
        awaitRow("scull0");
        assertEquals(Boolean.TRUE, ((JavascriptExecutor) driver).executeScript("return window.devhostNotReloaded === true;"));
        shot("3c-devices-scull-back");

    }

    // ---- 4. upload a driver jar through Modules; unload while a file is open: EBUSY on the page

    @Test
    @Order(4)
    void uploadADriverThenUnloadingItWhileOpenIsRefusedWithEbusy() throws Exception {
        Path jar = BUNDLES.resolve("org.devhost.drivers.rust_chrdev.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), jar + " (copied by the build)");
        driver.get(base + "/system/console/modules");
        // rust_chrdev runs from the start: unload it here first (nothing has it open)
        unloadOnPage("rust_chrdev", false);
        awaitMessage(true, "rust_chrdev: unloaded");
        wait.until(d -> d.findElements(By.cssSelector("tr[data-module='rust_chrdev']")).isEmpty());

        driver.findElement(By.id("modules-jar")).sendKeys(jar.toString());
        driver.findElement(By.id("modules-load-button")).click();
        WebElement loaded = awaitMessage(true, "rust_chrdev: loaded (bundle ");
        assertTrue(loaded.getText().contains("rust_chrdev0"), loaded.getText());
        // read in one script: the page redraws its rows every two seconds
        wait.until(d -> "live".equals(moduleStateOnPage("rust_chrdev")));
        shot("4a-modules-loaded");

        driver.get(base + "/system/console/devices");
        assertEquals("254:0", cellOf("rust_chrdev0", 3));

        assumeTrue(mount != null, "unloading while a file is open needs devfs (/dev/fuse, as root) to hold the file open");
        Path file = mount.resolve("rust_chrdev0");
        wait.until(d -> Files.exists(file));
        try (RandomAccessFile open = new RandomAccessFile(file.toFile(), "r")) {
            driver.get(base + "/system/console/modules");
            wait.until(d -> d.findElement(By.cssSelector("tr[data-module='rust_chrdev']")).getText().contains("1 open file"));
            unloadOnPage("rust_chrdev", false);
            WebElement refused = awaitMessage(false, "in use");
            assertEquals("EBUSY", refused.getAttribute("data-errno"));
            assertTrue(refused.getText().startsWith("EBUSY: "), refused.getText());
            shot("4b-modules-unload-ebusy");
            // refused means nothing happened: the module and its device are still there
            assertEquals("live", moduleStateOnPage("rust_chrdev"));
            assertTrue(Files.exists(file));
        }
        // closed: now the same click unloads it, and its devices go
        wait.until(d -> !d.findElement(By.cssSelector("tr[data-module='rust_chrdev']")).getText().contains("open file"));
        unloadOnPage("rust_chrdev", false);
        awaitMessage(true, "rust_chrdev: unloaded");
        driver.findElement(By.id("modules-jar")).sendKeys(jar.toString());
        driver.findElement(By.id("modules-load-button")).click();
        awaitMessage(true, "rust_chrdev: loaded (bundle ");
    }

    // ---- 5. the Kernel log page shows the driver's init line

    @Test
    @Order(5)
    void kernelLogPageShowsTheDriversInitLine() throws Exception {
        driver.get(base + "/system/console/dmesg");
        By init = By.xpath("//div[@data-source='rust_chrdev' and contains(., 'Rust character device sample (init)')]");
        // one from the boot, and one more from the jar uploaded in scenario 4
        wait.until(d -> d.findElements(init).size() >= 2);
        assertEquals("info", driver.findElement(init).getAttribute("data-level"));
        shot("5a-kernel-log");
        // the level filter: at err and above the info line goes, rust_print's error line stays
        new Select(driver.findElement(By.id("dmesg-level"))).selectByValue("err");
        wait.until(d -> d.findElements(init).isEmpty()
                && !d.findElements(By.xpath("//div[@data-source='rust_print' and @data-level='err']")).isEmpty());
        assertTrue(driver.findElements(By.cssSelector(".dmesg-line")).stream()
                .allMatch(l -> List.of("emerg", "alert", "crit", "err").contains(l.getAttribute("data-level"))));
        shot("5b-kernel-log-err");
    }

    // ---- 6. a bad module parameter on the Configuration page: the error shows, the old value stays

    @Test
    @Order(6)
    void aBadParameterOnTheConfigurationPageIsRefusedAndTheModuleKeepsItsValue() throws Exception {
        String before = parameter("rust_module_parameters", "my_i32");
        saveParameter("my_i32", "abc");
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.xpath("//div[contains(@class,'ui-dialog') and contains(., 'EINVAL')]")));
        assertTrue(error.getText().contains("my_i32"), error.getText());
        shot("6a-configuration-einval");
        assertEquals(before, parameter("rust_module_parameters", "my_i32"));
        assertEquals("live", moduleState("rust_module_parameters"));

        // a good value goes through the same page and reaches the running module
        String good = before.equals("43") ? "44" : "43";
        saveParameter("my_i32", good);
        wait.until(d -> {
            try {
                return parameter("rust_module_parameters", "my_i32").equals(good);
            } catch (Exception e) {
                return false;
            }
        });
        driver.get(base + "/system/console/modules");
        wait.until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("tr[data-module='rust_module_parameters'] [data-parameter='my_i32'][data-value='" + good + "']")));
        shot("6b-modules-parameter-changed");
    }

    // ---- 7. a state-changing request must come from the console's own pages: Origin, Host, header

    @Test
    @Order(7)
    void aChangeFromAnotherOriginHostOrWithoutTheConsolesHeaderIsRefused() throws Exception {
        String unload = "action=unload&module=rust_minimal&force=true";
        // a page of another site (its browser names it in Origin): 403 with the reason, nothing unloaded
        HttpResponse<String> evil = post("/system/console/modules", form(unload),
                Map.of("Origin", "http://evil.example", "X-Devhost-Console", "1"));
        assertEquals(403, evil.statusCode(), evil.body());
        assertTrue(evil.body().contains("http://evil.example"), evil.body());
        assertEquals("live", moduleState("rust_minimal"));
        // another port of this machine is another origin too
        HttpResponse<String> port = post("/system/console/modules", form(unload),
                Map.of("Origin", "http://127.0.0.1:1", "X-Devhost-Console", "1"));
        assertEquals(403, port.statusCode(), port.body());
        // the browser's own word that another site sent it, without an Origin
        HttpResponse<String> crossSite = post("/system/console/modules", form(unload),
                Map.of("Sec-Fetch-Site", "cross-site", "X-Devhost-Console", "1"));
        assertEquals(403, crossSite.statusCode(), crossSite.body());
        // this origin, but not from the console's pages: no X-Devhost-Console header, no Sec-Fetch-Site
        HttpResponse<String> bare = post("/system/console/modules", form(unload), Map.of("Origin", base));
        assertEquals(403, bare.statusCode(), bare.body());
        assertTrue(bare.body().contains("X-Devhost-Console"), bare.body());
        // a client that says nothing of where it comes from (curl as it was documented)
        HttpResponse<String> silent = post("/system/console/modules", form(unload), Map.of("X-Devhost-Console", "1"));
        assertEquals(403, silent.statusCode(), silent.body());
        assertEquals("live", moduleState("rust_minimal"));
        // the console's own endpoints too, not only devhost's pages: stopping scull on the Bundles endpoint
        HttpResponse<String> stop = post("/system/console/bundles/" + bundleId("org.devhost.drivers.scull"),
                form("action=stop"), Map.of("Origin", "http://evil.example"));
        assertEquals(403, stop.statusCode(), stop.body());
        assertTrue(get("/system/console/devices.json").contains("\"scull0\""), "scull was stopped");

        // DNS rebinding: a name that is not the console's, with and without credentials, reading too
        int p = URI.create(base).getPort();
        for (String auth : List.of("", "\r\nAuthorization: " + basic(user + ":" + password))) {
            RawHttp.Answer rebound = RawHttp.send(p, "GET /system/console/devices.json HTTP/1.1\r\nHost: evil.example:" + p + auth, null);
            assertEquals(421, rebound.status(), rebound.text());
            assertTrue(rebound.text().contains("evil.example"), rebound.text());
            assertFalse(rebound.text().contains("rust_chrdev0"), rebound.text());
        }
        RawHttp.Answer reboundPost = RawHttp.send(p, "POST /system/console/modules HTTP/1.1\r\nHost: evil.example:" + p
                + "\r\nOrigin: http://evil.example:" + p + "\r\nX-Devhost-Console: 1\r\nAuthorization: " + basic(user + ":" + password)
                + "\r\nContent-Type: application/x-www-form-urlencoded",
                new java.io.ByteArrayInputStream(unload.getBytes(StandardCharsets.UTF_8)), unload.length());
        assertEquals(421, reboundPost.status(), reboundPost.text());
        assertEquals("live", moduleState("rust_minimal"));
        // the loopback names are the console's own
        for (String host : List.of("localhost:" + p, "127.0.0.1:" + p, "[::1]:" + p)) {
            RawHttp.Answer named = RawHttp.send(p, "GET /system/console/devices.json HTTP/1.1\r\nHost: " + host
                    + "\r\nAuthorization: " + basic(user + ":" + password), null);
            assertEquals(200, named.status(), host + ": " + named.text());
        }

        // the legitimate path: this origin and the header, as the Modules page sends them
        HttpResponse<String> ok = post("/system/console/modules", form(unload), consoleHeaders());
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("absent", moduleState("rust_minimal"));
        HttpResponse<String> back = post("/system/console/modules",
                multipart("load", "org.devhost.drivers.rust_minimal.jar", Files.readAllBytes(BUNDLES.resolve("org.devhost.drivers.rust_minimal.jar"))),
                consoleHeaders());
        assertEquals(200, back.statusCode(), back.body());
        assertEquals("live", moduleState("rust_minimal"));
    }

    // ---- 8. uploads: bounded before they are read, spooled in a private folder, never left behind

    @Test
    @Order(8)
    void anUploadOverTheLimitIsRefusedWith413AndNoUploadLeavesAFile() throws Exception {
        List<Path> before = uploadFiles();
        // too large by its Content-Length: refused before a byte of it is read
        int p = URI.create(base).getPort();
        String head = "POST /system/console/modules HTTP/1.1\r\nHost: 127.0.0.1:" + p + "\r\nOrigin: " + base
                + "\r\nX-Devhost-Console: 1\r\nAuthorization: " + basic(user + ":" + password);
        Multipart big = multipart("load", "big.jar", new byte[UPLOAD_MAX + 1]);
        RawHttp.Answer refused = RawHttp.send(p, head + "\r\nContent-Type: " + big.type(),
                new java.io.ByteArrayInputStream(big.body()), big.body().length);
        assertEquals(413, refused.status(), refused.text());
        assertTrue(refused.text().contains(Integer.toString(UPLOAD_MAX)), refused.text());
        assertEquals(before, uploadFiles());

        // chunked, so no length is known in advance: refused once it goes past the limit
        Multipart chunked = multipart("load", "big.jar", new byte[UPLOAD_MAX + (256 << 10)]);
        RawHttp.Answer streamed = RawHttp.send(p, head + "\r\nContent-Type: " + chunked.type(),
                new java.io.ByteArrayInputStream(chunked.body()));
        assertEquals(413, streamed.status(), streamed.text());
        assertEquals(before, uploadFiles());

        // a normal upload leaves nothing spooled, and the spool folder is the host user's alone (0700)
        Path spool = spoolFolder();
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(spool)), spool.toString());
        HttpResponse<String> unloaded = post("/system/console/modules", form("action=unload&module=rust_minimal"), consoleHeaders());
        assertEquals(200, unloaded.statusCode(), unloaded.body());
        HttpResponse<String> loaded = post("/system/console/modules",
                multipart("load", "org.devhost.drivers.rust_minimal.jar", Files.readAllBytes(BUNDLES.resolve("org.devhost.drivers.rust_minimal.jar"))),
                consoleHeaders());
        assertEquals(200, loaded.statusCode(), loaded.body());
        // what stays is the jar kept as the module's location (data/uploads), nothing spooled
        List<Path> after = uploadFiles();
        after.removeAll(before);
        assertEquals(1, after.size(), after.toString());
        assertTrue(after.get(0).getParent().endsWith("data/uploads")
                && after.get(0).getFileName().toString().endsWith("-org.devhost.drivers.rust_minimal.jar"), after.toString());
    }

    // ---- 9. a page of another origin, open in the logged-in browser, can change nothing

    @Test
    @Order(9)
    void aPageOfAnotherOriginOpenInTheLoggedInBrowserCannotUploadOrUnload() throws Exception {
        assertEquals("live", moduleState("rust_minimal"));
        assertEquals("absent", moduleState("chrdev_activator"));
        byte[] jar = Files.readAllBytes(BUNDLES.resolve("org.devhost.drivers.chrdev_activator.jar"));
        String answer;
        String origin;
        // this tab sends the console's credentials with every request, as a logged-in browser does
        try (CrossOriginSite site = new CrossOriginSite(base + "/system/console/modules", jar, "rust_minimal")) {
            origin = site.origin();
            driver.get(site.url());
            wait.until(d -> ((JavascriptExecutor) d).executeScript("return window.uploadSent || null;") != null);
            // what the form post got, in the page's iframe (the console's answer; the page itself cannot read it)
            answer = wait.until(d -> {
                d.switchTo().defaultContent();
                d.switchTo().frame("sink");
                String text = d.findElement(By.tagName("body")).getText();
                d.switchTo().defaultContent();
                return text.isBlank() ? null : text;
            });
            shot("9-cross-origin-page");
        }
        // nothing happened: the module is still loaded, the jar was not installed
        assertEquals("rust_minimal live, chrdev_activator absent",
                "rust_minimal " + moduleState("rust_minimal") + ", chrdev_activator " + moduleState("chrdev_activator"),
                "the form got: " + answer);
        assertTrue(answer.contains("refused") && answer.contains(origin), answer);
        // and the kernel log says why, for the upload and for the form
        String dmesg = get("/system/console/dmesg.json");
        Matcher refusals = Pattern.compile("\"source\":\"org.devhost.web\"[^}]*refused POST /system/console/modules[^}]*"
                + Pattern.quote(origin)).matcher(dmesg);
        int seen = 0;
        while (refusals.find()) {
            seen++;
        }
        assertTrue(seen >= 2, "two refusals logged from " + origin + ": " + dmesg);
    }

    // ---- 10. the console's status dump holds neither the password nor its unsalted hash

    @Test
    @Order(10)
    void theStatusDumpHoldsNoHashOfThePassword() throws Exception {
        byte[] sha = java.security.MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
        List<String> forms = List.of(password, Base64.getEncoder().encodeToString(sha), java.util.HexFormat.of().formatHex(sha));
        for (String page : List.of("Framework%20Properties", "System%20Properties", "Services", "Configurations")) {
            String dump = get("/system/console/status-" + page + ".txt");
            assertTrue(dump.length() > 100, page + ": " + dump);
            for (String secret : forms) {
                assertFalse(dump.contains(secret), page + " shows " + secret);
            }
        }
    }

    // ---- 11. wrong passwords in a row are slowed down: 429 for a growing delay, the right one too

    @Test
    @Order(11)
    void wrongPasswordsInARowAreAnsweredWith429ForAGrowingDelay() throws Exception {
        String wrong = basic(user + ":not-" + password);
        for (int i = 1; i <= FREE_FAILURES; i++) {
            assertEquals(401, devicesJsonAs(wrong).statusCode(), "failure " + i);
        }
        HttpResponse<String> first = devicesJsonAs(wrong);
        assertEquals(429, first.statusCode(), first.body());
        assertTrue(first.body().contains("too many"), first.body());
        long firstDelay = Long.parseLong(first.headers().firstValue("Retry-After").orElseThrow());
        // once the delay is over one more try is let through, and its failure doubles the delay
        HttpResponse<String> next = awaitNot429(wrong);
        assertEquals(401, next.statusCode(), next.body());
        HttpResponse<String> second = devicesJsonAs(wrong);
        assertEquals(429, second.statusCode(), second.body());
        long secondDelay = Long.parseLong(second.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(secondDelay > firstDelay, firstDelay + " s, then " + secondDelay + " s");
        // while it lasts the right password waits too (else the answer would tell a right guess)
        assertEquals(429, devicesJsonAs(basic(user + ":" + password)).statusCode());
        // after it, the right password is let in, and that clears the count
        assertEquals(200, awaitNot429(basic(user + ":" + password)).statusCode());
        assertEquals(401, devicesJsonAs(wrong).statusCode());
        assertEquals(200, devicesJsonAs(basic(user + ":" + password)).statusCode());
    }

    private HttpResponse<String> devicesJsonAs(String authorization) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/system/console/devices.json"))
                .timeout(WAIT).header("Authorization", authorization).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Asks until the answer is no longer 429 (bounded: the longest delay is a minute). */
    private HttpResponse<String> awaitNot429(String authorization) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            HttpResponse<String> r = devicesJsonAs(authorization);
            if (r.statusCode() != 429) {
                return r;
            }
            assertTrue(System.nanoTime() < end, "still 429 after 90 s: " + r.body());
            Thread.sleep(100);
        }
    }

    // ---- 12. /proc/devices and /proc/misc in the Status page's printers: what the kernel has

    @Test
    @Order(12)
    void procDevicesAndProcMiscPrintersListWhatTheKernelHas() throws Exception {
        String devices = get("/system/console/devices.json");
        Matcher chrdev = Pattern.compile("\"name\":\"rust_chrdev0\"[^}]*?\"major\":(\\d+)").matcher(devices);
        assertTrue(chrdev.find(), devices);
        int major = Integer.parseInt(chrdev.group(1));

        // /proc/devices: Linux's layout, "%3d %s" per region: mem's 1, misc's 10, rust_chrdev's major
        String text = get("/system/console/status-devhost-proc-devices.txt");
        List<String> lines = text.lines().toList();
        assertTrue(lines.contains("Character devices:"), text);
        for (String line : List.of("  1 mem", " 10 misc", String.format("%3d %s", major, "rust_chrdev"))) {
            assertTrue(lines.contains(line), "'" + line + "' in\n" + text);
        }
        String json = get("/system/console/status-devhost-proc-devices.json");
        for (String region : List.of("\"major\":1,\"name\":\"mem\"", "\"major\":10,\"name\":\"misc\"",
                "\"major\":" + major + ",\"name\":\"rust_chrdev\"")) {
            assertTrue(json.contains(region), region + " in " + json);
        }

        // /proc/misc: each misc device the kernel has, by its minor and name ("%3d %s"), nothing else
        Matcher misc = Pattern.compile("\"name\":\"([^\"]+)\",\"type\":\"misc\"[^}]*?\"minor\":(\\d+)").matcher(devices);
        Map<String, Integer> minors = new java.util.TreeMap<>();
        while (misc.find()) {
            minors.put(misc.group(1), Integer.parseInt(misc.group(2)));
        }
        assertTrue(minors.keySet().containsAll(List.of("rust_miscdev", "rust_random", "rust_semaphore")), devices);
        String miscText = get("/system/console/status-devhost-proc-misc.txt");
        List<String> miscLines = miscText.lines().toList();
        String miscJson = get("/system/console/status-devhost-proc-misc.json");
        for (Map.Entry<String, Integer> d : minors.entrySet()) {
            String line = String.format("%3d %s", d.getValue(), d.getKey());
            assertTrue(miscLines.contains(line), "'" + line + "' in\n" + miscText);
            String entry = "\"minor\":" + d.getValue() + ",\"name\":\"" + d.getKey() + "\"";
            assertTrue(miscJson.contains(entry), entry + " in " + miscJson);
        }
        assertFalse(miscText.contains("rust_chrdev"), miscText);
        assertFalse(miscJson.contains("rust_chrdev"), miscJson);
    }

    // ---- 13. a module that crashes is restarted: restarts, stuck threads, last failure on the page

    @Test
    @Order(13)
    void aCrashingModuleIsRestartedAndTheModulesPageShowsItsRestartsAndLastFailure() throws Exception {
        // faulty as the distribution boots it (fault=none): supervised, never restarted, no failure
        assertEquals("live true 0 0 null", supervision("faulty"));

        // loaded again with fault=oops, as the Modules page's form sends it
        HttpResponse<String> unloaded = post("/system/console/modules", form("action=unload&module=faulty"), consoleHeaders());
        assertEquals(200, unloaded.statusCode(), unloaded.body());
        HttpResponse<String> loaded = post("/system/console/modules", multipart(Map.of("action", "load", "parameters", "fault=oops"),
                "org.devhost.drivers.faulty.jar", Files.readAllBytes(BUNDLES.resolve("org.devhost.drivers.faulty.jar"))), consoleHeaders());
        assertEquals(200, loaded.statusCode(), loaded.body());
        assertEquals("oops", parameter("faulty", "fault"));
        assertEquals("live true 0 0 null", supervision("faulty"));

        if (mount == null) {
            System.out.println("WebConsoleIT: restarts not checked: making faulty crash needs its device read through devfs"
                    + " (/dev/fuse, as root), and --no-shell leaves no other way in");
        }
        assumeTrue(mount != null, "making faulty crash needs devfs (/dev/fuse, as root) to read its device");
        Path file = mount.resolve("faulty");
        wait.until(d -> Files.exists(file));
        // each read overflows the driver's buffer: EIO to the reader, a fault to the supervisor;
        // the fifth in the window (the default policy) makes it restart the module
        for (int i = 1; i <= 5; i++) {
            try (var in = Files.newInputStream(file)) {
                int n = in.read(new byte[4]);
                throw new AssertionError("read " + i + " of faulty (fault=oops) gave " + n + " bytes, not EIO");
            } catch (IOException e) {
                assertTrue(String.valueOf(e.getMessage()).contains("Input/output error"), "read " + i + ": " + e);
            }
        }
        long end = System.nanoTime() + WAIT.toNanos();
        String now = supervision("faulty");
        while (!now.startsWith("live true 1 0 ")) {
            assertTrue(System.nanoTime() < end, "faulty not restarted once after 5 faults: " + now + "\n" + output());
            Thread.sleep(100);
            now = supervision("faulty");
        }
        assertTrue(now.startsWith("live true 1 0 \"faults: 5 faults within "), now);
        assertTrue(now.contains("read threw ArrayIndexOutOfBoundsException"), now);

        // the Modules page's row says the same: 1 restart, the last failure's kind and reason
        driver.get(base + "/system/console/modules");
        By supervisor = By.xpath("//tr[@data-module='faulty']/td[contains(., 'last failure')]");
        WebElement cell = wait.until(ExpectedConditions.presenceOfElementLocated(supervisor));
        assertTrue(cell.getText().startsWith("1; last failure faults: 5 faults within "), cell.getText());
        assertTrue(cell.getText().contains("read threw ArrayIndexOutOfBoundsException"), cell.getText());
        shot("13-modules-faulty-restarted");

        // back to how the distribution boots it
        assertEquals(200, post("/system/console/modules", form("action=unload&module=faulty"), consoleHeaders()).statusCode());
        assertEquals(200, post("/system/console/modules", multipart("load", "org.devhost.drivers.faulty.jar",
                Files.readAllBytes(BUNDLES.resolve("org.devhost.drivers.faulty.jar"))), consoleHeaders()).statusCode());
    }

    /**
     * A module's supervision fields in {@code modules.json}, in one line: state, supervised,
     * restarts, stuckThreads and lastFailure (JSON: null or a string).
     */
    private String supervision(String module) throws Exception {
        String json = get("/system/console/modules.json");
        Matcher m = Pattern.compile("\"name\":\"" + Pattern.quote(module) + "\",\"state\":\"(\\w+)\",\"supervised\":(\\w+),"
                + "\"restarts\":(\\d+),\"stuckThreads\":(\\d+),\"lastFailure\":(null|\"(?:[^\"\\\\]|\\\\.)*\")").matcher(json);
        assertTrue(m.find(), module + " with its supervision fields in " + json);
        return m.group(1) + " " + m.group(2) + " " + m.group(3) + " " + m.group(4) + " " + m.group(5);
    }

    // ---- 14. module parameters are checked whatever PID the request names, and where

    @Test
    @Order(14)
    void aParameterChangeNamingTheModuleOnlyInItsPidFieldIsCheckedToo() throws Exception {
        String before = parameters("rust_module_parameters");
        StringBuilder twelve = new StringBuilder();
        for (int i = 1; i <= 12; i++) {
            twelve.append("&my_array=").append(i);
        }
        // the configMgr plugin reads the PID from the pid field before the URL path: a save posted
        // to another path must meet the same checks as one posted to the module's own
        for (String change : List.of(
                "propertylist=my_array" + twelve, // 12 items, and read-only while the module is loaded
                "propertylist=my_bool&my_bool=false", // read-only while the module is loaded
                "propertylist=my_i32&my_i32=abc", // not an int
                "propertylist=my_i32&my_i32=%3Cb%3Eabc%3C%2Fb%3E")) { // quoted in the answer, never as markup
            for (String path : List.of("/system/console/configMgr/x", "/system/console/configMgr/rust_module_parameters")) {
                HttpResponse<String> r = post(path,
                        form("apply=true&action=ajaxConfigManager&pid=rust_module_parameters&" + change), consoleHeaders());
                assertEquals(400, r.statusCode(), path + " " + change + ": " + r.body());
                assertTrue(r.body().contains("rust_module_parameters: "), r.body());
                assertFalse(r.body().contains("<b>"), r.body());
                if (change.contains("%3Cb%3E")) {
                    // shown as typed in the page's dialog: escaped once, not twice
                    assertTrue(r.body().contains("&lt;b&gt;abc&lt;/b&gt;") && !r.body().contains("&amp;lt;"), r.body());
                }
                assertEquals(before, parameters("rust_module_parameters"), "after " + path + " " + change);
            }
        }
        // nor as a factory configuration of the module's PID (Declarative Services would start
        // another instance of the module with it)
        HttpResponse<String> factory = post("/system/console/configMgr/x", form("apply=true&action=ajaxConfigManager"
                + "&factoryPid=rust_module_parameters&pid=%5BTemporary+PID+replaced+by+real+PID+upon+save%5D"
                + "&propertylist=my_i32&my_i32=abc"), consoleHeaders());
        assertEquals(400, factory.statusCode(), factory.body());
        assertFalse(get("/system/console/status-Configurations.txt").contains("rust_module_parameters~"));
        assertEquals(before, parameters("rust_module_parameters"));
        assertEquals("live", moduleState("rust_module_parameters"));

        // a good value through the page still reaches the running module
        String good = parameter("rust_module_parameters", "my_i32").equals("45") ? "46" : "45";
        saveParameter("my_i32", good);
        long end = System.nanoTime() + WAIT.toNanos();
        while (!parameter("rust_module_parameters", "my_i32").equals(good)) {
            assertTrue(System.nanoTime() < end, "my_i32 is not " + good + ": " + parameters("rust_module_parameters"));
            Thread.sleep(100);
        }
        assertEquals(before.replaceFirst("(\"name\":\"my_i32\"[^}]*\"value\":\")[^\"]*", "$1" + good),
                parameters("rust_module_parameters"));
        // and the module itself took it (its @Modified logs the values it now has)
        String dmesg = get("/system/console/dmesg.json");
        assertTrue(dmesg.contains("parameters now: my_i32=" + good + " "), dmesg);
    }

    /** A module's parameters in {@code modules.json}, as the JSON text of their list. */
    private String parameters(String module) throws Exception {
        String json = get("/system/console/modules.json");
        Matcher m = Pattern.compile("\"name\":\"" + Pattern.quote(module) + "\".*?\"parameters\":\\[(.*?)\\]\\}").matcher(json);
        assertTrue(m.find(), json);
        return m.group(1);
    }

    // ---- helpers

    /** The headers the Modules page sends with a change: this origin, and the console's header. */
    private Map<String, String> consoleHeaders() {
        return Map.of("Origin", base, "X-Devhost-Console", "1");
    }

    private record Multipart(String type, byte[] body) {}

    private static Multipart form(String urlencoded) {
        return new Multipart("application/x-www-form-urlencoded", urlencoded.getBytes(StandardCharsets.UTF_8));
    }

    /** A multipart/form-data body as a browser sends the Modules page's form: {@code action} and the part {@code jar}. */
    private static Multipart multipart(String action, String fileName, byte[] jar) throws IOException {
        return multipart(Map.of("action", action), fileName, jar);
    }

    /** The same with more fields before the jar (the form's {@code parameters}). */
    private static Multipart multipart(Map<String, String> fields, String fileName, byte[] jar) throws IOException {
        String boundary = "----devhost" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Map.Entry<String, String> f : fields.entrySet()) {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey() + "\"\r\n\r\n"
                    + f.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jar\"; filename=\"" + fileName + "\"\r\n"
                + "Content-Type: application/java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(jar);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return new Multipart("multipart/form-data; boundary=" + boundary, body.toByteArray());
    }

    private HttpResponse<String> post(String path, Multipart body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT)
                .header("Authorization", basic(user + ":" + password)).header("Content-Type", body.type())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.body()));
        headers.forEach(b::header);
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String bundleId(String symbolicName) throws Exception {
        Matcher m = Pattern.compile("\"id\":(\\d+),\"name\":\"[^\"]*\",\"fragment\":\\w+,\"stateRaw\":\\d+,\"state\":\"\\w+\",\"version\":\"[^\"]*\",\"symbolicName\":\""
                + Pattern.quote(symbolicName) + "\"").matcher(get("/system/console/bundles.json"));
        assertTrue(m.find(), symbolicName + " in bundles.json");
        return m.group(1);
    }

    /**
     * Every file an upload may leave: the host's spool folder (the web bundle's {@code data/spool}),
     * the jars kept as modules' locations ({@code data/uploads}), and the JVM temporary folder's
     * {@code upload_*.tmp} (where uploads were spooled before, and stayed).
     */
    private List<Path> uploadFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        List<Path> folders;
        // cache/bundleN/data/spool: no deeper, where other bundles' files come and go
        try (var all = Files.walk(own.resolve("cache"), 3)) {
            folders = all.filter(d -> d.endsWith("data/spool") || d.endsWith("data/uploads")).toList();
        }
        for (Path folder : folders) {
            try (var in = Files.list(folder)) {
                in.forEach(files::add);
            }
        }
        try (var tmp = Files.newDirectoryStream(Path.of(System.getProperty("java.io.tmpdir")), "upload_*.tmp")) {
            tmp.forEach(files::add);
        }
        files.sort(null);
        return files;
    }

    /** The web bundle's spool folder ({@code data/spool} in the framework storage). */
    private Path spoolFolder() throws IOException {
        try (var all = Files.walk(own.resolve("cache"), 3)) {
            return all.filter(Files::isDirectory).filter(d -> d.endsWith("data/spool")).findFirst()
                    .orElseThrow(() -> new AssertionError("no data/spool folder in " + own.resolve("cache")));
        }
    }

    private void saveParameter(String name, String value) {
        driver.get(base + "/system/console/configMgr/rust_module_parameters");
        WebElement field = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[name='" + name + "']")));
        field.clear();
        field.sendKeys(value);
        driver.findElement(By.xpath("//div[contains(@class,'ui-dialog-buttonpane')]//button[normalize-space()='Save']")).click();
    }

    private WebElement awaitRow(String device) {
        return wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-device='" + device + "']")));
    }

    /**
     * A cell of a device's row, found again on each try: the page redraws its rows every few
     * seconds, so a row found a moment earlier may be gone (stale) by the time it is read.
     */
    /** The state cell of a module's row on the Modules page now (one script: rows are redrawn), or null. */
    private String moduleStateOnPage(String module) {
        return (String) ((JavascriptExecutor) driver).executeScript(
                "var c = document.querySelector(\"tr[data-module='\" + arguments[0] + \"'] td[data-state]\");"
                        + " return c === null ? null : c.textContent;", module);
    }

    private String cellOf(String device, int index) {
        return wait.until(d -> cell(d.findElement(By.cssSelector("tr[data-device='" + device + "']")), index));
    }

    private static String cell(WebElement row, int index) {
        return row.findElements(By.tagName("td")).get(index).getText();
    }

    private void bundleAction(String symbolicName, String title) {
        By action = By.xpath("//tr[.//span[@class='symName' and normalize-space()='" + symbolicName + "']]"
                + "//li[@title='" + title + "' and not(contains(@class,'ui-helper-hidden'))]");
        wait.until(ExpectedConditions.elementToBeClickable(action)).click();
    }

    private void awaitBundleState(String symbolicName, String state) {
        By cell = By.xpath("//tr[.//span[@class='symName' and normalize-space()='" + symbolicName + "']]/td[5]");
        wait.until(ExpectedConditions.textToBe(cell, state));
    }

    private void unloadOnPage(String module, boolean force) {
        WebElement row = wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-module='" + module + "']")));
        if (force) {
            row.findElement(By.className("module-force")).click();
        }
        // clear the last message, so the wait below sees this click's answer
        ((JavascriptExecutor) driver).executeScript("document.getElementById('modules-message').removeAttribute('data-ok');");
        row.findElement(By.className("module-unload")).click();
    }

    private WebElement awaitMessage(boolean ok, String text) {
        By message = By.cssSelector("#modules-message[data-ok='" + ok + "']");
        try {
            wait.until(d -> !d.findElements(message).isEmpty() && d.findElement(message).getText().contains(text));
        } catch (org.openqa.selenium.TimeoutException e) {
            WebElement shown = driver.findElement(By.id("modules-message"));
            throw new AssertionError("no " + (ok ? "success" : "refusal") + " message with '" + text + "'; the page says ("
                    + "data-ok=" + shown.getAttribute("data-ok") + "): " + shown.getText() + "\nthe host printed:\n" + output(), e);
        }
        return driver.findElement(message);
    }

    private String parameter(String module, String name) throws Exception {
        String json = get("/system/console/modules.json");
        Matcher m = Pattern.compile("\"name\":\"" + module + "\".*?\"parameters\":\\[(.*?)\\]\\}").matcher(json);
        assertTrue(m.find(), json);
        Matcher p = Pattern.compile("\"name\":\"" + name + "\"[^}]*\"value\":\"([^\"]*)\"").matcher(m.group(1));
        assertTrue(p.find(), m.group(1));
        return p.group(1);
    }

    private String moduleState(String module) throws Exception {
        Matcher m = Pattern.compile("\"name\":\"" + module + "\",\"state\":\"(\\w+)\"").matcher(get("/system/console/modules.json"));
        return m.find() ? m.group(1) : "absent";
    }

    private String get(String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", basic(user + ":" + password)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    private static String basic(String login) {
        return "Basic " + Base64.getEncoder().encodeToString(login.getBytes(StandardCharsets.UTF_8));
    }

    private void shot(String name) throws IOException {
        Files.write(SHOTS.resolve("webconsole-" + name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    }

    private String output() {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    private Matcher awaitOutput(Pattern pattern) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            Matcher m = pattern.matcher(output());
            if (m.find()) {
                return m;
            }
            if (System.nanoTime() > end || !host.isAlive()) {
                host.destroyForcibly();
                throw new AssertionError("no '" + pattern + "' from the host; it printed:\n" + output());
            }
            Thread.sleep(50);
        }
    }

    private static boolean devfsUsable() {
        return Files.exists(Path.of("/dev/fuse")) && "root".equals(System.getProperty("user.name"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}

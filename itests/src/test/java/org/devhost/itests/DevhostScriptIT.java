package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's run command, end to end: {@code ./devhost} with commands piped on stdin, as a user
 * would type them, and the printed output checked.
 */
class DevhostScriptIT {
    private static final Path ROOT = Path.of(System.getProperty("devhost.root", "..")).toAbsolutePath().normalize();

    private static String run(String commands) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("devhost").toString()).directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("DEVHOST_NO_BUILD", "1"); // the reactor built it already
        Process p = pb.start();
        p.getOutputStream().write(commands.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close(); // end of input stops the host
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the host did not stop at end of input");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static String sculljar() throws IOException {
        try (Stream<Path> s = Files.list(ROOT.resolve("host/launcher/target/devhost/drivers"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("org.devhost.drivers.scull")).findFirst()
                    .orElseThrow().toString();
        }
    }

    @Test
    void loadLookTalkAndUnloadFromPipedCommands() throws Exception {
        String out = run(String.join("\n",
                "dev:rmmod scull",
                "dev:insmod " + sculljar() + " scull_quantum=8",
                "dev:ls 'scull?'",
                "dev:write scull0 hello devhost",
                "dev:cat scull0",
                "dev:ioctl scull0 0x6b07",
                "dev:ioctl scull0 NOPE",
                "dev:rmmod scull",
                "dev:ls 'scull*'",
                ""));
        assertTrue(out.contains("scull: loaded (bundle "), out);
        assertTrue(out.matches("(?s).*scull0 +char +\\d+:0 +scull +0 +open,read,write,seek,ioctl.*"), out);
        assertTrue(out.contains("hello devhost"), out);
        assertTrue(out.contains("ioctl 0x6b07 (_IO('k', 0x7)) on /dev/scull0: returned 8"), out);
        assertTrue(out.contains("dev:ioctl: unknown command 'NOPE'"), out);
        assertTrue(out.contains("(EINVAL)"), out);
        String last = out.substring(out.lastIndexOf("g! NAME"));
        assertTrue(last.startsWith("g! NAME  TYPE  DEVICE  MODULE  OPEN  OPS\n"), last);
        assertTrue(out.contains("gosh: stopping shell and framework"), out);
    }

    @Test
    void theFirstDriverGetsMajor254AndStopStartBringsItBack() throws Exception {
        String out = run("dev:ls 'rust_chrdev*'\ndev:majors\nstop org.devhost.drivers.rust_chrdev\ndev:ls 'rust_chrdev*'\n"
                + "dev:majors\n");
        assertTrue(out.contains("rust_chrdev0  char  254:0   rust_chrdev     0  open"), out);
        assertTrue(out.contains("254 rust_chrdev"), out);
        String after = out.substring(out.indexOf("g! \ng! NAME"));
        assertTrue(!after.contains("rust_chrdev0") && !after.contains("254 rust_chrdev"), after);
        assertTrue(new File(ROOT.toFile(), "deploy").isDirectory());
    }
}

package org.devhost.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Boot time: from starting {@code java} on the host's launcher to the shell answering a command
 * with every sample's devices listed. Prints {@code boot,median_ns,max_ns} over the runs.
 *
 * <p>Usage: {@code Boot <distribution folder> <runs> [jvm options...]}.
 */
public final class Boot {
    private Boot() {}

    public static void main(String[] args) throws Exception {
        Path dist = Path.of(args[0]);
        int runs = Integer.parseInt(args[1]);
        long[] ns = new long[runs];
        for (int i = 0; i < runs; i++) {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(Arrays.asList(args).subList(2, args.length));
            cmd.addAll(List.of("-Ddevhost.console=plain", "-Ddevhost.deploy=" + System.getProperty("java.io.tmpdir")
                    + "/devhost-bench-deploy", "-jar", dist.resolve("lib/devhost.jar").toString()));
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().write("dev:ls\n".getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().flush();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("rust_chrdev1")) { // the last line of dev:ls with every sample loaded
                        ns[i] = System.nanoTime() - t0;
                        break;
                    }
                }
                p.getOutputStream().close();
                while (out.readLine() != null) {
                    // drain until the host stops at end of input
                }
            }
            p.waitFor();
            if (ns[i] == 0) {
                throw new IllegalStateException("the host never listed rust_chrdev1");
            }
        }
        long[] sorted = ns.clone();
        Arrays.sort(sorted);
        System.out.printf("boot,%d,%d%n", sorted[runs / 2], sorted[runs - 1]);
    }
}

package com.example.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.testing.LoadedModule;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.Test;

class HelloTest {
    @Test
    void readsTheGreetingThenEndOfFile() {
        TestKernel kernel = new TestKernel();
        // as the host loads the bundle: @KernelModule, @MiscDeviceProperties, the component's init
        LoadedModule<Hello> module = kernel.load(Hello.class);
        try (OpenFile f = kernel.load("user").open("hello", OpenFlags.O_RDONLY)) {
            ByteBuffer b = ByteBuffer.allocate(100);
            int n = f.read(b);
            assertEquals("Hello from an outside driver\n", new String(b.array(), 0, n, StandardCharsets.US_ASCII));
            assertEquals(0, f.read(b), "then end of file");
        }
        kernel.unload(module);
        assertTrue(kernel.load("user").device("hello").isEmpty());
    }
}

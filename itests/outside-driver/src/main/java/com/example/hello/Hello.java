package com.example.hello;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDeviceProperties;
import org.osgi.service.component.annotations.Component;

/** A one-class driver: the misc device /dev/hello, which reads back one greeting. */
@KernelModule(name = "hello", author = "You", description = "Says hello", license = "GPL")
@MiscDeviceProperties(name = "hello")
@Component(service = FileOperations.class)
public final class Hello implements FileOperations<Void> {
    static final byte[] GREETING = "Hello from an outside driver\n".getBytes(StandardCharsets.US_ASCII);

    @Override
    public Void open(File file) {
        return null;
    }

    @Override
    public int read(Void data, File file, ByteBuffer dst, long offset) {
        if (offset >= GREETING.length) {
            return 0;
        }
        int n = (int) Math.min(dst.remaining(), GREETING.length - offset);
        dst.put(GREETING, (int) offset, n);
        return n;
    }
}
